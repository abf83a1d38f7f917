"""Read incoming DSNs (RFC 3464) and MDNs (RFC 8098) into ``app.domain.receipt`` models.

Real receipts are often malformed (../shared/corpus/acks/, the ANS inline example): fields written
right under the part's Content-Type with no blank line, a missing Disposition or Final-Recipient,
friendly names in Final-Recipient, spaces inside the Original-Message-ID, no Original-Message-ID at
all. Everything known is returned; linking falls back from Original-Message-ID (or a DSN's
X-Original-Message-Id) to In-Reply-To, then References, then the returned original's Message-ID.
"""

from __future__ import annotations

import re

from app.domain.message import FieldBlock, ParsedMessage, normalize_message_id
from app.domain.receipt import (
    INTEGRATION_ERRORS,
    DeliveryAction,
    Disposition,
    DispositionType,
    IntegrationError,
    Receipt,
    ReceiptKind,
    RecipientStatus,
)
from app.protocols.mime.parser import parse_message

KO_SUBJECT = re.compile(r"\[\s*KO\s+Int[ée]gration\s+syst[èe]me\s*!?\s*\]\s*\[\s*(\d{3})\s*\]",
                        re.IGNORECASE)
_ERROR = re.compile(r"error\s*:?\s*(\d{3})\s*(?:\^\s*([^\^\r\n]*))?", re.IGNORECASE)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_ANGLE = re.compile(r"<([^<>]+)>")


def _get(block: FieldBlock, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in block if key.lower() == wanted), None)


def _find(blocks: tuple[FieldBlock, ...], name: str) -> str | None:
    for block in blocks:
        value = _get(block, name)
        if value:
            return value
    return None


def recipient_address(value: str | None) -> str | None:
    """``rfc822; a@b`` / ``Name <a@b>`` / ``a@b`` -> ``a@b``."""
    if not value:
        return None
    text = value.split(";", 1)[1] if ";" in value else value
    match = _ANGLE.search(text)
    address = (match.group(1) if match else text).strip().strip("<>").strip()
    return address or None


def parse_disposition(value: str | None, subject: str = "") -> Disposition | None:
    """``automatic-action/MDN-sent-automatically; processed/Error: 902^libellé`` and variants."""
    if not value:
        from_subject = _subject_error(subject)
        if from_subject is None:
            return None
        return Disposition(None, None, DispositionType.UNKNOWN, error=from_subject, raw="")
    modes, _, rest = value.partition(";")
    if not rest:  # no mode part at all: "processed"
        modes, rest = "", value
    action_mode, _, sending_mode = modes.strip().partition("/")
    type_text, *modifier_texts = rest.strip().split("/")
    kind = type_text.strip().lower()
    try:
        disposition_type = DispositionType(kind)
    except ValueError:
        disposition_type = DispositionType.UNKNOWN
    error: IntegrationError | None = None
    match = _ERROR.search(rest)
    if match:
        code = int(match.group(1))
        label = (match.group(2) or "").strip() or INTEGRATION_ERRORS.get(code, "")
        error = IntegrationError(code, label)
    else:
        error = _subject_error(subject)
    return Disposition(
        action_mode=action_mode.strip() or None,
        sending_mode=sending_mode.strip() or None,
        type=disposition_type,
        error=error,
        modifiers=tuple(m.strip() for m in modifier_texts if m.strip()),
        raw=value,
    )


def _subject_error(subject: str) -> IntegrationError | None:
    match = KO_SUBJECT.search(subject)
    if not match:
        return None
    code = int(match.group(1))
    return IntegrationError(code, INTEGRATION_ERRORS.get(code, ""))


def _original_id(message: ParsedMessage, blocks: tuple[FieldBlock, ...]) -> str | None:
    for name in ("Original-Message-ID", "X-Original-Message-Id", "X-Original-Message-ID"):
        found = normalize_message_id(_find(blocks, name))
        if found:
            return found
    if message.in_reply_to:
        return message.in_reply_to[0]
    if message.references:
        return message.references[-1]
    if message.report is not None:
        return normalize_message_id(_get(message.report.original_headers, "Message-ID"))
    return None


def _action(value: str | None) -> DeliveryAction:
    token = (value or "").strip().split(" ", 1)[0].split(";", 1)[0].lower()
    try:
        return DeliveryAction(token)
    except ValueError:
        return DeliveryAction.UNKNOWN


def _diagnostic(value: str | None) -> str | None:
    if not value:
        return None
    return (value.split(";", 1)[1] if ";" in value else value).strip() or None


def _dsn_recipients(blocks: tuple[FieldBlock, ...]) -> tuple[RecipientStatus, ...]:
    result = []
    for block in blocks:
        final = _get(block, "Final-Recipient")
        original = _get(block, "Original-Recipient")
        if final is None and original is None:
            continue
        status_text = _get(block, "Status")
        status = _STATUS.search(status_text or "")
        result.append(
            RecipientStatus(
                final_recipient=recipient_address(final),
                original_recipient=recipient_address(original),
                action=_action(_get(block, "Action")),
                status=status.group(1) if status else None,
                diagnostic=_diagnostic(_get(block, "Diagnostic-Code")),
            )
        )
    return tuple(result)


def _kind(message: ParsedMessage) -> ReceiptKind | None:
    report = message.report
    if report is not None:
        if "disposition" in report.report_type or _find(report.field_blocks, "Disposition"):
            return ReceiptKind.MDN
        if "delivery" in report.report_type or _find(report.field_blocks, "Action") or _find(
            report.field_blocks, "Final-Recipient"
        ):
            return ReceiptKind.DSN
        return None
    if KO_SUBJECT.search(message.subject):
        return ReceiptKind.MDN
    return None


def parse_receipt(message: ParsedMessage) -> Receipt | None:
    """The receipt carried by ``message``, or None when it is not one. Never raises."""
    kind = _kind(message)
    if kind is None:
        return None
    report = message.report
    blocks = report.field_blocks if report is not None else ()
    notes: list[str] = []
    original = _original_id(message, blocks)
    if original is None:
        notes.append("accusé sans identifiant du message d'origine : il n'a pas pu être rattaché")
    if kind is ReceiptKind.DSN:
        recipients = _dsn_recipients(blocks)
        if not recipients:
            notes.append("avis de remise sans destinataire identifiable")
        return Receipt(
            kind=kind,
            receipt_message_id=message.message_id,
            original_message_id=original,
            recipients=recipients,
            reporting=_find(blocks, "Reporting-MTA"),
            subject=message.subject,
            human_text=report.human_text if report else message.text_body,
            from_address=message.from_address,
            notes=tuple(notes),
        )
    disposition = parse_disposition(_find(blocks, "Disposition"), message.subject)
    if disposition is None:
        notes.append("accusé de lecture sans champ Disposition")
    final = recipient_address(_find(blocks, "Final-Recipient"))
    if final is None:
        notes.append("accusé de lecture sans champ Final-Recipient")
    recipient = RecipientStatus(
        final_recipient=final or message.from_address,
        original_recipient=recipient_address(_find(blocks, "Original-Recipient")),
    )
    return Receipt(
        kind=kind,
        receipt_message_id=message.message_id,
        original_message_id=original,
        recipients=(recipient,),
        disposition=disposition,
        reporting=_find(blocks, "Reporting-UA"),
        subject=message.subject,
        human_text=report.human_text if report else message.text_body,
        from_address=message.from_address,
        notes=tuple(notes),
    )


def parse_receipt_bytes(raw: bytes) -> Receipt | None:
    return parse_receipt(parse_message(raw))
