"""Document previews (issue 7 item 3; MSSanté §6): PDF from memory, CDA rendered off the UI thread
with its embedded PDF first, XDM packages with their patient, and a dispatcher that refuses
disguised or hostile files. No preview fetches anything from the network."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument
from pytestqt.qtbot import QtBot

from app.domain.xdm import XdmInputDocument
from app.executors import cpu_executor
from app.protocols.cda.renderer import RenderedCda, render_cda
from app.protocols.xdm import pack_xdm, read_xdm
from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world as world
from ui.widgets.preview import (
    CdaPreview,
    FilingRequest,
    ImagePreview,
    PdfPreview,
    PreviewKind,
    SafeTextBrowser,
    TextPreview,
    UnavailablePreview,
    XdmPreview,
    choose_preview,
    create_preview,
)
from ui.widgets.preview.text_preview import decode_text
from ui.widgets.preview.xdm_preview import document_row

PATIENT = world.PATIENTS[1]  # Paul Lefèvre
WHEN = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
WAIT_MS = 15_000  # a ceiling for slow CI machines, not a performance assertion


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = cpu_executor()
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def _pdf(lines: int = 3) -> bytes:
    return docs.make_pdf("Compte rendu de biologie",
                         [f"Ligne {i} : glycémie 5,1 mmol/L" for i in range(lines)])


def _cda(pdf: bytes | None = None) -> bytes:
    return docs.make_cda_level1(
        PATIENT, docs.BIOLOGIST, code="11502-2", code_system=docs.LOINC,
        display_name="CR d'examens biologiques", title="Compte rendu de biologie",
        effective_time=WHEN, pdf=pdf or _pdf(),
    )


def _png(width: int = 40, height: int = 30) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#1f4e79"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _wait_loaded(qtbot: QtBot, widget: object) -> None:
    qtbot.waitUntil(lambda: not widget.is_loading(), timeout=WAIT_MS)  # type: ignore[attr-defined]


def _assert_no_remote_fetch(browser: SafeTextBrowser) -> None:
    assert not [u for u in browser.requested if not u.startswith("data:image/")]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|file:|//)""", browser.toHtml(), re.I)


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_preview_loads_from_bytes_with_pages_and_navigation(qtbot: QtBot) -> None:
    widget = PdfPreview(_pdf(lines=120))  # ~50 lines a page
    qtbot.addWidget(widget)
    widget.resize(600, 700)
    widget.show()
    _wait_loaded(qtbot, widget)
    assert widget.error is None
    assert widget.page_count() == 3
    assert widget.page_total.text() == "sur 3"
    widget.next_page()
    qtbot.waitUntil(lambda: widget.current_page_number() == 1, timeout=WAIT_MS)
    assert widget.page_box.value() == 2
    widget.zoom_in()
    assert widget.zoom_label.text().endswith("%")
    widget.fit_to_width()
    assert widget.zoom_label.text() == "Largeur"


