"""Errors of the Pro Santé Connect login, each one clear sentence for the user (French first)."""

from __future__ import annotations

from app.errors import AuthenticationError, ServerUnreachableError, UserFacingError


class OidcError(UserFacingError):
    """The identity provider answered with an error we cannot recover from."""

    default_message = "La connexion Pro Santé Connect a échoué."
    default_message_en = "The Pro Santé Connect login failed."

    def __init__(self, *args: object, error: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.error = error


class ProviderUnreachableError(ServerUnreachableError):
    default_message = "Pro Santé Connect est injoignable."
    default_message_en = "Pro Santé Connect cannot be reached."
    default_hint = "Vérifiez la connexion réseau puis réessayez."
    default_hint_en = "Check the network connection and try again."


class LoginRefusedError(AuthenticationError):
    """The professional refused the request on the card reader or the e-CPS app."""

    default_message = "La demande de connexion a été refusée."
    default_message_en = "The login request was refused."


class LoginExpiredError(AuthenticationError):
    """Nobody approved the request in time."""

    default_message = "La demande de connexion a expiré sans être validée."
    default_message_en = "The login request expired without being approved."
    default_hint = "Relancez la connexion et validez-la sur la carte ou l'application e-CPS."
    default_hint_en = "Start the login again and approve it on the card or the e-CPS app."


class IdTokenError(OidcError):
    """The ID token failed validation (signature, issuer, audience, nonce, expiry)."""

    default_message = "La réponse de Pro Santé Connect n'est pas valide ; la connexion est refusée."
    default_message_en = "Pro Santé Connect's answer is not valid; the login is refused."


class SessionEndedError(AuthenticationError):
    """The PSC session is over (refresh token dead, revoked or logged out) (ECO.1.2.6)."""

    default_message = (
        "Votre session Pro Santé Connect est terminée ; reconnectez-vous pour continuer."
    )
    default_message_en = "Your Pro Santé Connect session has ended; log in again to continue."
