"""The "undo send" toast: « Message en cours d'envoi — Annuler (10 s) ».

It counts down to the outbox item's ``not_before`` (the undo window the outbox was given), then
says the message is leaving and disappears. ``undo_requested`` fires when the user clicks
Annuler (or presses its shortcut); the owner cancels the outbox item and reports the outcome
with :meth:`show_outcome`.

Over a parent window it floats at the bottom centre of that window; without one it is a small
frameless tool window of its own (the composer that sent may already be hidden).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

TICK_MS = 250
OUTCOME_MS = 4000


class UndoToast(QFrame):
    undo_requested = Signal()
    expired = Signal()  # the window passed without an undo

    def __init__(
        self,
        *,
        deadline: float,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        if parent is None:
            self.setWindowFlags(Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                                | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("undoToast")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAccessibleName(self.tr("Envoi en cours"))
        self._deadline = deadline
        self._clock = clock
        self._finished = False
        self.setStyleSheet(
            "QFrame#undoToast { background: #323232; border-radius: 6px; }"
            " QLabel { color: white; }"
            " QPushButton#undoButton { color: #8ab4f8; background: transparent; border: none;"
            " font-weight: bold; padding: 4px 8px; }"
            " QPushButton#undoButton:focus { text-decoration: underline; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.setSpacing(12)
        self.label = QLabel(self.tr("Message en cours d'envoi"), self)
        self.label.setObjectName("undoLabel")
        self.undo_button = QPushButton(self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.undo_button.clicked.connect(self._undo)
        layout.addWidget(self.label)
        layout.addWidget(self.undo_button)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._tick()
        if parent is not None:
            parent.installEventFilter(self)

    # -- state -------------------------------------------------------------------------------
    def remaining_seconds(self) -> int:
        return max(0, math.ceil(self._deadline - self._clock()))

    def text(self) -> str:
        return f"{self.label.text()} — {self.undo_button.text()}"

    def _tick(self) -> None:
        if self._finished:
            return
        remaining = self.remaining_seconds()
        if remaining <= 0:
            self._finish_window()
            return
        label = self.tr("Annuler ({seconds} s)").format(seconds=remaining)
        self.undo_button.setText(label)
        self.undo_button.setAccessibleName(
            self.tr("Annuler l'envoi, {seconds} secondes restantes").format(seconds=remaining))

    def _undo(self) -> None:
        if self._finished:
            return
        self._timer.stop()
        self.undo_button.setEnabled(False)
        self.undo_requested.emit()

    def _finish_window(self) -> None:
        self._finished = True
        self._timer.stop()
        self.undo_button.hide()
        self.label.setText(self.tr("Message envoyé à la boîte d'envoi"))
        self.expired.emit()
        QTimer.singleShot(OUTCOME_MS, self.close)

    def show_outcome(self, text: str) -> None:
        """After an undo: say what happened (cancelled, or too late), then go away."""
        self._finished = True
        self._timer.stop()
        self.undo_button.hide()
        self.label.setText(text)
        self.adjustSize()
        self._place()
        QTimer.singleShot(OUTCOME_MS, self.close)

    # -- placement ---------------------------------------------------------------------------
    def popup(self) -> None:
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            area = parent.rect()
            self.move(QPoint((area.width() - self.width()) // 2,
                             area.height() - self.height() - 24))
            return
        screen = self.screen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(QPoint(area.x() + (area.width() - self.width()) // 2,
                             area.y() + area.height() - self.height() - 48))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)
