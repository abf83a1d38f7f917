"""Printing a message or a previewed document (QtPrintSupport), to a printer the user chose.

- ``choose_printer`` opens the system's print dialog (non-modal: ``open()``, the asyncio loop
  keeps running) with "print to file" switched off: a file would put health data on the disk in
  clear, outside the encrypted store. A printer set up to write files anyway (its output file
  name set) is refused. "Enregistrer sous…" remains the way to take a copy, and it is audited.
- ``message_document`` lays a message out for paper: its headers, then the body as the reader
  shows it (the sanitised HTML, or the plain text), with the message's own ``cid:`` images only;
  the document loads nothing else (``ui.widgets.reader.SafeDocument``).
- ``print_text_document``, ``print_pdf`` and ``print_image`` draw onto a ``QPrinter``; the
  previews call them (``PreviewFrame.print_to``).

The window records a ``print`` audit entry after a job went to the printer: ids only, never a
subject nor a file name (``app.domain.audit``).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPainter, QTextDocument
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from ui.widgets.reader import ReaderContent, ResourcePolicy, SafeDocument

# A page rasterised for the printer at most at this resolution (memory stays bounded: an A4
# page at 300 dpi is about 35 MB as ARGB32, one page at a time).
MAX_RASTER_DPI = 300

translate = QCoreApplication.translate


def printer_is_a_file(printer: QPrinter) -> bool:
    """Whether this printer would write a file on the disk rather than reach a printer."""
    return bool(printer.outputFileName()) or (
        printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
    )


def choose_printer(parent: QWidget, chosen: Callable[[QPrinter], None], *,
                   title: str | None = None) -> QPrintDialog:
    """Ask which printer; ``chosen(printer)`` runs once the user accepted (never for a file)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setObjectName("printDialog")
    dialog.setWindowTitle(title or translate("Printing", "Imprimer"))
    dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, False)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if result != QDialog.DialogCode.Accepted.value or printer_is_a_file(printer):
            return  # cancelled, or a file: never a file (see the module's docstring)
        chosen(printer)

    dialog.finished.connect(finished)
    dialog._printer = printer  # type: ignore[attr-defined]  # lives as long as the dialog
    # Non-modal for the application (``show``, never ``exec``: the asyncio loop keeps going),
    # modal for its window.
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    return dialog


def _row(label: str, value: str) -> str:
    return (f'<tr><td style="padding-right:8px; white-space:nowrap"><b>{html.escape(label)}</b>'
            f"</td><td>{html.escape(value)}</td></tr>")


def message_html(content: ReaderContent, subject: str) -> str:
    """The page printed for a message: a header table, a rule, the body."""
    rows = [_row(translate("Printing", "De :"), content.sender),
            _row(translate("Printing", "À :"), content.to)]
    if content.cc:
        rows.append(_row(translate("Printing", "Cc :"), content.cc))
    rows += [_row(translate("Printing", "Date :"), content.date),
             _row(translate("Printing", "Objet :"), subject)]
    names = [a.name for a in content.attachments if a.name]
    if names:
        rows.append(_row(translate("Printing", "Pièces jointes :"), ", ".join(names)))
    if content.html is not None:
        body = content.html  # sanitised by nh3 (prepare_content): no script, no remote URL
    else:
        body = ('<pre style="white-space: pre-wrap; font-family: sans-serif">'
                f"{html.escape(content.text)}</pre>")
    return (f'<table cellspacing="0" cellpadding="2">{"".join(rows)}</table><hr/>{body}')


def message_document(content: ReaderContent, subject: str) -> QTextDocument:
    """A document for ``content`` that loads only the message's own inline images."""
    policy = ResourcePolicy()
    policy.images = dict(content.inline_images)
    document = SafeDocument(policy)
    document._policy_ref = policy  # type: ignore[attr-defined]  # keep the policy alive
    document.setHtml(message_html(content, subject))
    return document


def print_text_document(document: QTextDocument, printer: QPrinter) -> bool:
    document.print_(printer)
    return True


def _page_rect(printer: QPrinter) -> QRectF:
    return printer.pageLayout().paintRectPixels(printer.resolution()).toRectF()


def _fit(size: QSizeF, box: QRectF) -> QRectF:
    if size.width() <= 0 or size.height() <= 0:
        return QRectF(box)
    scale = min(box.width() / size.width(), box.height() / size.height())
    width, height = size.width() * scale, size.height() * scale
    return QRectF(0, 0, width, height)


def print_pdf(document: QPdfDocument, printer: QPrinter) -> bool:
    """Every page of a loaded PDF, each scaled to fit the printable area."""
    count = document.pageCount()
    if document.status() != QPdfDocument.Status.Ready or count <= 0:
        return False
    printer.setFullPage(False)
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        dpi = min(printer.resolution(), MAX_RASTER_DPI)
        for page in range(count):
            if page:
                printer.newPage()
            box = _page_rect(printer)
            points = document.pagePointSize(page)  # 1/72 inch
            target = _fit(points, box)
            pixels = QSize(max(1, round(target.width() * dpi / printer.resolution())),
                           max(1, round(target.height() * dpi / printer.resolution())))
            image = document.render(page, pixels)
            painter.drawImage(target, image)
    finally:
        painter.end()
    return True


def print_image(image: QImage, printer: QPrinter) -> bool:
    if image.isNull():
        return False
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        box = _page_rect(printer)
        size = QSizeF(image.size())
        if size.width() <= box.width() and size.height() <= box.height():
            target = QRectF(0, 0, size.width(), size.height())  # never enlarged
        else:
            target = _fit(size, box)
        painter.drawImage(target, image)
    finally:
        painter.end()
    return True


def pdf_printer(path: str) -> QPrinter:
    """A printer writing a PDF at ``path``: for tests only (the application never prints to a
    file, see ``choose_printer``)."""
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(path)
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    return printer


__all__ = [
    "choose_printer",
    "message_document",
    "message_html",
    "pdf_printer",
    "print_image",
    "print_pdf",
    "print_text_document",
    "printer_is_a_file",
]
