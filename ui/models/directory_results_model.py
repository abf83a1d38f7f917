"""The directory dialog's results: a flat table over entries the search already returned.

The entries are plain values (``app.domain.directory_entry.DirectoryEntry``) handed over by the
dialog once its search, which runs off the UI thread, is done: ``data()`` never queries anything.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from app.domain.directory_entry import DirectoryBoxType, DirectoryEntry

_Index = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    ADDRESS = 0
    TYPE = 1
    NAME = 2
    PROFESSION = 3
    STRUCTURE = 4
    CITY = 5


class Roles(enum.IntEnum):
    """Stable roles for views, delegates and tests."""

    ADDRESS = Qt.ItemDataRole.UserRole + 1
    ENTRY = Qt.ItemDataRole.UserRole + 2
    BOX_TYPE = Qt.ItemDataRole.UserRole + 3  # "PER" | "ORG" | "APP" | "CAB"


# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate


def column_titles() -> tuple[str, ...]:
    return (
        translate("DirectoryResultsModel", "Adresse"),
        translate("DirectoryResultsModel", "Type"),
        translate("DirectoryResultsModel", "Nom"),
        translate("DirectoryResultsModel", "Profession / Spécialité"),
        translate("DirectoryResultsModel", "Structure"),
        translate("DirectoryResultsModel", "Ville"),
    )


def box_type_description(kind: DirectoryBoxType) -> str:
    return {
        DirectoryBoxType.PER: translate("DirectoryResultsModel",
                                        "Boîte personnelle (un professionnel)"),
        DirectoryBoxType.ORG: translate("DirectoryResultsModel",
                                        "Boîte organisationnelle (service, équipe)"),
        DirectoryBoxType.APP: translate("DirectoryResultsModel", "Boîte applicative (logiciel)"),
        DirectoryBoxType.CAB: translate("DirectoryResultsModel",
                                        "Boîte organisationnelle d'un cabinet"),
    }[kind]


def _profession(entry: DirectoryEntry) -> str:
    parts = [p for p in (entry.profession, entry.specialty) if p]
    return " — ".join(parts)


def _name(entry: DirectoryEntry) -> str:
    """The person for PER boxes; for a service box its service (the structure has its own
    column), so the same words are not shown twice on one row."""
    if entry.box_type is not DirectoryBoxType.PER and entry.service:
        return entry.service
    return entry.name


def _structure(entry: DirectoryEntry) -> str:
    if entry.box_type is DirectoryBoxType.PER and entry.service and (
            entry.service != entry.structure):
        return " — ".join(p for p in (entry.structure, entry.service) if p)
    return entry.structure or entry.service


def _city(entry: DirectoryEntry) -> str:
    return " ".join(p for p in (entry.postcode, entry.city) if p)


class DirectoryResultsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[DirectoryEntry] = []
        self._titles = column_titles()

    # -- content -----------------------------------------------------------------------------
    def set_entries(self, entries: Sequence[DirectoryEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def clear(self) -> None:
        self.set_entries(())

    def entry(self, row: int) -> DirectoryEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def entries(self) -> list[DirectoryEntry]:
        return list(self._entries)

    # -- QAbstractItemModel ------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._titles):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return self._titles[section]
            return None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1 if 0 <= section < len(self._entries) else None
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemNeverHasChildren)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._entries) and 0 <= column < len(Column)):
            return None
        entry = self._entries[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(entry, Column(column))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.TYPE:
                return box_type_description(entry.box_type)
            text = self._text(entry, Column(column))
            return text or None
        if role == Roles.ADDRESS:
            return entry.address
        if role == Roles.ENTRY:
            return entry
        if role == Roles.BOX_TYPE:
            return entry.box_type.value
        return None

    @staticmethod
    def _text(entry: DirectoryEntry, column: Column) -> str:
        if column is Column.ADDRESS:
            return entry.address
        if column is Column.TYPE:
            return entry.box_type.value
        if column is Column.NAME:
            return _name(entry)
        if column is Column.PROFESSION:
            return _profession(entry)
        if column is Column.STRUCTURE:
            return _structure(entry)
        return _city(entry)

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(Roles.ADDRESS): QByteArray(b"address"),
                      int(Roles.ENTRY): QByteArray(b"entry"),
                      int(Roles.BOX_TYPE): QByteArray(b"boxType")})
        return names
