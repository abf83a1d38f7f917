"""The folders of one account as a tree, with unread counts.

Built from ``app.store.message_queries.FolderCount`` snapshots read off the UI thread (one grouped
query per account); ``data()`` only reads the snapshot. Hierarchy comes from the IMAP delimiter
(``Archives/2024``); a parent the server does not list itself is shown as a non-selectable node.
The inbox comes first, then the special-use folders in the usual order, then the others by name.

``update_counts`` refreshes the numbers in place (``dataChanged``, no reset) so that new mail does
not collapse the tree or lose the selection; a changed folder list resets the model.

An ORG box opened with a member's own login (shared by IMAP ACL, RFC 4314) appears on the server
under the shared namespace, e.g. ``Partagé/cardiologie@chu.mssante.fr`` (its inbox) and its
sub-folders, beside the member's personal folders. With ``shared_mailbox`` the tree shows that box
first, as the ORG mailbox (badge) with its own folders and its inbox as *the* inbox, and the
login's personal folders after it in a group of their own.
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
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap

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
    KIND = Qt.ItemDataRole.UserRole + 6  # group rows: "ORG" (the shared box) or "" (personal)
    LABEL = Qt.ItemDataRole.UserRole + 7  # the folder's name as shown, without its unread count


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
    kind: str | None = None  # a group row: "ORG" for the shared box, "" for personal folders
    description: str = ""  # a group row's tooltip / accessible text

    def row(self) -> int:
        return 0 if self.parent is None else self.parent.children.index(self)


def _sort_key(node: _Node) -> tuple[int, str]:
    if node.special_use == "INBOX":
        return (0, "")
    if node.special_use in _SPECIAL_ORDER:
        return (1 + _SPECIAL_ORDER.index(node.special_use), "")
    return (10, node.label.casefold())


def _relative_name(folder: FolderCount, root: str) -> str | None:
    """``folder``'s name inside the shared box rooted at ``root`` ("INBOX" for the root itself),
    or None when it is not one of that box's folders."""
    delimiter = folder.delimiter or "/"
    if folder.name == root:
        return "INBOX"
    if folder.name.startswith(root + delimiter):
        return folder.name[len(root) + len(delimiter):]
    return None


def shared_root(folders: Sequence[FolderCount], mailbox: str) -> str | None:
    """Where the shared box ``mailbox`` sits among the login's folders: the path down to the
    component that names it (``Partagé/cardiologie@chu.mssante.fr``), or None."""
    wanted = mailbox.strip().casefold()
    for folder in sorted(folders, key=lambda f: len(f.name)):
        delimiter = folder.delimiter or "/"
        parts = folder.name.split(delimiter)
        for depth, part in enumerate(parts[1:], start=1):  # below a namespace prefix
            if part.casefold() == wanted:
                return delimiter.join(parts[: depth + 1])
    return None


def _build(folders: Sequence[FolderCount], names: dict[int, str] | None = None) -> _Node:
    """The tree of ``folders``; ``names`` gives, by folder id, the path to place a folder at
    (its name inside a shared box) when it is not its own name."""
    root = _Node(label="", full_name="")
    by_name: dict[str, _Node] = {}

    def path_of(folder: FolderCount) -> str:
        return (names or {}).get(folder.id, folder.name)

    for folder in sorted(folders, key=path_of):
        delimiter = folder.delimiter or ""
        path = path_of(folder)
        parts = path.split(delimiter) if delimiter else [path]
        parent = root
        for depth in range(len(parts)):
            name = delimiter.join(parts[: depth + 1])
            node = by_name.get(name)
            if node is None:
                node = _Node(label=parts[depth], full_name=name, parent=parent)
                by_name[name] = node
                parent.children.append(node)
            parent = node
        parent.full_name = folder.name
        special = "INBOX" if path.upper() == "INBOX" else folder.special_use
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


def _build_shared(folders: Sequence[FolderCount], mailbox: str, root_path: str,
                  login: str) -> tuple[_Node, _Node | None]:
    """The shared box's group (its folders, its inbox first), then the personal folders' group
    (None when there are none); both under one root."""
    inside: dict[int, str] = {}
    personal: list[FolderCount] = []
    for folder in folders:
        relative = _relative_name(folder, root_path)
        if relative is None:
            personal.append(folder)
        else:
            inside[folder.id] = relative
    root = _Node(label="", full_name="")
    shared = _build([f for f in folders if f.id in inside], inside)
    group = _Node(label=mailbox, full_name=root_path, parent=root, kind="ORG",
                  description=translate("FolderModel", "Boîte organisationnelle (ORG) {address}, "
                                        "partagée avec vous").format(address=mailbox))
    group.children = shared.children
    for child in group.children:
        child.parent = group
    root.children.append(group)
    personal_group: _Node | None = None
    if personal:
        tree = _build(personal)
        personal_group = _Node(
            label=translate("FolderModel", "Dossiers personnels"), full_name="", parent=root,
            kind="", description=translate("FolderModel", "Vos dossiers personnels ({login})")
            .format(login=login))
        personal_group.children = tree.children
        for child in personal_group.children:
            child.parent = personal_group
        root.children.append(personal_group)
    return root, personal_group