def test_pdf_preview_refuses_what_is_not_a_pdf(qtbot: QtBot) -> None:
    widget = PdfPreview(b"<html><script>alert(1)</script></html>")
    qtbot.addWidget(widget)
    assert widget.error == "Ce fichier n'est pas un PDF lisible."
    damaged = PdfPreview(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    qtbot.addWidget(damaged)
    qtbot.waitUntil(lambda: damaged.error is not None or not damaged.is_loading(),
                    timeout=WAIT_MS)
    assert damaged.error is not None and "PDF" in damaged.error


# --- CDA -----------------------------------------------------------------------------------------


def test_level1_cda_shows_its_pdf_first_rendered_off_the_ui_thread(
    qtbot: QtBot, executor: ThreadPoolExecutor
) -> None:
    """MSSanté §6: an embedded PDF is shown first; rendering is CPU work kept off the UI thread."""
    threads: list[str] = []

    def recording_renderer(xml: bytes) -> RenderedCda:
        threads.append(threading.current_thread().name)
        return render_cda(xml)

    pdf = _pdf()
    widget = CdaPreview(_cda(pdf), executor=executor, renderer=recording_renderer)
    qtbot.addWidget(widget)
    assert widget.is_loading()
    assert widget.loading_label.text() == "Chargement…"
    with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
        pass
    assert threads and threads[0].startswith("cpu")
    assert threads[0] != threading.main_thread().name
    assert widget.tabs is not None and widget.pdf_preview is not None
    assert widget.tabs.currentIndex() == 0
    assert widget.tabs.tabText(0) == "Document PDF"
    assert widget.tabs.tabText(1) == "Version structurée"
    _wait_loaded(qtbot, widget.pdf_preview)
    assert widget.pdf_preview.page_count() == 1
    text = widget.browser.toPlainText()
    assert "LEFÈVRE" in text and "CR d'examens biologiques" in text
    _assert_no_remote_fetch(widget.browser)
    with qtbot.waitSignal(widget.file_requested, timeout=WAIT_MS) as filed:
        widget.file_button.click()
    assert filed.args == [FilingRequest(_cda(pdf), pdf)]


def test_level3_ans_example_renders_its_sections(
    qtbot: QtBot, executor: ThreadPoolExecutor, corpus: Path
) -> None:
    path = corpus / "cda" / "ans-testcontenucda-3.0" / "OPH-CR-RTN_2022.01.xml"
    widget = CdaPreview(path.read_bytes(), executor=executor)
    qtbot.addWidget(widget)
    widget.resize(900, 800)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
        pass
    assert widget.tabs is not None
    widget.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: widget.browser.isVisible(), timeout=WAIT_MS)
    text = widget.browser.toPlainText()
    assert "Rétinographie" in text  # a section title
    assert "Compte rendu d’intervention de l’orthoptiste" in text
    assert "Patient" in text and "INS" in text
    qtbot.waitUntil(lambda: bool(widget.browser.requested), timeout=WAIT_MS)  # images painted
    _assert_no_remote_fetch(widget.browser)


def test_a_non_cda_xml_is_a_clear_message(qtbot: QtBot, executor: ThreadPoolExecutor) -> None:
    widget = CdaPreview(b"<?xml version='1.0'?><note>rien</note>", executor=executor)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.failed, timeout=WAIT_MS) as failed:
        pass
    assert "ClinicalDocument" in failed.args[0]


def test_safe_text_browser_loads_nothing_but_inline_raster_images(qtbot: QtBot) -> None:
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    image = QTextDocument.ResourceType.ImageResource.value
    for url in ("http://example.org/x.png", "https://example.org/x.css", "file:///etc/passwd",
                "x.png", "cid:part1", "data:text/html;base64,PHNjcmlwdD4="):
        assert browser.loadResource(image, QUrl(url)) is None, url
    stylesheet = QTextDocument.ResourceType.StyleSheetResource.value
    assert browser.loadResource(stylesheet, QUrl("https://example.org/a.css")) is None
    png = "data:image/png;base64," + __import__("base64").b64encode(_png()).decode()
    loaded = browser.loadResource(image, QUrl(png))
    assert isinstance(loaded, QImage) and loaded.width() == 40


# --- XDM -----------------------------------------------------------------------------------------


def test_xdm_preview_lists_documents_with_patient_and_ins(
    qtbot: QtBot, executor: ThreadPoolExecutor
) -> None:
    """MSSanté §6: the receiver shows the package's patient (INS from the documents)."""
    pdf = _pdf()
    package = pack_xdm([XdmInputDocument(cda=_cda(pdf), pdf=pdf)], submission_time=WHEN)
    widget = XdmPreview(package.zip_bytes, executor=executor)
    qtbot.addWidget(widget)
    widget.resize(900, 800)
    with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
        pass
    banner = widget.patient_label.text()
    assert "LEFÈVRE" in banner and "PAUL" in banner
    assert f"INS : {PATIENT.ins} (INS-NIR)" in banner
    assert widget.document_count() == 2
    first = widget.documents.topLevelItem(0)
    assert [first.text(c) for c in range(5)] == [
        "Compte rendu de biologie", "CR d'examens biologiques", "02/11/2026 09:00",
        "Nadia ROUSSEL (Laboratoire Bioval)", "CDA R2 niveau 1",
    ]
    assert isinstance(widget.document_preview, CdaPreview)  # the CDA is shown straight away
    widget.documents.setCurrentItem(widget.documents.topLevelItem(1))
    assert isinstance(widget.document_preview, PdfPreview)
    assert widget.documents.topLevelItem(1).text(4) == "PDF"


def test_xdm_reader_warnings_are_shown(qtbot: QtBot, executor: ThreadPoolExecutor) -> None:
    package = pack_xdm([XdmInputDocument(cda=_cda())], submission_time=WHEN)
    members = {}
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes)) as archive:
        for name in archive.namelist():
            if not name.upper().endswith("INDEX.HTM"):
                members[name] = archive.read(name)
    widget = XdmPreview(_zip(members), executor=executor)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
        pass
    assert widget.warnings_label.isVisibleTo(widget)
    assert "INDEX.HTM absent" in widget.warnings_label.text()


