"""Where a preview is shown: a closable panel beside the message, or a window of its own.

``PreviewPanel`` sits in the main window's reading area (a splitter pane next to the message): a
title bar with the document's name and three buttons — Imprimer…, Ouvrir dans une fenêtre,
Fermer (Échap) — then the preview. ``take_preview`` hands the preview over without destroying
it, so "Ouvrir dans une fenêtre" moves the very same widget (its loaded pages, its zoom) into a
``PreviewWindow``.

Both only present; the host (``MainWindow``) decides what printing and filing do and audits them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.preview.base import PreviewFrame


def _button(text: str, name: str, accessible: str, tooltip: str,
            parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setAccessibleName(accessible)
    button.setToolTip(tooltip)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # reachable with Tab
    return button


class _Header(QFrame):
    """The title and the action buttons, shared by the panel and the window."""

    def __init__(self, parent: QWidget, *, detachable: bool) -> None:
        super().__init__(parent)
        self.setObjectName("previewHeader")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.title = QLabel(self)
        self.title.setObjectName("previewTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setMinimumWidth(40)
        self.print_button = _button(self.tr("Imprimer…"), "previewPrintButton",
                                    self.tr("Imprimer le document"),
                                    self.tr("Imprimer le document affiché (Ctrl+P)"), self)
        self.print_button.setEnabled(False)
        self.detach_button = _button(self.tr("Ouvrir dans une fenêtre"), "previewDetachButton",
                                     self.tr("Ouvrir l'aperçu dans une fenêtre séparée"),
                                     self.tr("Ouvrir l'aperçu dans une fenêtre séparée"), self)
        self.detach_button.setVisible(detachable)
        self.close_button = _button(self.tr("Fermer"), "previewCloseButton",
                                    self.tr("Fermer l'aperçu"),
                                    self.tr("Fermer l'aperçu (Échap)"), self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.title, 1)
        layout.addWidget(self.print_button)
        layout.addWidget(self.detach_button)
        layout.addWidget(self.close_button)

    def set_title(self, text: str) -> None:
        self.title.setText(text)
        self.title.setToolTip(text)


class PreviewPanel(QFrame):
    """The preview pane of the reading area (hidden until a document is previewed)."""

    close_requested = Signal()
    detach_requested = Signal()
    print_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPanel")
        self.setAccessibleName(self.tr("Aperçu du document"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.header = _Header(self, detachable=True)
        self.header.print_button.clicked.connect(self.print_requested)
        self.header.detach_button.clicked.connect(self.detach_requested)
        self.header.close_button.clicked.connect(self.close_requested)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.header)
        self.preview: PreviewFrame | None = None
        self.title = ""
        # Échap anywhere inside the panel closes it (a PDF view or a tab keeps its own keys).
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_requested.emit)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hide()

    # -- content -----------------------------------------------------------------------------
    def show_preview(self, preview: PreviewFrame, title: str) -> None:
        """Show ``preview`` (the panel takes it; the previous one is destroyed)."""
        self.clear()
        self.preview = preview
        self.title = title
        self.header.set_title(title)
        self.setAccessibleDescription(title)
        preview.setParent(self)
        self._layout.addWidget(preview, 1)
        preview.show()
        self.show()
        self.update_actions()

    def take_preview(self) -> PreviewFrame | None:
        """Hand the preview over (to a window) without destroying it; the panel hides."""
        preview = self.preview
        if preview is None:
            return None
        self._layout.removeWidget(preview)
        preview.setParent(None)  # type: ignore[call-overload]
        self.preview = None
        self.hide()
        return preview

    def clear(self) -> None:
        """Close the preview shown, if any (its widget is destroyed) and hide the panel."""
        preview = self.preview
        self.preview = None
        if preview is not None:
            self._layout.removeWidget(preview)
            preview.hide()
            preview.deleteLater()
        self.header.print_button.setEnabled(False)
        self.hide()

    def update_actions(self) -> None:
        """Imprimer… while a preview is shown (what it can print is checked on the click: an
        XDM package's document may still be rendering)."""
        self.header.print_button.setEnabled(self.preview is not None)

    def focus_preview(self) -> None:
        if self.preview is not None:
            self.preview.setFocus(Qt.FocusReason.OtherFocusReason)
            if not self.preview.hasFocus():
                self.header.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def contains_focus(self) -> bool:
        from PySide6.QtWidgets import QApplication

        widget = QApplication.focusWidget()
        return widget is not None and (widget is self or self.isAncestorOf(widget))


class PreviewWindow(QDialog):
    """A preview in a window of its own (non-modal): "Ouvrir dans une fenêtre"."""

    print_requested = Signal()

    def __init__(self, preview: PreviewFrame, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Aperçu — {name}").format(name=title))
        self.setAccessibleName(self.tr("Aperçu du document"))
        self.resize(900, 720)
        self.header = _Header(self, detachable=False)
        self.header.set_title(title)
        self.header.print_button.clicked.connect(self.print_requested)
        self.header.close_button.clicked.connect(self.close)
        self.preview = preview
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        preview.setParent(self)
        layout.addWidget(preview, 1)
        preview.show()
        QShortcut(QKeySequence(QKeySequence.StandardKey.Print), self, self.print_requested.emit)
        self.update_actions()

    def update_actions(self) -> None:
        self.header.print_button.setEnabled(True)


__all__ = ["PreviewPanel", "PreviewWindow"]
