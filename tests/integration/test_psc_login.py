"""Pro Santé Connect login through Estafette's own client, against the sandbox's stand-in.

CIBA (approved, refused, expired, slow_down, cancelled), code + PKCE with a scripted browser,
SASL XOAUTH2 on IMAP and SMTP with real tokens, refresh ahead of expiry, session end, logout,
and the rule that no token ever lands on disk (ECO.1.2.5).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from app.domain.session import CibaChannel
from app.errors import UserCancelled
from app.events import Event
from app.protocols import sasl
from app.protocols.oidc import ciba
from app.protocols.oidc.client import OidcClient, OidcSettings
from app.protocols.oidc.client_auth import ClientSecretBasic, PublicClient, StructureTokenEndpoint
from app.protocols.oidc.discovery import discover
from app.protocols.oidc.errors import (
    LoginExpiredError,
    LoginRefusedError,
    OidcError,
    SessionEndedError,
)
from app.protocols.tls import client_context
from app.services.auth_events import (
    Approved,
    Expired,
    LoginCancelled,
    Refused,
    SessionEnded,
    SessionRefreshed,
    WaitingForApproval,
)
from app.services.auth_service import AuthService, PscSession
from tests.integration.psc_helpers import Control, run
from tests.sandbox import demo_world

pytestmark = pytest.mark.sandbox

T = TypeVar("T")


def ciba_settings(sandbox: dict[str, Any], oidc: dict[str, Any]) -> OidcSettings:
    client = oidc["clients"]["ciba"]
    return OidcSettings(issuer=oidc["issuer"],
                        client_auth=ClientSecretBasic(client["client_id"], client["client_secret"]),
                        extra_ca_file=sandbox["ca_file"])


def native_settings(sandbox: dict[str, Any], oidc: dict[str, Any]) -> OidcSettings:
    native = oidc["clients"]["native"]
    return OidcSettings(issuer=oidc["issuer"], client_auth=PublicClient(native["client_id"]),
                        extra_ca_file=sandbox["ca_file"], redirect_uri=native["redirect_uri"],
                        post_logout_redirect_uri=native["post_logout_redirect_uri"])


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.hooks: list[Callable[[Event], None]] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        for hook in self.hooks:
            hook(event)

    def of(self, kind: type[T]) -> list[T]:
        return [e for e in self.events if isinstance(e, kind)]


def approve_on_request(recorder: Recorder, control: Control, sub: str,
                       action: str = "approve") -> list[dict[str, Any]]:
    """Play the professional: act on the CIBA request as soon as the client shows the code."""
    seen: list[dict[str, Any]] = []

    def hook(event: Event) -> None:
        if isinstance(event, WaitingForApproval):
            seen.append(control.act(sub, event.binding_code, action))

    recorder.hooks.append(hook)
    return seen


async def ciba_session(service: AuthService, recorder: Recorder, control: Control,
                       person: demo_world.Person) -> PscSession:
    approve_on_request(recorder, control, person.login)
    return await service.login_ciba(person.national_id, channel=CibaChannel.MOBILE)


def imap_client(sandbox: dict[str, Any]) -> Any:
    from imapclient import IMAPClient

    endpoint = sandbox["imaps"]
    return IMAPClient(endpoint["host"], port=endpoint["port"], ssl=True,
                      ssl_context=client_context(sandbox["ca_file"]), timeout=15)


async def imap_login(sandbox: dict[str, Any], user: str, source: sasl.TokenSource) -> None:
    client = await asyncio.to_thread(imap_client, sandbox)
    try:
        await sasl.imap_xoauth2_login(client, user, source)
        assert await asyncio.to_thread(client.select_folder, "INBOX", readonly=True)
    finally:
        await asyncio.to_thread(client.logout)


async def smtp_login(sandbox: dict[str, Any], user: str, source: sasl.TokenSource) -> None:
    import aiosmtplib

    endpoint = sandbox["submission"]
    smtp = aiosmtplib.SMTP(hostname=endpoint["host"], port=endpoint["port"], start_tls=True,
                           tls_context=client_context(sandbox["ca_file"]), timeout=15)
    await smtp.connect()
    try:
        await sasl.smtp_xoauth2_login(smtp, user, source)
    finally:
        await smtp.quit()


class StaleFirst:
    """A token source whose first token is garbage: the helpers must drop it and retry once."""

    def __init__(self, inner: sasl.TokenSource) -> None:
        self.inner = inner
        self.calls = 0
        self.invalidated = 0

    async def access_token(self) -> str:
        self.calls += 1
        if self.calls == 1:
            return "stale-token-from-before"
        return await self.inner.access_token()

    def invalidate(self) -> None:
        self.invalidated += 1
        self.inner.invalidate()


# --- discovery ------------------------------------------------------------------------------------

def test_discovery_reads_the_wallet_configuration(sandbox: dict[str, Any],
                                                  oidc: dict[str, Any]) -> None:
    """PSC publishes wallet-openid-configuration (MSSANTE §4); the issuer must match."""
    async def scenario() -> None:
        async with OidcClient(ciba_settings(sandbox, oidc)) as client:
            meta = await discover(client.http, oidc["issuer"])
            assert meta.issuer == oidc["issuer"]
            assert meta.backchannel_authentication_endpoint == \
                oidc["backchannel_authentication_endpoint"]
            assert meta.end_session_endpoint and meta.jwks_uri
            with pytest.raises(OidcError):
                await discover(client.http, oidc["issuer"] + "/other-realm")

    run(scenario())


# --- CIBA -----------------------------------------------------------------------------------------

def test_ciba_approved_opens_a_session(sandbox: dict[str, Any], oidc: dict[str, Any],
                                       control: Control) -> None:
    """CIBA as PSC runs it: 8+RPPS hint, 2-digit binding code, channel, eidas1, scope_all."""
    recorder = Recorder()
    seen = approve_on_request(recorder, control, demo_world.DR_MARTIN.login)

    async def scenario() -> PscSession:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await service.login_ciba(demo_world.DR_MARTIN.national_id,
                                               channel=CibaChannel.CARD)
            assert session.subject == demo_world.DR_MARTIN.login
            await session.close()
            return session
        finally:
            await service.aclose()

    session = run(scenario())
    waiting = recorder.of(WaitingForApproval)
    assert len(waiting) == 1 and re.fullmatch(r"\d{2}", waiting[0].binding_code)
    assert seen[0]["login_hint"] == demo_world.DR_MARTIN.national_id
    assert seen[0]["channel"] == "CARD" and seen[0]["acr_values"] == "eidas1"
    assert seen[0]["binding_message"] == waiting[0].binding_code
    assert set(seen[0]["scope"].split()) >= {"openid", "scope_all"}
    approved = recorder.of(Approved)
    assert approved and approved[0].subject == demo_world.DR_MARTIN.login
    assert approved[0].display_name == "Jean Martin"
    assert session.claims["SubjectNameID"] == demo_world.DR_MARTIN.national_id


@pytest.mark.parametrize(
    ("person", "action", "error", "event", "word"),
    [
        (demo_world.DR_BERNARD, "refuse", LoginRefusedError, Refused, "refusée"),
        (demo_world.NURSE_PETIT, "expire", LoginExpiredError, Expired, "expiré"),
    ],
    ids=["refused", "expired"],
)
def test_ciba_refused_or_expired(sandbox: dict[str, Any], oidc: dict[str, Any],
                                 control: Control, person: demo_world.Person, action: str,
                                 error: type[Exception], event: type[Any], word: str) -> None:
    recorder = Recorder()
    approve_on_request(recorder, control, person.login, action=action)

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            with pytest.raises(error):
                await service.login_ciba(person.national_id)
        finally:
            await service.aclose()

    run(scenario())
    assert [type(e) for e in recorder.events] == [WaitingForApproval, event]
    assert word in recorder.of(event)[0].reason


def test_ciba_slow_down_adds_five_seconds(sandbox: dict[str, Any], oidc: dict[str, Any],
                                          control: Control) -> None:
    """CIBA §11: after slow_down the client polls at least 5 s more slowly."""
    recorder = Recorder()
    person = demo_world.NURSE_MOREAU
    codes: list[str] = []

    def on_waiting(event: Event) -> None:
        if isinstance(event, WaitingForApproval):
            codes.append(event.binding_code)
            request = control.pending(person.login, event.binding_code)
            # The provider now wants 3 s between polls; the client still believes 1 s.
            control.call(f"/ciba/requests/{request['auth_req_id']}/interval", {"seconds": 3})

    recorder.hooks.append(on_waiting)
    delays: list[float] = []

    async def recording_sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) > 1 and delay > delays[0]:
            # The client slowed down: let the professional approve, back to a 1 s pace.
            request = control.pending(person.login, codes[0])
            control.call(f"/ciba/requests/{request['auth_req_id']}/interval", {"seconds": 1})
            control.call(f"/ciba/requests/{request['auth_req_id']}/approve", {})
            await asyncio.sleep(1.2)
            return
        await asyncio.sleep(delay)

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await service.login_ciba(person.national_id, sleep=recording_sleep)
            assert session.subject == person.login
        finally:
            await service.aclose()

    run(scenario())
    assert delays[0] == 1.0
    assert delays[-1] == delays[0] + ciba.SLOW_DOWN_STEP


def test_ciba_can_be_cancelled(sandbox: dict[str, Any], oidc: dict[str, Any],
                               control: Control) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            operation = service.start_ciba(demo_world.DR_MARTIN.national_id)
            while not recorder.of(WaitingForApproval):
                await asyncio.sleep(0.05)
            operation.cancel()
            with pytest.raises(UserCancelled):
                await operation.result()
        finally:
            await service.aclose()

    run(scenario())
    assert recorder.of(LoginCancelled)
    assert not recorder.of(Approved)
    # The provider still waits for an answer: play "refuse" so no request lingers.
    code = recorder.of(WaitingForApproval)[0].binding_code
    control.act(demo_world.DR_MARTIN.login, code, "refuse")


def test_ciba_unknown_national_id_is_a_clear_error(sandbox: dict[str, Any],
                                                   oidc: dict[str, Any]) -> None:
    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc))
        try:
            with pytest.raises(OidcError, match="ne connaît pas cet identifiant"):
                await service.login_ciba("899999999999")
        finally:
            await service.aclose()

    run(scenario())


# --- code + PKCE with a scripted browser ----------------------------------------------------------

class ScriptedBrowser:
    """Plays the system browser: follows redirects, fills PSC's login form, hits the loopback."""

    def __init__(self, sandbox: dict[str, Any], login: str, *, forge_first: bool = False) -> None:
        self.ca_file = sandbox["ca_file"]
        self.login = login
        self.forge_first = forge_first
        self.pages: list[str] = []

    async def __call__(self, url: str) -> None:
        await asyncio.to_thread(self._browse, url)

    def _browse(self, url: str) -> None:
        verify = ssl.create_default_context(cafile=self.ca_file)
        with httpx.Client(verify=verify, timeout=10) as browser:
            response = browser.get(url)
            for _ in range(10):
                if response.status_code in (302, 303):
                    location = urljoin(str(response.url), response.headers["location"])
                    if location.startswith("http://127.0.0.1:"):
                        if self.forge_first:
                            # A local page guessing the redirect: wrong state, must be ignored.
                            forged = location.split("?")[0] + "?code=forged&state=wrong"
                            assert httpx.get(forged, timeout=5).status_code == 400
                        done = httpx.get(location, timeout=5)
                        self.pages.append(done.text)
                        return
                    response = browser.get(location)
                elif response.status_code == 200 and 'name="login"' in response.text:
                    response = browser.post(str(response.url),
                                            data={"login": self.login, "action": "login"})
                else:
                    raise AssertionError(f"unexpected {response.status_code}: {response.text}")
            raise AssertionError("too many redirects")


