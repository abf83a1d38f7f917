"""The composer: a non-modal window to write one message.

* De (the account, its display name shown: ECO.2.2.7), À and Cc (chips with the whitelist badge
  and directory autocomplete, ``ui.widgets.recipient_field``), Objet, a plain-text body (sent as
  text/plain, ECO.2.2.3), attachments by drag and drop or the Joindre button.
* A file whose content is a CDA R2 document is not attached as is: the documents are packed as
  IHE XDM (ECO.2.1.x) — the patient read from the CDA header is shown once, a document about
  another patient is refused with the packer's message, and the subject becomes the ANS
  ``XDM/1.0/DDM+…`` one (read-only while documents are attached: it is the subject sent).
* Drafts are saved as the user types (about a second after the last change) into the encrypted
  store, off the UI thread; Échap closes and keeps the draft.
* Envoyer (Ctrl+Entrée) queues the message in the outbox with the undo window and shows the undo
  toast; a blocked recipient, or anything the outbox refuses, is explained in the window.

Every core call (store, whitelist, directory, XDM packing, MIME building) runs on the profile's
executors through ``BackgroundRunner``; nothing here blocks the UI thread.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.domain.outgoing import (
    DEFAULT_UNDO_SECONDS,
    PATIENT_MAX_BYTES,
    Attachment,
    is_patient_recipient,
)
from app.domain.xdm import XdmInputDocument, XdmPackage
from ui.dialogs import BackgroundRunner, error_text
from ui.widgets.recipient_field import RecipientField
from ui.widgets.undo_toast import UndoToast

DRAFT_DELAY_MS = 1000
DRAFT_FORMAT = 1
# Base64 grows attachments by a third, plus line ends and MIME headers: an estimate, the outbox
# checks the built message exactly before queueing.
MIME_OVERHEAD = 1.37


# --- values handed between the UI thread and the workers ------------------------------------------


@dataclass(frozen=True)
class FileAttachment:
    filename: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class CdaDocument:
    filename: str
    data: bytes
    title: str  # the document type's label, for the list
    pdf: bytes | None  # the PDF it carries (level 1), attached beside the XDM as its rendering


@dataclass(frozen=True)
class AddOutcome:
    attachments: tuple[FileAttachment, ...]
    documents: tuple[CdaDocument, ...]  # every accepted document, old and new, in order
    package: XdmPackage | None
    errors: tuple[str, ...]


def _human_size(size: int) -> str:
    if size < 1000:
        return QCoreApplication.translate("Composer", "{count} o").format(count=size)
    decimal = QCoreApplication.translate("Composer", ",", "decimal separator")
    if size < 1_000_000:
        value = f"{size / 1000:.1f}".replace(".", decimal)
        return QCoreApplication.translate("Composer", "{value} Ko").format(value=value)
    value = f"{size / 1_000_000:.1f}".replace(".", decimal)
    return QCoreApplication.translate("Composer", "{value} Mo").format(value=value)


def _as_cda(filename: str, data: bytes) -> CdaDocument | None:
    """The file as a CDA document, or None when its content is not one (then it is a plain
    attachment, whatever its name says)."""
    if b"ClinicalDocument" not in data:
        return None
    from app.domain.cda import CdaError
    from app.protocols.cda.header import extract_embedded_pdf, read_cda_header

    try:
        header = read_cda_header(data)
    except (CdaError, ValueError):
        return None
    try:
        pdf = extract_embedded_pdf(data) if header.has_embedded_pdf or header.level == 1 else None
    except (CdaError, ValueError):
        pdf = None
    return CdaDocument(filename, data, header.type_label, pdf)


def _inputs(documents: Sequence[CdaDocument]) -> list[XdmInputDocument]:
    return [
        XdmInputDocument(
            cda=d.data,
            pdf=d.pdf,
            pdf_name=(Path(d.filename).stem + ".pdf") if d.pdf is not None else None,
        )
        for d in documents
    ]


def add_files(paths: Sequence[Path], existing: Sequence[CdaDocument]) -> AddOutcome:
    """Worker side of "Joindre": read the files, sort CDA documents from plain attachments, and
    accept each CDA only if the documents still pack into one IHE XDM (one patient)."""
    from app.domain.xdm import XdmError
    from app.protocols.mime.builder import guess_content_type
    from app.protocols.xdm.packer import pack_xdm

    attachments: list[FileAttachment] = []
    documents = list(existing)
    package: XdmPackage | None = pack_xdm(_inputs(documents)) if documents else None
    errors: list[str] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            unreadable = QCoreApplication.translate(
                "Composer", "« {name} » est illisible et n'a pas été joint.")
            errors.append(unreadable.format(name=path.name))
            continue
        document = _as_cda(path.name, data)
        if document is None:
            attachments.append(FileAttachment(path.name, data, guess_content_type(path.name)))
            continue
        try:
            package = pack_xdm(_inputs([*documents, document]))
        except XdmError as exc:
            errors.append(QCoreApplication.translate("Composer", "« {name} » refusé : {reason}")
                          .format(name=path.name, reason=exc.message))
            continue
        documents.append(document)
    return AddOutcome(tuple(attachments), tuple(documents), package, tuple(errors))


def repack(documents: Sequence[CdaDocument]) -> XdmPackage | None:
    from app.protocols.xdm.packer import pack_xdm

    return pack_xdm(_inputs(documents)) if documents else None


def patient_line(package: XdmPackage) -> str:
    """« Patient : DURAND Marie — INS 2750369123045 84 » (the key apart, as on a Vitale card)."""
    patient = package.patient
    given = patient.first_given_name or ""
    if given.isupper():
        given = given.title()  # "MARIE" -> "Marie", "JEAN-LUC" -> "Jean-Luc"
    name = " ".join(p for p in ((patient.family_name or "").upper(), given) if p) or "?"
    ins = patient.ins
    if ins is not None and ins.extension:
        value = ins.extension
        shown = f"{value[:13]} {value[13:]}" if len(value) == 15 else value
        return f"{name} — INS {shown}"
    return QCoreApplication.translate("Composer", "{name} — sans INS qualifié").format(name=name)


# --- small widgets --------------------------------------------------------------------------------


def _local_files(mime: QMimeData) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class _BodyEdit(QPlainTextEdit):
    """The body; files dropped on it become attachments instead of pasted paths."""

    files_dropped = Signal(list)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(_local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = _local_files(source)
        if files:
            self.files_dropped.emit(files)
            return
        super().insertFromMimeData(source)


class _Banner(QLabel):
    """A one-paragraph message above the body: info, warning or error."""

    STYLES: ClassVar[dict[str, str]] = {
        "info": "background: #e8f0fe; color: #174ea6; border: 1px solid #aecbfa;",
        "warning": "background: #fef7e0; color: #7a4f01; border: 1px solid #f9d77e;",
        "error": "background: #fce8e6; color: #a50e0e; border: 1px solid #f4b4ae;",
    }

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.setStyleSheet(f"QLabel#{self.objectName()} {{ {self.STYLES[kind]}"
                           " border-radius: 4px; padding: 6px 8px; }")
        self.setText(text)
        self.setAccessibleDescription(text)
        self.show()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


# --- the window -----------------------------------------------------------------------------------


class Composer(QMainWindow):
    closed = Signal()
    queued = Signal(int)  # the outbox item id
    cancelled = Signal(int)  # the undo worked: the item will not leave
    draft_saved = Signal(int)
    attachments_changed = Signal()

    def __init__(
        self,
        *,
        profile: Any,
        parent: QWidget | None = None,
        runner: BackgroundRunner | None = None,
        from_address: str | None = None,
        draft_id: int | None = None,
        undo_seconds: float = DEFAULT_UNDO_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        if parent is not None:
            # A child QMainWindow would be drawn inside its parent: make it a window of its own.
            self.setWindowFlag(Qt.WindowType.Window, True)
        self.setObjectName("composer")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # the owner drops it
        self._profile = profile
        self._runner = runner or BackgroundRunner(profile.executors.cpu)  # no parent: see it
        self._undo_seconds = undo_seconds
        self._clock = clock
        self._wanted_from = from_address
        self._draft_id = draft_id
        self._draft_dirty = False
        self._draft_saving = False
        self._loading = False
        self._sending = False
        self._sent_item: int | None = None
        self._finished = False
        self._attachments: list[FileAttachment] = []
        self._documents: list[CdaDocument] = []
        self._package: XdmPackage | None = None
        self._auto_subject = ""
        # Threading headers of a reply (RFC 5322 §3.6.4), set by the window: sent as they are.
        self._in_reply_to: str | None = None
        self._references: tuple[str, ...] = ()
        self._adds_running = 0
        self._pending_paths: list[Path] = []
        self.toast: UndoToast | None = None

        self.setWindowTitle(self.tr("Nouveau message"))
        self.resize(820, 680)
        self.setAcceptDrops(True)
        self._build()
        self._wire()
        self._load_accounts()
        if draft_id is not None:
            self._load_draft(draft_id)

    # -- construction ------------------------------------------------------------------------------
    def _build(self) -> None:
        whitelist = self._profile.whitelist
        directory = self._profile.directory

        def autocomplete(prefix: str) -> list[Any]:
            return list(directory.autocomplete(prefix, limit=10).entries)

        toolbar = QToolBar(self.tr("Rédaction"), self)
        toolbar.setObjectName("composerToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        self.send_action = QAction(self.tr("&Envoyer"), self)
        self.send_action.setObjectName("sendAction")
        self.send_action.setToolTip(self.tr("Envoyer le message (Ctrl+Entrée)"))
        self.send_action.triggered.connect(self.send)
        self.attach_action = QAction(self.tr("&Joindre…"), self)
        self.attach_action.setObjectName("attachAction")
        self.attach_action.setToolTip(self.tr("Joindre des fichiers ou des documents CDA"))
        self.attach_action.triggered.connect(self.choose_files)
        self.directory_action = QAction(self.tr("&Annuaire…"), self)
        self.directory_action.setObjectName("directoryAction")
        self.directory_action.setToolTip(self.tr("Chercher des destinataires dans l'annuaire"))
        self.directory_action.triggered.connect(self.open_directory)
        for action in (self.send_action, self.attach_action, self.directory_action):
            toolbar.addAction(action)
        toolbar.widgetForAction(self.send_action).setObjectName("sendToolButton")

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(6)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.from_combo = QComboBox(central)
        self.from_combo.setObjectName("fromCombo")
        self.from_combo.setAccessibleName(self.tr("Expéditeur"))
        self.from_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.from_combo.setPlaceholderText(self.tr("Chargement des comptes…"))
        self.to_field = RecipientField(runner=self._runner, check=whitelist.check,
                                       autocomplete=autocomplete,
                                       accessible_name=self.tr("Destinataires (À)"),
                                       parent=central)
        self.to_field.setObjectName("toField")
        self.cc_field = RecipientField(runner=self._runner, check=whitelist.check,
                                       autocomplete=autocomplete,
                                       accessible_name=self.tr("Destinataires en copie (Cc)"),
                                       parent=central)
        self.cc_field.setObjectName("ccField")
        self.subject_edit = QLineEdit(central)
        self.subject_edit.setObjectName("subjectEdit")
        self.subject_edit.setAccessibleName(self.tr("Objet"))
        self.subject_edit.setMaxLength(998)
        for text, widget in ((self.tr("&De :"), self.from_combo), (self.tr("&À :"), self.to_field),
                             (self.tr("C&c :"), self.cc_field),
                             (self.tr("&Objet :"), self.subject_edit)):
            label = QLabel(text, central)
            label.setBuddy(widget.focusProxy() or widget)
            form.addRow(label, widget)
        layout.addLayout(form)

        self.patient_label = _Banner("patientLabel", central)
        self.patient_label.setAccessibleName(self.tr("Patient des documents structurés"))
        self.size_banner = _Banner("sizeBanner", central)
        self.size_banner.setAccessibleName(self.tr("Taille du message"))
        self.error_banner = _Banner("errorBanner", central)
        self.error_banner.setAccessibleName(self.tr("Erreur d'envoi"))
        for banner in (self.error_banner, self.patient_label, self.size_banner):
            layout.addWidget(banner)

        self.body_edit = _BodyEdit(central)
        self.body_edit.setObjectName("bodyEdit")
        self.body_edit.setAccessibleName(self.tr("Corps du message"))
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setPlaceholderText(self.tr("Écrivez votre message ici."))

        attachments_box = QWidget(central)
        box = QVBoxLayout(attachments_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        header = QHBoxLayout()
        self.attachments_title = QLabel(self.tr("Pièces jointes"), attachments_box)
        self.attachments_title.setObjectName("attachmentsTitle")
        self.add_button = QPushButton(self.tr("Jo&indre…"), attachments_box)
        self.add_button.setObjectName("addAttachmentButton")
        self.add_button.setAccessibleName(self.tr("Joindre des fichiers"))
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(self.tr("&Retirer"), attachments_box)
        self.remove_button.setObjectName("removeAttachmentButton")
        self.remove_button.setAccessibleName(self.tr("Retirer la pièce jointe choisie"))
        self.remove_button.clicked.connect(self.remove_selected_attachments)
        self.remove_button.setEnabled(False)
        header.addWidget(self.attachments_title, 1)
        header.addWidget(self.add_button)
        header.addWidget(self.remove_button)
        box.addLayout(header)
        self.attachment_list = QListWidget(attachments_box)
        self.attachment_list.setObjectName("attachmentList")
        self.attachment_list.setAccessibleName(self.tr("Pièces jointes"))
        self.attachment_list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.attachment_list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.attachment_list.selectedItems())))
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.attachment_list,
                  self.remove_selected_attachments,
                  context=Qt.ShortcutContext.WidgetShortcut)
        box.addWidget(self.attachment_list)
        self.drop_hint = QLabel(attachments_box)
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setEnabled(False)
        box.addWidget(self.drop_hint)

        splitter = QSplitter(Qt.Orientation.Vertical, central)
        splitter.setObjectName("composerSplitter")
        splitter.addWidget(self.body_edit)
        splitter.addWidget(attachments_box)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        bottom = QHBoxLayout()
        self.mdn_check = QCheckBox(self.tr("Demander un accusé de &lecture"), central)
        self.mdn_check.setObjectName("mdnCheck")
        self.mdn_check.setAccessibleName(self.tr("Demander un accusé de lecture"))
        self.draft_label = QLabel(central)
        self.draft_label.setObjectName("draftLabel")
        self.draft_label.setEnabled(False)
        self.send_button = QPushButton(self.tr("Envoyer"), central)
        self.send_button.setObjectName("sendButton")
        self.send_button.setAccessibleName(self.tr("Envoyer le message"))
        self.send_button.setToolTip(self.tr("Ctrl+Entrée"))
        self.send_button.clicked.connect(self.send)
        bottom.addWidget(self.mdn_check)
        bottom.addStretch(1)
        bottom.addWidget(self.draft_label)
        bottom.addWidget(self.send_button)
        layout.addLayout(bottom)

        self.setCentralWidget(central)
        self.setTabOrder(self.from_combo, self.to_field.line_edit)
        self.setTabOrder(self.to_field.line_edit, self.cc_field.line_edit)
        self.setTabOrder(self.cc_field.line_edit, self.subject_edit)
        self.setTabOrder(self.subject_edit, self.body_edit)

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self, self.send)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self._save_draft)

    def _wire(self) -> None:
        self.to_field.changed.connect(self._recipients_changed)
        self.cc_field.changed.connect(self._recipients_changed)
        self.subject_edit.textEdited.connect(self._mark_dirty)
        self.body_edit.textChanged.connect(self._mark_dirty)
        self.body_edit.files_dropped.connect(self.add_files)
        self.mdn_check.toggled.connect(self._mark_dirty)
        self.from_combo.currentIndexChanged.connect(self._mark_dirty)

    def sizeHint(self) -> QSize:
        return QSize(820, 680)

    # -- accounts ----------------------------------------------------------------------------------
    def _load_accounts(self) -> None:
        accounts = self._profile.accounts
        self._runner.run(accounts.list, self._on_accounts, self._on_accounts_failed)

    def _on_accounts(self, accounts: Sequence[Any]) -> None:
        self._loading = True
        try:
            self.from_combo.clear()
            for account in accounts:
                name = " ".join((account.display_name or "").split())
                if name:
                    label = f"{name} <{account.address}>"
                else:
                    label = self.tr("{address} (sans nom d'expéditeur)").format(
                        address=account.address)
                self.from_combo.addItem(label, (account.address, account.login))
            if not accounts:
                self.from_combo.setPlaceholderText(self.tr("Aucun compte configuré"))
            elif self.from_combo.currentIndex() < 0:
                self.from_combo.setCurrentIndex(0)  # a placeholder leaves nothing selected
            self._select_from(self._wanted_from)
        finally:
            self._loading = False

    def _on_accounts_failed(self, exc: BaseException) -> None:
        self.error_banner.show_message(error_text(exc, self.tr(
            "Les comptes n'ont pas pu être lus.")), "error")

    def _select_from(self, address: str | None, login: str | None = None) -> None:
        if not address:
            return
        for row in range(self.from_combo.count()):
            data = self.from_combo.itemData(row)
            if data and data[0].casefold() == address.casefold() and (
                    login is None or data[1] == login):
                self.from_combo.setCurrentIndex(row)
                return

    def from_account(self) -> tuple[str, str] | None:
        data = self.from_combo.currentData()
        return (str(data[0]), str(data[1])) if data else None

    # -- attachments -------------------------------------------------------------------------------
    def choose_files(self) -> None:
        dialog = QFileDialog(self, self.tr("Joindre des fichiers"))
        dialog.setObjectName("attachDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda files: self.add_files([Path(f) for f in files]))
        dialog.open()

    def add_files(self, paths: Iterable[Path]) -> None:
        """Read and classify ``paths`` off the UI thread; CDA documents go into the XDM."""
        self._pending_paths.extend(Path(p) for p in paths)
        if self._adds_running == 0:
            self._start_add()

    def _start_add(self) -> None:
        if not self._pending_paths:
            return
        paths, self._pending_paths = list(self._pending_paths), []
        existing = tuple(self._documents)
        self._adds_running += 1
        self.drop_hint.setText(self.tr("Lecture des fichiers…"))
        self._runner.run(lambda: add_files(paths, existing), self._on_added, self._on_add_failed)

    def _on_added(self, outcome: AddOutcome) -> None:
        self._adds_running -= 1
        self._attachments.extend(outcome.attachments)
        self._documents = list(outcome.documents)
        self._set_package(outcome.package)
        if outcome.errors:
            self.error_banner.show_message("\n".join(outcome.errors), "error")
        self._refresh_attachments()
        self._mark_dirty()
        self._start_add()

    def _on_add_failed(self, exc: BaseException) -> None:
        self._adds_running -= 1
        self.error_banner.show_message(error_text(exc, self.tr(
            "Les fichiers n'ont pas pu être joints.")), "error")
        self._refresh_attachments()
        self._start_add()

    def remove_selected_attachments(self) -> None:
        rows = sorted({self.attachment_list.row(i) for i in self.attachment_list.selectedItems()},
                      reverse=True)
        if not rows:
            return
        documents_changed = False
        for row in rows:
            item = self.attachment_list.item(row)
            kind, index = item.data(Qt.ItemDataRole.UserRole)
            if kind == "cda":
                del self._documents[index]
                documents_changed = True
            else:
                del self._attachments[index]
        if documents_changed:
            documents = tuple(self._documents)
            self._adds_running += 1
            self._runner.run(lambda: repack(documents), self._on_repacked, self._on_add_failed)
        self._refresh_attachments()
        self._mark_dirty()

    def _on_repacked(self, package: XdmPackage | None) -> None:
        self._adds_running -= 1
        self._set_package(package)
        self._refresh_attachments()
        self._start_add()

    def _set_package(self, package: XdmPackage | None) -> None:
        self._package = package
        if package is None:
            self.patient_label.clear_message()
            if self.subject_edit.text() == self._auto_subject and self._auto_subject:
                self.subject_edit.clear()
            self._auto_subject = ""
            self.subject_edit.setReadOnly(False)
            self.subject_edit.setToolTip("")
            return
        text = self.tr("Patient : {patient}").format(patient=patient_line(package))
        self.patient_label.show_message(text, "info")
        self.patient_label.setAccessibleDescription(text)
        # Receivers file structured documents by this subject (MSSANTE §6), and it is the one
        # sent: show it as it will go, not editable while documents are attached.
        self.subject_edit.setText(package.subject)
        self._auto_subject = package.subject
        self.subject_edit.setReadOnly(True)
        self.subject_edit.setToolTip(self.tr(
            "Objet des documents structurés (règle MSSanté) : {subject}").format(
                subject=package.subject))

    def _refresh_attachments(self) -> None:
        self.attachment_list.clear()
        for index, document in enumerate(self._documents):
            text = self.tr("{name} — document CDA : {title} ({size})").format(
                name=document.filename, title=document.title,
                size=_human_size(len(document.data)))
            item = QListWidgetItem(text, self.attachment_list)
            item.setData(Qt.ItemDataRole.UserRole, ("cda", index))
            item.setToolTip(self.tr("Envoyé dans le paquet IHE_XDM.ZIP avec son rendu PDF"))
        for index, attachment in enumerate(self._attachments):
            text = f"{attachment.filename} ({_human_size(len(attachment.data))})"
            item = QListWidgetItem(text, self.attachment_list)
            item.setData(Qt.ItemDataRole.UserRole, ("file", index))
            item.setToolTip(attachment.content_type)
        count = len(self._documents) + len(self._attachments)
        self.attachments_title.setText(
            self.tr("Pièces jointes ({count})").format(count=count) if count
            else self.tr("Pièces jointes"))
        self.drop_hint.setText(self.tr("Glissez des fichiers ici pour les joindre. Les documents "
                                       "CDA sont regroupés en un paquet IHE XDM."))
        self._update_size_banner()
        self.attachments_changed.emit()

    def estimated_size(self) -> int:
        raw = sum(len(a.data) for a in self._attachments)
        if self._package is not None:
            raw += len(self._package.zip_bytes) + sum(len(f.data) for f in self._package.pdfs)
        raw += len(self.body_edit.toPlainText().encode("utf-8"))
        return int(raw * MIME_OVERHEAD) + 2000

    def documents(self) -> list[CdaDocument]:
        return list(self._documents)

    def attachments(self) -> list[FileAttachment]:
        return list(self._attachments)

    @property
    def package(self) -> XdmPackage | None:
        return self._package

    def add_attachments(self, items: Iterable[FileAttachment]) -> None:
        """Attach files already in memory (a forward's original documents) as they are: an
        ``IHE_XDM.ZIP`` stays the package its author signed off, never repacked."""
        added = list(items)
        if not added:
            return
        self._attachments.extend(added)
        self._refresh_attachments()
        self._mark_dirty()

    # -- threading (reply) -------------------------------------------------------------------------
    def set_reply_headers(self, in_reply_to: str | None, references: Sequence[str]) -> None:
        """This message answers ``in_reply_to``: both headers go with it, and with its draft."""
        self._in_reply_to = in_reply_to or None
        self._references = tuple(r for r in references if r)
        self._mark_dirty()

    @property
    def in_reply_to(self) -> str | None:
        return self._in_reply_to

    @property
    def references(self) -> tuple[str, ...]:
        return self._references

    # -- drag and drop -----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = _local_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.add_files(files)
        else:
            super().dropEvent(event)

    # -- recipients --------------------------------------------------------------------------------
    def _recipients_changed(self) -> None:
        # Say at once why a recipient is blocked, not only when Envoyer is pressed.
        if self._blocked_chips():
            self.error_banner.show_message(self._blocked_text(), "error")
            self.error_banner.setProperty("kind", "blocked")
        elif self.error_banner.property("kind") == "blocked":
            self.error_banner.clear_message()
            self.error_banner.setProperty("kind", "")
        self._update_size_banner()
        self._mark_dirty()

    def _blocked_text(self) -> str:
        blocked = self._blocked_chips()
        lines = "\n".join(
            f"• {c.reason}" if c.address.casefold() in c.reason.casefold()
            else f"• {c.address} : {c.reason}"
            for c in blocked
        )
        if len(blocked) == 1:
            head = self.tr("Envoi impossible : un destinataire est bloqué par la liste blanche "
                           "MSSanté. Retirez-le pour envoyer.")
        else:
            head = self.tr("Envoi impossible : {count} destinataires sont bloqués par la liste "
                           "blanche MSSanté. Retirez-les pour envoyer.").format(count=len(blocked))
        return f"{head}\n{lines}"

    def recipients(self) -> list[str]:
        return self.to_field.addresses() + self.cc_field.addresses()

    def _update_size_banner(self) -> None:
        if not any(is_patient_recipient(a) for a in self.recipients()):
            self.size_banner.clear_message()
            return
        size = self.estimated_size()
        if size > PATIENT_MAX_BYTES:
            self.size_banner.show_message(self.tr(
                "Un patient est destinataire : la messagerie de Mon espace santé refuse les "
                "messages de plus de 25 Mo, et celui-ci en ferait environ {size}. Retirez ou "
                "allégez des pièces jointes.").format(size=_human_size(size)), "error")
        else:
            self.size_banner.show_message(self.tr(
                "Un patient est destinataire : le message ne doit pas dépasser 25 Mo "
                "(environ {size} actuellement).").format(size=_human_size(size)), "warning")

    def open_directory(self) -> None:
        from ui.dialogs.directory_dialog import DirectoryDialog

        directory = self._profile.directory
        dialog = DirectoryDialog(runner=self._runner, search=directory.search, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.add_to.connect(self.to_field.add_addresses)
        dialog.add_cc.connect(self.cc_field.add_addresses)
        self.directory_dialog = dialog
        dialog.show()

    # -- drafts ------------------------------------------------------------------------------------
    @property
    def draft_id(self) -> int | None:
        return self._draft_id

    def _mark_dirty(self, *_args: Any) -> None:
        if self._loading or self._finished or self._sent_item is not None:
            return
        self._draft_dirty = True
        self._draft_timer.start()

    def draft_payload(self) -> dict[str, Any]:
        sender = self.from_account()
        return {
            "format": DRAFT_FORMAT,
            "from": sender[0] if sender else self._wanted_from,
            "login": sender[1] if sender else None,
            "to": self.to_field.addresses() + _pending(self.to_field),
            "cc": self.cc_field.addresses() + _pending(self.cc_field),
            "subject": self.subject_edit.text(),
            "text": self.body_edit.toPlainText(),
            "request_mdn": self.mdn_check.isChecked(),
            "in_reply_to": self._in_reply_to,
            "references": list(self._references),
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type,
                 "data": base64.b64encode(a.data).decode("ascii")}
                for a in self._attachments
            ],
            "cda": [
                {"filename": d.filename, "data": base64.b64encode(d.data).decode("ascii")}
                for d in self._documents
            ],
        }

    def _save_draft(self) -> None:
        if not self._draft_dirty or self._sent_item is not None:
            return
        if self._draft_saving:
            self._draft_timer.start()  # one save at a time: the next one carries the latest
            return
        sender = self.from_account()
        account = sender[0] if sender else (self._wanted_from or "")
        payload = self.draft_payload()
        draft_id = self._draft_id
        drafts = self._profile.outbox.drafts
        clock = self._clock
        self._draft_dirty = False
        self._draft_saving = True

        def save() -> int:
            return int(drafts.save(payload, account=account, now=clock(), draft_id=draft_id))

        self._runner.run(save, self._on_draft_saved, self._on_draft_failed)

    def _on_draft_saved(self, draft_id: int) -> None:
        self._draft_saving = False
        if self._sent_item is not None:
            # Queued while this save was running: the draft is no longer wanted.
            self._delete_draft(draft_id)
            return
        self._draft_id = draft_id
        self.draft_label.setText(self.tr("Brouillon enregistré à {time}").format(
            time=time.strftime("%H:%M", time.localtime(self._clock()))))
        self.draft_saved.emit(draft_id)
        if self._draft_dirty:
            self._save_draft()

    def _on_draft_failed(self, exc: BaseException) -> None:
        self._draft_saving = False
        self._draft_dirty = True
        self.draft_label.setText(
            error_text(exc, self.tr("Le brouillon n'a pas pu être enregistré.")))

    def _delete_draft(self, draft_id: int | None) -> None:
        if draft_id is None:
            return
        drafts = self._profile.outbox.drafts
        self._runner.run(lambda: drafts.delete(draft_id))

    def flush_draft(self) -> None:
        """Save now what the timer would save in a second (closing, switching away)."""
        if self._draft_dirty:
            self._draft_timer.stop()
            self._save_draft()

    def _load_draft(self, draft_id: int) -> None:
        drafts = self._profile.outbox.drafts
        self._runner.run(lambda: drafts.get(draft_id), self._on_draft_loaded,
                         self._on_accounts_failed)

    def _on_draft_loaded(self, payload: dict[str, Any] | None) -> None:
        if not payload:
            return
        self._loading = True
        try:
            self._wanted_from = payload.get("from") or self._wanted_from
            self._select_from(self._wanted_from, payload.get("login"))
            self.to_field.add_addresses(payload.get("to") or [])
            self.cc_field.add_addresses(payload.get("cc") or [])
            self.subject_edit.setText(str(payload.get("subject") or ""))
            self.body_edit.setPlainText(str(payload.get("text") or ""))
            self.mdn_check.setChecked(bool(payload.get("request_mdn")))
            self._in_reply_to = payload.get("in_reply_to") or None
            self._references = tuple(str(r) for r in payload.get("references") or ())
            self._attachments = [
                FileAttachment(a["filename"], base64.b64decode(a["data"]),
                               a.get("content_type") or "application/octet-stream")
                for a in payload.get("attachments") or []
            ]
            documents = [
                (d["filename"], base64.b64decode(d["data"])) for d in payload.get("cda") or []
            ]
        finally:
            self._loading = False
        if documents:
            self._adds_running += 1

            def rebuild() -> AddOutcome:
                parsed = tuple(c for n, data in documents if (c := _as_cda(n, data)))
                return AddOutcome((), parsed, repack(parsed), ())

            self._runner.run(rebuild, self._on_added, self._on_add_failed)
        self._refresh_attachments()

    # -- sending -----------------------------------------------------------------------------------
    def send(self) -> None:
        if self._sending or self._sent_item is not None:
            return
        self.to_field.commit_pending()
        self.cc_field.commit_pending()
        problem = self._send_problem()
        if problem:
            self.error_banner.show_message(problem, "error")
            self.error_banner.setProperty(
                "kind", "blocked" if self._blocked_chips() else "other")
            return
        from app.services.outbox_service import SendRequest

        sender = self.from_account()
        assert sender is not None  # _send_problem checked it
        request = SendRequest(
            from_address=sender[0],
            login=sender[1],
            to=tuple(self.to_field.addresses()),
            cc=tuple(self.cc_field.addresses()),
            subject=self.subject_edit.text().strip(),
            text=self.body_edit.toPlainText(),
            attachments=tuple(Attachment(a.filename, a.data, a.content_type)
                              for a in self._attachments),
            cda_documents=tuple(_inputs(self._documents)),
            request_mdn=self.mdn_check.isChecked(),
            in_reply_to=self._in_reply_to,
            references=self._references,
        )
        outbox = self._profile.outbox
        undo = self._undo_seconds
        self._sending = True
        self._set_sending_ui(True)
        self.error_banner.clear_message()
        self._draft_timer.stop()
        self._runner.run(lambda: int(outbox.queue(request, undo_seconds=undo)),
                         self._on_queued, self._on_queue_failed)

    def _blocked_chips(self) -> list[Any]:
        return self.to_field.blocked() + self.cc_field.blocked()

    def _send_problem(self) -> str:
        if self.from_account() is None:
            return self.tr("Choisissez le compte expéditeur.")
        if not self.recipients():
            return self.tr("Ajoutez au moins un destinataire.")
        if self._blocked_chips():
            return self._blocked_text()
        if self._adds_running or self._pending_paths:
            return self.tr("Les pièces jointes sont encore en cours de lecture ; réessayez "
                           "dans un instant.")
        return ""

    def _set_sending_ui(self, sending: bool) -> None:
        self.send_button.setEnabled(not sending)
        self.send_action.setEnabled(not sending)
        self.send_button.setText(self.tr("Envoi…") if sending else self.tr("Envoyer"))

    def _on_queued(self, item_id: int) -> None:
        self._sending = False
        self._sent_item = item_id
        self._set_sending_ui(False)
        self._draft_timer.stop()
        self._draft_dirty = False
        if not self._draft_saving:
            self._delete_draft(self._draft_id)
        self._draft_id = None
        self.queued.emit(item_id)
        deadline = self._clock() + self._undo_seconds
        holder = self.parentWidget() if self.parentWidget() is not None else None
        toast = UndoToast(deadline=deadline, parent=holder, clock=self._clock)
        toast.undo_requested.connect(lambda: self._undo(item_id))
        toast.expired.connect(self._finish)
        self.toast = toast
        self.hide()
        toast.popup()

    def _on_queue_failed(self, exc: BaseException) -> None:
        self._sending = False
        self._set_sending_ui(False)
        self.error_banner.show_message(error_text(exc, self.tr(
            "Le message n'a pas pu être mis en boîte d'envoi. Les détails ont été écrits dans "
            "le journal.")), "error")
        self.error_banner.setProperty("kind", "other")
        self._mark_dirty()

    def _undo(self, item_id: int) -> None:
        outbox = self._profile.outbox
        self._runner.run(lambda: bool(outbox.cancel(item_id)),
                         lambda ok: self._on_undo(item_id, ok),
                         lambda exc: self._on_undo_failed(exc))

    def _on_undo(self, item_id: int, cancelled: bool) -> None:
        toast = self.toast
        if cancelled:
            self._sent_item = None
            if toast is not None:
                toast.show_outcome(self.tr("Envoi annulé : le message est revenu en rédaction."))
            self.cancelled.emit(item_id)
            self.show()
            self.raise_()
            self.activateWindow()
            self._draft_dirty = False
            self._mark_dirty()  # back to a draft
        else:
            if toast is not None:
                toast.show_outcome(self.tr("Trop tard : le message est déjà parti."))
            self._finish()

    def _on_undo_failed(self, exc: BaseException) -> None:
        if self.toast is not None:
            self.toast.show_outcome(error_text(exc, self.tr("L'envoi n'a pas pu être annulé.")))
        self._finish()

    def _finish(self) -> None:
        """The message left for good (undo window over): the composer is done."""
        if self._finished:
            return
        self._finished = True
        self.close()

    # -- closing -----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self._sent_item is None:
            self.flush_draft()  # Échap keeps the draft
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()


def _pending(field: RecipientField) -> list[str]:
    from ui.widgets.recipient_field import split_addresses

    return split_addresses(field.line_edit.text())
