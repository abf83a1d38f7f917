"""Events of the login flows (plain dataclasses, ``app.events`` style; no token ever inside)."""

from __future__ import annotations

from dataclasses import dataclass

from app.events import Event


@dataclass(frozen=True)
class WaitingForApproval(Event):
    """CIBA request sent: show ``binding_code`` and ask to approve on the card reader / e-CPS."""

    binding_code: str
    channel: str  # "CARD" | "MOBILE"
    login_hint: str


@dataclass(frozen=True)
class BrowserOpened(Event):
    """The system browser shows PSC's login page; the window waits for the redirect."""


@dataclass(frozen=True)
class Approved(Event):
    """The professional approved; the session is open."""

    subject: str
    display_name: str = ""


@dataclass(frozen=True)
class Refused(Event):
    reason: str


@dataclass(frozen=True)
class Expired(Event):
    reason: str


@dataclass(frozen=True)
class LoginCancelled(Event):
    """The user backed out of a login in progress (not an error)."""


@dataclass(frozen=True)
class LoginFailed(Event):
    reason: str


@dataclass(frozen=True)
class SessionRefreshed(Event):
    """Tokens renewed ahead of expiry; IMAP/SMTP go on by themselves (ECO.1.2.7)."""

    subject: str


@dataclass(frozen=True)
class SessionEnded(Event):
    """The PSC session is over (ECO.1.2.6); ``reason`` is French, ready to show."""

    subject: str
    reason: str


@dataclass(frozen=True)
class SessionLocked(Event):
    """The session is locked (e.g. the CPS card was removed and the setting asks for it)."""

    reason: str


@dataclass(frozen=True)
class CardInserted(Event):
    national_id: str
    display_name: str


@dataclass(frozen=True)
class CardRemoved(Event):
    national_id: str