def test_xdm_preview_refuses_a_traversal_archive(qtbot: QtBot,
                                                 executor: ThreadPoolExecutor) -> None:
    """Defence in depth: even when handed straight to the XDM preview, the reader refuses it."""
    hostile = _zip({"IHE_XDM/SUBSET01/METADATA.XML": b"<x/>", "../../evil.xml": _cda()})
    widget = XdmPreview(hostile, executor=executor)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.failed, timeout=WAIT_MS) as failed:
        pass
    assert "Archive refusée" in failed.args[0]
    assert not widget.message.save_button.isVisibleTo(widget)


def test_document_row_falls_back_to_xds_metadata() -> None:
    pdf = _pdf()
    package = pack_xdm([XdmInputDocument(cda=_cda(pdf), pdf=pdf)], submission_time=WHEN)
    result = read_xdm(package.zip_bytes)
    pdf_document = next(d for d in result.documents if d.cda is None)
    row = document_row(pdf_document)
    assert row.format == "PDF"
    assert row.type_label == "CR d'examens biologiques"
    assert "ROUSSEL" in row.author


# --- images and text -----------------------------------------------------------------------------


def test_image_preview(qtbot: QtBot, executor: ThreadPoolExecutor) -> None:
    widget = ImagePreview(_png(), executor=executor)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
        pass
    assert widget.image is not None and (widget.image.width(), widget.image.height()) == (40, 30)
    broken = ImagePreview(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, executor=executor)
    qtbot.addWidget(broken)
    with qtbot.waitSignal(broken.failed, timeout=WAIT_MS):
        pass


def test_text_preview_decodes_french_office_text(qtbot: QtBot,
                                                 executor: ThreadPoolExecutor) -> None:
    widget = TextPreview("Résultat : négatif".encode("cp1252"), executor=executor)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
        pass
    assert widget.editor.toPlainText() == "Résultat : négatif"
    assert decode_text("é".encode(), None) == ("é", False)
    assert decode_text(b"\xef\xbb\xbfabc", "latin-1") == ("abc", False)


# --- the dispatcher ------------------------------------------------------------------------------


def test_dispatcher_picks_the_preview_by_content(qtbot: QtBot) -> None:
    pdf = _pdf()
    package = pack_xdm([XdmInputDocument(cda=_cda(pdf), pdf=pdf)], submission_time=WHEN)
    wrapped = (b'<?xml version="1.0"?><xsl:stylesheet version="1.0" '
               b'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"/>'
               + _cda().split(b"?>", 1)[1] + b"</xsl:stylesheet>")
    cases = [
        (pdf, "cr.pdf", "application/pdf", PreviewKind.PDF),
        (pdf, "sans-nom", "application/octet-stream", PreviewKind.PDF),
        (_cda(), "doc.xml", "text/xml", PreviewKind.CDA),
        (_cda(), None, None, PreviewKind.CDA),
        (wrapped, "auto.xml", "application/xml", PreviewKind.CDA),
        (package.zip_bytes, "IHE_XDM.ZIP", "application/zip", PreviewKind.XDM),
        (package.zip_bytes, "paquet.zip", None, PreviewKind.XDM),  # found by METADATA.XML
        (_png(), "photo.png", "image/png", PreviewKind.IMAGE),
        (_png(), "photo.jpg", "image/jpeg", PreviewKind.IMAGE),
        (b"Bonjour", "note.txt", "text/plain", PreviewKind.TEXT),
        (b"<html><body>x</body></html>", "page.html", "text/html", PreviewKind.TEXT),
        (_zip({"a.txt": b"x"}), "photos.zip", "application/zip", PreviewKind.UNSUPPORTED),
        (b"\x00\x01\x02\x03" * 100, "data.bin", None, PreviewKind.UNSUPPORTED),
        (b"", "vide.pdf", "application/pdf", PreviewKind.UNSUPPORTED),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg", "image/svg+xml",
         PreviewKind.UNSUPPORTED),
    ]
    for data, name, mime, expected in cases:
        assert choose_preview(data, filename=name, mime_type=mime).kind is expected, (name, mime)
    assert choose_preview(package.zip_bytes, filename="IHE_XDM.ZIP",
                          allow_archives=False).kind is PreviewKind.UNSUPPORTED