def test_code_flow_with_pkce_end_to_end(sandbox: dict[str, Any], oidc: dict[str, Any],
                                        control: Control) -> None:
    """Authorization code + PKCE, loopback redirect on 127.0.0.1:<random> (RFC 8252)."""
    browser = ScriptedBrowser(sandbox, demo_world.DR_BERNARD.login, forge_first=True)
    recorder = Recorder()

    async def scenario() -> None:
        service = AuthService(native_settings(sandbox, oidc), publish=recorder)
        try:
            session = await service.login_browser(open_browser=browser, timeout=60)
            assert session.subject == demo_world.DR_BERNARD.login
            token = await session.access_token()
            assert control.introspect(token)["sub"] == demo_world.DR_BERNARD.login
            await imap_login(sandbox, demo_world.DR_BERNARD.login, session)
            await session.close()
        finally:
            await service.aclose()

    run(scenario())
    assert browser.pages and "fermer cette fenêtre" in browser.pages[0]
    assert recorder.of(Approved)


def test_logout_through_end_session(sandbox: dict[str, Any], oidc: dict[str, Any],
                                    control: Control) -> None:
    """Log out: refresh token revoked, PSC's end_session page confirmed; tokens dead."""
    recorder = Recorder()
    confirmed: list[dict[str, list[str]]] = []

    def logout_browser(browser: httpx.Client, url: str) -> None:
        page = browser.get(url)
        action = re.search(r'<form [^>]*action="([^"]+)"', page.text)
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
        assert action and xsrf, page.text
        answer = browser.post(action.group(1), data={"xsrf": xsrf.group(1), "logout": "yes"})
        while answer.status_code in (302, 303):
            location = urljoin(str(answer.url), answer.headers["location"])
            if location.startswith(oidc["clients"]["native"]["post_logout_redirect_uri"]):
                confirmed.append(parse_qs(urlsplit(location).query))
                return
            answer = browser.get(location)

    async def scenario() -> str:
        verify = ssl.create_default_context(cafile=sandbox["ca_file"])
        with httpx.Client(verify=verify, timeout=10) as browser:
            # One browser for login and logout: the PSC browser session is what end_session ends.
            login_browser = ScriptedBrowser(sandbox, demo_world.DR_MARTIN.login)
            login_browser._browse = lambda url: _browse_with(browser, login_browser, url)
            service = AuthService(native_settings(sandbox, oidc), publish=recorder)
            try:
                session = await service.login_browser(open_browser=login_browser, timeout=60)
                token = await session.access_token()
                await session.logout(
                    open_browser=lambda url: asyncio.to_thread(logout_browser, browser, url))
                with pytest.raises(SessionEndedError):
                    await session.access_token()
                return token
            finally:
                await service.aclose()

    token = run(scenario())
    assert confirmed, "the end_session page did not lead back to the client"
    assert control.introspect(token)["active"] is False
    assert recorder.of(SessionEnded)


