"""Keep the encrypted store in step with an IMAP account.

One pass (``sync_account``):
1. LIST (with SPECIAL-USE attributes) and NAMESPACE (RFC 2342), then keep only the folders of the
   account's own box (``scope_folders``): a PER account (or a box logging in as itself) mirrors
   its login's personal namespace, never the boxes other people share with that login; an ORG or
   APP box opened with someone else's login (a nurse's, shared by IMAP ACL) mirrors that box's
   folders in the other-users/shared namespace and nothing of the login's own mail — or fails
   with SharedBoxNotFound when the box is not shared with the login. Folders gone from the server
   (or out of the box) are dropped locally. The store keeps the server's folder names (the tree
   shows a shared box's root as its inbox: ui/models/folder_model.py).
2. Replay the changes queued offline (flags, move, delete), oldest first, so that the server
   state fetched afterwards already includes them. A change whose UIDVALIDITY is stale finds its
   message again by Message-ID. A change naming a folder outside the box is dropped, never sent.
3. Headers of every folder (the inbox first): SELECT tells UIDVALIDITY/UIDNEXT/EXISTS/HIGHESTMODSEQ;
   when they equal what was stored, the folder costs that one round trip. Otherwise UID SEARCH ALL
   gives expunges and new uids; flags come from FETCH (FLAGS) (CHANGEDSINCE) under CONDSTORE, or all
   flags without it; new headers arrive newest first in batches, so the list fills fast. A folder
   with more than HEADERS_FIRST new messages (an initial sync) gets the headers of its newest
   HEADERS_FIRST only: the older ones wait for step 4, their sizes asked meanwhile.
4. Bodies (BODY.PEEK[]) in batches bounded by count and bytes (imapclient holds a whole batch in
   memory); the text is indexed at once, attachments are listed, never decoded. Then the single
   pass: the messages step 3 left out, headers and body in one FETCH, each stored complete in one
   write (``MessageStore.store_messages``). Fetching headers first for 20,000 messages cost an
   initial sync a quarter of its time (Dovecot parses every header block for HEADER.FIELDS, and
   each row was written, indexed, then rewritten and reindexed by the body pass); the newest
   thousand still come first, so the list fills at once and the rest arrive newest first.

Every batch is one transaction and (folder, uid) is unique, so a pass killed at any point resumes
without loss or duplicate: folder counters are written only once a folder's header pass is done.
A pass killed during the single pass leaves fewer local copies than the server's EXISTS: the next
pass sees the counts disagree and finds the missing uids by UID SEARCH.
Cancellation: a token checked between batches (and it can cut the socket).

QRESYNC (RFC 7162) when the server offers it: ``SELECT folder (QRESYNC (uidvalidity modseq
known-uids))`` returns the expunged uids and the changed flags in that one round trip; the
CONDSTORE / UID SEARCH diff stays as the fallback (``use_qresync=False`` forces it).
The quota (GETQUOTAROOT on the box's inbox: a shared box's own, not the login's) is read once
per pass when the server offers QUOTA; a server that will not tell it (Dovecot keeps other users'
quota to admins) leaves the account without one.

Special-use folders (RFC 6154) are known by their LIST attribute only, never by name: the store
records it per folder and ``special_folder`` finds, say, the box's \\Trash by it.

``watch`` keeps an account in step by push: IDLE on the box's inbox, an incremental pass on each
change, IDLE re-issued before the server's 30-minute limit, reconnection with exponential backoff
and jitter after a network failure (which never leaves the watch: ECO.1.2.3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from app.domain.account import Account, AuthMethod
from app.domain.audit import (
    AuditAction,
    AuditActor,
    AuditContentError,
    AuditFailure,
    check_request,
)
from app.errors import (
    AuthenticationError,
    ServerUnreachableError,
    UserCancelled,
    UserFacingError,
)
from app.events import (
    EventBus,
    FolderSyncProgress,
    MessagesChanged,
    MessagesStored,
    SyncFinished,
    WatchStateChanged,
)
from app.protocols.imap.connection import (
    ImapConnection,
    ImapProtocolError,
    ListedFolder,
    Quota,
    SelectedFolder,
)
from app.protocols.mime.extraction_process import ExtractionProcess
from app.protocols.mime.index_text import HeaderSummary, IndexText, extract, parse_header_block
from app.services.audit_service import AuditService, failure_from_exception
from app.services.mailbox_scope import (
    FolderScope,
    scope_folders,
    special_folder,
)
from app.store.blob_store import encode_raw
from app.store.message_store import (
    DELETED,
    AttachmentInfo,
    BodyRecord,
    FolderInfo,
    FolderState,
    HeaderRecord,
    HeadersStored,
    MessageStore,
    PendingChange,
    QuotaState,
)

_log = logging.getLogger(__name__)

HEADER_FIELDS = "FROM TO CC SUBJECT DATE MESSAGE-ID CONTENT-TYPE X-MSS-CODECDA"
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]"
MAX_PENDING_ATTEMPTS = 5
# A header or body pass over at least this many messages puts the store in bulk-write mode.
BULK_MESSAGES = 1000
# A folder with more new messages than this (an initial sync) gets the headers of its newest
# HEADERS_FIRST first, so that the list fills at once; the older ones then come with their bodies
# in a single pass (see ``_sync_bodies``).
HEADERS_FIRST = 1000
# RFC 2177: servers may drop an IDLE after 30 minutes of silence; re-issue it before that.
IDLE_RENEW_SECONDS = 29 * 60
# Without IDLE, how often ``watch`` polls.
POLL_SECONDS = 5 * 60
# Push responses that mean "the mailbox changed" (VANISHED replaces EXPUNGE under QRESYNC).
_CHANGE_RESPONSES = frozenset({"EXISTS", "EXPUNGE", "FETCH", "VANISHED"})

ConnectionFactory = Callable[[Account], ImapConnection]
# (account address, folder name, [(message id, raw bytes)]) of the bodies a batch just stored.
BodyObserver = Callable[[str, str, Sequence[tuple[int, bytes]]], None]
PasswordLookup = Callable[[Account], str | None]


class CancelToken:
    """Set from any thread; the engine stops at the next batch boundary."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._on_cancel: list[Callable[[], None]] = []

    def cancel(self) -> None:
        self._event.set()
        for callback in list(self._on_cancel):
            try:
                callback()
            except Exception:
                _log.debug("cancel callback failed", exc_info=True)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise UserCancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, woken early by cancel(); True when cancelled."""
        return self._event.wait(max(0.0, seconds))

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` on cancel(); returns a function that unregisters it (a long watch
        reconnects many times: its old connections' callbacks must not pile up)."""
        self._on_cancel.append(callback)

        def remove() -> None:
            if callback in self._on_cancel:
                self._on_cancel.remove(callback)

        return remove


