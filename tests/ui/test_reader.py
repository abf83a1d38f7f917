"""The reader: plain text, sanitised HTML without any network or file access, cid: images,
the blocked-images banner, and the attachment bar."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtGui import QColor, QImage, QTextDocument

from ui.widgets.attachment_bar import AttachmentBar, format_size
from ui.widgets.reader import MessageReader

IMAGE = QTextDocument.ResourceType.ImageResource.value


def png(width: int, height: int, colour: str = "red") -> bytes:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def plain_message() -> bytes:
    return (
        "From: Dr Jean MARTIN <jean.martin@rivoli.mssante.fr>\r\n"
        "To: Secrétariat <secretariat@clinique.mssante.fr>\r\n"
        "Cc: archives@clinique.mssante.fr\r\n"
        "Subject: =?utf-8?q?Compte_rendu_op=C3=A9ratoire?=\r\n"
        "Date: Tue, 14 Nov 2023 10:00:00 +0100\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Bonjour,\r\nle patient peut sortir <demain>.\r\n"
    ).encode()


def html_message(image: bytes) -> bytes:
    html = (
        "<html><head><script>document.title='pwned'</script></head><body>"
        "<p>Bonjour <b>docteur</b></p>"
        "<script>alert('xss')</script>"
        "<img src=\"https://tracker.example.com/pixel.gif\" width=1 height=1>"
        "<img src=\"cid:logo@clinique\" alt=\"logo\">"
        "<a href=\"https://phishing.example.com/\">lien</a>"
        "</body></html>"
    )
    return (
        "From: Clinique <contact@clinique.mssante.fr>\r\n"
        "To: dr@rivoli.mssante.fr\r\n"
        "Subject: Lettre HTML\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=OUT\r\n\r\n"
        "--OUT\r\n"
        "Content-Type: multipart/related; boundary=REL\r\n\r\n"
        "--REL\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"{html}\r\n"
        "--REL\r\n"
        "Content-Type: image/png\r\n"
        "Content-ID: <logo@clinique>\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(image).decode()}\r\n"
        "--REL--\r\n"
        "--OUT\r\n"
        "Content-Type: application/pdf; name=\"bilan.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"bilan.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(b'%PDF-1.4 ' + b'x' * 3000).decode()}\r\n"
        "--OUT--\r\n"
    ).encode()


def test_plain_text_and_headers(qtbot: Any) -> None:
    reader = MessageReader()
    qtbot.addWidget(reader)
    reader.show_message(plain_message())
    assert reader.body.toPlainText().startswith("Bonjour,\nle patient peut sortir <demain>.")
    labels = reader.header_labels
    assert labels["from"].text() == "Dr Jean MARTIN <jean.martin@rivoli.mssante.fr>"
    assert labels["to"].text() == "Secrétariat <secretariat@clinique.mssante.fr>"
    assert labels["cc"].text() == "archives@clinique.mssante.fr"
    assert labels["subject"].text() == "Compte rendu opératoire"
    assert labels["date"].text().startswith("14/11/2023")
    assert not reader.banner.isVisibleTo(reader)
    assert reader.blocked_count() == 0


def test_html_is_sanitised_remote_blocked_cid_shown(qtbot: Any, tmp_path: Path) -> None:
    reader = MessageReader()
    qtbot.addWidget(reader)
    bar = AttachmentBar()
    qtbot.addWidget(bar)
    reader.attachments_changed.connect(bar.set_attachments)
    logo = png(3, 2)
    reader.show_message(html_message(logo))

    # The banner reports the one remote image that was not fetched.
    assert reader.banner.isVisibleTo(reader)
    assert reader.banner.text() == "Images distantes bloquées (1)"
    assert reader.blocked_count() == 1

    # No script (nor its text) reaches the document; the link has no target left.
    shown = reader.body.toHtml()
    assert "<script" not in shown.lower() and "alert" not in shown and "pwned" not in shown
    assert "phishing.example.com" not in shown.split("title=")[0]  # only as an inert title
    assert "href" not in shown
    assert "tracker.example.com" not in shown

    # Resource loading: http, file and relative names give nothing (one blank pixel).
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(7, 7, "blue"))
    document = reader.body.document()
    for url in (QUrl("https://tracker.example.com/pixel.gif"), QUrl("http://x/y.png"),
                QUrl.fromLocalFile(str(secret)), QUrl("secret.png")):
        for loader in (reader.body.loadResource, document.loadResource):
            result = loader(IMAGE, url)
            assert isinstance(result, QImage) and result.size().width() == 1
            assert result.pixelColor(0, 0).alpha() == 0
    assert reader.body.loadResource(QTextDocument.ResourceType.StyleSheetResource.value,
                                    QUrl("https://x/style.css")) is None
    assert "https://tracker.example.com/pixel.gif" in reader.body.policy.refused

    # The cid: image comes from the message itself.
    image = document.loadResource(IMAGE, QUrl("cid:logo@clinique"))
    assert isinstance(image, QImage) and (image.width(), image.height()) == (3, 2)
    assert "cid:logo@clinique" in shown

    # The PDF is an attachment chip, the inline logo is not.
    assert [c.text() for c in bar.chips()] == [f"bilan.pdf ({format_size(3009)})"]
    assert bar.isVisibleTo(bar.parentWidget() or bar)
    with qtbot.waitSignal(bar.preview_requested) as blocker:
        bar.chips()[0].click()
    assert blocker.args == [0]


def test_html_forced_in_without_sanitiser_still_loads_no_file(qtbot: Any, tmp_path: Path) -> None:
    """Defence in depth: even markup that skipped the sanitiser cannot make Qt read a file."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(7, 7, "blue"))
    reader = MessageReader()
    qtbot.addWidget(reader)
    reader.body.setHtml(f'<p>x</p><img src="{secret}"><img src="{secret.as_uri()}">')
    reader.body.resize(400, 300)
    reader.body.grab()  # lay out and paint: images are requested now
    assert str(secret) in " ".join(reader.body.policy.refused)
    resource = reader.body.document().resource(IMAGE, QUrl(str(secret)))
    assert not isinstance(resource, QImage) or resource.width() == 1


def test_sizes_in_french() -> None:
    assert format_size(1) == "1 octet"
    assert format_size(850) == "850 octets"
    assert format_size(12_600) == "12,3 Ko"
    assert format_size(5 * 1024 * 1024) == "5,0 Mo"
