"""SASL XOAUTH2 / OAUTHBEARER for IMAP (imapclient) and SMTP (aiosmtplib), PLAIN only inside TLS.

A refused token gets a continuation carrying base64 JSON such as
``{"status":"401","schemes":"bearer","scope":"mail"}`` (MSSANTE §3); the client then answers with
an empty response (XOAUTH2) or ``\\x01`` (OAUTHBEARER, RFC 7628 §3.2.3), reads the final refusal,
drops its token, refreshes once, retries once, and reports.

``TokenSource`` is what the IMAP/SMTP adapters receive: the PSC session (``OidcSession``) is one.
Tokens only live in memory (ECO.1.2.5): nothing here logs or stores them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from app.errors import AuthenticationError

_log = logging.getLogger(__name__)

XOAUTH2 = "XOAUTH2"
OAUTHBEARER = "OAUTHBEARER"


@runtime_checkable
class TokenSource(Protocol):
    """Hands out a valid access token, refreshing it as needed; ``invalidate`` drops the cached one.

    ``access_token`` raises ``UserFacingError`` (e.g. ``SessionEndedError``) when no token can be
    had any more: the caller reports it and stops retrying.
    """

    async def access_token(self) -> str: ...

    def invalidate(self) -> None: ...


# --- encoding ------------------------------------------------------------------------------------


def xoauth2_initial_response(user: str, token: str) -> bytes:
    """The raw (not base64) XOAUTH2 client response."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer_initial_response(user: str, token: str, host: str | None = None,
                                 port: int | None = None) -> bytes:
    """The raw RFC 7628 OAUTHBEARER client response (GS2 header with the authzid)."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    parts = [f"n,a={authzid},"]
    if host:
        parts.append(f"host={host}")
    if port:
        parts.append(f"port={port}")
    parts.append(f"auth=Bearer {token}")
    return ("\x01".join(parts) + "\x01\x01").encode()


def plain_initial_response(user: str, password: str, authzid: str = "") -> bytes:
    return f"{authzid}\x00{user}\x00{password}".encode()


@dataclass(frozen=True)
class BearerChallenge:
    """The server's error challenge for a refused bearer token (RFC 7628 §3.2.2)."""

    status: str
    schemes: str = ""
    scope: str = ""
    raw: bytes = b""

    @property
    def is_invalid_token(self) -> bool:
        # 401: token invalid or expired -> refresh helps; 403 (scope) would not.
        return self.status in ("401", "400", "")


def parse_bearer_challenge(data: bytes | str) -> BearerChallenge | None:
    """Parse an error challenge, base64 or already decoded; None when it is not one."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    raw = raw.strip()
    if not raw:
        return None
    candidates = [raw]
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.insert(0, base64.b64decode(raw, validate=True))
    for candidate in candidates:
        try:
            obj = json.loads(candidate.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(obj, dict) and "status" in obj:
            return BearerChallenge(status=str(obj.get("status", "")),
                                   schemes=str(obj.get("schemes", "")),
                                   scope=str(obj.get("scope", "")), raw=candidate)
    return None


class TokenRefusedError(AuthenticationError):
    """The server refused the access token even after one refresh."""

    default_message = (
        "Le serveur de messagerie a refusé le jeton Pro Santé Connect, même après son "
        "renouvellement."
    )
    default_message_en = "The mail server refused the Pro Santé Connect token, even after renewal."
    default_hint = "Vérifiez que le compte correspond bien à la personne connectée."
    default_hint_en = "Check that the account belongs to the person logged in."

    def __init__(self, *args: Any, challenge: BearerChallenge | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.challenge = challenge


# --- IMAP (imapclient, blocking) ------------------------------------------------------------------


class _Mechanism:
    """A SASL callable for ``IMAPClient.sasl_login`` that records the server's error challenge."""

    def __init__(self, initial: bytes, abort_reply: bytes) -> None:
        self._initial = initial
        self._abort_reply = abort_reply
        self.calls = 0
        self.challenge: BearerChallenge | None = None

    def __call__(self, challenge: bytes) -> bytes:
        self.calls += 1
        if self.calls == 1:
            return self._initial
        # Any further challenge is the error report: read it, and end the exchange.
        self.challenge = parse_bearer_challenge(challenge)
        return self._abort_reply


def _imap_bearer_once(client: Any, user: str, token: str, mechanism: str) -> BearerChallenge | None:
    """One AUTHENTICATE attempt; returns None on success, the challenge (maybe empty) on refusal."""
    from imapclient.exceptions import IMAPClientError

    if mechanism == OAUTHBEARER:
        mech = _Mechanism(oauthbearer_initial_response(user, token), b"\x01")
    else:
        mech = _Mechanism(xoauth2_initial_response(user, token), b"")
    try:
        client.sasl_login(mechanism, mech)
    except IMAPClientError:
        return mech.challenge or BearerChallenge(status="")
    return None


def _imap_mechanism(client: Any) -> str:
    try:
        caps = {c.decode() if isinstance(c, bytes) else str(c) for c in client.capabilities()}
    except Exception:  # capabilities are advisory here; XOAUTH2 is the MSSanté default
        caps = set()
    if f"AUTH={XOAUTH2}" in caps or not caps:
        return XOAUTH2
    if f"AUTH={OAUTHBEARER}" in caps:
        return OAUTHBEARER
    return XOAUTH2


def _ensure_tls(client: Any) -> None:
    """No bearer token or password before TLS (ECO.1.0.1): refuse on a plaintext connection."""
    if not (getattr(client, "ssl", False) or getattr(client, "_starttls_done", False)):
        from app.protocols.tls import TlsPolicyError

        raise TlsPolicyError(
            "La connexion IMAP n'est pas chiffrée : aucune authentification n'est envoyée.",
            message_en="The IMAP connection is not encrypted: no authentication is sent.")


