"""Searchable text out of the documents attached to a message: PDF, CDA R2, IHE_XDM.ZIP.

Runs in the background (``app.services.document_indexer``), never in the sync's critical path,
and never raises: a broken or hostile document yields no text and a note, not an error.

- PDF: ``pypdf`` (pure Python), bounded by pages, input bytes, output characters and time.
- CDA R2: the project's own reader and renderer (``app.protocols.cda``), so the sender's XSL is
  never executed; the text is the rendered page (title, patient, narrative of the sections) plus
  the text of an embedded PDF (level 1 / XDS-SD).
- IHE_XDM.ZIP: ``app.protocols.xdm.reader.read_xdm`` with its guards (zip bombs, traversal,
  XML entities), then each document as above.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.message import Attachment
from app.domain.xdm import CDA_MIME_TYPE, PDF_MIME_TYPE
from app.protocols.mime.parser import html_to_text, parse_message

_log = logging.getLogger(__name__)
# pypdf reports every oddity of a damaged PDF as a warning: one line per message of a mailbox
# full of real-world PDFs. A PDF we cannot read is already recorded as such by the indexer.
logging.getLogger("pypdf").setLevel(logging.ERROR)

_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
_XML_TYPES = frozenset({"text/xml", "application/xml", CDA_MIME_TYPE, "application/hl7-cda+xml"})
_ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed",
                        "application/x-zip", "application/octet-stream"})


@dataclass(frozen=True)
class DocumentTextLimits:
    """Bounds per message: a hostile PDF must not keep a CPU worker busy for long."""

    max_pages: int = 50
    max_document_bytes: int = 30 * 1024 * 1024
    max_chars: int = 200_000
    max_seconds: float = 10.0


@dataclass
class DocumentText:
    text: str = ""
    documents: int = 0
    # Short technical notes (no content): "pdf-unreadable", "xdm-refused", "time-limit"...
    notes: list[str] = field(default_factory=list)


class _Budget:
    def __init__(self, limits: DocumentTextLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._deadline = clock() + limits.max_seconds
        self.chars = 0

    @property
    def exhausted(self) -> bool:
        return self.chars >= self.limits.max_chars or self._clock() >= self._deadline

    def take(self, text: str) -> str:
        room = max(0, self.limits.max_chars - self.chars)
        kept = text[:room]
        self.chars += len(kept)
        return kept


def pdf_text(data: bytes, limits: DocumentTextLimits | None = None, *,
             clock: Callable[[], float] = time.monotonic) -> str:
    """The text of a PDF, bounded; "" when the PDF is unreadable (never raises)."""
    return _pdf_text(data, _Budget(limits or DocumentTextLimits(), clock), [])


def _pdf_text(data: bytes, budget: _Budget, notes: list[str]) -> str:
    if len(data) > budget.limits.max_document_bytes:
        notes.append("pdf-too-large")
        return ""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        notes.append("pdf-not-a-pdf")
        return ""
    if b"%%EOF" not in data and b"obj" not in data:
        # Not one PDF object (damaged, or not a PDF past its first line): no text to find, and
        # pypdf would first read the whole file backwards one line at a time in Python looking
        # for the end marker (tens of milliseconds per attachment).
        notes.append("pdf-unreadable")
        return ""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            notes.append("pdf-encrypted")
            return ""
        chunks: list[str] = []
        for index, page in enumerate(reader.pages):
            if index >= budget.limits.max_pages:
                notes.append("pdf-page-limit")
                break
            if budget.exhausted:
                notes.append("time-or-size-limit")
                break
            chunks.append(budget.take(page.extract_text() or ""))
        return "\n".join(c for c in chunks if c)
    except Exception:  # pypdf raises many kinds on damaged files: no text, no crash
        _log.info("a PDF attachment could not be read for the index")
        notes.append("pdf-unreadable")
        return ""


def cda_text(xml: bytes, limits: DocumentTextLimits | None = None, *,
             clock: Callable[[], float] = time.monotonic) -> str:
    """Title, patient, narrative and embedded PDF text of a CDA R2; "" if unreadable."""
    return _cda_text(xml, _Budget(limits or DocumentTextLimits(), clock), [], set())


def _cda_text(xml: bytes, budget: _Budget, notes: list[str], seen: set[bytes]) -> str:
    if len(xml) > budget.limits.max_document_bytes:
        notes.append("cda-too-large")
        return ""
    try:
        from app.protocols.cda.renderer import render_cda

        rendered = render_cda(xml)
    except Exception:  # CdaError, UnsafeXmlError, anything odd: not indexed
        notes.append("cda-unreadable")
        return ""
    parts = [budget.take(html_to_text(rendered.html))]
    if rendered.embedded_pdf is not None and not budget.exhausted:
        digest = hashlib.sha256(rendered.embedded_pdf).digest()
        if digest not in seen:
            seen.add(digest)
            parts.append(_pdf_text(rendered.embedded_pdf, budget, notes))
    return "\n".join(p for p in parts if p)


def xdm_text(zip_bytes: bytes, limits: DocumentTextLimits | None = None, *,
             clock: Callable[[], float] = time.monotonic) -> str:
    """The text of every CDA/PDF/text document of an IHE XDM package; "" if refused."""
    return _xdm_text(zip_bytes, _Budget(limits or DocumentTextLimits(), clock), [], set())


def _xdm_text(zip_bytes: bytes, budget: _Budget, notes: list[str], seen: set[bytes]) -> str:
    try:
        from app.protocols.xdm.reader import read_xdm

        package = read_xdm(zip_bytes)
    except Exception:  # XdmError (guards), zip errors: not indexed
        notes.append("xdm-refused")
        return ""
    parts: list[str] = []
    for document in package.documents:
        if budget.exhausted:
            notes.append("time-or-size-limit")
            break
        parts.append(_typed_text(document.data, document.mime_type, budget, notes, seen))
    return "\n".join(p for p in parts if p)


def _typed_text(data: bytes, mime_type: str, budget: _Budget, notes: list[str],
                seen: set[bytes]) -> str:
    digest = hashlib.sha256(data).digest()
    if digest in seen:
        return ""  # the same PDF sent beside its XDM package, or embedded in its CDA
    seen.add(digest)
    if mime_type == PDF_MIME_TYPE or data[:5] == b"%PDF-":
        return _pdf_text(data, budget, notes)
    if mime_type == CDA_MIME_TYPE or mime_type in _XML_TYPES:
        return _cda_text(data, budget, notes, seen)
    if mime_type == "text/plain":
        return budget.take(data[: budget.limits.max_chars * 4].decode("utf-8", "replace"))
    return ""


def document_kind(name: str | None, content_type: str) -> str | None:
    """"pdf", "cda", "xdm" or None: which attachments are worth opening for the index."""
    lowered = (name or "").strip().casefold()
    ctype = content_type.strip().lower()
    if lowered == "ihe_xdm.zip" or (lowered.endswith(".zip") and ctype in _ZIP_TYPES):
        return "xdm"
    if ctype in _PDF_TYPES or lowered.endswith(".pdf"):
        return "pdf"
    if ctype in _XML_TYPES or lowered.endswith(".xml"):
        return "cda"
    return None


def message_document_text(raw: bytes, limits: DocumentTextLimits | None = None, *,
                          clock: Callable[[], float] = time.monotonic) -> DocumentText:
    """The searchable text of the PDF, CDA and XDM attachments of a raw message (never raises).

    A PDF attached beside its XDM package (the usual MSSanté structured message) is read once.
    """
    budget = _Budget(limits or DocumentTextLimits(), clock)
    result = DocumentText()
    try:
        message = parse_message(raw)
    except Exception:
        result.notes.append("mime-unreadable")
        return result
    seen: set[bytes] = set()
    parts: list[str] = []
    # XDM first: its CDA carries the title and the patient; a duplicate PDF is then skipped.
    ordered = sorted(message.attachments,
                     key=lambda a: document_kind(a.name, a.content_type) != "xdm")
    for attachment in ordered:
        kind = document_kind(attachment.name, attachment.content_type)
        if kind is None:
            continue
        if budget.exhausted:
            result.notes.append("time-or-size-limit")
            break
        text = _attachment_text(attachment, kind, budget, result.notes, seen)
        result.documents += 1
        if text:
            parts.append(text)
    result.text = "\n".join(parts)
    return result


def _attachment_text(attachment: Attachment, kind: str, budget: _Budget, notes: list[str],
                     seen: set[bytes]) -> str:
    if attachment.size > budget.limits.max_document_bytes:
        notes.append(f"{kind}-too-large")
        return ""
    try:
        data = attachment.data()
    except Exception:
        notes.append(f"{kind}-undecodable")
        return ""
    if kind == "xdm":
        digest = hashlib.sha256(data).digest()
        if digest in seen:
            return ""
        seen.add(digest)
        return _xdm_text(data, budget, notes, seen)
    return _typed_text(data, PDF_MIME_TYPE if kind == "pdf" else CDA_MIME_TYPE, budget, notes,
                       seen)


__all__ = [
    "DocumentText",
    "DocumentTextLimits",
    "cda_text",
    "document_kind",
    "message_document_text",
    "pdf_text",
    "xdm_text",
]
