"""Text extraction for the index: tolerant, never raises, never decodes attachments."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocols.mime.index_text import extract, parse_header_block

MULTIPART = (
    b"From: =?utf-8?q?Dr_J=C3=A9r=C3=B4me_Roux?= <jerome.roux@exemple.mssante.fr>\r\n"
    b"To: Secretariat <s@exemple.mssante.fr>, b@exemple.fr\r\n"
    b"Subject: =?utf-8?q?R=C3=A9sultats_d=27examens?=\r\n"
    b"Date: Fri, 20 Nov 2026 10:00:00 +0100\r\n"
    b"Message-ID: <abc@exemple.fr>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--XYZ\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"H=E9moglobine glyqu=E9e normale.\r\n"
    b"--XYZ\r\n"
    b'Content-Type: application/pdf; name="=?utf-8?q?compte_rendu_=C3=A9cho.pdf?="\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment\r\n"
    b"\r\n" + base64.encodebytes(b"%PDF-1.4 secret words never indexed") + b"--XYZ--\r\n"
)


def test_extracts_headers_text_and_attachment_names() -> None:
    result = extract(MULTIPART)
    assert result.broken is None
    assert result.headers.subject == "Résultats d'examens"
    assert result.headers.from_name == "Dr Jérôme Roux"
    assert result.headers.from_addr == "jerome.roux@exemple.mssante.fr"
    assert result.headers.to_addrs == "s@exemple.mssante.fr, b@exemple.fr"
    assert result.headers.message_id == "<abc@exemple.fr>"
    assert result.headers.date == int(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC).timestamp())
    assert "Hémoglobine glyquée" in result.text
    assert "secret words" not in result.text  # the attachment is listed, not decoded
    assert [(a.name, a.type) for a in result.attachments] == [
        ("compte rendu écho.pdf", "application/pdf")
    ]


def test_html_only_message_gives_text() -> None:
    raw = (b"Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><style>p{}</style><p>Bonjour&nbsp;<b>Docteur</b></p></html>")
    result = extract(raw)
    assert "Bonjour" in result.text and "Docteur" in result.text and "<b>" not in result.text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nno boundary", "sans délimiteur"),
        (b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\ntext',
         "fin manquant"),
        (b'Content-Type: multipart/mixed; boundary="b"\r\n\r\nnothing here', "absent"),
        (b"Subject: only headers without end", "en-têtes sans fin"),
    ],
)
def test_broken_mime_is_marked_not_dropped(raw: bytes, reason: str) -> None:
    result = extract(raw)
    assert result.broken is not None and reason in result.broken


def test_header_block_with_8bit_and_garbage() -> None:
    summary = parse_header_block("Subject: Réunion\r\nFrom: <<>>@@\r\nDate: garbage\r\n\r\n"
                                 .encode())
    assert summary.subject == "Réunion"
    assert summary.date == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_random_bytes(raw: bytes) -> None:
    result = extract(raw)
    assert isinstance(result.text, str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    b"Content-Type: multipart/mixed; boundary=a\r\n", b"--a\r\n", b"--a--\r\n", b"\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"Content-Type: message/rfc822\r\n", b"=?x?q?\r\n",
    b"Content-Type: text/plain; charset=bogus\r\n", b"\xff\xfe\x00text\r\n", b"Subject: s\r\n",
]), max_size=60))
def test_never_raises_on_mime_shaped_noise(pieces: list[bytes]) -> None:
    extract(b"".join(pieces))


# --- text the reader shows must be indexed (issue 3: every corpus message searchable) ----------


@pytest.mark.parametrize(
    "raw",
    [
        # No header at all, no blank line (james-mime4j malformedHeader-noheader.msg, the two-byte
        # messages of stalwart's maildir, an unmunged mbox line cut into a message of its own).
        b"This is a simple message not having headers.\r\n"
        b"The whole text should be recognized as body.\r\n",
        # A line that is not a header field before the blank line (ruby-mail
        # raw_email_incorrect_header.eml, mime4j obsolete.msg's "Subject :"): Python's parser,
        # and so the reader, start the body there.
        b"Subject: Simple Subject\r\nFrom: a@example.com\r\nquite wrong line\r\n"
        b"X-Note: recognized\r\n\r\nbody\r\n",
    ],
)
def test_text_after_the_header_ends_early_is_indexed(raw: bytes) -> None:
    from app.protocols.mime.parser import parse_message

    assert "recognized" in (parse_message(raw).text_body or "")  # what the reader shows
    assert "recognized" in extract(raw).text


def test_a_header_less_part_of_a_multipart_is_indexed_as_text() -> None:
    raw = (b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
           b"--b\r\nContent-Type: message/rfc822\r\n\r\n[original message goes here]\r\n--b--\r\n")
    assert "original message goes here" in extract(raw).text


@pytest.mark.parametrize(
    "raw",
    [
        # A single-part message whose text carries a file name (mime4j badfile.msg, infinite.msg):
        # RFC 8621's body rule, which the reader follows, makes the first part the body.
        b'Subject: x\r\nContent-Type: text/plain; name="/tmp/whoa"\r\n\r\nhad better not end\r\n',
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: text/plain; name="notes.txt"\r\n\r\nhad better not end\r\n--b--\r\n',
    ],
)
def test_a_named_first_text_part_is_the_body(raw: bytes) -> None:
    from app.protocols.mime.parser import parse_message

    assert "had better not end" in (parse_message(raw).text_body or "")
    result = extract(raw)
    assert "had better not end" in result.text
    assert result.attachments == []


def test_a_named_text_part_after_the_first_stays_an_attachment() -> None:
    raw = (b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
           b'--b\r\nContent-Type: text/plain; name="notes.txt"\r\n\r\nnot the body\r\n--b--\r\n')
    result = extract(raw)
    assert "not the body" not in result.text
    assert [a.name for a in result.attachments] == ["notes.txt"]


@pytest.mark.parametrize(
    "raw",
    [
        # A DSN whose explanation is HTML, the original message attached (enmime
        # simple_dsn_with_html.raw): the attached message's plain text hid the explanation.
        b'Subject: Returned mail\r\nContent-Type: multipart/report; report-type=delivery-status; '
        b'boundary="b"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n'
        b"<div>human-readable explanation</div>\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: original\r\n\r\nplain text\r\n"
        b"--b--\r\n",
        # HTML parts beside an empty plain part (mime4j double-bound.msg).
        b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n--b\r\n'
        b"Content-Type: text/html\r\n\r\n<p>human-readable explanation\r\n--b--\r\n",
    ],
)
def test_html_beside_plain_text_is_indexed(raw: bytes) -> None:
    assert "human-readable explanation" in extract(raw).text


def test_the_html_alternative_of_a_plain_text_is_not_indexed_twice() -> None:
    raw = (b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
           b"--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--b--\r\n")
    text = extract(raw).text
    assert "plain version" in text and "html version" not in text


def test_an_encoded_word_in_an_unknown_charset_is_decoded_as_the_reader_does() -> None:
    # mail-mime-parser's headers/invalid-charset: the list showed the raw encoded word.
    raw = b"Subject: TEST =?INVALID?Q?=A1Hola,_se=F1or!?=\r\n\r\nbody\r\n"
    from app.protocols.mime.parser import parse_message

    assert parse_message(raw).subject == "TEST ¡Hola, señor!"
    assert extract(raw).headers.subject == "TEST ¡Hola, señor!"
    assert parse_header_block(raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n").subject == \
        "TEST ¡Hola, señor!"


def test_8bit_text_after_an_early_header_end_is_indexed_byte_for_byte() -> None:
    # mime4j obsolete.msg: an 8-bit header name after "Subject :", in the text from there on.
    raw = "Subject :obsolete\r\nInvalìd-Header: thìs\r\n\r\nbody\r\n".encode("latin-1")
    result = extract(raw)
    assert result.broken is None
    assert "Invalìd-Header: thìs" in result.text and "obsolete" in result.text


def test_text_with_a_few_bytes_its_charset_lacks_stays_in_that_charset() -> None:
    # "①" exists in Windows' Shift_JIS (cp932) only: the strict decode fails; reading the whole
    # text as Windows-1252 made the Japanese unsearchable (stalwart thirdparty/005.eml: UTF-16
    # whose NULs Dovecot serves as 0x80).
    body = "日本語のテキスト ①".encode("cp932")
    raw = b"Content-Type: text/plain; charset=shift_jis\r\n\r\n" + body
    from app.protocols.mime.parser import parse_message

    assert "日本語のテキスト" in (parse_message(raw).text_body or "")
    assert "日本語のテキスト" in extract(raw).text
