<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="fr">
<context>
    <name>AccountModel</name>
    <message>
        <location filename="../../ui/models/account_model.py" line="90"/>
        <source>boîte personnelle</source>
        <translation>personal mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="91"/>
        <source>boîte organisationnelle</source>
        <translation>organisational mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="92"/>
        <source>boîte applicative</source>
        <translation>application mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="99"/>
        <source>Professionnels</source>
        <translation>Professionals</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="100"/>
        <source>Patients</source>
        <translation>Patients</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="106"/>
        <source>ouverte par {login}</source>
        <translation>opened by {login}</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="159"/>
        <source>Comptes</source>
        <translation>Accounts</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="205"/>
        <source>Échanges avec les professionnels de santé</source>
        <translation>Exchanges with health professionals</translation>
    </message>
    <message>
        <location filename="../../ui/models/account_model.py" line="207"/>
        <source>Échanges avec les patients (messagerie de Mon espace santé)</source>
        <translation>Exchanges with patients (Mon espace santé messaging)</translation>
    </message>
</context>
<context>
    <name>AccountWizard</name>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="55"/>
        <source>Personnelle (PER) — un professionnel</source>
        <translation>Personal (PER) — one professional</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="57"/>
        <source>Organisationnelle (ORG) — un service, une équipe</source>
        <translation>Organisational (ORG) — a department, a team</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="59"/>
        <source>Applicative (APP) — un logiciel</source>
        <translation>Application (APP) — a piece of software</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="62"/>
        <source>Pro Santé Connect (carte CPS ou e-CPS)</source>
        <translation>Pro Santé Connect (CPS card or e-CPS)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="64"/>
        <location filename="../../ui/dialogs/account_wizard.py" line="192"/>
        <source>Mot de passe</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="65"/>
        <source>Certificat logiciel (PKCS#12)</source>
        <translation>Software certificate (PKCS#12)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="69"/>
        <source>TLS implicite</source>
        <translation>Implicit TLS</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="70"/>
        <source>STARTTLS</source>
        <translation>STARTTLS</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="87"/>
        <source>Ajouter un compte</source>
        <translation>Add an account</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="105"/>
        <source>&lt; &amp;Précédent</source>
        <translation>&lt; &amp;Back</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="108"/>
        <location filename="../../ui/dialogs/account_wizard.py" line="223"/>
        <source>&amp;Suivant &gt;</source>
        <translation>&amp;Next &gt;</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="112"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="133"/>
        <source>Adresse MSSanté</source>
        <translation>MSSanté address</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="136"/>
        <source>Nom affiché</source>
        <translation>Display name</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="141"/>
        <source>Type de boîte</source>
        <translation>Mailbox type</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="146"/>
        <source>Mode de connexion</source>
        <translation>Sign-in method</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="149"/>
        <source>Adresse :</source>
        <translation>Address:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="150"/>
        <source>Nom affiché :</source>
        <translation>Display name:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="151"/>
        <source>Type de boîte :</source>
        <translation>Mailbox type:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="152"/>
        <source>Connexion :</source>
        <translation>Sign-in:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="160"/>
        <source>Serveur {what}</source>
        <translation>{what} server</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="164"/>
        <source>Port {what}</source>
        <translation>{what} port</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="170"/>
        <source>Serveur :</source>
        <translation>Server:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="172"/>
        <source>Port :</source>
        <translation>Port:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="183"/>
        <source>IMAP (réception)</source>
        <translation>IMAP (incoming)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="185"/>
        <source>SMTP (envoi)</source>
        <translation>SMTP (outgoing)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="188"/>
        <source>Identifiant de connexion</source>
        <translation>Login</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="195"/>
        <source>RPPS ou ADELI</source>
        <translation>RPPS or ADELI</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="196"/>
        <source>Identifiant national (RPPS ou ADELI)</source>
        <translation>National identifier (RPPS or ADELI)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="199"/>
        <source>/chemin/vers/certificat.p12</source>
        <translation>/path/to/certificate.p12</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="200"/>
        <source>Fichier du certificat PKCS#12</source>
        <translation>PKCS#12 certificate file</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="203"/>
        <source>Autorité de certification supplémentaire</source>
        <translation>Additional certificate authority</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="205"/>
        <source>Identifiant :</source>
        <translation>Login:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="206"/>
        <source>Mot de passe :</source>
        <translation>Password:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="207"/>
        <source>Identifiant national :</source>
        <translation>National identifier:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="208"/>
        <source>Certificat :</source>
        <translation>Certificate:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="209"/>
        <source>AC supplémentaire (facultatif) :</source>
        <translation>Additional CA (optional):</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="222"/>
        <source>&amp;Terminer</source>
        <translation>&amp;Finish</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="267"/>
        <source>Recherche de la configuration de {domain}…</source>
        <translation>Looking up the configuration of {domain}…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="280"/>
        <source>Configuration trouvée dans le DNS (enregistrements SRV de {domain}). Vérifiez-la avant de continuer.</source>
        <translation>Configuration found in the DNS (SRV records of {domain}). Check it before continuing.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="284"/>
        <source>Aucune configuration automatique pour {domain} : saisissez les serveurs fournis par votre opérateur.</source>
        <translation>No automatic configuration for {domain}: enter the servers given by your provider.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="290"/>
        <source>La recherche DNS a échoué.</source>
        <translation>The DNS lookup failed.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="291"/>
        <source>Configuration automatique impossible : {reason} Saisissez les serveurs à la main.</source>
        <translation>Automatic configuration failed: {reason} Enter the servers manually.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/account_wizard.py" line="364"/>
        <source>Le compte n&apos;a pas pu être enregistré.</source>
        <translation>The account could not be saved.</translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="29"/>
        <source>Documents XDM</source>
        <translation>XDM documents</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="30"/>
        <source>Document XML (CDA)</source>
        <translation>XML document (CDA)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="31"/>
        <source>Image</source>
        <translation>Image</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="32"/>
        <source>Texte</source>
        <translation>Text</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="33"/>
        <source>Fichier</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="40"/>
        <source>{count} octet</source>
        <translation>{count} byte</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="41"/>
        <source>{count} octets</source>
        <translation>{count} bytes</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="42"/>
        <source>Ko</source>
        <translation>KB</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="44"/>
        <source>Mo</source>
        <translation>MB</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="46"/>
        <source>Go</source>
        <translation>GB</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="47"/>
        <source>,</source>
        <comment>decimal separator</comment>
        <translation>.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="106"/>
        <source>Pièces jointes</source>
        <translation>Attachments</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="136"/>
        <source>sans nom</source>
        <translation>unnamed</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="148"/>
        <source>1 pièce jointe</source>
        <translation>1 attachment</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="149"/>
        <source>{count} pièces jointes</source>
        <translation>{count} attachments</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="166"/>
        <source>Aperçu</source>
        <translation>Preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="167"/>
        <source>Ouvrir</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="168"/>
        <source>Enregistrer sous…</source>
        <translation>Save As…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="174"/>
        <source>Tout enregistrer…</source>
        <translation>Save All…</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <location filename="../../ui/widgets/attachment_bar.py" line="92"/>
        <source>Pièce jointe {name}, {kind}, {size}</source>
        <translation>Attachment {name}, {kind}, {size}</translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="65"/>
        <source>Date et heure</source>
        <translation>Date and time</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="66"/>
        <source>Boîte</source>
        <translation>Mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="67"/>
        <source>Personne</source>
        <translation>Person</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="68"/>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="69"/>
        <source>Requête</source>
        <translation>Request</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="70"/>
        <source>Réponse</source>
        <translation>Response</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="71"/>
        <source>Résultat</source>
        <translation>Result</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="124"/>
        <source>Heure du poste (UTC{sign}{h:02d}:{m:02d})</source>
        <translation>Local time (UTC{sign}{h:02d}:{m:02d})</translation>
    </message>
</context>
<context>
    <name>AuditViewer</name>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="176"/>
        <source>Journal d&apos;audit</source>
        <translation>Audit log</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="186"/>
        <source>Boîte aux lettres</source>
        <translation>Mailbox</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="190"/>
        <source>Toutes les boîtes</source>
        <translation>All mailboxes</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="192"/>
        <source>Depuis le</source>
        <translation>Since</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="198"/>
        <source>Date de début</source>
        <translation>Start date</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="203"/>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="204"/>
        <source>Toutes les actions</source>
        <translation>All actions</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="207"/>
        <source>&amp;Actualiser</source>
        <translation>&amp;Refresh</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="209"/>
        <source>&amp;Exporter en CSV…</source>
        <translation>&amp;Export as CSV…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="213"/>
        <source>Boîte :</source>
        <translation>Mailbox:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="217"/>
        <source>Action :</source>
        <translation>Action:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="224"/>
        <source>Entrées du journal d&apos;audit</source>
        <translation>Audit log entries</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="234"/>
        <source>Fermer</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="275"/>
        <source>Chargement…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="288"/>
        <source>Aucune entrée</source>
        <translation>No entries</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="289"/>
        <source>{count} entrée(s)</source>
        <translation>{count} entry(ies)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="292"/>
        <source>Le journal n&apos;a pas pu être lu.</source>
        <translation>The log could not be read.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="297"/>
        <source>Exporter le journal d&apos;audit</source>
        <translation>Export the audit log</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="299"/>
        <source>Fichiers CSV (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="316"/>
        <source>{count} entrée(s) exportée(s).</source>
        <translation>{count} entry(ies) exported.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/audit_viewer.py" line="321"/>
        <source>L&apos;export a échoué.</source>
        <translation>The export failed.</translation>
    </message>
</context>
<context>
    <name>BusyDialog</name>
    <message>
        <location filename="../../ui/dialogs/busy_dialog.py" line="32"/>
        <source>Erreur</source>
        <translation>Error</translation>
    </message>
</context>
<context>
    <name>CardStatusIndicator</name>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="35"/>
        <source>État de la carte CPS</source>
        <translation>CPS card status</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="89"/>
        <source>Carte CPS présente — {holder}</source>
        <translation>CPS card inserted — {holder}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="92"/>
        <source>Carte CPS absente</source>
        <translation>No CPS card</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="100"/>
        <source>Lecteur de carte non configuré</source>
        <translation>Card reader not configured</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="77"/>
        <source>Le lecteur de carte ne répond pas.</source>
        <translation>The card reader does not answer.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="94"/>
        <source>Recherche de la carte CPS…</source>
        <translation>Looking for the CPS card…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/card_status.py" line="96"/>
        <source>Lecteur de carte en erreur</source>
        <translation>Card reader error</translation>
    </message>
</context>
<context>
    <name>CdaPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="139"/>
        <source>Aperçu du document médical</source>
        <translation>Medical document preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="145"/>
        <source>Version structurée du document</source>
        <translation>Structured version of the document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="155"/>
        <source>Avertissements</source>
        <translation>Warnings</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="162"/>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="163"/>
        <source>Classer dans le dossier patient</source>
        <translation>File in patient record</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="165"/>
        <source>Enregistrer sous…</source>
        <translation>Save As…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="199"/>
        <source>Document PDF</source>
        <translation>PDF document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/cda_preview.py" line="200"/>
        <source>Version structurée</source>
        <translation>Structured version</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="103"/>
        <source>{count} o</source>
        <translation>{count} B</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="104"/>
        <source>,</source>
        <comment>decimal separator</comment>
        <translation>.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="107"/>
        <source>{value} Ko</source>
        <translation>{value} KB</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="109"/>
        <source>{value} Mo</source>
        <translation>{value} MB</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="157"/>
        <source>« {name} » est illisible et n&apos;a pas été joint.</source>
        <translation>“{name}” could not be read and was not attached.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="168"/>
        <source>« {name} » refusé : {reason}</source>
        <translation>“{name}” refused: {reason}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="193"/>
        <source>{name} — sans INS qualifié</source>
        <translation>{name} — no qualified INS</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="301"/>
        <source>Nouveau message</source>
        <translation>New Message</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="318"/>
        <source>Rédaction</source>
        <translation>Compose</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="323"/>
        <source>&amp;Envoyer</source>
        <translation>&amp;Send</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="325"/>
        <source>Envoyer le message (Ctrl+Entrée)</source>
        <translation>Send the message (Ctrl+Enter)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="327"/>
        <source>&amp;Joindre…</source>
        <translation>&amp;Attach…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="329"/>
        <source>Joindre des fichiers ou des documents CDA</source>
        <translation>Attach files or CDA documents</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="331"/>
        <source>&amp;Annuaire…</source>
        <translation>&amp;Directory…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="333"/>
        <source>Chercher des destinataires dans l&apos;annuaire</source>
        <translation>Find recipients in the directory</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="349"/>
        <source>Expéditeur</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="351"/>
        <source>Chargement des comptes…</source>
        <translation>Loading accounts…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="354"/>
        <source>Destinataires (À)</source>
        <translation>Recipients (To)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="359"/>
        <source>Destinataires en copie (Cc)</source>
        <translation>Copy recipients (Cc)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="364"/>
        <source>Objet</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="366"/>
        <source>&amp;De :</source>
        <translation>&amp;From:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="366"/>
        <source>&amp;À :</source>
        <translation>&amp;To:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="367"/>
        <source>C&amp;c :</source>
        <translation>C&amp;c:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="368"/>
        <source>&amp;Objet :</source>
        <translation>&amp;Subject:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="375"/>
        <source>Patient des documents structurés</source>
        <translation>Patient of the structured documents</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="377"/>
        <source>Taille du message</source>
        <translation>Message size</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="379"/>
        <source>Erreur d&apos;envoi</source>
        <translation>Sending error</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="385"/>
        <source>Corps du message</source>
        <translation>Message body</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="387"/>
        <source>Écrivez votre message ici.</source>
        <translation>Write your message here.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="394"/>
        <location filename="../../ui/dialogs/composer.py" line="411"/>
        <location filename="../../ui/dialogs/composer.py" line="630"/>
        <source>Pièces jointes</source>
        <translation>Attachments</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="396"/>
        <source>Jo&amp;indre…</source>
        <translation>Att&amp;ach…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="398"/>
        <location filename="../../ui/dialogs/composer.py" line="524"/>
        <source>Joindre des fichiers</source>
        <translation>Attach files</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="400"/>
        <source>&amp;Retirer</source>
        <translation>&amp;Remove</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="402"/>
        <source>Retirer la pièce jointe choisie</source>
        <translation>Remove the selected attachment</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="435"/>
        <source>Demander un accusé de &amp;lecture</source>
        <translation>Request a &amp;read receipt</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="437"/>
        <source>Demander un accusé de lecture</source>
        <translation>Request a read receipt</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="441"/>
        <location filename="../../ui/dialogs/composer.py" line="931"/>
        <source>Envoyer</source>
        <translation>Send</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="443"/>
        <source>Envoyer le message</source>
        <translation>Send the message</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="444"/>
        <source>Ctrl+Entrée</source>
        <translation>Ctrl+Enter</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="493"/>
        <source>{address} (sans nom d&apos;expéditeur)</source>
        <translation>{address} (no sender name)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="497"/>
        <source>Aucun compte configuré</source>
        <translation>No account configured</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="506"/>
        <source>Les comptes n&apos;ont pas pu être lus.</source>
        <translation>The accounts could not be read.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="543"/>
        <source>Lecture des fichiers…</source>
        <translation>Reading files…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="560"/>
        <source>Les fichiers n&apos;ont pas pu être joints.</source>
        <translation>The files could not be attached.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="601"/>
        <source>Patient : {patient}</source>
        <translation>Patient: {patient}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="610"/>
        <source>Objet des documents structurés (règle MSSanté) : {subject}</source>
        <translation>Subject for structured documents (MSSanté rule): {subject}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="616"/>
        <source>{name} — document CDA : {title} ({size})</source>
        <translation>{name} — CDA document: {title} ({size})</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="621"/>
        <source>Envoyé dans le paquet IHE_XDM.ZIP avec son rendu PDF</source>
        <translation>Sent in the IHE_XDM.ZIP package with its PDF rendering</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="629"/>
        <source>Pièces jointes ({count})</source>
        <translation>Attachments ({count})</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="631"/>
        <source>Glissez des fichiers ici pour les joindre. Les documents CDA sont regroupés en un paquet IHE XDM.</source>
        <translation>Drop files here to attach them. CDA documents are grouped into an IHE XDM package.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="713"/>
        <source>Envoi impossible : un destinataire est bloqué par la liste blanche MSSanté. Retirez-le pour envoyer.</source>
        <translation>Cannot send: a recipient is blocked by the MSSanté whitelist. Remove it to send.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="716"/>
        <source>Envoi impossible : {count} destinataires sont bloqués par la liste blanche MSSanté. Retirez-les pour envoyer.</source>
        <translation>Cannot send: {count} recipients are blocked by the MSSanté whitelist. Remove them to send.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="730"/>
        <source>Un patient est destinataire : la messagerie de Mon espace santé refuse les messages de plus de 25 Mo, et celui-ci en ferait environ {size}. Retirez ou allégez des pièces jointes.</source>
        <translation>A patient is a recipient: Mon espace santé messaging refuses messages over 25 MB, and this one would be about {size}. Remove attachments or make them smaller.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="735"/>
        <source>Un patient est destinataire : le message ne doit pas dépasser 25 Mo (environ {size} actuellement).</source>
        <translation>A patient is a recipient: the message must not exceed 25 MB (about {size} now).</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="811"/>
        <source>Brouillon enregistré à {time}</source>
        <translation>Draft saved at {time}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="821"/>
        <source>Le brouillon n&apos;a pas pu être enregistré.</source>
        <translation>The draft could not be saved.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="918"/>
        <source>Choisissez le compte expéditeur.</source>
        <translation>Choose the sending account.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="920"/>
        <source>Ajoutez au moins un destinataire.</source>
        <translation>Add at least one recipient.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="924"/>
        <source>Les pièces jointes sont encore en cours de lecture ; réessayez dans un instant.</source>
        <translation>The attachments are still being read; try again in a moment.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="931"/>
        <source>Envoi…</source>
        <translation>Sending…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="956"/>
        <source>Le message n&apos;a pas pu être mis en boîte d&apos;envoi. Les détails ont été écrits dans le journal.</source>
        <translation>The message could not be placed in the Outbox. The details were written to the log.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="972"/>
        <source>Envoi annulé : le message est revenu en rédaction.</source>
        <translation>Sending cancelled: the message is back in the composer.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="981"/>
        <source>Trop tard : le message est déjà parti.</source>
        <translation>Too late: the message has already been sent.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/composer.py" line="986"/>
        <source>L&apos;envoi n&apos;a pas pu être annulé.</source>
        <translation>Sending could not be cancelled.</translation>
    </message>
</context>
<context>
    <name>ConversationModel</name>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="126"/>
        <source>ouverte</source>
        <translation>open</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="127"/>
        <source>clôturée</source>
        <translation>closed</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="128"/>
        <source>bloquée</source>
        <translation>blocked</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="187"/>
        <source>Patient</source>
        <translation>Patient</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="188"/>
        <source>INS</source>
        <translation>INS</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="189"/>
        <source>Conversation</source>
        <translation>Conversation</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="213"/>
        <source>Patient (nom inconnu)</source>
        <translation>Patient (name unknown)</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="218"/>
        <source>{count} ouverte(s)</source>
        <translation>{count} open</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="219"/>
        <source>aucune ouverte</source>
        <translation>none open</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="223"/>
        <source>{name}, INS {ins}, {address}</source>
        <translation>{name}, INS {ins}, {address}</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="224"/>
        <source>nom inconnu</source>
        <translation>name unknown</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="244"/>
        <source>1 message</source>
        <translation>1 message</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="245"/>
        <source>{count} messages</source>
        <translation>{count} messages</translation>
    </message>
    <message>
        <location filename="../../ui/models/conversation_model.py" line="251"/>
        <source>Bloquée : {reason}</source>
        <translation>Blocked: {reason}</translation>
    </message>
</context>
<context>
    <name>DirectoryDialog</name>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="53"/>
        <source>Annuaire santé</source>
        <translation>Health directory</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="61"/>
        <source>Nom</source>
        <translation>Last name</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="62"/>
        <source>Prénom</source>
        <translation>First name</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="63"/>
        <source>Profession</source>
        <translation>Profession</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="64"/>
        <source>Spécialité</source>
        <translation>Specialty</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="65"/>
        <source>Ville</source>
        <translation>City</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="66"/>
        <source>Code postal</source>
        <translation>Postcode</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="70"/>
        <source>Type de boîte</source>
        <translation>Mailbox type</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="72"/>
        <source>Tous les types</source>
        <translation>All types</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="73"/>
        <source>PER — personnelle</source>
        <translation>PER — personal</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="74"/>
        <source>ORG — organisationnelle</source>
        <translation>ORG — organisational</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="75"/>
        <source>APP — applicative</source>
        <translation>APP — application</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="82"/>
        <source>&amp;Nom :</source>
        <translation>&amp;Last name:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="82"/>
        <source>&amp;Prénom :</source>
        <translation>&amp;First name:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="83"/>
        <source>P&amp;rofession :</source>
        <translation>P&amp;rofession:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="84"/>
        <source>&amp;Spécialité :</source>
        <translation>&amp;Specialty:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="85"/>
        <source>&amp;Ville :</source>
        <translation>&amp;City:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="85"/>
        <source>&amp;Code postal :</source>
        <translation>&amp;Postcode:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="92"/>
        <source>T&amp;ype :</source>
        <translation>T&amp;ype:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="97"/>
        <source>&amp;Rechercher</source>
        <translation>&amp;Search</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="102"/>
        <source>&amp;Effacer</source>
        <translation>C&amp;lear</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="120"/>
        <source>Résultats de la recherche dans l&apos;annuaire</source>
        <translation>Directory search results</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="142"/>
        <source>État de la recherche</source>
        <translation>Search status</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="149"/>
        <source>Ajouter en &amp;À</source>
        <translation>Add to &amp;To</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="153"/>
        <source>Ajouter en C&amp;c</source>
        <translation>Add to C&amp;c</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="158"/>
        <source>&amp;Fermer</source>
        <translation>Cl&amp;ose</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="210"/>
        <source>Indiquez au moins un critère de recherche.</source>
        <translation>Enter at least one search criterion.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="214"/>
        <source>Recherche en cours…</source>
        <translation>Searching…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="231"/>
        <source>Aucune boîte ne correspond à ces critères.</source>
        <translation>No mailbox matches these criteria.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="233"/>
        <source>1 résultat</source>
        <translation>1 result</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="235"/>
        <source>{count} résultats</source>
        <translation>{count} results</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="250"/>
        <source>La recherche dans l&apos;annuaire a échoué. Les détails ont été écrits dans le journal.</source>
        <translation>The directory search failed. The details were written to the log.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/directory_dialog.py" line="271"/>
        <source>{count} adresse(s) ajoutée(s) au message.</source>
        <translation>{count} address(es) added to the message.</translation>
    </message>
</context>
<context>
    <name>DirectoryResultsModel</name>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="51"/>
        <source>Adresse</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="52"/>
        <source>Type</source>
        <translation>Type</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="53"/>
        <source>Nom</source>
        <translation>Last name</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="54"/>
        <source>Profession / Spécialité</source>
        <translation>Profession / Specialty</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="55"/>
        <source>Structure</source>
        <translation>Organisation</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="56"/>
        <source>Ville</source>
        <translation>City</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="62"/>
        <source>Boîte personnelle (un professionnel)</source>
        <translation>Personal mailbox (one professional)</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="64"/>
        <source>Boîte organisationnelle (service, équipe)</source>
        <translation>Organisational mailbox (department, team)</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="66"/>
        <source>Boîte applicative (logiciel)</source>
        <translation>Application mailbox (software)</translation>
    </message>
    <message>
        <location filename="../../ui/models/directory_results_model.py" line="67"/>
        <source>Boîte organisationnelle d&apos;un cabinet</source>
        <translation>Organisational mailbox of a practice</translation>
    </message>
</context>
<context>
    <name>FolderModel</name>
    <message>
        <location filename="../../ui/models/folder_model.py" line="60"/>
        <source>Boîte de réception</source>
        <translation>Inbox</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="62"/>
        <source>Brouillons</source>
        <translation>Drafts</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="63"/>
        <source>Envoyés</source>
        <translation>Sent</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="64"/>
        <source>Archives</source>
        <translation>Archives</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="65"/>
        <source>Indésirables</source>
        <translation>Junk</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="66"/>
        <source>Corbeille</source>
        <translation>Trash</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="174"/>
        <source>Boîte organisationnelle (ORG) {address}, partagée avec vous</source>
        <translation>Organisational mailbox (ORG) {address}, shared with you</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="184"/>
        <source>Dossiers personnels</source>
        <translation>Personal folders</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="185"/>
        <source>Vos dossiers personnels ({login})</source>
        <translation>Your personal folders ({login})</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="345"/>
        <source>Dossiers</source>
        <translation>Folders</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="363"/>
        <source>aucun non lu</source>
        <translation>no unread</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="365"/>
        <source>1 non lu</source>
        <translation>1 unread</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="367"/>
        <source>{count} non lus</source>
        <translation>{count} unread</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="369"/>
        <source>1 message</source>
        <translation>1 message</translation>
    </message>
    <message>
        <location filename="../../ui/models/folder_model.py" line="371"/>
        <source>{count} messages</source>
        <translation>{count} messages</translation>
    </message>
</context>
<context>
    <name>ImagePreview</name>
    <message>
        <location filename="../../ui/widgets/preview/image_preview.py" line="48"/>
        <source>Aperçu de l&apos;image</source>
        <translation>Image preview</translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <location filename="../../ui/dialogs/__init__.py" line="53"/>
        <source>fr</source>
        <translation>en</translation>
    </message>
</context>
<context>
    <name>LockController</name>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="117"/>
        <source>&amp;Verrouiller</source>
        <translation>&amp;Lock</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="120"/>
        <source>Ctrl+Shift+L</source>
        <translation>Ctrl+Shift+L</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="122"/>
        <source>Verrouillé à votre demande.</source>
        <translation>Locked at your request.</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="123"/>
        <source>Se &amp;déconnecter</source>
        <translation>Sign &amp;out</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="171"/>
        <source>Verrouillé après {minutes} min d&apos;inactivité.</source>
        <translation>Locked after {minutes} min of inactivity.</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="210"/>
        <source>Insérez votre carte CPS pour déverrouiller.</source>
        <translation>Insert your CPS card to unlock.</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="229"/>
        <source>Mot de passe incorrect ({count} essai(s)).</source>
        <translation>Incorrect password ({count} attempt(s)).</translation>
    </message>
    <message>
        <location filename="../../ui/services/lock_controller.py" line="264"/>
        <source>La carte CPS a été retirée.</source>
        <translation>The CPS card was removed.</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="34"/>
        <source>Session verrouillée</source>
        <translation>Session locked</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="50"/>
        <source>Estafette est verrouillé</source>
        <translation>Estafette is locked</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="70"/>
        <source>Mot de passe</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="71"/>
        <source>Mot de passe pour déverrouiller</source>
        <translation>Password to unlock</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="72"/>
        <source>&amp;Déverrouiller</source>
        <translation>&amp;Unlock</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="86"/>
        <source>Se reconnecter avec &amp;Pro Santé Connect</source>
        <translation>Sign in again with &amp;Pro Santé Connect</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="94"/>
        <source>Erreur de déverrouillage</source>
        <translation>Unlock error</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="96"/>
        <source>Se dé&amp;connecter</source>
        <translation>Sign &amp;out</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="125"/>
        <source>Session de {user}</source>
        <translation>{user}&apos;s session</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="136"/>
        <source>Carte CPS présente.</source>
        <translation>CPS card inserted.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/lock_screen.py" line="138"/>
        <source>Insérez votre carte CPS pour déverrouiller.</source>
        <translation>Insert your CPS card to unlock.</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="80"/>
        <source>Connexion Pro Santé Connect</source>
        <translation>Pro Santé Connect sign-in</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="117"/>
        <source>Connexion à {account} avec Pro Santé Connect.</source>
        <translation>Signing in to {account} with Pro Santé Connect.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="118"/>
        <source>Connexion avec Pro Santé Connect.</source>
        <translation>Signing in with Pro Santé Connect.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="120"/>
        <source>&amp;Carte CPS</source>
        <translation>&amp;CPS card</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="122"/>
        <source>Application &amp;e-CPS</source>
        <translation>&amp;e-CPS app</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="136"/>
        <source>RPPS (11 chiffres) ou ADELI (9 chiffres)</source>
        <translation>RPPS (11 digits) or ADELI (9 digits)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="137"/>
        <source>Identifiant national (RPPS ou ADELI)</source>
        <translation>National identifier (RPPS or ADELI)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="148"/>
        <source>Identifiant :</source>
        <translation>Login:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="150"/>
        <source>Se &amp;connecter</source>
        <translation>Sign &amp;in</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="154"/>
        <location filename="../../ui/dialogs/login_dialog.py" line="199"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="197"/>
        <source>En attente de validation</source>
        <translation>Waiting for approval</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="226"/>
        <source>&amp;Réessayer</source>
        <translation>&amp;Retry</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="229"/>
        <location filename="../../ui/dialogs/login_dialog.py" line="368"/>
        <source>Fermer</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="265"/>
        <source>Insérez votre carte CPS dans le lecteur.</source>
        <translation>Insert your CPS card into the reader.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="268"/>
        <source>Carte de {name} détectée.</source>
        <translation>{name}&apos;s card detected.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="291"/>
        <source>Envoi de la demande à Pro Santé Connect…</source>
        <translation>Sending the request to Pro Santé Connect…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="301"/>
        <source>Code de vérification :</source>
        <translation>Verification code:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="304"/>
        <source>Code de vérification : {code}</source>
        <translation>Verification code: {code}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="306"/>
        <source>Vérifiez que ce code s&apos;affiche dans la fenêtre de votre carte CPS, puis validez avec votre code PIN.</source>
        <translation>Check that this code appears in your CPS card window, then confirm with your PIN.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="309"/>
        <source>Ouvrez l&apos;application e-CPS sur votre téléphone, vérifiez que le même code s&apos;affiche, puis validez.</source>
        <translation>Open the e-CPS app on your phone, check that the same code appears, then approve.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="327"/>
        <source>Connexion refusée</source>
        <translation>Sign-in refused</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="331"/>
        <source>Délai dépassé</source>
        <translation>Timed out</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="332"/>
        <source>La demande n&apos;a pas été validée à temps.</source>
        <translation>The request was not approved in time.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="336"/>
        <location filename="../../ui/dialogs/login_dialog.py" line="341"/>
        <source>Connexion impossible</source>
        <translation>Cannot sign in</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="342"/>
        <source>Une erreur inattendue est survenue. Les détails ont été écrits dans le journal de l&apos;application.</source>
        <translation>An unexpected error occurred. The details were written to the application log.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="349"/>
        <source>Connexion approuvée</source>
        <translation>Sign-in approved</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="350"/>
        <source>Bienvenue, {name}.</source>
        <translation>Welcome, {name}.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="351"/>
        <source>Vous êtes connecté.</source>
        <translation>You are signed in.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="367"/>
        <source>Continuer</source>
        <translation>Continue</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/windows/main_window.py" line="250"/>
        <source>Estafette — Messagerie sécurisée de santé</source>
        <translation>Estafette — Secure health messaging</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="279"/>
        <source>Comptes de messagerie</source>
        <translation>Mail accounts</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="281"/>
        <source>Vos boîtes MSSanté, chacune avec ses volets Professionnels et Patients</source>
        <translation>Your MSSanté mailboxes, each with its Professionals and Patients panes</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="293"/>
        <source>Dossiers</source>
        <translation>Folders</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="314"/>
        <source>Aucun message sélectionné</source>
        <translation>No message selected</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="316"/>
        <source>Zone de lecture</source>
        <translation>Reading area</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="497"/>
        <source>&amp;Fichier</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="498"/>
        <source>&amp;Nouveau message</source>
        <translation>&amp;New Message</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="499"/>
        <source>Ctrl+N</source>
        <translation>Ctrl+N</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="501"/>
        <source>Nouveau message &amp;patient…</source>
        <translation>New &amp;Patient Message…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="504"/>
        <source>&amp;Ajouter un compte…</source>
        <translation>&amp;Add Account…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="507"/>
        <source>&amp;Synchroniser</source>
        <translation>S&amp;ynchronise</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="508"/>
        <source>F5</source>
        <translation>F5</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="512"/>
        <source>&amp;Brouillons</source>
        <translation>&amp;Drafts</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="514"/>
        <source>Reprendre un brouillon enregistré</source>
        <translation>Resume a saved draft</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="517"/>
        <source>&amp;Quitter</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="518"/>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="521"/>
        <source>&amp;Imprimer…</source>
        <translation>&amp;Print…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="524"/>
        <source>Imprimer le message, ou le document de l&apos;aperçu quand il a le focus (Ctrl+P)</source>
        <translation>Print the message, or the previewed document when it has the focus (Ctrl+P)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="542"/>
        <source>&amp;Édition</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="543"/>
        <source>&amp;Répondre</source>
        <translation>&amp;Reply</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="544"/>
        <source>Ctrl+R</source>
        <translation>Ctrl+R</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="548"/>
        <source>Répondre à &amp;tous</source>
        <translation>Reply &amp;All</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="549"/>
        <source>Ctrl+Shift+R</source>
        <translation>Ctrl+Shift+R</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="551"/>
        <source>&amp;Transférer</source>
        <translation>&amp;Forward</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="552"/>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="557"/>
        <source>&amp;Rechercher dans les messages…</source>
        <translation>&amp;Search messages…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="563"/>
        <source>&amp;Affichage</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="564"/>
        <source>Barre d&apos;é&amp;tat</source>
        <translation>&amp;Status bar</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="572"/>
        <source>&amp;Outils</source>
        <translation>&amp;Tools</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="573"/>
        <source>&amp;Annuaire</source>
        <translation>&amp;Directory</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="574"/>
        <source>Ctrl+Shift+B</source>
        <translation>Ctrl+Shift+B</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="576"/>
        <source>&amp;Journal d&apos;audit…</source>
        <translation>&amp;Audit Log…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="578"/>
        <source>&amp;Paramètres…</source>
        <translation>&amp;Settings…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="581"/>
        <source>Phrase de passe du p&amp;rofil…</source>
        <translation>P&amp;rofile passphrase…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="584"/>
        <source>Protéger la clé du profil par une phrase de passe, en changer ou la retirer</source>
        <translation>Protect the profile&apos;s key with a passphrase, change it or remove it</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="591"/>
        <source>Ai&amp;de</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="592"/>
        <source>À &amp;propos d&apos;Estafette</source>
        <translation>&amp;About Estafette</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="598"/>
        <source>Barre principale</source>
        <translation>Main toolbar</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="627"/>
        <source>&amp;Message</source>
        <translation>&amp;Message</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="628"/>
        <location filename="../../ui/windows/main_window.py" line="726"/>
        <source>Marquer comme &amp;lu</source>
        <translation>Mark as &amp;read</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="629"/>
        <source>M</source>
        <translation>M</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="631"/>
        <source>Marquer les messages sélectionnés comme lus ou non lus (M)</source>
        <translation>Mark the selected messages as read or unread (M)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="633"/>
        <location filename="../../ui/windows/main_window.py" line="730"/>
        <source>Marquer d&apos;un &amp;drapeau</source>
        <translation>&amp;Flag</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="634"/>
        <source>S</source>
        <translation>S</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="636"/>
        <source>Marquer les messages sélectionnés d&apos;un drapeau, ou le retirer (S)</source>
        <translation>Flag the selected messages, or remove the flag (S)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="638"/>
        <source>Dé&amp;placer vers…</source>
        <translation>&amp;Move to…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="639"/>
        <source>Ctrl+Shift+M</source>
        <translation>Ctrl+Shift+M</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="641"/>
        <source>Déplacer les messages sélectionnés vers un autre dossier (Ctrl+Maj+M)</source>
        <translation>Move the selected messages to another folder (Ctrl+Shift+M)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="643"/>
        <source>Déplacer &amp;vers</source>
        <translation>Move &amp;to</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="646"/>
        <source>Choisir le dossier où déplacer les messages sélectionnés</source>
        <translation>Choose the folder to move the selected messages to</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="648"/>
        <source>&amp;Supprimer</source>
        <translation>&amp;Delete</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="651"/>
        <source>Mettre les messages sélectionnés à la corbeille (Suppr) ; dans la corbeille, les supprimer définitivement</source>
        <translation>Move the selected messages to the trash (Del); in the trash, delete them for good</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="728"/>
        <source>Marquer comme &amp;non lu</source>
        <translation>Mark as &amp;unread</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="732"/>
        <source>Retirer le &amp;drapeau</source>
        <translation>Remove the &amp;flag</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="770"/>
        <source>La liste a changé pendant la lecture de la sélection ; sélectionnez à nouveau les messages.</source>
        <translation>The list changed while the selection was being read; select the messages again.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="913"/>
        <source>Supprimer définitivement le message sélectionné ?</source>
        <translation>Delete the selected message for good?</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="915"/>
        <source>Supprimer définitivement les {count} messages sélectionnés ?</source>
        <translation>Delete the {count} selected messages for good?</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="917"/>
        <source>Supprimer définitivement</source>
        <translation>Delete for good</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="921"/>
        <source>Ils seront supprimés de ce poste et du serveur. Cette action est irréversible.</source>
        <translation>They will be deleted from this workstation and from the server. This cannot be undone.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="923"/>
        <source>Ce compte n&apos;a pas de corbeille : ils seront supprimés de ce poste et du serveur. Cette action est irréversible.</source>
        <translation>This account has no trash: they will be deleted from this workstation and from the server. This cannot be undone.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="925"/>
        <source>&amp;Supprimer définitivement</source>
        <translation>&amp;Delete for good</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="928"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="947"/>
        <source>Aucun autre dossier</source>
        <translation>No other folder</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1069"/>
        <source>Aucun brouillon</source>
        <translation>No draft</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1076"/>
        <source>{subject} — {when}</source>
        <translation>{subject} — {when}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1132"/>
        <source>Ce brouillon n&apos;est pas encore téléchargé ; réessayez après la synchronisation.</source>
        <translation>This draft is not downloaded yet; try again after the synchronisation.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1224"/>
        <source>Aucun mot de passe n&apos;est enregistré pour ce compte.</source>
        <translation>No password is saved for this account.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1225"/>
        <source>Le serveur a refusé le mot de passe enregistré.</source>
        <translation>The server refused the saved password.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1244"/>
        <source>mot de passe requis — connexion annulée (Synchroniser pour réessayer)</source>
        <translation>password needed — login cancelled (Synchronise to try again)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1258"/>
        <source>Une synchronisation est en cours ; réessayez dans un instant.</source>
        <translation>A synchronisation is running; try again in a moment.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1297"/>
        <source>la connexion a échoué (détails dans le journal)</source>
        <translation>the connection failed (details in the log)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1301"/>
        <source>Le serveur a refusé ce mot de passe. Vérifiez-le et réessayez.</source>
        <translation>The server refused this password. Check it and try again.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1305"/>
        <source>La connexion a échoué. Les détails ont été écrits dans le journal.</source>
        <translation>The connection failed. The details were written to the log.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1360"/>
        <source>Une erreur inattendue est survenue. Les détails ont été écrits dans le journal.</source>
        <translation>An unexpected error occurred. The details were written to the log.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1396"/>
        <source>Aucun compte</source>
        <translation>No account</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1398"/>
        <source>1 compte</source>
        <translation>1 account</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1400"/>
        <source>{count} comptes</source>
        <translation>{count} accounts</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1565"/>
        <source>Nouveau message patient</source>
        <translation>New patient message</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1624"/>
        <source>Le contenu de ce message n&apos;est pas encore téléchargé.</source>
        <translation>The content of this message has not been downloaded yet.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1674"/>
        <source>L&apos;accusé de lecture n&apos;a pas pu être préparé.</source>
        <translation>The read receipt could not be prepared.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1677"/>
        <source>Accusé de lecture placé dans la boîte d&apos;envoi.</source>
        <translation>Read receipt placed in the outbox.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1747"/>
        <source>pièce jointe</source>
        <translation>attachment</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1074"/>
        <location filename="../../ui/windows/main_window.py" line="1815"/>
        <source>(sans objet)</source>
        <translation>(no subject)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1834"/>
        <source>Rien à imprimer pour l&apos;instant : le document n&apos;est pas encore affiché.</source>
        <translation>Nothing to print yet: the document is not shown yet.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1846"/>
        <source>Document envoyé à l&apos;imprimante.</source>
        <translation>Sent to the printer.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1849"/>
        <source>L&apos;impression a échoué.</source>
        <translation>Printing failed.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1862"/>
        <source>Enregistrer la pièce jointe</source>
        <translation>Save Attachment</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1874"/>
        <source>Pièce jointe enregistrée.</source>
        <translation>Attachment saved.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1890"/>
        <source>Choisir le dossier patient</source>
        <translation>Choose the patient record folder</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1932"/>
        <source>Document classé : {name}</source>
        <translation>Document filed: {name}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1992"/>
        <source>Le {date}, {sender} a écrit :</source>
        <translation>On {date}, {sender} wrote:</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2017"/>
        <source>-------- Message transféré --------</source>
        <translation>-------- Forwarded message --------</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2018"/>
        <source>De : {value}</source>
        <translation>From: {value}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2019"/>
        <source>Date : {value}</source>
        <translation>Date: {value}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2020"/>
        <source>Objet : {value}</source>
        <translation>Subject: {value}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2021"/>
        <source>À : {value}</source>
        <translation>To: {value}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2023"/>
        <source>Cc : {value}</source>
        <translation>Cc: {value}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2128"/>
        <source>La clé du profil est maintenant protégée par la nouvelle phrase de passe.</source>
        <translation>The profile&apos;s key is now protected by the new passphrase.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2130"/>
        <source>La clé du profil n&apos;est plus protégée par une phrase de passe.</source>
        <translation>The profile&apos;s key is no longer protected by a passphrase.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2135"/>
        <source>La phrase de passe n&apos;a pas pu être changée. Les détails ont été écrits dans le journal.</source>
        <translation>The passphrase could not be changed. The details were written to the log.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2162"/>
        <source>Paramètres enregistrés.</source>
        <translation>Settings saved.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="1294"/>
        <location filename="../../ui/windows/main_window.py" line="2279"/>
        <source>la synchronisation a échoué (détails dans le journal)</source>
        <translation>synchronisation failed (details in the log)</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2214"/>
        <source>Journal d&apos;audit</source>
        <translation>Audit trail</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2215"/>
        <source>Le journal d&apos;audit d&apos;une boîte organisationnelle est réservé à son responsable (droit d&apos;administration de la boîte sur le serveur). Aucune de vos boîtes ne vous donne ce droit, ou la boîte n&apos;a pas encore été synchronisée.</source>
        <translation>An organisational mailbox&apos;s audit trail is for the person in charge of it (the right to administer the mailbox on the server). None of your mailboxes gives you that right, or the mailbox has not been synchronised yet.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2474"/>
        <source>Estafette</source>
        <translation>Estafette</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2475"/>
        <source>Le magasin chiffré est endommagé.</source>
        <translation>The encrypted store is damaged.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2555"/>
        <source>À propos d&apos;Estafette</source>
        <translation>About Estafette</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2556"/>
        <source>Estafette {version}</source>
        <translation>Estafette {version}</translation>
    </message>
    <message>
        <location filename="../../ui/windows/main_window.py" line="2558"/>
        <source>Client de bureau pour la messagerie sécurisée de santé MSSanté.</source>
        <translation>Desktop client for MSSanté, the French secure health messaging space.</translation>
    </message>
</context>
<context>
    <name>MessageListModel</name>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="146"/>
        <source>Remise différée</source>
        <translation>Delivery delayed</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="147"/>
        <source>Distribué</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="148"/>
        <source>Lu par le destinataire</source>
        <translation>Read by the recipient</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="149"/>
        <source>Problème de remise</source>
        <translation>Delivery problem</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="332"/>
        <source>La liste des messages n&apos;a pas pu être lue.</source>
        <translation>The message list could not be read.</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="481"/>
        <source>De</source>
        <translation>From</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="482"/>
        <location filename="../../ui/models/message_list_model.py" line="488"/>
        <source>Objet</source>
        <translation>Subject</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="483"/>
        <location filename="../../ui/models/message_list_model.py" line="489"/>
        <source>Date</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="485"/>
        <source>Pièces jointes et documents XDM</source>
        <translation>Attachments and XDM documents</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="487"/>
        <source>Expéditeur</source>
        <translation>Sender</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="490"/>
        <source>Accusés de réception</source>
        <translation>Receipts</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="517"/>
        <location filename="../../ui/models/message_list_model.py" line="566"/>
        <source>Chargement…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="524"/>
        <location filename="../../ui/models/message_list_model.py" line="573"/>
        <source>(sans objet)</source>
        <translation>(no subject)</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="592"/>
        <source>Documents de santé structurés (XDM)</source>
        <translation>Structured health documents (XDM)</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="594"/>
        <source>Pièces jointes</source>
        <translation>Attachments</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="605"/>
        <source>non lu</source>
        <translation>unread</translation>
    </message>
    <message>
        <location filename="../../ui/models/message_list_model.py" line="606"/>
        <source>lu</source>
        <translation>read</translation>
    </message>
</context>
<context>
    <name>MessageListView</name>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="158"/>
        <source>Rechercher dans les messages</source>
        <translation>Search messages</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="205"/>
        <source>Rechercher dans {name}…</source>
        <translation>Search {name}…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="207"/>
        <source>Rechercher dans les messages…</source>
        <translation>Search messages…</translation>
    </message>
</context>
<context>
    <name>MessagePanel</name>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="90"/>
        <source>Enregistrer sous…</source>
        <translation>Save As…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="91"/>
        <source>Enregistrer la pièce jointe</source>
        <translation>Save Attachment</translation>
    </message>
</context>
<context>
    <name>MessageReader</name>
    <message>
        <location filename="../../ui/widgets/reader.py" line="237"/>
        <source>Lecture du message</source>
        <translation>Message reader</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="246"/>
        <source>De :</source>
        <translation>From:</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="246"/>
        <source>À :</source>
        <translation>To:</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="247"/>
        <source>Cc :</source>
        <translation>Cc:</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="247"/>
        <source>Date :</source>
        <translation>Date:</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="248"/>
        <source>Objet :</source>
        <translation>Subject:</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="285"/>
        <source>L&apos;expéditeur demande un accusé de lecture.</source>
        <translation>The sender asks for a read receipt.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="289"/>
        <source>Envoyer l&apos;accusé</source>
        <translation>Send the receipt</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="291"/>
        <source>Ignorer</source>
        <translation>Ignore</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="305"/>
        <source>Corps du message</source>
        <translation>Message body</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="335"/>
        <source>(sans objet)</source>
        <translation>(no subject)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="347"/>
        <source>Images distantes bloquées ({count})</source>
        <translation>Remote images blocked ({count})</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="350"/>
        <source>Ce message voulait charger des images depuis Internet. Elles ne sont pas téléchargées : cela révélerait à l&apos;expéditeur que vous l&apos;avez ouvert.</source>
        <translation>This message tried to load images from the Internet. They are not downloaded: that would tell the sender you opened it.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/reader.py" line="354"/>
        <source>Message endommagé : {reason}</source>
        <translation>Damaged message: {reason}</translation>
    </message>
</context>
<context>
    <name>MessageTable</name>
    <message>
        <location filename="../../ui/widgets/message_list.py" line="118"/>
        <source>Liste des messages</source>
        <translation>Message list</translation>
    </message>
</context>
<context>
    <name>MoveToFolderDialog</name>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="120"/>
        <source>Déplacer vers un dossier</source>
        <translation>Move to a folder</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="123"/>
        <source>Déplacer le message sélectionné vers :</source>
        <translation>Move the selected message to:</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="125"/>
        <source>Déplacer les {count} messages sélectionnés vers :</source>
        <translation>Move the {count} selected messages to:</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="131"/>
        <source>Filtrer les dossiers…</source>
        <translation>Filter the folders…</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="132"/>
        <source>Filtrer les dossiers</source>
        <translation>Filter the folders</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="135"/>
        <source>Dossier de destination</source>
        <translation>Destination folder</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="145"/>
        <source>&amp;Déplacer</source>
        <translation>&amp;Move</translation>
    </message>
    <message>
        <location filename="../../ui/windows/message_actions.py" line="147"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>NewPatientMessageDialog</name>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="39"/>
        <source>Nouveau message patient</source>
        <translation>New patient message</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="42"/>
        <source>Le message part vers la messagerie de Mon espace santé du patient. Son adresse est construite à partir de son INS, qui doit être qualifié.</source>
        <translation>The message goes to the patient&apos;s Mon espace santé messaging. Its address is built from the patient&apos;s INS, which must be qualified.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="47"/>
        <source>Matricule INS du patient</source>
        <translation>Patient&apos;s INS number</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="48"/>
        <source>15 caractères, clé comprise</source>
        <translation>15 characters, including the key</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="49"/>
        <source>L&apos;identité du patient est qualifiée</source>
        <translation>The patient&apos;s identity is qualified</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="57"/>
        <source>INS :</source>
        <translation>INS:</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="61"/>
        <source>Rédiger</source>
        <translation>Write</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="62"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>PassphraseChangeDialog</name>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="35"/>
        <source>Phrase de passe du profil</source>
        <translation>Profile passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="43"/>
        <source>Phrase de passe actuelle</source>
        <translation>Current passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="45"/>
        <source>Nouvelle phrase de passe</source>
        <translation>New passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="47"/>
        <source>Nouvelle phrase de passe, à nouveau</source>
        <translation>New passphrase, again</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="48"/>
        <source>Ne plus protéger la clé par une phrase de passe</source>
        <translation>No longer protect the key with a passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="56"/>
        <source>&amp;Nouvelle phrase de passe :</source>
        <translation>&amp;New passphrase:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="58"/>
        <source>&amp;Confirmation :</source>
        <translation>C&amp;onfirmation:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="65"/>
        <source>&amp;Enregistrer</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="54"/>
        <source>Phrase de passe ac&amp;tuelle :</source>
        <translation>&amp;Current passphrase:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="69"/>
        <source>&amp;Annuler</source>
        <translation>C&amp;ancel</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="77"/>
        <source>La clé de ce profil est protégée par une phrase de passe. Vous pouvez en changer, ou retirer cette protection. Les messages ne sont pas rechiffrés : seule la protection de la clé change.</source>
        <translation>This profile&apos;s key is protected by a passphrase. You can change it, or remove this protection. The messages are not re-encrypted: only the key&apos;s protection changes.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="80"/>
        <source>La clé de ce profil n&apos;est pas protégée par une phrase de passe. Avec une phrase de passe, le profil ne s&apos;ouvre plus sans elle, même avec l&apos;accès au trousseau système ou au fichier de clé. Elle ne peut pas être retrouvée si vous l&apos;oubliez.</source>
        <translation>This profile&apos;s key is not protected by a passphrase. With a passphrase, the profile no longer opens without it, even with access to the system keyring or the key file. It cannot be recovered if you forget it.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="119"/>
        <source>Saisissez la phrase de passe actuelle.</source>
        <translation>Type the current passphrase.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="127"/>
        <source>Saisissez la nouvelle phrase de passe.</source>
        <translation>Type the new passphrase.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="130"/>
        <source>Les deux saisies de la nouvelle phrase de passe diffèrent.</source>
        <translation>The two entries of the new passphrase differ.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_change_dialog.py" line="106"/>
        <source>Protection de la clé en cours…</source>
        <translation>Protecting the key…</translation>
    </message>
</context>
<context>
    <name>PassphraseDialog</name>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="43"/>
        <source>Estafette — profil protégé</source>
        <translation>Estafette — protected profile</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="46"/>
        <source>Ce profil est protégé par une phrase de passe. Saisissez-la pour l&apos;ouvrir.</source>
        <translation>This profile is protected by a passphrase. Type it to open the profile.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="56"/>
        <source>Phrase de passe du profil</source>
        <translation>Profile passphrase</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="58"/>
        <source>Saisie masquée. Entrée pour ouvrir le profil, Échap pour quitter.</source>
        <translation>Masked input. Enter opens the profile, Escape quits.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="61"/>
        <source>Profil :</source>
        <translation>Profile:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="62"/>
        <source>&amp;Phrase de passe :</source>
        <translation>&amp;Passphrase:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="65"/>
        <source>&amp;Ouvrir</source>
        <translation>&amp;Open</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="67"/>
        <source>Ouvrir le profil</source>
        <translation>Open the profile</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="70"/>
        <source>&amp;Quitter</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="72"/>
        <source>Quitter sans ouvrir le profil</source>
        <translation>Quit without opening the profile</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="91"/>
        <source>Saisissez la phrase de passe.</source>
        <translation>Type the passphrase.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/passphrase_dialog.py" line="84"/>
        <source>Ouverture du profil…</source>
        <translation>Opening the profile…</translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="415"/>
        <source>Connexion à {address}</source>
        <translation>Sign in to {address}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="418"/>
        <source>Mot de passe de la boîte {address}</source>
        <translation>Password for mailbox {address}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="430"/>
        <source>Mot de passe</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="438"/>
        <source>Identifiant :</source>
        <translation>Login:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="439"/>
        <source>Mot de passe :</source>
        <translation>Password:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="440"/>
        <source>Se &amp;connecter</source>
        <translation>Sign &amp;in</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="444"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/login_dialog.py" line="462"/>
        <source>Saisissez votre mot de passe.</source>
        <translation>Enter your password.</translation>
    </message>
</context>
<context>
    <name>PatientPane</name>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="96"/>
        <source>Volet Patients</source>
        <translation>Patients pane</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="101"/>
        <source>Patients</source>
        <translation>Patients</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="106"/>
        <source>Nouveau message patient</source>
        <translation>New patient message</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="109"/>
        <source>Écrire à un patient (messagerie de Mon espace santé) : c&apos;est toujours le professionnel qui ouvre l&apos;échange.</source>
        <translation>Write to a patient (Mon espace santé messaging): the professional always starts the exchange.</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="112"/>
        <source>Tous les patients</source>
        <translation>All patients</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="114"/>
        <source>Montrer à nouveau les messages de tous les patients</source>
        <translation>Show every patient&apos;s messages again</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="120"/>
        <source>Patients et conversations</source>
        <translation>Patients and conversations</translation>
    </message>
    <message>
        <location filename="../../ui/windows/patient_pane.py" line="133"/>
        <source>Aucune conversation avec un patient dans cette boîte.
« Nouveau message patient » en ouvre une.</source>
        <translation>No conversation with a patient in this mailbox.
“New patient message” starts one.</translation>
    </message>
</context>
<context>
    <name>PdfPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="44"/>
        <source>Aperçu du document PDF</source>
        <translation>PDF document preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="51"/>
        <source>Pages du document PDF</source>
        <translation>Pages of the PDF document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="53"/>
        <source>Page précédente</source>
        <translation>Previous page</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="54"/>
        <source>Page suivante</source>
        <translation>Next page</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="57"/>
        <source>Numéro de page</source>
        <translation>Page number</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="60"/>
        <source>Zoom arrière</source>
        <translation>Zoom out</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="61"/>
        <source>Zoom avant</source>
        <translation>Zoom in</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="62"/>
        <source>Ajuster à la largeur</source>
        <translation>Fit to width</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="68"/>
        <source>Page</source>
        <translation>Page</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="104"/>
        <source>Ce PDF est trop volumineux pour être prévisualisé.</source>
        <translation>This PDF is too large to preview.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="107"/>
        <source>Ce fichier n&apos;est pas un PDF lisible.</source>
        <translation>This file is not a readable PDF.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="137"/>
        <source>sur %n</source>
        <translation>
            <numerusform>of %n</numerusform>
            <numerusform>of %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="147"/>
        <source>Ce PDF est protégé par un mot de passe : ouvrez-le avec une autre application après l&apos;avoir enregistré.</source>
        <translation>This PDF is password-protected: save it, then open it with another application.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="150"/>
        <source>Ce PDF est endommagé ou n&apos;est pas un PDF lisible.</source>
        <translation>This PDF is damaged or not a readable PDF.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/pdf_preview.py" line="196"/>
        <source>Largeur</source>
        <translation>Width</translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="70"/>
        <source>L&apos;aperçu de ce document a échoué.</source>
        <translation>The preview of this document failed.</translation>
    </message>
</context>
<context>
    <name>PreviewDispatcher</name>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="56"/>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="65"/>
        <source>un PDF</source>
        <translation>a PDF</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="57"/>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="66"/>
        <source>une archive ZIP</source>
        <translation>a ZIP archive</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="58"/>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="67"/>
        <source>une image</source>
        <translation>an image</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="59"/>
        <source>un document XML</source>
        <translation>an XML document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="60"/>
        <source>un fichier texte</source>
        <translation>a text file</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="61"/>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="70"/>
        <source>une page HTML</source>
        <translation>an HTML page</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="62"/>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="71"/>
        <source>une image SVG</source>
        <translation>an SVG image</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="68"/>
        <source>un document CDA</source>
        <translation>a CDA document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="69"/>
        <source>du XML</source>
        <translation>XML</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="72"/>
        <source>du texte</source>
        <translation>text</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="73"/>
        <source>des données binaires</source>
        <translation>binary data</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="169"/>
        <source>Archive ZIP illisible ou endommagée.</source>
        <translation>Unreadable or damaged ZIP archive.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="174"/>
        <source>Archive refusée : un de ses fichiers porte un chemin qui sortirait de l&apos;archive.</source>
        <translation>Archive refused: one of its files has a path that would leave the archive.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="185"/>
        <source>Archive ZIP : son contenu n&apos;est pas prévisualisé.</source>
        <translation>ZIP archive: its content is not previewed.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="189"/>
        <source>Paquet IHE XDM imbriqué dans un autre : non ouvert.</source>
        <translation>IHE XDM package nested in another one: not opened.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="204"/>
        <source>Le fichier est vide.</source>
        <translation>The file is empty.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="210"/>
        <source>Le fichier se présente comme {claim} mais contient {content} : il n&apos;est pas affiché par prudence.</source>
        <translation>The file claims to be {claim} but contains {content}: it is not shown, as a precaution.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="229"/>
        <source>Ce fichier contient une page HTML sans le déclarer : il n&apos;est pas affiché.</source>
        <translation>This file contains an undeclared HTML page: it is not shown.</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="235"/>
        <source>Les images SVG ne sont pas prévisualisées (elles peuvent contenir des scripts).</source>
        <translation>SVG images are not previewed (they may contain scripts).</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="239"/>
        <source>Ce type de fichier n&apos;a pas d&apos;aperçu.</source>
        <translation>This type of file has no preview.</translation>
    </message>
</context>
<context>
    <name>PreviewFrame</name>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="121"/>
        <source>Chargement…</source>
        <translation>Loading…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="123"/>
        <source>Chargement de l&apos;aperçu</source>
        <translation>Loading the preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/base.py" line="160"/>
        <source>Aperçu impossible</source>
        <translation>Preview unavailable</translation>
    </message>
</context>
<context>
    <name>PreviewPanel</name>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="90"/>
        <source>Aperçu du document</source>
        <translation>Document preview</translation>
    </message>
</context>
<context>
    <name>PreviewWindow</name>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="171"/>
        <source>Aperçu — {name}</source>
        <translation>Preview — {name}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="172"/>
        <source>Aperçu du document</source>
        <translation>Document preview</translation>
    </message>
</context>
<context>
    <name>Printing</name>
    <message>
        <location filename="../../ui/printing.py" line="50"/>
        <source>Imprimer</source>
        <translation>Print</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="75"/>
        <source>De :</source>
        <translation>From:</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="76"/>
        <source>À :</source>
        <translation>To:</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="78"/>
        <source>Cc :</source>
        <translation>Cc:</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="79"/>
        <source>Date :</source>
        <translation>Date:</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="80"/>
        <source>Objet :</source>
        <translation>Subject:</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="83"/>
        <source>Pièces jointes :</source>
        <translation>Attachments:</translation>
    </message>
</context>
<context>
    <name>RecipientChip</name>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="182"/>
        <source>Retirer ce destinataire</source>
        <translation>Remove this recipient</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="183"/>
        <source>Retirer {address}</source>
        <translation>Remove {address}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="201"/>
        <source>autorisé</source>
        <translation>allowed</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="204"/>
        <source>bloqué</source>
        <translation>blocked</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="207"/>
        <source>vérification en cours</source>
        <translation>checking</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="221"/>
        <source>Destinataire {address}, {status}</source>
        <translation>Recipient {address}, {status}</translation>
    </message>
</context>
<context>
    <name>RecipientField</name>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="286"/>
        <source>Nom ou adresse MSSanté</source>
        <translation>Name or MSSanté address</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="308"/>
        <source>Suggestions de l&apos;annuaire</source>
        <translation>Directory suggestions</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/recipient_field.py" line="419"/>
        <source>La liste blanche n&apos;a pas pu être consultée ; l&apos;adresse est bloquée par prudence.</source>
        <translation>The whitelist could not be checked; the address is blocked as a precaution.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="94"/>
        <source>Demander à chaque fois</source>
        <translation>Ask every time</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="95"/>
        <source>Toujours envoyer</source>
        <translation>Always send</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="96"/>
        <source>Ne jamais envoyer</source>
        <translation>Never send</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="115"/>
        <source>Paramètres</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="128"/>
        <source>Général</source>
        <translation>General</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="129"/>
        <source>Liste blanche</source>
        <translation>Whitelist</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="130"/>
        <source>Annuaire</source>
        <translation>Directory</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="131"/>
        <source>Comptes</source>
        <translation>Accounts</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="145"/>
        <source>Enregistrer</source>
        <translation>Save</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="146"/>
        <source>Annuler</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="171"/>
        <location filename="../../ui/dialogs/settings_dialog.py" line="236"/>
        <source>Parcourir…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="179"/>
        <source>Choisir un dossier</source>
        <translation>Choose a folder</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="180"/>
        <source>Choisir un fichier</source>
        <translation>Choose a file</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="192"/>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="194"/>
        <source>Délai de verrouillage en minutes</source>
        <translation>Lock delay in minutes</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="195"/>
        <source>Au plus 2 heures (120 minutes).</source>
        <translation>At most 2 hours (120 minutes).</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="281"/>
        <source>Verrouiller quand la carte CPS est retirée</source>
        <translation>Lock when the CPS card is removed</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="201"/>
        <source>Langue de l&apos;interface</source>
        <translation>Interface language</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="202"/>
        <source>Le changement de langue prend effet au prochain démarrage.</source>
        <translation>The language change takes effect at the next start.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="211"/>
        <source>Dossier des documents classés</source>
        <translation>Folder for filed documents</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="213"/>
        <source>Verrouillage après inactivité :</source>
        <translation>Lock after inactivity:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="214"/>
        <source>Langue :</source>
        <translation>Language:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="216"/>
        <source>Dossier patient (export) :</source>
        <translation>Patient record (export):</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="425"/>
        <source>Adresse de la liste blanche</source>
        <translation>Whitelist address</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="428"/>
        <source>Certificat d&apos;autorité de la liste blanche</source>
        <translation>Whitelist authority certificate</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="430"/>
        <source>Adresse (URL) :</source>
        <translation>Address (URL):</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="431"/>
        <source>Autorité de certification :</source>
        <translation>Certificate authority:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="438"/>
        <source>Fichier d&apos;extraction de l&apos;annuaire</source>
        <translation>Directory extract file</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="439"/>
        <source>Adresse LDAP</source>
        <translation>LDAP address</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="442"/>
        <source>Base de recherche LDAP</source>
        <translation>LDAP search base</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="445"/>
        <source>Adresse de l&apos;API Annuaire Santé</source>
        <translation>Annuaire Santé API address</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="446"/>
        <source>Clé d&apos;API Annuaire Santé</source>
        <translation>Annuaire Santé API key</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="449"/>
        <source>Clé enregistrée (laisser vide pour la garder)</source>
        <translation>Key saved (leave empty to keep it)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="450"/>
        <source>Aucune clé enregistrée</source>
        <translation>No key saved</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="451"/>
        <source>Oublier la clé enregistrée</source>
        <translation>Forget the saved key</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="455"/>
        <source>Extraction de l&apos;annuaire :</source>
        <translation>Directory extract:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="457"/>
        <source>Annuaire LDAP :</source>
        <translation>LDAP directory:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="458"/>
        <source>Base LDAP :</source>
        <translation>LDAP base:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="459"/>
        <source>API Annuaire Santé (FHIR) :</source>
        <translation>Annuaire Santé API (FHIR):</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="460"/>
        <source>Clé d&apos;API :</source>
        <translation>API key:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="469"/>
        <source>Aucun compte.</source>
        <translation>No account.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="477"/>
        <source>Accusés de lecture pour {address}</source>
        <translation>Read receipts for {address}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="480"/>
        <source>Accusés de lecture — {address} :</source>
        <translation>Read receipts — {address}:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="224"/>
        <source>Carte CPS</source>
        <translation>CPS card</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="134"/>
        <source>Révocation</source>
        <translation>Revocation</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="227"/>
        <source>Module PKCS#11 de la carte CPS</source>
        <translation>PKCS#11 module of the CPS card</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="228"/>
        <source>Aucun lecteur configuré</source>
        <translation>No reader configured</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="230"/>
        <source>Chemin absolu du module PKCS#11 du logiciel de la carte CPS (cryptolib), par exemple /usr/lib/libcps3_pkcs11_lin.so. Vide : la carte n&apos;est pas surveillée.</source>
        <translation>Absolute path of the PKCS#11 module of the CPS card software (cryptolib), for example /usr/lib/libcps3_pkcs11_lin.so. Empty: the card is not watched.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="247"/>
        <source>Utiliser ce module</source>
        <translation>Use this module</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="261"/>
        <source>Libellé de la carte</source>
        <translation>Card label</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="262"/>
        <source>Facultatif : toute carte CPS</source>
        <translation>Optional: any CPS card</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="266"/>
        <source>Emplacement du lecteur</source>
        <translation>Reader slot</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="267"/>
        <source>Facultatif : tous les lecteurs</source>
        <translation>Optional: every reader</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="269"/>
        <source>&amp;Tester</source>
        <translation>&amp;Test</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="272"/>
        <source>Charger le module à part et lister les cartes qu&apos;il voit</source>
        <translation>Load the module separately and list the cards it sees</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="277"/>
        <source>Résultat du test de la carte</source>
        <translation>Card test result</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="285"/>
        <source>Quand la session a été ouverte avec la carte (Pro Santé Connect, carte CPS).</source>
        <translation>When the session was opened with the card (Pro Santé Connect, CPS card).</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="288"/>
        <source>Module PKCS#11 :</source>
        <translation>PKCS#11 module:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="290"/>
        <source>Libellé de la carte :</source>
        <translation>Card label:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="291"/>
        <source>Emplacement (slot) :</source>
        <translation>Slot:</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="319"/>
        <source>Module de la carte CPS trouvé : {path}</source>
        <translation>CPS card module found: {path}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="330"/>
        <source>Choisir le module PKCS#11 de la carte CPS</source>
        <translation>Choose the CPS card&apos;s PKCS#11 module</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="333"/>
        <source>Modules PKCS#11 (*.so *.so.* *.dylib *.dll)</source>
        <translation>PKCS#11 modules (*.so *.so.* *.dylib *.dll)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="334"/>
        <source>Tous les fichiers (*)</source>
        <translation>All files (*)</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="355"/>
        <source>Indiquez le chemin du module PKCS#11 de la carte CPS.</source>
        <translation>Give the path of the CPS card&apos;s PKCS#11 module.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="364"/>
        <source>Test du module en cours…</source>
        <translation>Testing the module…</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="375"/>
        <source>Module chargé ({library}).</source>
        <translation>Module loaded ({library}).</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="377"/>
        <source>Carte trouvée : {label} — {holder} (emplacement {slot})</source>
        <translation>Card found: {label} — {holder} (slot {slot})</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="386"/>
        <source>Module chargé ({library}), mais aucune carte CPS ne correspond aux réglages. Jetons vus : {labels}.</source>
        <translation>Module loaded ({library}), but no CPS card matches the settings. Tokens seen: {labels}.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="390"/>
        <source>Module chargé ({library}), mais aucune carte n&apos;est dans le lecteur.</source>
        <translation>Module loaded ({library}), but there is no card in the reader.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="399"/>
        <source>Le test du module a échoué (détails dans le journal).</source>
        <translation>The module test failed (details in the log).</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="490"/>
        <source>Les certificats des serveurs de messagerie sont vérifiés contre les listes de révocation (CRL) de leurs autorités, téléchargées à ces adresses et gardées sur ce poste. Sans adresse, la révocation n&apos;est pas vérifiée ; avec des adresses, un serveur dont l&apos;autorité n&apos;a pas de CRL valide gardée est refusé.</source>
        <translation>The mail servers&apos; certificates are checked against the revocation lists (CRL) of their authorities, downloaded from these addresses and kept on this workstation. Without an address, revocation is not checked; with addresses, a server whose authority has no valid CRL kept is refused.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="497"/>
        <source>Adresses des listes de révocation</source>
        <translation>Revocation list addresses</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="498"/>
        <source>Une adresse http(s) par ligne</source>
        <translation>One http(s) address per line</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="506"/>
        <source>&amp;Adresses (une par ligne) :</source>
        <translation>&amp;Addresses (one per line):</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="515"/>
        <source>Aucune adresse : la révocation n&apos;est pas vérifiée.</source>
        <translation>No address: revocation is not checked.</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="519"/>
        <source>{url} : {issuer}, valable jusqu&apos;au {date}</source>
        <translation>{url}: {issuer}, valid until {date}</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="523"/>
        <source>{url} : aucune CRL gardée</source>
        <translation>{url}: no CRL kept</translation>
    </message>
    <message>
        <location filename="../../ui/dialogs/settings_dialog.py" line="525"/>
        <source>dernier échec : {error}</source>
        <translation>last failure: {error}</translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <location filename="../../ui/main.py" line="44"/>
        <source>Estafette — profil inaccessible</source>
        <translation>Estafette — profile unavailable</translation>
    </message>
    <message>
        <location filename="../../ui/main.py" line="45"/>
        <source>Le profil ne peut pas être ouvert.</source>
        <translation>The profile cannot be opened.</translation>
    </message>
    <message>
        <location filename="../../ui/main.py" line="49"/>
        <source>Une erreur inattendue est survenue. Les détails ont été écrits dans le journal de l&apos;application.</source>
        <translation>An unexpected error occurred. The details were written to the application log.</translation>
    </message>
</context>
<context>
    <name>SyncStatusBar</name>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="25"/>
        <source>Synchronisation</source>
        <translation>Synchronisation</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="28"/>
        <source>Avancement de la synchronisation</source>
        <translation>Synchronisation progress</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="34"/>
        <source>État de la connexion</source>
        <translation>Connection status</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="37"/>
        <source>Boîte d&apos;envoi</source>
        <translation>Outbox</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="40"/>
        <source>Espace utilisé sur le serveur</source>
        <translation>Space used on the server</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="44"/>
        <source>Nombre de comptes</source>
        <translation>Number of accounts</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="62"/>
        <source>Synchronisation de {account}…</source>
        <translation>Synchronising {account}…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="69"/>
        <source>{account} : {reason}</source>
        <translation>{account}: {reason}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="80"/>
        <source>en-têtes</source>
        <translation>headers</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="80"/>
        <source>messages</source>
        <translation>messages</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="81"/>
        <source>{account} — {folder} : {what} {done}/{total}</source>
        <translation>{account} — {folder}: {what} {done}/{total}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="88"/>
        <source>{account} synchronisé : {new} nouveau(x) message(s)</source>
        <translation>{account} synchronised: {new} new message(s)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="91"/>
        <source>{account} synchronisé</source>
        <translation>{account} synchronised</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="97"/>
        <source>{account} : {error}</source>
        <translation>{account}: {error}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="110"/>
        <source>Hors ligne</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="113"/>
        <source>Connexion perdue ({count})</source>
        <translation>Connection lost ({count})</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="116"/>
        <source>Connexion…</source>
        <translation>Connecting…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="118"/>
        <source>Connecté</source>
        <translation>Connected</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="130"/>
        <source>Boîte d&apos;envoi vide</source>
        <translation>Outbox empty</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="132"/>
        <source>1 message à envoyer</source>
        <translation>1 message to send</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="134"/>
        <source>{count} messages à envoyer</source>
        <translation>{count} messages to send</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="154"/>
        <source>{used} sur {limit}</source>
        <translation>{used} of {limit}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="159"/>
        <source>{used} messages sur {limit}</source>
        <translation>{used} messages of {limit}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/status_bar.py" line="169"/>
        <source>Quota : {percent} %</source>
        <translation>Quota: {percent}%</translation>
    </message>
</context>
<context>
    <name>TextPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/text_preview.py" line="43"/>
        <source>Aperçu du texte</source>
        <translation>Text preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/text_preview.py" line="47"/>
        <source>Contenu du fichier texte</source>
        <translation>Content of the text file</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/text_preview.py" line="54"/>
        <source>[… aperçu limité aux premiers 4 Mo du fichier]</source>
        <translation>[… preview limited to the first 4 MB of the file]</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <location filename="../../ui/tray.py" line="25"/>
        <source>1 nouveau message</source>
        <translation>1 new message</translation>
    </message>
    <message>
        <location filename="../../ui/tray.py" line="26"/>
        <source>{count} nouveaux messages</source>
        <translation>{count} new messages</translation>
    </message>
</context>
<context>
    <name>UnavailablePreview</name>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="248"/>
        <source>Aperçu refusé</source>
        <translation>Preview refused</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/dispatcher.py" line="248"/>
        <source>Aperçu non disponible</source>
        <translation>Preview not available</translation>
    </message>
</context>
<context>
    <name>UndoToast</name>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="42"/>
        <source>Envoi en cours</source>
        <translation>Sending</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="56"/>
        <source>Message en cours d&apos;envoi</source>
        <translation>Message being sent</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="87"/>
        <source>Annuler ({seconds} s)</source>
        <translation>Undo ({seconds} s)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="90"/>
        <source>Annuler l&apos;envoi, {seconds} secondes restantes</source>
        <translation>Undo sending, {seconds} seconds left</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/undo_toast.py" line="103"/>
        <source>Message envoyé à la boîte d&apos;envoi</source>
        <translation>Message sent to the Outbox</translation>
    </message>
</context>
<context>
    <name>XdmPreview</name>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="41"/>
        <source>INS-NIR de test</source>
        <translation>test INS-NIR</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="42"/>
        <source>INS de démonstration</source>
        <translation>demonstration INS</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="45"/>
        <source>Texte</source>
        <translation>Text</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="46"/>
        <source>Image JPEG</source>
        <translation>JPEG image</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="47"/>
        <source>Image PNG</source>
        <translation>PNG image</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="48"/>
        <source>Image TIFF</source>
        <translation>TIFF image</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="104"/>
        <source>CDA R2 niveau {level}</source>
        <translation>CDA R2 level {level}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="117"/>
        <source>Patient : {name}</source>
        <translation>Patient: {name}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="119"/>
        <source>né(e) le {date}</source>
        <translation>born on {date}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="124"/>
        <source>INS : {ins} ({kind})</source>
        <translation>INS: {ins} ({kind})</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="127"/>
        <source>INS absent</source>
        <translation>no INS</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="129"/>
        <source>Patient : non identifié par un document CDA</source>
        <translation>Patient: not identified by a CDA document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="131"/>
        <source>identifiant des métadonnées : {id}</source>
        <translation>metadata identifier: {id}</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="151"/>
        <source>Aperçu du paquet IHE XDM</source>
        <translation>IHE XDM package preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="162"/>
        <source>Patient du paquet</source>
        <translation>Patient of the package</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="172"/>
        <source>Documents du paquet</source>
        <translation>Documents in the package</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="176"/>
        <source>Titre</source>
        <translation>Title</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="176"/>
        <source>Type</source>
        <translation>Type</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="176"/>
        <source>Date</source>
        <translation>Date</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="176"/>
        <source>Auteur</source>
        <translation>Author</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="177"/>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/xdm_preview.py" line="230"/>
        <source>Paquet IHE XDM refusé</source>
        <translation>IHE XDM package refused</translation>
    </message>
</context>
<context>
    <name>_Header</name>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="56"/>
        <source>Imprimer…</source>
        <translation>Print…</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="57"/>
        <source>Imprimer le document</source>
        <translation>Print the document</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="58"/>
        <source>Imprimer le document affiché (Ctrl+P)</source>
        <translation>Print the document shown (Ctrl+P)</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="60"/>
        <source>Ouvrir dans une fenêtre</source>
        <translation>Open in a window</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="61"/>
        <location filename="../../ui/widgets/preview/panel.py" line="62"/>
        <source>Ouvrir l&apos;aperçu dans une fenêtre séparée</source>
        <translation>Open the preview in a separate window</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="64"/>
        <source>Fermer</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="65"/>
        <source>Fermer l&apos;aperçu</source>
        <translation>Close the preview</translation>
    </message>
    <message>
        <location filename="../../ui/widgets/preview/panel.py" line="66"/>
        <source>Fermer l&apos;aperçu (Échap)</source>
        <translation>Close the preview (Esc)</translation>
    </message>
</context>
</TS>
