"""Folders, messages, raw bodies, the full-text index and the queue of offline changes.

Search speed: the FTS5 rowid of a message is not its id but ``date << 22 | n`` (``n`` a small
counter that keeps it unique). FTS5 walks its doclists in rowid order, so ``ORDER BY rowid DESC
LIMIT 100`` stops after the 100 most recent hits instead of sorting every match (a naive
"join then sort by date" costs ~30 ms at 100k messages; see tests/benchmarks/bench_sync.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.domain.ins import PATIENT_DOMAIN
from app.errors import InvalidInputError, StoreCorruptedError
from app.store.blob_store import PackWriter
from app.store.database import Connection, Database, Row

T = TypeVar("T")
_log = logging.getLogger(__name__)

_FTS_SHIFT = 22
_FTS_MASK = (1 << _FTS_SHIFT) - 1
_MAX_DATE = (1 << 40) - 1
# The header fields indexed as "people", in this order (the header and body passes agree).
_PEOPLE_COLUMNS = ("from_name", "from_addr", "to_display", "to_addrs", "cc_display", "cc_addrs")
_IN_CHUNK = 500  # uids per "IN (...)" lookup
SEEN = "\\Seen"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"


def flags_text(flags: Iterable[str]) -> str:
    """The canonical stored form of a flag set: sorted, space-separated."""
    return " ".join(sorted({f for f in flags if f}))


def flags_set(text: str) -> frozenset[str]:
    return frozenset(text.split()) if text else frozenset()


# An address list as stored ("a@x, b@y") followed by a comma: each address ends with one.
_PATIENT_MARK = f"@{PATIENT_DOMAIN},"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """``text`` with A-Z lowered and nothing else changed, as SQL ``lower()`` does."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def patient_address_of(from_addr: str, to_addrs: str, cc_addrs: str) -> str | None:
    """The patient a message was exchanged with (spec §5, §9): the first address of the
    ``patient.mssante.fr`` domain in From, else To, else Cc, lower case; None for a message with
    no patient. Stored as ``message.patient_addr`` (the "Patients" pane's filter, migration 0013,
    whose backfill applies the same rule in SQL: keep the two in step).

    A string search, no address parsing: it runs for every message of an initial sync (about
    1 µs). A malformed address of that domain still counts (a bounce from
    ``MAILER-DAEMON@patient.mssante.fr`` is part of the patients' side)."""
    for addresses in (from_addr, to_addrs, cc_addrs):
        if not addresses:
            continue
        text = ascii_lower(addresses) + ","
        end = text.find(_PATIENT_MARK)
        if end >= 0:
            start = max(text.rfind(" ", 0, end), text.rfind(",", 0, end)) + 1
            return f"{text[start:end]}@{PATIENT_DOMAIN}"
    return None


@dataclass(frozen=True)
class FolderInfo:
    """A folder as LIST reports it."""

    name: str
    delimiter: str | None
    special_use: str | None
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FolderState:
    id: int
    account_id: int
    name: str
    delimiter: str | None
    special_use: str | None
    uidvalidity: int | None
    uidnext: int | None
    highestmodseq: int | None
    sync_state: str


@dataclass(frozen=True)
class HeaderRecord:
    """What the header pass learns about one server copy."""

    uid: int
    message_id: str | None
    date: int
    internaldate: int | None
    from_name: str
    from_addr: str
    to_display: str
    to_addrs: str
    cc_display: str
    cc_addrs: str
    subject: str
    flags: frozenset[str]
    size: int
    has_attachments: bool
    is_xdm: bool
    modseq: int | None = None


@dataclass(frozen=True)
class AttachmentInfo:
    name: str
    type: str
    size: int


@dataclass(frozen=True)
class BodyRecord:
    """What the body pass stores for one server copy: raw bytes and what indexing extracted."""

    uid: int
    raw: bytes
    text: str
    attachments: tuple[AttachmentInfo, ...] = ()
    has_attachments: bool = False
    is_xdm: bool = False
    broken_reason: str | None = None
    # ``blob_store.encode_raw(raw)`` when the caller computed it on its own thread (the sync
    # does, beside the text extraction): compression then stays off the database thread.
    encoded: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class MessageSummary:
    id: int
    account: str
    folder: str
    uid: int | None
    message_id: str | None
    date: int
    from_name: str
    from_addr: str
    subject: str
    flags: frozenset[str]
    size: int
    has_attachments: bool
    is_xdm: bool
    state: str


@dataclass(frozen=True)
class MessageDetail:
    summary: MessageSummary
    to_display: str
    to_addrs: str
    cc_display: str
    cc_addrs: str
    broken_reason: str | None
    attachments: tuple[AttachmentInfo, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PendingChange:
    id: int
    account_id: int
    folder_name: str
    uid: int | None
    uidvalidity: int | None
    message_header_id: str | None
    kind: str
    argument: str
    attempts: int


@dataclass(frozen=True)
class QuotaState:
    """The quota last reported by the server for an account (bytes / message counts)."""

    root: str
    storage_used: int | None
    storage_limit: int | None
    messages_used: int | None = None
    messages_limit: int | None = None
    updated_at: str = ""


@dataclass(frozen=True)
class HeadersStored:
    new_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]
    # uid -> message id of the server copies whose body was stored too (store_messages).
    bodies: Mapping[int, int] = field(default_factory=dict)


