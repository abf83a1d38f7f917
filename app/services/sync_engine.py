"""Keep the encrypted store in step with an IMAP account.

One pass (``sync_account``):
1. LIST (with SPECIAL-USE attributes); folders gone from the server are dropped locally.
2. Replay the changes queued offline (flags, move, delete), oldest first, so that the server
   state fetched afterwards already includes them. A change whose UIDVALIDITY is stale finds its
   message again by Message-ID.
3. Headers of every folder (INBOX first): SELECT tells UIDVALIDITY/UIDNEXT/EXISTS/HIGHESTMODSEQ;
   when they equal what was stored, the folder costs that one round trip. Otherwise UID SEARCH ALL
   gives expunges and new uids; flags come from FETCH (FLAGS) (CHANGEDSINCE) under CONDSTORE, or all
   flags without it; new headers arrive newest first in batches, so the list fills fast.
4. Bodies (BODY.PEEK[]) in batches bounded by count and bytes (imapclient holds a whole batch in
   memory); the text is indexed at once, attachments are listed, never decoded.

Every batch is one transaction and (folder, uid) is unique, so a pass killed at any point resumes
without loss or duplicate: folder counters are written only once a folder's header pass is done.
Cancellation: a token checked between batches (and it can cut the socket).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.account import Account, AuthMethod
from app.errors import ServerUnreachableError, UserCancelled, UserFacingError
from app.events import (
    EventBus,
    FolderSyncProgress,
    MessagesChanged,
    MessagesStored,
    SyncFinished,
)
from app.protocols.imap.connection import ImapConnection, ImapProtocolError, ListedFolder
from app.protocols.mime.index_text import extract, parse_header_block
from app.store.message_store import (
    AttachmentInfo,
    BodyRecord,
    FolderInfo,
    FolderState,
    HeaderRecord,
    MessageStore,
    PendingChange,
)

_log = logging.getLogger(__name__)

HEADER_FIELDS = "FROM TO CC SUBJECT DATE MESSAGE-ID CONTENT-TYPE X-MSS-CODECDA"
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]"
MAX_PENDING_ATTEMPTS = 5

ConnectionFactory = Callable[[Account], ImapConnection]
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

    def on_cancel(self, callback: Callable[[], None]) -> None:
        self._on_cancel.append(callback)


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


def _order(folders: Sequence[FolderState]) -> list[FolderState]:
    """INBOX first (what the user looks at), then the rest by name."""
    return sorted(folders, key=lambda f: (f.name.upper() != "INBOX", f.name))


def _chunks(items: Sequence[int], size: int) -> list[list[int]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class SyncEngine:
    """Synchronises accounts into a MessageStore. Blocking; run it off the UI thread."""

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
    ) -> None:
        self._store = store
        self._events = events
        self._password_for = password_for
        self._connect = connection_factory
        self._header_batch = header_batch
        self._body_batch = body_batch
        self._body_batch_bytes = body_batch_bytes

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
        try:
            conn.connect()
            conn.login(account.login, password)
        except BaseException:
            conn.close()
            raise
        return conn

    def sync_account(self, account: Account, *, cancel: CancelToken | None = None) -> SyncReport:
        """One full pass over ``account``; returns what changed."""
        token = cancel or CancelToken()
        token.check()
        account_id = self._store.account_id(account.address, account.login)
        conn = self.open_connection(account)
        token.on_cancel(conn.abort)
        report = SyncReport(account=account.address)
        try:
            self._sync_with(conn, account, account_id, token, report)
        except ServerUnreachableError:
            if token.cancelled:
                raise UserCancelled() from None
            raise
        finally:
            conn.close()
        self._events.publish(
            SyncFinished(account.address, report.new, report.changed, report.removed)
        )
        return report

    def _sync_with(
        self,
        conn: ImapConnection,
        account: Account,
        account_id: int,
        token: CancelToken,
        report: SyncReport,
    ) -> None:
        listed = [f for f in conn.list_folders() if f.selectable]
        folders = self._store.replace_folders(account_id, [self._info(f) for f in listed])
        report.folders = len(folders)
        token.check()
        report.replayed = self.replay_pending(conn, account_id, token)
        for folder in _order(folders):
            token.check()
            try:
                self._sync_headers(conn, account, folder, token, report)
            except ImapProtocolError:
                _log.warning("folder skipped (server refused)", exc_info=True)
                report.skipped_folders.append(folder.name)
        for folder in _order(self._store.folders(account_id)):
            if folder.name in report.skipped_folders:
                continue
            token.check()
            try:
                self._sync_bodies(conn, account, folder, token, report)
            except ImapProtocolError:
                _log.warning("bodies of a folder skipped (server refused)", exc_info=True)
                report.skipped_folders.append(folder.name)

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
        self, conn: ImapConnection, account_id: int, token: CancelToken | None = None
    ) -> int:
        """Send the queued local changes; returns how many were applied (or found moot)."""
        done = 0
        selected: tuple[str, int] | None = None
        for change in self._store.pending_changes(account_id):
            if token is not None:
                token.check()
            try:
                if selected is None or selected[0] != change.folder_name:
                    sel = conn.select(change.folder_name)
                    selected = (change.folder_name, sel.uidvalidity)
                uid = self._resolve_uid(conn, change, selected[1])
                if uid is not None:
                    self._apply(conn, change, uid)
            except ImapProtocolError:
                _log.warning("offline change %d refused by the server", change.id, exc_info=True)
                selected = None
                if change.attempts + 1 >= MAX_PENDING_ATTEMPTS:
                    self._store.pending_done(change.id)
                else:
                    self._store.pending_failed(change.id)
                continue
            self._store.pending_done(change.id)
            done += 1
        return done

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
    ) -> None:
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
            removed = self._store.remove_uids(folder.id, gone)
            report.removed += len(removed)
            self._events.publish(MessagesChanged(account.address, folder.name,
                                                 removed_ids=tuple(removed)))
        self._sync_flags(conn, account, folder, sel.highestmodseq, local, server_uids, report)
        new = sorted(server_uids - set(local), reverse=True)
        token.check()
        self._fetch_headers(conn, account, folder, new, token, report)
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
        if changes:
            changed = self._store.update_flags(folder.id, changes, modseqs)
            report.changed += len(changed)
            if changed:
                self._events.publish(MessagesChanged(account.address, folder.name,
                                                     changed_ids=tuple(changed)))

    def _fetch_headers(
        self,
        conn: ImapConnection,
        account: Account,
        folder: FolderState,
        uids: Sequence[int],
        token: CancelToken,
        report: SyncReport,
    ) -> None:
        items = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", HEADER_ITEM]
        if conn.condstore:
            items.append("MODSEQ")
        done = 0
        for batch in _chunks(uids, self._header_batch):
            token.check()
            fetched = conn.fetch(batch, items)
            records = [self._header_record(uid, data) for uid, data in fetched.items()
                       if uid in batch]
            stored = self._store.store_headers(folder.id, records)
            done += len(batch)
            report.new += len(stored.new_ids)
            if stored.new_ids:
                self._events.publish(MessagesStored(account.address, folder.name,
                                                    stored.new_ids))
            if stored.updated_ids:
                self._events.publish(MessagesChanged(account.address, folder.name,
                                                     changed_ids=stored.updated_ids))
            self._events.publish(
                FolderSyncProgress(account.address, folder.name, "headers", done, len(uids))
            )

    @staticmethod
    def _header_record(uid: int, data: dict[bytes, Any]) -> HeaderRecord:
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
    ) -> None:
        todo = self._store.uids_without_body(folder.id)
        if not todo:
            if folder.sync_state != "complete" and folder.uidvalidity is not None:
                self._mark_complete(folder)
            return
        sel = conn.select(folder.name, readonly=True)
        if sel.uidvalidity != folder.uidvalidity:
            return  # reset meanwhile: the next pass starts this folder over
        batches: list[list[int]] = []
        current: list[int] = []
        size = 0
        for uid, message_size in todo:
            if current and (len(current) >= self._body_batch
                            or size + message_size > self._body_batch_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(uid)
            size += message_size
        if current:
            batches.append(current)
        done = 0
        for batch in batches:
            token.check()
            fetched = conn.fetch(batch, ["BODY.PEEK[]"])
            bodies = []
            for uid, data in fetched.items():
                raw = data.get(b"BODY[]")
                if uid not in batch or not isinstance(raw, bytes):
                    continue
                bodies.append(self._body_record(uid, raw))
            del fetched
            ids = self._store.store_bodies(folder.id, bodies)
            report.bodies += len(ids)
            report.broken += sum(1 for b in bodies if b.broken_reason)
            done += len(batch)
            if ids:
                self._events.publish(MessagesChanged(account.address, folder.name,
                                                     changed_ids=tuple(ids)))
            self._events.publish(
                FolderSyncProgress(account.address, folder.name, "bodies", done, len(todo))
            )
        if not self._store.uids_without_body(folder.id):
            self._mark_complete(folder)

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
    def _body_record(uid: int, raw: bytes) -> BodyRecord:
        extracted = extract(raw)
        return BodyRecord(
            uid=uid,
            raw=raw,
            text=extracted.text,
            attachments=tuple(AttachmentInfo(a.name, a.type, a.size)
                              for a in extracted.attachments),
            has_attachments=extracted.has_attachments,
            is_xdm=extracted.headers.is_xdm,
            broken_reason=extracted.broken,
        )
