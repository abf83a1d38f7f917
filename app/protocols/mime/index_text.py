"""Text for the search index and the list: fast, tolerant, never raises.

This is not the MIME parser (``parser.py`` will be): it walks the raw bytes just enough to pull out
what search needs — decoded header fields, the text of ``text/*`` parts, attachment names — and
never decodes an attachment (the measured cost of eager parsing is base64-decoding attachments).
Multipart bodies are split with a regular expression on the boundary lines instead of the stdlib
feed parser, which would scan every line of a 300 KB base64 attachment in Python.

Anything malformed yields best-effort text plus a ``broken`` reason; nothing is dropped.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email.utils
import html
import quopri
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

MAX_TEXT_CHARS = 200_000  # indexed text per message; the rest adds little to search
MAX_DEPTH = 12
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
# Runs of blanks, each to become one space; a lone space (between most words) is left out of the
# matches: replacing it by itself was most of the text clean-up's time.
_SPACES = re.compile(r"[\t\r\f\v][ \t\r\f\v]*| [ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# 8-bit bytes of a header, kept by compat32 as lone surrogates.
_SURROGATE = re.compile("[\udc80-\udcff]")
_UNFOLD = re.compile(r"\r?\n[ \t]*")
_header_parser = BytesHeaderParser(policy=compat32)


@dataclass(frozen=True)
class AttachmentName:
    name: str
    type: str
    size: int  # decoded size estimate (base64 * 3/4), bytes


@dataclass(frozen=True)
class HeaderSummary:
    message_id: str | None
    date: int  # seconds since the epoch, 0 when absent or unreadable
    subject: str
    from_name: str
    from_addr: str
    to_display: str
    to_addrs: str
    cc_display: str
    cc_addrs: str
    content_type: str
    is_xdm: bool


@dataclass
class IndexText:
    headers: HeaderSummary
    text: str
    attachments: list[AttachmentName] = field(default_factory=list)
    broken: str | None = None

    @property
    def has_attachments(self) -> bool:
        return bool(self.attachments)


# --- headers -----------------------------------------------------------------------------------


def decode_words(value: object) -> str:
    """An RFC 2047 header value as text; undecodable pieces are kept as is."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, email.header.Header):
        try:
            return str(make_header(decode_header(value)))
        except Exception:
            return text
    try:
        if "=?" in text:
            return " ".join(str(make_header(decode_header(text))).split())
    except Exception:
        # An unknown charset (LookupError) or a damaged word: decoded as the reader decodes it
        # (parser.py), so that the list and the search show what the message window shows.
        from app.protocols.mime.parser import decode_header_text

        return " ".join(decode_header_text(text).split())
    return " ".join(text.split())


