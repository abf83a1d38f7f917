"""A tiny catalogue of the command line's own sentences, French first (not Qt's translations)."""

from __future__ import annotations

_CATALOGUE: dict[str, tuple[str, str]] = {
    "no_gui": (
        "L'interface graphique est indisponible ; utilisez une sous-commande (voir --help).",
        "The graphical interface is unavailable; use a sub-command (see --help).",
    ),
    "account_added": ("Compte « {address} » ajouté.", "Account “{address}” added."),
    "no_accounts": ("Aucun compte.", "No account."),
    "password_prompt": (
        "Mot de passe de {login} ({address}) : ",
        "Password of {login} ({address}): ",
    ),
    "password_needed": (
        "Un mot de passe est nécessaire : définissez ESTAFETTE_PASSWORD ou lancez la commande "
        "dans un terminal.",
        "A password is needed: set ESTAFETTE_PASSWORD or run the command in a terminal.",
    ),
    "password_empty": ("Le mot de passe ne peut pas être vide.", "The password cannot be empty."),
    "file_missing": (
        "Le fichier « {path} » est introuvable ou illisible.",
        "The file “{path}” cannot be found or read.",
    ),
    "unexpected": (
        "Erreur inattendue ({kind}) ; relancez avec -v pour le détail.",
        "Unexpected error ({kind}); run again with -v for details.",
    ),
    "interrupted": ("Interrompu.", "Interrupted."),
    "sync_done": (
        "{address} : {new} nouveau(x), {changed} modifié(s), {removed} supprimé(s), "
        "{bodies} contenu(s) téléchargé(s){broken}.",
        "{address}: {new} new, {changed} changed, {removed} removed, {bodies} bodies "
        "downloaded{broken}.",
    ),
    "sync_broken": (" dont {count} mal formé(s)", ", {count} malformed"),
    "sync_quota": ("Quota : {used} sur {limit}", "Quota: {used} of {limit}"),
    "sync_quota_nolimit": ("Quota : {used} utilisés", "Quota: {used} used"),
    "watch_idle": (
        "{address} : en attente de nouveaux messages (Ctrl+C pour arrêter).",
        "{address}: waiting for new messages (Ctrl+C to stop).",
    ),
    "watch_retry": (
        "{address} : connexion perdue ({error}) ; nouvelle tentative dans {delay} s.",
        "{address}: connection lost ({error}); retrying in {delay} s.",
    ),
    "watch_stopped": ("Surveillance arrêtée.", "Watch stopped."),
    "sync_failed": ("{address} : {error}", "{address}: {error}"),
    "no_results": ("Aucun message trouvé.", "No message found."),
    "message_missing": (
        "Aucun message « {id} » dans ce profil.",
        "No message “{id}” in this profile.",
    ),
    "body_missing": (
        "(contenu pas encore téléchargé : lancez « estafette sync »)",
        "(content not downloaded yet: run “estafette sync”)",
    ),
    "usage": ("Commande incorrecte : {detail}", "Invalid command line: {detail}"),
    "new_passphrase_prompt": ("Nouvelle phrase de passe : ", "New passphrase: "),
    "new_passphrase_again": ("Nouvelle phrase de passe, à nouveau : ", "New passphrase, again: "),
    "new_passphrase_mismatch": (
        "Les deux saisies de la nouvelle phrase de passe diffèrent ; rien n'a été changé.",
        "The two entries of the new passphrase differ; nothing was changed.",
    ),
    "new_passphrase_needed": (
        "Une nouvelle phrase de passe est nécessaire : définissez ESTAFETTE_NEW_PASSPHRASE ou "
        "lancez la commande dans un terminal.",
        "A new passphrase is needed: set ESTAFETTE_NEW_PASSPHRASE or run the command in a "
        "terminal.",
    ),
    "passphrase_set": (
        "La clé du profil est maintenant protégée par la nouvelle phrase de passe.",
        "The profile's key is now protected by the new passphrase.",
    ),
    "passphrase_removed": (
        "La clé du profil n'est plus protégée par une phrase de passe.",
        "The profile's key is no longer protected by a passphrase.",
    ),
}


def message(key: str, lang: str = "fr", **values: object) -> str:
    french, english = _CATALOGUE[key]
    return (english if lang == "en" else french).format(**values)
