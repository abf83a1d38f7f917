"""An IHE XDM package (IHE_XDM.ZIP): its patient, its documents with their metadata, and the
preview of the selected one.

The archive is read by ``app.protocols.xdm.read_xdm`` on the executor (it refuses traversal, zip
bombs and entity tricks); what the reader noticed but survived comes back as warnings, shown above
the list. The selected document is previewed by the dispatcher (CDA, PDF, image, text); a nested
archive is not opened.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.cda import CdaPatient
from app.domain.ins import InsOid
from app.domain.xdm import XdmDocument, XdmReadResult
from app.protocols.cda.renderer import format_ts
from app.protocols.xdm import read_xdm
from ui.widgets.preview.base import BackgroundRunner, PreviewFrame, error_text

XdmReader = Callable[[bytes], XdmReadResult]
PreviewFactory = Callable[[XdmDocument], PreviewFrame]

_INS_LABELS = {
    InsOid.INS_NIR.value: "INS-NIR",
    InsOid.INS_NIA.value: "INS-NIA",
    InsOid.TEST_NIR.value: QT_TRANSLATE_NOOP("XdmPreview", "INS-NIR de test"),
    InsOid.DEMO.value: QT_TRANSLATE_NOOP("XdmPreview", "INS de démonstration"),
}
_COLUMNS = ("Titre", "Type", "Date", "Auteur", "Format")
_FORMATS = {"application/pdf": "PDF", "text/plain": QT_TRANSLATE_NOOP("XdmPreview", "Texte"),
            "image/jpeg": QT_TRANSLATE_NOOP("XdmPreview", "Image JPEG"),
            "image/png": QT_TRANSLATE_NOOP("XdmPreview", "Image PNG"),
            "image/tiff": QT_TRANSLATE_NOOP("XdmPreview", "Image TIFF"), "text/html": "HTML"}
# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate


@dataclass(frozen=True)
class DocumentRow:
    title: str
    type_label: str
    date: str
    author: str
    format: str


def _xcn_name(xcn: str | None) -> str | None:
    """``id^FAMILY^Given^^^Prefix…`` (HL7 XCN, the XDS author) as ``Prefix Given FAMILY``."""
    if not xcn:
        return None
    parts = xcn.split("^")
    family = parts[1] if len(parts) > 1 else ""
    given = parts[2] if len(parts) > 2 else ""
    prefix = parts[5] if len(parts) > 5 else ""
    name = " ".join(p for p in (prefix, given, family) if p)
    return name or None


def _xon_name(xon: str | None) -> str | None:
    return xon.split("^", 1)[0] or None if xon else None


def document_row(document: XdmDocument) -> DocumentRow:
    """The list's columns for one document: the CDA header first, the XDS metadata otherwise."""
    header, entry = document.cda, document.entry
    file_name = document.path.rsplit("/", 1)[-1]
    title = (header.title if header else None) or (entry.title if entry else None) or file_name
    type_label = (
        (header.type_label if header else None)
        or (entry.type_code.display_name or entry.type_code.code if entry and entry.type_code
            else None)
        or document.mime_type
    )
    when = (header.effective_time if header else None) or (entry.creation_time if entry else None)
    author: str | None = None
    if header and header.authors:
        first = header.authors[0]
        author = " ".join(p for p in (first.prefix, " ".join(first.given_names),
                                      first.family_name) if p) or first.device_name
        if author and first.institution and first.institution.name:
            author += f" ({first.institution.name})"
    elif entry and entry.authors:
        person = entry.authors[0]
        author = _xcn_name(person.person)
        institution = _xon_name(person.institutions[0]) if person.institutions else None
        if institution:
            author = f"{author} ({institution})" if author else institution
    if header is not None:
        file_format = translate("XdmPreview", "CDA R2 niveau {level}").format(level=header.level)
    else:
        known = str(_FORMATS.get(document.mime_type, document.mime_type))
        file_format = translate("XdmPreview", known)
    return DocumentRow(title, type_label, format_ts(when) or "—", author or "—", file_format)


def patient_summary(result: XdmReadResult) -> str:
    """``Patient : NOM Prénom — né(e) le … — INS : … (INS-NIR)`` for the package's banner."""
    patient: CdaPatient | None = result.patient
    parts: list[str] = []
    if patient is not None:
        name = " ".join(p for p in (patient.family_name, " ".join(patient.given_names)) if p)
        parts.append(translate("XdmPreview", "Patient : {name}").format(name=name or "—"))
        if patient.birth_date is not None:
            parts.append(translate("XdmPreview", "né(e) le {date}").format(
                date=patient.birth_date.strftime("%d/%m/%Y")))
        ins = patient.ins
        if ins is not None and ins.extension:
            kind = translate("XdmPreview", str(_INS_LABELS.get(ins.root, ins.root)))
            parts.append(translate("XdmPreview", "INS : {ins} ({kind})").format(
                ins=ins.extension, kind=kind))
        elif patient.ids:
            parts.append(translate("XdmPreview", "INS absent"))
    else:
        parts.append(translate("XdmPreview", "Patient : non identifié par un document CDA"))
    if (patient is None or patient.ins is None) and result.patient_id:
        parts.append(translate("XdmPreview", "identifiant des métadonnées : {id}").format(
            id=result.patient_id.split("^", 1)[0]))
    return " — ".join(parts)


