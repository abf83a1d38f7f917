"""The audit trail of organisational boxes (ECO.4.1.1–2), for the box's manager: who did what,
when, the request sent and the server's answer — never any message content (the entries hold
none, by type: see ``app.domain.audit``).

Entries are loaded off the UI thread (``AuditService.entries`` filtered by mailbox and start
day); the action filter applies to the loaded rows. The CSV export goes through
``AuditService.export_csv`` (French headers, ``;``, formula-safe cells) into an owner-only file.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from concurrent.futures import Executor
from datetime import date
from pathlib import Path
from typing import Protocol, TextIO

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.audit import AuditAction, AuditEntry, AuditOutcome
from app.errors import InvalidInputError
from ui.dialogs import BackgroundRunner, error_text

Index = QModelIndex | QPersistentModelIndex


class AuditSource(Protocol):
    """What the viewer needs of ``AuditService``."""

    def entries(self, *, since: date | None = None, mailbox: str | None = None,
                mailboxes: Collection[str] | None = None) -> list[AuditEntry]: ...

    def export_csv(self, out: TextIO, *, since: date | None = None, mailbox: str | None = None,
                   delimiter: str = ";", mailboxes: Collection[str] | None = None) -> int: ...


class AuditTableModel(QAbstractTableModel):
    """Rows of audit entries (already loaded), newest first, optionally one action only."""

    COLUMNS = (
        QT_TRANSLATE_NOOP("AuditTableModel", "Date et heure"),
        QT_TRANSLATE_NOOP("AuditTableModel", "Boîte"),
        QT_TRANSLATE_NOOP("AuditTableModel", "Personne"),
        QT_TRANSLATE_NOOP("AuditTableModel", "Action"),
        QT_TRANSLATE_NOOP("AuditTableModel", "Requête"),
        QT_TRANSLATE_NOOP("AuditTableModel", "Réponse"),
        QT_TRANSLATE_NOOP("AuditTableModel", "Résultat"),
    )
    EntryRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[AuditEntry] = []
        self._rows: list[AuditEntry] = []
        self._action: AuditAction | None = None

    def set_entries(self, entries: Sequence[AuditEntry]) -> None:
        self.beginResetModel()
        self._all = sorted(entries, key=lambda e: (e.occurred_at, e.id or 0), reverse=True)
        self._apply()
        self.endResetModel()

    def set_action(self, action: AuditAction | None) -> None:
        self.beginResetModel()
        self._action = action
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        action = self._action
        self._rows = [e for e in self._all if action is None or e.action is action]

    def entry(self, row: int) -> AuditEntry:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.COLUMNS)):
            return self.tr(str(self.COLUMNS[section]))
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        column = index.column()
        if role == self.EntryRole:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            offset = entry.utc_offset_minutes
            return self.tr("Heure du poste (UTC{sign}{h:02d}:{m:02d})").format(
                sign="+" if offset >= 0 else "-", h=abs(offset) // 60, m=abs(offset) % 60)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6 \
                and entry.outcome is AuditOutcome.FAILURE:
            from PySide6.QtGui import QColor

            return QColor("#a4000f")
        return None

    @staticmethod
    def _text(entry: AuditEntry, column: int) -> str:
        if column == 0:
            return entry.occurred_at.strftime("%d/%m/%Y %H:%M:%S")
        if column == 1:
            return entry.mailbox
        if column == 2:
            actor = entry.actor
            return f"{actor.login} ({actor.national_id})" if actor.national_id else actor.login
        if column == 3:
            return entry.action.label
        if column == 4:
            return entry.request or ""
        if column == 5:
            return entry.response or ""
        if column == 6:
            if entry.failure is not None:
                return f"{entry.outcome.label} — {entry.failure.label}"
            return entry.outcome.label
        return ""


def write_csv(source: AuditSource, path: Path, *, since: date | None,
              mailbox: str | None, mailboxes: Collection[str]) -> int:
    """Export to ``path`` (owner-only, UTF-8 with BOM for spreadsheets); returns the count."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise InvalidInputError(
            f"Impossible d'écrire le fichier « {path} » ({exc.strerror}).",
            message_en=f"Cannot write the file “{path}” ({exc.strerror}).") from None
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
        return source.export_csv(handle, since=since, mailbox=mailbox, mailboxes=mailboxes)