def _browse_with(browser: httpx.Client, script: ScriptedBrowser, url: str) -> None:
    response = browser.get(url)
    for _ in range(10):
        if response.status_code in (302, 303):
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith("http://127.0.0.1:"):
                script.pages.append(httpx.get(location, timeout=5).text)
                return
            response = browser.get(location)
        elif response.status_code == 200 and 'name="login"' in response.text:
            response = browser.post(str(response.url),
                                    data={"login": script.login, "action": "login"})
        else:
            raise AssertionError(f"unexpected {response.status_code}: {response.text}")


# --- the tokens on the mail servers ---------------------------------------------------------------

def test_xoauth2_on_imap_and_smtp_with_a_ciba_session(sandbox: dict[str, Any],
                                                      oidc: dict[str, Any],
                                                      control: Control) -> None:
    """ECO.1.2.1: the PSC access token over SASL XOAUTH2 on IMAP and SMTP submission."""
    recorder = Recorder()

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await ciba_session(service, recorder, control, demo_world.DR_MARTIN)
            await imap_login(sandbox, demo_world.DR_MARTIN.login, session)
            await smtp_login(sandbox, demo_world.DR_MARTIN.login, session)
            await session.close()
        finally:
            await service.aclose()

    run(scenario())


def test_refused_token_is_dropped_refreshed_and_retried_once(sandbox: dict[str, Any],
                                                            oidc: dict[str, Any],
                                                            control: Control) -> None:
    """ECO.1.2.1: on the 334 {"status":"401"} challenge, drop the token, refresh once, retry once
    (MSSANTE §3)."""
    recorder = Recorder()

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await ciba_session(service, recorder, control, demo_world.DR_MARTIN)
            imap_source = StaleFirst(session)
            await imap_login(sandbox, demo_world.DR_MARTIN.login, imap_source)
            assert imap_source.invalidated == 1 and imap_source.calls == 2
            smtp_source = StaleFirst(session)
            await smtp_login(sandbox, demo_world.DR_MARTIN.login, smtp_source)
            assert smtp_source.invalidated == 1 and smtp_source.calls == 2
            assert session.refresh_count == 2  # each invalidation forced one refresh
            await session.close()
        finally:
            await service.aclose()

    run(scenario())


