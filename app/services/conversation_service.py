"""Patient conversations: the domain rules applied to the mail sent and received.

The repository is injected (``ConversationRepository``): ``app.store.conversation_store`` keeps
them in the encrypted store (the composition root wires it, with the outbox consulting
``for_outgoing`` before queueing and the receipt service feeding ``on_incoming``);
``InMemoryConversationRepository`` serves the pure tests.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.domain.address import InvalidAddressError, is_patient_address, parse_address
from app.domain.conversation import (
    BLOCK_TEXT,
    BlockReason,
    Conversation,
    ConversationError,
    ConversationState,
    block,
    check_can_send,
    check_patient_message_size,
    close,
    closing_headers,
    is_closing,
    open_conversation,
)
from app.domain.ins import PATIENT_DOMAIN, InsMatricule
from app.domain.message import ParsedMessage
from app.domain.receipt import ReceiptKind, RecipientOutcome
from app.protocols.mime.receipts import parse_receipt

PATIENT_MAILER_DAEMON = f"mailer-daemon@{PATIENT_DOMAIN}"


class ConversationRepository(Protocol):
    def get(self, conversation_id: str) -> Conversation | None: ...

    def find_by_message_ids(self, mailbox: str, ids: tuple[str, ...]) -> Conversation | None: ...

    def find_open(self, mailbox: str, patient_address: str) -> Conversation | None: ...

    def find_latest(self, mailbox: str, patient_address: str) -> Conversation | None: ...

    def save(self, conversation: Conversation) -> None: ...


class InMemoryConversationRepository:
    """For tests and until the store-backed repository exists."""

    def __init__(self) -> None:
        self._items: dict[str, Conversation] = {}

    def get(self, conversation_id: str) -> Conversation | None:
        return self._items.get(conversation_id)

    def find_by_message_ids(self, mailbox: str, ids: tuple[str, ...]) -> Conversation | None:
        return next(
            (c for c in self._items.values() if c.mailbox == mailbox and c.refers_to(ids)), None
        )

    def _of(self, mailbox: str, patient_address: str) -> list[Conversation]:
        key = patient_address.casefold()
        return [
            c for c in self._items.values()
            if c.mailbox == mailbox and c.patient_address.comparison_key == key
        ]

    def find_open(self, mailbox: str, patient_address: str) -> Conversation | None:
        return next(
            (c for c in reversed(self._of(mailbox, patient_address))
             if c.state is ConversationState.OPEN),
            None,
        )

    def find_latest(self, mailbox: str, patient_address: str) -> Conversation | None:
        found = self._of(mailbox, patient_address)
        return found[-1] if found else None

    def save(self, conversation: Conversation) -> None:
        self._items.pop(conversation.conversation_id, None)
        self._items[conversation.conversation_id] = conversation


class IncomingResult(enum.Enum):
    ATTACHED = "attached"
    OPENED_BY_PATIENT = "opened_by_patient"  # the pharmacy exception
    CLOSED = "closed"
    BLOCKED = "blocked"
    OPENED = "opened"  # by the professional, seen from their synced Sent folder
    REFUSED = "refused"  # a patient writing outside any conversation
    NOT_CONCERNED = "not_concerned"


@dataclass(frozen=True, slots=True)
class IncomingOutcome:
    result: IncomingResult
    conversation: Conversation | None = None
    reason: str | None = None  # French


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def looks_like_prescription(message: ParsedMessage) -> bool:
    """A document is attached and the subject, text or a file name speaks of a prescription."""
    if not message.attachments:
        return False
    haystack = _fold(" ".join([message.subject, message.text_body or "",
                               *(a.name or "" for a in message.attachments)]))
    return "ordonnance" in haystack or "prescription" in haystack


def _bounce_reason(status: str | None, diagnostic: str | None) -> BlockReason:
    text = _fold(diagnostic or "")
    if any(word in text for word in ("ferme", "closed", "desactiv", "disabled", "clotur")):
        return BlockReason.ACCOUNT_CLOSED
    if (status or "").startswith("5.2"):
        return BlockReason.ACCOUNT_CLOSED
    return BlockReason.UNKNOWN_PATIENT


class ConversationService:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        new_id: Callable[[], str],
        is_opposed: Callable[[InsMatricule], bool] = lambda _ins: False,
        prescription_detector: Callable[[ParsedMessage], bool] = looks_like_prescription,
    ) -> None:
        self._repository = repository
        self._new_id = new_id
        self._is_opposed = is_opposed
        self._is_prescription = prescription_detector

    # -- professional side ------------------------------------------------------------------

    def start(self, ins: InsMatricule | str, *, ins_qualified: bool, mailbox: str) -> Conversation:
        """The professional opens a conversation (only the professional may, spec §5)."""
        matricule = ins if isinstance(ins, InsMatricule) else InsMatricule(str(ins))
        conversation = open_conversation(
            self._new_id(), matricule, ins_qualified=ins_qualified, mailbox=mailbox,
            opposed=self._is_opposed(matricule),
        )
        self._repository.save(conversation)
        return conversation

    def _require(self, conversation_id: str) -> Conversation:
        conversation = self._repository.get(conversation_id)
        if conversation is None:
            raise ConversationError("Conversation introuvable.")
        return conversation

    def before_send(self, conversation_id: str, size_bytes: int) -> Conversation:
        """Checks to run before queueing a message to the patient (opposition, state, 25 MB)."""
        conversation = self._require(conversation_id)
        check_can_send(conversation, opposed=self._is_opposed(conversation.patient_ins))
        check_patient_message_size(size_bytes)
        return conversation

    def for_outgoing(
        self, *, mailbox: str, patient_address: str, refs: tuple[str, ...] = ()
    ) -> Conversation:
        """The conversation a message to ``patient_address`` belongs to, checked (ECO.2.2.6).

        A reply (``refs``) stays in its conversation, which must still be open; otherwise the open
        conversation with this patient, or a new one opened by the professional. A patient whose
        last conversation was blocked (opposition, account closed, unknown) is refused, as is a
        patient who opposes exchanges. Raises ConversationError (French).
        """
        conversation = self._repository.find_by_message_ids(mailbox, refs) if refs else None
        if conversation is not None:
            check_can_send(conversation, opposed=self._is_opposed(conversation.patient_ins))
            return conversation
        latest = self._repository.find_latest(mailbox, patient_address)
        if latest is not None and latest.state is ConversationState.BLOCKED:
            check_can_send(latest, opposed=self._is_opposed(latest.patient_ins))
        current = self._repository.find_open(mailbox, patient_address)
        if current is not None:
            check_can_send(current, opposed=self._is_opposed(current.patient_ins))
            return current
        address = parse_address(patient_address)
        # The address was accepted by the whitelist check, i.e. built from a valid INS matricule.
        return self.start(address.local_part.upper(), ins_qualified=True, mailbox=mailbox)

    def record_sent(self, conversation_id: str, message_id: str) -> Conversation:
        conversation = self._require(conversation_id).with_message(message_id)
        self._repository.save(conversation)
        return conversation

    def close(self, conversation_id: str, message_id: str | None = None) -> dict[str, str]:
        """Close the conversation; returns the headers the closing message must carry."""
        conversation = self._require(conversation_id).with_message(message_id)
        self._repository.save(close(conversation))
        return closing_headers()

    # -- incoming mail ----------------------------------------------------------------------

    def on_incoming(
        self, message: ParsedMessage, *, mailbox: str, pharmacy_org_box: bool = False
    ) -> IncomingOutcome:
        sender = (message.from_address or "").strip()
        if sender.casefold() == PATIENT_MAILER_DAEMON:
            return self._on_bounce(message, mailbox)
        refs = (*message.in_reply_to, *message.references)
        if is_patient_address(sender):
            return self._on_patient_message(message, mailbox, sender, refs, pharmacy_org_box)
        if is_closing(message.subject, message.mss.mes):
            # A closing message from the professional side (a colleague of the ORG box, or our
            # own copy synced from Sent).
            conversation = self._repository.find_by_message_ids(mailbox, refs)
            if conversation is None:
                for _, to in message.to:
                    if is_patient_address(to):
                        conversation = self._repository.find_open(mailbox, to)
                        break
            if conversation is not None:
                closed = close(conversation.with_message(message.message_id))
                self._repository.save(closed)
                return IncomingOutcome(IncomingResult.CLOSED, closed)
        return IncomingOutcome(IncomingResult.NOT_CONCERNED)

    def on_sent(self, message: ParsedMessage, *, mailbox: str) -> IncomingOutcome:
        """A message of the professional's own Sent folder, synced (sent from this client or from
        another one): addressed to a patient (``<INS>@patient.mssante.fr``, valid INS), it opens
        or joins that patient's conversation, started by the professional (spec §5); with
        ``X-MSS-MES: FIN`` (or a ``[FIN]`` subject) it closes it (ECO.2.2.8).

        Sync order is not send order (bodies come newest first, INBOX before Sent), so a message
        is linked by its own Message-ID or its references, and the references join the
        conversation too: an earlier message met later finds its conversation again.
        """
        patients = [address for _, address in (*message.to, *message.cc)
                    if is_patient_address(address)]
        if not patients:
            return IncomingOutcome(IncomingResult.NOT_CONCERNED)
        own = (message.message_id,) if message.message_id else ()
        refs = (*message.in_reply_to, *message.references)
        conversation = self._repository.find_by_message_ids(mailbox, (*own, *refs))
        result = IncomingResult.ATTACHED
        if conversation is None:
            for address in patients:
                conversation = self._repository.find_open(mailbox, address)
                if conversation is not None:
                    break
        if conversation is None:
            try:
                ins = parse_address(patients[0]).local_part.upper()
                # The address is a valid INS matricule: it was built from a qualified identity.
                conversation = self.start(ins, ins_qualified=True, mailbox=mailbox)
            except (InvalidAddressError, ConversationError, ValueError):
                return IncomingOutcome(IncomingResult.REFUSED,
                                       reason="adresse patient ou opposition du patient")
            result = IncomingResult.OPENED
        for message_id in (*own, *refs):
            conversation = conversation.with_message(message_id)
        if is_closing(message.subject, message.mss.mes) and \
                conversation.state is ConversationState.OPEN:
            conversation = close(conversation)
            result = IncomingResult.CLOSED
        self._repository.save(conversation)
        return IncomingOutcome(result, conversation)

    def _on_patient_message(
        self,
        message: ParsedMessage,
        mailbox: str,
        sender: str,
        refs: tuple[str, ...],
        pharmacy_org_box: bool,
    ) -> IncomingOutcome:
        conversation = self._repository.find_by_message_ids(mailbox, refs)
        if conversation is None or conversation.state is not ConversationState.OPEN:
            conversation = self._repository.find_open(mailbox, sender) or conversation
        if conversation is not None and conversation.state is ConversationState.OPEN:
            attached = conversation.with_message(message.message_id)
            self._repository.save(attached)
            return IncomingOutcome(IncomingResult.ATTACHED, attached)
        if pharmacy_org_box and self._is_prescription(message):
            try:
                address = parse_address(sender)
            except InvalidAddressError:
                return IncomingOutcome(IncomingResult.REFUSED, reason="adresse patient invalide")
            opened = Conversation(
                self._new_id(), InsMatricule(address.local_part.upper()), address, mailbox,
                patient_initiated=True,
            ).with_message(message.message_id)
            self._repository.save(opened)
            return IncomingOutcome(IncomingResult.OPENED_BY_PATIENT, opened)
        reason = (
            "message d'un patient hors de toute conversation ouverte : seul un professionnel "
            "peut ouvrir une conversation (sauf ordonnance adressée à une pharmacie)"
        )
        return IncomingOutcome(IncomingResult.REFUSED, conversation, reason)

    def _on_bounce(self, message: ParsedMessage, mailbox: str) -> IncomingOutcome:
        receipt = parse_receipt(message)
        if receipt is None or receipt.kind is not ReceiptKind.DSN:
            return IncomingOutcome(IncomingResult.NOT_CONCERNED)
        failed = [r for r in receipt.recipients if r.outcome is RecipientOutcome.FAILED]
        if not failed:
            return IncomingOutcome(IncomingResult.NOT_CONCERNED)
        ids = (receipt.original_message_id,) if receipt.original_message_id else ()
        conversation = self._repository.find_by_message_ids(mailbox, ids)
        recipient = failed[0]
        if conversation is None and recipient.final_recipient:
            conversation = self._repository.find_latest(mailbox, recipient.final_recipient)
        if conversation is None:
            return IncomingOutcome(
                IncomingResult.NOT_CONCERNED, reason="retour Mon espace santé sans conversation"
            )
        reason = _bounce_reason(recipient.status, recipient.diagnostic)
        blocked = block(conversation.with_message(message.message_id), reason)
        self._repository.save(blocked)
        return IncomingOutcome(IncomingResult.BLOCKED, blocked, BLOCK_TEXT[reason])
