<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="fr">
<context>
    <name>AccountModel</name>
    <message>
        <location filename="../../ui/models/account_model.py" line="89"/>
        <source>boîte personnelle</source>
        <translation>personal mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="90"/>
        <source>boîte organisationnelle</source>
        <translation>organisational mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="91"/>
        <source>boîte applicative</source>
        <translation>application mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="98"/>
        <source>Professionnels</source>
        <translation>Professionals</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="99"/>
        <source>Patients</source>
        <translation>Patients</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="105"/>
        <source>ouverte par {login}</source>
        <translation>opened by {login}</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="173"/>
        <source>Comptes</source>
        <translation>Accounts</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="219"/>
        <source>Échanges avec les professionnels de santé</source>
        <translation>Exchanges with health professionals</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="221"/>
        <source>Échanges avec les patients (messagerie de Mon espace santé)</source>
        <translation>Exchanges with patients (Mon espace santé messaging)</translation>
    </message>
</context>
<context>
    <name>AccountWizard</name>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="55"/>
        <source>Personnelle (PER) — un professionnel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="57"/>
        <source>Organisationnelle (ORG) — un service, une équipe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="59"/>
        <source>Applicative (APP) — un logiciel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="62"/>
        <source>Pro Santé Connect (carte CPS ou e-CPS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="64"/>
        <location filename="../../ui/dialogs/account_wizard.py" line="192"/>
        <source>Mot de passe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="65"/>
        <source>Certificat logiciel (PKCS#12)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="69"/>
        <source>TLS implicite</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="70"/>
        <source>STARTTLS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="87"/>
        <source>Ajouter un compte</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="105"/>
        <source>&lt; &amp;Précédent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="108"/>
        <location filename="../../ui/dialogs/account_wizard.py" line="223"/>
        <source>&amp;Suivant &gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="112"/>
        <source>Annuler</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="133"/>
        <source>Adresse MSSanté</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="136"/>
        <source>Nom affiché</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="141"/>
        <source>Type de boîte</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="146"/>
        <source>Mode de connexion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="149"/>
        <source>Adresse :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="150"/>
        <source>Nom affiché :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="151"/>
        <source>Type de boîte :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="152"/>
        <source>Connexion :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="160"/>
        <source>Serveur {what}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="164"/>
        <source>Port {what}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="170"/>
        <source>Serveur :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="172"/>
        <source>Port :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="183"/>
        <source>IMAP (réception)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="185"/>
        <source>SMTP (envoi)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="188"/>
        <source>Identifiant de connexion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="195"/>
        <source>RPPS ou ADELI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="196"/>
        <source>Identifiant national (RPPS ou ADELI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="199"/>
        <source>/chemin/vers/certificat.p12</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="200"/>
        <source>Fichier du certificat PKCS#12</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="203"/>
        <source>Autorité de certification supplémentaire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="205"/>
        <source>Identifiant :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="206"/>
        <source>Mot de passe :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="207"/>
        <source>Identifiant national :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="208"/>
        <source>Certificat :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="209"/>
        <source>AC supplémentaire (facultatif) :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="222"/>
        <source>&amp;Terminer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="267"/>
        <source>Recherche de la configuration de {domain}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="280"/>
        <source>Configuration trouvée dans le DNS (enregistrements SRV de {domain}). Vérifiez-la avant de continuer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="284"/>
        <source>Aucune configuration automatique pour {domain} : saisissez les serveurs fournis par votre opérateur.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="290"/>
        <source>La recherche DNS a échoué.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="291"/>
        <source>Configuration automatique impossible : {reason} Saisissez les serveurs à la main.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="364"/>
        <source>Le compte n&apos;a pas pu être enregistré.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="94"/>
        <source>Pièces jointes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="124"/>
        <source>sans nom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="136"/>
        <source>1 pièce jointe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="137"/>
        <source>{count} pièces jointes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="154"/>
        <source>Aperçu</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="155"/>
        <source>Ouvrir</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="156"/>
        <source>Enregistrer sous…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="162"/>
        <source>Tout enregistrer…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="80"/>
        <source>Pièce jointe {name}, {kind}, {size}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="65"/>
        <source>Date et heure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="66"/>
        <source>Boîte</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="67"/>
        <source>Personne</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="68"/>
        <source>Action</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="69"/>
        <source>Requête</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="70"/>
        <source>Réponse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="71"/>
        <source>Résultat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="124"/>
        <source>Heure du poste (UTC{sign}{h:02d}:{m:02d})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AuditViewer</name>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="176"/>
        <source>Journal d&apos;audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="183"/>
        <source>Boîte aux lettres</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="187"/>
        <source>Toutes les boîtes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="189"/>
        <source>Depuis le</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="195"/>
        <source>Date de début</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="200"/>
        <source>Action</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="201"/>
        <source>Toutes les actions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="204"/>
        <source>&amp;Actualiser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="206"/>
        <source>&amp;Exporter en CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="210"/>
        <source>Boîte :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="214"/>
        <source>Action :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="221"/>
        <source>Entrées du journal d&apos;audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="231"/>
        <source>Fermer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="272"/>
        <source>Chargement…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="283"/>
        <source>Aucune entrée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="284"/>
        <source>{count} entrée(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="287"/>
        <source>Le journal n&apos;a pas pu être lu.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="292"/>
        <source>Exporter le journal d&apos;audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="294"/>
        <source>Fichiers CSV (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="309"/>
        <source>{count} entrée(s) exportée(s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="314"/>
        <source>L&apos;export a échoué.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CardStatusIndicator</name>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="22"/>
        <source>État de la carte CPS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="45"/>
        <source>Carte CPS présente — {holder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="48"/>
        <source>Carte CPS absente</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="51"/>
        <source>Lecteur de carte non configuré</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CdaPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="138"/>
        <source>Aperçu du document médical</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="144"/>
        <source>Version structurée du document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="154"/>
        <source>Avertissements</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="161"/>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="162"/>
        <source>Classer dans le dossier patient</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="164"/>
        <source>Enregistrer sous…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="198"/>
        <source>Document PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="199"/>
        <source>Version structurée</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="292"/>
        <source>Nouveau message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="309"/>
        <source>Rédaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="314"/>
        <source>&amp;Envoyer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="316"/>
        <source>Envoyer le message (Ctrl+Entrée)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="318"/>
        <source>&amp;Joindre…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="320"/>
        <source>Joindre des fichiers ou des documents CDA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="322"/>
        <source>&amp;Annuaire…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="324"/>
        <source>Chercher des destinataires dans l&apos;annuaire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="340"/>
        <source>Expéditeur</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="342"/>
        <source>Chargement des comptes…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="345"/>
        <source>Destinataires (À)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="350"/>
        <source>Destinataires en copie (Cc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="355"/>
        <source>Objet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="357"/>
        <source>&amp;De :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="357"/>
        <source>&amp;À :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="358"/>
        <source>C&amp;c :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="359"/>
        <source>&amp;Objet :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="366"/>
        <source>Patient des documents structurés</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="368"/>
        <source>Taille du message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="370"/>
        <source>Erreur d&apos;envoi</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="376"/>
        <source>Corps du message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="378"/>
        <source>Écrivez votre message ici.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="385"/>
        <location filename="../../ui/dialogs/composer.py" line="402"/>
        <location filename="../../ui/dialogs/composer.py" line="619"/>
        <source>Pièces jointes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="387"/>
        <source>Jo&amp;indre…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="389"/>
        <location filename="../../ui/dialogs/composer.py" line="515"/>
        <source>Joindre des fichiers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="391"/>
        <source>&amp;Retirer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="393"/>
        <source>Retirer la pièce jointe choisie</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="426"/>
        <source>Demander un accusé de &amp;lecture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="428"/>
        <source>Demander un accusé de lecture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="432"/>
        <location filename="../../ui/dialogs/composer.py" line="889"/>
        <source>Envoyer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="434"/>
        <source>Envoyer le message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="435"/>
        <source>Ctrl+Entrée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="484"/>
        <source>{address} (sans nom d&apos;expéditeur)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="488"/>
        <source>Aucun compte configuré</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="497"/>
        <source>Les comptes n&apos;ont pas pu être lus.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="534"/>
        <source>Lecture des fichiers…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="551"/>
        <source>Les fichiers n&apos;ont pas pu être joints.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="591"/>
        <source>Patient : {patient}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="599"/>
        <source>Objet des documents structurés (règle MSSanté) : {subject}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="605"/>
        <source>{name} — document CDA : {title} ({size})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="610"/>
        <source>Envoyé dans le paquet IHE_XDM.ZIP avec son rendu PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="618"/>
        <source>Pièces jointes ({count})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="620"/>
        <source>Glissez des fichiers ici pour les joindre. Les documents CDA sont regroupés en un paquet IHE XDM.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="677"/>
        <source>Envoi impossible : un destinataire est bloqué par la liste blanche MSSanté. Retirez-le pour envoyer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="680"/>
        <source>Envoi impossible : {count} destinataires sont bloqués par la liste blanche MSSanté. Retirez-les pour envoyer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="694"/>
        <source>Un patient est destinataire : la messagerie de Mon espace santé refuse les messages de plus de 25 Mo, et celui-ci en ferait environ {size}. Retirez ou allégez des pièces jointes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="699"/>
        <source>Un patient est destinataire : le message ne doit pas dépasser 25 Mo (environ {size} actuellement).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="773"/>
        <source>Brouillon enregistré à {time}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="783"/>
        <source>Le brouillon n&apos;a pas pu être enregistré.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="876"/>
        <source>Choisissez le compte expéditeur.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="878"/>
        <source>Ajoutez au moins un destinataire.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="882"/>
        <source>Les pièces jointes sont encore en cours de lecture ; réessayez dans un instant.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="889"/>
        <source>Envoi…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="914"/>
        <source>Le message n&apos;a pas pu être mis en boîte d&apos;envoi. Les détails ont été écrits dans le journal.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="930"/>
        <source>Envoi annulé : le message est revenu en rédaction.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="939"/>
        <source>Trop tard : le message est déjà parti.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="944"/>
        <source>L&apos;envoi n&apos;a pas pu être annulé.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DirectoryDialog</name>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="53"/>
        <source>Annuaire santé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="61"/>
        <source>Nom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="62"/>
        <source>Prénom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="63"/>
        <source>Profession</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="64"/>
        <source>Spécialité</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="65"/>
        <source>Ville</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="66"/>
        <source>Code postal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="70"/>
        <source>Type de boîte</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="72"/>
        <source>Tous les types</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="73"/>
        <source>PER — personnelle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="74"/>
        <source>ORG — organisationnelle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="75"/>
        <source>APP — applicative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="82"/>
        <source>&amp;Nom :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="82"/>
        <source>&amp;Prénom :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="83"/>
        <source>P&amp;rofession :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="84"/>
        <source>&amp;Spécialité :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="85"/>
        <source>&amp;Ville :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="85"/>
        <source>&amp;Code postal :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="92"/>
        <source>T&amp;ype :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="97"/>
        <source>&amp;Rechercher</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="102"/>
        <source>&amp;Effacer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="120"/>
        <source>Résultats de la recherche dans l&apos;annuaire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="142"/>
        <source>État de la recherche</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="149"/>
        <source>Ajouter en &amp;À</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="153"/>
        <source>Ajouter en C&amp;c</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="158"/>
        <source>&amp;Fermer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="210"/>
        <source>Indiquez au moins un critère de recherche.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="214"/>
        <source>Recherche en cours…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="231"/>
        <source>Aucune boîte ne correspond à ces critères.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="233"/>
        <source>1 résultat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="235"/>
        <source>{count} résultats</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="250"/>
        <source>La recherche dans l&apos;annuaire a échoué. Les détails ont été écrits dans le journal.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="271"/>
        <source>{count} adresse(s) ajoutée(s) au message.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ImagePreview</name>
    <message>
        <location filename="../../ui/widgets/preview/image_preview.py" line="43"/>
        <source>Aperçu de l&apos;image</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <location filename="../../ui/dialogs/__init__.py" line="96"/>
        <source>fr</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LockController</name>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="96"/>
        <source>&amp;Verrouiller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="98"/>
        <source>Ctrl+L</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="100"/>
        <source>Verrouillé à votre demande.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="101"/>
        <source>Se &amp;déconnecter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="140"/>
        <source>Verrouillé après {minutes} min d&apos;inactivité.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="179"/>
        <source>Insérez votre carte CPS pour déverrouiller.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="198"/>
        <source>Mot de passe incorrect ({count} essai(s)).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="233"/>
        <source>La carte CPS a été retirée.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="34"/>
        <source>Session verrouillée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="50"/>
        <source>Estafette est verrouillé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="70"/>
        <source>Mot de passe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="71"/>
        <source>Mot de passe pour déverrouiller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="72"/>
        <source>&amp;Déverrouiller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="86"/>
        <source>Se reconnecter avec &amp;Pro Santé Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="94"/>
        <source>Erreur de déverrouillage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="96"/>
        <source>Se dé&amp;connecter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="125"/>
        <source>Session de {user}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="136"/>
        <source>Carte CPS présente.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="138"/>
        <source>Insérez votre carte CPS pour déverrouiller.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="79"/>
        <source>Connexion Pro Santé Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="115"/>
        <source>Connexion à {account} avec Pro Santé Connect.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="116"/>
        <source>Connexion avec Pro Santé Connect.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="118"/>
        <source>&amp;Carte CPS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="120"/>
        <source>Application &amp;e-CPS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="134"/>
        <source>RPPS (11 chiffres) ou ADELI (9 chiffres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="135"/>
        <source>Identifiant national (RPPS ou ADELI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="146"/>
        <source>Identifiant :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="148"/>
        <source>Se &amp;connecter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="152"/>
        <location filename="../../ui/dialogs/login_dialog.py" line="197"/>
        <source>Annuler</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="195"/>
        <source>En attente de validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="224"/>
        <source>&amp;Réessayer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="227"/>
        <location filename="../../ui/dialogs/login_dialog.py" line="356"/>
        <source>Fermer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="263"/>
        <source>Insérez votre carte CPS dans le lecteur.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="266"/>
        <source>Carte de {name} détectée.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="288"/>
        <source>Envoi de la demande à Pro Santé Connect…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="298"/>
        <source>Code de vérification :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="301"/>
        <source>Code de vérification : {code}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="303"/>
        <source>Vérifiez que ce code s&apos;affiche dans la fenêtre de votre carte CPS, puis validez avec votre code PIN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="306"/>
        <source>Ouvrez l&apos;application e-CPS sur votre téléphone, vérifiez que le même code s&apos;affiche, puis validez.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="322"/>
        <source>Connexion refusée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="325"/>
        <source>Délai dépassé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="326"/>
        <source>La demande n&apos;a pas été validée à temps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="329"/>
        <location filename="../../ui/dialogs/login_dialog.py" line="333"/>
        <source>Connexion impossible</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="334"/>
        <source>Une erreur inattendue est survenue. Les détails ont été écrits dans le journal de l&apos;application.</source>
        <translation type="unfinished">An unexpected error occurred. The details were written to the application log.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="341"/>
        <source>Connexion approuvée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="342"/>
        <source>Bienvenue, {name}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="343"/>
        <source>Vous êtes connecté.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="355"/>
        <source>Continuer</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/windows/main_window.py" line="131"/>
        <source>Estafette — Messagerie sécurisée de santé</source>
        <translation>Estafette — Secure health messaging</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="137"/>
        <source>Comptes de messagerie</source>
        <translation>Mail accounts</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="139"/>
        <source>Vos boîtes MSSanté, chacune avec ses volets Professionnels et Patients</source>
        <translation>Your MSSanté mailboxes, each with its Professionals and Patients panes</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="147"/>
        <source>Aucun message sélectionné</source>
        <translation>No message selected</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="149"/>
        <source>Zone de lecture</source>
        <translation>Reading area</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="165"/>
        <source>Nombre de comptes</source>
        <translation>Number of accounts</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="174"/>
        <source>&amp;Fichier</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="175"/>
        <source>&amp;Quitter</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="176"/>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="181"/>
        <source>&amp;Édition</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="182"/>
        <source>&amp;Rechercher dans les messages…</source>
        <translation>&amp;Search messages…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="187"/>
        <source>&amp;Affichage</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="188"/>
        <source>Barre d&apos;é&amp;tat</source>
        <translation>&amp;Status bar</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="194"/>
        <source>&amp;Outils</source>
        <translation>&amp;Tools</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="195"/>
        <source>&amp;Annuaire</source>
        <translation>&amp;Directory</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="196"/>
        <source>&amp;Paramètres…</source>
        <translation>&amp;Settings…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="202"/>
        <source>Ai&amp;de</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="203"/>
        <source>À &amp;propos d&apos;Estafette</source>
        <translation>&amp;About Estafette</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="228"/>
        <source>Aucun compte</source>
        <translation>No account</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="230"/>
        <source>1 compte</source>
        <translation>1 account</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="232"/>
        <source>{count} comptes</source>
        <translation>{count} accounts</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="254"/>
        <source>À propos d&apos;Estafette</source>
        <translation>About Estafette</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="255"/>
        <source>Estafette {version}</source>
        <translation>Estafette {version}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="257"/>
        <source>Client de bureau pour la messagerie sécurisée de santé MSSanté.</source>
        <translation>Desktop client for MSSanté, the French secure health messaging space.</translation>
    </message>
</context>
<context>
    <name>MessageListView</name>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="64"/>
        <source>Rechercher dans les messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="106"/>
        <source>Rechercher dans {name}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="108"/>
        <source>Rechercher dans les messages…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessagePanel</name>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="129"/>
        <source>Enregistrer sous…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="130"/>
        <source>Enregistrer la pièce jointe</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessageReader</name>
    <message>
        <location filename="../../ui/widgets/reader.py" line="215"/>
        <source>Lecture du message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="224"/>
        <source>De :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="224"/>
        <source>À :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="225"/>
        <source>Cc :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="225"/>
        <source>Date :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="226"/>
        <source>Objet :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="258"/>
        <source>Corps du message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="286"/>
        <source>(sans objet)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="296"/>
        <source>Images distantes bloquées ({count})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="299"/>
        <source>Ce message voulait charger des images depuis Internet. Elles ne sont pas téléchargées : cela révélerait à l&apos;expéditeur que vous l&apos;avez ouvert.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="303"/>
        <source>Message endommagé : {reason}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessageTable</name>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="29"/>
        <source>Liste des messages</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="402"/>
        <source>Connexion à {address}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="405"/>
        <source>Mot de passe de la boîte {address}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="412"/>
        <source>Mot de passe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="420"/>
        <source>Identifiant :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="421"/>
        <source>Mot de passe :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="422"/>
        <source>Se &amp;connecter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="426"/>
        <source>Annuler</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="441"/>
        <source>Saisissez votre mot de passe.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PdfPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="42"/>
        <source>Aperçu du document PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="49"/>
        <source>Pages du document PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="51"/>
        <source>Page précédente</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="52"/>
        <source>Page suivante</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="55"/>
        <source>Numéro de page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="58"/>
        <source>Zoom arrière</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="59"/>
        <source>Zoom avant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="60"/>
        <source>Ajuster à la largeur</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="66"/>
        <source>Page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="102"/>
        <source>Ce PDF est trop volumineux pour être prévisualisé.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="105"/>
        <source>Ce fichier n&apos;est pas un PDF lisible.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="126"/>
        <source>sur %n</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="136"/>
        <source>Ce PDF est protégé par un mot de passe : ouvrez-le avec une autre application après l&apos;avoir enregistré.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="139"/>
        <source>Ce PDF est endommagé ou n&apos;est pas un PDF lisible.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="185"/>
        <source>Largeur</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="109"/>
        <source>L&apos;aperçu de ce document a échoué.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PreviewFrame</name>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="160"/>
        <source>Chargement…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="162"/>
        <source>Chargement de l&apos;aperçu</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="190"/>
        <source>Aperçu impossible</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RecipientChip</name>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="182"/>
        <source>Retirer ce destinataire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="183"/>
        <source>Retirer {address}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="201"/>
        <source>autorisé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="204"/>
        <source>bloqué</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="207"/>
        <source>vérification en cours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="221"/>
        <source>Destinataire {address}, {status}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RecipientField</name>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="286"/>
        <source>Nom ou adresse MSSanté</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="308"/>
        <source>Suggestions de l&apos;annuaire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="419"/>
        <source>La liste blanche n&apos;a pas pu être consultée ; l&apos;adresse est bloquée par prudence.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="71"/>
        <source>Demander à chaque fois</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="72"/>
        <source>Toujours envoyer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="73"/>
        <source>Ne jamais envoyer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="86"/>
        <source>Paramètres</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="94"/>
        <source>Général</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="95"/>
        <source>Liste blanche</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="96"/>
        <source>Annuaire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="97"/>
        <source>Comptes</source>
        <translation type="unfinished">Accounts</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="108"/>
        <source>Enregistrer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="109"/>
        <source>Annuler</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="132"/>
        <source>Parcourir…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="140"/>
        <source>Choisir un dossier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="141"/>
        <source>Choisir un fichier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="153"/>
        <source> min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="155"/>
        <source>Délai de verrouillage en minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="156"/>
        <source>Au plus 2 heures (120 minutes).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="157"/>
        <source>Verrouiller quand la carte CPS est retirée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="165"/>
        <source>Langue de l&apos;interface</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="166"/>
        <source>Le changement de langue prend effet au prochain démarrage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="175"/>
        <source>Dossier des documents classés</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="177"/>
        <source>Verrouillage après inactivité :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="179"/>
        <source>Langue :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="181"/>
        <source>Dossier patient (export) :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="188"/>
        <source>Adresse de la liste blanche</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="191"/>
        <source>Certificat d&apos;autorité de la liste blanche</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="193"/>
        <source>Adresse (URL) :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="194"/>
        <source>Autorité de certification :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="201"/>
        <source>Fichier d&apos;extraction de l&apos;annuaire</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="202"/>
        <source>Adresse LDAP</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="205"/>
        <source>Base de recherche LDAP</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="208"/>
        <source>Adresse de l&apos;API Annuaire Santé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="209"/>
        <source>Clé d&apos;API Annuaire Santé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="212"/>
        <source>Clé enregistrée (laisser vide pour la garder)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="213"/>
        <source>Aucune clé enregistrée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="214"/>
        <source>Oublier la clé enregistrée</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="218"/>
        <source>Extraction de l&apos;annuaire :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="220"/>
        <source>Annuaire LDAP :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="221"/>
        <source>Base LDAP :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="222"/>
        <source>API Annuaire Santé (FHIR) :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="223"/>
        <source>Clé d&apos;API :</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="232"/>
        <source>Aucun compte.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="240"/>
        <source>Accusés de lecture pour {address}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="243"/>
        <source>Accusés de lecture — {address} :</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <location filename="../../ui/main.py" line="39"/>
        <source>Estafette — profil inaccessible</source>
        <translation>Estafette — profile unavailable</translation>
    </message>
    <message>
        <location filename="../../ui/main.py" line="40"/>
        <source>Le profil ne peut pas être ouvert.</source>
        <translation>The profile cannot be opened.</translation>
    </message>
    <message>
        <location filename="../../ui/main.py" line="44"/>
        <source>Une erreur inattendue est survenue. Les détails ont été écrits dans le journal de l&apos;application.</source>
        <translation>An unexpected error occurred. The details were written to the application log.</translation>
    </message>
</context>
<context>
    <name>TextPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/text_preview.py" line="42"/>
        <source>Aperçu du texte</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/text_preview.py" line="46"/>
        <source>Contenu du fichier texte</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/text_preview.py" line="53"/>
        <source>[… aperçu limité aux premiers 4 Mo du fichier]</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UnavailablePreview</name>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="223"/>
        <source>Aperçu refusé</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="223"/>
        <source>Aperçu non disponible</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UndoToast</name>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="42"/>
        <source>Envoi en cours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="56"/>
        <source>Message en cours d&apos;envoi</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="87"/>
        <source>Annuler ({seconds} s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="90"/>
        <source>Annuler l&apos;envoi, {seconds} secondes restantes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="103"/>
        <source>Message envoyé à la boîte d&apos;envoi</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>XdmPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="141"/>
        <source>Aperçu du paquet IHE XDM</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="152"/>
        <source>Patient du paquet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="162"/>
        <source>Documents du paquet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="166"/>
        <source>Titre</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="166"/>
        <source>Type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="166"/>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="166"/>
        <source>Auteur</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="167"/>
        <source>Format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="220"/>
        <source>Paquet IHE XDM refusé</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
