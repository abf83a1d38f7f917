"""The reading pane: headers, then the body as plain text or as sanitised HTML, never fetching.

What reaches the screen:
- the headers (De, À, Cc, Date, Objet) as plain text labels (a header is never rich text);
- the HTML body only after ``app.protocols.html_sanitizer.sanitize_email_html`` (nh3): no script,
  no handler, no remote URL, links made inert; else the plain text;
- images only from the message itself: ``cid:`` parts, and raster ``data:`` URLs the sanitiser
  kept. ``SafeDocument.loadResource`` answers every other request (``http:``, ``file:``, relative
  paths, style sheets) with nothing, and it does not call Qt's own implementation, which would read
  local files;
- a banner "Images distantes bloquées (N)" when the sanitiser removed remote resources;
- a banner asking whether to send a read receipt, when the window says the message has a
  pending request (``show_mdn_request``).

Preparing the content (MIME parsing, nh3) is pure Python: ``prepare_content`` can run on the CPU
executor; ``MessageReader.show_content`` then only sets widgets.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.message import Attachment, NamedAddress, ParsedMessage
from app.domain.reply import ReplyContext
from app.domain.xdm import display_subject
from app.protocols.html_sanitizer import sanitize_email_html
from app.protocols.mime.parser import parse_message

_RASTER_DATA_URL = re.compile(
    r"^data:image/(png|jpeg|jpg|gif|webp|bmp)(?:;[a-z0-9=.+-]+)*;base64,", re.IGNORECASE
)
MAX_INLINE_IMAGE = 10 * 1024 * 1024


def format_addresses(addresses: Sequence[NamedAddress]) -> str:
    parts = []
    for name, address in addresses:
        if name and address:
            parts.append(f"{name} <{address}>")
        else:
            parts.append(name or address)
    return ", ".join(p for p in parts if p)


def format_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone().strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class ReaderContent:
    """What the reader shows, computed without Qt (safe on a worker thread)."""

    sender: str
    to: str
    cc: str
    date: str
    subject: str
    html: str | None  # sanitised; None: show ``text``
    text: str
    blocked_resources: tuple[str, ...] = ()
    inline_images: dict[str, bytes] = field(default_factory=dict)  # content id -> bytes
    attachments: tuple[Attachment, ...] = ()
    broken_reason: str | None = None
    # The parent's threading headers and addresses, for Répondre / Répondre à tous / Transférer.
    reply: ReplyContext = field(default_factory=ReplyContext)


def _content_key(content_id: str) -> str:
    return content_id.strip().removeprefix("cid:").strip("<>").strip()


def prepare_content(message: ParsedMessage | bytes, *, prefer_html: bool = True) -> ReaderContent:
    """Parse (when given bytes) and sanitise a message for the reader."""
    parsed = parse_message(message) if isinstance(message, bytes) else message
    images: dict[str, bytes] = {}

    def resolve(content_id: str) -> str | None:
        key = _content_key(content_id)
        part = parsed.inline_part(key)
        if part is None or not part.content_type.startswith("image/"):
            return None
        if part.size > MAX_INLINE_IMAGE:
            return None
        images[key] = part.data()
        return f"cid:{key}"

    html: str | None = None
    blocked: tuple[str, ...] = ()
    if prefer_html and parsed.html_body:
        sanitized = sanitize_email_html(parsed.html_body, cid_resolver=resolve)
        html, blocked = sanitized.html, sanitized.blocked_resources
    return ReaderContent(
        sender=format_addresses(parsed.from_),
        to=format_addresses(parsed.to),
        cc=format_addresses(parsed.cc),
        date=format_date(parsed.date),
        subject=parsed.subject,
        html=html,
        text=parsed.text_body or "",
        blocked_resources=blocked,
        inline_images=images,
        attachments=parsed.attachments,
        broken_reason=parsed.broken_reason,
        reply=ReplyContext(
            message_id=parsed.message_id,
            references=parsed.references,
            in_reply_to=parsed.in_reply_to,
            subject=parsed.subject,
            from_=parsed.from_,
            reply_to=parsed.reply_to,
            to=parsed.to,
            cc=parsed.cc,
        ),
    )


def blank_image() -> QImage:
    """What a refused image becomes: one transparent pixel.

    Not None: when a document gets no image, Qt's image handler falls back to ``QImage.load(src)``
    itself, which reads local files. A valid, empty-looking image stops that fallback.
    """
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image


class ResourcePolicy:
    """Answers a document's resource requests from the message's own parts only."""

    def __init__(self) -> None:
        self.images: dict[str, bytes] = {}
        self.refused: list[str] = []  # what was asked and not given (for tests and logs)
        self.blank = blank_image()

    def load(self, kind: int, url: QUrl) -> Any:
        if kind != QTextDocument.ResourceType.ImageResource.value:
            self.refused.append(url.toString())
            return None  # style sheets, markdown, ...: nothing
        scheme = url.scheme().lower()
        if scheme == "cid":
            data = self.images.get(_content_key(url.toString()[4:]))
            if data:
                image = QImage.fromData(data)
                if not image.isNull():
                    return image
        elif scheme == "data":
            image = self._data_image(url.toString())
            if image is not None:
                return image
        self.refused.append(url.toString())
        return self.blank

    @staticmethod
    def _data_image(text: str) -> QImage | None:
        match = _RASTER_DATA_URL.match(text)
        if match is None:
            return None
        try:
            data = base64.b64decode(text[match.end():], validate=False)
        except (binascii.Error, ValueError):
            return None
        image = QImage.fromData(data)
        return None if image.isNull() else image


def _kind(kind: Any) -> int:
    return int(getattr(kind, "value", kind))


class SafeDocument(QTextDocument):
    """A document that loads nothing but what its policy gives (never Qt's file loader)."""

    def __init__(self, policy: ResourcePolicy, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._policy = policy

    def loadResource(self, type: int, name: QUrl) -> Any:
        return self._policy.load(_kind(type), name)


class SafeTextBrowser(QTextBrowser):
    """A text browser that follows no link and loads no resource by itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = ResourcePolicy()
        self.setDocument(SafeDocument(self.policy, self))
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

    def loadResource(self, type: int, name: QUrl) -> Any:
        return self.policy.load(_kind(type), name)

    def setSource(self, name: QUrl, type: Any = None) -> None:
        """Navigation is refused: a mail body is one page, and links are inert."""


class MessageReader(QWidget):
    """Headers block, blocked-images banner, body. Attachments are shown by the attachment bar
    (``attachments_changed`` hands them over)."""

    attachments_changed = Signal(object)  # tuple[Attachment, ...]
    # The user's answer to a read-receipt request (id of the pending MDN request): the window
    # queues the MDN or records the refusal through the receipt service, off the UI thread.
    mdn_send_requested = Signal(int)
    mdn_ignore_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageReader")
        self.setAccessibleName(self.tr("Lecture du message"))

        self.header_frame = QFrame(self)
        self.header_frame.setObjectName("readerHeaders")
        self.header_frame.setFrameShape(QFrame.Shape.StyledPanel)
        form = QFormLayout(self.header_frame)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.header_labels: dict[str, QLabel] = {}
        self._header_rows: dict[str, QLabel] = {}
        for key, title in (("from", self.tr("De :")), ("to", self.tr("À :")),
                           ("cc", self.tr("Cc :")), ("date", self.tr("Date :")),
                           ("subject", self.tr("Objet :"))):
            caption = QLabel(title, self.header_frame)
            value = QLabel(self.header_frame)
            value.setObjectName(f"header_{key}")
            value.setTextFormat(Qt.TextFormat.PlainText)  # header text is never markup
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            caption.setBuddy(value)
            form.addRow(caption, value)
            self.header_labels[key] = value
            self._header_rows[key] = caption
        bold = self.header_labels["subject"].font()
        bold.setBold(True)
        self.header_labels["subject"].setFont(bold)

        self.banner = QLabel(self)
        self.banner.setObjectName("blockedImagesBanner")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "QLabel { background: #fff4ce; color: #3b2f00; padding: 4px; border-radius: 3px; }"
        )
        self.banner.hide()

        self.broken_banner = QLabel(self)
        self.broken_banner.setObjectName("brokenMessageBanner")
        self.broken_banner.setTextFormat(Qt.TextFormat.PlainText)
        self.broken_banner.setWordWrap(True)
        self.broken_banner.hide()

        # Read-receipt request (ECO.3.1.6), PER/ORG boxes whose policy is "ask".
        self.mdn_banner = QFrame(self)
        self.mdn_banner.setObjectName("mdnRequestBanner")
        self.mdn_banner.setStyleSheet(
            "QFrame#mdnRequestBanner { background: #e8f0fe; border-radius: 3px; }"
            "QFrame#mdnRequestBanner QLabel { color: #0b2a5b; }"
        )
        self.mdn_label = QLabel(self.tr("L'expéditeur demande un accusé de lecture."),
                                self.mdn_banner)
        self.mdn_label.setTextFormat(Qt.TextFormat.PlainText)
        self.mdn_label.setWordWrap(True)
        self.mdn_send_button = QPushButton(self.tr("Envoyer l'accusé"), self.mdn_banner)
        self.mdn_send_button.setObjectName("mdnSendButton")
        self.mdn_ignore_button = QPushButton(self.tr("Ignorer"), self.mdn_banner)
        self.mdn_ignore_button.setObjectName("mdnIgnoreButton")
        mdn_layout = QHBoxLayout(self.mdn_banner)
        mdn_layout.setContentsMargins(6, 4, 6, 4)
        mdn_layout.addWidget(self.mdn_label, 1)
        mdn_layout.addWidget(self.mdn_send_button)
        mdn_layout.addWidget(self.mdn_ignore_button)
        self.mdn_send_button.clicked.connect(lambda: self._answer_mdn(send=True))
        self.mdn_ignore_button.clicked.connect(lambda: self._answer_mdn(send=False))
        self.mdn_request_id: int | None = None
        self.mdn_banner.hide()

        self.body = SafeTextBrowser(self)
        self.body.setObjectName("readerBody")
        self.body.setAccessibleName(self.tr("Corps du message"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header_frame)
        layout.addWidget(self.banner)
        layout.addWidget(self.broken_banner)
        layout.addWidget(self.mdn_banner)
        layout.addWidget(self.body, 1)
        self.content: ReaderContent | None = None
        self.clear()

    def clear(self) -> None:
        self.content = None
        for label in self.header_labels.values():
            label.clear()
        self.header_frame.hide()
        self.banner.hide()
        self.broken_banner.hide()
        self.hide_mdn_request()
        self.body.policy.images = {}
        self.body.clear()

    def show_message(self, message: ParsedMessage | bytes) -> None:
        """Convenience for small messages; big ones: ``prepare_content`` off the UI thread."""
        self.show_content(prepare_content(message))

    def show_content(self, content: ReaderContent) -> None:
        self.content = content
        self.hide_mdn_request()  # another message: its own request, if any, is shown later
        subject = display_subject(content.subject) or self.tr("(sans objet)")
        values = {"from": content.sender, "to": content.to, "cc": content.cc,
                  "date": content.date, "subject": subject}
        for key, value in values.items():
            self.header_labels[key].setText(value)
        visible_cc = bool(content.cc)
        self.header_labels["cc"].setVisible(visible_cc)
        self._header_rows["cc"].setVisible(visible_cc)
        self.header_frame.show()

        blocked = len(content.blocked_resources)
        if blocked:
            self.banner.setText(self.tr("Images distantes bloquées ({count})").format(
                count=blocked))
            self.banner.setToolTip(self.tr(
                "Ce message voulait charger des images depuis Internet. Elles ne sont pas "
                "téléchargées : cela révélerait à l'expéditeur que vous l'avez ouvert."))
        self.banner.setVisible(bool(blocked))
        if content.broken_reason:
            self.broken_banner.setText(self.tr("Message endommagé : {reason}").format(
                reason=content.broken_reason))
        self.broken_banner.setVisible(bool(content.broken_reason))

        self.body.policy.images = dict(content.inline_images)
        self.body.policy.refused.clear()
        if content.html is not None:
            self.body.setHtml(content.html)
        else:
            self.body.setPlainText(content.text)
        self.attachments_changed.emit(content.attachments)

    def show_mdn_request(self, request_id: int) -> None:
        """Ask the user whether to answer the shown message's read-receipt request."""
        self.mdn_request_id = request_id
        self.mdn_send_button.setEnabled(True)
        self.mdn_ignore_button.setEnabled(True)
        self.mdn_banner.show()

    def hide_mdn_request(self) -> None:
        self.mdn_request_id = None
        self.mdn_banner.hide()

    def _answer_mdn(self, *, send: bool) -> None:
        request_id = self.mdn_request_id
        if request_id is None:
            return
        # No second click while the answer is on its way; the window hides the banner when done.
        self.mdn_send_button.setEnabled(False)
        self.mdn_ignore_button.setEnabled(False)
        (self.mdn_send_requested if send else self.mdn_ignore_requested).emit(request_id)

    def blocked_count(self) -> int:
        return 0 if self.content is None else len(self.content.blocked_resources)
