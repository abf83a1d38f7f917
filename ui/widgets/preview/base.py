"""What every preview shares: work off the UI thread, a "Chargement…" page, a message page.

``BackgroundRunner`` submits a callable to an executor (the profile's ``cpu`` pool) and hands the
result back on the GUI thread through a queued signal; a newer request makes older results stale,
and a result that arrives after the widget is gone is dropped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserFacingError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilingRequest:
    """What "Classer dans le dossier patient" hands to the host: the CDA and its PDF, if any."""

    cda: bytes
    pdf: bytes | None = None


class BackgroundRunner(QObject):
    """Run callables on an executor; deliver their outcome on the GUI thread to ``owner``.

    The runner is deliberately not a Qt child of its owner: a worker may finish after the owner
    was deleted, and the runner must still exist to receive (and drop) that late result.
    """

    _finished = Signal(int, object)

    def __init__(self, executor: Executor, owner: QObject) -> None:
        super().__init__()
        self._executor = executor
        self._token = 0
        self._alive = True
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[BaseException], None]]]
        self._callbacks = {}
        self._futures: dict[int, Future[Any]] = {}
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        owner.destroyed.connect(self._owner_gone)

    def _owner_gone(self) -> None:
        self._alive = False
        self.cancel()

    def run(
        self,
        work: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Start ``work`` in the background; any earlier pending work's outcome is ignored."""
        self.cancel()
        self._token += 1
        token = self._token
        self._callbacks[token] = (on_result, on_error)
        future = self._executor.submit(work)
        self._futures[token] = future
        future.add_done_callback(lambda done: self._hand_over(token, done))

    def cancel(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        self._callbacks.clear()

    def _hand_over(self, token: int, future: Future[Any]) -> None:
        # Runs on the worker thread: only emit (queued to the owner's thread).
        # RuntimeError: the application is shutting down; nobody wants the result.
        with contextlib.suppress(RuntimeError):
            self._finished.emit(token, future)

    def _deliver(self, token: int, future: Future[Any]) -> None:
        callbacks = self._callbacks.pop(token, None)
        self._futures.pop(token, None)
        if not self._alive or callbacks is None or future.cancelled():
            return
        on_result, on_error = callbacks
        error = future.exception()
        if error is not None:
            on_error(error)
        else:
            on_result(future.result())


def error_text(error: BaseException) -> str:
    """The sentence to show for ``error``: a UserFacingError's own, else a generic one."""
    if isinstance(error, UserFacingError):
        return error.text()
    log.error("preview failed", exc_info=(type(error), error, error.__traceback__))
    return QCoreApplication.translate("Preview", "L'aperçu de ce document a échoué.")


class MessagePanel(QWidget):
    """A centred title and explanation, with an optional "Enregistrer sous…" button."""

    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.detail = QLabel()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.save_button = QPushButton(self.tr("Enregistrer sous…"))
        self.save_button.setAccessibleName(self.tr("Enregistrer la pièce jointe"))
        self.save_button.clicked.connect(self.save_requested)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.save_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        layout.addStretch()

    def show_message(self, title: str, detail: str = "", *, can_save: bool = False) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.save_button.setVisible(can_save)


class PreviewFrame(QWidget):
    """A stack of three pages: "Chargement…", the content, and a message (error, refusal)."""

    loaded = Signal()
    failed = Signal(str)
    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stack = QStackedWidget(self)
        self.loading_label = QLabel(self.tr("Chargement…"))
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_label.setAccessibleName(self.tr("Chargement de l'aperçu"))
        self.message = MessagePanel()
        self.message.save_requested.connect(self.save_requested)
        self._stack.addWidget(self.loading_label)
        self._stack.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self.error: str | None = None
        # The dispatcher's PreviewChoice that picked this widget (None when built directly).
        self.choice: Any = None

    def set_content(self, widget: QWidget) -> None:
        self._stack.addWidget(widget)
        self._stack.setCurrentWidget(widget)

    def show_loading(self) -> None:
        self._stack.setCurrentWidget(self.loading_label)

    def is_loading(self) -> bool:
        return self._stack.currentWidget() is self.loading_label

    def current_page(self) -> QWidget:
        return self._stack.currentWidget()

    def show_failure(self, detail: str, *, title: str | None = None,
                     can_save: bool = True) -> None:
        self.error = detail
        self.message.show_message(title or self.tr("Aperçu impossible"), detail,
                                  can_save=can_save)
        self._stack.setCurrentWidget(self.message)
        self.failed.emit(detail)
