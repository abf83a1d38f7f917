"""The accounts tree: one row per mailbox, and under each the two MSSanté panes.

MSSanté webmails show a mailbox as two navigation panels, one for exchanges between professionals
and one for exchanges with patients (spec §9); the tree keeps that shape so users find their way.
Folders will hang under the panes later.

The model holds plain snapshots (:class:`AccountRow`) taken from accounts the core already loaded
off the UI thread: ``data()`` never touches the store.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from ui.models.two_level_tree import TwoLevelTreeModel

_Index = QModelIndex | QPersistentModelIndex


class _AccountLike(Protocol):
    """What the model reads from ``app.domain.account.Account`` (duck-typed: no import of app)."""

    address: Any
    kind: Any
    login: str
    display_name: str


class NodeType(enum.IntEnum):
    ACCOUNT = 1
    PANE = 2


class Pane(enum.Enum):
    PROFESSIONALS = "professionals"
    PATIENTS = "patients"


PANES: tuple[Pane, ...] = (Pane.PROFESSIONALS, Pane.PATIENTS)


class Roles(enum.IntEnum):
    """Stable roles, so views, delegates and tests don't depend on display text."""

    NODE_TYPE = Qt.ItemDataRole.UserRole + 1
    ADDRESS = Qt.ItemDataRole.UserRole + 2
    KIND = Qt.ItemDataRole.UserRole + 3  # "PER" | "ORG" | "APP"
    LOGIN = Qt.ItemDataRole.UserRole + 4
    SUBTITLE = Qt.ItemDataRole.UserRole + 5  # second line under the address
    PANE = Qt.ItemDataRole.UserRole + 6  # Pane value for pane rows


def _code(kind: Any) -> str:
    """``MailboxKind.ORG`` / ``"ORG"`` -> ``"ORG"``."""
    value = getattr(kind, "value", kind)
    return str(getattr(kind, "name", value) if not isinstance(value, str) else value).upper()


@dataclass(frozen=True)
class AccountRow:
    address: str
    kind: str
    login: str
    display_name: str

    @classmethod
    def from_account(cls, account: _AccountLike) -> AccountRow:
        return cls(
            address=str(account.address),
            kind=_code(account.kind),
            login=str(getattr(account, "login", "") or ""),
            display_name=str(getattr(account, "display_name", "") or ""),
        )


def kind_label(kind: str) -> str:
    """French name of a mailbox kind, for tooltips and screen readers."""
    labels = {
        "PER": QCoreApplication.translate("AccountModel", "boîte personnelle"),
        "ORG": QCoreApplication.translate("AccountModel", "boîte organisationnelle"),
        "APP": QCoreApplication.translate("AccountModel", "boîte applicative"),
    }
    return labels.get(kind, kind)


def pane_label(pane: Pane) -> str:
    if pane is Pane.PROFESSIONALS:
        return QCoreApplication.translate("AccountModel", "Professionnels")
    return QCoreApplication.translate("AccountModel", "Patients")


def subtitle(row: AccountRow) -> str:
    """Second line of an account: who opens an ORG box; the holder's name otherwise."""
    if row.kind == "ORG" and row.login and row.login != row.address:
        return QCoreApplication.translate("AccountModel", "ouverte par {login}").format(
            login=row.login)
    return row.display_name


class AccountModel(TwoLevelTreeModel):
    """Two-level tree: accounts (top level), each with the panes Professionnels and Patients.

    Index identity: top-level indexes carry internal id 0; a pane carries its account's row + 1, so
    ``parent()`` needs no pointer bookkeeping.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AccountRow] = []

    # -- loading -----------------------------------------------------------------------------
    def set_accounts(self, accounts: Iterable[_AccountLike | AccountRow]) -> None:
        rows = [a if isinstance(a, AccountRow) else AccountRow.from_account(a) for a in accounts]
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def accounts(self) -> Sequence[AccountRow]:
        return tuple(self._rows)

    def account_index(self, address: str) -> QModelIndex:
        for row, account in enumerate(self._rows):
            if account.address == address:
                return self.index(row, 0)
        return QModelIndex()

    # -- structure ---------------------------------------------------------------------------
    def _top_count(self) -> int:
        return len(self._rows)

    def _child_count(self, top_row: int) -> int:
        return len(PANES)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and section == 0
                and role == Qt.ItemDataRole.DisplayRole):
            return QCoreApplication.translate("AccountModel", "Comptes")
        return None

    # -- data --------------------------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._account_data(self._rows[index.row()], role)
        account = self._rows[index.internalId() - 1]
        return self._pane_data(account, PANES[index.row()], role)

    def _account_data(self, row: AccountRow, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return row.address
        if role == Roles.NODE_TYPE:
            return int(NodeType.ACCOUNT)
        if role == Roles.ADDRESS:
            return row.address
        if role == Roles.KIND:
            return row.kind
        if role == Roles.LOGIN:
            return row.login
        if role == Roles.SUBTITLE:
            return subtitle(row)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            parts = [row.address, kind_label(row.kind)]
            extra = subtitle(row)
            if extra:
                parts.append(extra)
            return ", ".join(parts)
        return None

    def _pane_data(self, account: AccountRow, pane: Pane, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return pane_label(pane)
        if role == Roles.NODE_TYPE:
            return int(NodeType.PANE)
        if role == Roles.PANE:
            return pane.value
        if role == Roles.ADDRESS:
            return account.address
        if role == Roles.KIND:
            return account.kind
        if role == Qt.ItemDataRole.ToolTipRole:
            if pane is Pane.PROFESSIONALS:
                return QCoreApplication.translate(
                    "AccountModel", "Échanges avec les professionnels de santé")
            return QCoreApplication.translate(
                "AccountModel", "Échanges avec les patients (messagerie de Mon espace santé)")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{pane_label(pane)}, {account.address}"
        return None
