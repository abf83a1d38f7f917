"""The audit trail's entries (ECO.4.1.1–2): who did what on which mailbox, when, what was asked of
the server and what it answered — and, by construction, never any message content.

The no-content rule is enforced by the types, not by reviewers: an entry has no free-text field.
Actions and failures are enums; the request and the answer exchanged with the server are checked
token by token against an allow-list of protocol verbs, flags, fetch items and numbers (a subject,
a file name or a folder name cannot get through); counts are ints.

Recipients: the ANS asks to trace sending, but a correspondent's address is itself sensitive — a
patient's MSSanté address is their INS matricule (``<INS>@patient.mssante.fr``, spec §5), so a
full address in the trail would be health data. A send is therefore traced with the number of
recipients and their domains only. The mailbox's own address and the actor's login are not
content and are kept in full (they say *who* acted, which is the point of the trail).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.domain.account import check_address
from app.errors import InvalidInputError

RETENTION_MONTHS = 6


class AuditAction(enum.StrEnum):
    """What was done. The value is stored; ``label`` is the French column text of the export."""

    LOGIN = "login"
    LOGOUT = "logout"
    READ = "read"
    SEND = "send"
    DELETE = "delete"
    MOVE = "move"
    FLAG = "flag"
    EXPORT = "export"
    OPEN_ATTACHMENT = "open_attachment"
    PRINT = "print"
    FILE_DOCUMENT = "file_document"
    WHITELIST_EXCEPTION = "whitelist_exception"
    SETTINGS_CHANGE = "settings_change"
    SYNC = "sync"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS: dict[AuditAction, str] = {
    AuditAction.LOGIN: "connexion",
    AuditAction.LOGOUT: "déconnexion",
    AuditAction.READ: "lecture",
    AuditAction.SEND: "envoi",
    AuditAction.DELETE: "suppression",
    AuditAction.MOVE: "déplacement",
    AuditAction.FLAG: "marquage",
    AuditAction.EXPORT: "export",
    AuditAction.OPEN_ATTACHMENT: "ouverture de pièce jointe",
    AuditAction.PRINT: "impression",
    AuditAction.FILE_DOCUMENT: "classement dans le dossier patient",
    AuditAction.WHITELIST_EXCEPTION: "exception à la liste blanche",
    AuditAction.SETTINGS_CHANGE: "modification des paramètres",
    AuditAction.SYNC: "synchronisation",
}


class AuditOutcome(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"

    @property
    def label(self) -> str:
        return "succès" if self is AuditOutcome.SUCCESS else "échec"


class AuditFailure(enum.StrEnum):
    """Why an action failed, as a closed list (an exception text could quote content)."""

    NETWORK = "network"
    TIMEOUT = "timeout"
    TLS = "tls"
    AUTHENTICATION = "authentication"
    SERVER_REFUSED = "server_refused"
    PROTOCOL = "protocol"
    RECIPIENT_REFUSED = "recipient_refused"
    WHITELIST_BLOCKED = "whitelist_blocked"
    INVALID_INPUT = "invalid_input"
    LOCAL_ERROR = "local_error"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _FAILURE_LABELS[self]


_FAILURE_LABELS: dict[AuditFailure, str] = {
    AuditFailure.NETWORK: "serveur injoignable",
    AuditFailure.TIMEOUT: "délai dépassé",
    AuditFailure.TLS: "erreur TLS",
    AuditFailure.AUTHENTICATION: "authentification refusée",
    AuditFailure.SERVER_REFUSED: "refus du serveur",
    AuditFailure.PROTOCOL: "erreur de protocole",
    AuditFailure.RECIPIENT_REFUSED: "destinataire refusé",
    AuditFailure.WHITELIST_BLOCKED: "bloqué par la liste blanche",
    AuditFailure.INVALID_INPUT: "saisie invalide",
    AuditFailure.LOCAL_ERROR: "erreur locale",
    AuditFailure.CANCELLED: "annulé",
}


class AuditContentError(InvalidInputError, ValueError):
    """A value that could carry message content (or is malformed) was offered to the trail.

    This is a programming error in the caller; it is a UserFacingError only so that, should it
    ever escape, the user sees a sentence rather than a traceback.
    """

    default_message = "Entrée du journal d'audit refusée (contenu non autorisé)."
    default_message_en = "Audit entry refused (content not allowed)."


# --- the protocol allow-list ---------------------------------------------------------------------

# Commands, one or two words. LOGIN/AUTHENTICATE are traced without their arguments (secrets).
_VERBS: frozenset[str] = frozenset(
    {
        # IMAP
        "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN", "ENABLE", "ID",
        "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST",
        "LSUB", "STATUS", "APPEND", "IDLE", "DONE", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH",
        "FETCH", "STORE", "COPY", "MOVE", "NAMESPACE", "GETQUOTAROOT", "GETQUOTA",
        "UID FETCH", "UID STORE", "UID COPY", "UID MOVE", "UID EXPUNGE", "UID SEARCH",
        # SMTP
        "EHLO", "HELO", "AUTH", "MAIL FROM", "RCPT TO", "DATA", "BDAT", "RSET", "QUIT",
        # Local operations that have no server exchange but are still worth a verb.
        "LOCAL EXPORT", "LOCAL PRINT", "LOCAL OPEN", "LOCAL READ",
        # Deleted / moved on this workstation (the server exchange is traced when replayed).
        "LOCAL DELETE", "LOCAL MOVE",
    }
)
_SECRET_VERBS = frozenset({"LOGIN", "AUTHENTICATE", "AUTH"})
_SASL = frozenset({"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "EXTERNAL", "SCRAM-SHA-256"})
_FLAGS = frozenset(
    {
        "\\SEEN", "\\ANSWERED", "\\FLAGGED", "\\DELETED", "\\DRAFT",
        "$MDNSENT", "$FORWARDED", "$JUNK", "$NOTJUNK", "$PHISHING", "$IMPORTANT",
        "$LABEL1", "$LABEL2", "$LABEL3", "$LABEL4", "$LABEL5",
    }
)
_FETCH_ITEMS = frozenset(
    {
        "UID", "FLAGS", "ENVELOPE", "INTERNALDATE", "RFC822.SIZE", "BODYSTRUCTURE", "MODSEQ",
        "BODY.PEEK[]", "BODY[]", "BODY.PEEK[HEADER]", "BODY[HEADER]", "BODY.PEEK[TEXT]",
        "RFC822", "RFC822.HEADER", "X-GM-LABELS", "FAST", "ALL", "FULL",
        "CHANGEDSINCE", "VANISHED", "CONDSTORE", "QRESYNC", "UTF8=ACCEPT",
        "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ",
        "+FLAGS", "-FLAGS", "+FLAGS.SILENT", "-FLAGS.SILENT", "FLAGS.SILENT",
        "DELETED", "SEEN", "NOT", "SINCE", "BEFORE", "ON",
        # Folders are never named (a folder name may be a patient's name); they are given by
        # their special use, or as "#<local folder id>".
        "\\INBOX", "\\SENT", "\\TRASH", "\\ARCHIVE", "\\DRAFTS", "\\JUNK", "\\ALL",
        "SMTPUTF8", "BODY=8BITMIME", "RET=HDRS", "RET=FULL", "NOTIFY=SUCCESS,FAILURE,DELAY",
        "NOTIFY=SUCCESS,FAILURE", "NOTIFY=FAILURE", "NOTIFY=NEVER", "LAST",
    }
) | _SASL | _FLAGS
# Numbers, sequence sets (1:*, 3,5:9), local folder references (#12), recipient counts (×3),
# SMTP sizes (SIZE=1234), IMAP dates (01-JAN-2026) and the mailbox's own address placeholder.
_ARG_PATTERNS = re.compile(
    r"""^(
        [0-9*][0-9*:,]*            # sequence set
      | \#[0-9]{1,12}              # local folder id
      | ×[0-9]{1,6}                # how many times (RCPT TO ×3)
      | SIZE=[0-9]{1,12}
      | [0-9]{1,2}-[A-Z]{3}-[0-9]{4}
      | <BAL>                      # the mailbox's own address (MAIL FROM:<BAL>)
    )$""",
    re.VERBOSE,
)
_MAX_REQUEST = 200

# IMAP status (with an optional [CODE]) or SMTP reply code (with an optional enhanced code).
_RESPONSE = re.compile(
    r"^(?:(?:OK|NO|BAD|BYE|PREAUTH|\+)(?: \[[A-Z][A-Z0-9-]{0,40}(?: [0-9]{1,20})?\])?"
    r"|[2-5][0-9]{2}(?: [245]\.[0-9]{1,3}\.[0-9]{1,3})?"
    r"|NONE)$"
)

_LOGIN = re.compile(r"^[A-Za-z0-9._@+\-]{1,128}$")
_NATIONAL_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _tokens(text: str) -> list[str]:
    """Split on spaces while keeping parenthesised lists as their items (parentheses dropped)."""
    return text.replace("(", " ").replace(")", " ").split()


def check_request(text: str) -> str:
    """``text`` if it is a protocol request made only of allow-listed tokens.

    Examples: ``UID STORE 42 +FLAGS (\\Deleted)``, ``UID MOVE 42 \\Trash``, ``MAIL FROM:<BAL>``,
    ``RCPT TO ×3``, ``DATA``, ``LOGIN`` (never its arguments).
    """
    normalized = " ".join(text.split())
    if not normalized or len(normalized) > _MAX_REQUEST:
        raise AuditContentError(message_en=f"request empty or too long: {len(normalized)}")
    words = normalized.replace("FROM:", "FROM ").split(" ")
    verb = " ".join(words[:2]).upper()
    rest_index = 2
    if verb not in _VERBS:
        verb = words[0].upper()
        rest_index = 1
        if verb not in _VERBS:
            raise AuditContentError(message_en="request verb not in the allow-list")
    rest = " ".join(words[rest_index:])
    if verb in _SECRET_VERBS:
        # Only the SASL mechanism may follow; a login/password/token never.
        args = _tokens(rest)
        if len(args) > 1 or (args and args[0].upper() not in _SASL):
            raise AuditContentError(message_en="authentication requests are traced without args")
        return normalized
    for token in _tokens(rest):
        if token.upper() in _FETCH_ITEMS or _ARG_PATTERNS.match(token):
            continue
        raise AuditContentError(message_en="request argument not in the allow-list")
    return normalized


def check_response(text: str) -> str:
    """``text`` if it is a bare protocol status: ``OK``, ``NO [TRYCREATE]``, ``550 5.1.1``.

    The human-readable part of a server answer is dropped by the caller: servers echo addresses,
    folder names and sometimes subjects in it.
    """
    normalized = " ".join(text.split())
    if not _RESPONSE.match(normalized):
        raise AuditContentError(message_en="response is not a bare protocol status")
    return normalized


def check_domain(domain: str) -> str:
    value = domain.strip().rstrip(".").lower()
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(x) for x in labels):
        raise AuditContentError(message_en="recipient domain is not a DNS name")
    return value


@dataclass(frozen=True)
class AuditActor:
    """The authenticated person: their login on the mailbox and, when known, their national
    professional id (RPPS/ADELI, from Pro Santé Connect or the CPS card)."""

    login: str
    national_id: str | None = None

    def __post_init__(self) -> None:
        if not _LOGIN.match(self.login):
            raise AuditContentError(message_en="actor login is malformed")
        if self.national_id is not None and not _NATIONAL_ID.match(self.national_id):
            raise AuditContentError(message_en="actor national id is malformed")


def _check_time(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AuditContentError(message_en="audit time must be timezone-aware")
    return moment


def utc_stamp(moment: datetime) -> str:
    """``2026-11-22T00:25:37.123Z``: sorts as text and matches SQLite's strftime('%f')."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_utc_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def retention_cutoff(now: datetime) -> datetime:
    """The instant before which entries may be purged: six calendar months before ``now``."""
    now = _check_time(now).astimezone(UTC)
    month = now.month - RETENTION_MONTHS
    year = now.year
    while month <= 0:
        month += 12
        year -= 1
    day = now.day
    # 31 August minus six months is clamped to 28/29 February. SQLite's '-6 months' (the
    # table's delete trigger) overflows into early March instead, so this cutoff is never later
    # than the trigger's: a purge never trips it.
    while True:
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


