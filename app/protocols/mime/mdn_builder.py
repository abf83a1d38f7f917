"""Build an MDN per the ANS profile (struct-msg-mdn.md, RFC 8098), and decide whether to send one.

``build_mdn`` is a pure function: the Message-ID and date come in as arguments, the boundary is
derived from the Message-ID, so the same request gives the same bytes.

The machine-readable part is ``message/disposition-notification`` (what ANS receivers look for),
whose fields are ASCII (RFC 8098): an error label with accents is written there without them and
kept intact in the French human-readable part and in the subject.

Not done here: the ANS page also asks to return the original body and its attachments
(IHE_XDM.ZIP, PDF) in the MDN; the third part carries the original's headers
(``text/rfc822-headers``, RFC 8098 §3) when they are given.
"""

from __future__ import annotations

import enum
import hashlib
import quopri
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr

from app.domain.account import MailboxKind
from app.domain.receipt import DispositionType, IntegrationError

_DISABLED = "accusés de lecture désactivés pour cette boîte"


class MdnPolicy(enum.Enum):
    """A PER/ORG mailbox's setting for requested read receipts."""

    ALWAYS = "always"
    ASK = "ask"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class MdnDecision:
    send: bool
    ask_user: bool
    automatic: bool  # automatic-action/MDN-sent-automatically vs manual
    reason: str  # French, shown in the UI or the audit trail


def mdn_decision(
    mailbox_kind: MailboxKind,
    policy: MdnPolicy,
    requested: bool,
    *,
    return_path_matches: bool = True,
) -> MdnDecision:
    """Whether to answer a ``Disposition-Notification-To`` (ECO.3.1.6, ANS MDN profile).

    APP boxes answer automatically (the ANS profile: ``automatic-action/MDN-sent-
    automatically``); PER/ORG boxes follow the mailbox policy or ask the user. RFC 8098 §2.1:
    when the requested address differs from the Return-Path, no automatic MDN (loop risk): a
    person must confirm, and an APP box, with nobody to ask, does not send.
    """
    if not requested:
        return MdnDecision(False, False, False, "aucun accusé de lecture n'est demandé")
    if not return_path_matches:
        if mailbox_kind is MailboxKind.APP:
            return MdnDecision(
                False, False, False,
                "l'adresse demandant l'accusé diffère de l'adresse de retour : "
                "pas d'envoi automatique (RFC 8098)",
            )
        if policy is MdnPolicy.NEVER:
            return MdnDecision(False, False, False, _DISABLED)
        return MdnDecision(
            False, True, False,
            "l'adresse demandant l'accusé diffère de l'adresse de retour : confirmation requise",
        )
    if mailbox_kind is MailboxKind.APP:
        return MdnDecision(True, False, True, "boîte applicative : accusé envoyé automatiquement")
    if policy is MdnPolicy.ALWAYS:
        return MdnDecision(True, False, True, "accusé envoyé selon le réglage de la boîte")
    if policy is MdnPolicy.ASK:
        return MdnDecision(False, True, False, "l'expéditeur demande un accusé de lecture")
    return MdnDecision(False, False, False, _DISABLED)


@dataclass(frozen=True, slots=True)
class MdnRequest:
    original_message_id: str  # "<id>"
    original_subject: str
    to_address: str  # the Disposition-Notification-To address
    from_address: str  # our mailbox
    final_recipient: str  # our mailbox as it received the message
    reporting_ua: str  # "host; product"
    nil: str  # X-MSS-NIL: the product reference
    from_name: str | None = None
    original_recipient: str | None = None
    original_references: tuple[str, ...] = ()
    disposition_type: DispositionType = DispositionType.PROCESSED
    automatic: bool = True
    error: IntegrationError | None = None
    original_headers: str | None = None  # the original's header block, for text/rfc822-headers
    # The whole original message: the ANS profile returns its content and attachments
    # (IHE_XDM.ZIP, PDF) in the MDN, as a message/rfc822 third part; wins over original_headers.
    original_message: bytes | None = None


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.replace("^", " ").split())


def _header(text: str) -> str:
    return text if text.isascii() else Header(text, "utf-8").encode(maxlinelen=76)