class AuditViewer(QDialog):
    loaded = Signal(int)  # number of entries loaded
    exported = Signal(int)  # number of entries written

    def __init__(self, source: AuditSource, *, mailboxes: Sequence[str], executor: Executor,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditViewer")
        self.setWindowTitle(self.tr("Journal d'audit"))
        self.resize(980, 560)
        self._source = source
        # The boxes this person manages: "all" means all of these, never the whole trail (a
        # workstation may hold the trail of boxes its user does not manage).
        self._allowed = tuple(mailboxes)
        self._runner = BackgroundRunner(executor, self)

        self.mailbox_box = QComboBox(self)
        self.mailbox_box.setObjectName("auditMailbox")
        self.mailbox_box.setAccessibleName(self.tr("Boîte aux lettres"))
        for mailbox in mailboxes:
            self.mailbox_box.addItem(mailbox, mailbox)
        if len(mailboxes) != 1:
            self.mailbox_box.insertItem(0, self.tr("Toutes les boîtes"), None)
            self.mailbox_box.setCurrentIndex(0)
        self.since_check = QCheckBox(self.tr("Depuis le"), self)
        self.since_check.setObjectName("auditSinceCheck")
        self.since_edit = QDateEdit(QDate.currentDate().addDays(-30), self)
        self.since_edit.setObjectName("auditSince")
        self.since_edit.setCalendarPopup(True)
        self.since_edit.setDisplayFormat("dd/MM/yyyy")
        self.since_edit.setAccessibleName(self.tr("Date de début"))
        self.since_edit.setEnabled(False)
        self.since_check.toggled.connect(self.since_edit.setEnabled)
        self.action_box = QComboBox(self)
        self.action_box.setObjectName("auditAction")
        self.action_box.setAccessibleName(self.tr("Action"))
        self.action_box.addItem(self.tr("Toutes les actions"), None)
        for action in AuditAction:
            self.action_box.addItem(action.label, action.value)
        self.refresh_button = QPushButton(self.tr("&Actualiser"), self)
        self.refresh_button.setObjectName("auditRefresh")
        self.export_button = QPushButton(self.tr("&Exporter en CSV…"), self)
        self.export_button.setObjectName("auditExport")

        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("Boîte :"), self))
        filters.addWidget(self.mailbox_box, 1)
        filters.addWidget(self.since_check)
        filters.addWidget(self.since_edit)
        filters.addWidget(QLabel(self.tr("Action :"), self))
        filters.addWidget(self.action_box)
        filters.addWidget(self.refresh_button)

        self.model = AuditTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName(self.tr("Entrées du journal d'audit"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("auditStatus")
        close = QPushButton(self.tr("Fermer"), self)
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self.refresh_button.clicked.connect(self.reload)
        self.mailbox_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.since_check.toggled.connect(lambda _on: self.reload())
        self.since_edit.dateChanged.connect(lambda _d: self.reload())
        self.action_box.currentIndexChanged.connect(self._action_changed)
        self.export_button.clicked.connect(self.choose_export_file)
        self.reload()

    # --- filters --------------------------------------------------------------------------------

    @property
    def mailbox(self) -> str | None:
        value = self.mailbox_box.currentData()
        return str(value) if value else None

    @property
    def since(self) -> date | None:
        if not self.since_check.isChecked():
            return None
        qdate = self.since_edit.date()
        return date(qdate.year(), qdate.month(), qdate.day())

    def _action_changed(self) -> None:
        value = self.action_box.currentData()
        self.model.set_action(AuditAction(str(value)) if value else None)
        self._count()

    def reload(self) -> None:
        since, mailbox = self.since, self.mailbox
        self.status_label.setText(self.tr("Chargement…"))
        allowed = self._allowed
        self._runner.run(lambda: self._source.entries(since=since, mailbox=mailbox,
                                                      mailboxes=allowed),
                         self._loaded, self._failed)

    def _loaded(self, entries: list[AuditEntry]) -> None:
        self.model.set_entries(entries)
        self._count()
        self.loaded.emit(len(entries))

    def _count(self) -> None:
        count = self.model.rowCount()
        self.status_label.setText(self.tr("Aucune entrée") if count == 0 else
                                  self.tr("{count} entrée(s)").format(count=count))

    def _failed(self, exc: BaseException) -> None:
        self.status_label.setText(error_text(exc, self.tr("Le journal n'a pas pu être lu.")))

    # --- export ---------------------------------------------------------------------------------

    def choose_export_file(self) -> QFileDialog:
        chooser = QFileDialog(self, self.tr("Exporter le journal d'audit"),
                              str(Path.home() / "journal-audit.csv"),
                              self.tr("Fichiers CSV (*.csv)"))
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.setDefaultSuffix("csv")
        chooser.fileSelected.connect(lambda path: self.export_to(Path(path)))
        chooser.open()  # not exec(): the asyncio loop keeps running
        return chooser

    def export_to(self, path: Path) -> None:
        since, mailbox = self.since, self.mailbox
        self.export_button.setEnabled(False)
        allowed = self._allowed
        self._runner.run(lambda: write_csv(self._source, path, since=since, mailbox=mailbox,
                                           mailboxes=allowed),
                         self._exported, self._export_failed)

    def _exported(self, count: int) -> None:
        self.export_button.setEnabled(True)
        self.status_label.setText(self.tr("{count} entrée(s) exportée(s).").format(count=count))
        self.exported.emit(count)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.status_label.setText(error_text(exc, self.tr("L'export a échoué.")))

    def done(self, result: int) -> None:
        self._runner.close()
        super().done(result)
