"""The CPS card (SoftHSM2 standing in): present, absent, removed and inserted again; its holder
prefills the CIBA login with channel=CARD; removal locks the session (setting).

Each test works on its own copy of the sandbox token directory; pulling the card out is moving
that directory away (the middleware then finds no token), putting it back is moving it back.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.domain.session import CibaChannel
from app.events import Event
from app.protocols.oidc.client import OidcSettings
from app.protocols.oidc.client_auth import ClientSecretBasic
from app.protocols.pkcs11.card import ABSENT, CardError, CardReader, CardWatcher
from app.services.auth_events import (
    CardInserted,
    CardRemoved,
    SessionLocked,
    WaitingForApproval,
)
from app.services.auth_service import AuthService, LoginFailedNoCard, SessionLockedError
from tests.sandbox import demo_world

pytestmark = pytest.mark.sandbox


@dataclass
class Slot:
    """A private copy of the sandbox token: ``pull()`` and ``insert()`` the card."""

    module: str
    conf: Path
    tokens: Path
    label: str

    def pull(self) -> None:
        self.tokens.rename(self.tokens.with_name("pulled-out"))
        self.tokens.mkdir()

    def insert(self) -> None:
        self.tokens.rmdir()
        self.tokens.with_name("pulled-out").rename(self.tokens)

    def reader(self) -> CardReader:
        return CardReader(self.module, rescan=True)


def _write_conf(conf: Path, tokens: Path) -> None:
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")


def _reload(module: str) -> None:
    """Make the (process-wide) PKCS#11 library read SOFTHSM2_CONF again."""
    from app.protocols.pkcs11 import card

    lib = card._LIBS.get(module)
    if lib is not None:
        lib.reinitialize()


@pytest.fixture
def slot(sandbox: dict[str, Any], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Slot]:
    info = sandbox["softhsm"]
    tokens = tmp_path / "hsm" / "tokens"
    shutil.copytree(Path(info["conf"]).parent / "tokens", tokens)
    conf = tmp_path / "hsm" / "softhsm2.conf"
    _write_conf(conf, tokens)
    # SoftHSM reads this when the library initialises (the reader re-initialises each look).
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    yield Slot(module=info["module"], conf=conf, tokens=tokens, label=info["token_label"])
    monkeypatch.undo()
    _reload(info["module"])


def test_a_present_card_gives_its_holder_without_pin(slot: Slot) -> None:
    state = slot.reader().read()
    assert state.present and state.holder is not None
    assert state.holder.national_id == demo_world.DR_MARTIN.national_id
    assert state.holder.display_name == f"Jean {demo_world.DR_MARTIN.family_name.upper()}"
    assert state.holder.family_name == demo_world.DR_MARTIN.family_name.upper()
    assert state.token_label == slot.label
    assert state.certificate_der.startswith(b"\x30")


def test_no_card_in_the_reader(slot: Slot, tmp_path: Path) -> None:
    empty = tmp_path / "empty-tokens"
    empty.mkdir()
    _write_conf(slot.conf, empty)
    assert slot.reader().read() == ABSENT


def test_another_token_label_is_not_our_card(slot: Slot) -> None:
    assert CardReader(slot.module, token_label="CPS-SOMEONE-ELSE", rescan=True).read() == ABSENT


def test_a_wrong_module_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CardError, match="ne peut pas être chargé"):
        CardReader(str(tmp_path / "libcps3_pkcs11_lin.so")).read()


def test_removal_and_insertion_are_seen(slot: Slot) -> None:
    changes: list[Any] = []
    watcher = CardWatcher(slot.reader(), changes.append, interval=0.05)

    async def scenario() -> None:
        assert (await watcher.check()).present
        slot.pull()
        assert not (await watcher.check()).present
        slot.insert()
        assert (await watcher.check()).present

    asyncio.run(scenario())
    assert [(c.inserted, c.removed) for c in changes] == [(True, False), (False, True),
                                                          (True, False)]


def test_card_login_prefills_ciba_and_removal_locks_the_session(
        slot: Slot, sandbox: dict[str, Any]) -> None:
    """CIBA channel=CARD with the card's national id; pulling the card locks the session."""
    import httpx

    oidc = sandbox["oidc"]
    client = oidc["clients"]["ciba"]
    settings = OidcSettings(issuer=oidc["issuer"], extra_ca_file=sandbox["ca_file"],
                            client_auth=ClientSecretBasic(client["client_id"],
                                                          client["client_secret"]))
    events: list[Event] = []
    seen: list[dict[str, Any]] = []
    control = httpx.Client(verify=ssl.create_default_context(cafile=sandbox["ca_file"]),
                           timeout=10)

    def publish(event: Event) -> None:
        events.append(event)
        if isinstance(event, WaitingForApproval):
            pending = control.get(f"{oidc['control_url']}/ciba/requests",
                                  params={"sub": demo_world.DR_MARTIN.login}).json()["requests"]
            mine = [r for r in pending if r["binding_message"] == event.binding_code]
            seen.extend(mine)
            control.post(f"{oidc['control_url']}/ciba/requests/{mine[0]['auth_req_id']}/approve",
                         json={})

    async def scenario() -> None:
        service = AuthService(settings, publish=publish)
        reader = slot.reader()
        watcher = service.watch_card(reader, interval=0.05)
        try:
            await watcher.check()
            session = await service.login_with_card(reader)
            assert session.subject == demo_world.DR_MARTIN.login
            assert await session.access_token()
            slot.pull()
            await watcher.check()
            assert session.locked
            with pytest.raises(SessionLockedError):
                await session.access_token()
            slot.insert()
            await watcher.check()
        finally:
            await service.aclose()

    try:
        asyncio.run(scenario())
    finally:
        control.close()
    assert seen and seen[0]["channel"] == CibaChannel.CARD.value
    assert seen[0]["login_hint"] == demo_world.DR_MARTIN.national_id
    kinds = [type(e) for e in events]
    assert kinds.count(CardInserted) == 2
    assert kinds.index(CardRemoved) < kinds.index(SessionLocked)
    locked = [e for e in events if isinstance(e, SessionLocked)]
    assert "carte CPS a été retirée" in locked[0].reason


def test_card_login_without_a_card(slot: Slot, sandbox: dict[str, Any]) -> None:
    oidc = sandbox["oidc"]
    settings = OidcSettings(issuer=oidc["issuer"], extra_ca_file=sandbox["ca_file"],
                            client_auth=ClientSecretBasic("x", "y"))
    slot.pull()

    async def scenario() -> None:
        service = AuthService(settings)
        try:
            with pytest.raises(LoginFailedNoCard, match="Aucune carte CPS"):
                await service.login_with_card(slot.reader())
        finally:
            await service.aclose()

    asyncio.run(scenario())


def test_the_sandbox_card_is_seen_again_afterwards(sandbox: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Other tests in this process (tests/integration/test_sandbox_services.py) get their token."""
    monkeypatch.setenv("SOFTHSM2_CONF", sandbox["softhsm"]["conf"])
    state = CardReader(sandbox["softhsm"]["module"], rescan=True).read()
    assert state.present
    assert os.environ["SOFTHSM2_CONF"] == sandbox["softhsm"]["conf"]
