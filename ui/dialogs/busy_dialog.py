"""A dialog that hands one request at a time to work done off the UI thread (a passphrase tried
or changed: scrypt takes a noticeable moment). While a request runs, its controls are off and
neither Escape nor the close button closes it; ``fail(message)`` says why it did not work and
lets the user try again."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class BusyDialog(QDialog):
    """Subclasses call ``_build_feedback(prefix)`` (the error and status labels, named
    ``<prefix>Error`` / ``<prefix>Status``), then ``_lay_out`` once their fields and buttons
    exist, and list their controls in ``_controls()``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False

    def _build_feedback(self, prefix: str) -> None:
        self.error_label = QLabel(self)
        self.error_label.setObjectName(f"{prefix}Error")
        self.error_label.setAccessibleName(self.tr("Erreur"))
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a4000f;")
        self.error_label.hide()
        self.status_label = QLabel(self)
        self.status_label.setObjectName(f"{prefix}Status")
        self.status_label.hide()

    def _lay_out(self, intro: QWidget, form: QLayout, cancel: QPushButton,
                 ok: QPushButton) -> None:
        """Intro, fields, the error and status lines, then the buttons at the right."""
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)

    def _controls(self) -> list[QWidget]:
        """What is switched off while a request runs."""
        return []

    def _first_field(self) -> QWidget | None:
        """Where the focus goes after a failure."""
        return None

    def _busy_text(self) -> str:
        return ""

    @property
    def busy(self) -> bool:
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in self._controls():
            widget.setEnabled(not busy)
        if busy:
            self.error_label.hide()
            self.status_label.setText(self._busy_text())
            self.status_label.show()
        else:
            self.status_label.hide()

    def fail(self, message: str) -> None:
        """The request did not work: say why, let the user try again."""
        self._set_busy(False)
        self.error_label.setText(message)
        self.error_label.show()
        field = self._first_field()
        if field is not None:
            field.setFocus()

    def reject(self) -> None:
        if not self._busy:  # a request in progress ends first (a fraction of a second)
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)