def _disposition(request: MdnRequest) -> str:
    modes = (
        "automatic-action/MDN-sent-automatically"
        if request.automatic
        else "manual-action/MDN-sent-manually"
    )
    value = f"{modes}; {request.disposition_type.value}"
    if request.error is not None:
        value += f"/Error: {request.error.code}^{_ascii(request.error.label)}"
    return value


def _human_text(request: MdnRequest) -> str:
    subject = request.original_subject or "(sans objet)"
    if request.error is not None:
        return (
            "Le message ci-dessous n'a pas pu être intégré automatiquement dans le DPI pour la "
            f"raison suivante : {request.error.label}\n"
            f"Code d'erreur : {request.error.code}\n\n"
            f"Message : {subject}\nIdentifiant : {request.original_message_id}\n"
        )
    verb = {
        DispositionType.DISPLAYED: "a été affiché",
        DispositionType.PROCESSED: "a été traité",
        DispositionType.DELETED: "a été supprimé",
        DispositionType.DISPATCHED: "a été transmis",
        DispositionType.UNKNOWN: "a été reçu",
    }[request.disposition_type]
    return (
        f"Le message « {subject} » envoyé à {request.final_recipient} {verb}.\n"
        f"Identifiant : {request.original_message_id}\n"
    )


def mdn_subject(request: MdnRequest) -> str:
    """The ANS subject: ``[KO Intégration système !][code] <original subject>`` on error."""
    if request.error is not None:
        return f"[KO Intégration système !][{request.error.code}] {request.original_subject}"
    return request.original_subject


def build_mdn(request: MdnRequest, *, message_id: str, date: datetime) -> bytes:
    """The MDN as RFC 5322 bytes with CRLF line ends, ready for submission."""
    boundary = "=_mdn_" + hashlib.sha256(message_id.encode()).hexdigest()[:32]
    references = " ".join(dict.fromkeys((*request.original_references,
                                         request.original_message_id)))
    sender = (
        formataddr((request.from_name, request.from_address), charset="utf-8")
        if request.from_name
        else request.from_address
    )
    head = [
        f"From: {sender}",
        f"To: {request.to_address}",
        f"Subject: {_header(mdn_subject(request))}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        f"In-Reply-To: {request.original_message_id}",
        f"References: {references}",
        "MIME-Version: 1.0",
        "Auto-Submitted: auto-replied" if request.automatic else "Auto-Submitted: no",
        f"X-MSS-NIL: {_ascii(request.nil)}",
        "Content-Type: multipart/report; report-type=disposition-notification;",
        f' boundary="{boundary}"',
    ]
    human = quopri.encodestring(_human_text(request).encode("utf-8")).decode("ascii")
    fields = [f"Reporting-UA: {_ascii(request.reporting_ua)}"]
    if request.original_recipient:
        fields.append(f"Original-Recipient: rfc822; {request.original_recipient}")
    fields += [
        f"Final-Recipient: rfc822; {request.final_recipient}",
        f"Original-Message-ID: {request.original_message_id}",
        f"Disposition: {_disposition(request)}",
    ]
    body = [
        "",
        "This is a MIME-formatted message disposition notification.",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        human.rstrip("\n"),
        f"--{boundary}",
        "Content-Type: message/disposition-notification",
        "",
        *fields,
        "",
    ]
    returned: bytes = b""
    if request.original_message is not None:
        original_bytes = request.original_message.replace(b"\r\n", b"\n").rstrip(b"\n")
        eight_bit = not original_bytes.isascii()
        body += [
            f"--{boundary}",
            "Content-Type: message/rfc822",
            f"Content-Transfer-Encoding: {'8bit' if eight_bit else '7bit'}",
            "",
        ]
        returned = original_bytes.replace(b"\n", b"\r\n") + b"\r\n"
    elif request.original_headers:
        original = request.original_headers.replace("\r\n", "\n").strip("\n")
        body += [
            f"--{boundary}",
            "Content-Type: text/rfc822-headers",
            "",
            original.encode("ascii", "replace").decode("ascii"),
            "",
        ]
    text = "\n".join([*head, *body]) + "\n"
    encoded = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")
    return encoded + returned + f"--{boundary}--\r\n".encode("ascii")