def test_a_token_for_another_user_is_refused(sandbox: dict[str, Any], oidc: dict[str, Any],
                                             control: Control) -> None:
    """Dr Bernard's token does not open Dr Martin's box, even after one refresh."""
    recorder = Recorder()

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await ciba_session(service, recorder, control, demo_world.DR_BERNARD)
            with pytest.raises(sasl.TokenRefusedError) as imap_error:
                await imap_login(sandbox, demo_world.DR_MARTIN.login, session)
            with pytest.raises(sasl.TokenRefusedError) as smtp_error:
                await smtp_login(sandbox, demo_world.DR_MARTIN.login, session)
            assert smtp_error.value.challenge is not None
            assert smtp_error.value.challenge.status == "401"
            assert "jeton" in imap_error.value.message
            await session.close()
        finally:
            await service.aclose()

    run(scenario())


def test_expiry_mid_session_is_refreshed_without_the_caller_noticing(
        sandbox: dict[str, Any], oidc: dict[str, Any], control: Control) -> None:
    """ECO.1.2.7: tokens renewed ahead of expiry; IMAP reconnects with no action of the user."""
    recorder = Recorder()
    previous = control.call("/settings", {"access_token_ttl": 4})["previous"]

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await ciba_session(service, recorder, control, demo_world.NURSE_PETIT)
            first = await session.access_token()
            await imap_login(sandbox, demo_world.NURSE_PETIT.login, session)
            # Wait for the background renewal (bounded by the test timeout, not asserted).
            while not recorder.of(SessionRefreshed):
                await asyncio.sleep(0.1)
            while control.introspect(first)["active"]:
                await asyncio.sleep(0.2)  # the first token is now dead at the provider
            await imap_login(sandbox, demo_world.NURSE_PETIT.login, session)
            await smtp_login(sandbox, demo_world.NURSE_PETIT.login, session)
            assert await session.access_token() != first
            await session.close()
        finally:
            await service.aclose()

    try:
        run(scenario())
    finally:
        control.call("/settings", {"access_token_ttl": previous["access_token_ttl"]})
    assert not recorder.of(SessionEnded)


