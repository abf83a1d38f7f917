"""A CDA R2 document as the project's renderer draws it; an embedded PDF is shown first.

Rendering (``app.protocols.cda.renderer.render_cda``: parse, unwrap an auto-présentable file
without running its XSL, build sanitised HTML) runs on the executor given (the profile's ``cpu``
pool) while the widget shows "Chargement…". The HTML is then shown in a ``SafeTextBrowser``, which
fetches nothing: every resource request is refused except ``data:`` raster images, which the
renderer has already inlined.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.protocols.cda.renderer import RenderedCda, render_cda
from ui.widgets.preview.base import BackgroundRunner, FilingRequest, PreviewFrame, error_text
from ui.widgets.preview.pdf_preview import PdfPreview

_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif);base64,([A-Za-z0-9+/=\s]+)$", re.I)
MAX_DATA_IMAGE_BYTES = 8 * 1024 * 1024
MAX_IMAGE_WIDTH = 480

Renderer = Callable[[bytes], RenderedCda]

_HEADER = re.compile(r'<header class="cda-entete"><h1>([^<]*)</h1><dl>(.*?)</dl></header>', re.S)
_HEADER_ROW = re.compile(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>")


def qt_html(html: str) -> str:
    """The renderer's page adjusted to Qt's rich-text subset, which has no CSS grid nor box
    backgrounds: the header's definition list becomes a shaded two-column table.

    Only the header block our own renderer wrote is touched; its texts are already escaped
    (no markup inside ``dt``/``dd``), so they are moved as they are.
    """

    def table(match: re.Match[str]) -> str:
        rows = "".join(
            f'<tr><td width="1%" style="white-space:nowrap"><b>{label}</b></td>'
            f"<td>{value}</td></tr>"
            for label, value in _HEADER_ROW.findall(match.group(2))
        )
        return (
            '<table class="cda-entete" width="100%" bgcolor="#f3f6f9" border="0" '
            'cellspacing="0" cellpadding="3">'
            f'<tr><td colspan="2"><h1>{match.group(1)}</h1></td></tr>{rows}</table><p></p>'
        )

    return _HEADER.sub(table, html, count=1)


def render_for_qt(renderer: Renderer, data: bytes) -> RenderedCda:
    """Render on the calling (worker) thread, HTML already adapted for the QTextBrowser."""
    result = renderer(data)
    result.html = qt_html(result.html)
    return result


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that never opens a link nor loads a resource from anywhere.

    ``requested`` lists every URL the document asked for (tests assert no http(s) among them).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.requested: list[str] = []
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

    def loadResource(self, type: int, name: QUrl) -> object:
        url = name.toString()
        self.requested.append(url[:64])
        if type != QTextDocument.ResourceType.ImageResource.value:
            return None
        match = _DATA_IMAGE.match(url)
        if match is None:
            return None
        try:
            payload = base64.b64decode("".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            return None
        if len(payload) > MAX_DATA_IMAGE_BYTES:
            return None
        image = QImage.fromData(QByteArray(payload))
        if image.isNull():
            return None
        # Qt's rich text ignores max-width: fit wide images (retina photos, scans) to the view.
        # Capped so that images side by side in a table still fit.
        width = max(240, min(MAX_IMAGE_WIDTH, self.viewport().width() - 48))
        if image.width() > width:
            image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        return image

    def doSetSource(self, name: QUrl, type: object = None) -> None:
        # Navigation is never wanted: nothing may replace the document (or load a file).
        self.requested.append(name.toString()[:64])


class CdaPreview(PreviewFrame):
    """The rendered CDA; with an embedded PDF, tabs "Document PDF" (first) and "Version
    structurée". Emits ``file_requested`` for "Classer dans le dossier patient"."""

    file_requested = Signal(object)  # FilingRequest

    def __init__(
        self,
        data: bytes,
        *,
        executor: Executor,
        renderer: Renderer = render_cda,
        pdf: bytes | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``pdf`` is a PDF rendering that travelled beside the CDA (XDM), shown first when the
        CDA itself embeds none."""
        super().__init__(parent)
        self.setAccessibleName(self.tr("Aperçu du document médical"))
        self._data = data
        self._extra_pdf = pdf
        self._renderer = renderer
        self.result: RenderedCda | None = None
        self.browser = SafeTextBrowser()
        self.browser.setAccessibleName(self.tr("Version structurée du document"))
        self.tabs: QTabWidget | None = None
        self.pdf_preview: PdfPreview | None = None
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setStyleSheet(
            "QLabel{background:#fff8e1;border-left:4px solid #c08a00;padding:4px 8px;"
            "color:#3d2c00}"
        )
        self.warnings_label.setAccessibleName(self.tr("Avertissements"))
        self.warnings_label.hide()
        self.title_label = QLabel()
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.file_button = QPushButton(self.tr("Classer dans le dossier patient"))
        self.file_button.setAccessibleName(self.tr("Classer dans le dossier patient"))
        self.file_button.clicked.connect(self._request_filing)
        self.save_button = QPushButton(self.tr("Enregistrer sous…"))
        self.save_button.clicked.connect(self.save_requested)
        self._runner = BackgroundRunner(executor, self)
        self._runner.run(lambda: render_for_qt(self._renderer, self._data), self._show,
                         self._fail)

    def _show(self, result: object) -> None:
        assert isinstance(result, RenderedCda)
        self.result = result
        self.title_label.setText(result.title)
        if result.warnings:
            self.warnings_label.setText("\n".join(f"• {w}" for w in result.warnings))
            self.warnings_label.show()
        self.browser.document().setMetaInformation(
            QTextDocument.MetaInformation.DocumentTitle, result.title
        )
        self.browser.setHtml(result.html)
        actions = QHBoxLayout()
        actions.setContentsMargins(6, 4, 6, 4)
        actions.addWidget(self.title_label, 1)
        actions.addWidget(self.save_button)
        actions.addWidget(self.file_button)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(actions)
        column.addWidget(self.warnings_label)
        pdf = result.embedded_pdf or self._extra_pdf
        if pdf is not None:
            self.pdf_preview = PdfPreview(pdf)
            self.pdf_preview.save_requested.connect(self.save_requested)
            self.tabs = QTabWidget()
            self.tabs.setDocumentMode(True)
            self.tabs.addTab(self.pdf_preview, self.tr("Document PDF"))
            self.tabs.addTab(self.browser, self.tr("Version structurée"))
            self.tabs.setCurrentIndex(0)
            column.addWidget(self.tabs, 1)
        else:
            column.addWidget(self.browser, 1)
        self.set_content(content)
        self.loaded.emit()

    def _fail(self, error: BaseException) -> None:
        self.show_failure(error_text(error))

    def can_print(self) -> bool:
        return self.result is not None

    def print_to(self, printer: Any) -> bool:
        """The tab shown: the PDF rendering, or the structured version as our renderer drew it."""
        if self.result is None:
            return False
        if (self.tabs is not None and self.pdf_preview is not None
                and self.tabs.currentWidget() is self.pdf_preview
                and self.pdf_preview.can_print()):
            return self.pdf_preview.print_to(printer)
        from ui.printing import print_text_document

        return print_text_document(self.browser.document(), printer)

    def filing_request(self) -> FilingRequest | None:
        if self.result is None:
            return None
        return FilingRequest(self._data, self.result.embedded_pdf or self._extra_pdf)

    def _request_filing(self) -> None:
        request = self.filing_request()
        if request is not None:
            self.file_requested.emit(request)
