"""A received message as the client understands it: headers, best texts, attachments, report.

Produced by ``app.protocols.mime.parser.parse_message`` from raw bytes that may be malformed in any
way; nothing here re-parses MIME. Attachment bytes are not decoded when the message is parsed
(PERFORMANCE.md: eager attachment decoding is most of a naive ingest): each attachment holds a
loader that decodes its part on request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

# (display name, address); either may be "" when the header only gave one of them.
NamedAddress = tuple[str, str]
# An ordered header-like block: (field name as written, unfolded value).
FieldBlock = tuple[tuple[str, str], ...]

XDM_ATTACHMENT_NAME = "ihe_xdm.zip"

_MSGID_IN_BRACKETS = re.compile(r"<([^<>]*)>")


def normalize_message_id(text: str | None) -> str | None:
    """``<id>`` with no whitespace, or None; accepts bare ids and the spaces real MDNs put inside.

    A msg-id cannot contain whitespace (RFC 5322), so removing it only repairs damage such as
    ``<199509192301.23456 >`` in the ANS example; case is kept (the left part is case-sensitive).
    """
    if not text:
        return None
    match = _MSGID_IN_BRACKETS.search(text)
    inner = match.group(1) if match else text
    compact = "".join(inner.split())
    if not compact or len(compact) > 998:
        return None
    return f"<{compact}>"


def message_id_list(text: str | None) -> tuple[str, ...]:
    """Every msg-id of a References/In-Reply-To value, normalised, in order, without repeats."""
    if not text:
        return ()
    found = [normalize_message_id(m) for m in _MSGID_IN_BRACKETS.findall(text)]
    if not found:
        # Bare ids separated by spaces (seen in broken mailers).
        found = [normalize_message_id(token) for token in text.split()]
    seen: dict[str, None] = {}
    for item in found:
        if item is not None:
            seen.setdefault(item, None)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class MssHeaders:
    """The MSSanté ``X-MSS-*`` headers (spec §6), raw but trimmed; None when absent."""

    codecda: str | None = None
    ins: str | None = None
    nil: str | None = None
    mes: str | None = None

    @property
    def closes_conversation(self) -> bool:
        """``X-MSS-MES: FIN`` (ECO.2.2.8)."""
        return self.mes is not None and self.mes.strip().upper() == "FIN"


@dataclass(frozen=True, slots=True, eq=False)
class Attachment:
    """One attachment (or inline part). ``data()`` decodes the part only when called."""

    name: str | None
    content_type: str
    size: int
    part_path: str
    loader: Callable[[], bytes] = field(repr=False)
    content_id: str | None = None
    disposition: str | None = None
    # True when ``size`` is exact (7bit/8bit/binary/base64), False when estimated (QP, uuencode).
    size_exact: bool = True

    def data(self) -> bytes:
        """The decoded bytes of the part (never raises on damaged encodings: best effort)."""
        return self.loader()

    @property
    def is_xdm(self) -> bool:
        return self.name is not None and self.name.strip().casefold() == XDM_ATTACHMENT_NAME


@dataclass(frozen=True, slots=True)
class ReportPart:
    """A ``multipart/report`` (RFC 6522) taken apart; interpreted by the receipts parser."""

    report_type: str  # lower case: "delivery-status", "disposition-notification", ...
    human_text: str | None
    # The machine-readable part's field blocks, in order (a DSN has a per-message block, then one
    # per recipient; an MDN has one).
    field_blocks: tuple[FieldBlock, ...]
    # Headers of the returned original (message/rfc822 or text/rfc822-headers), if any.
    original_headers: FieldBlock = ()


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A message read from raw bytes. Built even from garbage: check ``broken`` and ``defects``."""

    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    date: datetime | None = None  # timezone-aware
    from_: tuple[NamedAddress, ...] = ()
    to: tuple[NamedAddress, ...] = ()
    cc: tuple[NamedAddress, ...] = ()
    reply_to: tuple[NamedAddress, ...] = ()
    sender: tuple[NamedAddress, ...] = ()
    return_path: str | None = None
    subject: str = ""
    mss: MssHeaders = MssHeaders()
    disposition_notification_to: tuple[NamedAddress, ...] = ()
    original_recipient: str | None = None
    auto_submitted: str | None = None
    content_type: str = "text/plain"
    # Best plain text: text/plain preferred, else the HTML part converted to text.
    text_body: str | None = None
    # The raw HTML (decoded to str); the reader must sanitise it before showing it.
    html_body: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # Parts referenced from HTML by ``cid:`` (Content-ID), not shown as attachments.
    inline_parts: tuple[Attachment, ...] = ()
    # The text/plain and text/html parts the bodies were built from (paths for "show part").
    body_parts: tuple[Attachment, ...] = ()
    report: ReportPart | None = None
    raw_size: int = 0
    defects: tuple[str, ...] = ()
    # French reason when the structure is damaged enough that parts may be missing or merged.
    broken_reason: str | None = None

    @property
    def broken(self) -> bool:
        return self.broken_reason is not None

    @property
    def is_xdm(self) -> bool:
        """True when an ``IHE_XDM.ZIP`` is attached (structured documents, spec §6)."""
        return any(a.is_xdm for a in self.attachments)

    @property
    def xdm_attachment(self) -> Attachment | None:
        return next((a for a in self.attachments if a.is_xdm), None)

    @property
    def from_address(self) -> str | None:
        """The first From address (bare), the one replies and conversations key on."""
        return next((addr for _, addr in self.from_ if addr), None)

    def inline_part(self, content_id: str) -> Attachment | None:
        """The inline part for ``cid:xyz`` or ``<xyz>``."""
        wanted = content_id.removeprefix("cid:").strip().strip("<>")
        for part in self.inline_parts:
            if part.content_id is not None and part.content_id.strip("<>") == wanted:
                return part
        return None
