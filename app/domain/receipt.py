"""Delivery (DSN, RFC 3464) and disposition (MDN, RFC 8098) receipts, linked to a sent message.

ANS profile (struct-msg-mdn.md, error-codes.md): an integration error travels in the MDN's
``Disposition: ...; processed/Error: <code>^<libellé>`` and in the subject
``[KO Intégration système !][<code>] ...``; codes 900-906 are the applicative ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# ANS applicationErrorCondition (error-codes.md), French labels as published.
INTEGRATION_ERRORS: dict[int, str] = {
    900: "Version du document incorrecte lors d'une demande de remplacement/suppression",
    901: "Auteur non autorisé à remplacer ou supprimer un document",
    902: "Identifiant patient inconnu",
    903: "INS non présent dans le document",
    904: "L'INS transmis ne correspond pas exactement à celui stocké dans la base du consommateur",
    905: "L'INS transmis n'est pas complet",
    906: "Erreur 'Autre'",
}


class ReceiptKind(enum.Enum):
    DSN = "dsn"
    MDN = "mdn"


class DeliveryAction(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    DELAYED = "delayed"
    RELAYED = "relayed"
    EXPANDED = "expanded"
    UNKNOWN = "unknown"


class DispositionType(enum.Enum):
    DISPLAYED = "displayed"
    PROCESSED = "processed"
    DELETED = "deleted"
    DISPATCHED = "dispatched"
    UNKNOWN = "unknown"


class RecipientOutcome(enum.Enum):
    """What the user sees per recipient of a sent message."""

    DELIVERED = "delivered"
    FAILED = "failed"
    DELAYED = "delayed"
    READ = "read"  # displayed / processed without error
    INTEGRATION_ERROR = "integration_error"
    DELETED = "deleted"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class IntegrationError:
    code: int
    label: str  # as sent by the receiver, else the ANS label

    @property
    def ans_label(self) -> str | None:
        return INTEGRATION_ERRORS.get(self.code)


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient's line of a DSN, or the single recipient of an MDN."""

    final_recipient: str | None
    original_recipient: str | None = None
    action: DeliveryAction = DeliveryAction.UNKNOWN
    status: str | None = None  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str | None = None

    @property
    def outcome(self) -> RecipientOutcome:
        if self.action is DeliveryAction.FAILED or (self.status or "").startswith("5"):
            return RecipientOutcome.FAILED
        if self.action is DeliveryAction.DELAYED or (self.status or "").startswith("4"):
            return RecipientOutcome.DELAYED
        if self.action in (DeliveryAction.DELIVERED, DeliveryAction.RELAYED,
                           DeliveryAction.EXPANDED):
            return RecipientOutcome.DELIVERED
        return RecipientOutcome.UNKNOWN


@dataclass(frozen=True, slots=True)
class Disposition:
    action_mode: str | None  # "automatic-action" / "manual-action"
    sending_mode: str | None  # "MDN-sent-automatically" / "MDN-sent-manually"
    type: DispositionType
    error: IntegrationError | None = None
    modifiers: tuple[str, ...] = ()
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    """A parsed DSN or MDN. ``original_message_id`` is None when it cannot be linked."""

    kind: ReceiptKind
    receipt_message_id: str | None
    original_message_id: str | None
    recipients: tuple[RecipientStatus, ...] = ()
    disposition: Disposition | None = None
    reporting: str | None = None  # Reporting-MTA / Reporting-UA
    subject: str = ""
    human_text: str | None = None
    from_address: str | None = None
    notes: tuple[str, ...] = ()  # French remarks on what was missing or repaired

    @property
    def integration_error(self) -> IntegrationError | None:
        return self.disposition.error if self.disposition else None

    @property
    def linked(self) -> bool:
        return self.original_message_id is not None

    def outcome(self) -> RecipientOutcome:
        """The receipt's overall meaning (MDN: its disposition; DSN: its worst recipient)."""
        if self.kind is ReceiptKind.MDN:
            if self.integration_error is not None:
                return RecipientOutcome.INTEGRATION_ERROR
            if self.disposition is None:
                return RecipientOutcome.UNKNOWN
            if self.disposition.type is DispositionType.DELETED:
                return RecipientOutcome.DELETED
            if self.disposition.type is DispositionType.UNKNOWN:
                return RecipientOutcome.UNKNOWN
            return RecipientOutcome.READ
        outcomes = [r.outcome for r in self.recipients]
        for worst in (RecipientOutcome.FAILED, RecipientOutcome.DELAYED,
                      RecipientOutcome.DELIVERED):
            if worst in outcomes:
                return worst
        return RecipientOutcome.UNKNOWN
