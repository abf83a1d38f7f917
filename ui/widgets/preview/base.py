"""What every preview shares: work off the UI thread, a "Chargement…" page, a message page.

``BackgroundRunner`` (``ui.operations.TaskRunner``, latest only) submits a callable to an executor
(the profile's ``cpu`` pool) and hands the result back on the GUI thread; a newer request makes
older results stale, and a result that arrives after the widget is gone is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
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
from ui.operations import TaskRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilingRequest:
    """What "Classer dans le dossier patient" hands to the host: the CDA and its PDF, if any."""

    cda: bytes
    pdf: bytes | None = None


class BackgroundRunner(TaskRunner):
    """Run callables on an executor; deliver their outcome on the GUI thread to ``owner``.

    ``ui.operations.TaskRunner`` in "latest only" mode: a newer request makes older results stale,
    and once ``owner`` is destroyed every pending result is dropped.
    """

    def __init__(self, executor: Executor, owner: QObject) -> None:
        super().__init__(executor, latest_only=True)
        owner.destroyed.connect(lambda *_args: self._owner_gone())

    def _owner_gone(self) -> None:
        self.cancel()
        self.close()

    def run(  # type: ignore[override]
        self,
        work: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Start ``work`` in the background; any earlier pending work's outcome is ignored."""
        super().run(work, on_result, on_error)


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

    def can_print(self) -> bool:
        """Whether ``print_to`` has something to print now (the content is shown)."""
        return False

    def print_to(self, printer: Any) -> bool:
        """Print what this preview shows on ``printer`` (a ``QPrinter`` the user chose);
        False when there is nothing to print. ``ui.printing`` does the drawing."""
        return False

    def show_failure(self, detail: str, *, title: str | None = None,
                     can_save: bool = True) -> None:
        self.error = detail
        self.message.show_message(title or self.tr("Aperçu impossible"), detail,
                                  can_save=can_save)
        self._stack.setCurrentWidget(self.message)
        self.failed.emit(detail)
