"""Patient conversations seen from the professional's synced Sent folder (issue 3 item 3; spec §5,
ECO.2.2.6 only the professional opens, ECO.2.2.8 ``X-MSS-MES: FIN`` closes), in any sync order."""

from __future__ import annotations

import itertools

from app.domain.conversation import ConversationState
from app.domain.ins import compute_key
from app.domain.message import ParsedMessage
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


def _service(opposed: bool = False) -> tuple[ConversationService, InMemoryConversationRepository]:
    counter = itertools.count(1)
    repository = InMemoryConversationRepository()
    return ConversationService(repository=repository, new_id=lambda: f"c{next(counter)}",
                               is_opposed=lambda _ins: opposed), repository


def _sent(message_id: str, *, to: str = PATIENT, refs: tuple[str, ...] = (),
          fin: bool = False) -> ParsedMessage:
    raw = (f"From: <{DOCTOR}>\r\nTo: <{to}>\r\nSubject: Vos résultats\r\n"
           f"Message-ID: {message_id}\r\n"
           + (f"In-Reply-To: {refs[-1]}\r\nReferences: {' '.join(refs)}\r\n" if refs else "")
           + ("X-MSS-MES: FIN\r\n" if fin else "")
           + "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n")
    return parse_message(raw.encode())


def _reply(message_id: str, refs: tuple[str, ...]) -> ParsedMessage:
    raw = (f"From: <{PATIENT}>\r\nTo: <{DOCTOR}>\r\nSubject: Re: Vos résultats\r\n"
           f"Message-ID: {message_id}\r\nIn-Reply-To: {refs[-1]}\r\n"
           f"References: {' '.join(refs)}\r\n\r\nMerci.\r\n")
    return parse_message(raw.encode())


def test_a_sent_message_to_a_patient_opens_then_fin_closes() -> None:
    """ECO.2.2.8: a sent ``X-MSS-MES: FIN`` closes the conversation the professional opened."""
    service, repository = _service()
    opened = service.on_sent(_sent("<a@ch>"), mailbox=DOCTOR)
    assert opened.result is IncomingResult.OPENED and opened.conversation is not None
    assert not opened.conversation.patient_initiated
    assert service.on_incoming(_reply("<b@p>", ("<a@ch>",)), mailbox=DOCTOR).result \
        is IncomingResult.ATTACHED
    closed = service.on_sent(_sent("<c@ch>", refs=("<a@ch>", "<b@p>"), fin=True), mailbox=DOCTOR)
    assert closed.result is IncomingResult.CLOSED
    (only,) = repository._of(DOCTOR, PATIENT)
    assert only.state is ConversationState.CLOSED
    assert set(only.message_ids) == {"<a@ch>", "<b@p>", "<c@ch>"}


def test_sync_order_newest_first_still_gives_one_closed_conversation() -> None:
    """ECO.2.2.8: ``X-MSS-MES: FIN`` closes the conversation whatever the sync order. Bodies are
    fetched newest first and INBOX before Sent: the patient's reply, then the closing message,
    then the first message."""
    service, repository = _service()
    assert service.on_incoming(_reply("<b@p>", ("<a@ch>",)), mailbox=DOCTOR).result \
        is IncomingResult.REFUSED
    service.on_sent(_sent("<c@ch>", refs=("<a@ch>", "<b@p>"), fin=True), mailbox=DOCTOR)
    late = service.on_sent(_sent("<a@ch>"), mailbox=DOCTOR)
    assert late.result is IncomingResult.ATTACHED
    (only,) = repository._of(DOCTOR, PATIENT)
    assert only.state is ConversationState.CLOSED
    assert set(only.message_ids) == {"<a@ch>", "<b@p>", "<c@ch>"}


def test_a_new_message_after_closing_opens_a_new_conversation() -> None:
    """ECO.2.2.8: a conversation closed by FIN stays closed; the next message opens a new one."""
    service, repository = _service()
    service.on_sent(_sent("<a@ch>", fin=True), mailbox=DOCTOR)
    again = service.on_sent(_sent("<z@ch>"), mailbox=DOCTOR)
    assert again.result is IncomingResult.OPENED
    states = [c.state for c in repository._of(DOCTOR, PATIENT)]
    assert states == [ConversationState.CLOSED, ConversationState.OPEN]
    # Sent again (second sync): already there, no third conversation.
    service.on_sent(_sent("<z@ch>"), mailbox=DOCTOR)
    assert len(repository._of(DOCTOR, PATIENT)) == 2


def test_not_a_patient_or_an_invalid_ins_or_an_opposed_patient() -> None:
    service, repository = _service()
    assert service.on_sent(_sent("<a@ch>", to="dr.bernard@rivoli.mssante.fr"),
                           mailbox=DOCTOR).result is IncomingResult.NOT_CONCERNED
    wrong_key = (compute_key(BODY) + 1) % 97
    bad = f"{BODY}{wrong_key:02d}@patient.mssante.fr"
    assert service.on_sent(_sent("<b@ch>", to=bad), mailbox=DOCTOR).result \
        is IncomingResult.NOT_CONCERNED
    opposed, _ = _service(opposed=True)
    assert opposed.on_sent(_sent("<c@ch>"), mailbox=DOCTOR).result is IncomingResult.REFUSED
    assert repository._of(DOCTOR, PATIENT) == []