async def imap_xoauth2_login(
    client: Any,
    user: str,
    token_source: TokenSource,
    *,
    executor: Executor | None = None,
    mechanism: str | None = None,
) -> None:
    """Log ``client`` (a connected, TLS-protected ``imapclient.IMAPClient``) in with a PSC token.

    The blocking IMAP calls run in ``executor`` (the connection's own thread). On refusal: drop the
    token, get a fresh one, retry once; then raise ``TokenRefusedError`` (ECO.1.2.1, ECO.1.2.7).
    """
    loop = asyncio.get_running_loop()
    _ensure_tls(client)
    mech: str = mechanism if mechanism else await loop.run_in_executor(
        executor, _imap_mechanism, client)
    challenge: BearerChallenge | None = None
    for attempt in range(2):
        token = await token_source.access_token()
        challenge = await loop.run_in_executor(
            executor, _imap_bearer_once, client, user, token, mech)
        if challenge is None:
            return
        _log.info("IMAP %s refused (attempt %d, status %s)", mech, attempt + 1,
                  challenge.status or "?")
        token_source.invalidate()
    raise TokenRefusedError(challenge=challenge)


def imap_xoauth2_login_blocking(
    client: Any,
    user: str,
    token_source: TokenSource,
    loop: asyncio.AbstractEventLoop,
    *,
    mechanism: str | None = None,
    timeout: float = 60.0,
) -> None:
    """The same, for code already running on the IMAP connection's thread.

    The token source lives on ``loop`` (the application's event loop); this thread waits for it.
    """
    _ensure_tls(client)
    mech = mechanism or _imap_mechanism(client)
    challenge: BearerChallenge | None = None
    for _attempt in range(2):
        future = asyncio.run_coroutine_threadsafe(token_source.access_token(), loop)
        token = future.result(timeout)
        challenge = _imap_bearer_once(client, user, token, mech)
        if challenge is None:
            return
        loop.call_soon_threadsafe(token_source.invalidate)
    raise TokenRefusedError(challenge=challenge)


def imap_plain_login(client: Any, user: str, password: str) -> None:
    """Password login (operators that still use it), only on a TLS-protected connection."""
    from imapclient.exceptions import IMAPClientError

    _ensure_tls(client)
    try:
        client.login(user, password)
    except IMAPClientError as exc:
        raise AuthenticationError(
            "Identifiant ou mot de passe refusé par le serveur IMAP.",
            message_en="Login or password refused by the IMAP server.") from exc


def imap_external_login(client: Any, authzid: str = "") -> None:
    """SASL EXTERNAL: the TLS client certificate is the credential (APP boxes)."""
    from imapclient.exceptions import IMAPClientError

    _ensure_tls(client)
    try:
        client.sasl_login("EXTERNAL", lambda _challenge: authzid.encode())
    except IMAPClientError as exc:
        raise AuthenticationError(
            "Le serveur IMAP n'a pas accepté le certificat de la boîte applicative.",
            message_en="The IMAP server did not accept the application mailbox certificate.",
        ) from exc


# --- SMTP (aiosmtplib) ----------------------------------------------------------------------------


async def _smtp_bearer_once(smtp: Any, user: str, token: str,
                            mechanism: str) -> BearerChallenge | None:
    if mechanism == OAUTHBEARER:
        initial, abort = oauthbearer_initial_response(user, token), b"AQ=="  # base64 of \x01
    else:
        initial, abort = xoauth2_initial_response(user, token), b""
    response = await smtp.execute_command(b"AUTH", mechanism.encode(), base64.b64encode(initial))
    challenge: BearerChallenge | None = None
    if response.code == 334:
        challenge = parse_bearer_challenge(response.message)
        response = await smtp.execute_command(abort)
    if response.code == 235:
        return None
    return challenge or BearerChallenge(status=str(response.code))


def _smtp_mechanism(smtp: Any) -> str:
    methods = {m.lower() for m in getattr(smtp, "server_auth_methods", [])}
    if "xoauth2" in methods or not methods:
        return XOAUTH2
    if "oauthbearer" in methods:
        return OAUTHBEARER
    return XOAUTH2


async def smtp_xoauth2_login(
    smtp: Any,
    user: str,
    token_source: TokenSource,
    *,
    mechanism: str | None = None,
) -> None:
    """Authenticate a connected, TLS-protected ``aiosmtplib.SMTP`` with a PSC token.

    On the ``334 {"status":"401",...}`` challenge: finish the exchange, drop the token, refresh
    once, retry once, then raise ``TokenRefusedError``.
    """
    if not (getattr(smtp, "is_connected", True) and smtp.get_transport_info("sslcontext")):
        from app.protocols.tls import TlsPolicyError

        raise TlsPolicyError(
            "La connexion SMTP n'est pas chiffrée : aucune authentification n'est envoyée.",
            message_en="The SMTP connection is not encrypted: no authentication is sent.")
    await smtp._ehlo_or_helo_if_needed()
    mech = mechanism or _smtp_mechanism(smtp)
    challenge: BearerChallenge | None = None
    for attempt in range(2):
        token = await token_source.access_token()
        challenge = await _smtp_bearer_once(smtp, user, token, mech)
        if challenge is None:
            return
        _log.info("SMTP %s refused (attempt %d, status %s)", mech, attempt + 1,
                  challenge.status or "?")
        token_source.invalidate()
    raise TokenRefusedError(challenge=challenge)
