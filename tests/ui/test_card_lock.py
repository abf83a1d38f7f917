"""Which card removals lock the window (``LockController``) and what the card indicator shows.

A removal locks only while a session tied to the card is open: a Pro Santé Connect login
approved on the card (the ``WaitingForApproval`` with channel CARD, then ``Approved`` that the
login flows publish), or an unlock policy that says so. Putting the card back never unlocks.
These drive the controller with the events themselves; tests/ui/test_card_watch_ui.py does it
with the real watcher and window.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QMainWindow
from pytestqt.qtbot import QtBot

from app.events import EventBus
from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState
from app.services.auth_events import (
    Approved,
    CardInserted,
    CardRemoved,
    LoginCancelled,
    Refused,
    SessionEnded,
    WaitingForApproval,
)
from ui.bridge import EventBridge
from ui.services.lock_controller import LockController, UnlockPolicy, password_checker
from ui.widgets.card_status import CardStatusIndicator

ID = "810001234567"
SUBJECT = "jean.martin"


@pytest.fixture
def controller(qtbot: QtBot) -> Iterator[LockController]:
    window = QMainWindow()
    window.setCentralWidget(QLabel("Compte rendu"))
    qtbot.addWidget(window)
    window.show()
    ctl = LockController(window, check_interval_ms=60_000,
                         policy=UnlockPolicy(psc=True, verify_password=password_checker("pw")))
    yield ctl
    ctl.close()


def card_login(ctl: LockController, channel: str = "CARD") -> None:
    ctl.handle_event(WaitingForApproval(binding_code="42", channel=channel, login_hint=ID))
    ctl.handle_event(Approved(subject=SUBJECT, display_name="Jean MARTIN"))


def test_without_a_card_session_a_removal_does_not_lock(controller: LockController) -> None:
    controller.handle_event(CardInserted(national_id=ID, display_name="Jean MARTIN"))
    controller.handle_event(CardRemoved(national_id=ID))
    assert not controller.locked and not controller.card_session


def test_an_e_cps_login_is_not_tied_to_the_card(controller: LockController) -> None:
    card_login(controller, channel="MOBILE")
    controller.handle_event(CardRemoved(national_id=ID))
    assert not controller.locked


def test_a_card_login_ties_the_session_and_a_removal_locks(controller: LockController) -> None:
    controller.handle_event(CardInserted(national_id=ID, display_name="Jean MARTIN"))
    card_login(controller)
    assert controller.card_session
    controller.handle_event(CardRemoved(national_id=ID))
    assert controller.locked
    assert not controller.try_password("pw")  # the card first
    controller.handle_event(CardInserted(national_id=ID, display_name="Jean MARTIN"))
    assert controller.locked  # back in the reader: still locked
    assert controller.try_password("pw")
    assert not controller.locked


def test_the_setting_can_turn_card_locking_off(controller: LockController) -> None:
    controller.lock_on_card_removal = False
    card_login(controller)
    controller.handle_event(CardRemoved(national_id=ID))
    assert not controller.locked


def test_a_failed_or_cancelled_card_login_ties_nothing(controller: LockController) -> None:
    controller.handle_event(WaitingForApproval(binding_code="42", channel="CARD",
                                               login_hint=ID))
    controller.handle_event(Refused(reason="refusé"))
    controller.handle_event(WaitingForApproval(binding_code="43", channel="MOBILE",
                                               login_hint=ID))
    controller.handle_event(Approved(subject=SUBJECT))
    assert not controller.card_session
    controller.handle_event(WaitingForApproval(binding_code="44", channel="CARD",
                                               login_hint=ID))
    controller.handle_event(LoginCancelled())
    controller.handle_event(Approved(subject=SUBJECT))  # e.g. a browser login afterwards
    assert not controller.card_session


def test_the_tie_ends_with_the_session_or_a_login_another_way(
        controller: LockController) -> None:
    card_login(controller)
    controller.handle_event(SessionEnded(subject=SUBJECT, reason="fin"))
    assert not controller.card_session
    card_login(controller)
    card_login(controller, channel="MOBILE")  # logged in again with the e-CPS app
    assert not controller.card_session
    controller.handle_event(CardRemoved(national_id=ID))
    assert not controller.locked


def test_the_indicator_follows_the_watch_and_the_card(qtbot: QtBot) -> None:
    bus = EventBus()
    bridge = EventBridge(bus)
    indicator = CardStatusIndicator(bridge, reader_configured=False)
    qtbot.addWidget(indicator)
    try:
        assert indicator.state == "unconfigured" and "non configuré" in indicator.text()
        bus.publish(CardWatchChanged(CardWatchState.STARTING, module="/m.so"))
        assert indicator.state == "starting" and "Recherche" in indicator.text()
        bus.publish(CardWatchChanged(CardWatchState.WATCHING, module="/m.so"))
        assert indicator.state == "absent" and "Carte CPS absente" in indicator.text()
        bus.publish(CardInserted(national_id=ID, display_name="Jean MARTIN"))
        assert indicator.state == "present"
        assert "Carte CPS présente — Jean MARTIN" in indicator.text()
        bus.publish(CardInserted(national_id=ID, display_name=""))  # holder name unreadable
        assert indicator.text().endswith(ID)
        bus.publish(CardRemoved(national_id=ID))
        assert indicator.state == "absent" and ID not in indicator.text()
        bus.publish(CardWatchChanged(CardWatchState.FAILED, module="/m.so",
                                     reason="Le module ne peut pas être chargé.",
                                     reason_en="The module cannot be loaded."))
        assert indicator.state == "error" and "erreur" in indicator.text()
        assert "ne peut pas être chargé" in indicator.toolTip()
        bus.publish(CardWatchChanged(CardWatchState.STOPPED, module="/m.so"))
        assert indicator.state == "unconfigured"
    finally:
        bridge.close()
