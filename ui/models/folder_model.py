"""The folders of one account as a tree, with unread counts.

Built from ``app.store.message_queries.FolderCount`` snapshots read off the UI thread (one grouped
query per account); ``data()`` only reads the snapshot. Hierarchy comes from the IMAP delimiter
(``Archives/2024``); a parent the server does not list itself is shown as a non-selectable node.
The inbox comes first, then the special-use folders in the usual order, then the others by name.

``update_counts`` refreshes the numbers in place (``dataChanged``, no reset) so that new mail does
not collapse the tree or lose the selection; a changed folder list resets the model.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from app.store.message_queries import FolderCount

_Index = QModelIndex | QPersistentModelIndex

# Order of the well-known folders after the inbox (RFC 6154 special-use attributes).
_SPECIAL_ORDER = ("\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash")


class Roles(enum.IntEnum):
    FOLDER_ID = Qt.ItemDataRole.UserRole + 1  # int, or None for a node the server did not list
    FULL_NAME = Qt.ItemDataRole.UserRole + 2  # the IMAP name, e.g. "Archives/2024"
    UNREAD = Qt.ItemDataRole.UserRole + 3
    TOTAL = Qt.ItemDataRole.UserRole + 4
    SPECIAL_USE = Qt.ItemDataRole.UserRole + 5  # "\\Sent", ... or None ("INBOX" for the inbox)


# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate


def folder_label(name: str, special_use: str | None) -> str:
    """French name of a well-known folder; the server's own name for the others."""
    if special_use == "INBOX":
        return translate("FolderModel", "Boîte de réception")
    labels = {
        "\\Drafts": translate("FolderModel", "Brouillons"),
        "\\Sent": translate("FolderModel", "Envoyés"),
        "\\Archive": translate("FolderModel", "Archives"),
        "\\Junk": translate("FolderModel", "Indésirables"),
        "\\Trash": translate("FolderModel", "Corbeille"),
    }
    return labels.get(special_use or "", name)


@dataclass(eq=False)
class _Node:
    label: str
    full_name: str
    folder_id: int | None = None
    special_use: str | None = None
    unread: int = 0
    total: int = 0
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)

    def row(self) -> int:
        return 0 if self.parent is None else self.parent.children.index(self)


def _sort_key(node: _Node) -> tuple[int, str]:
    if node.special_use == "INBOX":
        return (0, "")
    if node.special_use in _SPECIAL_ORDER:
        return (1 + _SPECIAL_ORDER.index(node.special_use), "")
    return (10, node.label.casefold())


def _build(folders: Sequence[FolderCount]) -> _Node:
    root = _Node(label="", full_name="")
    by_name: dict[str, _Node] = {}
    for folder in sorted(folders, key=lambda f: f.name):
        delimiter = folder.delimiter or ""
        parts = folder.name.split(delimiter) if delimiter else [folder.name]
        parent = root
        for depth in range(len(parts)):
            name = delimiter.join(parts[: depth + 1])
            node = by_name.get(name)
            if node is None:
                node = _Node(label=parts[depth], full_name=name, parent=parent)
                by_name[name] = node
                parent.children.append(node)
            parent = node
        special = "INBOX" if folder.name.upper() == "INBOX" else folder.special_use
        parent.folder_id = folder.id
        parent.special_use = special
        parent.label = folder_label(parts[-1], special)
        parent.unread = folder.unread
        parent.total = folder.total

    def order(node: _Node) -> None:
        node.children.sort(key=_sort_key)
        for child in node.children:
            order(child)

    order(root)
    return root


class FolderModel(QAbstractItemModel):
    """Folders of one account: a tree whose index internal pointers are its nodes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(label="", full_name="")
        self._by_id: dict[int, _Node] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    # -- loading -------------------------------------------------------------------------------
    def set_folders(self, folders: Iterable[FolderCount]) -> None:
        snapshot = list(folders)
        self.beginResetModel()
        self._root = _build(snapshot)
        self._by_id = {}
        self._index_nodes(self._root)
        self.endResetModel()

    def _index_nodes(self, node: _Node) -> None:
        for child in node.children:
            if child.folder_id is not None:
                self._by_id[child.folder_id] = child
            self._index_nodes(child)

    def update_counts(self, folders: Iterable[FolderCount]) -> None:
        """New counts for the same folders (in place); a different folder list resets."""
        snapshot = list(folders)
        if {f.id for f in snapshot} != set(self._by_id) or any(
            self._by_id[f.id].full_name != f.name for f in snapshot
        ):
            self.set_folders(snapshot)
            return
        for folder in snapshot:
            node = self._by_id[folder.id]
            if (node.unread, node.total) != (folder.unread, folder.total):
                node.unread, node.total = folder.unread, folder.total
                index = self.createIndex(node.row(), 0, node)
                self.dataChanged.emit(index, index, [])

    def index_of(self, folder_id: int) -> QModelIndex:
        node = self._by_id.get(folder_id)
        return QModelIndex() if node is None else self.createIndex(node.row(), 0, node)

    def inbox_index(self) -> QModelIndex:
        for node in self._by_id.values():
            if node.special_use == "INBOX":
                return self.createIndex(node.row(), 0, node)
        return QModelIndex()

    # -- structure -----------------------------------------------------------------------------
    def _node(self, index: _Index) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, _Node)
            return node
        return self._root

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        node = self._node(parent)
        return self.createIndex(row, column, node.children[row])

    def parent(self, child: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        node = self._node(child).parent
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row(), 0, node)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self._node(index).folder_id is None:
            return Qt.ItemFlag.ItemIsEnabled  # a path component only: nothing to open
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and section == 0
                and role == Qt.ItemDataRole.DisplayRole):
            return translate("FolderModel", "Dossiers")
        return None

    # -- data ----------------------------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{node.label} ({node.unread})" if node.unread else node.label
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if node.unread else None
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            if node.folder_id is None:
                return node.label
            if node.unread == 0:
                unread = translate("FolderModel", "aucun non lu")
            elif node.unread == 1:
                unread = translate("FolderModel", "1 non lu")
            else:
                unread = translate("FolderModel", "{count} non lus").format(count=node.unread)
            if node.total == 1:
                total = translate("FolderModel", "1 message")
            else:
                total = translate("FolderModel", "{count} messages").format(count=node.total)
            return f"{node.label}, {total}, {unread}"
        if role == Roles.FOLDER_ID:
            return node.folder_id
        if role == Roles.FULL_NAME:
            return node.full_name
        if role == Roles.UNREAD:
            return node.unread
        if role == Roles.TOTAL:
            return node.total
        if role == Roles.SPECIAL_USE:
            return node.special_use
        return None
