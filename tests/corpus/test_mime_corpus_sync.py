"""Every third-party message of ../shared/corpus/mime APPENDed to the sandbox and synced (issue 3).

Which files are messages: MANIFEST.md and each source's own tests (a file its tests parse as a
message, or an mbox they split). Every other file of the corpus is named below with the reason it
is not a message, so that a file added to the corpus is classified, never silently skipped.

Delivery: one MULTIAPPEND per source folder to the real Dovecot of the sandbox, with CRLF line
ends, as mail arrives (RFC 5321 §2.3.8 forbids bare CR and LF in SMTP; imaplib's single APPEND
converts them too, MULTIAPPEND sends the literal as given). Dovecot refuses none of the messages,
NUL bytes and over-long lines included, so no other path (LMTP, which delivers to INBOX only here)
is needed: a refusal fails the test, naming each refused message with the server's answer.

Then one sync of the account, and for every message: stored (its raw bytes exactly as Dovecot
serves them, state ``complete``, or ``broken`` with a reason), listed in its folder (server count ==
store count), and found by search — by a word the message window shows (see ``_tokens``).
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from app.protocols.mime.parser import parse_message
from tests.integration.sync_helpers import imap_as, local_folder, new_profile
from tests.sandbox import demo_world as world

pytestmark = [pytest.mark.sandbox, pytest.mark.corpus]

# The message files of each source (globs under its folder): what its own tests parse as a message.
MESSAGES: dict[str, tuple[str, ...]] = {
    "stalwart-mail-parser": (
        "resources/eml/*/*.eml",
        # Its maildir reader's fixtures: six one-line messages ("a\n" … "f\n"), no header at all.
        "resources/maildir/cur/*", "resources/maildir/new/*",
        "resources/maildir/.*/cur/*", "resources/maildir/.*/new/*",
    ),
    "james-mime4j": (
        "core/src/test/resources/testmsgs/*.msg",
        "core/src/test/resources/mimetools-testmsgs/*.msg",
        "dom/src/test/resources/*.msg",
        "james-utils/src/test/resources/*.msg",
        # The five messages of mbox.rlug as mime4j's mbox test expects them split (checked below).
        "mbox/src/test/resources/test-1/mbox.rlug-[0-9]",
    ),
    "mimekit": (
        "UnitTests/TestData/messages/*.txt",
        "UnitTests/TestData/messages/*.eml",
        "UnitTests/TestData/partial/*.eml",
        "UnitTests/TestData/dkim/*.msg",
        "UnitTests/TestData/tnef/*.eml",
        "UnitTests/TestData/smime/*.txt",
        "UnitTests/TestData/openpgp/*.eml",
        "UnitTests/TestData/yenc/*.msg",
        "UnitTests/TestData/yenc/0*.ntx",  # yEnc-encoded Usenet articles
        "Benchmarks/TestData/messages/*.eml",
    ),
    "enmime": ("dsn/testdata/*.raw", "testdata/*/*.raw"),
    "ruby-mail": ("spec/fixtures/emails/*/*.eml", "spec/fixtures/attachments/*.eml"),
    # Hunnysoft samples, and the header blocks its ParserHeadersIntegrationTest parses as messages.
    "mail-mime-parser": ("tests/_data/emails/*.txt", "tests/_data/headers/*"),
}

# mbox files, split into their messages: MimeKit's own message offsets where it ships them, else
# at every "From " line (MimeKit's reading: its TestUnmungedFromLines expects 4 messages from
# unmunged.mbox.txt). Path -> how many messages its source's tests find in it.
MBOXES: dict[str, int] = {
    "mimekit/UnitTests/TestData/mbox/content-length.mbox.txt": 29,
    "mimekit/UnitTests/TestData/mbox/issue1189.mbox.txt": 4,
    "mimekit/UnitTests/TestData/mbox/simple.mbox.txt": 3,
    "mimekit/UnitTests/TestData/mbox/unmunged.mbox.txt": 4,
}
# An mbox whose messages are in the corpus as files already (mime4j's split oracle).
MBOX_SPLIT_AS = ("james-mime4j/mbox/src/test/resources/test-1/mbox.rlug",
                 "james-mime4j/mbox/src/test/resources/test-1/mbox.rlug-{}")

# Every other file of the corpus (fnmatch on the path under mime/, ``*`` crosses folders; the
# message globs above come first).
NOT_MESSAGES: tuple[tuple[str, str], ...] = (
    ("*/LICENSE", "licence"), ("*/NOTICE", "licence"), ("*/MIT-LICENSE", "licence"),
    ("*/COPYING", "licence"), ("*/LICENSES/*", "licence"), ("*/ARTISTIC-LICENSE.txt", "licence"),
    ("*/README.txt", "readme"), ("*/README.md", "readme"),
    ("stalwart-mail-parser/resources/*.json", "expected parses of raw header values"),
    ("stalwart-mail-parser/resources/eml/*.json", "expected parse of the .eml beside it"),
    ("james-mime4j/*.xml", "expected structure of the .msg beside it"),
    ("james-mime4j/*.out", "expected round trip of the .msg beside it"),
    ("james-mime4j/*_decoded_*", "expected decoded part of the .msg beside it"),
    (MBOX_SPLIT_AS[0], "the mbox of the mbox.rlug-N messages (its split is checked against them)"),
    ("mimekit/UnitTests/TestData/mbox/*-summary.txt", "expected structure of an mbox"),
    ("mimekit/UnitTests/TestData/mbox/*-offsets.json", "message offsets of an mbox (to split it)"),
    ("mimekit/UnitTests/TestData/tnef/*", "TNEF streams, their listings and extracted files"),
    ("mimekit/UnitTests/TestData/smime/*", "S/MIME keys, certificates and certificate stores"),
    ("mimekit/UnitTests/TestData/openpgp/*", "OpenPGP keys and configuration"),
    ("mimekit/UnitTests/TestData/dkim/*", "DKIM keys and DNS records"),
    ("mimekit/UnitTests/TestData/encoders/*", "encoder input and expected outputs"),
    ("mimekit/UnitTests/TestData/html/*", "HTML tokenizer inputs and expected tokens"),
    ("mimekit/UnitTests/TestData/text/*", "text and HTML converter inputs"),
    ("mimekit/UnitTests/TestData/images/*", "an image"),
    ("mimekit/UnitTests/TestData/yenc/*", "yEnc decoder state tests and the decoded image"),
    ("enmime/testdata/encode/*.golden", "the encoder's expected outputs"),
    ("enmime/testdata/attach/*", "an attachment file"),
    ("ruby-mail/spec/fixtures/attachments/*", "attachment files"),
    ("ruby-mail/spec/fixtures/emails/.gitattributes", "git settings"),
    ("ruby-mail/spec/fixtures/emails/sample_output_multipart", "an empty expected-output file"),
    ("mail-mime-parser/tests/_data/emails/files/*", "the original attachments of the samples"),
    ("mail-mime-parser/tests/MailMimeParser/*", "expected values (PHP test code)"),
)

# Messages in which the message window shows nothing to search by: no subject, no sender, no
# text, no attachment name (structure tests made of headers, boundaries and empty parts).
NOTHING_TO_SEARCH: dict[str, str] = {
    "enmime/testdata/parts/barren-content-type.raw": "a lone part header, empty body",
    "enmime/testdata/parts/ctype-invalid-characters.raw": "a lone part header, empty body",
    "enmime/testdata/parts/header-only.raw": "a lone part header, no body",
    "enmime/testdata/parts/malformed-content-type-params.raw": "a lone part header, no body",
    "enmime/testdata/parts/missing-closing-param-quote.raw": "a lone part header, empty body",
    "james-mime4j/core/src/test/resources/testmsgs/ending-boundaries.msg":
        "boundaries only, no part holds text",
    "james-mime4j/core/src/test/resources/testmsgs/missing-boundary.msg":
        "its boundary never occurs: no part to show",
    "mimekit/UnitTests/TestData/messages/multipart-related-mhtml.txt":
        "multipart/related whose root (first part, RFC 2387) is an image, no sender or subject",
    "stalwart-mail-parser/resources/eml/malformed/000.eml": "empty parts between boundaries",
    "stalwart-mail-parser/resources/eml/malformed/002.eml": "its boundary never occurs",
    "stalwart-mail-parser/resources/eml/malformed/004.eml": "its boundary never occurs",
    "stalwart-mail-parser/resources/eml/malformed/005.eml": "its boundary never occurs",
    "stalwart-mail-parser/resources/eml/malformed/007.eml": "empty parts between boundaries",
    "stalwart-mail-parser/resources/eml/malformed/010.eml": "an attached message holding '1'",
    "stalwart-mail-parser/resources/eml/malformed/012.eml": "attached messages holding numbers",
}
# Where the message window shows text that the index does not hold, on purpose.
TEXT_NOT_INDEXED: dict[str, str] = {
    "enmime/testdata/mail/mime-bad-content-transfer-encoding.raw":
        "declared base64 but plain text: the window shows Python's fallback, the lines glued "
        "together ('priptyasp' + 'smoorbrooft'); the index keeps the lines as written",
    "james-mime4j/core/src/test/resources/testmsgs/multipartemptypart.msg":
        "the only part is empty: the window shows Python's reading, the epilogue after the close "
        "delimiter; the index, as RFC 2046 says, ignores the epilogue",
}

# A word: a run of letters and digits between separators of the index's tokenizer (unicode61:
# spaces, punctuation, symbols, controls), so that it is one of its tokens. A run touching anything
# else is skipped: U+FFFD (a byte the window could not decode, which the index may have decoded),
# combining marks, unassigned code points (decoding garbage).
_RUN = re.compile(r"[^\W_]+")
_LINE_ENDS = re.compile(rb"\r\n|\r(?!\n)|\n")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([\d:,]+)\]")
_TEXT_CHARS = 50_000  # the index keeps the first 200,000 characters of a message's text


@dataclass(frozen=True)
class CorpusMessage:
    name: str  # its path under mime/, with "#n" for the n-th message of an mbox
    raw: bytes  # as delivered (CRLF line ends)

    @property
    def source(self) -> str:
        return self.name.split("/", 1)[0]


def _delivered(raw: bytes) -> bytes:
    return _LINE_ENDS.sub(b"\r\n", raw)


def _split_mbox(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    stem = path.name.removesuffix(".mbox.txt")
    newline = "dos" if b"\r\n" in raw else "unix"
    offsets = path.with_name(f"{stem}.{newline}-offsets.json")
    if offsets.is_file():
        return [raw[m["beginOffset"]:m["endOffset"]] for m in json.loads(offsets.read_text())]
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    starts = [m.start() for m in re.finditer(rb"^From ", raw, re.MULTILINE)]
    # A message runs from the line after its "From " line to the next one (mime4j's split).
    ends = [*starts[1:], len(raw)]
    return [raw[raw.index(b"\n", start) + 1 : end] for start, end in zip(starts, ends, strict=True)]


def _corpus_messages(mime: Path) -> list[CorpusMessage]:
    files = {path.relative_to(mime).as_posix(): path
             for path in mime.rglob("*") if path.is_file()}
    message_files = {path.relative_to(mime).as_posix()
                     for source, globs in MESSAGES.items() for pattern in globs
                     for path in (mime / source).glob(pattern) if path.is_file()}
    unclassified = sorted(
        name for name in files
        if name not in message_files and name not in MBOXES
        and not any(fnmatch.fnmatchcase(name, pattern) for pattern, _why in NOT_MESSAGES))
    assert unclassified == [], "corpus files neither messages nor known non-messages"
    messages = [CorpusMessage(name, _delivered(files[name].read_bytes()))
                for name in sorted(message_files)]
    for name, count in MBOXES.items():
        parts = _split_mbox(files[name])
        assert len(parts) == count, name
        messages += [CorpusMessage(f"{name}#{i}", _delivered(part))
                     for i, part in enumerate(parts, 1)]
    mbox, member = MBOX_SPLIT_AS
    split = _split_mbox(files[mbox])
    assert split == [files[member.format(i)].read_bytes() for i in range(len(split))]
    return messages


def _separator(char: str) -> bool:
    category = unicodedata.category(char)
    return (category[0] in "ZPS" and char != "\ufffd") or category == "Cc"


def _word(text: str) -> str | None:
    """The longest word of ``text``: the most specific thing a user would type."""
    words = [m.group() for m in _RUN.finditer(text)
             if (m.start() == 0 or _separator(text[m.start() - 1]))
             and (m.end() == len(text) or _separator(text[m.end()]))]
    return max(words, key=len) if words else None


def _tokens(raw: bytes) -> dict[str, str]:
    """What to search for, read by the message window's own parser (app/protocols/mime/parser.py,
    itself held to the sources' expected parses by test_mime_corpus_parse.py) on the stored bytes:
    what the user reads must be what search finds.

    Two tokens, one per pass of the sync that writes the index: the header pass indexes subject and
    people (so a word of the subject, else the sender's address — a malformed message often has
    no subject, its address is robust), the body pass rewrites the entry with the text (so the
    longest word of the text, else of an attachment's name). Words rather than the Message-ID:
    search does not index Message-IDs, and the longest word is the most specific one.
    """
    parsed = parse_message(raw)
    tokens: dict[str, str] = {}
    senders = [address for _name, address in parsed.from_ if address]
    header = _word(parsed.subject or "") or (senders[0] if senders else None)
    if header:
        tokens["header"] = header
    body = _word((parsed.text_body or "")[:_TEXT_CHARS]) or next(
        (w for a in (*parsed.attachments, *parsed.inline_parts) if (w := _word(a.name or ""))),
        None)
    if body:
        tokens["body"] = body
    return tokens


def _appended_uids(answer: bytes) -> list[int]:
    """The uids of an APPENDUID answer (RFC 4315), in the order of the messages appended."""
    match = _APPENDUID.search(answer)
    assert match is not None, answer  # Dovecot has UIDPLUS
    uids: list[int] = []
    for piece in match.group(1).split(b","):
        first, _, last = piece.partition(b":")
        uids += range(int(first), int(last or first) + 1)
    return uids


def _append(client: IMAPClient, folder: str, batch: list[CorpusMessage],
            ) -> tuple[dict[int, CorpusMessage], dict[str, str]]:
    """``batch`` in one MULTIAPPEND (RFC 3502: one round trip, one transaction); if the server
    refuses it — atomically, nothing stored — one APPEND each, to name every message it refuses
    and why. Returns uid -> message, and the refused messages with the server's answer."""
    # imapclient returns MULTIAPPEND's tagged answer, a NO included, as (status, [text]).
    status, texts = client.multiappend(folder, [m.raw for m in batch])
    if status == "OK":
        uids = _appended_uids(b" ".join(texts))
        assert len(uids) == len(batch)
        return dict(zip(uids, batch, strict=True)), {}
    appended: dict[int, CorpusMessage] = {}
    refused: dict[str, str] = {}
    for message in batch:
        try:
            [uid] = _appended_uids(client.append(folder, message.raw))
        except IMAPClientError as exc:
            refused[message.name] = str(exc)
        else:
            appended[uid] = message
    return appended, refused


@contextlib.contextmanager
def _corpus_folders(client: IMAPClient, sources: list[str]) -> Iterator[dict[str, str]]:
    """One scratch folder per source in Dr Bernard's box, deleted afterwards even on failure (the
    session's other tests sync this account)."""
    prefix = f"Corpus-{uuid.uuid4().hex[:8]}"
    folders = {source: f"{prefix}-{source}" for source in sources}
    try:
        for folder in folders.values():
            client.create_folder(folder)
        yield folders
    finally:
        for folder in folders.values():
            with contextlib.suppress(IMAPClientError):
                client.delete_folder(folder)


def test_every_corpus_message_syncs(corpus: Path, sandbox: dict[str, Any],
                                    tmp_path: Path) -> None:
    messages = _corpus_messages(corpus / "mime")
    by_source: dict[str, list[CorpusMessage]] = {}
    for message in messages:
        by_source.setdefault(message.source, []).append(message)
    # At least the messages of the copies MANIFEST.md describes (mbox messages counted one by one).
    expected = {"stalwart-mail-parser": 113, "james-mime4j": 87, "enmime": 92, "mimekit": 91,
                "ruby-mail": 104, "mail-mime-parser": 80}
    short = {source: len(by_source.get(source, [])) for source, count in expected.items()
             if len(by_source.get(source, [])) < count}
    assert short == {}, "the MIME corpus looks incomplete"

    client = imap_as(sandbox, world.DR_BERNARD)
    try:
        with _corpus_folders(client, sorted(by_source)) as folders:
            uids: dict[str, dict[int, CorpusMessage]] = {}
            refused: dict[str, str] = {}
            for source, batch in by_source.items():
                uids[folders[source]], refusals = _append(client, folders[source], batch)
                refused.update(refusals)
            assert refused == {}, "Dovecot refused messages a real MTA would have delivered"
            _check_sync(client, sandbox, tmp_path, uids)
    finally:
        client.logout()


def _check_sync(client: IMAPClient, sandbox: dict[str, Any], tmp_path: Path,
                uids: dict[str, dict[int, CorpusMessage]]) -> None:
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        report = profile.sync.sync_account(account)  # none may crash the engine
        assert report.skipped_folders == []
        account_id = profile.messages.account_id(account.address, account.login)
        problems: list[str] = []
        broken = 0
        for folder, appended in uids.items():
            server_count = client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]
            assert server_count == len(appended)
            assert set(local_folder(profile, account, folder)) == set(appended), folder
            state = profile.messages.folder(account_id, folder)
            assert state is not None
            listed = {m.uid: m for m in profile.messages.list_folder(state.id, limit=10_000)}
            assert set(listed) == set(appended), folder  # server count == store count
            for uid, message in appended.items():
                summary = listed[uid]
                detail = profile.messages.get(summary.id)
                assert detail is not None
                if summary.state == "broken":
                    broken += 1
                    if not detail.broken_reason:
                        problems.append(f"{message.name}: broken without a reason")
                elif summary.state != "complete" or detail.broken_reason:
                    problems.append(f"{message.name}: state {summary.state!r}")
                stored = profile.messages.raw(summary.id)
                # Byte for byte what was delivered, but for Dovecot's one rewrite: a NUL is
                # served as 0x80 outside BINARY (RFC 3501 forbids NUL in a literal).
                if stored != message.raw.replace(b"\0", b"\x80"):
                    problems.append(f"{message.name}: stored bytes differ from the delivered")
                    continue
                problems += _search_problems(profile, account_id, summary.id, message, stored)
        assert problems == [], "\n".join(problems)
        assert broken, "the corpus has malformed messages: some must be marked broken"
        assert report.broken >= broken


def _search_problems(profile: Any, account_id: int, message_id: int, message: CorpusMessage,
                     stored: bytes) -> list[str]:
    tokens = _tokens(stored)
    if message.name in NOTHING_TO_SEARCH:
        return [] if not tokens else [f"{message.name}: listed as having nothing to search by, "
                                      f"but the window shows {tokens}"]
    if not tokens:
        return [f"{message.name}: the window shows nothing to search by"]
    found = []
    for where, word in tokens.items():
        hits = profile.messages.search(word, account_id=account_id, limit=10_000)
        hit = message_id in {h.id for h in hits}
        if where == "body" and message.name in TEXT_NOT_INDEXED:
            if hit:  # the exception no longer holds: the table must say so
                found.append(f"{message.name}: listed in TEXT_NOT_INDEXED, found by {word!r}")
        elif not hit:
            found.append(f"{message.name}: not found by its {where} word {word!r}")
    return found
