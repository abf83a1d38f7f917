"""What the main window's message actions need besides the window itself: the account's folders
read from the folder tree (the move targets, the Trash), the "Déplacer vers…" dialog, and a
server draft (a message of the \\Drafts folder) turned into the composer's draft payload.

Pure helpers and one small dialog; the store calls stay in the window (``MainWindow._db``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.mailbox_scope import named_like
from ui.models.folder_model import FolderModel
from ui.models.folder_model import Roles as FolderRoles

TRASH = "\\Trash"
DRAFTS = "\\Drafts"
# Keep in step with ui.dialogs.composer.DRAFT_FORMAT (not imported: the composer module is heavy
# and only needed once a composer opens).
DRAFT_FORMAT = 1


@dataclass(frozen=True)
class FolderEntry:
    """A selectable folder of the tree: its store id, IMAP name, special use ("INBOX" for the
    inbox), the path shown to the user and the group it sits in (the shared ORG box, the
    personal folders, or None when the tree has no groups)."""

    folder_id: int
    full_name: str
    special_use: str | None
    label: str
    group: int | None


def folder_entries(model: FolderModel) -> list[FolderEntry]:
    """Every folder of the tree that holds messages, in the tree's order."""
    entries: list[FolderEntry] = []

    def walk(parent: QModelIndex, path: list[str], group: int | None) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            is_group = index.data(FolderRoles.KIND) is not None
            if is_group:
                walk(index, [], row)
                continue
            label = str(index.data(FolderRoles.LABEL) or "")  # without its unread count
            folder_id = index.data(FolderRoles.FOLDER_ID)
            if folder_id is not None:
                entries.append(FolderEntry(
                    folder_id=int(folder_id), full_name=str(index.data(FolderRoles.FULL_NAME)),
                    special_use=index.data(FolderRoles.SPECIAL_USE),
                    label=" / ".join([*path, label]), group=group))
            walk(index, [*path, label], group)

    walk(QModelIndex(), [], None)
    return entries


def _trash_by_name(entry: FolderEntry) -> bool:
    # Servers without SPECIAL-USE, an ORG box read through the shared namespace.
    return entry.special_use is None and named_like(TRASH, entry.full_name)


def is_drafts_folder(full_name: str, special_use: str | None) -> bool:
    """The server's drafts folder: by special use, else by its usual names."""
    if special_use is not None:
        return special_use == DRAFTS
    return named_like(DRAFTS, full_name)


def trash_folder(entries: list[FolderEntry], source_folder_id: int | None) -> FolderEntry | None:
    """Where Supprimer puts a message of ``source_folder_id``: the Trash of the same box (the
    shared ORG box has its own), else the account's; by special use first, then by name."""
    source = next((e for e in entries if e.folder_id == source_folder_id), None)
    group = source.group if source is not None else None
    same_box = [e for e in entries if e.group == group]
    for candidates in (same_box, entries):
        for test in (lambda e: e.special_use == TRASH, _trash_by_name):
            for entry in candidates:
                if test(entry):
                    return entry
    return None


def audit_folder_ref(entry: FolderEntry | None, folder_id: int) -> str:
    """How the audit trail names a folder (never by its name: see app.domain.audit)."""
    from app.domain.audit import folder_ref

    if entry is None:
        return f"#{folder_id}"
    special = entry.special_use if entry.special_use != "INBOX" else None
    return folder_ref(entry.folder_id, name=entry.full_name, special_use=special)


class MoveToFolderDialog(QDialog):
    """Déplacer vers… (Ctrl+Maj+M): the account's folders, filtered as the user types; Entrée
    or double-click moves. Non-blocking (``open()``); ``folder_chosen`` gives the IMAP name."""

    folder_chosen = Signal(str)

    def __init__(self, entries: list[FolderEntry], *, count: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moveToFolderDialog")
        self.setWindowTitle(self.tr("Déplacer vers un dossier"))
        self.setMinimumWidth(360)
        if count == 1:
            text = self.tr("Déplacer le message sélectionné vers :")
        else:
            text = self.tr("Déplacer les {count} messages sélectionnés vers :").format(
                count=count)
        intro = QLabel(text, self)
        intro.setWordWrap(True)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("moveFolderFilter")
        self.filter_edit.setPlaceholderText(self.tr("Filtrer les dossiers…"))
        self.filter_edit.setAccessibleName(self.tr("Filtrer les dossiers"))
        self.folder_list = QListWidget(self)
        self.folder_list.setObjectName("moveFolderList")
        self.folder_list.setAccessibleName(self.tr("Dossier de destination"))
        for entry in entries:
            item = QListWidgetItem(entry.label, self.folder_list)
            item.setData(Qt.ItemDataRole.UserRole, entry.full_name)
        if self.folder_list.count():
            self.folder_list.setCurrentRow(0)
        intro.setBuddy(self.folder_list)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Déplacer"))
        ok.setEnabled(self.folder_list.count() > 0)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuler"))
        self.buttons.accepted.connect(self._choose)
        self.buttons.rejected.connect(self.reject)
        self.filter_edit.textChanged.connect(self._filter)
        self.filter_edit.returnPressed.connect(self._choose)
        self.folder_list.itemActivated.connect(lambda _item: self._choose())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.folder_list, 1)
        layout.addWidget(self.buttons)
        self.filter_edit.setFocus()

    def _filter(self, text: str) -> None:
        wanted = text.strip().casefold()
        first: QListWidgetItem | None = None
        for row in range(self.folder_list.count()):
            item = self.folder_list.item(row)
            hidden = bool(wanted) and wanted not in item.text().casefold()
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        current = self.folder_list.currentItem()
        if current is None or current.isHidden():
            self.folder_list.setCurrentItem(first)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(first is not None)

    def _choose(self) -> None:
        item = self.folder_list.currentItem()
        if item is None or item.isHidden():
            return
        self.folder_chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))
        self.accept()


def draft_payload_from_raw(raw: bytes, *, from_address: str, login: str) -> dict[str, Any]:
    """The composer's draft payload (``Composer.draft_payload`` format) for a message of the
    server's \\Drafts folder: recipients, subject, text, attachments, receipt request and the
    threading headers. Blocking (parses the message): call it off the UI thread."""
    from app.protocols.mime.parser import parse_message

    parsed = parse_message(raw)
    attachments = []
    for attachment in parsed.attachments:
        data = attachment.data()
        attachments.append({
            "filename": attachment.name or "piece-jointe",
            "content_type": attachment.content_type or "application/octet-stream",
            "data": base64.b64encode(data).decode("ascii"),
        })
    return {
        "format": DRAFT_FORMAT,
        "from": from_address,
        "login": login,
        "to": [address for _name, address in parsed.to if address],
        "cc": [address for _name, address in parsed.cc if address],
        "subject": parsed.subject,
        "text": parsed.text_body or "",
        "request_mdn": bool(parsed.disposition_notification_to),
        "in_reply_to": parsed.in_reply_to[0] if parsed.in_reply_to else None,
        "references": list(parsed.references),
        "attachments": attachments,
        "cda": [],
    }


def draft_content(payload: dict[str, Any]) -> dict[str, Any]:
    """What the user wrote in a draft payload, for "was it edited?": everything but the
    format and the login (filled in once the composer has read the accounts)."""
    return {key: value for key, value in payload.items() if key not in ("format", "login")}
