"""The Pro Santé Connect login dialog, the password dialog and the card status indicator.

``FakeAuthService`` below is a fake of **our own** ``AuthService`` (its ``start_ciba`` contract:
a cancellable ``Operation`` that publishes ``WaitingForApproval`` and ends approved, refused or
expired), not of a server: the CIBA exchange with a real provider is covered by
tests/integration/test_psc_login.py. Events go through the real ``EventBus`` and ``EventBridge``;
the operation is the service's real ``Operation`` class (so cancelling publishes
``LoginCancelled`` exactly as in the application). The asyncio loop is qasync's, as in
``ui.main``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.session import CibaChannel, national_id_from
from app.events import Event, EventBus
from app.protocols.oidc.errors import LoginExpiredError, LoginRefusedError
from app.services.auth_events import (
    Approved,
    CardInserted,
    CardRemoved,
    LoginCancelled,
    WaitingForApproval,
)
from app.services.auth_service import Operation
from ui.bridge import EventBridge
from ui.dialogs.login_dialog import LoginDialog, Page, PasswordDialog
from ui.widgets.card_status import CardStatusIndicator

T = TypeVar("T")


@dataclass
class FakeSession:
    subject: str
    claims: dict[str, str] = field(default_factory=dict)


class FakeAuthService:
    """Same ``start_ciba`` contract as ``AuthService``; the test decides the provider's answer."""

    def __init__(self, bus: EventBus, code: str = "42") -> None:
        self.bus = bus
        self.code = code
        self.requests: list[tuple[str, CibaChannel]] = []
        self.answer: asyncio.Future[str] | None = None

    def start_ciba(self, national_id: str, *,
                   channel: CibaChannel = CibaChannel.MOBILE) -> Operation[FakeSession]:
        hint = national_id_from(national_id)
        self.requests.append((hint, channel))
        loop = asyncio.get_running_loop()
        self.answer = loop.create_future()

        async def login() -> FakeSession:
            await asyncio.sleep(0)
            self.bus.publish(WaitingForApproval(binding_code=self.code, channel=channel.value,
                                                login_hint=hint))
            assert self.answer is not None
            verdict = await self.answer
            if verdict == "refused":
                raise LoginRefusedError("La demande de connexion a été refusée sur l'application "
                                        "e-CPS.")
            if verdict == "expired":
                raise LoginExpiredError()
            session = FakeSession(subject=hint, claims={"given_name": "Jean",
                                                        "family_name": "MARTIN"})
            self.bus.publish(Approved(subject=hint, display_name="Jean MARTIN"))
            return session

        return Operation(task=loop.create_task(login()), publish=self.bus.publish)

    def decide(self, verdict: str) -> None:
        assert self.answer is not None and not self.answer.done()
        self.answer.set_result(verdict)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def seen(bus: EventBus) -> list[Event]:
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    return events


@pytest.fixture
def bridge(bus: EventBus) -> Iterator[EventBridge]:
    b = EventBridge(bus)
    yield b
    b.close()


def run(loop: qasync.QEventLoop, scenario: Callable[[], Awaitable[T]]) -> T:
    return loop.run_until_complete(asyncio.wait_for(scenario(), timeout=20))


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


def make_dialog(qtbot: QtBot, auth: FakeAuthService, bridge: EventBridge,
                **kwargs: Any) -> LoginDialog:
    dialog = LoginDialog(auth, bridge=bridge, account="dr.martin@cabinet.example.mssante.fr",
                         **kwargs)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_mobile_login_shows_the_code_then_approved(
        qtbot: QtBot, loop: qasync.QEventLoop, bus: EventBus, bridge: EventBridge,
        seen: list[Event]) -> None:
    """MSSANTE §4 (CIBA): the two random digits of binding_message are shown to the user."""
    auth = FakeAuthService(bus, code="42")
    dialog = make_dialog(qtbot, auth, bridge)
    sessions: list[Any] = []
    dialog.logged_in.connect(sessions.append)

    async def scenario() -> None:
        qtbot.keyClicks(dialog.id_edit, "10001234567")  # an RPPS: 8 is prefixed
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        await until(lambda: dialog.binding_code == "42")
        assert dialog.pages.currentIndex() == Page.WAIT
        assert dialog.code_label.text() == "Code de vérification :"
        assert dialog.code_value.accessibleName() == "Code de vérification : 4 2"
        assert "e-CPS" in dialog.wait_label.text()
        assert dialog.grab().save("/tmp/u4-login-code.png")
        auth.decide("approved")
        await until(lambda: dialog.outcome == "approved")

    run(loop, scenario)
    assert auth.requests == [("810001234567", CibaChannel.MOBILE)]
    assert dialog.outcome_title.text() == "Connexion approuvée"
    assert "Jean MARTIN" in dialog.outcome_text.text()
    assert [s.subject for s in sessions] == ["810001234567"]
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == LoginDialog.DialogCode.Accepted