class XdmPreview(PreviewFrame):
    """Patient banner, warnings, the documents list and the selected document's preview."""

    file_requested = Signal(object)  # FilingRequest, from the selected CDA's preview

    def __init__(
        self,
        data: bytes,
        *,
        executor: Executor,
        reader: XdmReader = read_xdm,
        preview_factory: PreviewFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Aperçu du paquet IHE XDM"))
        self._executor = executor
        self._factory = preview_factory or self._default_factory
        self.result: XdmReadResult | None = None
        self.document_preview: PreviewFrame | None = None
        self.patient_label = QLabel()
        self.patient_label.setTextFormat(Qt.TextFormat.PlainText)
        self.patient_label.setWordWrap(True)
        font = self.patient_label.font()
        font.setBold(True)
        self.patient_label.setFont(font)
        self.patient_label.setAccessibleName(self.tr("Patient du paquet"))
        self.warnings_label = QLabel()
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(
            "QLabel{background:#fff8e1;border-left:4px solid #c08a00;padding:4px 8px;"
            "color:#3d2c00}"
        )
        self.warnings_label.hide()
        self.documents = QTreeWidget()
        self.documents.setAccessibleName(self.tr("Documents du paquet"))
        self.documents.setRootIsDecorated(False)
        self.documents.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.documents.setHeaderLabels([
            self.tr("Titre"), self.tr("Type"), self.tr("Date"), self.tr("Auteur"),
            self.tr("Format"),
        ])
        self.documents.itemSelectionChanged.connect(self._on_selection)
        self._preview_holder = QWidget()
        self._preview_layout = QVBoxLayout(self._preview_holder)
        self._preview_layout.setContentsMargins(0, 0, 0, 0)
        self._splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.documents)
        splitter.addWidget(self._preview_holder)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 4)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(6, 4, 6, 0)
        column.addWidget(self.patient_label)
        column.addWidget(self.warnings_label)
        column.addWidget(splitter, 1)
        self._content = content
        self._runner = BackgroundRunner(executor, self)
        self._runner.run(lambda: reader(data), self._show, self._fail)

    def _default_factory(self, document: XdmDocument) -> PreviewFrame:
        from ui.widgets.preview.dispatcher import create_preview  # the dispatcher imports us

        return create_preview(document.data, executor=self._executor, filename=document.path,
                              mime_type=document.mime_type, allow_archives=False)

    def _show(self, result: object) -> None:
        assert isinstance(result, XdmReadResult)
        self.result = result
        self.patient_label.setText(patient_summary(result))
        if result.warnings:
            self.warnings_label.setText("\n".join(f"• {w}" for w in result.warnings))
            self.warnings_label.show()
        for index, document in enumerate(result.documents):
            row = document_row(document)
            item = QTreeWidgetItem([row.title, row.type_label, row.date, row.author, row.format])
            item.setData(0, Qt.ItemDataRole.UserRole, index)
            item.setToolTip(0, document.path)
            self.documents.addTopLevelItem(item)
        for column in range(len(_COLUMNS)):
            self.documents.resizeColumnToContents(column)
        self.set_content(self._content)
        # The list takes what its rows need (a few lines), the preview the rest.
        rows_height = self.documents.sizeHintForRow(0) * min(8, len(result.documents))
        header_height = self.documents.header().sizeHint().height()
        self._splitter.setSizes([rows_height + header_height + 8, 100_000])
        # Show the first clinical document straight away (a CDA rather than its PDF copy).
        first = next((i for i, d in enumerate(result.documents) if d.cda is not None), 0)
        self.documents.setCurrentItem(self.documents.topLevelItem(first))
        self.loaded.emit()

    def _fail(self, error: BaseException) -> None:
        self.show_failure(error_text(error), title=self.tr("Paquet IHE XDM refusé"),
                          can_save=False)

    def can_print(self) -> bool:
        return self.document_preview is not None and self.document_preview.can_print()

    def print_to(self, printer: Any) -> bool:
        """The document selected in the package, as its own preview prints it."""
        return self.document_preview is not None and self.document_preview.print_to(printer)

    def document_count(self) -> int:
        return self.documents.topLevelItemCount()

    def _on_selection(self) -> None:
        items = self.documents.selectedItems()
        if not items or self.result is None:
            return
        document = self.result.documents[int(items[0].data(0, Qt.ItemDataRole.UserRole))]
        if self.document_preview is not None:
            self._preview_layout.removeWidget(self.document_preview)
            self.document_preview.deleteLater()
        preview = self._factory(document)
        signal = getattr(preview, "file_requested", None)
        if signal is not None:
            signal.connect(self.file_requested)
        self.document_preview = preview
        self._preview_layout.addWidget(preview)