@dataclass(frozen=True)
class AuditEntry:
    """One traced action. Every field is typed and validated: there is no free text.

    ``occurred_at`` is the workstation's clock, timezone-aware (stored in UTC with the local
    offset). ``message_ref`` is the store's local message id; ``attachment_index`` the position
    of an attachment in its message; ``recipient_count``/``recipient_domains`` describe a send.
    """

    mailbox: str
    actor: AuditActor
    action: AuditAction
    occurred_at: datetime
    outcome: AuditOutcome = AuditOutcome.SUCCESS
    failure: AuditFailure | None = None
    request: str | None = None
    response: str | None = None
    message_ref: int | None = None
    attachment_index: int | None = None
    recipient_count: int | None = None
    recipient_domains: tuple[str, ...] = field(default=())
    id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mailbox", _checked_mailbox(self.mailbox))
        if not isinstance(self.actor, AuditActor):
            raise AuditContentError(message_en="actor must be an AuditActor")
        object.__setattr__(self, "action", AuditAction(self.action))
        object.__setattr__(self, "outcome", AuditOutcome(self.outcome))
        _check_time(self.occurred_at)
        if self.failure is not None:
            object.__setattr__(self, "failure", AuditFailure(self.failure))
        if (self.outcome is AuditOutcome.FAILURE) != (self.failure is not None):
            raise AuditContentError(message_en="a failure needs its reason, a success none")
        if self.request is not None:
            object.__setattr__(self, "request", check_request(self.request))
        if self.response is not None:
            object.__setattr__(self, "response", check_response(self.response))
        for name in ("message_ref", "attachment_index", "recipient_count"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                raise AuditContentError(message_en=f"{name} must be a non-negative int")
        domains = tuple(sorted({check_domain(d) for d in self.recipient_domains}))
        object.__setattr__(self, "recipient_domains", domains)

    @property
    def utc_offset_minutes(self) -> int:
        offset = self.occurred_at.utcoffset() or timedelta(0)
        return int(offset.total_seconds() // 60)


def _checked_mailbox(address: str) -> str:
    try:
        return check_address(address)
    except InvalidInputError:
        raise AuditContentError(message_en="mailbox is not an address") from None


# The special uses a folder is named by in the trail; any other folder is "#<local folder id>".
_TRACED_USES = ("\\Sent", "\\Trash", "\\Archive", "\\Drafts", "\\Junk", "\\All")


def folder_ref(folder_id: int, *, name: str, special_use: str | None) -> str:
    """How the trail names a folder: ``\\Inbox``, its special use (``\\Sent``, ``\\Trash``…) or
    ``#<local folder id>`` — never its name, which may be a patient's (``Patients/Dupont``)."""
    if name.upper() == "INBOX":
        return "\\Inbox"
    for use in _TRACED_USES:
        if special_use is not None and special_use.lower() == use.lower():
            return use
    return f"#{folder_id}"


@dataclass(frozen=True)
class MessageLocation:
    """Where a message sits, as the trail may say it: its mailbox, the person logged in to that
    mailbox on this workstation (for an ORG box: the nurse's own login, not the box), the
    folder as ``folder_ref`` gives it and the server UID (None for a local-only copy)."""

    mailbox: str
    actor: AuditActor
    folder: str
    uid: int | None

    def read_request(self) -> str:
        """``LOCAL READ \\Inbox UID 42``: the message shown on screen, named by reference only
        (with the entry's ``message_ref``, the store id). No server exchange: "LOCAL"."""
        where = f"LOCAL READ {self.folder}"
        return check_request(f"{where} UID {self.uid}" if self.uid is not None else where)


def recipients_summary(addresses: list[str] | tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """(count, sorted distinct domains) of a send's recipients: what the trail keeps of them."""
    domains: set[str] = set()
    for address in addresses:
        _local, at, domain = address.strip().rpartition("@")
        if not at:
            raise AuditContentError(message_en="recipient is not an address")
        domains.add(check_domain(domain))
    return len(addresses), tuple(sorted(domains))
