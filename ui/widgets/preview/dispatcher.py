"""Which preview for an attachment: decided by its content, checked against what it claims to be.

The content decides the viewer (magic numbers, the ``ClinicalDocument`` element); the file name and
MIME type only have to agree with it. A file that claims one kind and holds another — a ``.pdf``
that is an HTML page, an "image" that is a script — is refused with an explanation and no save
button, since the disguise is the danger. Archives whose entry names escape the archive are
refused before any reading. Anything else the shell cannot show is "Aperçu non disponible", with
"Enregistrer sous…".

``choose_preview`` is pure and cheap (prefix checks, and a ZIP's central directory at most); the
widgets do their heavy work on the executor.
"""

from __future__ import annotations

import enum
import io
import posixpath
import zipfile
from concurrent.futures import Executor
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QWidget

from ui.widgets.preview.base import PreviewFrame
from ui.widgets.preview.cda_preview import CdaPreview
from ui.widgets.preview.image_preview import ImagePreview
from ui.widgets.preview.pdf_preview import PdfPreview, looks_like_pdf
from ui.widgets.preview.text_preview import TextPreview
from ui.widgets.preview.xdm_preview import XdmPreview


class PreviewKind(enum.Enum):
    PDF = "pdf"
    CDA = "cda"
    XDM = "xdm"
    IMAGE = "image"
    TEXT = "text"
    UNSUPPORTED = "unsupported"  # harmless but not shown: offer to save it
    REFUSED = "refused"  # disguised or hostile: explain, offer nothing


@dataclass(frozen=True)
class PreviewChoice:
    kind: PreviewKind
    reason: str | None = None  # French, shown for UNSUPPORTED and REFUSED


# What the content is (sniffed) and what the name/MIME type claim, as one vocabulary.
_PDF, _ZIP, _IMAGE, _CDA, _XML, _HTML, _SVG, _TEXT, _BINARY = (
    "pdf", "zip", "image", "cda", "xml", "html", "svg", "text", "binary",
)
# Words of "Le fichier se présente comme {claim} mais contient {content}", translated there.
_CLAIM_LABELS = {
    _PDF: QT_TRANSLATE_NOOP("PreviewDispatcher", "un PDF"),
    _ZIP: QT_TRANSLATE_NOOP("PreviewDispatcher", "une archive ZIP"),
    _IMAGE: QT_TRANSLATE_NOOP("PreviewDispatcher", "une image"),
    _XML: QT_TRANSLATE_NOOP("PreviewDispatcher", "un document XML"),
    _TEXT: QT_TRANSLATE_NOOP("PreviewDispatcher", "un fichier texte"),
    _HTML: QT_TRANSLATE_NOOP("PreviewDispatcher", "une page HTML"),
    _SVG: QT_TRANSLATE_NOOP("PreviewDispatcher", "une image SVG"),
}
_CONTENT_LABELS = {
    _PDF: QT_TRANSLATE_NOOP("PreviewDispatcher", "un PDF"),
    _ZIP: QT_TRANSLATE_NOOP("PreviewDispatcher", "une archive ZIP"),
    _IMAGE: QT_TRANSLATE_NOOP("PreviewDispatcher", "une image"),
    _CDA: QT_TRANSLATE_NOOP("PreviewDispatcher", "un document CDA"),
    _XML: QT_TRANSLATE_NOOP("PreviewDispatcher", "du XML"),
    _HTML: QT_TRANSLATE_NOOP("PreviewDispatcher", "une page HTML"),
    _SVG: QT_TRANSLATE_NOOP("PreviewDispatcher", "une image SVG"),
    _TEXT: QT_TRANSLATE_NOOP("PreviewDispatcher", "du texte"),
    _BINARY: QT_TRANSLATE_NOOP("PreviewDispatcher", "des données binaires"),
}
# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate
_EXTENSIONS = {
    ".pdf": _PDF, ".zip": _ZIP, ".xml": _XML, ".txt": _TEXT, ".csv": _TEXT, ".log": _TEXT,
    ".hpr": _TEXT, ".hl7": _TEXT, ".htm": _HTML, ".html": _HTML, ".xhtml": _HTML, ".svg": _SVG,
    ".png": _IMAGE, ".jpg": _IMAGE, ".jpeg": _IMAGE, ".gif": _IMAGE, ".bmp": _IMAGE,
    ".tif": _IMAGE, ".tiff": _IMAGE, ".webp": _IMAGE,
}
_MIME_TYPES = {
    "application/pdf": _PDF, "application/x-pdf": _PDF,
    "application/zip": _ZIP, "application/x-zip-compressed": _ZIP, "application/x-zip": _ZIP,
    "text/xml": _XML, "application/xml": _XML, "application/hl7-v3+xml": _XML,
    "application/hl7-cda+xml": _XML,
    "text/html": _HTML, "application/xhtml+xml": _HTML, "image/svg+xml": _SVG,
}
_GENERIC_MIME = {"", "application/octet-stream", "application/unknown", "binary/octet-stream"}
# Kinds a claim may be satisfied by (a .txt holding XML is still text to read).
_COMPATIBLE = {
    _PDF: {_PDF},
    _ZIP: {_ZIP},
    _IMAGE: {_IMAGE},
    _XML: {_CDA, _XML, _TEXT},
    _TEXT: {_TEXT, _XML, _CDA, _HTML},
    _HTML: {_HTML, _TEXT, _XML},
    _SVG: {_SVG},
}
_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*",
)
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe",
                b"<meta", b"<a ", b"<img", b"<div", b"<form", b"<object", b"<embed")
