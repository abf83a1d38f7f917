"""Patient conversation rules (spec §5; ECO.2.2.6, ECO.2.2.8)."""

from __future__ import annotations

import itertools

import pytest

from app.domain.conversation import (
    PATIENT_MESSAGE_MAX_BYTES,
    ConversationError,
    ConversationState,
    check_patient_message_size,
    is_closing,
)
from app.domain.ins import UnqualifiedInsError, compute_key
from app.domain.message import MssHeaders, ParsedMessage
from app.protocols.mime.parser import parse_message
from app.services.conversation_service import (
    ConversationService,
    IncomingResult,
    InMemoryConversationRepository,
)

BODY = "2840375123456"
INS = f"{BODY}{compute_key(BODY):02d}"
PATIENT = f"{INS}@patient.mssante.fr"
DOCTOR = "dr.martin@ch-exemple.mssante.fr"
PHARMACY = "officine@pharmacie-exemple.mssante.fr"


def _service(opposed: bool = False) -> ConversationService:
    counter = itertools.count(1)
    return ConversationService(
        repository=InMemoryConversationRepository(),
        new_id=lambda: f"c{next(counter)}",
        is_opposed=lambda _ins: opposed,
    )


def _from_patient(message_id: str, *, refs: tuple[str, ...] = (), subject: str = "Re: suivi",
                  attachments: bool = False) -> ParsedMessage:
    raw = (
        f"From: <{PATIENT}>\r\nTo: <{DOCTOR}>\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        + (f"In-Reply-To: {refs[-1]}\r\nReferences: {' '.join(refs)}\r\n" if refs else "")
        + "MIME-Version: 1.0\r\n"
    )
    if attachments:
        raw += (
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici mon ordonnance.\r\n"
            "--b\r\nContent-Type: application/pdf\r\n"
            'Content-Disposition: attachment; filename="ordonnance.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
        )
    else:
        raw += "Content-Type: text/plain; charset=utf-8\r\n\r\nMerci docteur.\r\n"
    return parse_message(raw.encode())


def test_only_a_qualified_ins_gives_a_patient_address() -> None:
    """ECO.2.2.6: the patient address is built only from a qualified INS."""
    service = _service()
    with pytest.raises(UnqualifiedInsError):
        service.start(INS, ins_qualified=False, mailbox=DOCTOR)
    conversation = service.start(INS, ins_qualified=True, mailbox=DOCTOR)
    assert conversation.patient_address.ascii == PATIENT
    assert conversation.state is ConversationState.OPEN


def test_patient_reply_attaches_by_references_then_by_address() -> None:
    """Spec §5: the patient replies inside the conversation the professional opened."""
    service = _service()
    conversation = service.start(INS, ins_qualified=True, mailbox=DOCTOR)
    service.record_sent(conversation.conversation_id, "<first@ch>")
    by_refs = service.on_incoming(_from_patient("<r1@p>", refs=("<first@ch>",)), mailbox=DOCTOR)
    assert by_refs.result is IncomingResult.ATTACHED
    assert by_refs.conversation is not None
    assert by_refs.conversation.message_ids == ("<first@ch>", "<r1@p>")
    by_address = service.on_incoming(_from_patient("<r2@p>"), mailbox=DOCTOR)
    assert by_address.result is IncomingResult.ATTACHED
    assert by_address.conversation is not None
    assert "<r2@p>" in by_address.conversation.message_ids


def test_a_patient_cannot_open_a_conversation() -> None:
    """Spec §5: only the professional starts a conversation."""
    outcome = _service().on_incoming(_from_patient("<x@p>"), mailbox=DOCTOR)
    assert outcome.result is IncomingResult.REFUSED
    assert outcome.reason is not None and "seul un professionnel" in outcome.reason


def test_pharmacy_exception_opens_a_conversation() -> None:
    """Spec §5: a patient may send a prescription to a pharmacy's ORG box."""
    service = _service()
    message = _from_patient("<o@p>", subject="Ordonnance", attachments=True)
    refused = service.on_incoming(message, mailbox=PHARMACY, pharmacy_org_box=False)
    assert refused.result is IncomingResult.REFUSED
    opened = service.on_incoming(message, mailbox=PHARMACY, pharmacy_org_box=True)
    assert opened.result is IncomingResult.OPENED_BY_PATIENT
    assert opened.conversation is not None and opened.conversation.patient_initiated
    assert opened.conversation.patient_address.ascii == PATIENT
    # Without a prescription the exception does not apply.
    plain = service.on_incoming(_from_patient("<n@p>", subject="Bonjour"), mailbox="x@o.mssante.fr",
                                pharmacy_org_box=True)
    assert plain.result is IncomingResult.REFUSED


