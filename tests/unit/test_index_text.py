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