_SNIFF_BYTES = 4096


def _sniff(data: bytes) -> str:
    head = data[:_SNIFF_BYTES]
    if looks_like_pdf(head):
        return _PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _ZIP
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    bmp = head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00"  # reserved fields are zero
    if head.startswith(_IMAGE_MAGIC) or webp or bmp:
        return _IMAGE
    lowered = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if lowered.startswith(_HTML_STARTS) or b"<html" in lowered[:1024]:
        return _HTML
    if lowered.startswith(b"<"):
        # An auto-présentable document is a stylesheet whose CDA may sit far down the file.
        if b"ClinicalDocument" in data and b"urn:hl7-org:v3" in data:
            return _CDA
        if b"<svg" in lowered:
            return _SVG
        return _XML
    if b"\x00" in head:
        return _BINARY
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the sniffing window
            controls = sum(b < 9 or 13 < b < 32 for b in head)
            return _BINARY if controls > len(head) // 100 else _TEXT
    return _TEXT


def _claim(filename: str | None, mime_type: str | None) -> str | None:
    mime = (mime_type or "").split(";", 1)[0].strip().lower()
    if mime in _MIME_TYPES:
        return _MIME_TYPES[mime]
    if mime.startswith("image/"):
        return _IMAGE
    if mime.startswith("text/"):
        return _TEXT
    extension = posixpath.splitext((filename or "").replace("\\", "/").lower())[1]
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    return None


def _unsafe_member(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        normalized.startswith("/")
        or (len(normalized) > 1 and normalized[1] == ":")
        or "\x00" in normalized
        or ".." in normalized.split("/")
    )


def _zip_choice(data: bytes, filename: str | None, allow_archives: bool) -> PreviewChoice:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        return PreviewChoice(PreviewKind.UNSUPPORTED, translate(
            "PreviewDispatcher", "Archive ZIP illisible ou endommagée."))
    if any(_unsafe_member(n) for n in names):
        return PreviewChoice(
            PreviewKind.REFUSED,
            translate("PreviewDispatcher", "Archive refusée : un de ses fichiers porte un chemin "
                      "qui sortirait de l'archive."),
        )
    folded = [n.replace("\\", "/").casefold() for n in names]
    is_xdm = (
        (filename or "").replace("\\", "/").rsplit("/", 1)[-1].casefold() == "ihe_xdm.zip"
        or any(posixpath.basename(n) == "metadata.xml" for n in folded)
        or any("ihe_xdm/" in n for n in folded)
    )
    if not is_xdm:
        return PreviewChoice(PreviewKind.UNSUPPORTED,
                             translate("PreviewDispatcher",
                                       "Archive ZIP : son contenu n'est pas prévisualisé."))
    if not allow_archives:
        return PreviewChoice(PreviewKind.UNSUPPORTED,
                             translate("PreviewDispatcher",
                                       "Paquet IHE XDM imbriqué dans un autre : non ouvert."))
    return PreviewChoice(PreviewKind.XDM)