@dataclass
class SyncReport:
    account: str
    folders: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    bodies: int = 0
    broken: int = 0
    replayed: int = 0
    skipped_folders: list[str] = field(default_factory=list)
    quota: QuotaState | None = None
    # The box's inbox as the server names it ("INBOX", or a shared box's root).
    inbox: str = "INBOX"
    # Commands sent during the pass (each one a round trip), login included.
    round_trips: int = 0


@dataclass
class _Deferred:
    """New server copies of a folder left out of its header pass: they come with their bodies.
    ``sizes`` (RFC822.SIZE by uid, fetched while the header pass stores) bounds their batches."""

    uids: list[int]
    sizes: Future[dict[int, dict[bytes, Any]]]


def _settle(writer: ThreadPoolExecutor, storing: tuple[Any, ...] | None) -> None:
    """End a pass's writer: a write still in flight (the pass failed or was cancelled) is let to
    land, quietly — its error, if any, is not the one to report."""
    if storing is not None:
        with contextlib.suppress(Exception):
            storing[0].result()
    writer.shutdown(wait=True)


def default_connection(account: Account) -> ImapConnection:
    return ImapConnection(endpoint=account.imap, ca_file=account.ca_file, name=account.address)


def _flags(values: Sequence[Any]) -> frozenset[str]:
    return frozenset(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                     for v in values)


def _timestamp(value: object) -> int | None:
    if isinstance(value, dt.datetime):
        try:
            return int(value.timestamp())
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _header_bytes(data: dict[bytes, Any]) -> bytes:
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return value
    return b""


def _order(folders: Sequence[FolderState], inbox: str = "INBOX") -> list[FolderState]:
    """The box's inbox first (what the user looks at), then the rest by name."""

    def first(folder: FolderState) -> bool:
        return folder.name == inbox or inbox.upper() == folder.name.upper() == "INBOX"

    return sorted(folders, key=lambda f: (not first(f), f.name))


def _size(data: dict[bytes, Any] | None) -> int:
    value = (data or {}).get(b"RFC822.SIZE", 0)
    return int(value) if isinstance(value, int) and value >= 0 else 0