def test_closing_sends_x_mss_mes_fin_and_blocks_further_sending() -> None:
    """ECO.2.2.8: closing a conversation sends ``X-MSS-MES: FIN``."""
    service = _service()
    conversation = service.start(INS, ins_qualified=True, mailbox=DOCTOR)
    headers = service.close(conversation.conversation_id, "<fin@ch>")
    assert headers == {"X-MSS-MES": "FIN"}
    with pytest.raises(ConversationError, match="close"):
        service.before_send(conversation.conversation_id, 1000)
    # A patient reply after closing no longer attaches.
    late = service.on_incoming(_from_patient("<late@p>", refs=("<fin@ch>",)), mailbox=DOCTOR)
    assert late.result is IncomingResult.REFUSED


def test_received_fin_from_the_professional_side_closes() -> None:
    """ECO.2.2.8: a received ``X-MSS-MES: FIN`` or subject ``[FIN]`` closes the conversation."""
    assert is_closing("[FIN]", None) and is_closing(" [fin] ", None)
    assert is_closing("Suite", "FIN") and not is_closing("[FIN] suite", None)
    service = _service()
    conversation = service.start(INS, ins_qualified=True, mailbox=DOCTOR)
    service.record_sent(conversation.conversation_id, "<a@ch>")
    raw = (f"From: <{DOCTOR}>\r\nTo: <{PATIENT}>\r\nSubject: [FIN]\r\nMessage-ID: <b@ch>\r\n"
           "In-Reply-To: <a@ch>\r\n\r\nAu revoir\r\n").encode()
    outcome = service.on_incoming(parse_message(raw), mailbox=DOCTOR)
    assert outcome.result is IncomingResult.CLOSED
    assert outcome.conversation is not None
    assert outcome.conversation.state is ConversationState.CLOSED
    assert parse_message(raw.replace(b"[FIN]", b"x").replace(b"\r\n\r\n",
                         b"\r\nX-MSS-MES: FIN\r\n\r\n")).mss == MssHeaders(mes="FIN")


def test_opposition_blocks_sending() -> None:
    """Spec §5: a patient's opposition to MSSanté exchanges is recorded and blocks sending."""
    with pytest.raises(ConversationError, match="opposé"):
        _service(opposed=True).start(INS, ins_qualified=True, mailbox=DOCTOR)
    repository = InMemoryConversationRepository()
    opposed = {"value": False}
    service = ConversationService(repository=repository, new_id=lambda: "c1",
                                  is_opposed=lambda _ins: opposed["value"])
    conversation = service.start(INS, ins_qualified=True, mailbox=DOCTOR)
    opposed["value"] = True
    with pytest.raises(ConversationError, match="opposé"):
        service.before_send(conversation.conversation_id, 10)


def test_25_mb_limit_for_patient_messages() -> None:
    """Spec §5: 25 MB per patient message at most."""
    check_patient_message_size(PATIENT_MESSAGE_MAX_BYTES)
    with pytest.raises(ConversationError, match="25 Mo"):
        check_patient_message_size(PATIENT_MESSAGE_MAX_BYTES + 1)


@pytest.mark.parametrize(
    ("status", "diagnostic", "expected"),
    [
        ("5.1.1", "smtp; 550 5.1.1 patient inconnu", "connaît"),
        ("5.2.1", "smtp; 550 5.2.1 mailbox disabled", "fermée"),
    ],
)
def test_mon_espace_sante_bounce_blocks_the_conversation(status: str, diagnostic: str,
                                                         expected: str) -> None:
    """Spec §5: bounces (closed account, unknown patient) update the conversation."""
    service = _service()
    conversation = service.start(INS, ins_qualified=True, mailbox=DOCTOR)
    service.record_sent(conversation.conversation_id, "<sent@ch>")
    raw = (
        f"From: MAILER-DAEMON@patient.mssante.fr\r\nTo: <{DOCTOR}>\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn@p>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; '
        'boundary="z"\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nEchec\r\n'
        "--z\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; patient\r\n\r\n"
        f"Final-Recipient: rfc822; {PATIENT}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: {diagnostic}\r\n\r\n"
        "--z\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <sent@ch>\r\n--z--\r\n"
    ).encode()
    outcome = service.on_incoming(parse_message(raw), mailbox=DOCTOR)
    assert outcome.result is IncomingResult.BLOCKED
    assert outcome.conversation is not None
    assert outcome.conversation.state is ConversationState.BLOCKED
    assert outcome.reason is not None
    with pytest.raises(ConversationError, match="Envoi impossible"):
        service.before_send(conversation.conversation_id, 10)
    assert expected in outcome.reason