def choose_preview(
    data: bytes,
    *,
    filename: str | None = None,
    mime_type: str | None = None,
    allow_archives: bool = True,
) -> PreviewChoice:
    """The viewer for ``data`` given what its sender called it (pure; no Qt object)."""
    if not data:
        return PreviewChoice(PreviewKind.UNSUPPORTED,
                             translate("PreviewDispatcher", "Le fichier est vide."))
    content = _sniff(data)
    claim = _claim(filename, mime_type)
    if claim is not None and content not in _COMPATIBLE[claim]:
        return PreviewChoice(
            PreviewKind.REFUSED,
            translate("PreviewDispatcher", "Le fichier se présente comme {claim} mais contient "
                      "{content} : il n'est pas affiché par prudence.").format(
                claim=translate("PreviewDispatcher", str(_CLAIM_LABELS[claim])),
                content=translate("PreviewDispatcher", str(_CONTENT_LABELS[content]))),
        )
    if content == _PDF:
        return PreviewChoice(PreviewKind.PDF)
    if content == _ZIP:
        return _zip_choice(data, filename, allow_archives)
    if content == _IMAGE:
        return PreviewChoice(PreviewKind.IMAGE)
    if content == _CDA:
        return PreviewChoice(PreviewKind.CDA)
    if content in (_XML, _TEXT) or (content == _HTML and claim in (_HTML, _TEXT)):
        # HTML declared as HTML or text is shown as its source text, never interpreted here.
        return PreviewChoice(PreviewKind.TEXT)
    if content == _HTML:
        return PreviewChoice(
            PreviewKind.REFUSED,
            translate("PreviewDispatcher",
                      "Ce fichier contient une page HTML sans le déclarer : il n'est pas affiché."),
        )
    if content == _SVG:
        return PreviewChoice(
            PreviewKind.UNSUPPORTED,
            translate("PreviewDispatcher", "Les images SVG ne sont pas prévisualisées (elles "
                      "peuvent contenir des scripts)."),
        )
    return PreviewChoice(PreviewKind.UNSUPPORTED,
                         translate("PreviewDispatcher", "Ce type de fichier n'a pas d'aperçu."))


class UnavailablePreview(PreviewFrame):
    """"Aperçu non disponible" (with "Enregistrer sous…") or a refusal (without)."""

    def __init__(self, choice: PreviewChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        refused = choice.kind is PreviewKind.REFUSED
        title = self.tr("Aperçu refusé") if refused else self.tr("Aperçu non disponible")
        self.show_failure(choice.reason or "", title=title, can_save=not refused)


def create_preview(
    data: bytes,
    *,
    executor: Executor,
    filename: str | None = None,
    mime_type: str | None = None,
    charset: str | None = None,
    allow_archives: bool = True,
    parent: QWidget | None = None,
) -> PreviewFrame:
    """The preview widget for an attachment; its ``choice`` attribute says which and why."""
    choice = choose_preview(data, filename=filename, mime_type=mime_type,
                            allow_archives=allow_archives)
    widget: PreviewFrame
    if choice.kind is PreviewKind.PDF:
        widget = PdfPreview(data, parent=parent)
    elif choice.kind is PreviewKind.CDA:
        widget = CdaPreview(data, executor=executor, parent=parent)
    elif choice.kind is PreviewKind.XDM:
        widget = XdmPreview(data, executor=executor, parent=parent)
    elif choice.kind is PreviewKind.IMAGE:
        widget = ImagePreview(data, executor=executor, parent=parent)
    elif choice.kind is PreviewKind.TEXT:
        widget = TextPreview(data, executor=executor, charset=charset, parent=parent)
    else:
        widget = UnavailablePreview(choice, parent=parent)
    widget.choice = choice
    return widget