_SUMMARY_COLUMNS = (
    "m.id, a.address AS account, f.name AS folder, m.uid, m.message_id, m.date, m.from_name, "
    "m.from_addr, m.subject, m.flags, m.size, m.has_attachments, m.is_xdm, m.state"
)


def _summary(row: Row) -> MessageSummary:
    return MessageSummary(
        id=int(row["id"]),
        account=str(row["account"]),
        folder=str(row["folder"]),
        uid=None if row["uid"] is None else int(row["uid"]),
        message_id=row["message_id"],
        date=int(row["date"]),
        from_name=str(row["from_name"]),
        from_addr=str(row["from_addr"]),
        subject=str(row["subject"]),
        flags=flags_set(str(row["flags"])),
        size=int(row["size"]),
        has_attachments=bool(row["has_attachments"]),
        is_xdm=bool(row["is_xdm"]),
        state=str(row["state"]),
    )


def _folder(row: Row) -> FolderState:
    return FolderState(
        id=int(row["id"]),
        account_id=int(row["account_id"]),
        name=str(row["name"]),
        delimiter=row["delimiter"],
        special_use=row["special_use"],
        uidvalidity=row["uidvalidity"],
        uidnext=row["uidnext"],
        highestmodseq=row["highestmodseq"],
        sync_state=str(row["sync_state"]),
    )


def fts_query(text: str) -> str:
    """A user's words as an FTS5 query: every word required, quoted (no operator injection).

    A word ending in ``*`` is a prefix search. Punctuation inside a word is left to the tokenizer,
    so ``jean.martin@exemple.fr`` becomes a phrase that matches the address.
    """
    terms: list[str] = []
    for word in text.split():
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if not any(ch.isalnum() for ch in word):
            continue
        quoted = '"' + word.replace('"', '""') + '"'
        terms.append(quoted + ("*" if prefix else ""))
    if not terms:
        raise InvalidInputError(
            "La recherche est vide : indiquez au moins un mot.",
            message_en="The search is empty: give at least one word.",
        )
    return " ".join(terms)


def _people(record: HeaderRecord) -> str:
    return " ".join(p for p in (getattr(record, c) for c in _PEOPLE_COLUMNS) if p)


