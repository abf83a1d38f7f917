"""A PDF shown from memory with QtPdf: no temporary file, page navigation and zoom.

The bytes go into a QBuffer that QPdfDocument reads; both live as long as the widget. QPdfView
rasterises pages asynchronously in its own render threads, so scrolling a long document never
blocks the UI thread. Password-protected PDFs are not opened here (the message says so).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.preview.base import PreviewFrame

MAX_PDF_BYTES = 200 * 1024 * 1024
_ZOOM_STEP = 1.25
_ZOOM_MIN = 0.25
_ZOOM_MAX = 6.0


def looks_like_pdf(data: bytes) -> bool:
    """The PDF header within the first KiB (readers tolerate a little junk before it)."""
    return b"%PDF-" in data[:1024]


class PdfPreview(PreviewFrame):
    """A QPdfView with a small toolbar: previous/next page, page number, zoom, fit to width."""

    page_count_changed = Signal(int)

    def __init__(self, data: bytes | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Aperçu du document PDF"))
        self.document = QPdfDocument(self)
        self._buffer: QBuffer | None = None
        self.view = QPdfView()
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName(self.tr("Pages du document PDF"))

        self.previous_button = self._tool("◀", self.tr("Page précédente"), self.previous_page)
        self.next_button = self._tool("▶", self.tr("Page suivante"), self.next_page)
        self.page_box = QSpinBox()
        self.page_box.setMinimum(1)
        self.page_box.setAccessibleName(self.tr("Numéro de page"))
        self.page_box.editingFinished.connect(lambda: self.go_to_page(self.page_box.value() - 1))
        self.page_total = QLabel()
        self.zoom_out_button = self._tool("−", self.tr("Zoom arrière"), self.zoom_out)
        self.zoom_in_button = self._tool("+", self.tr("Zoom avant"), self.zoom_in)
        self.fit_button = self._tool("↔", self.tr("Ajuster à la largeur"), self.fit_to_width)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(48)

        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(4, 2, 4, 2)
        for widget in (self.previous_button, self.next_button, QLabel(self.tr("Page")),
                       self.page_box, self.page_total):
            toolbar.addWidget(widget)
        toolbar.addStretch()
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button,
                       self.fit_button):
            toolbar.addWidget(widget)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(toolbar)
        column.addWidget(self.view, 1)
        self._content = content

        self.document.statusChanged.connect(self._on_status)
        self.view.pageNavigator().currentPageChanged.connect(self._on_page)
        self.view.zoomFactorChanged.connect(self._update_zoom_label)
        self.view.zoomModeChanged.connect(self._update_zoom_label)
        if data is not None:
            self.load(data)

    def _tool(self, text: str, name: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(name)
        button.setAccessibleName(name)
        button.clicked.connect(slot)
        return button

    # --- loading ---------------------------------------------------------------------------------

    def load(self, data: bytes) -> None:
        """Show ``data`` (the PDF's bytes). Bad input ends on the message page, never raises."""
        self.show_loading()
        if len(data) > MAX_PDF_BYTES:
            self.show_failure(self.tr("Ce PDF est trop volumineux pour être prévisualisé."))
            return
        if not looks_like_pdf(data):
            self.show_failure(self.tr("Ce fichier n'est pas un PDF lisible."))
            return
        self.document.close()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        old, self._buffer = self._buffer, buffer
        self.document.load(buffer)
        if old is not None:
            old.close()
            old.deleteLater()
        self._on_status(self.document.status())

    def can_print(self) -> bool:
        return (self.document.status() == QPdfDocument.Status.Ready
                and self.document.pageCount() > 0)

    def print_to(self, printer: Any) -> bool:
        from ui.printing import print_pdf

        return self.can_print() and print_pdf(self.document, printer)

    def page_count(self) -> int:
        return self.document.pageCount()

    def _on_status(self, status: QPdfDocument.Status) -> None:
        if status == QPdfDocument.Status.Ready:
            if self.current_page() is not self._content:
                count = self.document.pageCount()
                self.page_box.setMaximum(max(1, count))
                self.page_total.setText(self.tr("sur %n", "", count))
                self.set_content(self._content)
                self._on_page(self.view.pageNavigator().currentPage())
                self._update_zoom_label()
                self.page_count_changed.emit(count)
                self.loaded.emit()
        elif status == QPdfDocument.Status.Error:
            error = self.document.error()
            if error in (QPdfDocument.Error.IncorrectPassword,
                         QPdfDocument.Error.UnsupportedSecurityScheme):
                text = self.tr("Ce PDF est protégé par un mot de passe : ouvrez-le avec une "
                               "autre application après l'avoir enregistré.")
            else:
                text = self.tr("Ce PDF est endommagé ou n'est pas un PDF lisible.")
            self.show_failure(text)

    # --- navigation and zoom ---------------------------------------------------------------------

    def go_to_page(self, page: int) -> None:
        count = self.document.pageCount()
        if count <= 0:
            return
        page = max(0, min(count - 1, page))
        self.view.pageNavigator().jump(page, QPointF(), 0)
        self._on_page(page)

    def current_page_number(self) -> int:
        """The zero-based page shown at the top of the view."""
        return self.view.pageNavigator().currentPage()

    def previous_page(self) -> None:
        self.go_to_page(self.current_page_number() - 1)

    def next_page(self) -> None:
        self.go_to_page(self.current_page_number() + 1)

    def _on_page(self, page: int) -> None:
        count = self.document.pageCount()
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.previous_button.setEnabled(page > 0)
        self.next_button.setEnabled(page < count - 1)

    def zoom_in(self) -> None:
        self._set_zoom(self.view.zoomFactor() * _ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self.view.zoomFactor() / _ZOOM_STEP)

    def fit_to_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def _set_zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(_ZOOM_MIN, min(_ZOOM_MAX, factor)))

    def _update_zoom_label(self) -> None:
        if self.view.zoomMode() == QPdfView.ZoomMode.FitToWidth:
            self.zoom_label.setText(self.tr("Largeur"))
            self.fit_button.setEnabled(False)
        else:
            self.zoom_label.setText(f"{round(self.view.zoomFactor() * 100)} %")
            self.fit_button.setEnabled(True)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
