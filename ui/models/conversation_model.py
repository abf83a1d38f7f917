"""Patient conversations of one mailbox, grouped by patient (spec §5 and §9: the "Patients" pane).

Two levels: a patient (name when a message told it, INS, address) and under it that patient's
conversations (open, closed or blocked, with their number of messages). Built from plain snapshots
(:class:`PatientRow`) that ``load_patients`` reads on the database thread; ``data()`` only reads
the snapshot.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from app.domain.conversation import BLOCK_TEXT, Conversation, ConversationState
from ui.models.two_level_tree import TwoLevelTreeModel

_Index = QModelIndex | QPersistentModelIndex


class NodeType(enum.IntEnum):
    PATIENT = 1
    CONVERSATION = 2


class Roles(enum.IntEnum):
    NODE_TYPE = Qt.ItemDataRole.UserRole + 1
    INS = Qt.ItemDataRole.UserRole + 2
    PATIENT_ADDRESS = Qt.ItemDataRole.UserRole + 3
    CONVERSATION_ID = Qt.ItemDataRole.UserRole + 4  # conversation rows only
    STATE = Qt.ItemDataRole.UserRole + 5  # "open" | "closed" | "blocked"
    OPEN = Qt.ItemDataRole.UserRole + 6  # bool: a patient with an open conversation


class Column(enum.IntEnum):
    PATIENT = 0
    INS = 1
    STATE = 2


@dataclass(frozen=True)
class ConversationRow:
    conversation_id: str
    state: str  # ConversationState value
    message_count: int
    block_reason: str = ""  # French, for a blocked conversation


@dataclass(frozen=True)
class PatientRow:
    ins: str
    address: str
    name: str  # "" when no message told it
    conversations: tuple[ConversationRow, ...]

    @property
    def has_open(self) -> bool:
        return any(c.state == ConversationState.OPEN.value for c in self.conversations)


def group_conversations(
    conversations: Iterable[Conversation], names: dict[str, str] | None = None
) -> list[PatientRow]:
    """Conversations grouped by patient INS; patients with an open conversation first, then by
    name (or INS). Pure: no Qt, no store."""
    by_ins: dict[str, list[Conversation]] = {}
    for conversation in conversations:
        by_ins.setdefault(conversation.patient_ins.value, []).append(conversation)
    names = names or {}
    rows = []
    for ins, items in by_ins.items():
        address = str(items[0].patient_address)
        rows.append(PatientRow(
            ins=ins,
            address=address,
            name=names.get(address.casefold(), ""),
            conversations=tuple(ConversationRow(
                conversation_id=c.conversation_id,
                state=c.state.value,
                message_count=len(c.message_ids),
                block_reason=BLOCK_TEXT.get(c.block_reason, "") if c.block_reason else "",
            ) for c in items),
        ))
    rows.sort(key=lambda r: (not r.has_open, (r.name or r.ins).casefold()))
    return rows


def load_patients(database: Any, mailbox: str) -> list[PatientRow]:
    """The mailbox's patients (blocking: call it on the database thread's executor).

    A patient's name comes from the display name of a message they sent or received; the
    conversation store itself keeps only the INS and the address."""
    from app.store.conversation_store import ConversationStore

    conversations = ConversationStore(database=database).all(mailbox)
    addresses = {str(c.patient_address).casefold() for c in conversations}
    names: dict[str, str] = {}
    if addresses:
        marks = ",".join("?" for _ in addresses)
        # A seek in the patient index (migration 0013), not a pass over every message: a
        # message a patient sent has that patient's address as its patient_addr.
        for row in database.query(
            f"SELECT patient_addr, from_name FROM message WHERE patient_addr IN ({marks})"
            " AND lower(from_addr) = patient_addr AND from_name != '' GROUP BY patient_addr",
            tuple(addresses)):
            names[str(row[0])] = str(row[1])
    return group_conversations(conversations, names)


# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate


def state_label(state: str) -> str:
    return {
        ConversationState.OPEN.value: translate("ConversationModel", "ouverte"),
        ConversationState.CLOSED.value: translate("ConversationModel", "clôturée"),
        ConversationState.BLOCKED.value: translate("ConversationModel", "bloquée"),
    }.get(state, state)


def format_ins(ins: str) -> str:
    """``285037512345678`` -> ``2 85 03 75 123 456 78`` (the NIR's usual grouping, key last)."""
    if len(ins) != 15:
        return ins
    return (f"{ins[0]} {ins[1:3]} {ins[3:5]} {ins[5:7]} {ins[7:10]} {ins[10:13]} "
            f"{ins[13:15]}")


class ConversationModel(TwoLevelTreeModel):
    """Patients (top level), each with its conversations. Top-level indexes carry internal id 0,
    a conversation its patient's row + 1."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PatientRow] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_patients(self, rows: Iterable[PatientRow]) -> None:
        snapshot = list(rows)
        self.beginResetModel()
        self._rows = snapshot
        self.endResetModel()

    def patients(self) -> Sequence[PatientRow]:
        return tuple(self._rows)

    def patient(self, index: _Index) -> PatientRow | None:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._rows[index.row()]
        return self._rows[index.internalId() - 1]

    # -- structure -------------------------------------------------------------------------------
    def _top_count(self) -> int:
        return len(self._rows)

    def _child_count(self, top_row: int) -> int:
        return len(self._rows[top_row].conversations)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(Column)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        labels = {Column.PATIENT: translate("ConversationModel", "Patient"),
                  Column.INS: translate("ConversationModel", "INS"),
                  Column.STATE: translate("ConversationModel", "Conversation")}
        return labels.get(Column(section)) if 0 <= section < len(Column) else None

    # -- data ------------------------------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._patient_data(self._rows[index.row()], index.column(), role)
        patient = self._rows[index.internalId() - 1]
        return self._conversation_data(patient, patient.conversations[index.row()],
                                       index.column(), role)

    def _patient_data(self, row: PatientRow, column: int, role: int) -> Any:
        common: dict[int, Callable[[], Any]] = {
            Roles.NODE_TYPE: lambda: int(NodeType.PATIENT),
            Roles.INS: lambda: row.ins,
            Roles.PATIENT_ADDRESS: lambda: row.address,
            Roles.OPEN: lambda: row.has_open,
        }
        if role in common:
            return common[role]()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.PATIENT:
                return row.name or translate("ConversationModel", "Patient (nom inconnu)")
            if column == Column.INS:
                return format_ins(row.ins)
            open_count = sum(c.state == ConversationState.OPEN.value for c in row.conversations)
            if open_count:
                return translate("ConversationModel", "{count} ouverte(s)").format(count=open_count)
            return translate("ConversationModel", "aucune ouverte")
        if role == Qt.ItemDataRole.FontRole and row.has_open and column == Column.PATIENT:
            return self._bold
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return translate("ConversationModel", "{name}, INS {ins}, {address}").format(
                name=row.name or translate("ConversationModel", "nom inconnu"),
                ins=format_ins(row.ins), address=row.address)
        return None

    def _conversation_data(self, patient: PatientRow, row: ConversationRow, column: int,
                           role: int) -> Any:
        if role == Roles.NODE_TYPE:
            return int(NodeType.CONVERSATION)
        if role == Roles.INS:
            return patient.ins
        if role == Roles.PATIENT_ADDRESS:
            return patient.address
        if role == Roles.CONVERSATION_ID:
            return row.conversation_id
        if role == Roles.STATE:
            return row.state
        if role == Roles.OPEN:
            return row.state == ConversationState.OPEN.value
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.PATIENT:
                return (translate("ConversationModel", "1 message") if row.message_count == 1
                        else translate("ConversationModel", "{count} messages").format(
                            count=row.message_count))
            if column == Column.STATE:
                return state_label(row.state)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and row.block_reason:
            return translate("ConversationModel", "Bloquée : {reason}").format(
                reason=row.block_reason)
        return None
