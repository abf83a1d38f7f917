"""Login flows without UI: Pro Santé Connect (CIBA, browser), CPS card, APP box certificates.

Every flow is a cancellable operation that publishes ``app.services.auth_events`` on the bus; the
window (later) and the CLI present them. The PSC session (``PscSession``) is the ``TokenSource``
the IMAP and SMTP adapters receive:

- tokens only in memory (ECO.1.2.5): never in the store, keyring, logs or temporary files;
- refreshed ahead of expiry so that IMAP/SMTP reconnect by themselves (ECO.1.2.7);
- ended, with a clear French message, when the refresh token dies (ECO.1.2.6);
- a refresh that fails for network reasons does not end anything (ECO.1.2.3): retried later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from app.domain.session import CibaChannel, national_id_from
from app.errors import UserCancelled, UserFacingError
from app.events import Event
from app.protocols.client_certificate import (
    CertificateError,
    ClientCertificate,
    load_pkcs12_file,
    pkcs12_password_secret_name,
)
from app.protocols.oidc import ciba, pkce_flow
from app.protocols.oidc.client import OidcClient, OidcSettings, TokenSet
from app.protocols.oidc.errors import (
    LoginExpiredError,
    LoginRefusedError,
    ProviderUnreachableError,
    SessionEndedError,
)
from app.protocols.pkcs11.card import CardChange, CardReader, CardState, CardWatcher
from app.services.auth_events import (
    Approved,
    BrowserOpened,
    CardInserted,
    CardRemoved,
    Expired,
    LoginCancelled,
    LoginFailed,
    Refused,
    SessionEnded,
    SessionLocked,
    SessionRefreshed,
    WaitingForApproval,
)
from app.store.account_store import SecretStore

_log = logging.getLogger(__name__)

Publish = Callable[[Event], None]
T = TypeVar("T")

SESSION_ENDED_REASON = (
    "Votre session Pro Santé Connect est terminée (jeton de renouvellement expiré ou révoqué) ; "
    "reconnectez-vous pour continuer à relever et envoyer vos messages."
)
LOGGED_OUT_REASON = "Vous vous êtes déconnecté de Pro Santé Connect."
CARD_REMOVED_REASON = "La carte CPS a été retirée : la session est verrouillée."
# Retry delay after a refresh that failed for network reasons (the session stays open).
TRANSIENT_RETRY = 5.0


class SessionLockedError(UserFacingError):
    default_message = "La session est verrouillée ; reconnectez-vous pour continuer."
    default_message_en = "The session is locked; log in again to continue."


def _noop(_event: Event) -> None:
    return None


class PscSession:
    """One open Pro Santé Connect session; a ``TokenSource`` (``app.protocols.sasl``)."""

    def __init__(self, client: OidcClient, tokens: TokenSet, *, publish: Publish = _noop,
                 clock: Callable[[], float] = time.time, max_margin: float = 60.0) -> None:
        self._client = client
        self._tokens: TokenSet | None = tokens
        self._publish = publish
        self._clock = clock
        self._max_margin = max_margin
        self._lifetime = max(tokens.lifetime_left(clock()), 1.0)
        self._lock = asyncio.Lock()
        self._stale = False
        self._ended_reason: str | None = None
        self._locked_reason: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.subject = tokens.subject
        self.claims = dict(tokens.claims)
        self.refresh_count = 0

    # --- TokenSource -----------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self._ended_reason is not None

    @property
    def margin(self) -> float:
        """Renew this long before expiry: a fifth of the lifetime, at most ``max_margin``."""
        return max(0.5, min(self._max_margin, self._lifetime / 5))

    def _usable(self) -> bool:
        tokens = self._tokens
        return (tokens is not None and not self._stale
                and tokens.lifetime_left(self._clock()) > self.margin)

    async def access_token(self) -> str:
        self._check_open()
        if not self._usable():
            await self.refresh()
        tokens = self._tokens
        if tokens is None:  # ended while refreshing
            raise SessionEndedError(self._ended_reason or SESSION_ENDED_REASON)
        return tokens.access_token

    def invalidate(self) -> None:
        """The server refused the current token: the next ``access_token`` refreshes first."""
        self._stale = True

    def _check_open(self) -> None:
        if self._ended_reason is not None:
            raise SessionEndedError(self._ended_reason, message_en="The session has ended.")
        if self._locked_reason is not None:
            raise SessionLockedError(self._locked_reason)

    # --- refresh ----------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Renew now (once, even if several callers ask together)."""
        async with self._lock:
            self._check_open()
            if self._usable():
                return  # another caller refreshed while this one waited
            tokens = self._tokens
            assert tokens is not None
            try:
                renewed = await self._client.refresh(tokens)
            except SessionEndedError:
                self._end(SESSION_ENDED_REASON)
                raise SessionEndedError(SESSION_ENDED_REASON,
                                        message_en="Your Pro Santé Connect session has ended; "
                                        "log in again.") from None
            self._tokens = renewed
            self._lifetime = max(renewed.lifetime_left(self._clock()), 1.0)
            self._stale = False
            self.refresh_count += 1
        self._publish(SessionRefreshed(subject=self.subject))

    def _end(self, reason: str) -> None:
        if self._ended_reason is not None:
            return
        self._ended_reason = reason
        self._tokens = None  # drop every token at once
        _log.info("PSC session ended")
        self._publish(SessionEnded(subject=self.subject, reason=reason))

    def seconds_until_refresh(self) -> float:
        tokens = self._tokens
        if tokens is None:
            return 0.0
        return max(0.0, tokens.lifetime_left(self._clock()) - self.margin)

    async def _auto_refresh(self) -> None:
        while not self.ended:
            await asyncio.sleep(self.seconds_until_refresh())
            if self.ended or self._locked_reason is not None:
                return
            try:
                await self.refresh()
            except SessionEndedError:
                return
            except ProviderUnreachableError:
                await asyncio.sleep(TRANSIENT_RETRY)
            except UserFacingError as exc:
                _log.warning("PSC refresh failed: %s", type(exc).__name__)
                await asyncio.sleep(TRANSIENT_RETRY)

    def start_auto_refresh(self) -> asyncio.Task[None]:
        """Keep the tokens fresh in the background until the session ends."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._auto_refresh(),
                                                                name="psc-refresh")
        return self._task

    async def stop_auto_refresh(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # --- lock and logout -------------------------------------------------------------------

    def lock(self, reason: str) -> None:
        if self._locked_reason is None and not self.ended:
            self._locked_reason = reason
            self._publish(SessionLocked(reason=reason))

    @property
    def locked(self) -> bool:
        return self._locked_reason is not None

    async def logout(self, open_browser: pkce_flow.BrowserOpener | None = None) -> None:
        """Revoke the refresh token and, given a browser, log out at PSC (end_session_endpoint)."""
        await self.stop_auto_refresh()
        tokens = self._tokens
        if tokens is None:
            return
        url: str | None = None
        try:
            url = await self._client.end_session_url(tokens)
            if tokens.refresh_token:
                await self._client.revoke(tokens.refresh_token)
        except ProviderUnreachableError:
            _log.info("PSC unreachable at logout; tokens dropped locally")
        finally:
            self._end(LOGGED_OUT_REASON)
        if url and open_browser is not None:
            outcome = open_browser(url)
            if asyncio.iscoroutine(outcome):
                await outcome

    async def close(self) -> None:
        """Forget the session locally (application closing): tokens dropped, nothing revoked."""
        await self.stop_auto_refresh()
        self._tokens = None
        if self._ended_reason is None:
            self._ended_reason = LOGGED_OUT_REASON


@dataclass
class Operation(Generic[T]):
    """A login in progress: await ``result()``, or ``cancel()`` it (publishes LoginCancelled)."""

    task: asyncio.Task[T]
    publish: Publish = field(default=_noop, repr=False)

    def cancel(self) -> None:
        self.task.cancel()

    async def result(self) -> T:
        try:
            return await self.task
        except asyncio.CancelledError:
            if self.task.cancelled():
                self.publish(LoginCancelled())
                raise UserCancelled() from None
            raise


class AuthService:
    """Pro Santé Connect, CPS card and APP certificate logins for one profile."""

    def __init__(self, settings: OidcSettings, *, publish: Publish = _noop,
                 secrets: SecretStore | None = None, client: OidcClient | None = None) -> None:
        self.settings = settings
        self.publish = publish
        self.secrets = secrets
        self.client = client or OidcClient(settings)
        self.lock_on_card_removal = True
        self.sessions: list[PscSession] = []
        self._card_watcher: CardWatcher | None = None

    async def aclose(self) -> None:
        for session in self.sessions:
            await session.close()
        if self._card_watcher is not None:
            await self._card_watcher.stop()
        await self.client.aclose()

    # --- Pro Santé Connect --------------------------------------------------------------------

    async def _opened(self, tokens: TokenSet) -> PscSession:
        try:
            extra = await self.client.userinfo(tokens)
        except ProviderUnreachableError:
            extra = {}
        tokens.claims = {**extra, **tokens.claims}
        session = PscSession(self.client, tokens, publish=self.publish)
        self.sessions.append(session)
        name = " ".join(str(tokens.claims.get(k, "")) for k in ("given_name", "family_name"))
        self.publish(Approved(subject=session.subject, display_name=name.strip()))
        session.start_auto_refresh()
        return session

    def _report(self, exc: BaseException) -> None:
        if isinstance(exc, LoginRefusedError):
            self.publish(Refused(reason=exc.message))
        elif isinstance(exc, LoginExpiredError):
            self.publish(Expired(reason=exc.message))
        elif isinstance(exc, UserFacingError):
            self.publish(LoginFailed(reason=exc.message))

    async def login_ciba(self, national_id: str, *,
                         channel: CibaChannel = CibaChannel.MOBILE,
                         sleep: ciba.Sleep = asyncio.sleep) -> PscSession:
        """CIBA: send the request, publish the binding code, poll until the user answers."""
        hint = national_id_from(national_id)
        try:
            request = await ciba.start(self.client, hint, channel=channel)
            self.publish(WaitingForApproval(binding_code=request.binding_code,
                                            channel=channel.value, login_hint=hint))
            tokens = await ciba.poll(self.client, request, sleep=sleep)
        except UserFacingError as exc:
            self._report(exc)
            raise
        return await self._opened(tokens)

    def start_ciba(self, national_id: str, *, channel: CibaChannel = CibaChannel.MOBILE,
                   sleep: ciba.Sleep = asyncio.sleep) -> Operation[PscSession]:
        task = asyncio.get_running_loop().create_task(
            self.login_ciba(national_id, channel=channel, sleep=sleep), name="psc-ciba")
        return Operation(task=task, publish=self.publish)

    async def login_browser(self, *, open_browser: pkce_flow.BrowserOpener | None = None,
                            login_hint: str | None = None,
                            timeout: float = 300.0) -> PscSession:
        """Authorization code + PKCE in the system browser, loopback redirect."""
        opener = open_browser

        def announce(url: str) -> object:
            self.publish(BrowserOpened())
            return opener(url) if opener is not None else pkce_flow._default_open(url)

        try:
            tokens = await pkce_flow.login(self.client, open_browser=announce,
                                           login_hint=login_hint, timeout=timeout)
        except UserFacingError as exc:
            self._report(exc)
            raise
        return await self._opened(tokens)

    def start_browser(self, *, open_browser: pkce_flow.BrowserOpener | None = None,
                      login_hint: str | None = None) -> Operation[PscSession]:
        task = asyncio.get_running_loop().create_task(
            self.login_browser(open_browser=open_browser, login_hint=login_hint),
            name="psc-browser")
        return Operation(task=task, publish=self.publish)

    # --- CPS card -------------------------------------------------------------------------------

    def _card_changed(self, change: CardChange) -> None:
        before, after = change.before.holder, change.after.holder
        if change.removed and before is not None:
            self.publish(CardRemoved(national_id=before.national_id))
            if self.lock_on_card_removal:
                for session in self.sessions:
                    if not session.ended:
                        session.lock(CARD_REMOVED_REASON)
        if change.inserted and after is not None:
            self.publish(CardInserted(national_id=after.national_id,
                                      display_name=after.display_name))

    def watch_card(self, reader: CardReader, *, interval: float = 1.0) -> CardWatcher:
        """Start watching the reader; removal locks open sessions when the setting says so."""
        watcher = CardWatcher(reader, self._card_changed, interval=interval)
        self._card_watcher = watcher
        return watcher

    async def login_with_card(self, reader: CardReader, *,
                              sleep: ciba.Sleep = asyncio.sleep) -> PscSession:
        """Read the card's holder, then log in through CIBA ``channel=CARD`` (hint prefilled)."""
        state: CardState = await asyncio.to_thread(reader.read)
        if state.holder is None:
            raise LoginFailedNoCard()
        return await self.login_ciba(state.holder.national_id, channel=CibaChannel.CARD,
                                     sleep=sleep)

    # --- APP box certificate ---------------------------------------------------------------------

    def app_certificate(self, address: str, path: str | Path, *,
                        password: str | None = None,
                        ask_password: Callable[[], str | None] | None = None,
                        ) -> ClientCertificate:
        """Open a box's PKCS#12; the password is asked once, then kept in the SecretStore."""
        name = pkcs12_password_secret_name(address)
        stored = self.secrets.get(name) if self.secrets is not None else None
        candidate = password if password is not None else stored
        if candidate is None and ask_password is not None:
            candidate = ask_password()
            if candidate is None:
                raise UserCancelled()
        certificate = load_pkcs12_file(path, candidate)
        if self.secrets is not None and candidate is not None and candidate != stored:
            self.secrets.set(name, candidate)
        return certificate

    def forget_app_certificate_password(self, address: str) -> None:
        if self.secrets is not None:
            self.secrets.delete(pkcs12_password_secret_name(address))


class LoginFailedNoCard(UserFacingError):
    default_message = "Aucune carte CPS n'est insérée dans le lecteur."
    default_message_en = "No CPS card is in the reader."
    default_hint = "Insérez votre carte CPS puis réessayez."
    default_hint_en = "Insert your CPS card and try again."


__all__ = [
    "AuthService",
    "CertificateError",
    "LoginFailedNoCard",
    "Operation",
    "PscSession",
    "SessionLockedError",
]
