"""The "Patients" pane of a mailbox (spec §5, §9): conversations with patients grouped by patient,
and one action, "Nouveau message patient" — only a professional starts a conversation, with the
address built from a qualified INS (ECO.2.2.6). Patients cannot be written to from the
professional pane's "Nouveau message" without such a conversation: the outbox refuses it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.domain.ins import InsError, parse_ins, patient_address
from ui.models.conversation_model import Column, ConversationModel, PatientRow


class NewPatientMessageDialog(QDialog):
    """Ask for the patient's INS and confirm it is qualified; ``accepted_ins`` emits
    ``(matricule, address)`` once both check."""

    accepted_ins = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, *, ins: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("newPatientMessageDialog")
        self.setWindowTitle(self.tr("Nouveau message patient"))
        self.setMinimumWidth(460)
        intro = QLabel(self.tr(
            "Le message part vers la messagerie de Mon espace santé du patient. Son adresse est "
            "construite à partir de son INS, qui doit être qualifié."), self)
        intro.setWordWrap(True)
        self.ins_edit = QLineEdit(ins, self)
        self.ins_edit.setObjectName("insEdit")
        self.ins_edit.setAccessibleName(self.tr("Matricule INS du patient"))
        self.ins_edit.setPlaceholderText(self.tr("15 caractères, clé comprise"))
        self.qualified_check = QCheckBox(self.tr("L'identité du patient est qualifiée"), self)
        self.qualified_check.setObjectName("qualifiedCheck")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("insError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a4262c;")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow(self.tr("INS :"), self.ins_edit)
        form.addRow("", self.qualified_check)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Rédiger"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuler"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def _check(self) -> None:
        try:
            matricule = parse_ins(self.ins_edit.text())
            address = patient_address(matricule, self.qualified_check.isChecked())
        except InsError as exc:
            self.error_label.setText(exc.text())
            self.error_label.show()
            return
        self.accepted_ins.emit(matricule.value, str(address))
        self.accept()


class PatientPane(QWidget):
    """Patients and their conversations for one mailbox; the window loads the rows.

    Choosing a patient (or one of their conversations) narrows the message list to that
    patient's messages; "Tous les patients" widens it again. ``patient_selected`` is emitted when
    that choice changes, not for every click, and a reload of the rows (new mail) keeps it."""

    new_message_requested = Signal()
    patient_selected = Signal(object)  # PatientRow, or None: every patient's messages again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientPane")
        self.setAccessibleName(self.tr("Volet Patients"))
        self.model = ConversationModel(self)
        self._address: str | None = None  # the chosen patient's address
        self._quiet = False  # the choice changes without being announced

        self.title = QLabel(self.tr("Patients"), self)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.new_button = QPushButton(self.tr("Nouveau message patient"), self)
        self.new_button.setObjectName("newPatientMessageButton")
        self.new_button.setToolTip(self.tr(
            "Écrire à un patient (messagerie de Mon espace santé) : c'est toujours le "
            "professionnel qui ouvre l'échange."))
        self.new_button.clicked.connect(self.new_message_requested)
        self.all_button = QPushButton(self.tr("Tous les patients"), self)
        self.all_button.setObjectName("allPatientsButton")
        self.all_button.setToolTip(self.tr("Montrer à nouveau les messages de tous les patients"))
        self.all_button.setEnabled(False)
        self.all_button.clicked.connect(self.show_all)

        self.tree = QTreeView(self)
        self.tree.setObjectName("patientTree")
        self.tree.setAccessibleName(self.tr("Patients et conversations"))
        self.tree.setModel(self.model)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(Column.PATIENT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.INS, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.STATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        self.model.modelReset.connect(self._on_reset)

        self.empty_label = QLabel(self.tr(
            "Aucune conversation avec un patient dans cette boîte.\n"
            "« Nouveau message patient » en ouvre une."), self)
        self.empty_label.setObjectName("patientEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch()
        top.addWidget(self.all_button)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label, 1)
        self._on_reset()

    def set_patients(self, rows: list[PatientRow]) -> None:
        """Show ``rows``; the chosen patient stays chosen when still there (else: None is
        announced)."""
        address = self._address
        self._quiet = True
        try:
            self.model.set_patients(rows)  # the reset forgets the current row, silently
            self._address = None
            row = self._row_of(address) if address is not None else None
            if row is not None:
                self.tree.setCurrentIndex(self.model.index(row, 0))
        finally:
            self._quiet = False
        if address is not None and row is None:
            self.all_button.setEnabled(False)
            self.patient_selected.emit(None)

    def _row_of(self, address: str) -> int | None:
        wanted = address.casefold()
        return next((i for i, p in enumerate(self.model.patients())
                     if p.address.casefold() == wanted), None)

    def show_all(self) -> None:
        """No patient chosen any more: every patient's messages (announced)."""
        self.tree.selectionModel().clear()

    def clear_selection(self) -> None:
        """Forget the chosen patient without announcing it (another mailbox is shown)."""
        self._quiet = True
        try:
            self.tree.selectionModel().clear()
        finally:
            self._quiet = False

    def _on_reset(self) -> None:
        empty = self.model.rowCount() == 0
        self.tree.setVisible(not empty)
        self.empty_label.setVisible(empty)
        self.tree.expandAll()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        patient = self.model.patient(current)
        address = patient.address if patient is not None else None
        changed = address != self._address  # another conversation of the same patient: not
        self._address = address
        self.all_button.setEnabled(address is not None)
        if changed and not self._quiet:
            self.patient_selected.emit(patient)

    def selected_patient_address(self) -> str | None:
        """The chosen patient's address (the list shows only their messages), else None."""
        return self._address
