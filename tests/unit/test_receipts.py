"""MDN building (ANS profile) and reading, DSN reading, and the MDN sending decision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.account import MailboxKind
from app.domain.receipt import (
    DeliveryAction,
    DispositionType,
    IntegrationError,
    ReceiptKind,
    RecipientOutcome,
)
from app.protocols.mime.mdn_builder import MdnPolicy, MdnRequest, build_mdn, mdn_decision
from app.protocols.mime.parser import parse_message
from app.protocols.mime.receipts import parse_disposition, parse_receipt_bytes

WHEN = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _request(**changes: object) -> MdnRequest:
    values: dict[str, object] = {
        "original_message_id": "<orig.1@ch-a.mssante.fr>",
        "original_subject": "XDM/1.0/DDM+Compte rendu DUPONT Jean 01/02/1960",
        "to_address": "serviceX@ch-a.mssante.fr",
        "from_address": "dpi@ch-b.mssante.fr",
        "final_recipient": "dpi@ch-b.mssante.fr",
        "reporting_ua": "ch-b.mssante.fr; Estafette",
        "nil": "Estafette 0.1",
        "original_recipient": "dpi@ch-b.mssante.fr",
        "original_references": ("<older@ch-a.mssante.fr>",),
    }
    values.update(changes)
    return MdnRequest(**values)  # type: ignore[arg-type]


def test_mdn_round_trip_success() -> None:
    """ECO.3.1.6: an MDN per the ANS profile is built and read back, linked to the original."""
    raw = build_mdn(_request(), message_id="<mdn.1@ch-b.mssante.fr>", date=WHEN)
    message = parse_message(raw)
    assert not message.broken
    assert message.content_type == "multipart/report"
    assert message.mss.nil == "Estafette 0.1"
    assert message.in_reply_to == ("<orig.1@ch-a.mssante.fr>",)
    assert message.references == ("<older@ch-a.mssante.fr>", "<orig.1@ch-a.mssante.fr>")
    receipt = parse_receipt_bytes(raw)
    assert receipt is not None and receipt.kind is ReceiptKind.MDN
    assert receipt.original_message_id == "<orig.1@ch-a.mssante.fr>"
    assert receipt.disposition is not None
    assert receipt.disposition.raw == "automatic-action/MDN-sent-automatically; processed"
    assert receipt.outcome() is RecipientOutcome.READ
    assert receipt.recipients[0].final_recipient == "dpi@ch-b.mssante.fr"
    assert receipt.human_text is not None and "a été traité" in receipt.human_text
    assert raw == build_mdn(_request(), message_id="<mdn.1@ch-b.mssante.fr>", date=WHEN)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_mdn_round_trip_integration_error() -> None:
    """ANS profile: error code and label in Disposition, KO subject, French human part."""
    error = IntegrationError(901, "Auteur non autorisé à remplacer ou supprimer un document")
    raw = build_mdn(_request(error=error), message_id="<mdn.2@b>", date=WHEN)
    receipt = parse_receipt_bytes(raw)
    assert receipt is not None
    assert receipt.subject.startswith("[KO Intégration système !][901] XDM/1.0/DDM+")
    assert receipt.integration_error is not None and receipt.integration_error.code == 901
    # Machine fields are ASCII (RFC 8098): the label loses its accents there only.
    assert receipt.integration_error.label == (
        "Auteur non autorise a remplacer ou supprimer un document")
    assert receipt.human_text is not None and "Auteur non autorisé" in receipt.human_text
    assert receipt.outcome() is RecipientOutcome.INTEGRATION_ERROR


def test_disposition_variants() -> None:
    manual = parse_disposition("manual-action/MDN-sent-manually; displayed")
    assert manual is not None and manual.type is DispositionType.DISPLAYED
    assert manual.action_mode == "manual-action" and manual.error is None
    compact = parse_disposition("automatic-action/MDN-sent-automatically;processed/error:903")
    assert compact is not None and compact.error is not None
    assert compact.error.code == 903 and compact.error.label == "INS non présent dans le document"
    bare = parse_disposition("deleted")
    assert bare is not None and bare.type is DispositionType.DELETED
    from_subject = parse_disposition(None, "[KO Intégration système !][904] XDM/1.0/DDM+x")
    assert from_subject is not None and from_subject.error is not None
    assert from_subject.error.code == 904
    assert parse_disposition(None, "Bonjour") is None


def test_dsn_per_recipient_status() -> None:
    """ECO.2.3.1: a DSN gives one status per recipient."""
    raw = (
        b"From: MAILER-DAEMON@x.mssante.fr\r\nMessage-ID: <d@x>\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=q\r\n\r\n"
        b"--q\r\n\r\nRapport\r\n--q\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; x.mssante.fr\r\n\r\n"
        b"Final-Recipient: rfc822; a@b.mssante.fr\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
        b"Final-Recipient: rfc822; c@d.mssante.fr\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
        b"--q\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <sent@me>\r\nSubject: s\r\n\r\nx"
        b"\r\n--q--\r\n"
    )
    receipt = parse_receipt_bytes(raw)
    assert receipt is not None and receipt.kind is ReceiptKind.DSN
    assert receipt.original_message_id == "<sent@me>"
    assert [r.action for r in receipt.recipients] == [DeliveryAction.DELIVERED,
                                                      DeliveryAction.DELAYED]
    assert receipt.outcome() is RecipientOutcome.DELAYED
    assert receipt.reporting == "dns; x.mssante.fr"


def test_plain_message_is_not_a_receipt() -> None:
    assert parse_receipt_bytes(b"Subject: bonjour\r\n\r\ntexte\r\n") is None


@pytest.mark.parametrize(
    ("kind", "policy", "requested", "matches", "send", "ask"),
    [
        (MailboxKind.APP, MdnPolicy.NEVER, True, True, True, False),
        (MailboxKind.APP, MdnPolicy.ALWAYS, False, True, False, False),
        (MailboxKind.APP, MdnPolicy.ALWAYS, True, False, False, False),
        (MailboxKind.PER, MdnPolicy.ALWAYS, True, True, True, False),
        (MailboxKind.PER, MdnPolicy.ASK, True, True, False, True),
        (MailboxKind.ORG, MdnPolicy.NEVER, True, True, False, False),
        (MailboxKind.ORG, MdnPolicy.ALWAYS, True, False, False, True),
    ],
)
def test_mdn_decision(kind: MailboxKind, policy: MdnPolicy, requested: bool, matches: bool,
                      send: bool, ask: bool) -> None:
    """ECO.3.1.6: automatic for APP boxes, by policy or user choice for PER/ORG (RFC 8098 §2.1
    forbids an automatic MDN when the requested address differs from the Return-Path)."""
    decision = mdn_decision(kind, policy, requested, return_path_matches=matches)
    assert (decision.send, decision.ask_user) == (send, ask)
    assert decision.reason


def test_mdn_returns_the_original_message_with_its_attachments() -> None:
    """ANS MDN profile (struct-msg-mdn): the original's attachments (IHE_XDM.ZIP, PDF) are given
    back in the MDN — the whole original as a message/rfc822 third part, 8-bit text included."""
    import email
    from email import policy

    original = (
        "From: Service X <serviceX@ch-a.mssante.fr>\r\n"
        "To: dpi@ch-b.mssante.fr\r\n"
        "Subject: XDM/1.0/DDM+Compte rendu DUPONT Jean 01/02/1960\r\n"
        "Message-ID: <orig.1@ch-a.mssante.fr>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Compte rendu ci-joint, résultats normaux.\r\n"
        "--b1\r\nContent-Type: application/zip; name=IHE_XDM.ZIP\r\n"
        "Content-Disposition: attachment; filename=IHE_XDM.ZIP\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nUEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\r\n"
        "--b1--\r\n"
    ).encode()
    raw = build_mdn(_request(original_message=original), message_id="<mdn.3@b>", date=WHEN)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=policy.compat32)
    parts = parsed.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/disposition-notification", "message/rfc822"]
    returned = parts[2].get_payload()[0]
    assert returned["Message-ID"] == "<orig.1@ch-a.mssante.fr>"
    names = [p.get_filename() for p in returned.walk() if p.get_filename()]
    assert names == ["IHE_XDM.ZIP"]
    receipt = parse_receipt_bytes(raw)
    assert receipt is not None and receipt.original_message_id == "<orig.1@ch-a.mssante.fr>"