class MessageStore:
    """The message side of the encrypted store. Every method is one transaction (or one read)."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def _write_then_compact(self, run: Callable[[Connection], T]) -> T:
        """A write that deletes messages: once it committed, compact the packs it left mostly
        dead (a no-op query when none is)."""
        result = self._db.write(run)
        try:
            self._db.call(self._db.blobs.compact)
        except (OSError, StoreCorruptedError):
            # The deletion itself is committed; a pack that cannot be rewritten now (disk full,
            # a damaged record — which the integrity check reports) is retried later.
            _log.warning("blob packs not compacted", exc_info=True)
        return result

    # --- accounts and folders ------------------------------------------------------------------

    def bulk_writes(self) -> contextlib.AbstractContextManager[None]:
        """For a pass that stores thousands of messages: see ``Database.bulk_writes``."""
        return self._db.bulk_writes()

    def account_id(self, address: str, login: str) -> int:
        rows = self._db.query(
            "SELECT id FROM account WHERE address = ? AND login = ?", (address, login)
        )
        if not rows:
            raise InvalidInputError(
                f"Aucun compte « {address} » dans ce profil.",
                message_en=f"No account “{address}” in this profile.",
            )
        return int(rows[0][0])

    def replace_folders(self, account_id: int, folders: Sequence[FolderInfo]) -> list[FolderState]:
        """Record the folders LIST returned; folders gone from the server are dropped locally."""

        def run(conn: Connection) -> list[FolderState]:
            names = [f.name for f in folders]
            for info in folders:
                conn.execute(
                    "INSERT INTO folder (account_id, name, delimiter, special_use, attributes) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(account_id, name) DO UPDATE SET "
                    "delimiter = excluded.delimiter, special_use = excluded.special_use, "
                    "attributes = excluded.attributes",
                    (
                        account_id,
                        info.name,
                        info.delimiter,
                        info.special_use,
                        " ".join(info.attributes),
                    ),
                )
            existing = conn.execute(
                "SELECT id, name FROM folder WHERE account_id = ?", (account_id,)
            ).fetchall()
            for row in existing:
                if row["name"] not in names:
                    conn.execute("DELETE FROM folder WHERE id = ?", (row["id"],))
            rows = conn.execute(
                "SELECT * FROM folder WHERE account_id = ? ORDER BY name", (account_id,)
            ).fetchall()
            return [_folder(r) for r in rows]

        return self._write_then_compact(run)

    def folders(self, account_id: int) -> list[FolderState]:
        rows = self._db.query(
            "SELECT * FROM folder WHERE account_id = ? ORDER BY name", (account_id,)
        )
        return [_folder(r) for r in rows]

    def folder(self, account_id: int, name: str) -> FolderState | None:
        rows = self._db.query(
            "SELECT * FROM folder WHERE account_id = ? AND name = ?", (account_id, name)
        )
        return _folder(rows[0]) if rows else None

    def reset_folder(self, folder_id: int, uidvalidity: int) -> int:
        """A new UIDVALIDITY: drop every server copy (uids mean nothing now), keep local-only ones.

        Returns the number of copies dropped.
        """

        def run(conn: Connection) -> int:
            cur = conn.execute(
                "DELETE FROM message WHERE folder_id = ? AND uid IS NOT NULL", (folder_id,)
            )
            conn.execute(
                "UPDATE folder SET uidvalidity = ?, uidnext = NULL, highestmodseq = NULL, "
                "sync_state = 'new' WHERE id = ?",
                (uidvalidity, folder_id),
            )
            return int(cur.rowcount)

        return self._write_then_compact(run)

    def set_folder_state(
        self,
        folder_id: int,
        *,
        uidvalidity: int,
        uidnext: int | None,
        highestmodseq: int | None,
        sync_state: str,
    ) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE folder SET uidvalidity = ?, uidnext = ?, highestmodseq = ?, "
                "sync_state = ?, last_synced_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
                "WHERE id = ?",
                (uidvalidity, uidnext, highestmodseq, sync_state, folder_id),
            )
        )

    # --- quota -----------------------------------------------------------------------------------

    def set_quota(self, account_id: int, quota: QuotaState | None) -> None:
        """Record what GETQUOTAROOT said (None: the server has no quota to tell any more)."""

        def run(conn: Connection) -> None:
            if quota is None:
                conn.execute("DELETE FROM account_quota WHERE account_id = ?", (account_id,))
                return
            conn.execute(
                "INSERT INTO account_quota (account_id, root, storage_used, storage_limit, "
                "messages_used, messages_limit) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(account_id) DO UPDATE SET root = excluded.root, "
                "storage_used = excluded.storage_used, storage_limit = excluded.storage_limit, "
                "messages_used = excluded.messages_used, messages_limit = excluded.messages_limit, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (account_id, quota.root, quota.storage_used, quota.storage_limit,
                 quota.messages_used, quota.messages_limit),
            )

        self._db.write(run)

    def quota(self, account_id: int) -> QuotaState | None:
        rows = self._db.query("SELECT * FROM account_quota WHERE account_id = ?", (account_id,))
        if not rows:
            return None
        row = rows[0]
        return QuotaState(
            root=str(row["root"]),
            storage_used=row["storage_used"],
            storage_limit=row["storage_limit"],
            messages_used=row["messages_used"],
            messages_limit=row["messages_limit"],
            updated_at=str(row["updated_at"]),
        )

    def set_rights(self, account_id: int, folder: str, rights: str | None) -> None:
        """Record what MYRIGHTS said on the box's ``folder`` (None: the server gave nothing)."""

        def run(conn: Connection) -> None:
            if rights is None:
                conn.execute("DELETE FROM account_rights WHERE account_id = ?", (account_id,))
                return
            conn.execute(
                "INSERT INTO account_rights (account_id, folder, rights) VALUES (?, ?, ?) "
                "ON CONFLICT(account_id) DO UPDATE SET folder = excluded.folder, "
                "rights = excluded.rights, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (account_id, folder, rights),
            )

        self._db.write(run)

    def rights(self, account_id: int) -> str | None:
        """The rights letters last reported for this account's box (RFC 4314), or None."""
        rows = self._db.query("SELECT rights FROM account_rights WHERE account_id = ?",
                              (account_id,))
        return str(rows[0]["rights"]) if rows else None

    # --- server copies ---------------------------------------------------------------------------

    def server_uids(self, folder_id: int) -> dict[int, frozenset[str]]:
        """uid -> flags of every server copy stored for the folder."""
        rows = self._db.query(
            "SELECT uid, flags FROM message WHERE folder_id = ? AND uid IS NOT NULL", (folder_id,)
        )
        return {int(r[0]): flags_set(str(r[1])) for r in rows}

    def count_server_copies(self, folder_id: int) -> int:
        rows = self._db.query(
            "SELECT count(*) FROM message WHERE folder_id = ? AND uid IS NOT NULL", (folder_id,)
        )
        return int(rows[0][0])

    def max_uid(self, folder_id: int) -> int:
        rows = self._db.query(
            "SELECT coalesce(max(uid), 0) FROM message WHERE folder_id = ?", (folder_id,)
        )
        return int(rows[0][0])

    @staticmethod
    def _new_fts_rowids(conn: Connection, records: Sequence[HeaderRecord]) -> list[int]:
        """A free index rowid for each record: its date in the high bits, so that the index
        walks newest first by rowid (search's "top 100 by date"), and the next free number in
        the low bits. The batch's own rows are not written yet: its picks are remembered."""
        last: dict[int, int] = {}
        picked: list[int] = []
        for rec in records:
            base = max(0, min(rec.date, _MAX_DATE)) << _FTS_SHIFT
            current = last.get(base)
            if current is None:
                current = conn.execute(
                    "SELECT max(fts_rowid) FROM message WHERE fts_rowid BETWEEN ? AND ?",
                    (base, base | _FTS_MASK),
                ).fetchone()[0]
            rowid = base if current is None else int(current) + 1
            last[base] = rowid
            picked.append(rowid)
        return picked

    def store_headers(self, folder_id: int, records: Sequence[HeaderRecord]) -> HeadersStored:
        """Insert new server copies (or refresh the flags of known ones), indexed at once.

        A local-only copy with the same Message-ID (moved offline) adopts the server uid instead
        of producing a duplicate.
        """
        return self._db.write(lambda conn: self._put_headers(conn, folder_id, records, {}, None))

    def store_messages(self, folder_id: int,
                       messages: Sequence[tuple[HeaderRecord, BodyRecord]]) -> HeadersStored:
        """``store_headers`` and ``store_bodies`` of the same server copies in one transaction:
        the single pass of an initial sync, which fetches headers and bodies together.

        A new copy is inserted complete: its row, its index entry (body text included) and its
        raw bytes written once, where the two passes write the row, index it, then update the
        row and index it again. ``HeadersStored.bodies`` maps each uid stored to its message id.
        """
        blobs = self._db.blobs
        records = [header for header, _body in messages]
        bodies = {body.uid: body for _header, body in messages}

        def run(conn: Connection) -> HeadersStored:
            with blobs.writer(conn) as writer:
                stored = self._put_headers(conn, folder_id, records, bodies, writer)
                # Copies known already (or adopted): their bodies as store_bodies stores them.
                rest = [bodies[h.uid] for h in records if h.uid not in stored.bodies]
                done = dict(stored.bodies)
                if rest:
                    done.update(self._put_bodies(conn, writer, folder_id, rest))
                return HeadersStored(stored.new_ids, stored.updated_ids, done)

        return self._db.write(run)

    def _put_headers(self, conn: Connection, folder_id: int, records: Sequence[HeaderRecord],
                     bodies: Mapping[int, BodyRecord],
                     writer: PackWriter | None) -> HeadersStored:
        """The rows of ``records``; a new row whose body is in ``bodies`` is inserted complete
        (``writer`` takes its raw bytes) and listed in ``HeadersStored.bodies``."""
        account_id = int(
            conn.execute("SELECT account_id FROM folder WHERE id = ?", (folder_id,)).fetchone()[0]
        )
        known = self._rows_by_uid(conn, folder_id, [rec.uid for rec in records])
        # Local-only copies (moved here offline) wait for their server uid; most folders have
        # none, and then no record needs the Message-ID lookup.
        orphans = conn.execute(
            "SELECT 1 FROM message WHERE folder_id = ? AND uid IS NULL LIMIT 1", (folder_id,)
        ).fetchone() is not None
        fresh: list[HeaderRecord] = []
        updated: list[int] = []
        for rec in records:
            flags = flags_text(rec.flags)
            existing = known.get(rec.uid)
            if existing is not None:
                if existing["flags"] != flags:
                    conn.execute(
                        "UPDATE message SET flags = ?, modseq = ? WHERE id = ?",
                        (flags, rec.modseq, existing["id"]),
                    )
                    updated.append(int(existing["id"]))
                continue
            if orphans and rec.message_id:
                orphan = conn.execute(
                    "SELECT id FROM message WHERE folder_id = ? AND uid IS NULL "
                    "AND message_id = ? LIMIT 1",
                    (folder_id, rec.message_id),
                ).fetchone()
                if orphan is not None:
                    conn.execute(
                        "UPDATE message SET uid = ?, flags = ?, modseq = ? WHERE id = ?",
                        (rec.uid, flags, rec.modseq, orphan["id"]),
                    )
                    updated.append(int(orphan["id"]))
                    continue
            fresh.append(rec)
        new_ids = self._insert_new(conn, account_id, folder_id, fresh, bodies, writer)
        with_body = {rec.uid: message_id for rec, message_id in zip(fresh, new_ids, strict=True)
                     if rec.uid in bodies}
        return HeadersStored(tuple(new_ids), tuple(updated), with_body)

    def _insert_new(self, conn: Connection, account_id: int, folder_id: int,
                    records: Sequence[HeaderRecord], bodies: Mapping[int, BodyRecord],
                    writer: PackWriter | None) -> list[int]:
        """Insert rows for server copies not stored yet; returns their ids, in order.

        One statement per table for the whole batch: executed row by row, the statements of an
        initial sync's thousands of rows were the database thread's largest cost. The ids are
        given here (SQLite would choose the same: the largest plus one), which is safe inside
        the write transaction the caller holds."""
        if not records:
            return []
        first = int(conn.execute("SELECT coalesce(max(id), 0) FROM message").fetchone()[0]) + 1
        ids = list(range(first, first + len(records)))
        rows: list[tuple[Any, ...]] = []
        index_rows: list[tuple[Any, ...]] = []
        raws: list[tuple[int, bytes, tuple[str, bytes] | None]] = []
        attachments: list[tuple[Any, ...]] = []
        for message_id, fts_rowid, rec in zip(ids, self._new_fts_rowids(conn, records), records,
                                              strict=True):
            body = bodies.get(rec.uid)
            if body is None:
                state, broken, has_attachments, is_xdm = (
                    "headers_only", None, rec.has_attachments, rec.is_xdm)
                text = names = ""
            else:
                state = "broken" if body.broken_reason else "complete"
                broken = body.broken_reason
                has_attachments = body.has_attachments or bool(body.attachments)
                is_xdm = body.is_xdm or rec.is_xdm
                text, names = body.text, " ".join(a.name for a in body.attachments)
                raws.append((message_id, body.raw, body.encoded))
                attachments += [(message_id, i, a.name, a.type, a.size)
                                for i, a in enumerate(body.attachments)]
            rows.append((
                message_id, account_id, folder_id, rec.uid, rec.message_id, rec.date,
                rec.internaldate, rec.from_name, rec.from_addr, rec.to_display, rec.to_addrs,
                rec.cc_display, rec.cc_addrs, rec.subject, flags_text(rec.flags), rec.size,
                int(has_attachments), int(is_xdm), rec.modseq, state, broken, fts_rowid,
                patient_address_of(rec.from_addr, rec.to_addrs, rec.cc_addrs),
            ))
            index_rows.append((fts_rowid, rec.subject, _people(rec), text, names))
        conn.executemany(
            "INSERT INTO message (id, account_id, folder_id, uid, message_id, date, "
            "internaldate, from_name, from_addr, to_display, to_addrs, cc_display, cc_addrs, "
            "subject, flags, size, has_attachments, is_xdm, modseq, state, broken_reason, "
            "fts_rowid, patient_addr) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO message_fts (rowid, subject, people, body, attachments) "
            "VALUES (?, ?, ?, ?, ?)",
            index_rows,
        )
        if raws:
            assert writer is not None
            self._db.blobs.put_new(conn, writer, raws)
        if attachments:
            conn.executemany(
                "INSERT INTO attachment (message_id, position, name, type, size) "
                "VALUES (?, ?, ?, ?, ?)",
                attachments,
            )
        return ids

    @staticmethod
    def _insert_attachments(conn: Connection, message_id: int,
                            attachments: Sequence[AttachmentInfo]) -> None:
        if attachments:
            conn.executemany(
                "INSERT INTO attachment (message_id, position, name, type, size) "
                "VALUES (?, ?, ?, ?, ?)",
                [(message_id, i, a.name, a.type, a.size) for i, a in enumerate(attachments)],
            )

    def update_flags(
        self, folder_id: int, changes: Mapping[int, frozenset[str]], modseqs: Mapping[int, int]
    ) -> list[int]:
        """Apply server flags by uid; returns the ids whose flags really changed."""

        def run(conn: Connection) -> list[int]:
            changed: list[int] = []
            for uid, flags in changes.items():
                text = flags_text(flags)
                row = conn.execute(
                    "SELECT id, flags FROM message WHERE folder_id = ? AND uid = ?",
                    (folder_id, uid),
                ).fetchone()
                if row is None or row["flags"] == text:
                    continue
                conn.execute(
                    "UPDATE message SET flags = ?, modseq = ? WHERE id = ?",
                    (text, modseqs.get(uid), row["id"]),
                )
                changed.append(int(row["id"]))
            return changed

        return self._db.write(run)

    def remove_uids(self, folder_id: int, uids: Iterable[int]) -> list[int]:
        """Expunged on the server: drop the local copies; returns their ids."""
        uid_list = list(uids)

        def run(conn: Connection) -> list[int]:
            removed: list[int] = []
            for uid in uid_list:
                row = conn.execute(
                    "SELECT id FROM message WHERE folder_id = ? AND uid = ?", (folder_id, uid)
                ).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM message WHERE id = ?", (row["id"],))
                    removed.append(int(row["id"]))
            return removed

        return self._write_then_compact(run) if uid_list else []

    def uids_without_body(self, folder_id: int) -> list[tuple[int, int]]:
        """(uid, size) of server copies whose raw bytes are not stored yet, newest first."""
        rows = self._db.query(
            "SELECT uid, size FROM message WHERE folder_id = ? AND uid IS NOT NULL "
            "AND state = 'headers_only' ORDER BY uid DESC",
            (folder_id,),
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    @staticmethod
    def _rows_by_uid(conn: Connection, folder_id: int, uids: Sequence[int]) -> dict[int, Row]:
        """The rows of ``uids`` in ``folder_id``, read in a few statements instead of one each."""
        rows: dict[int, Row] = {}
        for start in range(0, len(uids), _IN_CHUNK):
            chunk = uids[start : start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in conn.execute(
                "SELECT id, uid, flags, state, is_xdm, fts_rowid, subject, "
                f"{', '.join(_PEOPLE_COLUMNS)} FROM message "
                f"WHERE folder_id = ? AND uid IN ({marks})", (folder_id, *chunk)):
                rows[int(row["uid"])] = row
        return rows

    def store_bodies(self, folder_id: int, bodies: Sequence[BodyRecord]) -> list[int]:
        """Store raw bytes and the extracted text (re-indexed); returns the message ids.

        The raw bytes go to an encrypted pack (app/store/blob_store.py), fsynced once for the
        whole batch before the transaction that refers to them commits."""
        return list(self.store_bodies_by_uid(folder_id, bodies).values())

    def store_bodies_by_uid(self, folder_id: int,
                            bodies: Sequence[BodyRecord]) -> dict[int, int]:
        """``store_bodies``, answering uid -> message id (a copy expunged meanwhile is left
        out, so the ids cannot be paired with the bodies by position)."""
        blobs = self._db.blobs

        def run(conn: Connection) -> dict[int, int]:
            with blobs.writer(conn) as writer:
                return self._put_bodies(conn, writer, folder_id, bodies)

        return self._db.write(run)

    def _put_bodies(self, conn: Connection, writer: PackWriter, folder_id: int,
                    bodies: Sequence[BodyRecord]) -> dict[int, int]:
        """uid -> message id of each body stored, in ``bodies`` order (an expunged one is
        left out)."""
        rows = self._rows_by_uid(conn, folder_id, [body.uid for body in bodies])
        done: dict[int, int] = {}
        for body in bodies:
            row = rows.get(body.uid)
            if row is None:
                continue  # expunged meanwhile
            message_id = int(row["id"])
            self._db.blobs.put(conn, writer, message_id, body.raw, encoded=body.encoded)
            # Attachments and document text exist only once a body was stored: nothing to
            # clear for a first body (a DELETE is not free inside a large transaction).
            if row["state"] != "headers_only":
                conn.execute("DELETE FROM attachment WHERE message_id = ?", (message_id,))
                # A new body replaces any document text indexed before: look at it again.
                conn.execute("DELETE FROM document_index WHERE message_id = ?",
                             (message_id,))
            self._insert_attachments(conn, message_id, body.attachments)
            conn.execute(
                "UPDATE message SET state = ?, broken_reason = ?, has_attachments = ?, "
                "is_xdm = ? WHERE id = ?",
                (
                    "broken" if body.broken_reason else "complete",
                    body.broken_reason,
                    int(body.has_attachments or bool(body.attachments)),
                    int(body.is_xdm or bool(row["is_xdm"])),
                    message_id,
                ),
            )
            people = " ".join(str(row[c]) for c in _PEOPLE_COLUMNS if row[c])
            conn.execute("DELETE FROM message_fts WHERE rowid = ?", (row["fts_rowid"],))
            conn.execute(
                "INSERT INTO message_fts (rowid, subject, people, body, attachments) "
                "VALUES (?, ?, ?, ?, ?)",
                (row["fts_rowid"], row["subject"], people, body.text,
                 " ".join(a.name for a in body.attachments)),
            )
            done[body.uid] = message_id
        return done

    # --- text of attached documents (the background document indexer) ---------------------------

    def messages_needing_documents(self, *, limit: int = 50) -> list[int]:
        """Ids of messages whose body is stored, with a PDF/CDA/XDM-looking attachment, not yet
        looked at by the document indexer; newest first."""
        rows = self._db.query(
            "SELECT m.id FROM message m WHERE m.state IN ('complete', 'broken') "
            "AND NOT EXISTS (SELECT 1 FROM document_index d WHERE d.message_id = m.id) "
            "AND EXISTS (SELECT 1 FROM attachment a WHERE a.message_id = m.id AND ("
            "lower(a.type) IN ('application/pdf', 'application/x-pdf', 'text/xml', "
            "'application/xml', 'application/hl7-cda+xml', 'application/zip', "
            "'application/x-zip-compressed', 'application/x-zip') "
            "OR lower(a.name) LIKE '%.pdf' OR lower(a.name) LIKE '%.xml' "
            "OR lower(a.name) LIKE '%.zip')) "
            "ORDER BY m.date DESC, m.id DESC LIMIT ?",
            (max(1, int(limit)),),
        )
        return [int(r[0]) for r in rows]

    def add_document_text(self, message_id: int, body_text: str, document_text: str, *,
                          documents: int = 0) -> bool:
        """Index ``document_text`` with the message (FTS column ``attachments``, after the file
        names) and record it done. The index is contentless, so the row is rewritten whole:
        ``body_text`` is the body's text as the body pass indexed it. False when the message is
        gone meanwhile."""

        def run(conn: Connection) -> bool:
            row = conn.execute("SELECT * FROM message WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                return False
            names = conn.execute(
                "SELECT name FROM attachment WHERE message_id = ? ORDER BY position",
                (message_id,),
            ).fetchall()
            people = " ".join(
                str(row[c])
                for c in ("from_name", "from_addr", "to_display", "to_addrs", "cc_display",
                          "cc_addrs")
                if row[c]
            )
            attachments = " ".join(str(n[0]) for n in names)
            if document_text:
                attachments = f"{attachments}\n{document_text}"
            conn.execute("DELETE FROM message_fts WHERE rowid = ?", (row["fts_rowid"],))
            conn.execute(
                "INSERT INTO message_fts (rowid, subject, people, body, attachments) "
                "VALUES (?, ?, ?, ?, ?)",
                (row["fts_rowid"], row["subject"], people, body_text, attachments),
            )
            conn.execute(
                "INSERT OR REPLACE INTO document_index (message_id, state, documents, chars) "
                "VALUES (?, 'done', ?, ?)",
                (message_id, documents, len(document_text)),
            )
            return True

        return self._db.write(run)

    def mark_documents_failed(self, message_id: int) -> None:
        """The indexer could not handle this message: it is not tried again."""
        self._db.write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO document_index (message_id, state) "
                "SELECT id, 'failed' FROM message WHERE id = ?",
                (message_id,),
            )
        )

    def document_index_state(self, message_id: int) -> str | None:
        """'done', 'failed' or None (not looked at yet)."""
        rows = self._db.query(
            "SELECT state FROM document_index WHERE message_id = ?", (message_id,)
        )
        return str(rows[0][0]) if rows else None

    # --- reading ---------------------------------------------------------------------------------

    def search(
        self, text: str, *, account_id: int | None = None, limit: int = 100
    ) -> list[MessageSummary]:
        """The ``limit`` most recent messages matching every word of ``text`` (accents folded)."""
        query = fts_query(text)
        limit = max(1, min(int(limit), 10_000))
        account_filter = "AND m.account_id = ?" if account_id is not None else ""
        params: list[Any] = [query]
        if account_id is not None:
            params.append(account_id)
        params.append(limit)
        sql = (
            f"SELECT {_SUMMARY_COLUMNS} FROM message_fts "
            "JOIN message m ON m.fts_rowid = message_fts.rowid "
            "JOIN folder f ON f.id = m.folder_id JOIN account a ON a.id = m.account_id "
            f"WHERE message_fts MATCH ? {account_filter} "
            "ORDER BY message_fts.rowid DESC LIMIT ?"
        )
        return [_summary(r) for r in self._db.query(sql, params)]

    def list_folder(self, folder_id: int, *, limit: int = 100, offset: int = 0) -> list[
        MessageSummary
    ]:
        rows = self._db.query(
            f"SELECT {_SUMMARY_COLUMNS} FROM message m JOIN folder f ON f.id = m.folder_id "
            "JOIN account a ON a.id = m.account_id WHERE m.folder_id = ? "
            "ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?",
            (folder_id, limit, offset),
        )
        return [_summary(r) for r in rows]

    def all_messages(self, account_id: int) -> list[MessageSummary]:
        rows = self._db.query(
            f"SELECT {_SUMMARY_COLUMNS} FROM message m JOIN folder f ON f.id = m.folder_id "
            "JOIN account a ON a.id = m.account_id WHERE m.account_id = ? "
            "ORDER BY f.name, m.uid",
            (account_id,),
        )
        return [_summary(r) for r in rows]

    def get(self, message_id: int) -> MessageDetail | None:
        def run(conn: Connection) -> MessageDetail | None:
            row = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS}, m.to_display, m.to_addrs, m.cc_display, m.cc_addrs, "
                "m.broken_reason FROM message m JOIN folder f ON f.id = m.folder_id "
                "JOIN account a ON a.id = m.account_id WHERE m.id = ?",
                (message_id,),
            ).fetchone()
            if row is None:
                return None
            atts = conn.execute(
                "SELECT name, type, size FROM attachment WHERE message_id = ? ORDER BY position",
                (message_id,),
            ).fetchall()
            return MessageDetail(
                summary=_summary(row),
                to_display=str(row["to_display"]),
                to_addrs=str(row["to_addrs"]),
                cc_display=str(row["cc_display"]),
                cc_addrs=str(row["cc_addrs"]),
                broken_reason=row["broken_reason"],
                attachments=tuple(
                    AttachmentInfo(str(a[0]), str(a[1]), int(a[2])) for a in atts
                ),
            )

        return self._db.call(run)

    def find_by_header_id(self, header_id: str) -> list[int]:
        rows = self._db.query(
            "SELECT id FROM message WHERE message_id = ? ORDER BY id", (header_id.strip(),)
        )
        return [int(r[0]) for r in rows]

    def raw(self, message_id: int) -> bytes | None:
        """The raw bytes as received, None before the body pass stored them.

        Raises StoreCorruptedError when the encrypted record is damaged, cut or missing (its
        GCM tag is checked): never garbage."""
        blobs = self._db.blobs
        return self._db.call(lambda conn: blobs.read(conn, message_id))

    def compact_blobs(self) -> int:
        """Rewrite the packs that deletions left mostly dead (also done on open and after the
        deletions below); returns how many packs were removed."""
        blobs = self._db.blobs
        return self._db.call(blobs.compact)

    # --- local changes (work offline; replayed by the sync engine) -------------------------------

    def _queue(
        self,
        conn: Connection,
        row: Row,
        folder_name: str,
        uidvalidity: int | None,
        kind: str,
        argument: str,
        *,
        uid: int | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO pending_change (account_id, folder_name, uid, uidvalidity, "
            "message_header_id, kind, argument) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row["account_id"], folder_name, row["uid"] if uid is None else uid, uidvalidity,
             row["message_id"], kind, argument),
        )

    @staticmethod
    def _pending_move_of(conn: Connection, row: Row) -> Row | None:
        """The queued move that put this local-only copy (uid NULL) where it is: same account,
        same Message-ID, into its folder; the latest one. None for a copy without Message-ID
        (nothing ties it to a server copy) or that no queued move explains."""
        if row["uid"] is not None or not row["message_id"]:
            return None
        found: Row | None = conn.execute(
            "SELECT * FROM pending_change WHERE account_id = ? AND kind = 'move' "
            "AND argument = ? AND message_header_id = ? ORDER BY id DESC LIMIT 1",
            (row["account_id"], row["folder_name"], row["message_id"]),
        ).fetchone()
        return found

    def _rows(self, conn: Connection, ids: Sequence[int]) -> list[Row]:
        rows = []
        for message_id in ids:
            row = conn.execute(
                "SELECT m.*, f.name AS folder_name, f.uidvalidity AS folder_uidvalidity "
                "FROM message m JOIN folder f ON f.id = m.folder_id WHERE m.id = ?",
                (message_id,),
            ).fetchone()
            if row is None:
                raise InvalidInputError(
                    f"Le message {message_id} n'existe pas dans ce profil.",
                    message_en=f"Message {message_id} does not exist in this profile.",
                )
            rows.append(row)
        return rows

    def change_flags(self, ids: Sequence[int], *, add: Iterable[str] = (),
                     remove: Iterable[str] = ()) -> None:
        """Set/clear flags locally at once and queue the same change for the server."""
        add_set, remove_set = frozenset(add), frozenset(remove)

        def run(conn: Connection) -> None:
            for row in self._rows(conn, ids):
                flags = (flags_set(str(row["flags"])) | add_set) - remove_set
                conn.execute(
                    "UPDATE message SET flags = ? WHERE id = ?", (flags_text(flags), row["id"])
                )
                folder, uid, uidvalidity = row["folder_name"], row["uid"], row["folder_uidvalidity"]
                moving = None
                if uid is None:
                    # Moved here offline: the server still has it where it was. The change is
                    # queued there, and the move re-queued after it, so the move carries it.
                    moving = self._pending_move_of(conn, row)
                    if moving is None:
                        continue  # local only (never on the server): nothing to tell it
                    folder, uid, uidvalidity = (moving["folder_name"], moving["uid"],
                                                moving["uidvalidity"])
                    conn.execute("DELETE FROM pending_change WHERE id = ?", (moving["id"],))
                if add_set:
                    self._queue(conn, row, folder, uidvalidity, "add_flags",
                                flags_text(add_set), uid=uid)
                if remove_set:
                    self._queue(conn, row, folder, uidvalidity, "remove_flags",
                                flags_text(remove_set), uid=uid)
                if moving is not None:
                    self._queue(conn, row, folder, uidvalidity, "move", moving["argument"],
                                uid=uid)

        self._db.write(run)

    def mark_read(self, ids: Sequence[int], read: bool = True) -> None:
        if read:
            self.change_flags(ids, add=[SEEN])
        else:
            self.change_flags(ids, remove=[SEEN])

    def mark_flagged(self, ids: Sequence[int], flagged: bool = True) -> None:
        if flagged:
            self.change_flags(ids, add=[FLAGGED])
        else:
            self.change_flags(ids, remove=[FLAGGED])

    def move(self, ids: Sequence[int], target_folder: str) -> None:
        """Move locally now (the copy becomes local-only until the server shows it again)."""

        def run(conn: Connection) -> None:
            for row in self._rows(conn, ids):
                target = conn.execute(
                    "SELECT id FROM folder WHERE account_id = ? AND name = ?",
                    (row["account_id"], target_folder),
                ).fetchone()
                if target is None:
                    raise InvalidInputError(
                        f"Le dossier « {target_folder} » n'existe pas.",
                        message_en=f"The folder “{target_folder}” does not exist.",
                    )
                if int(target["id"]) == int(row["folder_id"]):
                    continue
                restored_uid = None
                if row["uid"] is not None:
                    self._queue(conn, row, row["folder_name"], row["folder_uidvalidity"], "move",
                                target_folder)
                elif (moving := self._pending_move_of(conn, row)) is not None:
                    # Moved again before the first move reached the server: one move, from
                    # where the server has it; back where it came from, no move at all.
                    if moving["folder_name"] == target_folder:
                        conn.execute("DELETE FROM pending_change WHERE id = ?", (moving["id"],))
                        restored_uid = moving["uid"]
                    else:
                        conn.execute("UPDATE pending_change SET argument = ? WHERE id = ?",
                                     (target_folder, moving["id"]))
                conn.execute(
                    "UPDATE message SET folder_id = ?, uid = ? WHERE id = ?",
                    (target["id"], restored_uid, row["id"]),
                )

        self._db.write(run)

    def delete(self, ids: Sequence[int]) -> None:
        """Delete locally now and queue the deletion (\\Deleted + UID EXPUNGE) for the server."""

        def run(conn: Connection) -> None:
            for row in self._rows(conn, ids):
                if row["uid"] is not None:
                    self._queue(conn, row, row["folder_name"], row["folder_uidvalidity"],
                                "delete", "")
                elif (moving := self._pending_move_of(conn, row)) is not None:
                    # Moved offline then deleted: delete it where the server still has it,
                    # or the next sync would bring it back from the move's target.
                    conn.execute(
                        "UPDATE pending_change SET kind = 'delete', argument = '' WHERE id = ?",
                        (moving["id"],))
                conn.execute("DELETE FROM message WHERE id = ?", (row["id"],))

        self._write_then_compact(run)

    def pending_changes(self, account_id: int) -> list[PendingChange]:
        rows = self._db.query(
            "SELECT * FROM pending_change WHERE account_id = ? ORDER BY id", (account_id,)
        )
        return [
            PendingChange(
                id=int(r["id"]),
                account_id=int(r["account_id"]),
                folder_name=str(r["folder_name"]),
                uid=r["uid"],
                uidvalidity=r["uidvalidity"],
                message_header_id=r["message_header_id"],
                kind=str(r["kind"]),
                argument=str(r["argument"]),
                attempts=int(r["attempts"]),
            )
            for r in rows
        ]

    def pending_done(self, change_id: int) -> None:
        self._db.write(
            lambda conn: conn.execute("DELETE FROM pending_change WHERE id = ?", (change_id,))
        )

    def pending_failed(self, change_id: int) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE pending_change SET attempts = attempts + 1 WHERE id = ?", (change_id,)
            )
        )
