"""Inactivity lock of the main window (MSSANTE §8: automatic lock after inactivity, 2 h at most).

- An application-wide event filter notes the time of every real user input (keys, mouse buttons,
  wheel, mouse moves, touch); a timer compares it with the delay (15 min by default, clamped to
  [1 min, 2 h] by ``app.domain.settings``). The clock is injectable so tests advance it instead
  of waiting.
- Locking lays a ``LockScreen`` over the whole window **and hides every content widget** (central
  widget, menu bar, tool bars, docks, status bar) and every other top-level window of the
  application (reader windows, composer), so that no message text is painted, grabbed or exposed
  to assistive technologies. Keyboard shortcuts of the hidden actions are swallowed while locked.
- Unlocking needs re-authentication: the account's password, a new Pro Santé Connect login (the
  window opens the login dialog on ``psc_relogin_requested`` and calls ``unlock()`` on success),
  and the CPS card back in the reader when the session is tied to it. Putting the card back
  never unlocks by itself: it only re-enables the ways to re-authenticate.
- A session is tied to the card when the unlock policy says so (``card_required``) or when a Pro
  Santé Connect login was approved on the card: a ``WaitingForApproval`` with channel ``CARD``
  followed by its ``Approved`` (the events the login flows publish). It stops being tied when
  that session ends (``SessionEnded``) or the same person logs in again another way.
- Removing the card (``CardRemoved``, from the card watch) locks while a session tied to it is
  open, when the setting says so; without such a session it only updates the card's state. A
  ``SessionLocked`` event from the auth service locks too.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QToolBar, QWidget

from app.domain.settings import DEFAULT_LOCK_MINUTES, clamp_lock_minutes
from app.events import Event
from app.services.auth_events import (
    Approved,
    CardInserted,
    CardRemoved,
    Expired,
    LoginCancelled,
    LoginFailed,
    Refused,
    SessionEnded,
    SessionLocked,
    WaitingForApproval,
)
from ui.widgets.lock_screen import LockScreen

_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate,
    QEvent.Type.TabletPress, QEvent.Type.InputMethod,
})
DEFAULT_CHECK_MS = 5000
CARD_CHANNEL = "CARD"  # app.domain.session.CibaChannel.CARD.value


@dataclass(frozen=True)
class UnlockPolicy:
    """How the signed-in person proves they are back.

    ``verify_password`` checks a typed password (password accounts); ``psc`` offers a new Pro
    Santé Connect login; ``card_required`` asks for the CPS card in the reader first (the session
    was opened with it). ``user`` is the name shown on the lock screen.
    """

    user: str = ""
    verify_password: Callable[[str], bool] | None = None
    psc: bool = False
    card_required: bool = False


def password_checker(expected: str) -> Callable[[str], bool]:
    """A constant-time comparison with the password the account logged in with."""
    expected_bytes = expected.encode("utf-8")

    def verify(text: str) -> bool:
        return hmac.compare_digest(text.encode("utf-8"), expected_bytes)

    return verify


class LockController(QObject):
    locked_changed = Signal(bool)
    psc_relogin_requested = Signal()
    logout_requested = Signal()

    def __init__(self, window: QMainWindow, *, minutes: int = DEFAULT_LOCK_MINUTES,
                 clock: Callable[[], float] = time.monotonic,
                 check_interval_ms: int = DEFAULT_CHECK_MS,
                 lock_on_card_removal: bool = True,
                 policy: UnlockPolicy | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._clock = clock
        self._minutes = clamp_lock_minutes(minutes)
        self.lock_on_card_removal = lock_on_card_removal
        self.policy = policy or UnlockPolicy()
        self.card_present = False
        # Subjects of the PSC sessions approved on the card, and a card login under way.
        self._card_subjects: set[str] = set()
        self._card_login_pending = False
        self._last_input = clock()
        self._locked = False
        self._hidden: list[QWidget] = []
        self._failures = 0

        self.screen = LockScreen(window)
        self.screen.hide()
        self.screen.password_submitted.connect(self.try_password)
        self.screen.psc_requested.connect(self.psc_relogin_requested)
        self.screen.logout_requested.connect(self.logout_requested)

        self.lock_action = QAction(self.tr("&Verrouiller"), window)
        self.lock_action.setObjectName("lockAction")
        # Ctrl+L is Thunderbird's Forward; Ctrl+Alt+L is often the desktop's own screen lock.
        self.lock_action.setShortcut(QKeySequence(self.tr("Ctrl+Shift+L")))
        self.lock_action.triggered.connect(
            lambda: self.lock(self.tr("Verrouillé à votre demande.")))
        self.logout_action = QAction(self.tr("Se &déconnecter"), window)
        self.logout_action.setObjectName("logoutAction")
        self.logout_action.triggered.connect(self.logout_requested)
        # On the window itself so that the shortcut works whichever menu the shell puts it in.
        window.addAction(self.lock_action)

        self.timer = QTimer(self)
        self.timer.setObjectName("lockTimer")
        self.timer.setInterval(check_interval_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # --- settings -------------------------------------------------------------------------------

    @property
    def minutes(self) -> int:
        return self._minutes

    def set_minutes(self, minutes: int) -> None:
        self._minutes = clamp_lock_minutes(minutes)

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def card_session(self) -> bool:
        """A session tied to the CPS card is open: removing the card locks, unlocking needs it."""
        return self.policy.card_required or bool(self._card_subjects)

    def approved_on_card(self, subject: str) -> bool:
        """The PSC session of ``subject`` was approved on the CPS card (it ends with the card)."""
        return self.policy.card_required or subject in self._card_subjects

    def idle_seconds(self) -> float:
        return max(0.0, self._clock() - self._last_input)

    # --- inactivity -----------------------------------------------------------------------------

    def note_activity(self) -> None:
        self._last_input = self._clock()

    def tick(self) -> None:
        """Lock when the last input is older than the delay (the timer calls this)."""
        if not self._locked and self.idle_seconds() >= self._minutes * 60:
            self.lock(self.tr("Verrouillé après {minutes} min d'inactivité.").format(
                minutes=self._minutes))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _INPUT_EVENTS and event.spontaneous() and not self._locked:
            self._last_input = self._clock()
        if self._locked:
            if kind == QEvent.Type.Shortcut and isinstance(watched, QAction):
                # The hidden window's actions (reply, open, print...) must not run while locked.
                return True
            if watched is self.window and kind in (QEvent.Type.Resize, QEvent.Type.Show):
                self._cover()
        return False

    # --- locking --------------------------------------------------------------------------------

    def lock(self, reason: str = "") -> None:
        if self._locked:
            return
        self._locked = True
        self._failures = 0
        self._hide_content()
        policy = self.policy
        self.screen.configure(reason=reason, user=policy.user,
                              password=policy.verify_password is not None, psc=policy.psc,
                              card_needed=self.card_session, card_present=self.card_present)
        self._cover()
        self.screen.show()
        self.screen.raise_()
        self.screen.focus_first()
        self.lock_action.setEnabled(False)
        self.locked_changed.emit(True)

    def unlock(self) -> None:
        """Called once the person re-authenticated (password checked here, PSC by the window)."""
        if not self._locked:
            return
        if self.card_session and not self.card_present:
            self.screen.show_error(self.tr("Insérez votre carte CPS pour déverrouiller."))
            return
        self._locked = False
        self.screen.hide()
        for widget in self._hidden:
            widget.show()
        self._hidden.clear()
        self._last_input = self._clock()
        self.lock_action.setEnabled(True)
        self.locked_changed.emit(False)

    def try_password(self, text: str) -> bool:
        verify = self.policy.verify_password
        if not self._locked or verify is None:
            return False
        if verify(text):
            self.unlock()
            return not self._locked
        self._failures += 1
        self.screen.show_error(self.tr("Mot de passe incorrect ({count} essai(s)).").format(
            count=self._failures))
        return False

    def _content_widgets(self) -> list[QWidget]:
        window = self.window
        widgets: list[QWidget] = []
        for widget in (window.centralWidget(), window.menuWidget(), window.statusBar()):
            if widget is not None:
                widgets.append(widget)
        widgets += window.findChildren(QToolBar)
        widgets += window.findChildren(QDockWidget)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # Other top-level windows: message readers, the composer, open dialogs.
            widgets += [w for w in app.topLevelWidgets() if w is not window
                        and w is not self.screen and w.isWindow()]
        return widgets

    def _hide_content(self) -> None:
        self._hidden = [w for w in self._content_widgets() if w.isVisible()]
        for widget in self._hidden:
            widget.hide()

    def _cover(self) -> None:
        self.screen.setGeometry(self.window.rect())
        self.screen.raise_()

    # --- events from the core -------------------------------------------------------------------

    def handle_event(self, event: Event) -> None:
        """Slot for ``EventBridge.event_published``."""
        if isinstance(event, CardRemoved):
            self.card_present = False
            if self.lock_on_card_removal and self.card_session and not self._locked:
                self.lock(self.tr("La carte CPS a été retirée."))
            else:
                self.screen.set_card_present(card_needed=self.card_session, present=False)
        elif isinstance(event, CardInserted):
            # Never unlocks by itself: the person re-authenticates (password, PSC).
            self.card_present = True
            self.screen.set_card_present(card_needed=self.card_session, present=True)
        elif isinstance(event, SessionLocked):
            self.lock(event.reason)
        elif isinstance(event, WaitingForApproval):
            if event.channel == CARD_CHANNEL:
                self._card_login_pending = True
        elif isinstance(event, Approved):
            if self._card_login_pending:
                self._card_subjects.add(event.subject)
            else:  # the same person logged in again another way (e-CPS, browser)
                self._card_subjects.discard(event.subject)
            self._card_login_pending = False
        elif isinstance(event, Refused | Expired | LoginFailed | LoginCancelled):
            self._card_login_pending = False
        elif isinstance(event, SessionEnded):
            self._card_subjects.discard(event.subject)

    def close(self) -> None:
        self.timer.stop()
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
