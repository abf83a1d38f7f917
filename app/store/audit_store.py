"""The audit trail in the encrypted store: append, read in time order, purge what is past retention;
and where a message sits, for the trace of its reading.

There is deliberately no update and no delete method: the table's triggers (migration 0005) refuse
both, except the deletion of entries older than six months, which is all ``purge_before`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

from app.domain.audit import (
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditFailure,
    AuditOutcome,
    MessageLocation,
    folder_ref,
    parse_utc_stamp,
    utc_stamp,
)
from app.store.database import Connection, Database, Row
from app.store.transaction import transaction

_COLUMNS = (
    "id, occurred_at, utc_offset_minutes, mailbox, actor_login, actor_national_id, action, "
    "outcome, failure, request, response, message_ref, attachment_index, recipient_count, "
    "recipient_domains"
)


def _row_to_entry(row: Row) -> AuditEntry:
    offset = timezone(timedelta(minutes=int(row["utc_offset_minutes"])))
    domains = str(row["recipient_domains"] or "")
    return AuditEntry(
        id=int(row["id"]),
        occurred_at=parse_utc_stamp(str(row["occurred_at"])).astimezone(offset),
        mailbox=str(row["mailbox"]),
        actor=AuditActor(str(row["actor_login"]), row["actor_national_id"]),
        action=AuditAction(str(row["action"])),
        outcome=AuditOutcome(str(row["outcome"])),
        failure=AuditFailure(str(row["failure"])) if row["failure"] else None,
        request=row["request"],
        response=row["response"],
        message_ref=row["message_ref"],
        attachment_index=row["attachment_index"],
        recipient_count=row["recipient_count"],
        recipient_domains=tuple(d for d in domains.split(",") if d),
    )


class AuditStore:
    """Append-only access to ``audit_event``."""

    # Rows fetched per round trip to the database thread when streaming an export.
    PAGE = 1000

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def append(self, entry: AuditEntry) -> int:
        """Store ``entry`` (already validated by its type) and return its id."""
        return self._db.call(self._inserter(entry))

    async def aappend(self, entry: AuditEntry) -> int:
        """The coroutine form of ``append`` (the event loop keeps running meanwhile)."""
        return await self._db.acall(self._inserter(entry))

    @staticmethod
    def _inserter(entry: AuditEntry) -> Callable[[Connection], int]:
        params = (
            utc_stamp(entry.occurred_at),
            entry.utc_offset_minutes,
            entry.mailbox,
            entry.actor.login,
            entry.actor.national_id,
            entry.action.value,
            entry.outcome.value,
            entry.failure.value if entry.failure else None,
            entry.request,
            entry.response,
            entry.message_ref,
            entry.attachment_index,
            entry.recipient_count,
            ",".join(entry.recipient_domains),
        )

        def insert(conn: Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO audit_event (occurred_at, utc_offset_minutes, mailbox, actor_login, "
                "actor_national_id, action, outcome, failure, request, response, message_ref, "
                "attachment_index, recipient_count, recipient_domains) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )
            return int(cursor.lastrowid)

        def insert_in_transaction(conn: Connection) -> int:
            with transaction(conn):
                return insert(conn)

        return insert_in_transaction

    def iter_entries(
        self, *, since: datetime | None = None, mailbox: str | None = None
    ) -> Iterator[AuditEntry]:
        """Entries in time order (then id), ``since`` included, page by page."""
        since_text = utc_stamp(since) if since is not None else ""
        last = ("", 0)
        while True:
            sql = (
                f"SELECT {_COLUMNS} FROM audit_event "
                "WHERE occurred_at >= ? AND (occurred_at, id) > (?, ?)"
            )
            params: list[object] = [since_text, last[0], last[1]]
            if mailbox is not None:
                sql += " AND mailbox = ? COLLATE NOCASE"
                params.append(mailbox)
            sql += " ORDER BY occurred_at, id LIMIT ?"
            params.append(self.PAGE)
            rows = self._db.query(sql, params)
            for row in rows:
                yield _row_to_entry(row)
            if len(rows) < self.PAGE:
                return
            last = (str(rows[-1]["occurred_at"]), int(rows[-1]["id"]))

    def message_location(self, message_id: int) -> MessageLocation | None:
        """Where message ``message_id`` sits — its mailbox, the login of the person holding that
        account here, its folder and UID — for the trace of a read; None when it is gone. Only
        ids and addresses are read (the folder's name solely to recognise INBOX)."""
        rows = self._db.query(
            "SELECT a.address, a.login, a.national_id, f.id AS folder_id, f.name, f.special_use, "
            "m.uid FROM message m JOIN folder f ON f.id = m.folder_id "
            "JOIN account a ON a.id = m.account_id WHERE m.id = ?",
            (message_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return MessageLocation(
            mailbox=str(row["address"]),
            actor=AuditActor(str(row["login"]), row["national_id"] or None),
            folder=folder_ref(int(row["folder_id"]), name=str(row["name"]),
                              special_use=row["special_use"]),
            uid=None if row["uid"] is None else int(row["uid"]),
        )

    def count(self) -> int:
        return int(self._db.query("SELECT count(*) FROM audit_event")[0][0])

    def purge_before(self, cutoff: datetime) -> int:
        """Delete the entries older than ``cutoff``; returns how many. The table's trigger
        refuses to delete anything younger than six months, whatever ``cutoff`` says."""
        stamp = utc_stamp(cutoff)
        return self._db.write(
            lambda conn: int(
                conn.execute("DELETE FROM audit_event WHERE occurred_at < ?", (stamp,)).rowcount
            )
        )
