"""Every real third-party message of ../shared/corpus/mime parses, never raising (issue 3).

Oracles: stalwart-mail-parser's ``.json`` expected parses (subject, from, to, message-id, text
body, attachment names) and james-mime4j's ``_decoded_*`` part bodies. Where our reading differs
from the oracle on purpose, the message is listed below with the reason; nothing else is skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.protocols.mime.extraction_process import ExtractionProcess
from app.protocols.mime.index_text import extract
from app.protocols.mime.parser import parse_message

pytestmark = pytest.mark.corpus

_MESSAGE_SUFFIXES = {".eml", ".msg", ".txt", ".raw", ".mbox"}
_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+[ \t]*:)")

# stalwart text bodies we do not reproduce, with the reason (malformed boundaries have no single
# right reading; ours is Python's, which keeps text rather than dropping it).
STALWART_TEXT_EXCEPTIONS = {
    "malformed/001.eml": "boundary-only body: we keep the stray '--a' line as text",
    "malformed/005.eml": "unterminated multipart: the part after the last boundary is dropped",
    "malformed/008.eml": "duplicate boundary: we keep both parts' text, stalwart the first",
    "malformed/009.eml": "nested boundary clash: we keep all three parts' text",
    "malformed/011.eml": "nested boundary clash: we keep all three parts' text",
    "malformed/016.eml": "over-long boundary line is kept as text, stalwart reads it as a close",
    "malformed/019.eml": "garbled first header line: the body starts there (RFC 5322 and mime4j's "
    "malformedHeaderStartsBody agree), stalwart skips the line",
    "malformed/020.eml": "boundary missing its leading dashes: we find no text part",
    "malformed/021.eml": "boundary missing its leading dashes: we find no text part",
    "thirdparty/002.eml": "a base64 part of pure junk ('?garbage'): decoders produce different "
    "junk bytes (both flag it; ours records the base64 defects)",
    "thirdparty/005.eml": "close boundary glued to the text ('invalid--1--') is kept as text",
}
# Header fields of stalwart's malformed/019.eml sit below the garbled line (see above).
STALWART_HEADER_EXCEPTIONS = {"malformed/019.eml"}
STALWART_ATTACHMENT_EXCEPTIONS = {
    "thirdparty/015.eml": "three message/rfc822 attachments; stalwart nests the last two in the "
    "first because of a boundary with a trailing space, we list all three",
}


def _is_message_file(path: Path) -> bool:
    if path.suffix.lower() not in _MESSAGE_SUFFIXES or "_decoded_" in path.name:
        return False
    if "LICENSE" in path.name or path.name == "README.txt" or "LICENSES" in path.parts:
        return False
    with path.open("rb") as handle:
        head = handle.read(2048).lstrip(b"\r\n")
    return bool(_HEADER_LINE.match(head))


def _messages(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "mime").rglob("*") if p.is_file() and _is_message_file(p))


def test_every_message_parses_without_raising(corpus: Path) -> None:
    paths = _messages(corpus)
    assert len(paths) > 350, len(paths)
    broken = 0
    for path in paths:
        message = parse_message(path.read_bytes())
        for part in (*message.attachments, *message.inline_parts, *message.body_parts):
            assert isinstance(part.data(), bytes), path
        if message.broken:
            broken += 1
            assert message.broken_reason in message.defects
    # The corpus holds dozens of deliberately broken messages: they are marked, not dropped.
    assert 10 < broken < len(paths) // 2


def _matches(expected: str, actual: str) -> bool:
    """Equal, where stalwart's U+FFFD (undecodable 8-bit byte) matches any one character.

    We read raw 8-bit headers and bodies as Windows-1252 (what French mailers mean) where
    stalwart substitutes U+FFFD; the rest of the text must be identical.
    """
    if "\ufffd" not in expected:
        return expected == actual
    pattern = ".".join(re.escape(chunk) for chunk in expected.split("\ufffd"))
    return re.fullmatch(pattern, actual, flags=re.DOTALL) is not None


def _header(part: dict[str, Any], name: str) -> Any:
    return next((h["value"] for h in part["headers"] if h["name"] == name), None)


def _expected_addresses(value: Any) -> list[str]:
    if not value:
        return []
    found = value.get("Address", {})
    items = found.get("List") or [a for g in found.get("Group", []) for a in g["addresses"]]
    return [item["address"] for item in items if item.get("address")]


def _text(value: str) -> str:
    # Lone CRs become line breaks in our text body; stalwart keeps them.
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _param(value: Any, names: tuple[str, ...]) -> str | None:
    if not value or "ContentType" not in value:
        return None
    for attribute in value["ContentType"].get("attributes") or []:
        if attribute["name"] in names:
            return str(attribute["value"])
    return None


def test_stalwart_expected_parses(corpus: Path) -> None:
    root = corpus / "mime" / "stalwart-mail-parser" / "resources" / "eml"
    compared = {"subject": 0, "text": 0, "attachments": 0}
    for eml in sorted(root.rglob("*.eml")):
        key = f"{eml.parent.name}/{eml.name}"
        expected = json.loads(eml.with_suffix(".json").read_text())
        message = parse_message(eml.read_bytes())
        top = expected["parts"][0]
        if key not in STALWART_HEADER_EXCEPTIONS:
            subject = _header(top, "subject")
            if subject is not None:
                assert _matches(subject["Text"], message.subject), key
                compared["subject"] += 1
            message_id = _header(top, "message_id")
            if message_id is not None:
                assert message.message_id == f"<{message_id['Text']}>", key
            for name, ours in (("from", message.from_), ("to", message.to)):
                wanted = _expected_addresses(_header(top, name))
                assert [a for _, a in ours if a] == wanted, (key, name)
        bodies = [expected["parts"][i]["body"] for i in expected["text_body"]]
        if key not in STALWART_TEXT_EXCEPTIONS and bodies and all("Text" in b for b in bodies):
            wanted_text = _text("\n".join(b["Text"] for b in bodies))
            assert _matches(wanted_text, _text(message.text_body or "")), key
            compared["text"] += 1
        if key not in STALWART_ATTACHMENT_EXCEPTIONS:
            names = []
            for index in expected["attachments"]:
                part = expected["parts"][index]
                name = _param(_header(part, "content_disposition"), ("filename",)) or _param(
                    _header(part, "content_type"), ("name",)
                )
                if name:
                    # We keep the base name only (a path in a name must not reach the disk);
                    # stalwart reads "C:\TEMP\x.png" with backslash escapes removed.
                    names.append(re.split(r"[\\/]", name)[-1].removeprefix("C:TEMP"))
            ours = [a.name for a in (*message.attachments, *message.inline_parts) if a.name]
            assert sorted(ours) == sorted(names), key
            compared["attachments"] += bool(names)
    assert compared["subject"] > 70 and compared["text"] > 60 and compared["attachments"] > 20


# Messages whose part numbering differs from mime4j's: their decoded bodies are compared as a
# collection (every non-empty mime4j body is one of ours) instead of path by path.
MIME4J_NUMBERING_EXCEPTIONS = {
    "2002_06_12_doublebound.msg": "an empty part between doubled boundary lines is dropped by "
    "Python's parser, so the next part is numbered one lower",
    "double-bound.msg": "same: empty parts between doubled boundaries are dropped",
}


# mime4j reads the header as continuing over a whitespace-only line, so its body is empty; we
# (Python) end the header at the first line that is not a header and keep the text as the body.
MIME4J_HEADER_END_EXCEPTIONS = {"hdr-fakeout.msg"}


# Disagreements on broken header blocks and boundaries, with the reason; for these the lines of
# one body must all be lines of the other (same text, cut at a different place), or mime4j's
# bytes a prefix of ours, and ours not empty
# when mime4j's is not.
MIME4J_CUT_EXCEPTIONS = {
    "basic-plain-with-bad-header-separator.msg": "no blank line after the header: Python starts "
    "the body at the first non-header line, mime4j reads further lines as obsolete headers",
    "malformedHeader-nocrlfcrlf.msg": "same: no blank line after the header",
    "malformedHeader-noheader.msg": "no header at all: the whole text is our body",
    "malformedHeaderStartsBody-nocrlfcrlf.msg": "same: no blank line after the header",
    "malformedHeaderStartsBody-noheader.msg": "no header at all: the whole text is our body",
    "obsolete.msg": "obsolete 'Subject :' (space before the colon) ends the header for Python",
    "multipartemptypart.msg": "a multipart whose only part is empty: Python gives the epilogue",
    "very-long-boundary.msg": "boundary longer than RFC 2046's 70 characters: we honour it, "
    "mime4j does not and keeps the boundary lines as text",
    "very-very-long-boundary.msg": "same: boundary longer than 70 characters",
    "weird-boundary.msg": "same: boundary longer than 70 characters",
    "multi-frag.msg": "base64 GIF with a trailing partial quantum: we decode 2 more bytes",
}


def _lines(data: bytes) -> bytes:
    # mime4j writes text bodies with the platform's line ends, and keeps a final line break
    # before the next boundary that RFC 2046 (and Python) give to the boundary.
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def _mime4j_path(decoded_name: str, stem: str) -> str:
    """``x_decoded_1_2_1.txt`` -> our IMAP-style path: "2.1" (single part: "1")."""
    numbers = decoded_name.removeprefix(f"{stem}_decoded_").rsplit(".", 1)[0].split("_")
    return ".".join(numbers[1:]) or "1"


def test_mime4j_decoded_bodies(corpus: Path) -> None:
    root = corpus / "mime" / "james-mime4j" / "core" / "src" / "test" / "resources"
    compared = 0
    failures: list[tuple[str, str]] = []
    for msg in sorted(root.rglob("*.msg")):
        decoded = sorted(msg.parent.glob(f"{msg.stem}_decoded_*"))
        decoded = [d for d in decoded if d.suffix in (".txt", ".bin")]
        if not decoded:
            continue
        message = parse_message(msg.read_bytes())
        ours = {p.part_path: p for p in (*message.body_parts, *message.attachments,
                                         *message.inline_parts)}
        if msg.name in MIME4J_HEADER_END_EXCEPTIONS:
            assert "not properly terminated" in (message.text_body or ""), msg.name
            continue
        if msg.name in MIME4J_NUMBERING_EXCEPTIONS:
            bodies = {_lines(p.data()) for p in ours.values()}
            for expected in decoded:
                if expected.stat().st_size:
                    assert _lines(expected.read_bytes()) in bodies, (msg.name, expected.name)
                    compared += 1
            continue
        for expected in decoded:
            path = _mime4j_path(expected.name, msg.stem)
            part = ours.get(path)
            # Parts inside an attached message/rfc822 are not walked (the attachment is one
            # unit): mime4j's deeper paths have no counterpart here and are not compared, nor is
            # the attached message itself (mime4j numbers its body, we return the message).
            if part is None or part.content_type.startswith("message/"):
                continue
            data, want = part.data(), expected.read_bytes()
            if expected.suffix == ".txt":
                data, want = _lines(data), _lines(want)
            if msg.name in MIME4J_CUT_EXCEPTIONS:
                ours_lines, want_lines = set(data.splitlines()), set(want.splitlines())
                same_text = want_lines <= ours_lines or ours_lines <= want_lines
                assert same_text or data.startswith(want), (msg.name, path)
                assert data or not want, (msg.name, path)
                compared += 1
            elif data != want:
                failures.append((msg.name, path))
            else:
                compared += 1
    assert failures == []
    assert compared > 100, compared


def test_the_sync_extraction_child_reads_every_message_as_the_process_does(corpus: Path) -> None:
    """The initial sync extracts index text in a child process (extraction_process): for every
    real message, malformed ones included, it must give exactly the in-process result."""
    raws = [path.read_bytes() for path in _messages(corpus)]
    assert len(raws) > 100
    with ExtractionProcess() as child:
        got = child.extract_batch(raws)
        assert not child.failed
    want = [extract(raw, headers=False) for raw in raws]
    assert [(g.text, g.attachments, g.broken) for g in got] == \
        [(w.text, w.attachments, w.broken) for w in want]
