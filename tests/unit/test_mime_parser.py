"""parse_message: never raises, decodes headers leniently, decodes attachments only on request."""

from __future__ import annotations

import base64

from app.domain.message import message_id_list, normalize_message_id
from app.protocols.mime.parser import decode_header_text, html_to_text, parse_message


def _multipart(*parts: str, kind: str = "mixed", extra: str = "") -> bytes:
    body = "".join(f"--B\r\n{p}\r\n" for p in parts) + "--B--\r\n"
    return (
        "From: =?utf-8?q?Dr_J=C3=A9r=C3=B4me?= <j@ch.mssante.fr>\r\nTo: a@b.fr\r\n"
        "Subject: =?utf-8?b?Q29tcHRlIHJlbmR1?= =?utf-8?q?_d=C3=A9finitif?=\r\n"
        "Message-ID: <m1@ch>\r\nDate: Tue, 4 Mar 2025 10:00:00 +0100\r\n"
        "X-MSS-CODECDA: 11502-2\r\nX-MSS-INS: O\r\nX-MSS-NIL: Logiciel 1.0\r\n" + extra +
        f'MIME-Version: 1.0\r\nContent-Type: multipart/{kind}; boundary="B"\r\n\r\n' + body
    ).encode()


PDF = base64.b64encode(b"%PDF-1.4 test").decode()


def test_headers_bodies_and_lazy_attachments() -> None:
    raw = _multipart(
        "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n\r\nBonjour, r=E9sultat joint.",
        "Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''IHE_XDM.ZIP\r\n\r\n"
        + base64.b64encode(b"PK\x03\x04zip").decode(),
        "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment;\r\n filename*=UTF-8''compte%20rendu%20%C3%A9t%C3%A9.pdf"
        "\r\n\r\n" + PDF,
        extra="Disposition-Notification-To: <j@ch.mssante.fr>\r\n",
    )
    message = parse_message(raw)
    assert message.subject == "Compte rendu définitif"
    assert message.from_ == (("Dr Jérôme", "j@ch.mssante.fr"),)
    assert message.message_id == "<m1@ch>"
    assert message.date is not None and message.date.utcoffset() is not None
    assert (message.mss.codecda, message.mss.ins, message.mss.nil) == ("11502-2", "O",
                                                                       "Logiciel 1.0")
    assert message.disposition_notification_to == (("", "j@ch.mssante.fr"),)
    assert message.text_body == "Bonjour, résultat joint."
    assert message.is_xdm
    names = [a.name for a in message.attachments]
    assert names == ["IHE_XDM.ZIP", "compte rendu été.pdf"]
    pdf = message.attachments[1]
    assert pdf.size == len(b"%PDF-1.4 test") and pdf.size_exact
    assert pdf.part_path == "3" and pdf.data() == b"%PDF-1.4 test"
    assert not message.broken


def test_attachments_are_not_decoded_while_parsing() -> None:
    """PERFORMANCE.md: decode on request only."""
    calls = []
    message = parse_message(_multipart(
        "Content-Type: text/plain\r\n\r\nx",
        "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="a.pdf"\r\n\r\n' + PDF,
    ))
    attachment = message.attachments[0]
    original = attachment.loader

    def spy() -> bytes:
        calls.append(1)
        return original()

    object.__setattr__(attachment, "loader", spy)
    assert calls == []
    assert attachment.data() == b"%PDF-1.4 test" and calls == [1]


def test_html_only_gives_text_and_inline_cid_parts() -> None:
    message = parse_message(_multipart(
        "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{}</style></head>"
        "<body><p>Bonjour&nbsp;<b>Docteur</b></p><img src=\"cid:logo@x\"><script>x</script>"
        "</body></html>",
        "Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64"
        "\r\n\r\niVBORw0KGgo=",
        kind="related",
    ))
    assert message.text_body == "Bonjour Docteur"
    assert message.html_body is not None and "cid:logo@x" in message.html_body
    assert message.attachments == ()
    part = message.inline_part("cid:logo@x")
    assert part is not None and part.data().startswith(b"\x89PNG")


def test_alternative_prefers_plain_text() -> None:
    message = parse_message(_multipart(
        "Content-Type: text/plain; charset=utf-8\r\n\r\nTexte brut",
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Texte <i>riche</i></p>",
        kind="alternative",
    ))
    assert message.text_body == "Texte brut"
    assert message.html_body == "<p>Texte <i>riche</i></p>"


def test_manifest_failures_never_raise() -> None:
    """The failures MANIFEST.md lists for stdlib email are all contained."""
    cases = [
        # broken boundary
        b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\n--other\r\n\r\ntext\r\n',
        # unknown charset
        b"Subject: =?x-klingon?q?qapla?=\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
        b"\xe9t\xe9",
        # group addresses
        b"To: Equipe: a@b.fr, c@d.fr;, undisclosed-recipients:;\r\n\r\nx",
        # CR/LF inside an address
        b"From: \"Dupont\r\n Jean\" <j@x.fr\r\n >\r\n\r\nx",
        # deep nesting
        b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                 for i in range(600)),
        # huge header
        b"Subject: " + b"a" * 2_000_000 + b"\r\n\r\nbody",
        b"", b"\x00\xff\xfe", b"\r\n\r\n\r\n",
    ]
    for raw in cases:
        message = parse_message(raw)
        assert message.raw_size == len(raw)
    broken = parse_message(cases[0])
    assert broken.broken and broken.broken_reason is not None and "limite" in broken.broken_reason
    charset = parse_message(cases[1])
    assert any("x-klingon" in d for d in charset.defects) and charset.text_body == "été"
    group = parse_message(cases[2])
    assert [a for _, a in group.to] == ["a@b.fr", "c@d.fr"]
    deep = parse_message(cases[4])
    assert deep.broken
    assert len(parse_message(cases[5]).subject) <= 16 * 1024


def test_raw_8bit_headers_and_words() -> None:
    assert decode_header_text("=?iso-8859-1?q?Fr\udcf6sche?=") == "Frösche"
    assert decode_header_text("caf\udcc3\udca9") == "café"
    assert decode_header_text("=?utf-8?q?a?= =?utf-8?q?b?= c") == "ab c"
    # a UTF-8 character split across two encoded words
    assert decode_header_text("=?utf-8?b?w6k=?= =?utf-8?q?t=C3?= =?utf-8?q?=A9?=") == "été"


def test_attachment_names_lose_their_path() -> None:
    message = parse_message(_multipart(
        "Content-Type: text/plain\r\n\r\nx",
        'Content-Type: application/octet-stream; name="..\\\\..\\\\evil.exe"\r\n\r\nMZ',
    ))
    assert [a.name for a in message.attachments] == ["evil.exe"]


def test_message_ids() -> None:
    assert normalize_message_id("<199509192301.23456 >") == "<199509192301.23456>"
    assert normalize_message_id("0c796d0e-4c76") == "<0c796d0e-4c76>"
    assert normalize_message_id("   ") is None
    assert message_id_list("<a@b> <c@d>\r\n <a@b>") == ("<a@b>", "<c@d>")


def test_html_to_text_on_broken_markup() -> None:
    text = html_to_text("<div>un<br>deux<td>trois</div><p unclosed")
    assert text.startswith("un\ndeux trois")