def test_revoked_refresh_token_ends_the_session(sandbox: dict[str, Any], oidc: dict[str, Any],
                                                control: Control) -> None:
    """ECO.1.2.6: when the refresh token dies, the session ends with a clear French message."""
    recorder = Recorder()

    async def scenario() -> None:
        service = AuthService(ciba_settings(sandbox, oidc), publish=recorder)
        try:
            session = await ciba_session(service, recorder, control, demo_world.NURSE_MOREAU)
            control.call("/revoke", {"sub": demo_world.NURSE_MOREAU.login})
            with pytest.raises(SessionEndedError) as ended:
                await imap_login(sandbox, demo_world.NURSE_MOREAU.login, session)
            assert "reconnectez-vous" in ended.value.message
            assert session.ended
            with pytest.raises(SessionEndedError):
                await session.access_token()
        finally:
            await service.aclose()

    run(scenario())
    ended_events = recorder.of(SessionEnded)
    assert len(ended_events) == 1
    assert ended_events[0].subject == demo_world.NURSE_MOREAU.login
    assert "session Pro Santé Connect est terminée" in ended_events[0].reason


# --- a token endpoint run by the structure --------------------------------------------------------

def test_structure_token_endpoint(sandbox: dict[str, Any], oidc: dict[str, Any],
                                  control: Control) -> None:
    """The workstation holds no secret: a structure's service adds it (MSSANTE §4)."""
    ciba_client = oidc["clients"]["ciba"]
    upstream = {"token": oidc["token_endpoint"],
                "ciba": oidc["backchannel_authentication_endpoint"]}
    seen_paths: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        path = lines[0].split(" ")[1]
        length = next(int(line.split(":")[1]) for line in lines
                      if line.lower().startswith("content-length:"))
        body = await reader.readexactly(length)
        seen_paths.append(path)
        form = dict(parse_qs(body.decode()))
        assert form.pop("client_id") == [ciba_client["client_id"]]
        async with httpx.AsyncClient(
                verify=ssl.create_default_context(cafile=sandbox["ca_file"])) as http:
            answer = await http.post(upstream[path.strip("/")],
                                     data={k: v[0] for k, v in form.items()},
                                     auth=(ciba_client["client_id"], ciba_client["client_secret"]))
        payload = answer.content
        writer.write(f"HTTP/1.1 {answer.status_code} X\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                     + payload)
        await writer.drain()
        writer.close()

    recorder = Recorder()

    async def scenario() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        # Plain HTTP on loopback stands in for the structure's HTTPS service in this test.
        settings = OidcSettings(
            issuer=oidc["issuer"], extra_ca_file=sandbox["ca_file"],
            client_auth=StructureTokenEndpoint(ciba_client["client_id"],
                                               token_url=f"http://127.0.0.1:{port}/token",
                                               backchannel_url=f"http://127.0.0.1:{port}/ciba"))
        service = AuthService(settings, publish=recorder)
        try:
            session = await ciba_session(service, recorder, control, demo_world.DR_MARTIN)
            session.invalidate()
            await session.access_token()  # a refresh through the structure too
            await session.close()
        finally:
            await service.aclose()
            server.close()

    run(scenario())
    assert seen_paths[0] == "/ciba"
    assert seen_paths.count("/token") >= 2


# --- nothing on disk (ECO.1.2.5) ------------------------------------------------------------------

def test_no_token_lands_on_disk_or_in_logs(sandbox: dict[str, Any], oidc: dict[str, Any],
                                           control: Control, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """ECO.1.2.5: after a session, no access/refresh/ID token in the profile, temp dir or logs."""
    from app.composition import open_profile
    from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind

    profile_dir = tmp_path / "profile"
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    log_file = tmp_path / "estafette.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = str(temp_dir)
    secrets_seen: set[str] = set()
    recorder = Recorder()
    person = demo_world.DR_MARTIN

    def remember(session: PscSession) -> None:
        tokens = session._tokens
        if tokens is not None:
            secrets_seen.update(t for t in (tokens.access_token, tokens.refresh_token,
                                            tokens.id_token) if t)

    try:
        profile = open_profile(profile_dir, key_file=tmp_path / "profile.key")
        with profile:
            imap = sandbox["imaps"]
            smtp = sandbox["submission"]
            profile.accounts.add(Account(
                address=person.login, kind=MailboxKind.PER, login=person.login,
                imap=Endpoint.parse(f"{imap['host']}:{imap['port']}", "implicit"),
                smtp=Endpoint.parse(f"{smtp['host']}:{smtp['port']}", "starttls"),
                auth=AuthMethod.PSC, ca_file=sandbox["ca_file"], national_id=person.national_id))

            async def scenario() -> None:
                service = AuthService(ciba_settings(sandbox, oidc), publish=recorder,
                                      secrets=profile.secrets)
                try:
                    session = await ciba_session(service, recorder, control, person)
                    remember(session)
                    await imap_login(sandbox, person.login, session)
                    session.invalidate()
                    await session.access_token()
                    remember(session)
                    await smtp_login(sandbox, person.login, session)
                    remember(session)
                    await session.logout()
                finally:
                    await service.aclose()

            run(scenario())
    finally:
        tempfile.tempdir = old_tempdir
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()

    assert len(secrets_seen) >= 4  # access + refresh + id, then renewed ones
    needles = [s.encode() for s in secrets_seen]
    # Refresh tokens and access tokens are opaque; also look for distinctive fragments.
    needles += [s[:24].encode() for s in secrets_seen if len(s) > 24]
    scanned = 0
    for folder in (profile_dir, temp_dir, tmp_path):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                scanned += 1
                for needle in needles:
                    assert needle not in data, f"a token was found in {path}"
    assert scanned >= 3  # the profile's database and description, the log file
    assert log_file.stat().st_size > 0
    text = caplog.text
    for secret in secrets_seen:
        assert secret not in text
        assert secret[:24] not in text
    for record in caplog.records:
        assert not any(secret in str(record.args) for secret in secrets_seen)
