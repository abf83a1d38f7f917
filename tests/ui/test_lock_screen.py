"""Inactivity lock (MSSANTE §8: automatic lock after inactivity, 2 h at most; the user can end
the session). The controller's clock is injected and advanced: no test waits for the delay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStatusBar,
    QTextEdit,
    QToolBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.services.auth_events import CardInserted, CardRemoved, SessionLocked
from ui.services.lock_controller import LockController, UnlockPolicy, password_checker

SECRET_RED = QColor("#ff0000")
SEEDED_TEXTS = ("Patiente DUPONT Marie — INS 2 84 12 75 123 456 78",
                "Compte rendu : biopsie hépatique, résultats joints.")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SeededWindow(QMainWindow):
    """A window holding message text painted in pure red, so a grab can be searched for it."""

    def __init__(self) -> None:
        super().__init__()
        self.resize(900, 600)
        splitter = QSplitter(self)
        self.subject = QLabel(SEEDED_TEXTS[0], splitter)
        self.body = QTextEdit(splitter)
        self.body.setPlainText(SEEDED_TEXTS[1] * 20)
        for widget in (self.subject, self.body):
            widget.setStyleSheet("color: #ff0000; background: #ff0000; font-size: 18pt;")
        self.setCentralWidget(splitter)
        self.tools = QToolBar(self)
        self.tools.addAction("Répondre")
        self.addToolBar(self.tools)
        status = QStatusBar(self)
        status.setStyleSheet("background: #ff0000;")
        status.showMessage(SEEDED_TEXTS[0])
        self.setStatusBar(status)
        self.menuBar().addMenu("&Fichier")
        self.reply_triggered = 0
        reply = self.tools.actions()[0]
        reply.setShortcut("Ctrl+R")
        reply.triggered.connect(self._replied)

    def _replied(self) -> None:
        self.reply_triggered += 1


def red_pixels(image: QImage) -> int:
    count = 0
    step = 3
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            color = image.pixelColor(x, y)
            if color.red() > 200 and color.green() < 60 and color.blue() < 60:
                count += 1
    return count


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[SeededWindow]:
    win = SeededWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win


@pytest.fixture
def controller(window: SeededWindow, clock: FakeClock) -> Iterator[LockController]:
    ctl = LockController(window, minutes=15, clock=clock, check_interval_ms=60_000,
                         policy=UnlockPolicy(user="Dr Jean MARTIN",
                                             verify_password=password_checker("s3cret!")))
    yield ctl
    ctl.close()


def visible_texts(window: QWidget) -> list[str]:
    texts: list[str] = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QStatusBar):
            texts.append(widget.currentMessage())
    return texts


def test_locks_after_the_delay_not_before(controller: LockController, clock: FakeClock) -> None:
    clock.advance(15 * 60 - 1)
    controller.tick()
    assert not controller.locked
    clock.advance(1)
    controller.tick()
    assert controller.locked
    assert "15 min" in controller.screen.reason_label.text()


def test_user_input_resets_the_timer(qtbot: QtBot, window: SeededWindow,
                                     controller: LockController, clock: FakeClock) -> None:
    clock.advance(14 * 60)
    qtbot.keyClick(window.body, Qt.Key.Key_Down)  # a real (spontaneous) key press
    clock.advance(14 * 60)
    controller.tick()
    assert not controller.locked, "typing should have counted as activity"
    clock.advance(60)
    controller.tick()
    assert controller.locked


def test_the_timer_drives_the_check(qtbot: QtBot, window: SeededWindow, clock: FakeClock) -> None:
    ctl = LockController(window, minutes=1, clock=clock, check_interval_ms=10)
    try:
        clock.advance(61)
        qtbot.waitUntil(lambda: ctl.locked, timeout=5000)
    finally:
        ctl.close()


def test_delay_is_clamped_to_two_hours(controller: LockController, clock: FakeClock) -> None:
    controller.set_minutes(24 * 60)
    assert controller.minutes == 120
    clock.advance(2 * 3600)
    controller.tick()
    assert controller.locked


def test_locking_hides_all_content(qtbot: QtBot, window: SeededWindow,
                                   controller: LockController) -> None:
    """Nothing of the seeded message is visible or painted once locked: the grab holds no red
    pixel and no seeded text widget is visible; before locking it does (so the test can fail)."""
    before = window.grab().toImage()
    assert red_pixels(before) > 100
    assert any(SEEDED_TEXTS[0] in t for t in visible_texts(window))

    dialog = QDialog(window)  # e.g. a composer left open
    dialog.setWindowTitle("Nouveau message")
    dialog.show()
    controller.lock("test")
    assert not dialog.isVisible()
    qtbot.wait(10)
    after = window.grab().toImage()
    assert red_pixels(after) == 0
    texts = visible_texts(window)
    assert not any(seed in t for seed in SEEDED_TEXTS for t in texts)
    for widget in (window.subject, window.body, window.tools, window.statusBar(),
                   window.menuBar()):
        assert not widget.isVisible()
    assert controller.screen.isVisible()
    assert controller.screen.geometry() == window.rect()

    window.resize(1200, 800)  # the cover follows the window
    qtbot.wait(10)
    assert controller.screen.geometry() == window.rect()
    assert red_pixels(window.grab().toImage()) == 0

    assert controller.try_password("s3cret!")
    assert not controller.locked
    assert window.body.isVisible() and window.statusBar().isVisible() and dialog.isVisible()
    assert not controller.screen.isVisible()


def test_shortcuts_of_hidden_actions_do_not_run_while_locked(
        qtbot: QtBot, window: SeededWindow, controller: LockController) -> None:
    qtbot.keyClick(window.body, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.reply_triggered == 1
    controller.lock()
    qtbot.keyClick(controller.screen.password_edit, Qt.Key.Key_R,
                   Qt.KeyboardModifier.ControlModifier)
    assert window.reply_triggered == 1


def test_wrong_password_stays_locked(controller: LockController) -> None:
    controller.lock()
    assert not controller.try_password("devine")
    assert controller.locked
    assert "incorrect" in controller.screen.error_label.text()
    assert controller.screen.password_edit.text() == ""


def test_password_typed_in_the_lock_screen(qtbot: QtBot, controller: LockController) -> None:
    controller.lock()
    qtbot.keyClicks(controller.screen.password_edit, "s3cret!")
    qtbot.keyClick(controller.screen.password_edit, Qt.Key.Key_Return)
    assert not controller.locked


def test_ctrl_shift_l_locks_and_logout_is_offered(qtbot: QtBot, window: SeededWindow,
                                                  controller: LockController) -> None:
    # Ctrl+Shift+L: Ctrl+L is the window's Forward (Thunderbird's).
    qtbot.keyClick(window.body, Qt.Key.Key_L,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert controller.locked
    with qtbot.waitSignal(controller.logout_requested, timeout=1000):
        qtbot.mouseClick(controller.screen.logout_button, Qt.MouseButton.LeftButton)


def test_card_removal_locks_and_card_is_needed_to_unlock(window: SeededWindow,
                                                         clock: FakeClock) -> None:
    """Issue 5 item 4: card removal locks the session (setting); PSC re-login needs the card."""
    ctl = LockController(window, clock=clock, policy=UnlockPolicy(psc=True, card_required=True))
    try:
        ctl.handle_event(CardInserted(national_id="810001234567", display_name="Jean MARTIN"))
        ctl.handle_event(CardRemoved(national_id="810001234567"))
        assert ctl.locked
        assert "carte CPS" in ctl.screen.reason_label.text()
        assert not ctl.screen.psc_button.isEnabled()
        ctl.unlock()  # a PSC success reported without the card: refused
        assert ctl.locked
        ctl.handle_event(CardInserted(national_id="810001234567", display_name="Jean MARTIN"))
        assert ctl.screen.psc_button.isEnabled()
        ctl.unlock()
        assert not ctl.locked
    finally:
        ctl.close()


def test_card_removal_does_not_lock_when_the_setting_says_no(window: SeededWindow,
                                                             clock: FakeClock) -> None:
    ctl = LockController(window, clock=clock, lock_on_card_removal=False)
    try:
        ctl.handle_event(CardRemoved(national_id="810001234567"))
        assert not ctl.locked
        ctl.handle_event(SessionLocked(reason="La carte CPS a été retirée."))
        assert ctl.locked
    finally:
        ctl.close()


def test_psc_relogin_is_requested(qtbot: QtBot, window: SeededWindow, clock: FakeClock) -> None:
    ctl = LockController(window, clock=clock, policy=UnlockPolicy(psc=True))
    try:
        ctl.lock()
        assert not ctl.screen.password_row.isVisible()
        with qtbot.waitSignal(ctl.psc_relogin_requested, timeout=1000):
            qtbot.mouseClick(ctl.screen.psc_button, Qt.MouseButton.LeftButton)
        ctl.unlock()
        assert not ctl.locked
    finally:
        ctl.close()


def test_screenshot_of_the_lock_screen(window: SeededWindow, controller: LockController) -> None:
    controller.lock("Verrouillé après 15 min d'inactivité.")
    assert window.grab().save("/tmp/u4-lock-screen.png")
