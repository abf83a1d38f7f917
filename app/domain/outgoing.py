"""What the user sends: the outgoing message, the outbox states, and the rules checked before
anything is queued (sender display name, sizes, retry delays). Pure: no I/O.

Sizes are checked on the built message (headers + encoded body), which is what the servers count:
the account's own limit, and 25 MB whenever a patient (``@patient.mssante.fr``) is a recipient
(spec §5: Mon espace santé bounces anything larger).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field

from app.domain.ins import PATIENT_DOMAIN
from app.errors import InvalidInputError, UserFacingError

# Mon espace santé: 25 MB per message at most (decimal megabytes, the stricter reading).
PATIENT_MAX_BYTES = 25_000_000
# When the operator publishes no limit: what most MSSanté operators accept.
DEFAULT_ACCOUNT_MAX_BYTES = 40_000_000
# The undo-send window of the window (the command line sends at once).
DEFAULT_UNDO_SECONDS = 10.0

# Exponential backoff for transient failures (4xx, network): 30 s, 1 min, 2 min... capped at 1 h.
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 3600.0
# After this many transient failures in a row the item is failed and shown to the user.
MAX_ATTEMPTS = 12


class OutboxState(enum.StrEnum):
    """draft (in the drafts table) -> queued -> submitting -> submitted -> filed; retry_wait on a
    transient failure; failed when nothing is left to try."""

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    FILED = "filed"
    FAILED = "failed"
    RETRY_WAIT = "retry_wait"
    CANCELLED = "cancelled"


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    FAILED = "failed"  # permanent (5xx): not retried
    DEFERRED = "deferred"  # transient (4xx): retried


class RecipientKind(enum.StrEnum):
    TO = "to"
    CC = "cc"
    BCC = "bcc"


class SentFiling(enum.StrEnum):
    """Who puts the copy in the Sent folder: the client (IMAP APPEND) or the operator's server."""

    CLIENT = "client"
    OPERATOR = "operator"


class SendRefusedError(UserFacingError):
    """The message cannot be queued as it is (recipient, size, sender name...); exit code 1."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class MssHeaders:
    """The MSSanté headers that come with structured documents (spec §6)."""

    code_cda: str | None = None  # X-MSS-CODECDA
    ins: str | None = None  # X-MSS-INS: "O" or "N"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message ready to be built: addresses are already checked, bare ``local@domain``."""

    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    request_mdn: bool = False
    end_conversation: bool = False  # X-MSS-MES: FIN (ECO.2.2.8)
    mss: MssHeaders = field(default_factory=MssHeaders)
    reply_to: str | None = None

    @property
    def recipients(self) -> tuple[tuple[str, RecipientKind], ...]:
        seen: set[str] = set()
        out: list[tuple[str, RecipientKind]] = []
        for kind, addresses in (
            (RecipientKind.TO, self.to),
            (RecipientKind.CC, self.cc),
            (RecipientKind.BCC, self.bcc),
        ):
            for address in addresses:
                key = address.casefold()
                if key not in seen:
                    seen.add(key)
                    out.append((address, kind))
        return tuple(out)


_EMAIL_LIKE = re.compile(r"^\S+@\S+$")


def check_display_name(name: str | None, address: str) -> str:
    """The sender display name, if meaningful (ECO.2.2.7): a name people recognise, not empty,
    not the address itself, with at least two letters. Raises SendRefusedError otherwise."""
    text = " ".join((name or "").split())
    letters = sum(1 for c in text if unicodedata.category(c).startswith("L"))
    if (
        not text
        or _EMAIL_LIKE.match(text)
        or text.casefold() == address.casefold()
        or letters < 2
        or any(unicodedata.category(c) in ("Cc", "Cf") for c in text)
    ):
        raise SendRefusedError(
            f"Envoi refusé : le compte {address} n'a pas de nom d'expéditeur explicite "
            "(ex. « Dr Jean MARTIN »). Renseignez le nom affiché du compte (ECO.2.2.7).",
            message_en=f"Sending refused: the account {address} has no meaningful sender name "
            "(e.g. “Dr Jean MARTIN”). Set the account's display name (ECO.2.2.7).",
        )
    if len(text) > 200:
        raise InvalidInputError(
            "Le nom d'expéditeur est trop long (200 caractères au plus).",
            message_en="The sender name is too long (200 characters at most).",
        )
    return text


def is_patient_recipient(address: str) -> bool:
    return address.rsplit("@", 1)[-1].rstrip(".").casefold() == PATIENT_DOMAIN


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} Mo".replace(".", ",")


def check_size(size: int, recipients: tuple[str, ...], account_limit: int | None) -> None:
    """Refuse a built message that a server would bounce: before queueing, not after."""
    limit = account_limit if account_limit and account_limit > 0 else DEFAULT_ACCOUNT_MAX_BYTES
    if size > limit:
        raise SendRefusedError(
            f"Message trop volumineux : {_mb(size)} pour une limite de {_mb(limit)} sur ce compte. "
            "Retirez ou allégez des pièces jointes.",
            message_en=f"Message too large: {size} bytes for a limit of {limit} on this account.",
        )
    if size > PATIENT_MAX_BYTES and any(is_patient_recipient(r) for r in recipients):
        raise SendRefusedError(
            f"Message trop volumineux pour un patient : {_mb(size)}, alors que la messagerie de "
            f"Mon espace santé refuse au-delà de {_mb(PATIENT_MAX_BYTES)}.",
            message_en=f"Message too large for a patient: {size} bytes, over the "
            f"{PATIENT_MAX_BYTES}-byte limit of Mon espace santé.",
        )


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th consecutive transient failure (1-based)."""
    exponent = max(0, attempts - 1)
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * (2.0**exponent))


def is_transient_code(code: int | None) -> bool:
    """SMTP 4xx (and no code at all: network trouble) are worth retrying; 5xx are not."""
    return code is None or 400 <= code < 500