@pytest.mark.parametrize(
    ("data", "name", "mime", "reason"),
    [
        (b"<!DOCTYPE html><html><script>steal()</script></html>", "resultats.pdf",
         "application/pdf", "se présente comme un PDF mais contient une page HTML"),
        (b"<html><body onload=x()></body></html>", "scan.jpg", "image/jpeg",
         "se présente comme une image"),
        (b"%PDF-1.4 fake", "photo.png", None, "se présente comme une image mais contient un PDF"),
        (b"<html><script>x</script></html>", "sans-nom", None, "page HTML"),
    ],
)
def test_disguised_files_are_refused_without_save(
    qtbot: QtBot, executor: ThreadPoolExecutor, data: bytes, name: str, mime: str | None,
    reason: str,
) -> None:
    widget = create_preview(data, executor=executor, filename=name, mime_type=mime)
    qtbot.addWidget(widget)
    assert isinstance(widget, UnavailablePreview)
    assert widget.choice.kind is PreviewKind.REFUSED
    assert reason in (widget.error or "")
    assert widget.message.title.text() == "Aperçu refusé"
    assert not widget.message.save_button.isVisibleTo(widget)


def test_zip_with_traversal_is_refused_before_reading(
    qtbot: QtBot, executor: ThreadPoolExecutor
) -> None:
    for member in ("../../home/user/.bashrc", "/etc/cron.d/x", "C:/Windows/evil.dll",
                   "IHE_XDM/..\\..\\evil.xml"):
        hostile = _zip({"IHE_XDM/SUBSET01/METADATA.XML": b"<x/>", member: b"x"})
        widget = create_preview(hostile, executor=executor, filename="IHE_XDM.ZIP",
                                mime_type="application/zip")
        qtbot.addWidget(widget)
        assert widget.choice.kind is PreviewKind.REFUSED, member
        assert "sortirait de l'archive" in (widget.error or "")


def test_unsupported_file_offers_to_save(qtbot: QtBot, executor: ThreadPoolExecutor) -> None:
    widget = create_preview(b"\x00\x01" * 100, executor=executor, filename="x.dcm")
    qtbot.addWidget(widget)
    assert widget.message.title.text() == "Aperçu non disponible"
    assert widget.message.save_button.isVisibleTo(widget)
    with qtbot.waitSignal(widget.save_requested, timeout=WAIT_MS):
        widget.message.save_button.click()


def test_every_created_preview_comes_from_the_dispatcher(
    qtbot: QtBot, executor: ThreadPoolExecutor
) -> None:
    pdf = _pdf()
    expected = {
        PreviewKind.PDF: (pdf, "a.pdf", PdfPreview),
        PreviewKind.CDA: (_cda(pdf), "a.xml", CdaPreview),
        PreviewKind.IMAGE: (_png(), "a.png", ImagePreview),
        PreviewKind.TEXT: (b"texte", "a.txt", TextPreview),
    }
    for kind, (data, name, cls) in expected.items():
        widget = create_preview(data, executor=executor, filename=name)
        qtbot.addWidget(widget)
        assert isinstance(widget, cls) and widget.choice.kind is kind
        qtbot.waitUntil(lambda w=widget: not w.is_loading(), timeout=WAIT_MS)
        assert widget.error is None, (kind, widget.error)


def test_result_after_the_widget_is_gone_is_dropped(qtbot: QtBot) -> None:
    """A slow render finishing after its preview was closed must not touch a dead widget."""
    release = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpu")

    def slow(xml: bytes) -> RenderedCda:
        release.wait(10)
        return render_cda(xml)

    widget = CdaPreview(_cda(), executor=pool, renderer=slow)
    widget.deleteLater()
    qtbot.wait(10)
    release.set()
    pool.shutdown(wait=True)
    qtbot.wait(10)  # the queued delivery, if any, runs here without raising


def test_buffer_is_kept_in_memory(qtbot: QtBot) -> None:
    """The PDF is read from a QBuffer: nothing is written to disk for the preview."""
    widget = PdfPreview(_pdf())
    qtbot.addWidget(widget)
    _wait_loaded(qtbot, widget)
    assert isinstance(widget._buffer, QBuffer)
    assert bytes(widget._buffer.data().data()).startswith(b"%PDF")
    assert QByteArray(widget._buffer.data()).size() > 0
