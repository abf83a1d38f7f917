"""The project's exceptions: one root, a family safe to show to users, and a silent cancellation.

Adapters translate library exceptions into these so that the CLI and the window show one clear
sentence (French by default) instead of a traceback. ``exit_code`` is what the CLI returns:
1 refused/failed, 2 usage error, 3 server or network unreachable.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


class EstafetteError(Exception):
    """Root of every error the core raises on purpose."""

    exit_code: int = EXIT_FAILED


class UserCancelled(EstafetteError):
    """The user backed out (closed a prompt, pressed Escape): never shown as an error."""


class UserFacingError(EstafetteError):
    """An error whose message is safe and useful to show as is (no secret, no health data).

    ``message`` is French (the default language); ``message_en`` the English variant. ``hint``
    says what to do about it, when there is something to do.
    """

    default_message: str = "L'opération a échoué."
    default_message_en: str = "The operation failed."
    default_hint: str | None = None
    default_hint_en: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        message_en: str | None = None,
        hint: str | None = None,
        hint_en: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if message_en is not None:
            self.message_en = message_en
        elif message is None:
            self.message_en = self.default_message_en
        else:
            # A custom French message without a translation: better French than a wrong text.
            self.message_en = self.message
        self.hint = hint if hint is not None else self.default_hint
        self.hint_en = hint_en if hint_en is not None else self.default_hint_en
        if hint is not None and hint_en is None:
            self.hint_en = hint
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(self.message)

    def text(self, lang: str = "fr") -> str:
        """The sentence to show, with its hint, in ``lang`` ("fr" or "en")."""
        if lang == "en":
            main, hint = self.message_en, self.hint_en
        else:
            main, hint = self.message, self.hint
        return f"{main} {hint}" if hint else main


class UsageError(UserFacingError):
    """The command line was malformed (unknown option, missing argument)."""

    exit_code = EXIT_USAGE
    default_message = "Commande incorrecte."
    default_message_en = "Invalid command line."


class InvalidInputError(UserFacingError):
    """A value given by the user is not acceptable (address, port, file...)."""

    default_message = "La valeur saisie n'est pas valide."
    default_message_en = "The value given is not valid."


class StoreKeyError(UserFacingError):
    """The store key (or the passphrase that wraps it) does not open the encrypted store."""

    default_message = (
        "Le magasin chiffré ne peut pas être ouvert : la clé ou la phrase de passe est "
        "incorrecte, ou le fichier est endommagé."
    )
    default_message_en = (
        "The encrypted store cannot be opened: the key or passphrase is wrong, "
        "or the file is damaged."
    )


class PassphraseRequiredError(StoreKeyError):
    """The profile's key is wrapped by a passphrase and none was given: ask for it."""

    default_message = "Ce profil est protégé par une phrase de passe, nécessaire pour l'ouvrir."
    default_message_en = "This profile is protected by a passphrase; it is needed to open it."


class WrongPassphraseError(StoreKeyError):
    """The passphrase given does not unwrap the profile's key: nothing was opened or changed."""

    default_message = "La phrase de passe est incorrecte."
    default_message_en = "The passphrase is wrong."


class KeyringUnavailableError(UserFacingError):
    """No trustworthy OS keyring to keep the store key (plaintext and fail backends refused)."""

    default_message = "Aucun trousseau système sûr n'est disponible pour garder la clé du profil."
    default_message_en = "No safe system keyring is available to hold the profile key."
    default_hint = (
        "Utilisez --key-file FICHIER, ou démarrez un service de trousseau (Secret Service, "
        "par exemple gnome-keyring)."
    )
    default_hint_en = (
        "Use --key-file FILE, or start a keyring service (Secret Service, e.g. gnome-keyring)."
    )


class StoreCorruptedError(UserFacingError):
    """The integrity check of the encrypted store failed; nothing was overwritten."""

    default_message = (
        "Le contrôle d'intégrité du magasin chiffré a échoué ; le fichier n'a pas été modifié."
    )
    default_message_en = "The encrypted store failed its integrity check; the file was left as is."
    default_hint = "Restaurez une sauvegarde du profil ou contactez le support."
    default_hint_en = "Restore a backup of the profile or contact support."


class ServerUnreachableError(UserFacingError):
    """A server or the network cannot be reached."""

    exit_code = EXIT_UNREACHABLE
    default_message = "Le serveur est injoignable."
    default_message_en = "The server cannot be reached."


class AuthenticationError(UserFacingError):
    """The server refused the credentials."""

    default_message = "L'authentification a été refusée par le serveur."
    default_message_en = "The server refused the authentication."