def _chunks(items: Sequence[int], size: int) -> list[list[int]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


_STATUS_CODE = re.compile(r"\[([A-Z][A-Z0-9-]{0,40})\]")
_STATUS_WORD = re.compile(r"\b(NO|BAD|BYE)\b")


def login_request(account: Account) -> str:
    """The login command as the audit trail shows it: the SASL mechanism, never an argument."""
    if account.auth is AuthMethod.PSC:
        return "AUTHENTICATE XOAUTH2"
    if account.auth is AuthMethod.CERTIFICATE:
        return "AUTHENTICATE EXTERNAL"
    return "LOGIN"


def refusal_status(exc: BaseException) -> str:
    """The tagged status of a refused command (``NO``, ``NO [AUTHENTICATIONFAILED]``, ``BAD``),
    read off imapclient's error text; only the status word and the bracketed code are kept (the
    human-readable rest may echo a folder name)."""
    texts = [str(exc)]
    if exc.__cause__ is not None:
        texts.insert(0, str(exc.__cause__))
    for text in texts:
        word = _STATUS_WORD.search(text)
        code = _STATUS_CODE.search(text)
        if word or code:
            status = word.group(1) if word else "NO"
            return f"{status} [{code.group(1)}]" if code else status
    return "NO"


def _audit_flags(flags: Sequence[str]) -> str:
    """The flags of a STORE as traced: only the allow-listed system flags and keywords (a user
    keyword is free text)."""
    kept = []
    for flag in flags:
        try:
            check_request(f"STORE 1 +FLAGS ({flag})")
        except AuditContentError:
            continue
        kept.append(flag)
    return f" ({' '.join(kept)})" if kept else ""


class SyncEngine:
    """Synchronises accounts into a MessageStore. Blocking; run it off the UI thread.

    With an ``audit`` service, every login (success or failure, the SASL mechanism as the request
    and the server's tagged status as the answer) and every replayed local change (read, flag,
    delete, move: the UID command sent and its status) is traced per mailbox and person
    (ECO.4.1.1–2). Folders appear as ``#<local folder id>`` or their special use, never by name.
    """

    def __init__(
        self,
        *,
        store: MessageStore,
        events: EventBus,
        password_for: PasswordLookup,
        connection_factory: ConnectionFactory = default_connection,
        header_batch: int = 500,
        body_batch: int = 200,
        body_batch_bytes: int = 16 * 1024 * 1024,
        headers_first: int | None = None,
        use_qresync: bool = True,
        audit: AuditService | None = None,
        extraction_process: bool = True,
    ) -> None:
        self._audit = audit
        self._store = store
        self._events = events
        self._password_for = password_for
        self._connect = connection_factory
        self._header_batch = header_batch
        self._body_batch = body_batch
        self._body_batch_bytes = body_batch_bytes
        # At least one: the list's newest rows always come by the fast header pass.
        self._headers_first = max(1, HEADERS_FIRST if headers_first is None else headers_first)
        # False forces the CONDSTORE / UID-diff path even on a QRESYNC server (tests, servers
        # with a broken QRESYNC).
        self._use_qresync = use_qresync
        # False keeps the text extraction of big body passes in this process.
        self._extraction_process = extraction_process
        self._body_observers: list[BodyObserver] = []

    def observe_bodies(self, observer: BodyObserver) -> Callable[[], None]:
        """Call ``observer`` on the sync's thread with the raw bytes of each batch of bodies just
        stored, before its ``MessagesChanged`` is published: a handler that would read every
        message back from the store can look at the bytes in hand instead (it must be quick: the
        next batch waits). Returns a function that removes it."""
        self._body_observers.append(observer)

        def remove() -> None:
            if observer in self._body_observers:
                self._body_observers.remove(observer)

        return remove

    # --- entry points ----------------------------------------------------------------------------

    def open_connection(self, account: Account) -> ImapConnection:
        if account.auth is not AuthMethod.PASSWORD:
            raise UserFacingError(
                "La synchronisation des comptes à authentification "
                f"« {account.auth.value} » n'est pas encore disponible.",
                message_en=f"Syncing accounts with “{account.auth.value}” authentication is not "
                "available yet.",
            )
        password = self._password_for(account)
        if not password:
            raise UserFacingError(
                f"Aucun mot de passe enregistré pour le compte « {account.address} ».",
                message_en=f"No password stored for the account “{account.address}”.",
            )
        conn = self._connect(account)
        self.connect_and_login(conn, account, password)
        return conn

    def connect_and_login(self, conn: ImapConnection, account: Account, password: str) -> None:
        """Connect and log in, traced in the audit trail (ECO.4.1.1); closes ``conn`` on error."""
        request = login_request(account)
        try:
            conn.connect()
        except BaseException as exc:
            conn.close()
            # Never reached the login command: traced as a failed login without a request.
            self._trace(account, AuditAction.LOGIN, failure=failure_from_exception(exc))
            raise
        try:
            conn.login(account.login, password)
        except BaseException as exc:
            conn.close()
            failure = failure_from_exception(exc)
            refused = isinstance(exc, AuthenticationError | ImapProtocolError)
            self._trace(account, AuditAction.LOGIN, request=request,
                        response=refusal_status(exc) if refused else None, failure=failure)
            raise
        self._trace(account, AuditAction.LOGIN, request=request, response="OK")

    def _trace(self, account: Account, action: AuditAction, *, request: str | None = None,
               response: str | None = None, failure: AuditFailure | None = None) -> None:
        """One audit entry; a refused or failing trace is logged and never stops the sync."""
        if self._audit is None:
            return
        try:
            self._audit.record(
                mailbox=account.address,
                actor=AuditActor(login=account.login, national_id=account.national_id),
                action=action, request=request, response=response, failure=failure,
            )
        except Exception:
            _log.warning("audit entry refused for a %s", action.value)

    def sync_account(self, account: Account, *, cancel: CancelToken | None = None) -> SyncReport:
        """One full pass over ``account``; returns what changed."""
        token = cancel or CancelToken()
        token.check()
        self._store.account_id(account.address, account.login)  # unknown account: clear error
        conn = self.open_connection(account)
        forget = token.on_cancel(conn.abort)
        try:
            return self.sync_with(conn, account, cancel=token)
        finally:
            forget()
            conn.close()

    def sync_with(self, conn: ImapConnection, account: Account, *,
                  cancel: CancelToken | None = None) -> SyncReport:
        """One pass over an open, logged-in connection (``watch`` reuses its IDLE connection)."""
        token = cancel or CancelToken()
        account_id = self._store.account_id(account.address, account.login)
        report = SyncReport(account=account.address)
        before = conn.round_trips
        try:
            self._sync_with(conn, account, account_id, token, report)
        except ServerUnreachableError:
            if token.cancelled:
                raise UserCancelled() from None
            raise
        report.round_trips = conn.round_trips - before
        self._events.publish(
            SyncFinished(account.address, report.new, report.changed, report.removed)
        )
        return report

    def watch(
        self,
        account: Account,
        *,
        cancel: CancelToken,
        folder: str = "INBOX",
        idle_renew: float = IDLE_RENEW_SECONDS,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        """Push mode until ``cancel``: a pass, then IDLE on ``folder`` ("INBOX": the box's inbox,
        a shared box's own for an ORG box opened with a member's login); each change pushed by the
        server (EXISTS, EXPUNGE/VANISHED, FETCH) triggers an incremental pass on the same
        connection. IDLE is renewed every ``idle_renew`` s (< 30 min, RFC 2177).

        A lost connection (network, server restart, kick) is retried with exponential backoff
        and full jitter, capped at ``backoff_max``; it is reported as WatchStateChanged events and
        never raised: the rest of the client keeps working (ECO.1.2.3). A refused login or any
        other non-network error ends the watch with that error. Returns when cancelled.
        """
        jitter = rng or random.Random()
        failures = 0
        while not cancel.cancelled:
            conn: ImapConnection | None = None
            forget: Callable[[], None] | None = None
            try:
                self._state(account, "connecting", failures)
                conn = self.open_connection(account)
                forget = cancel.on_cancel(conn.abort)
                cancel.check()
                self._state(account, "syncing", failures)
                report = self.sync_with(conn, account, cancel=cancel)
                failures = 0
                watched = report.inbox if folder.upper() == "INBOX" else folder
                self._idle_loop(conn, account, watched, cancel, idle_renew)
            except (UserCancelled, AuthenticationError):
                if cancel.cancelled:
                    break
                raise
            except (ServerUnreachableError, ImapProtocolError) as exc:
                if cancel.cancelled:
                    break
                failures += 1
                # Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^n)].
                delay = jitter.uniform(0, min(backoff_max, backoff_base * 2 ** (failures - 1)))
                _log.info("watch: connection lost (%s); retry %d in %.1f s",
                          type(exc).__name__, failures, delay)
                self._state(account, "disconnected", failures, delay=delay,
                            error=exc.text("fr"))
                if cancel.wait(delay):
                    break
            finally:
                if forget is not None:
                    forget()
                if conn is not None:
                    conn.close()
        self._state(account, "stopped", failures)

    def _select_for_idle(self, conn: ImapConnection, account: Account, folder: str,
                         cancel: CancelToken) -> None:
        """Select the watched folder; if it changed since the pass (mail came in between),
        sync again first: IDLE only reports what happens after it starts."""
        account_id = self._store.account_id(account.address, account.login)
        for _ in range(3):
            sel = conn.select(folder, readonly=True)
            state = self._store.folder(account_id, folder)
            if state is None or (state.uidnext == sel.uidnext
                                 and state.highestmodseq == sel.highestmodseq):
                return
            self._state(account, "syncing", 0)
            self.sync_with(conn, account, cancel=cancel)
        conn.select(folder, readonly=True)

    def _idle_loop(self, conn: ImapConnection, account: Account, folder: str,
                   cancel: CancelToken, idle_renew: float) -> None:
        self._select_for_idle(conn, account, folder, cancel)
        if not conn.has("IDLE"):
            # No push on this server: poll (a NOOP-cheap pass) every few minutes instead.
            while not cancel.wait(min(idle_renew, POLL_SECONDS)):
                self._state(account, "syncing", 0)
                self.sync_with(conn, account, cancel=cancel)
            raise UserCancelled()
        while True:
            cancel.check()
            conn.idle_start()
            self._state(account, "idle", 0)
            deadline = time.monotonic() + idle_renew
            changed = False
            while not changed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                responses = conn.idle_wait(min(left, 60.0))
                cancel.check()
                changed = any(len(r) > 1 and (r[1] in _CHANGE_RESPONSES
                                              or r[0] in _CHANGE_RESPONSES) for r in responses)
            conn.idle_stop()
            if changed:
                self._state(account, "syncing", 0)
                self.sync_with(conn, account, cancel=cancel)
                self._select_for_idle(conn, account, folder, cancel)

    def _state(self, account: Account, state: str, failures: int, *, delay: float = 0.0,
               error: str = "") -> None:
        self._events.publish(WatchStateChanged(account.address, state, failures, delay, error))

    def _sync_with(
        self,
        conn: ImapConnection,
        account: Account,
        account_id: int,
        token: CancelToken,
        report: SyncReport,
    ) -> None:
        # Scoped before anything is written: a box not shared with this login stores nothing.
        scope = self.folder_scope(conn, account)
        listed = [f for f in scope.folders if f.selectable]
        folders = self._store.replace_folders(account_id, [self._info(f) for f in listed])
        report.folders = len(folders)
        report.inbox = scope.inbox
        token.check()
        report.replayed = self.replay_pending(conn, account_id, token, account=account,
                                              scope=scope)
        deferred: dict[int, _Deferred] = {}
        for folder in _order(folders, scope.inbox):
            token.check()
            try:
                self._sync_headers(conn, account, folder, token, report, deferred)
            except ImapProtocolError:
                _log.warning("folder skipped (server refused)", exc_info=True)
                report.skipped_folders.append(folder.name)
        for folder in _order(self._store.folders(account_id), scope.inbox):
            if folder.name in report.skipped_folders:
                continue
            token.check()
            try:
                self._sync_bodies(conn, account, folder, token, report,
                                  deferred.pop(folder.id, None))
            except ImapProtocolError:
                _log.warning("bodies of a folder skipped (server refused)", exc_info=True)
                report.skipped_folders.append(folder.name)
        token.check()
        report.quota = self._sync_quota(conn, account_id, scope.inbox)
        if scope.root is not None:
            self._sync_rights(conn, account_id, scope.inbox)

    def _sync_rights(self, conn: ImapConnection, account_id: int, inbox: str) -> None:
        """MYRIGHTS on a shared box's inbox (RFC 4314), kept for the audit viewer: only the
        member holding "a" (administer, the box's manager) may read the box's trail. One round
        trip, for shared boxes only."""
        try:
            rights = conn.my_rights(inbox)
        except ImapProtocolError:
            _log.info("MYRIGHTS refused by the server", exc_info=True)
            rights = None
        self._store.set_rights(account_id, inbox, rights)

    def folder_scope(self, conn: ImapConnection, account: Account) -> FolderScope:
        """LIST and NAMESPACE on ``conn``, narrowed to ``account``'s box (``scope_folders``)."""
        listed = conn.list_folders()
        skipped = getattr(conn, "skipped_folder_names", 0)
        if skipped:
            # Counted, not named: a folder name may be a patient's.
            _log.warning("%d folder(s) left out: name not valid modified UTF-7", skipped)
        try:
            namespaces = conn.namespaces()
        except ImapProtocolError:
            _log.info("NAMESPACE refused by the server", exc_info=True)
            namespaces = None
        return scope_folders(account, listed, namespaces)

    def special_folder(self, account: Account, use: str) -> FolderState | None:
        """The account's folder with the special use ``use`` (``"\\Trash"``…) as the last pass
        recorded it, by attribute only (``special_folder``); None when the box has none."""
        account_id = self._store.account_id(account.address, account.login)
        return special_folder(self._store.folders(account_id), use)

    def _sync_quota(self, conn: ImapConnection, account_id: int,
                    inbox: str = "INBOX") -> QuotaState | None:
        """GETQUOTAROOT on the box's inbox when offered, stored per account. A refusal (Dovecot
        shows other users' quota to admins only) leaves the account without a quota: never the
        login's own in place of the shared box's."""
        if not conn.has("QUOTA"):
            return None
        try:
            quota: Quota | None = conn.quota(inbox)
        except ImapProtocolError:
            _log.info("quota not readable on this server", exc_info=True)
            self._store.set_quota(account_id, None)
            return None
        state = None if quota is None else QuotaState(
            root=quota.root, storage_used=quota.storage_used, storage_limit=quota.storage_limit,
            messages_used=quota.messages_used, messages_limit=quota.messages_limit)
        self._store.set_quota(account_id, state)
        return self._store.quota(account_id) if state is not None else None

    @staticmethod
    def _info(folder: ListedFolder) -> FolderInfo:
        return FolderInfo(
            name=folder.name,
            delimiter=folder.delimiter,
            special_use=folder.special_use,
            attributes=folder.attributes,
        )

    # --- offline changes -------------------------------------------------------------------------

    def replay_pending(
        self, conn: ImapConnection, account_id: int, token: CancelToken | None = None, *,
        account: Account | None = None, scope: FolderScope | None = None,
    ) -> int:
        """Send the queued local changes; returns how many were applied (or found moot).

        With ``account`` (and an audit service), each change sent is traced with its UID
        command and the server's status, failures included. With ``scope``, a change whose folder
        (or move target) is not one of the box's is dropped unsent: a shared box's queue never
        reaches the login's own folders, nor the reverse.
        """
        done = 0
        selected: tuple[str, int] | None = None
        allowed = scope.names if scope is not None else None
        for change in self._store.pending_changes(account_id):
            if token is not None:
                token.check()
            if allowed is not None and (
                    change.folder_name not in allowed
                    or (change.kind == "move" and change.argument not in allowed)):
                _log.warning("offline change %d dropped: its folder is not in this box",
                             change.id)
                self._store.pending_done(change.id)
                continue
            traces: list[tuple[AuditAction, str]] = []
            try:
                if selected is None or selected[0] != change.folder_name:
                    sel = conn.select(change.folder_name)
                    selected = (change.folder_name, sel.uidvalidity)
                uid = self._resolve_uid(conn, change, selected[1])
                if uid is not None:
                    traces = self._change_requests(conn, account_id, change, uid)
                    self._apply(conn, change, uid)
            except ImapProtocolError as exc:
                _log.warning("offline change %d refused by the server", change.id, exc_info=True)
                if account is not None and traces:
                    action, request = traces[0]
                    self._trace(account, action, request=request, response=refusal_status(exc),
                                failure=AuditFailure.SERVER_REFUSED)
                selected = None
                if change.attempts + 1 >= MAX_PENDING_ATTEMPTS:
                    self._store.pending_done(change.id)
                else:
                    self._store.pending_failed(change.id)
                continue
            except BaseException as exc:
                if account is not None and traces:
                    action, request = traces[0]
                    self._trace(account, action, request=request,
                                failure=failure_from_exception(exc))
                raise
            if account is not None:
                for action, request in traces:
                    self._trace(account, action, request=request, response="OK")
            self._store.pending_done(change.id)
            done += 1
        return done

    def _change_requests(self, conn: ImapConnection, account_id: int, change: PendingChange,
                         uid: int) -> list[tuple[AuditAction, str]]:
        """What replaying ``change`` sends, as audit (action, request) pairs."""
        if change.kind in ("add_flags", "remove_flags"):
            flags = change.argument.split()
            sign = "+" if change.kind == "add_flags" else "-"
            # A flag change, \Seen included: the reading itself is traced when the message is
            # shown (with the reader's time), not when its \Seen reaches the server.
            return [(AuditAction.FLAG,
                     f"UID STORE {uid} {sign}FLAGS.SILENT{_audit_flags(flags)}")]
        if change.kind == "delete":
            expunge = f"UID EXPUNGE {uid}" if conn.has("UIDPLUS") else "EXPUNGE"
            return [(AuditAction.DELETE, f"UID STORE {uid} +FLAGS.SILENT ({DELETED})"),
                    (AuditAction.DELETE, expunge)]
        if change.kind == "move":
            target = self._store.folder(account_id, change.argument)
            where = "#0"
            if target is not None:
                where = target.special_use if target.special_use in (
                    "\\Sent", "\\Trash", "\\Archive", "\\Drafts", "\\Junk", "\\All",
                ) else f"#{target.id}"
            verb = "UID MOVE" if conn.has("MOVE") else "UID COPY"
            return [(AuditAction.MOVE, f"{verb} {uid} {where}")]
        return []

    @staticmethod
    def _resolve_uid(conn: ImapConnection, change: PendingChange, uidvalidity: int) -> int | None:
        if change.uid is not None and change.uidvalidity == uidvalidity:
            return int(change.uid)
        if not change.message_header_id:
            return None  # nothing to find it again by: the change is moot
        uids = conn.search_uids(["HEADER", "Message-ID", change.message_header_id])
        return uids[0] if uids else None

    @staticmethod
    def _apply(conn: ImapConnection, change: PendingChange, uid: int) -> None:
        if change.kind == "add_flags":
            conn.add_flags([uid], change.argument.split())
        elif change.kind == "remove_flags":
            conn.remove_flags([uid], change.argument.split())
        elif change.kind == "move":
            conn.move([uid], change.argument)
        elif change.kind == "delete":
            conn.delete([uid])

    # --- headers ---------------------------------------------------------------------------------

    def _sync_headers(
        self,
        conn: ImapConnection,
        account: Account,
        folder: FolderState,
        token: CancelToken,
        report: SyncReport,
        deferred: dict[int, _Deferred] | None = None,
    ) -> None:
        if (self._use_qresync and conn.qresync and folder.uidvalidity is not None
                and folder.highestmodseq is not None and folder.uidnext is not None):
            if self._qresync_headers(conn, account, folder, token, report, deferred):
                return
            # Not resolvable from the QRESYNC answer (UIDVALIDITY changed, counts disagree):
            # the folder is selected already, the UID diff below settles it.
            sel = conn.select(folder.name)
        else:
            sel = conn.select(folder.name)
        if folder.uidvalidity is not None and folder.uidvalidity != sel.uidvalidity:
            _log.info("UIDVALIDITY changed in a folder: local server copies dropped")
            dropped = self._store.reset_folder(folder.id, sel.uidvalidity)
            report.removed += dropped
            self._events.publish(MessagesChanged(account.address, folder.name))
            folder = self._store.folder(folder.account_id, folder.name) or folder
        local_count = self._store.count_server_copies(folder.id)
        unchanged = (
            folder.uidvalidity == sel.uidvalidity
            and folder.uidnext == sel.uidnext
            and local_count == sel.exists
            and conn.condstore
            and folder.highestmodseq is not None
            and folder.highestmodseq == sel.highestmodseq
        )
        if unchanged:
            return
        local = self._store.server_uids(folder.id)
        server_uids = set(conn.search_uids(["ALL"])) if sel.exists else set()
        gone = sorted(set(local) - server_uids)
        if gone:
            self._remove(account, folder, gone, report)
        self._sync_flags(conn, account, folder, sel.highestmodseq, local, server_uids, report)
        new = sorted(server_uids - set(local), reverse=True)
        token.check()
        self._fetch_headers(conn, account, folder, new, token, report, deferred)
        self._headers_synced(folder, sel)

    def _qresync_headers(
        self,
        conn: ImapConnection,
        account: Account,
        folder: FolderState,
        token: CancelToken,
        report: SyncReport,
        deferred: dict[int, _Deferred] | None = None,
    ) -> bool:
        """RFC 7162 quick resync: SELECT (QRESYNC ...) gives expunges and flag changes at once.

        Nothing changed: that SELECT is the folder's only round trip. New messages cost a
        UID SEARCH of the uids above the last UIDNEXT, then their header FETCHes. Returns False
        (nothing written) when the answer cannot settle the folder on its own.
        """
        assert folder.uidvalidity is not None and folder.highestmodseq is not None
        local = self._store.server_uids(folder.id)
        answer = conn.select_qresync(folder.name, uidvalidity=folder.uidvalidity,
                                     modseq=folder.highestmodseq, known_uids=local)
        sel = answer.folder
        if sel.uidvalidity != folder.uidvalidity or sel.highestmodseq is None:
            return False
        if sel.highestmodseq == folder.highestmodseq and sel.uidnext == folder.uidnext \
                and len(local) == sel.exists and not answer.vanished and not answer.changed:
            return True
        gone = sorted(set(answer.vanished) & set(local))
        if gone:
            self._remove(account, folder, gone, report)
        changes: dict[int, frozenset[str]] = {}
        modseqs: dict[int, int] = {}
        for uid, (flag_list, modseq) in answer.changed.items():
            if uid not in local:
                continue
            flags = _flags(flag_list) - {"\\Recent"}
            if flags != local[uid]:
                changes[uid] = flags
                if modseq is not None:
                    modseqs[uid] = modseq
        self._apply_flag_changes(account, folder, changes, modseqs, report)
        remaining = set(local) - set(gone)
        new: list[int] = []
        start = max([folder.uidnext or 1, *(u + 1 for u in remaining)])
        if sel.uidnext is None or sel.uidnext > start:
            # ``n:*`` also matches the highest uid when it is below n: filter.
            new = sorted((u for u in conn.search_uids(["UID", f"{start}:*"])
                          if u >= start and u not in remaining), reverse=True)
        if len(remaining) + len(new) != sel.exists:
            return False
        token.check()
        self._fetch_headers(conn, account, folder, new, token, report, deferred)
        self._headers_synced(folder, sel)
        return True

    def _remove(self, account: Account, folder: FolderState, uids: Sequence[int],
                report: SyncReport) -> None:
        removed = self._store.remove_uids(folder.id, uids)
        report.removed += len(removed)
        self._events.publish(MessagesChanged(account.address, folder.name,
                                             removed_ids=tuple(removed)))

    def _apply_flag_changes(self, account: Account, folder: FolderState,
                            changes: dict[int, frozenset[str]], modseqs: dict[int, int],
                            report: SyncReport) -> None:
        if not changes:
            return
        changed = self._store.update_flags(folder.id, changes, modseqs)
        report.changed += len(changed)
        if changed:
            self._events.publish(MessagesChanged(account.address, folder.name,
                                                 changed_ids=tuple(changed)))

    def _headers_synced(self, folder: FolderState, sel: SelectedFolder) -> None:
        """Record the server state the folder's headers are now in step with."""
        self._store.set_folder_state(
            folder.id,
            uidvalidity=sel.uidvalidity,
            uidnext=sel.uidnext,
            highestmodseq=sel.highestmodseq,
            sync_state="headers",
        )

    def _sync_flags(
        self,
        conn: ImapConnection,
        account: Account,
        folder: FolderState,
        server_modseq: int | None,
        local: dict[int, frozenset[str]],
        server_uids: set[int],
        report: SyncReport,
    ) -> None:
        known = sorted(set(local) & server_uids)
        if not known:
            return
        use_changedsince = (
            conn.condstore
            and folder.highestmodseq is not None
            and folder.uidvalidity is not None
        )
        if use_changedsince and folder.highestmodseq == server_modseq:
            return
        items = ["FLAGS", "MODSEQ"] if conn.condstore else ["FLAGS"]
        modifiers = [f"CHANGEDSINCE {folder.highestmodseq}"] if use_changedsince else None
        fetched = conn.fetch(f"1:{max(known)}", items, modifiers=modifiers)
        changes: dict[int, frozenset[str]] = {}
        modseqs: dict[int, int] = {}
        for uid, data in fetched.items():
            if uid not in local or b"FLAGS" not in data:
                continue
            flags = _flags(data[b"FLAGS"]) - {"\\Recent"}
            if flags != local[uid]:
                changes[uid] = flags
                modseq = data.get(b"MODSEQ")
                if isinstance(modseq, tuple | list) and modseq:
                    modseqs[uid] = int(modseq[0])
        self._apply_flag_changes(account, folder, changes, modseqs, report)

    def _fetch_headers(
        self,
        conn: ImapConnection,
        account: Account,
        folder: FolderState,
        uids: Sequence[int],
        token: CancelToken,
        report: SyncReport,
        deferred: dict[int, _Deferred] | None = None,
    ) -> None:
        """Headers of ``uids`` (newest first). With ``deferred``, a folder with more than
        HEADERS_FIRST new messages gets the headers of the newest only; the others are left in
        ``deferred`` for the single pass of ``_sync_bodies``."""
        items = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", HEADER_ITEM]
        if conn.condstore:
            items.append("MODSEQ")
        rest: list[int] = []
        if deferred is not None and len(uids) > self._headers_first:
            uids, rest = uids[: self._headers_first], list(uids[self._headers_first :])
        done = 0
        batches = _chunks(uids, self._header_batch)
        # Pipelined like the bodies: the connection's thread fetches batch n+1 while this thread
        # parses batch n and a writer thread stores batch n-1 (each batch one transaction, its
        # events published here in order once it is stored).
        pending = conn.fetch_later(batches[0], items) if batches else None
        if pending is None:
            return
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-headers")
        storing: tuple[Future[HeadersStored], int] | None = None
        bulk = self._bulk(len(uids))

        def finish(job: tuple[Future[HeadersStored], int]) -> None:
            nonlocal done
            future, count = job
            stored = future.result()
            done += count
            report.new += len(stored.new_ids)
            if stored.new_ids:
                self._events.publish(MessagesStored(account.address, folder.name,
                                                    stored.new_ids,
                                                    inbox=folder.name == report.inbox))
            if stored.updated_ids:
                self._events.publish(MessagesChanged(account.address, folder.name,
                                                     changed_ids=stored.updated_ids))
            self._events.publish(
                FolderSyncProgress(account.address, folder.name, "headers", done, len(uids))
            )

        try:
            for index, batch in enumerate(batches):
                fetched = pending.result()
                token.check()
                if index + 1 < len(batches):
                    pending = conn.fetch_later(batches[index + 1], items)
                elif rest and deferred is not None:
                    # Asked once the last header batch is on its way: the answer arrives while
                    # this pass stores, and the single pass's batches are bounded by bytes. One
                    # range, not the uid list: a mailbox with many gaps would make a command
                    # line longer than servers accept (Dovecot: 64 KiB).
                    deferred[folder.id] = _Deferred(
                        rest, conn.fetch_later(f"{min(rest)}:{max(rest)}", ["RFC822.SIZE"]))
                wanted = set(batch)
                records = [self._header_record(uid, data) for uid, data in fetched.items()
                           if uid in wanted]
                del fetched
                if storing is not None:
                    job, storing = storing, None
                    finish(job)
                    token.check()
                storing = (writer.submit(self._store.store_headers, folder.id, records),
                           len(batch))
                if index == 0:  # the first batch is what the list shows first: at once
                    job, storing = storing, None
                    finish(job)
            if storing is not None:
                job, storing = storing, None
                finish(job)
        finally:
            _settle(writer, storing)
            bulk.close()

    def _bulk(self, count: int) -> contextlib.ExitStack:
        """The store's bulk-write mode for a pass over ``count`` messages, when that is many."""
        stack = contextlib.ExitStack()
        if count >= BULK_MESSAGES:
            stack.enter_context(self._store.bulk_writes())
        return stack

    @staticmethod
    def _header_record(uid: int, data: dict[bytes, Any],
                       summary: HeaderSummary | None = None) -> HeaderRecord:
        """``summary``: the headers as the single pass read them from the whole message;
        otherwise they are parsed from the FETCH's header item."""
        if summary is None:
            summary = parse_header_block(_header_bytes(data))
        internaldate = _timestamp(data.get(b"INTERNALDATE"))
        modseq = data.get(b"MODSEQ")
        content_type = summary.content_type.lower()
        return HeaderRecord(
            uid=uid,
            message_id=summary.message_id,
            date=summary.date or internaldate or 0,
            internaldate=internaldate,
            from_name=summary.from_name,
            from_addr=summary.from_addr,
            to_display=summary.to_display,
            to_addrs=summary.to_addrs,
            cc_display=summary.cc_display,
            cc_addrs=summary.cc_addrs,
            subject=summary.subject,
            flags=_flags(data.get(b"FLAGS", ())) - {"\\Recent"},
            size=int(data.get(b"RFC822.SIZE", 0) or 0),
            # A first guess for the list; the body pass sets the real value.
            has_attachments=content_type in ("multipart/mixed", "multipart/report"),
            is_xdm=summary.is_xdm,
            modseq=int(modseq[0]) if isinstance(modseq, tuple | list) and modseq else None,
        )

    # --- bodies ----------------------------------------------------------------------------------

    def _sync_bodies(
        self,
        conn: ImapConnection,
        account: Account,
        folder: FolderState,
        token: CancelToken,
        report: SyncReport,
        deferred: _Deferred | None = None,
    ) -> None:
        """Bodies of the copies whose headers are stored, then — the single pass — the copies
        ``_fetch_headers`` left out, headers and body in one FETCH and one write each."""
        todo = self._store.uids_without_body(folder.id)
        single: list[tuple[int, int]] = []
        if deferred is not None:
            sizes = deferred.sizes.result()
            single = [(uid, _size(sizes.get(uid))) for uid in deferred.uids if uid in sizes]
        if not todo and not single:
            if folder.sync_state != "complete" and folder.uidvalidity is not None:
                self._mark_complete(folder)
            return
        sel = conn.select(folder.name, readonly=True)
        if sel.uidvalidity != folder.uidvalidity:
            return  # reset meanwhile: the next pass starts this folder over
        # (batch, single pass?) in the order fetched: what the list shows first, then the rest.
        batches = [(batch, False) for batch in self._size_batches(todo)]
        batches += [(batch, True) for batch in self._size_batches(single)]
        total = len(todo) + len(single)
        done = 0
        body_items = ["BODY.PEEK[]"]
        single_items = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[]"]
        if conn.condstore:
            single_items.append("MODSEQ")

        def fetch(index: int) -> Future[dict[int, dict[bytes, Any]]]:
            batch, whole = batches[index]
            return conn.fetch_later(batch, single_items if whole else body_items)

        # A three-stage pipeline: the connection's thread fetches batch n+1, this thread indexes
        # batch n, a writer thread stores batch n-1 (SQLite and the socket release the GIL).
        # At most three batches in memory; each batch is still one transaction.
        pending: Future[dict[int, dict[bytes, Any]]] | None = fetch(0)
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-store")
        storing: tuple[Future[HeadersStored], list[BodyRecord], bool, int] | None = None
        bulk = self._bulk(total)
        # Thousands of messages: their text is extracted by a child process, on the other core.
        extractor = (bulk.enter_context(ExtractionProcess())
                     if self._extraction_process and total >= BULK_MESSAGES else None)

        def finish(job: tuple[Future[HeadersStored], list[BodyRecord], bool, int]) -> None:
            nonlocal done
            future, bodies, whole, count = job
            stored = future.result()
            ids = [stored.bodies[b.uid] for b in bodies if b.uid in stored.bodies]
            report.bodies += len(ids)
            report.new += len(stored.new_ids)
            report.broken += sum(1 for b in bodies if b.broken_reason and b.uid in stored.bodies)
            done += count
            # Observers first: the receipt runner learns which mail is ordinary before the
            # events below queue its handling.
            self._bodies_stored(account, folder, [(stored.bodies[b.uid], b.raw) for b in bodies
                                                  if b.uid in stored.bodies])
            if stored.new_ids:
                self._events.publish(MessagesStored(account.address, folder.name,
                                                    stored.new_ids,
                                                    inbox=folder.name == report.inbox))
            new = set(stored.new_ids)
            changed = tuple(i for i in dict.fromkeys([*stored.updated_ids, *ids])
                            if i not in new)
            if changed:
                self._events.publish(MessagesChanged(account.address, folder.name,
                                                     changed_ids=changed))
            self._events.publish(FolderSyncProgress(account.address, folder.name,
                                                    "messages" if whole else "bodies", done,
                                                    total))

        try:
            for index, (batch, whole) in enumerate(batches):
                assert pending is not None
                fetched = pending.result()
                token.check()
                pending = fetch(index + 1) if index + 1 < len(batches) else None
                wanted = set(batch)
                found = [(uid, data, raw) for uid, data in fetched.items()
                         if uid in wanted and isinstance(raw := data.get(b"BODY[]"), bytes)]
                del fetched
                raws = [raw for _uid, _data, raw in found]
                # The child extracts this batch's text (and, in the single pass, summarises its
                # headers) while this thread compresses it for the packs and waits for the
                # previous batch to be stored.
                extracting = (extractor.begin(raws, headers=whole)
                              if extractor is not None else None)
                encoded = [encode_raw(raw) for raw in raws]
                if storing is not None:
                    job, storing = storing, None
                    finish(job)
                    token.check()
                extracted = (extracting.result() if extracting is not None
                             else [extract(raw, headers=whole) for raw in raws])
                bodies = [self._body_record(uid, raw, text, packed) for (uid, _data, raw), text,
                          packed in zip(found, extracted, encoded, strict=True)]
                if whole:
                    messages = [(self._header_record(uid, data, text.headers), body)
                                for (uid, data, _raw), text, body
                                in zip(found, extracted, bodies, strict=True)]
                    future = writer.submit(self._store.store_messages, folder.id, messages)
                else:
                    future = writer.submit(self._store_bodies, folder.id, bodies)
                del found, raws, extracted, encoded
                storing = (future, bodies, whole, len(batch))
            if storing is not None:
                job, storing = storing, None
                finish(job)
        finally:
            _settle(writer, storing)
            bulk.close()
        if not self._store.uids_without_body(folder.id):
            self._mark_complete(folder)

    def _store_bodies(self, folder_id: int, bodies: Sequence[BodyRecord]) -> HeadersStored:
        """Bodies of copies whose headers are stored, answered like ``store_messages``."""
        return HeadersStored((), (), self._store.store_bodies_by_uid(folder_id, bodies))

    def _size_batches(self, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
        """``(uid, size)`` cut into batches bounded by count and bytes (imapclient holds a
        whole batch in memory)."""
        batches: list[list[int]] = []
        current: list[int] = []
        size = 0
        for uid, message_size in pairs:
            if current and (len(current) >= self._body_batch
                            or size + message_size > self._body_batch_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(uid)
            size += message_size
        if current:
            batches.append(current)
        return batches

    def _bodies_stored(self, account: Account, folder: FolderState,
                       stored: Sequence[tuple[int, bytes]]) -> None:
        if not self._body_observers or not stored:
            return
        for observer in list(self._body_observers):
            try:
                observer(account.address, folder.name, stored)
            except Exception:  # an observer must not break the sync
                _log.warning("a stored-bodies observer failed", exc_info=False)

    def _mark_complete(self, folder: FolderState) -> None:
        current = self._store.folder(folder.account_id, folder.name)
        if current is None or current.uidvalidity is None:
            return
        self._store.set_folder_state(
            current.id,
            uidvalidity=current.uidvalidity,
            uidnext=current.uidnext,
            highestmodseq=current.highestmodseq,
            sync_state="complete",
        )

    @staticmethod
    def _body_record(uid: int, raw: bytes, extracted: IndexText,
                     encoded: tuple[str, bytes] | None) -> BodyRecord:
        # The header pass summarised the headers already (is_xdm included): ``extracted`` is
        # ``extract(raw, headers=False)``, text and parts only. ``encoded`` is the raw bytes
        # compressed for the packs here, not on the database thread.
        return BodyRecord(
            uid=uid,
            raw=raw,
            encoded=encoded,
            text=extracted.text,
            attachments=tuple(AttachmentInfo(a.name, a.type, a.size)
                              for a in extracted.attachments),
            has_attachments=extracted.has_attachments,
            is_xdm=extracted.headers.is_xdm,
            broken_reason=extracted.broken,
        )