def _clean_header(value: object) -> str:
    text = str(value)
    if _SURROGATE.search(text):
        try:
            text = _decode_bytes(text.encode("ascii", "surrogateescape"), "utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    if "\n" in text:
        text = _UNFOLD.sub(" ", text)
    return text.strip()


def _raw_header(msg: Message, name: str) -> str:
    """The first ``name`` header, unfolded, 8-bit bytes read as UTF-8 (else Windows-1252)."""
    wanted = name.lower()
    value: object = None
    try:
        # raw_items(): compat32 would turn a value with 8-bit bytes into an "unknown-8bit" Header.
        value = next((v for k, v in msg.raw_items() if k.lower() == wanted), None)
    except Exception:
        value = None
    if value is None:
        return ""
    return _clean_header(value)


def _header_map(msg: Message) -> dict[str, str]:
    """Every header's first occurrence, cleaned as ``_raw_header`` does, in one walk."""
    found: dict[str, object] = {}
    try:
        for key, value in msg.raw_items():
            found.setdefault(key.lower(), value)
    except Exception:
        return {}
    return {key: _clean_header(value) for key, value in found.items()}


# "Name <a@b>" or "a@b", comma-separated, nothing that needs the full RFC 5322 grammar.
_SIMPLE_ADDRESS = re.compile(
    r"^\s*(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>\s]+)>|(?P<bare>[^<>\s]+))\s*$")


def _address_pairs(raw: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header (email.utils.getaddresses' result).

    The stdlib parser is pure Python and was a third of the indexing time; plain lists (no
    quotes, comments or groups) are split here, anything else goes to the stdlib.
    """
    if not any(ch in raw for ch in '"():;\\'):
        pairs: list[tuple[str, str]] = []
        for piece in raw.split(","):
            if not piece.strip():
                continue
            match = _SIMPLE_ADDRESS.match(piece)
            if match is None:
                break
            if match["bare"] is not None:
                pairs.append(("", match["bare"]))
            else:
                pairs.append((match["name"] or "", match["angle"]))
        else:
            return pairs
    return email.utils.getaddresses([raw])


def _addresses(raw: str) -> tuple[str, str, str]:
    """(display text, addresses joined by ", ", first display name) of an address header."""
    if not raw:
        return "", "", ""
    try:
        pairs = _address_pairs(raw)
    except Exception:
        return decode_words(raw), "", ""
    displays, addrs = [], []
    first_name = ""
    for index, (display, addr) in enumerate(pairs):
        display = decode_words(display)
        if index == 0:
            first_name = display
        addr = addr.strip()
        if addr:
            addrs.append(addr)
        if display and addr:
            displays.append(f"{display} <{addr}>")
        elif display or addr:
            displays.append(display or addr)
    return ", ".join(displays), ", ".join(addrs), first_name


def _date(raw: str) -> int:
    if not raw:
        return 0
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
        return max(0, int(parsed.timestamp()))
    except Exception:
        return 0


def summarize_headers(msg: Message) -> HeaderSummary:
    fields = _header_map(msg)
    _display, from_addrs, from_name = _addresses(fields.get("from", ""))
    first_from = from_addrs.split(", ")[0] if from_addrs else ""
    to_display, to_addrs, _ = _addresses(fields.get("to", ""))
    cc_display, cc_addrs, _ = _addresses(fields.get("cc", ""))
    message_id = fields.get("message-id", "").strip() or None
    subject = decode_words(fields.get("subject", ""))
    content_type = ""
    try:
        content_type = msg.get_content_type()
    except Exception:
        content_type = "text/plain"
    is_xdm = bool(fields.get("x-mss-codecda")) or subject.upper().startswith("XDM/")
    return HeaderSummary(
        message_id=message_id,
        date=_date(fields.get("date", "")),
        subject=subject,
        from_name=from_name,
        from_addr=first_from,
        to_display=to_display,
        to_addrs=to_addrs,
        cc_display=cc_display,
        cc_addrs=cc_addrs,
        content_type=content_type,
        is_xdm=is_xdm,
    )


# The summary of no header at all (also what body-only extraction carries).
NO_HEADERS = HeaderSummary(None, 0, "", "", "", "", "", "", "", "text/plain", False)


def parse_header_block(raw: bytes) -> HeaderSummary:
    """The summary of a header block (e.g. BODY[HEADER.FIELDS (...)]); never raises."""
    try:
        msg = _header_parser.parsebytes(raw)
        return summarize_headers(msg)
    except Exception:
        return NO_HEADERS


# --- bodies ------------------------------------------------------------------------------------


def _split(raw: bytes) -> tuple[Message, bytes, bool]:
    """The header fields of ``raw`` and its body, cut where Python's parser cuts them — so where
    the reader (parser.py) does: at the first blank line, or earlier at the first line that is not
    a header field (no header at all, a garbled line, obsolete ``Subject :``): from that line on it
    is body text, shown by the reader, so indexed. The flag: a blank line ended the header."""
    match = _HEADER_END.search(raw)
    head, body = (raw, b"") if match is None else (raw[: match.end()], raw[match.end() :])
    msg = _header_parser.parsebytes(head)
    # What the parser left after the header: the raw text itself (get_payload() would re-decode
    # 8-bit bytes with the part's charset). BytesParser read the bytes as ASCII with
    # surrogateescape: encoding back gives them exactly.
    rest = vars(msg).get("_payload")
    if isinstance(rest, str) and rest:
        body = rest.encode("ascii", "surrogateescape") + body
    return msg, body, match is not None


def _decode_bytes(data: bytes, charset: str | None) -> str:
    name = (charset or "").strip().strip('"').lower() or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        name = "utf-8"
    if name in ("us-ascii", "ascii"):
        name = "utf-8"  # 8-bit bytes labelled ASCII are nearly always UTF-8 or Latin-1
    try:
        return data.decode(name)
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if name != "utf-8":
        # A few bytes the declared charset does not map (Shift_JIS text with Windows-only
        # characters): the rest is still that charset, as the reader (parser.py) reads it.
        try:
            return data.decode(name, errors="replace")
        except Exception:
            pass
    return data.decode("cp1252", errors="replace")


def _decode_transfer(payload: bytes, cte: str) -> tuple[bytes, str | None]:
    cte = cte.strip().lower()
    if cte == "base64":
        cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", payload)
        try:
            return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4)), None
        except (binascii.Error, ValueError):
            return payload, "base64 illisible"
    if cte == "quoted-printable":
        try:
            return quopri.decodestring(payload), None
        except Exception:
            return payload, "quoted-printable illisible"
    return payload, None


def _html_to_text(text: str) -> str:
    text = _TAG.sub(" ", text)
    return html.unescape(text)


def _filename(msg: Message) -> str:
    name: object = None
    try:
        # Rebuilt from the raw values so that 8-bit names survive (see _raw_header).
        clean = Message()
        for header in ("Content-Type", "Content-Disposition"):
            value = _raw_header(msg, header)
            if value:
                clean[header] = value
        name = clean.get_filename() or clean.get_param("name")
    except Exception:
        name = None
    if isinstance(name, tuple):  # RFC 2231 triple
        try:
            name = email.utils.collapse_rfc2231_value(name)
        except Exception:
            name = str(name[2])
    return decode_words(name) if name else ""


class _Walker:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.html: list[str] = []
        self.attachments: list[AttachmentName] = []
        self.problems: list[str] = []
        self.chars = 0

    def add_text(self, text: str, *, is_html: bool) -> None:
        if self.chars >= MAX_TEXT_CHARS:
            return
        text = text[: MAX_TEXT_CHARS - self.chars]
        self.chars += len(text)
        (self.html if is_html else self.texts).append(text)

    def walk(self, raw: bytes, depth: int, *, first: bool = True) -> None:
        if depth > MAX_DEPTH:
            self.problems.append("imbrication trop profonde")
            return
        if raw.startswith((b"\r\n", b"\n")):
            # No header at all.
            msg, body = _header_parser.parsebytes(b""), raw[2 if raw.startswith(b"\r\n") else 1 :]
        else:
            msg, body, _ended = _split(raw)
        self.part(msg, body, depth, first=first)

    def part(self, msg: Message, body: bytes, depth: int, *, first: bool = True) -> None:
        """One part; ``first``: the first part of its multipart, or a message's root part."""
        try:
            ctype = msg.get_content_type()
        except Exception:
            ctype = "text/plain"
        maintype = ctype.split("/", 1)[0]
        disposition = str(msg.get("Content-Disposition", "")).split(";", 1)[0].strip().lower()
        name = _filename(msg)
        cte = str(msg.get("Content-Transfer-Encoding", "") or "")
        if maintype == "multipart":
            boundary = None
            try:
                boundary = msg.get_boundary()
            except Exception:
                boundary = None
            if not boundary:
                self.problems.append("multipart sans délimiteur")
                self.add_text(_decode_bytes(body, None), is_html=False)
                return
            texts, htmls = len(self.texts), len(self.html)
            # A folded boundary parameter keeps its line break in compat32: unfold it.
            self.multipart(body, re.sub(r"\r?\n([ \t])", r"\1", boundary), depth)
            if ctype == "multipart/alternative" and any(t.strip() for t in self.texts[texts:]):
                del self.html[htmls:]  # the HTML version of a plain text indexed already
            return
        if ctype == "message/rfc822":
            if name:
                self.attachments.append(AttachmentName(name, ctype, len(body)))
            decoded, problem = _decode_transfer(body, cte)
            if problem:
                self.problems.append(problem)
            self.walk(decoded, depth + 1)
            return
        is_text = maintype == "text" and ctype in ("text/plain", "text/html", "text/enriched")
        # RFC 8621 §4.1.4, as the reader: a named text part is an attachment unless it comes first.
        if is_text and disposition != "attachment" and (first or not name):
            decoded, problem = _decode_transfer(body, cte)
            if problem:
                self.problems.append(problem)
            charset = None
            try:
                charset = msg.get_content_charset()
            except Exception:
                charset = None
            text = _decode_bytes(decoded, charset)
            if ctype == "text/html":
                self.add_text(_html_to_text(text), is_html=True)
            else:
                self.add_text(text, is_html=False)
            return
        # An attachment (or inline non-text part): listed, never decoded.
        size = len(body) * 3 // 4 if cte.strip().lower() == "base64" else len(body)
        if name or disposition == "attachment" or maintype not in ("text", "multipart"):
            self.attachments.append(
                AttachmentName(name or f"sans-nom.{ctype.split('/')[-1]}", ctype, size)
            )

    def multipart(self, body: bytes, boundary: str, depth: int) -> None:
        try:
            marker = boundary.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            marker = boundary.encode("utf-8", "replace")
        positions = _delimiters(body, b"--" + marker)
        if not positions:
            self.problems.append("délimiteur multipart absent du corps")
            self.add_text(_decode_bytes(body, None), is_html=False)
            return
        closed = any(final for _s, _e, final in positions)
        if not closed:
            self.problems.append("délimiteur de fin manquant")
        for index, (current, following) in enumerate(
                zip(positions, [*positions[1:], None], strict=True)):
            if current[2]:
                break
            start = current[1]
            if body[start : start + 2] == b"\r\n":
                start += 2
            elif body[start : start + 1] == b"\n":
                start += 1
            end = following[0] if following is not None else len(body)
            self.walk(body[start:end], depth + 1, first=index == 0)


def _delimiters(body: bytes, dash_marker: bytes) -> list[tuple[int, int, bool]]:
    """(start, end of line before its break, is the closing one) of each delimiter line: a line
    that is ``--boundary`` or ``--boundary--``, then optional blanks (RFC 2046 §5.1.1).

    ``bytes.find`` over the body, then a check of the few hits: a ``(?m)^`` regex tried at every
    line start of a 300 KB base64 attachment cost milliseconds per message.
    """
    found: list[tuple[int, int, bool]] = []
    position = 0
    size = len(dash_marker)
    while True:
        index = body.find(dash_marker, position)
        if index < 0:
            return found
        position = index + size
        if index > 0 and body[index - 1] != 0x0A:  # not at a line start
            continue
        end = index + size
        final = body[end : end + 2] == b"--"
        if final:
            end += 2
        while end < len(body) and body[end] in (0x20, 0x09):
            end += 1
        if end < len(body) and body[end] == 0x0D:
            if end + 1 < len(body) and body[end + 1] != 0x0A:
                continue
        elif end < len(body) and body[end] != 0x0A:
            continue
        found.append((index, end, final))


def extract(raw: bytes, *, headers: bool = True) -> IndexText:
    """Headers, indexable text and attachment names of a raw message. Never raises.

    ``headers=False`` skips the header summary (left empty): the sync's body pass has it from the
    header pass already, and summarising twice was a third of the body pass.
    """
    want_headers = headers
    walker = _Walker()
    summary: HeaderSummary | None = None
    try:
        msg, body, ended = _split(raw)
        if not ended and raw.strip():
            walker.problems.append("en-têtes sans fin")
        summary = summarize_headers(msg) if want_headers else NO_HEADERS
        walker.part(msg, body, 0)
    except RecursionError:
        walker.problems.append("imbrication trop profonde")
    except Exception as exc:  # best effort: a weird message must never stop a sync
        walker.problems.append(f"message illisible ({type(exc).__name__})")
    if summary is None:
        summary = parse_header_block(raw[:65536]) if want_headers else NO_HEADERS
    text = "\n".join([*walker.texts, *walker.html])
    # CRLF made " \n" first (what the blank-run rule turns it into), at C speed: far fewer
    # regex matches on text with a line break every 80 characters.
    text = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", text.replace("\r\n", " \n"))).strip()
    broken = "; ".join(dict.fromkeys(walker.problems)) or None
    return IndexText(headers=summary, text=text, attachments=walker.attachments, broken=broken)
