"""The durable outbox: queue after every check, submit, file in Sent, retry, recover after a crash.

States (``app.domain.outgoing.OutboxState``), each change one committed transaction::

    draft (drafts table) -> queued -> submitting -> submitted -> filed
                                  \\-> retry_wait (4xx, network; backoff) -> submitting ...
                                  \\-> failed (5xx for every recipient, or too many attempts)

Before anything is queued: the sender has a meaningful display name (ECO.2.2.7), every recipient
passes the whitelist (or is an audited, confirmed exception), patient addresses come from a valid
INS (ECO.2.2.6), structured documents are packed as IHE XDM for one patient (ECO.2.1), and the
built message fits the account's limit and, with a patient among the recipients, 25 MB.

**Never a second copy** — the rule applied when an item is found in ``submitting`` whose owner
process is gone (a crash or a ``kill -9`` during submission):

1. The submitter commits ``end_of_data_sent`` *just before* writing the final ``.`` of SMTP
   DATA; only after that dot can the server (Postfix queues it under a queue ID as soon as it
   has read the dot, even if our connection dies before we read its ``250 ... queued as ID``)
   hold the message. So:
2. ``end_of_data_sent`` set -> the server may have accepted it: it is **never resubmitted**. The
   item becomes ``submitted`` marked *unconfirmed* (no queue ID was seen) and is filed in Sent
   (after checking that Sent does not hold it already) — the user sees "non confirmé" and the
   DSN that comes back (requested with NOTIFY=SUCCESS) confirms it.
3. ``end_of_data_sent`` not set -> the server cannot hold it (a transaction without its final
   dot is discarded). The Sent folder is still searched by Message-ID (an operator that files
   sent mail itself, or a copy filed by an earlier run, is proof of acceptance): found -> the
   item is ``filed`` without resubmission; not found -> it is resubmitted.

The one residual risk is a kill in the microseconds between committing the mark and writing the
dot: the message is then reported as sent-unconfirmed although it was not (never duplicated).
A network error after the dot is treated the same way as a crash after the dot; a 4xx/5xx *reply*
to the dot is an explicit answer and handled normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.domain.account import Account
from app.domain.address import is_patient_address, parse_address
from app.domain.audit import AuditAction, AuditActor, AuditFailure
from app.domain.conversation import Conversation
from app.domain.outgoing import (
    DEFAULT_UNDO_SECONDS,
    MAX_ATTEMPTS,
    Attachment,
    OutboxState,
    OutgoingMessage,
    RecipientKind,
    RecipientStatus,
    SendRefusedError,
    SentFiling,
    check_display_name,
    check_size,
    retry_delay,
)
from app.domain.xdm import XdmInputDocument
from app.errors import AuthenticationError, InvalidInputError, UserFacingError
from app.events import Event, EventBus
from app.protocols.imap.connection import Namespaces
from app.protocols.mime.builder import build_message, with_xdm
from app.protocols.smtp.submission import RecipientOutcome, SmtpError, SubmissionOutcome
from app.protocols.xdm.packer import pack_xdm
from app.services.audit_service import AuditService, failure_from_exception
from app.services.conversation_service import ConversationService
from app.services.mailbox_scope import named_like, scope_folders
from app.services.whitelist_service import WhitelistService
from app.store.account_store import AccountStore
from app.store.outbox_store import DraftStore, OutboxItem, OutboxStore, SendSettingsStore

_log = logging.getLogger(__name__)

# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItemQueued(Event):
    item_id: int
    message_id: str


@dataclass(frozen=True)
class OutboxItemSubmitted(Event):
    item_id: int
    message_id: str
    unconfirmed: bool


@dataclass(frozen=True)
class OutboxItemFiled(Event):
    item_id: int


@dataclass(frozen=True)
class OutboxItemRetrying(Event):
    item_id: int
    not_before: float
    reason: str


@dataclass(frozen=True)
class OutboxItemFailed(Event):
    item_id: int
    reason: str


_ENHANCED_CODE = re.compile(r"^\s*([245]\.[0-9]{1,3}\.[0-9]{1,3})\b")


def reply_status(code: int | None, text: str = "") -> str | None:
    """``550 5.1.1``: the reply code and its enhanced code, never the server's free text (it
    echoes addresses), for the audit trail."""
    if code is None:
        return None
    match = _ENHANCED_CODE.match(text or "")
    if match and match.group(1)[0] == str(code)[0]:
        return f"{code} {match.group(1)}"
    return str(code)


def send_failure(exc: BaseException) -> AuditFailure:
    code = getattr(exc, "code", None)
    if isinstance(exc, AuthenticationError):
        return AuditFailure.AUTHENTICATION
    if isinstance(code, int) and 400 <= code < 600:
        return AuditFailure.SERVER_REFUSED
    return failure_from_exception(exc)


# --- collaborators --------------------------------------------------------------------------------


class Submitter(Protocol):
    async def submit(
        self,
        *,
        envelope_from: str,
        recipients: Sequence[str],
        data: bytes,
        message_id: str,
        request_dsn: bool = True,
        eight_bit: bool = False,
        on_rcpt_done: Callable[[tuple[RecipientOutcome, ...]], Awaitable[None]] | None = None,
        on_end_of_data: Callable[[], Awaitable[None]] | None = None,
    ) -> SubmissionOutcome: ...


SubmitterFactory = Callable[[Account, str], Submitter]
# sent_folder_probe(account, message_id) -> is a message with this Message-ID in the Sent folder?
SentFolderProbe = Callable[[Account, str], Awaitable[bool]]
# sent_folder_filer(account, raw) -> APPEND the copy to the SPECIAL-USE \Sent folder.
SentFolderFiler = Callable[[Account, bytes], Awaitable[None]]


async def sent_folder_probe(
    probe: SentFolderProbe | None, account: Account, message_id: str
) -> bool:
    """Ask the injected probe whether Sent holds ``message_id``; no probe means "not known",
    which the caller reads as "not there" only where resubmitting is safe (rule 3 above)."""
    if probe is None:
        return False
    return await probe(account, message_id)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_alive(owner: str | None) -> bool:
    """Is the process that claimed an item still running? (Same host: by PID.)"""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname():
        return True  # another machine: cannot tell, so do not steal its item
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class SendRequest:
    from_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    cda_documents: tuple[XdmInputDocument, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    request_mdn: bool = False
    end_conversation: bool = False
    login: str | None = None
    confirmed_exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessResult:
    item: OutboxItem
    error: UserFacingError | None = None
    notes: tuple[str, ...] = field(default=())


class OutboxService:
    def __init__(
        self,
        *,
        store: OutboxStore,
        drafts: DraftStore,
        send_settings: SendSettingsStore,
        accounts: AccountStore,
        whitelist: WhitelistService,
        submitter_factory: SubmitterFactory,
        sent_probe: SentFolderProbe | None = None,
        sent_filer: SentFolderFiler | None = None,
        events: EventBus | None = None,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
        is_owner_alive: Callable[[str | None], bool] = owner_alive,
        audit: AuditService | None = None,
        conversations: ConversationService | None = None,
    ) -> None:
        self._audit = audit
        self._conversations = conversations
        self._store = store
        self.drafts = drafts
        self._settings = send_settings
        self._accounts = accounts
        self._whitelist = whitelist
        self._submitter_factory = submitter_factory
        self._sent_probe = sent_probe
        self._sent_filer = sent_filer
        self._events = events
        self._clock = clock
        self._owner = owner or default_owner()
        self._owner_alive = is_owner_alive

    @property
    def store(self) -> OutboxStore:
        return self._store

    def _publish(self, event: Event) -> None:
        if self._events is not None:
            self._events.publish(event)

    # --- queueing -----------------------------------------------------------------------

    @staticmethod
    def _wire_address(text: str) -> str:
        try:
            return parse_address(text).ascii
        except InvalidInputError:
            return text.strip()

    def queue(self, request: SendRequest, *, undo_seconds: float = DEFAULT_UNDO_SECONDS) -> int:
        """Check, build and queue; returns the outbox id. Blocking (XDM packing, MIME, store):
        the window calls it from the CPU pool. Raises SendRefusedError (French) when the message
        cannot be sent as it is."""
        account = self._accounts.get(request.from_address, request.login)
        from_name = check_display_name(account.display_name, account.address)
        if not request.to and not request.cc and not request.bcc:
            raise SendRefusedError(
                "Envoi refusé : aucun destinataire.", message_en="Sending refused: no recipient."
            )
        everyone = (*request.to, *request.cc, *request.bcc)
        approval = self._whitelist.approve(everyone, confirmed=request.confirmed_exceptions)
        conversations = self._patient_conversations(account, everyone, request)
        message = OutgoingMessage(
            from_address=self._wire_address(account.address),
            from_name=from_name,
            to=tuple(self._wire_address(a) for a in request.to),
            cc=tuple(self._wire_address(a) for a in request.cc),
            bcc=tuple(self._wire_address(a) for a in request.bcc),
            subject=request.subject,
            text=request.text,
            html=request.html,
            attachments=request.attachments,
            in_reply_to=request.in_reply_to,
            references=request.references,
            request_mdn=request.request_mdn,
            end_conversation=request.end_conversation,
        )
        if request.cda_documents:
            package = pack_xdm(request.cda_documents)  # refuses two patients (ECO.2.1)
            message = with_xdm(message, package)
        built = build_message(message)
        recipients = message.recipients
        settings = self._settings.get(account.address)
        check_size(len(built.data), tuple(a for a, _ in recipients), settings.max_message_bytes)
        now = self._clock()
        item_id = self._store.enqueue(
            account_address=account.address,
            account_login=account.login,
            message_id=built.message_id,
            envelope_from=message.from_address,
            subject=message.subject,
            raw=built.data,
            recipients=recipients,
            not_before=now + max(0.0, undo_seconds),
            now=now,
        )
        self._whitelist.audit_exceptions(
            approval,
            account=account.address,
            login=account.login,
            national_id=account.national_id,
            message_ref=item_id,
        )
        if self._conversations is not None:
            for conversation in conversations:
                if request.end_conversation:
                    # X-MSS-MES: FIN is in the message (builder); the conversation is closed.
                    self._conversations.close(conversation.conversation_id, built.message_id)
                else:
                    self._conversations.record_sent(
                        conversation.conversation_id, built.message_id
                    )
        self._publish(OutboxItemQueued(item_id, built.message_id))
        return item_id

    def _patient_conversations(
        self, account: Account, everyone: Sequence[str], request: SendRequest
    ) -> list[Conversation]:
        """The conversation of each patient recipient, after its rules (opposition, blocked,
        closed) allowed the message; raises ConversationError with the French reason."""
        if self._conversations is None:
            return []
        refs = tuple(r for r in (request.in_reply_to, *request.references) if r)
        return [
            self._conversations.for_outgoing(
                mailbox=account.address, patient_address=self._wire_address(address), refs=refs
            )
            for address in everyone
            if is_patient_address(address)
        ]

    def queue_raw(
        self,
        *,
        account: Account,
        message_id: str,
        raw: bytes,
        recipients: Sequence[str],
        subject: str = "",
    ) -> int:
        """Queue a message built elsewhere (an MDN): same whitelist rule, no DSN requested
        (a receipt about a receipt would loop), no undo window."""
        self._whitelist.approve(recipients)
        now = self._clock()
        item_id = self._store.enqueue(
            account_address=account.address,
            account_login=account.login,
            message_id=message_id,
            envelope_from=self._wire_address(account.address),
            subject=subject,
            raw=raw,
            recipients=[(self._wire_address(a), RecipientKind.TO) for a in recipients],
            not_before=now,
            now=now,
            request_dsn=False,
        )
        self._publish(OutboxItemQueued(item_id, message_id))
        return item_id

    def cancel(self, item_id: int) -> bool:
        """Undo send: True when the item was still waiting in its undo window."""
        return self._store.cancel(item_id, now=self._clock())

    def items(self) -> list[OutboxItem]:
        return self._store.items()

    # --- processing ---------------------------------------------------------------------

    async def run_due(self) -> list[ProcessResult]:
        """Resume crashed submissions, then submit every item whose time has come."""
        results = await self.recover()
        for item_id in self._store.due(self._clock()):
            results.append(await self.process(item_id))
        for item in self._store.items([OutboxState.SUBMITTED]):
            results.append(await self.process(item.id))
        return results

    async def recover(self) -> list[ProcessResult]:
        results = []
        for item in self._store.items([OutboxState.SUBMITTING]):
            if not self._owner_alive(item.owner):
                results.append(await self.process(item.id))
        return results

    async def retry(self, item_id: int) -> ProcessResult:
        """``outbox retry ID``: now, whatever the backoff; resumes a crashed submission too."""
        item = self._store.get(item_id)
        if item.state in (OutboxState.FAILED, OutboxState.RETRY_WAIT, OutboxState.QUEUED):
            self._store.requeue(item_id, now=self._clock())
        return await self.process(item_id, force=True)

    async def process(self, item_id: int, *, force: bool = False) -> ProcessResult:
        """Take one item to its next resting state (submitted/filed, retry_wait or failed)."""
        item = self._store.get(item_id)
        now = self._clock()
        notes: list[str] = []
        if item.state in (OutboxState.QUEUED, OutboxState.RETRY_WAIT):
            if item.not_before > now and not force:
                return ProcessResult(item)
            claimed = self._store.claim(
                item_id, owner=self._owner, now=now, from_states=(item.state,)
            )
            if claimed is None:
                return ProcessResult(self._store.get(item_id))
            return await self._submit(claimed)
        if item.state is OutboxState.SUBMITTING:
            if item.owner != self._owner and self._owner_alive(item.owner):
                raise UserFacingError(
                    f"Le message n° {item_id} est en cours d'envoi par un autre processus "
                    "Estafette.",
                    message_en=f"Message #{item_id} is being sent by another Estafette process.",
                )
            claimed = self._store.claim(
                item_id,
                owner=self._owner,
                now=now,
                from_states=(OutboxState.SUBMITTING,),
                expected_owner=item.owner,
                check_owner=True,
            )
            if claimed is None:
                return ProcessResult(self._store.get(item_id))
            return await self._recover_submitting(claimed, notes)
        if item.state is OutboxState.SUBMITTED:
            return await self._file(item, notes)
        return ProcessResult(item)

    async def _recover_submitting(self, item: OutboxItem, notes: list[str]) -> ProcessResult:
        account = self._account(item)
        if item.end_of_data_sent:
            # Rule 2: the server may hold it; never resubmit.
            accepted = [
                (r.address, RecipientStatus.ACCEPTED, r.code, r.detail)
                for r in item.recipients
                if r.status is RecipientStatus.PENDING
            ]
            self._store.mark_submitted(
                item.id,
                now=self._clock(),
                queue_id=None,
                unconfirmed=True,
                outcomes=accepted,
                note="Envoi interrompu après la fin des données : considéré comme transmis, "
                "non confirmé (jamais renvoyé en double).",
            )
            self._publish(OutboxItemSubmitted(item.id, item.message_id, True))
            self._audit_send(item, account, request="DATA")
            notes.append("recovered-after-end-of-data")
            return await self._file(self._store.get(item.id), notes)
        # Rule 3: no end of data, so the server cannot hold it — unless Sent proves otherwise.
        if item.filed_at is None:
            try:
                found = await sent_folder_probe(self._sent_probe, account, item.message_id)
            except UserFacingError as exc:
                # Cannot look: do not guess; wait and try again.
                return self._transient(item, exc, notes)
            if found:
                self._store.mark_submitted(
                    item.id,
                    now=self._clock(),
                    queue_id=None,
                    unconfirmed=False,
                    outcomes=[
                        (r.address, RecipientStatus.ACCEPTED, r.code, r.detail)
                        for r in item.recipients
                        if r.status is RecipientStatus.PENDING
                    ],
                    next_state=OutboxState.FILED,
                    note="Trouvé dans Envoyés après une interruption : pas de nouvel envoi.",
                )
                notes.append("found-in-sent")
                self._publish(OutboxItemFiled(item.id))
                return ProcessResult(self._store.get(item.id), notes=tuple(notes))
        notes.append("resubmitted-after-crash")
        return await self._submit(item, notes)

    def _account(self, item: OutboxItem) -> Account:
        return self._accounts.get(item.account_address, item.account_login)

    def _audit_send(
        self,
        item: OutboxItem,
        account: Account,
        *,
        request: str | None = None,
        response: str | None = None,
        failure: AuditFailure | None = None,
    ) -> None:
        """One trace per submission attempt (ECO.4.1.1): verbs and reply codes, the number and
        domains of the recipients; never a subject, a body or a file name."""
        if self._audit is None:
            return
        try:
            self._audit.record(
                mailbox=account.address,
                actor=AuditActor(login=account.login, national_id=account.national_id),
                action=AuditAction.SEND,
                request=request,
                response=response,
                failure=failure,
                message_ref=item.id,
                recipients=[r.address for r in item.recipients],
            )
        except UserFacingError:
            # A trace the audit types refuse must not stop the message; it is logged (no content).
            _log.warning("audit entry refused for outbox item %d", item.id)

    def _transient(
        self, item: OutboxItem, error: UserFacingError, notes: list[str]
    ) -> ProcessResult:
        current = self._store.get(item.id)
        now = self._clock()
        if current.attempts >= MAX_ATTEMPTS:
            self._store.mark_failed(item.id, now=now, error=error.message)
            self._publish(OutboxItemFailed(item.id, error.message))
        else:
            not_before = now + retry_delay(max(1, current.attempts))
            self._store.mark_retry(item.id, now=now, not_before=not_before, error=error.message)
            self._publish(OutboxItemRetrying(item.id, not_before, error.message))
        return ProcessResult(self._store.get(item.id), error, tuple(notes))

    async def _submit(self, item: OutboxItem, notes: list[str] | None = None) -> ProcessResult:
        notes = notes if notes is not None else []
        account = self._account(item)
        password = self._accounts.password(account) or ""
        targets = item.recipients_with(RecipientStatus.PENDING, RecipientStatus.DEFERRED)
        raw = self._store.raw(item.id)
        self._store.start_attempt(item.id, now=self._clock())
        end_of_data = False

        async def on_rcpt_done(results: tuple[RecipientOutcome, ...]) -> None:
            refused = [
                (
                    r.address,
                    RecipientStatus.DEFERRED if r.transient else RecipientStatus.FAILED,
                    r.code,
                    r.text[:500],
                )
                for r in results
                if not r.accepted
            ]
            if refused:
                await self._commit(
                    lambda: self._store.set_recipients(item.id, refused, now=self._clock())
                )

        async def on_end_of_data() -> None:
            nonlocal end_of_data
            await self._commit(lambda: self._store.mark_end_of_data(item.id, now=self._clock()))
            end_of_data = True

        try:
            submitter = self._submitter_factory(account, password)
            outcome = await submitter.submit(
                envelope_from=item.envelope_from,
                recipients=targets,
                data=raw,
                message_id=item.message_id,
                request_dsn=item.request_dsn,
                on_rcpt_done=on_rcpt_done,
                on_end_of_data=on_end_of_data,
            )
        except SmtpError as exc:
            if end_of_data and exc.code is None:
                # The connection died after the final dot: same as a crash there (rule 2).
                return await self._recover_submitting(self._store.get(item.id), notes)
            self._audit_send(
                item,
                account,
                request="AUTH" if isinstance(exc, AuthenticationError) else None,
                response=reply_status(exc.code, exc.server_text),
                failure=send_failure(exc),
            )
            if exc.transient:
                return self._transient(item, exc, notes)
            self._store.mark_failed(item.id, now=self._clock(), error=exc.message)
            self._publish(OutboxItemFailed(item.id, exc.message))
            return ProcessResult(self._store.get(item.id), exc, tuple(notes))
        except UserFacingError as exc:
            self._audit_send(
                item,
                account,
                request="AUTH" if isinstance(exc, AuthenticationError) else None,
                failure=send_failure(exc),
            )
            self._store.mark_failed(item.id, now=self._clock(), error=exc.message)
            self._publish(OutboxItemFailed(item.id, exc.message))
            return ProcessResult(self._store.get(item.id), exc, tuple(notes))
        return await self._after_outcome(item, outcome, notes)

    async def _commit(self, fn: Callable[[], None]) -> None:
        # Runs on the loop thread and waits for the db thread: one small transaction, and the
        # commit must be durable before the SMTP dialogue goes on (that is its whole point).
        fn()

    async def _after_outcome(
        self, item: OutboxItem, outcome: SubmissionOutcome, notes: list[str]
    ) -> ProcessResult:
        now = self._clock()
        code = outcome.data_code
        account = self._account(item)
        if code is not None:
            self._audit_send(
                item,
                account,
                request="DATA",
                response=reply_status(code, outcome.data_text),
                failure=None if 200 <= code < 300 else AuditFailure.SERVER_REFUSED,
            )
        else:
            refused = next((r for r in outcome.recipients if not r.accepted), None)
            self._audit_send(
                item,
                account,
                request=f"RCPT TO ×{len(outcome.recipients)}",
                response=reply_status(refused.code, refused.text) if refused else None,
                failure=AuditFailure.RECIPIENT_REFUSED,
            )
        if code is not None and 200 <= code < 300:
            accepted = [
                (r.address, RecipientStatus.ACCEPTED, r.code, r.text[:500])
                for r in outcome.recipients
                if r.accepted
            ]
            self._store.mark_submitted(
                item.id, now=now, queue_id=outcome.queue_id, unconfirmed=False, outcomes=accepted
            )
            self._publish(OutboxItemSubmitted(item.id, item.message_id, False))
            return await self._file(self._store.get(item.id), notes)
        if code is not None:
            # An explicit answer to the final dot: 4xx retry, 5xx failure, for every accepted one.
            status = RecipientStatus.DEFERRED if 400 <= code < 500 else RecipientStatus.FAILED
            self._store.set_recipients(
                item.id,
                [
                    (r.address, status, code, outcome.data_text[:500])
                    for r in outcome.recipients
                    if r.accepted
                ],
                now=now,
            )
            error = SmtpError(
                f"Le serveur d'envoi a refusé le message ({code} {outcome.data_text[:200]}).",
                transient=400 <= code < 500,
                code=code,
            )
            if error.transient:
                return self._transient(item, error, notes)
            self._store.mark_failed(item.id, now=now, error=error.message)
            self._publish(OutboxItemFailed(item.id, error.message))
            return ProcessResult(self._store.get(item.id), error, tuple(notes))
        # No recipient accepted at RCPT time.
        current = self._store.get(item.id)
        if current.recipients_with(RecipientStatus.DEFERRED):
            error = SmtpError(
                "Le serveur d'envoi a différé tous les destinataires ; nouvel essai prévu.",
                transient=True,
            )
            return self._transient(item, error, notes)
        reason = "Tous les destinataires ont été refusés par le serveur d'envoi."
        self._store.mark_failed(item.id, now=now, error=reason)
        self._publish(OutboxItemFailed(item.id, reason))
        return ProcessResult(self._store.get(item.id), SendRefusedError(reason), tuple(notes))

    async def _file(self, item: OutboxItem, notes: list[str]) -> ProcessResult:
        """Put the copy in Sent (unless the operator does) without ever filing it twice."""
        account = self._account(item)
        settings = self._settings.get(account.address)
        error: UserFacingError | None = None
        if item.filed_at is None:
            if settings.sent_filing is SentFiling.OPERATOR or self._sent_filer is None:
                self._store.mark_filed(item.id, now=self._clock())
            else:
                try:
                    if not await sent_folder_probe(self._sent_probe, account, item.message_id):
                        await self._sent_filer(account, self._store.raw(item.id))
                    self._store.mark_filed(item.id, now=self._clock())
                    self._publish(OutboxItemFiled(item.id))
                except UserFacingError as exc:
                    # Sent, but not yet filed: stays "submitted"; the next run files it.
                    _log.warning("filing in Sent failed for outbox item %d", item.id)
                    error = exc
                    notes.append("sent-filing-pending")
        elif item.state is OutboxState.SUBMITTED:
            # Deferred recipients served later: the copy is already in Sent from the first round.
            self._store.mark_filed(item.id, now=self._clock())
        current = self._store.get(item.id)
        if (
            current.recipients_with(RecipientStatus.DEFERRED)
            and current.state
            in (
                OutboxState.FILED,
                OutboxState.SUBMITTED,
            )
            and current.filed_at is not None
        ):
            # Some recipients answered 4xx: the same message goes to them later, only to them.
            with contextlib.suppress(UserFacingError):
                return self._transient(
                    current,
                    SmtpError("Destinataires différés par le serveur.", transient=True),
                    notes,
                )
        return ProcessResult(current, error, tuple(notes))


# --- the Sent folder over IMAP ------------------------------------------------------------------


class SentFolderConnection(Protocol):
    """What the Sent folder needs from an IMAP session (``app.protocols.imap.connection``)."""

    def connect(self) -> None: ...

    def login(self, login: str, password: str) -> None: ...

    def list_folders(self) -> Sequence[Any]: ...

    def namespaces(self) -> Namespaces | None: ...

    def select(self, folder: str, *, readonly: bool = False) -> Any: ...

    def search_uids(self, criteria: Sequence[Any]) -> list[int]: ...

    def append(self, folder: str, raw: bytes, flags: Iterable[str] = ...) -> None: ...

    def close(self) -> None: ...


class ImapSentFolder:
    """Probe (by Message-ID) and file (APPEND, \\Seen) the SPECIAL-USE \\Sent folder; one short
    session per call, run off the event loop. Falls back to a folder named "Sent"."""

    def __init__(
        self,
        *,
        connect: Callable[[Account], SentFolderConnection],
        password_for: Callable[[Account], str | None],
    ) -> None:
        self._connect = connect
        self._password_for = password_for

    def _session(self, account: Account) -> SentFolderConnection:
        connection = self._connect(account)
        try:
            connection.connect()
            connection.login(account.login, self._password_for(account) or "")
        except BaseException:
            with contextlib.suppress(Exception):
                connection.close()
            raise
        return connection

    @staticmethod
    def _sent_name(connection: SentFolderConnection, account: Account) -> str:
        """The Sent folder of ``account``'s own box: an ORG box read with a member's login
        keeps its copies in the team's box, never in the member's personal Sent."""
        scope = scope_folders(account, list(connection.list_folders()), connection.namespaces())
        folders = [f for f in scope.folders if f.selectable]
        for folder in folders:
            if (getattr(folder, "special_use", None) or "").lower() == "\\sent":
                return str(folder.name)
        # Servers that mark no special use (Dovecot never does inside a shared box): by name,
        # the last component only, so that "Partagé/x/Messages envoyés" matches too.
        for folder in folders:
            if named_like("\\Sent", str(folder.name), getattr(folder, "delimiter", None)):
                return str(folder.name)
        if scope.root is not None:
            delimiter = next((f.delimiter for f in scope.folders if f.delimiter), "/")
            return f"{scope.root}{delimiter}Sent"
        return "Sent"

    def _contains(self, account: Account, message_id: str) -> bool:
        connection = self._session(account)
        try:
            folder = self._sent_name(connection, account)
            connection.select(folder, readonly=True)
            return bool(connection.search_uids(["HEADER", "Message-ID", message_id]))
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def _append(self, account: Account, raw: bytes) -> None:
        connection = self._session(account)
        try:
            connection.append(self._sent_name(connection, account), raw, ["\\Seen"])
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    async def contains(self, account: Account, message_id: str) -> bool:
        return await asyncio.to_thread(self._contains, account, message_id)

    async def append(self, account: Account, raw: bytes) -> None:
        await asyncio.to_thread(self._append, account, raw)
