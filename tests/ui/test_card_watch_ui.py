"""The CPS card in the real main window (over a real encrypted profile, offscreen): the profile's
card watch — SoftHSM2 playing the card, see ``tests/integration/softhsm_card.py`` for what
pulling it out means there — drives the status-bar indicator through the bridge, and pulling
the card out while a session opened with the card is open locks the whole window. Putting the
card back does not unlock it: re-authentication does.

The card session is a real one: a Pro Santé Connect CIBA login with channel CARD against the
sandbox provider, its events published on the profile's bus as the window's login flow does.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.settings import AppSettings
from app.events import Event
from app.protocols.oidc.client import OidcSettings
from app.protocols.oidc.client_auth import ClientSecretBasic
from app.protocols.pkcs11.card import CardReader
from app.services.auth_events import WaitingForApproval
from app.services.auth_service import AuthService
from tests.integration.psc_helpers import Control
from tests.integration.softhsm_card import PrivateCard, private_card_for
from tests.sandbox import demo_world
from ui.bridge import EventBridge
from ui.dialogs.settings_dialog import SettingsResult
from ui.windows.main_window import MainWindow

pytestmark = pytest.mark.sandbox

MAILBOX = "jean.martin@cabinet-rivoli.estafette-demo.mssante.fr"
PASSWORD = "secret"
WAIT_MS = 20_000
INTERVAL = 0.1
HOLDER = f"Jean {demo_world.DR_MARTIN.family_name.upper()}"


@pytest.fixture
def private_card(sandbox: dict[str, Any], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCard]:
    yield from private_card_for(sandbox, tmp_path, monkeypatch)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = open_profile(tmp_path / "profile", key_file=tmp_path / "key", defer_services=True)
    opened.accounts.add(Account(
        address=MAILBOX, kind=MailboxKind.PER, login=MAILBOX, auth=AuthMethod.PASSWORD,
        imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
        smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS)), password=PASSWORD)
    opened.card_monitor.interval = INTERVAL
    yield opened
    opened.close()


def open_window(qtbot: QtBot, profile: Profile, settings: AppSettings) -> MainWindow:
    bridge = EventBridge(profile.events)
    window = MainWindow(profile.accounts.list(), profile=profile, bridge=bridge,
                        settings=settings, sync_on_start=False, use_tray=False)
    window._test_bridge = bridge  # type: ignore[attr-defined] # kept alive with the window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def watch_threads() -> list[str]:
    return [t.name for t in threading.enumerate()
            if t.name == "card-watch" or t.name.startswith("card-read")]


def card_login(sandbox: dict[str, Any], profile: Profile, card: PrivateCard, *,
               keep: bool = False) -> Any:
    """A real CIBA login with channel CARD (the card's national id as hint), approved on the
    provider's control API; its events go to the profile's bus like the window's own login."""
    oidc = sandbox["oidc"]
    client = oidc["clients"]["ciba"]
    settings = OidcSettings(issuer=oidc["issuer"], extra_ca_file=sandbox["ca_file"],
                            client_auth=ClientSecretBasic(client["client_id"],
                                                          client["client_secret"]))
    http = httpx.Client(verify=ssl.create_default_context(cafile=sandbox["ca_file"]),
                        timeout=10)
    control = Control(http, oidc)

    def approve(event: Event) -> None:
        if isinstance(event, WaitingForApproval):
            control.approve(demo_world.DR_MARTIN.login, event.binding_code)

    unsubscribe = profile.events.subscribe(WaitingForApproval, approve)

    async def login() -> Any:
        service = AuthService(settings, publish=profile.events.publish)
        try:
            session = await service.login_with_card(CardReader(card.module, rescan=True))
            return (service, session) if keep else session
        finally:
            if not keep:
                await service.aclose()

    try:
        return asyncio.run(login())
    finally:
        unsubscribe()
        http.close()


def visible_outside(window: QWidget, screen: QWidget) -> list[str]:
    """Texts of visible labels that are not part of the lock screen."""
    return [w.text() for w in window.findChildren(QLabel)
            if w.isVisible() and not screen.isAncestorOf(w)]


def test_the_watch_drives_the_indicator_and_a_removal_locks_the_window(
        qtbot: QtBot, sandbox: dict[str, Any], profile: Profile,
        private_card: PrivateCard) -> None:
    settings = AppSettings(pkcs11_module=private_card.module,
                           pkcs11_token_label=private_card.label)
    window = open_window(qtbot, profile, settings)
    indicator = window.card_status
    lock = window.lock
    assert lock is not None

    # The watch starts with the services (after the first paint), on its own threads.
    qtbot.waitUntil(lambda: indicator.state == "present", timeout=WAIT_MS)
    assert HOLDER in indicator.text()
    assert "card-watch" in watch_threads()

    # No session opened with the card yet: pulling it out only updates the indicator.
    private_card.pull()
    qtbot.waitUntil(lambda: indicator.state == "absent", timeout=WAIT_MS)
    assert "Carte CPS absente" in indicator.text() and HOLDER not in indicator.text()
    assert not lock.locked
    private_card.insert()
    qtbot.waitUntil(lambda: indicator.state == "present", timeout=WAIT_MS)

    # A Pro Santé Connect login approved on the card: the session is tied to it.
    outcome: list[Any] = []
    login = threading.Thread(target=lambda: outcome.append(
        card_login(sandbox, profile, private_card)), name="test-card-login")
    login.start()
    qtbot.waitUntil(lambda: not login.is_alive(), timeout=WAIT_MS)
    assert outcome and outcome[0].subject == demo_world.DR_MARTIN.login
    qtbot.waitUntil(lambda: lock.card_session, timeout=WAIT_MS)
    assert not lock.locked
    central = window.centralWidget()
    assert central is not None and central.isVisible()

    # The card leaves the reader: the whole window locks.
    private_card.pull()
    qtbot.waitUntil(lambda: lock.locked, timeout=WAIT_MS)
    assert indicator.state == "absent"
    assert lock.screen.isVisible()
    assert lock.screen.geometry() == window.rect()
    assert "carte CPS a été retirée" in lock.screen.reason_label.text()
    assert not central.isVisible() and not window.statusBar().isVisible()
    assert not window.menuBar().isVisible()
    # Nothing visible but the lock screen (which names whose session it is, nothing else).
    assert visible_outside(window, lock.screen) == []
    # Re-authenticating is refused while the card is out.
    assert not lock.screen.psc_button.isEnabled()
    assert not lock.try_password(PASSWORD)
    assert lock.locked

    # The card comes back: the indicator says so, the window stays locked.
    private_card.insert()
    qtbot.waitUntil(lambda: indicator.state == "present", timeout=WAIT_MS)
    qtbot.wait(int(5 * INTERVAL * 1000))
    assert lock.locked and lock.screen.isVisible() and not central.isVisible()
    assert lock.screen.psc_button.isEnabled()
    # Re-authentication unlocks (here the account's password; PSC would call unlock()).
    assert lock.try_password(PASSWORD)
    assert not lock.locked and central.isVisible()

    window.close()
    assert watch_threads() == []


def test_settings_changes_restart_or_stop_the_watch_and_a_bad_module_is_an_error(
        qtbot: QtBot, profile: Profile, private_card: PrivateCard, tmp_path: Path) -> None:
    window = open_window(qtbot, profile, AppSettings())
    indicator = window.card_status
    qtbot.waitUntil(lambda: window._services_requested, timeout=WAIT_MS)
    assert indicator.state == "unconfigured" and "non configuré" in indicator.text()
    assert watch_threads() == []  # no module, no thread

    # The settings dialog's result, as the window receives it.
    window._save_settings(SettingsResult(settings=AppSettings(
        pkcs11_module=private_card.module)))
    qtbot.waitUntil(lambda: indicator.state == "present", timeout=WAIT_MS)
    assert HOLDER in indicator.text()

    # A text file given as the module: a clear error in the indicator, no crash, no lock.
    bogus = tmp_path / "libcps3_pkcs11_lin.so"
    bogus.write_text("not a library\n")
    window._save_settings(SettingsResult(settings=AppSettings(pkcs11_module=str(bogus))))
    qtbot.waitUntil(lambda: indicator.state == "error", timeout=WAIT_MS)
    assert "erreur" in indicator.text()
    assert "pas une bibliothèque partagée" in indicator.toolTip()
    assert window.lock is not None and not window.lock.locked

    # Emptied: the watch stops.
    window._save_settings(SettingsResult(settings=AppSettings()))
    qtbot.waitUntil(lambda: indicator.state == "unconfigured", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: watch_threads() == [], timeout=WAIT_MS)
    window.close()


def test_logout_stops_the_watch(qtbot: QtBot, profile: Profile,
                                private_card: PrivateCard) -> None:
    window = open_window(qtbot, profile, AppSettings(pkcs11_module=private_card.module))
    qtbot.waitUntil(lambda: window.card_status.state == "present", timeout=WAIT_MS)
    with qtbot.waitSignal(window.logout_requested, timeout=WAIT_MS):
        window.logout()
    qtbot.waitUntil(lambda: watch_threads() == [], timeout=WAIT_MS)
    assert not profile.card_monitor.running


def test_a_removal_also_locks_the_tokens_of_the_window_s_card_session(
        qtbot: QtBot, sandbox: dict[str, Any], profile: Profile,
        private_card: PrivateCard) -> None:
    """Locking the window is not enough: the PSC session approved on the card stops giving
    tokens to IMAP/SMTP when the card leaves, and logging out detaches it. The session is handed
    to the window as its own login does (``_login_psc`` keeps the service and the session)."""
    from app.services.auth_service import SessionLockedError

    window = open_window(qtbot, profile, AppSettings(pkcs11_module=private_card.module,
                                                     pkcs11_token_label=private_card.label))
    qtbot.waitUntil(lambda: window.card_status.state == "present", timeout=WAIT_MS)
    result: list[Any] = []
    login = threading.Thread(target=lambda: result.append(
        card_login(sandbox, profile, private_card, keep=True)), name="test-card-login")
    login.start()
    qtbot.waitUntil(lambda: not login.is_alive(), timeout=WAIT_MS)
    service, session = result[0]
    account = profile.accounts.list()[0]
    loop = asyncio.new_event_loop()
    window._psc_sessions[MAILBOX] = (service, session)
    profile.credentials.attach_session(account, session, loop)
    assert window.lock is not None
    qtbot.waitUntil(lambda: window.lock is not None and window.lock.card_session,
                    timeout=WAIT_MS)

    private_card.pull()
    qtbot.waitUntil(lambda: window.lock is not None and window.lock.locked, timeout=WAIT_MS)
    assert session.locked
    with pytest.raises(SessionLockedError):
        loop.run_until_complete(session.access_token())

    window.logout()
    assert not profile.credentials.has_session(account)
    assert window._psc_sessions == {}
    loop.close()  # the service's HTTP client belonged to the login's own (finished) loop
