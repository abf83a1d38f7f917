"""SASL XOAUTH2 and OAUTHBEARER: encodings, the 401 challenge, drop-refresh-retry (MSSANTE §3)."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest

from app.protocols import sasl
from app.protocols.tls import TlsPolicyError

CHALLENGE = base64.b64encode(json.dumps(
    {"status": "401", "schemes": "bearer", "scope": "mail"}).encode())


def test_xoauth2_initial_response() -> None:
    raw = sasl.xoauth2_initial_response("jean.martin@x.mssante.fr", "tok")
    assert raw == b"user=jean.martin@x.mssante.fr\x01auth=Bearer tok\x01\x01"


def test_oauthbearer_initial_response_escapes_the_authzid() -> None:
    raw = sasl.oauthbearer_initial_response("a,b=c@x.fr", "tok", "imap.x.fr", 993)
    assert raw == b"n,a=a=2Cb=3Dc@x.fr,\x01host=imap.x.fr\x01port=993\x01auth=Bearer tok\x01\x01"


@pytest.mark.parametrize("data", [CHALLENGE, CHALLENGE.decode(), base64.b64decode(CHALLENGE)])
def test_the_401_challenge_is_parsed(data: bytes | str) -> None:
    challenge = sasl.parse_bearer_challenge(data)
    assert challenge is not None
    assert (challenge.status, challenge.schemes, challenge.scope) == ("401", "bearer", "mail")
    assert challenge.is_invalid_token


@pytest.mark.parametrize("data", [b"", b"   ", b"not base64 !", base64.b64encode(b"[1, 2]"),
                                  base64.b64encode(b"{\"nostatus\": 1}")])
def test_other_data_is_not_a_challenge(data: bytes) -> None:
    assert sasl.parse_bearer_challenge(data) is None


class Source:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.given: list[str] = []
        self.invalidated = 0

    async def access_token(self) -> str:
        token = self.tokens[min(len(self.given), len(self.tokens) - 1)]
        self.given.append(token)
        return token

    def invalidate(self) -> None:
        self.invalidated += 1


class FakeImap:
    """Accepts only ``good``; answers others with the 401 challenge like Dovecot."""

    ssl = True

    def __init__(self, good: str) -> None:
        self.good = good
        self.replies: list[bytes] = []

    def capabilities(self) -> tuple[bytes, ...]:
        return (b"IMAP4REV1", b"AUTH=XOAUTH2", b"AUTH=OAUTHBEARER")

    def sasl_login(self, mech: str, callback: Any) -> None:
        from imapclient.exceptions import LoginError

        initial = callback(b"")
        if f"auth=Bearer {self.good}\x01".encode() in initial:
            return
        self.replies.append(callback(CHALLENGE))
        raise LoginError("AUTHENTICATE failed")


def test_imap_drops_the_refused_token_and_retries_once() -> None:
    source = Source(["old", "new"])
    imap = FakeImap(good="new")
    asyncio.run(sasl.imap_xoauth2_login(imap, "u@x.fr", source))
    assert source.given == ["old", "new"]
    assert source.invalidated == 1
    assert imap.replies == [b""]  # XOAUTH2: an empty response ends the failed exchange


def test_imap_reports_after_one_retry() -> None:
    source = Source(["bad1", "bad2", "bad3"])
    with pytest.raises(sasl.TokenRefusedError) as error:
        asyncio.run(sasl.imap_xoauth2_login(FakeImap(good="never"), "u@x.fr", source))
    assert source.given == ["bad1", "bad2"]
    assert error.value.challenge is not None and error.value.challenge.status == "401"


def test_oauthbearer_answers_the_challenge_with_0x01() -> None:
    imap = FakeImap(good="never")
    with pytest.raises(sasl.TokenRefusedError):
        asyncio.run(sasl.imap_xoauth2_login(imap, "u@x.fr", Source(["t"]),
                                            mechanism=sasl.OAUTHBEARER))
    assert imap.replies == [b"\x01", b"\x01"]


def test_no_token_is_sent_on_a_plaintext_imap_connection() -> None:
    imap = FakeImap(good="t")
    imap.ssl = False
    source = Source(["t"])
    with pytest.raises(TlsPolicyError):
        asyncio.run(sasl.imap_xoauth2_login(imap, "u@x.fr", source))
    assert source.given == []


@dataclass
class Reply:
    code: int
    message: str


class FakeSmtp:
    server_auth_methods = ("xoauth2", "plain")

    def __init__(self, good: str, tls: bool = True) -> None:
        self.good = good
        self.tls = tls
        self.commands: list[tuple[bytes, ...]] = []

    def get_transport_info(self, key: str) -> object:
        return object() if self.tls else None

    async def _ehlo_or_helo_if_needed(self) -> None:
        return None

    async def execute_command(self, *args: bytes) -> Reply:
        self.commands.append(args)
        if args[0] == b"AUTH":
            if f"auth=Bearer {self.good}\x01".encode() in base64.b64decode(args[2]):
                return Reply(235, "2.7.0 Authentication successful")
            return Reply(334, CHALLENGE.decode())
        return Reply(535, "5.7.8 Authentication failed")


def test_smtp_handles_the_334_challenge_then_retries_once() -> None:
    source = Source(["old", "new"])
    smtp = FakeSmtp(good="new")
    asyncio.run(sasl.smtp_xoauth2_login(smtp, "u@x.fr", source))
    assert [c[0] for c in smtp.commands] == [b"AUTH", b"", b"AUTH"]
    assert source.invalidated == 1


def test_smtp_reports_the_challenge_after_the_retry() -> None:
    smtp = FakeSmtp(good="never")
    with pytest.raises(sasl.TokenRefusedError) as error:
        asyncio.run(sasl.smtp_xoauth2_login(smtp, "u@x.fr", Source(["a", "b", "c"])))
    assert len([c for c in smtp.commands if c[0] == b"AUTH"]) == 2
    assert error.value.challenge is not None and error.value.challenge.scope == "mail"
    assert "jeton" in error.value.message


def test_no_token_is_sent_on_a_plaintext_smtp_connection() -> None:
    smtp = FakeSmtp(good="t", tls=False)
    with pytest.raises(TlsPolicyError):
        asyncio.run(sasl.smtp_xoauth2_login(smtp, "u@x.fr", Source(["t"])))
    assert smtp.commands == []


# --- the PSC session as a TokenSource (app.services.auth_service.PscSession) ----------------------

class FakeProvider:
    """Stands in for OidcClient.refresh: scripted outcomes, a pinned clock."""

    def __init__(self, clock: list[float], outcomes: list[object]) -> None:
        self.clock = clock
        self.outcomes = outcomes
        self.calls = 0

    async def refresh(self, tokens: Any) -> Any:
        from app.protocols.oidc.client import TokenSet

        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return TokenSet(access_token=str(outcome), expires_at=self.clock[0] + 100,
                        refresh_token="r2", claims=tokens.claims)


def _session(outcomes: list[object]) -> tuple[Any, FakeProvider, list[float], list[Any]]:
    from app.protocols.oidc.client import TokenSet
    from app.services.auth_service import PscSession

    clock = [1000.0]
    provider = FakeProvider(clock, outcomes)
    events: list[Any] = []
    tokens = TokenSet(access_token="jeton-acces-a1", expires_at=1100.0,
                      refresh_token="jeton-renouv-r1",
                      claims={"sub": "jean.martin@x.mssante.fr"})
    session = PscSession(provider, tokens, publish=events.append,  # type: ignore[arg-type]
                         clock=lambda: clock[0])
    return session, provider, clock, events


def test_session_refreshes_ahead_of_expiry() -> None:
    """ECO.1.2.7: renewed before it expires (a fifth of the lifetime ahead), not after."""
    from app.services.auth_events import SessionRefreshed

    session, provider, clock, events = _session(["a2"])
    assert isinstance(session, sasl.TokenSource)
    assert asyncio.run(session.access_token()) == "jeton-acces-a1"
    clock[0] = 1100.0 - session.margin + 1  # inside the margin, still valid at the provider
    assert asyncio.run(session.access_token()) == "a2"
    assert provider.calls == 1
    assert [type(e) for e in events] == [SessionRefreshed]


def test_a_network_failure_while_refreshing_does_not_end_the_session() -> None:
    """ECO.1.2.3: PSC unreachable -> an error for this attempt, the session stays open."""
    from app.protocols.oidc.errors import ProviderUnreachableError

    session, _provider, _clock, events = _session([ProviderUnreachableError(), "a2"])
    session.invalidate()
    with pytest.raises(ProviderUnreachableError):
        asyncio.run(session.access_token())
    assert not session.ended and events == []
    assert asyncio.run(session.access_token()) == "a2"


def test_a_dead_refresh_token_ends_the_session_once() -> None:
    """ECO.1.2.6: invalid_grant -> SessionEnded (French reason), tokens dropped, no retry."""
    from app.protocols.oidc.errors import SessionEndedError
    from app.services.auth_events import SessionEnded

    session, provider, _clock, events = _session([SessionEndedError()])
    session.invalidate()
    for _ in range(2):
        with pytest.raises(SessionEndedError):
            asyncio.run(session.access_token())
    assert provider.calls == 1
    assert session.ended and session._tokens is None
    assert [type(e) for e in events] == [SessionEnded]
    assert "reconnectez-vous" in events[0].reason
    # Distinctive values: a bare "a1" also turns up in object addresses (0x7f…a1…) in a repr.
    assert "jeton-acces-a1" not in repr(session.__dict__)
    assert "jeton-renouv-r1" not in repr(session.__dict__)


def test_token_sets_hide_their_tokens_in_repr() -> None:
    """ECO.1.2.5: a TokenSet logged by mistake shows no token."""
    from app.protocols.oidc.client import TokenSet

    tokens = TokenSet(access_token="secret-access", expires_at=1.0, refresh_token="secret-refresh",
                      id_token="secret-id")
    assert "secret" not in repr(tokens)
