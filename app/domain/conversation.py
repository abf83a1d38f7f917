"""Patient conversations over the messagerie citoyenne (spec §5, ECO.2.2.6, ECO.2.2.8).

Rules modelled here (pure, no I/O):
- only a professional opens a conversation, with a patient address built from a qualified INS;
- the patient replies; replies attach to the conversation (References/In-Reply-To, else the
  patient's address and the mailbox's open conversation);
- the professional closes it: the closing message carries ``X-MSS-MES: FIN`` (ECO.2.2.8), and a
  received ``X-MSS-MES: FIN`` or subject ``[FIN]`` from the professional side closes it too;
- a patient's opposition to MSSanté exchanges blocks sending;
- exception: a patient may send a prescription to a pharmacy's ORG box, which opens a
  conversation there;
- bounces from Mon espace santé (closed account, unknown patient) block the conversation;
- 25 MB at most per message to a patient.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from app.domain.address import MssAddress
from app.domain.ins import InsMatricule, patient_address
from app.errors import UserFacingError

CLOSE_HEADER = "X-MSS-MES"
CLOSE_VALUE = "FIN"
CLOSE_SUBJECT = "[FIN]"
PATIENT_MESSAGE_MAX_BYTES = 25 * 1024 * 1024


class ConversationError(UserFacingError, ValueError):
    """A conversation rule refused the action; the message is French and shown to the user."""


class ConversationState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    BLOCKED = "blocked"


class BlockReason(enum.Enum):
    OPPOSITION = "opposition"
    ACCOUNT_CLOSED = "account_closed"
    UNKNOWN_PATIENT = "unknown_patient"


BLOCK_TEXT = {
    BlockReason.OPPOSITION: "le patient s'est opposé aux échanges par messagerie sécurisée",
    BlockReason.ACCOUNT_CLOSED: "la messagerie Mon espace santé de ce patient est fermée",
    BlockReason.UNKNOWN_PATIENT: "Mon espace santé ne connaît pas ce patient (adresse inconnue)",
}


@dataclass(frozen=True, slots=True)
class Conversation:
    conversation_id: str
    patient_ins: InsMatricule
    patient_address: MssAddress
    mailbox: str  # the professional mailbox address
    state: ConversationState = ConversationState.OPEN
    message_ids: tuple[str, ...] = ()
    block_reason: BlockReason | None = None
    patient_initiated: bool = False  # the pharmacy exception

    def with_message(self, message_id: str | None) -> Conversation:
        if not message_id or message_id in self.message_ids:
            return self
        return replace(self, message_ids=(*self.message_ids, message_id))

    def refers_to(self, ids: tuple[str, ...]) -> bool:
        return any(i in self.message_ids for i in ids)


def open_conversation(
    conversation_id: str,
    ins: InsMatricule | str,
    *,
    ins_qualified: bool,
    mailbox: str,
    opposed: bool = False,
) -> Conversation:
    """The professional starts a conversation (ECO.2.2.6: address only from a qualified INS)."""
    address = patient_address(ins, ins_qualified)
    if opposed:
        raise ConversationError(
            f"Envoi impossible : {BLOCK_TEXT[BlockReason.OPPOSITION]}."
        )
    return Conversation(conversation_id, InsMatricule(address.local_part), address, mailbox)


def check_can_send(conversation: Conversation, *, opposed: bool = False) -> None:
    """Refuse sending in a conversation that is blocked, closed, or when the patient opposes."""
    if opposed:
        raise ConversationError(f"Envoi impossible : {BLOCK_TEXT[BlockReason.OPPOSITION]}.")
    if conversation.state is ConversationState.BLOCKED:
        reason = BLOCK_TEXT.get(conversation.block_reason or BlockReason.OPPOSITION)
        raise ConversationError(f"Envoi impossible : {reason}.")
    if conversation.state is ConversationState.CLOSED:
        raise ConversationError(
            "Cette conversation est close : ouvrez-en une nouvelle pour écrire au patient."
        )


def closing_headers() -> dict[str, str]:
    """Headers the outbox builder adds to the message that closes a conversation (ECO.2.2.8)."""
    return {CLOSE_HEADER: CLOSE_VALUE}


def is_closing(subject: str, mes_header: str | None) -> bool:
    """``X-MSS-MES: FIN`` (preferred) or a subject exactly ``[FIN]``."""
    if mes_header is not None and mes_header.strip().upper() == CLOSE_VALUE:
        return True
    return subject.strip().upper() == CLOSE_SUBJECT


def close(conversation: Conversation) -> Conversation:
    if conversation.state is ConversationState.BLOCKED:
        return conversation
    return replace(conversation, state=ConversationState.CLOSED)


def block(conversation: Conversation, reason: BlockReason) -> Conversation:
    return replace(conversation, state=ConversationState.BLOCKED, block_reason=reason)


def check_patient_message_size(size_bytes: int) -> None:
    """25 MB per message to or from a patient (spec §5); larger would bounce."""
    if size_bytes > PATIENT_MESSAGE_MAX_BYTES:
        megabytes = size_bytes / (1024 * 1024)
        raise ConversationError(
            f"Le message fait {megabytes:.1f} Mo : la messagerie des patients n'accepte pas "
            "plus de 25 Mo par message. Retirez ou allégez des pièces jointes."
        )