_BADGE_COLOURS = {"ORG": "#2e7040"}  # as the accounts tree's badge (white text, contrast >= 4.5)


def badge_pixmap(kind: str, font: QFont) -> QPixmap:
    """The kind code in a rounded box, as the accounts tree draws it."""
    small = QFont(font)
    small.setBold(True)
    if small.pointSizeF() > 0:
        small.setPointSizeF(small.pointSizeF() * 0.85)
    metrics = QFontMetrics(small)
    width, height = metrics.horizontalAdvance(kind) + 8, metrics.height() + 2
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_BADGE_COLOURS.get(kind, "#555555")))
    painter.drawRoundedRect(0, 0, width, height, 3, 3)
    painter.setFont(small)
    painter.setPen(QColor("white"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, kind)
    painter.end()
    return pixmap


class FolderModel(QAbstractItemModel):
    """Folders of one account: a tree whose index internal pointers are its nodes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(label="", full_name="")
        self._by_id: dict[int, _Node] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._shared_mailbox: str | None = None
        self._login = ""
        self._shared_group: _Node | None = None
        self._personal_group: _Node | None = None
        self._badge: QPixmap | None = None

    # -- loading -------------------------------------------------------------------------------
    def set_folders(self, folders: Iterable[FolderCount], *,
                    shared_mailbox: str | None = None, login: str = "") -> None:
        """Show ``folders``. ``shared_mailbox``: the ORG box this login opens through the
        shared namespace (its folders and inbox first; see the module's docstring)."""
        snapshot = list(folders)
        self._shared_mailbox, self._login = shared_mailbox, login
        self.beginResetModel()
        self._shared_group = self._personal_group = None
        root_path = shared_root(snapshot, shared_mailbox) if shared_mailbox else None
        if shared_mailbox and root_path is not None:
            self._root, self._personal_group = _build_shared(snapshot, shared_mailbox,
                                                             root_path, login)
            self._shared_group = self._root.children[0]
        else:
            self._root = _build(snapshot)
        self._by_id = {}
        self._index_nodes(self._root)
        self.endResetModel()

    @property
    def shared_mailbox(self) -> str | None:
        """The ORG box shown first, when its folders were found among the login's."""
        return self._shared_group.label if self._shared_group is not None else None

    def shared_index(self) -> QModelIndex:
        group = self._shared_group
        return QModelIndex() if group is None else self.createIndex(group.row(), 0, group)

    def personal_index(self) -> QModelIndex:
        group = self._personal_group
        return QModelIndex() if group is None else self.createIndex(group.row(), 0, group)

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
            self.set_folders(snapshot, shared_mailbox=self._shared_mailbox, login=self._login)
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
        """The inbox to open first: the shared ORG box's, when the tree shows one."""
        inboxes = [n for n in self._by_id.values() if n.special_use == "INBOX"]
        if self._shared_group is not None:
            shared = [n for n in inboxes if n.parent is self._shared_group]
            inboxes = shared or inboxes
        for node in inboxes:
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
        if node.kind is not None:
            return self._group_data(node, role)
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
        if role == Roles.LABEL:
            return node.label
        if role == Roles.UNREAD:
            return node.unread
        if role == Roles.TOTAL:
            return node.total
        if role == Roles.SPECIAL_USE:
            return node.special_use
        return None

    def _group_data(self, node: _Node, role: int) -> Any:
        """A group row: the shared ORG box (badge, bold) or the personal folders."""
        if role == Qt.ItemDataRole.DisplayRole:
            return node.label
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return node.description
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if node.kind else None
        if role == Qt.ItemDataRole.DecorationRole and node.kind:
            if self._badge is None:
                self._badge = badge_pixmap(node.kind, QFont())
            return self._badge
        if role == Roles.KIND:
            return node.kind
        if role == Roles.FULL_NAME:
            return node.full_name
        return None
