"""The attachment bar under the reader: one chip per attachment (type icon, name, size).

A click asks for a preview, a double click or Enter for opening, the context menu offers preview,
open and save. The bar only emits the attachment's position; previewing, opening and saving (which
must never leave plaintext copies lying around) belong to their own components.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QStyle,
    QToolButton,
    QWidget,
)

# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate
# The words of type_label(), compared as they are and translated where they are shown.
_TYPE_WORDS = (QT_TRANSLATE_NOOP("AttachmentBar", "Documents XDM"),
               QT_TRANSLATE_NOOP("AttachmentBar", "Document XML (CDA)"),
               QT_TRANSLATE_NOOP("AttachmentBar", "Image"),
               QT_TRANSLATE_NOOP("AttachmentBar", "Texte"),
               QT_TRANSLATE_NOOP("AttachmentBar", "Fichier"))


def format_size(size: int) -> str:
    """File size in the UI language: "850 octets", "12,3 Ko", "1,2 Mo" ("12.3 KB" in English)."""
    if size < 1024:
        one = size <= 1
        return (translate("AttachmentBar", "{count} octet") if one
                else translate("AttachmentBar", "{count} octets")).format(count=size)
    value, unit = size / 1024, translate("AttachmentBar", "Ko")
    if value >= 1024:
        value, unit = value / 1024, translate("AttachmentBar", "Mo")
    if value >= 1024:
        value, unit = value / 1024, translate("AttachmentBar", "Go")
    decimal = translate("AttachmentBar", ",", "decimal separator")
    text = f"{value:.1f}".replace(".", decimal) if value < 100 else f"{value:.0f}"
    return f"{text} {unit}"


def type_label(name: str, content_type: str) -> str:
    lowered = name.casefold()
    if lowered == "ihe_xdm.zip":
        return "Documents XDM"
    if content_type == "application/pdf" or lowered.endswith(".pdf"):
        return "PDF"
    if lowered.endswith(".xml") or content_type in ("text/xml", "application/xml"):
        return "Document XML (CDA)"
    if content_type.startswith("image/"):
        return "Image"
    if content_type.startswith("text/"):
        return "Texte"
    return "Fichier"


def type_icon(name: str, content_type: str) -> QIcon:
    style = QApplication.style()
    pixmap = QStyle.StandardPixmap
    label = type_label(name, content_type)
    if label == "Documents XDM":
        return style.standardIcon(pixmap.SP_FileDialogDetailedView)
    if label == "Image":
        return style.standardIcon(pixmap.SP_DesktopIcon)
    if label in ("Texte", "Document XML (CDA)"):
        return style.standardIcon(pixmap.SP_FileDialogContentsView)
    return style.standardIcon(pixmap.SP_FileIcon)


class AttachmentChip(QToolButton):
    def __init__(self, position: int, name: str, content_type: str, size: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.position = position
        self.setObjectName(f"attachmentChip{position}")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setAutoRaise(False)
        self.setIcon(type_icon(name, content_type))
        self.setText(f"{name} ({format_size(size)})")
        kind = translate("AttachmentBar", type_label(name, content_type))
        self.setToolTip(f"{name}\n{kind}, {format_size(size)}")
        self.setAccessibleName(self.tr("Pièce jointe {name}, {kind}, {size}").format(
            name=name, kind=kind, size=format_size(size)))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)


class AttachmentBar(QWidget):
    preview_requested = Signal(int)
    open_requested = Signal(int)
    save_requested = Signal(int)
    save_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentBar")
        self.setAccessibleName(self.tr("Pièces jointes"))
        self.title = QLabel(self)
        self.title.setObjectName("attachmentCount")
        self._chips: list[AttachmentChip] = []
        self._row = QWidget(self)
        self._row_layout = QHBoxLayout(self._row)
        self._row_layout.setContentsMargins(0, 0, 0, 0)
        self._row_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._row)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        self.setVisible(False)

    def chips(self) -> list[AttachmentChip]:
        return list(self._chips)

    def set_attachments(self, attachments: Sequence[Any]) -> None:
        """``attachments``: objects with ``name``, ``content_type`` (or ``type``) and ``size``
        (``app.domain.message.Attachment`` or ``app.store.message_store.AttachmentInfo``)."""
        for chip in self._chips:
            self._row_layout.removeWidget(chip)
            chip.deleteLater()
        self._chips = []
        for position, item in enumerate(attachments):
            name = str(getattr(item, "name", None) or self.tr("sans nom"))
            content_type = str(getattr(item, "content_type", None)
                               or getattr(item, "type", "") or "application/octet-stream")
            chip = AttachmentChip(position, name, content_type, int(getattr(item, "size", 0)),
                                  self._row)
            chip.clicked.connect(lambda _=False, p=position: self.preview_requested.emit(p))
            chip.customContextMenuRequested.connect(
                lambda point, c=chip: self._menu(c, point))
            chip.installEventFilter(self)
            self._row_layout.insertWidget(self._row_layout.count() - 1, chip)
            self._chips.append(chip)
        count = len(self._chips)
        self.title.setText(self.tr("1 pièce jointe") if count == 1 else
                           self.tr("{count} pièces jointes").format(count=count))
        self.setVisible(bool(count))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, AttachmentChip):
            if event.type() == QEvent.Type.MouseButtonDblClick:
                self.open_requested.emit(watched.position)
                return True
            if event.type() == QEvent.Type.KeyPress and event.key() in (  # type: ignore[attr-defined]
                    Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_requested.emit(watched.position)
                return True
        return super().eventFilter(watched, event)

    def _menu(self, chip: AttachmentChip, point: QPoint) -> QMenu:
        menu = QMenu(chip)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        entries = ((self.tr("Aperçu"), self.preview_requested),
                   (self.tr("Ouvrir"), self.open_requested),
                   (self.tr("Enregistrer sous…"), self.save_requested))
        for text, signal in entries:
            action = QAction(text, menu)
            action.triggered.connect(lambda _=False, s=signal, p=chip.position: s.emit(p))
            menu.addAction(action)
        if len(self._chips) > 1:
            save_all = QAction(self.tr("Tout enregistrer…"), menu)
            save_all.triggered.connect(self.save_all_requested.emit)
            menu.addAction(save_all)
        menu.popup(chip.mapToGlobal(point))
        return menu