@pytest.mark.parametrize(("verdict", "title", "words"), [
    ("refused", "Connexion refusée", "refusée"),
    ("expired", "Délai dépassé", "expiré"),
])
def test_refused_and_expired_are_shown_in_french(
        qtbot: QtBot, loop: qasync.QEventLoop, bus: EventBus, bridge: EventBridge,
        verdict: str, title: str, words: str) -> None:
    auth = FakeAuthService(bus)
    dialog = make_dialog(qtbot, auth, bridge, national_id="810001234567")

    async def scenario() -> None:
        dialog.start()
        await until(lambda: dialog.binding_code == "42")
        auth.decide(verdict)
        await until(lambda: dialog.outcome == verdict)

    run(loop, scenario)
    assert dialog.pages.currentIndex() == Page.OUTCOME
    assert dialog.outcome_title.text() == title
    assert words in dialog.outcome_text.text()
    assert dialog.retry_button.isVisible()
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    assert dialog.pages.currentIndex() == Page.CHOOSE
    assert dialog.session is None


def test_cancel_while_waiting(qtbot: QtBot, loop: qasync.QEventLoop, bus: EventBus,
                              bridge: EventBridge, seen: list[Event]) -> None:
    auth = FakeAuthService(bus)
    dialog = make_dialog(qtbot, auth, bridge, national_id="810001234567")

    async def scenario() -> None:
        dialog.start()
        await until(lambda: dialog.binding_code == "42")
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        await until(lambda: dialog.pages.currentIndex() == Page.CHOOSE)

    run(loop, scenario)
    assert any(isinstance(e, LoginCancelled) for e in seen)
    assert dialog.outcome == ""
    assert dialog.isVisible()  # back to the choice: the user may try again or close


def test_bad_identifier_is_refused_before_any_request(
        qtbot: QtBot, loop: qasync.QEventLoop, bus: EventBus, bridge: EventBridge) -> None:
    auth = FakeAuthService(bus)
    dialog = make_dialog(qtbot, auth, bridge)
    qtbot.keyClicks(dialog.id_edit, "1234")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert auth.requests == []
    assert dialog.error_label.isVisible()
    assert "identifiant national" in dialog.error_label.text()


def test_card_choice_needs_the_card_and_uses_its_holder(
        qtbot: QtBot, loop: qasync.QEventLoop, bus: EventBus, bridge: EventBridge) -> None:
    """Issue 5 item 4: the card's national id prefills the CIBA login_hint, channel=CARD."""
    auth = FakeAuthService(bus, code="07")
    dialog = make_dialog(qtbot, auth, bridge)
    dialog.card_radio.click()
    assert dialog.card_radio.isChecked()
    assert not dialog.start_button.isEnabled()
    assert "Insérez votre carte CPS" in dialog.card_label.text()

    async def scenario() -> None:
        bus.publish(CardInserted(national_id="810001234567", display_name="Jean MARTIN"))
        await until(dialog.start_button.isEnabled)
        assert dialog.id_edit.text() == "810001234567"
        assert "Jean MARTIN" in dialog.card_label.text()
        dialog.start()
        await until(lambda: dialog.binding_code == "07")
        assert "carte CPS" in dialog.wait_label.text()
        auth.decide("approved")
        await until(lambda: dialog.outcome == "approved")

    run(loop, scenario)
    assert auth.requests == [("810001234567", CibaChannel.CARD)]


def test_closing_the_dialog_cancels_the_login(
        qtbot: QtBot, loop: qasync.QEventLoop, bus: EventBus, bridge: EventBridge,
        seen: list[Event]) -> None:
    auth = FakeAuthService(bus)
    dialog = make_dialog(qtbot, auth, bridge, national_id="810001234567")

    async def scenario() -> None:
        dialog.start()
        await until(lambda: dialog.binding_code == "42")
        dialog.reject()
        await until(lambda: any(isinstance(e, LoginCancelled) for e in seen))

    run(loop, scenario)
    assert not dialog.isVisible()


def test_password_dialog(qtbot: QtBot) -> None:
    dialog = PasswordDialog("secretariat@clinique.mssante.fr", login="secretariat")
    qtbot.addWidget(dialog)
    dialog.open()
    given: list[str] = []
    dialog.submitted.connect(given.append)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert given == [] and "Saisissez" in dialog.error_label.text()
    qtbot.keyClicks(dialog.password_edit, "motdepasse")
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert given == ["motdepasse"]
    assert dialog.password_edit.text() == ""  # not kept in the widget
    assert not dialog.ok_button.isEnabled()  # until the caller answers
    dialog.fail("Mot de passe refusé par le serveur.")
    assert dialog.ok_button.isEnabled() and dialog.error_label.isVisible()


def test_card_status_indicator(qtbot: QtBot, bus: EventBus, bridge: EventBridge) -> None:
    indicator = CardStatusIndicator(bridge)
    qtbot.addWidget(indicator)
    assert "Carte CPS absente" in indicator.text()
    bus.publish(CardInserted(national_id="810001234567", display_name="Jean MARTIN"))
    assert indicator.present
    assert "Carte CPS présente — Jean MARTIN" in indicator.text()
    bus.publish(CardRemoved(national_id="810001234567"))
    assert not indicator.present and "absente" in indicator.text()
    assert "Jean MARTIN" not in indicator.text()
    unconfigured = CardStatusIndicator(reader_configured=False)
    qtbot.addWidget(unconfigured)
    assert "non configuré" in unconfigured.text()
