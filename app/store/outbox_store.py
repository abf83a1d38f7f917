"""The durable outbox, the drafts and the per-account send settings, in the encrypted store.

Every state change is one committed transaction (``Database.write``), so a kill at any instant
leaves each item in exactly one state that the outbox service knows how to resume.
Compare-and-set updates (``claim``) keep two processes from submitting the same item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.outgoing import (
    OutboxState,
    RecipientKind,
    RecipientStatus,
    SentFiling,
)
from app.errors import InvalidInputError
from app.store.database import Connection, Database, Row


@dataclass(frozen=True)
class OutboxRecipient:
    address: str
    kind: RecipientKind
    status: RecipientStatus
    code: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    account_address: str
    account_login: str
    message_id: str
    envelope_from: str
    subject: str
    size: int
    state: OutboxState
    not_before: float
    attempts: int
    owner: str | None
    end_of_data_sent: bool
    unconfirmed: bool
    queue_id: str | None
    last_error: str | None
    request_dsn: bool
    created_at: float
    updated_at: float
    submitted_at: float | None
    filed_at: float | None
    recipients: tuple[OutboxRecipient, ...]

    def recipients_with(self, *statuses: RecipientStatus) -> tuple[str, ...]:
        return tuple(r.address for r in self.recipients if r.status in statuses)


_ITEM_COLUMNS = (
    "id, account_address, account_login, message_id, envelope_from, subject, size, state, "
    "not_before, attempts, owner, end_of_data_sent, unconfirmed, queue_id, last_error, "
    "request_dsn, created_at, updated_at, submitted_at, filed_at"
)


def _not_found(item_id: int) -> InvalidInputError:
    return InvalidInputError(
        f"Aucun message n° {item_id} dans la boîte d'envoi.",
        message_en=f"No message #{item_id} in the outbox.",
    )


def _item(conn: Connection, row: Row) -> OutboxItem:
    recipients = tuple(
        OutboxRecipient(
            r["address"],
            RecipientKind(r["kind"]),
            RecipientStatus(r["status"]),
            r["code"],
            r["detail"],
        )
        for r in conn.execute(
            "SELECT address, kind, status, code, detail FROM outbox_recipient "
            "WHERE item_id = ? ORDER BY rowid",
            (row["id"],),
        ).fetchall()
    )
    return OutboxItem(
        id=int(row["id"]),
        account_address=row["account_address"],
        account_login=row["account_login"],
        message_id=row["message_id"],
        envelope_from=row["envelope_from"],
        subject=row["subject"],
        size=int(row["size"]),
        state=OutboxState(row["state"]),
        not_before=float(row["not_before"]),
        attempts=int(row["attempts"]),
        owner=row["owner"],
        end_of_data_sent=bool(row["end_of_data_sent"]),
        unconfirmed=bool(row["unconfirmed"]),
        queue_id=row["queue_id"],
        last_error=row["last_error"],
        request_dsn=bool(row["request_dsn"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
        submitted_at=row["submitted_at"],
        filed_at=row["filed_at"],
        recipients=recipients,
    )


class OutboxStore:
    """Outbox items and their recipients."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    # --- reading ---------------------------------------------------------------------------

    def _get(self, conn: Connection, item_id: int) -> OutboxItem:
        row = conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM outbox_item WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            raise _not_found(item_id)
        return _item(conn, row)

    def get(self, item_id: int) -> OutboxItem:
        return self._db.call(lambda conn: self._get(conn, item_id))

    def raw(self, item_id: int) -> bytes:
        rows = self._db.query("SELECT raw FROM outbox_message WHERE item_id = ?", (item_id,))
        if not rows:
            raise _not_found(item_id)
        return bytes(rows[0][0])

    def items(self, states: Iterable[OutboxState] | None = None) -> list[OutboxItem]:
        wanted = [s.value for s in states] if states is not None else None

        def read(conn: Connection) -> list[OutboxItem]:
            if wanted is None:
                rows = conn.execute(f"SELECT {_ITEM_COLUMNS} FROM outbox_item ORDER BY id")
            else:
                marks = ", ".join("?" * len(wanted))
                rows = conn.execute(
                    f"SELECT {_ITEM_COLUMNS} FROM outbox_item WHERE state IN ({marks}) ORDER BY id",
                    wanted,
                )
            return [_item(conn, r) for r in rows.fetchall()]

        return self._db.call(read)

    def find_by_message_id(self, message_id: str) -> OutboxItem | None:
        """The item sent with this Message-ID (receipts link back to it)."""

        def read(conn: Connection) -> OutboxItem | None:
            row = conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM outbox_item WHERE message_id = ?",
                (message_id.strip(),),
            ).fetchone()
            return _item(conn, row) if row is not None else None

        return self._db.call(read)

    def due(self, now: float) -> list[int]:
        rows = self._db.query(
            "SELECT id FROM outbox_item WHERE state IN ('queued', 'retry_wait') "
            "AND not_before <= ? ORDER BY not_before, id",
            (now,),
        )
        return [int(r[0]) for r in rows]

    # --- writing (one transaction each) ---------------------------------------------------

    def enqueue(
        self,
        *,
        account_address: str,
        account_login: str,
        message_id: str,
        envelope_from: str,
        subject: str,
        raw: bytes,
        recipients: Sequence[tuple[str, RecipientKind]],
        not_before: float,
        now: float,
        request_dsn: bool = True,
    ) -> int:
        def insert(conn: Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO outbox_item (account_address, account_login, message_id, "
                "envelope_from, subject, size, state, not_before, request_dsn, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
                (
                    account_address,
                    account_login,
                    message_id,
                    envelope_from,
                    subject,
                    len(raw),
                    not_before,
                    int(request_dsn),
                    now,
                    now,
                ),
            )
            item_id = int(cursor.lastrowid)
            conn.execute(
                "INSERT INTO outbox_message (item_id, raw) VALUES (?, ?)", (item_id, raw)
            )
            conn.executemany(
                "INSERT INTO outbox_recipient (item_id, address, kind, status) "
                "VALUES (?, ?, ?, 'pending')",
                [(item_id, address, kind.value) for address, kind in recipients],
            )
            return item_id

        return self._db.write(insert)

    def claim(
        self,
        item_id: int,
        *,
        owner: str,
        now: float,
        from_states: Iterable[OutboxState],
        expected_owner: str | None = None,
        check_owner: bool = False,
    ) -> OutboxItem | None:
        """Move the item to ``submitting`` for ``owner`` if it is still in one of ``from_states``
        (and, with ``check_owner``, still held by ``expected_owner``); None when another process
        got there first or the state moved on."""
        states = [s.value for s in from_states]

        def update(conn: Connection) -> OutboxItem | None:
            row = conn.execute(
                "SELECT state, owner FROM outbox_item WHERE id = ?", (item_id,)
            ).fetchone()
            if row is None:
                raise _not_found(item_id)
            if row["state"] not in states:
                return None
            if check_owner and row["owner"] != expected_owner:
                return None
            conn.execute(
                "UPDATE outbox_item SET state = 'submitting', owner = ?, updated_at = ? "
                "WHERE id = ?",
                (owner, now, item_id),
            )
            return self._get(conn, item_id)

        return self._db.write(update)

    def start_attempt(self, item_id: int, *, now: float) -> None:
        """A new SMTP attempt begins: count it, clear the end-of-data mark of older attempts."""
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE outbox_item SET attempts = attempts + 1, end_of_data_sent = 0, "
                "updated_at = ? WHERE id = ?",
                (now, item_id),
            )
        )

    def set_recipients(
        self,
        item_id: int,
        outcomes: Sequence[tuple[str, RecipientStatus, int | None, str | None]],
        *,
        now: float,
    ) -> None:
        def update(conn: Connection) -> None:
            conn.executemany(
                "UPDATE outbox_recipient SET status = ?, code = ?, detail = ? "
                "WHERE item_id = ? AND address = ?",
                [
                    (status.value, code, detail, item_id, address)
                    for address, status, code, detail in outcomes
                ],
            )
            conn.execute("UPDATE outbox_item SET updated_at = ? WHERE id = ?", (now, item_id))

        self._db.write(update)

    def mark_end_of_data(self, item_id: int, *, now: float) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE outbox_item SET end_of_data_sent = 1, updated_at = ? WHERE id = ?",
                (now, item_id),
            )
        )

    def mark_submitted(
        self,
        item_id: int,
        *,
        now: float,
        queue_id: str | None,
        unconfirmed: bool,
        outcomes: Sequence[tuple[str, RecipientStatus, int | None, str | None]] = (),
        next_state: OutboxState = OutboxState.SUBMITTED,
        note: str | None = None,
    ) -> None:
        def update(conn: Connection) -> None:
            conn.executemany(
                "UPDATE outbox_recipient SET status = ?, code = ?, detail = ? "
                "WHERE item_id = ? AND address = ?",
                [
                    (status.value, code, detail, item_id, address)
                    for address, status, code, detail in outcomes
                ],
            )
            conn.execute(
                "UPDATE outbox_item SET state = ?, queue_id = COALESCE(?, queue_id), "
                "unconfirmed = ?, submitted_at = COALESCE(submitted_at, ?), last_error = ?, "
                "owner = NULL, updated_at = ? WHERE id = ?",
                (next_state.value, queue_id, int(unconfirmed), now, note, now, item_id),
            )

        self._db.write(update)

    def mark_retry(self, item_id: int, *, now: float, not_before: float, error: str) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE outbox_item SET state = 'retry_wait', not_before = ?, last_error = ?, "
                "owner = NULL, updated_at = ? WHERE id = ?",
                (not_before, error, now, item_id),
            )
        )

    def mark_failed(self, item_id: int, *, now: float, error: str) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE outbox_item SET state = 'failed', last_error = ?, owner = NULL, "
                "updated_at = ? WHERE id = ?",
                (error, now, item_id),
            )
        )

    def mark_filed(self, item_id: int, *, now: float) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE outbox_item SET state = 'filed', filed_at = COALESCE(filed_at, ?), "
                "owner = NULL, updated_at = ? WHERE id = ?",
                (now, now, item_id),
            )
        )

    def requeue(self, item_id: int, *, now: float) -> bool:
        """A failed or waiting item goes back to ``queued`` now (user asked to retry)."""

        def update(conn: Connection) -> bool:
            cursor = conn.execute(
                "UPDATE outbox_item SET state = 'queued', not_before = ?, updated_at = ? "
                "WHERE id = ? AND state IN ('failed', 'retry_wait', 'queued')",
                (now, now, item_id),
            )
            conn.execute(
                "UPDATE outbox_recipient SET status = 'pending' "
                "WHERE item_id = ? AND status = 'deferred'",
                (item_id,),
            )
            return int(cursor.rowcount) > 0

        return self._db.write(update)

    def cancel(self, item_id: int, *, now: float) -> bool:
        """Undo send: only while the item is still queued (never once submission started)."""

        def update(conn: Connection) -> bool:
            cursor = conn.execute(
                "UPDATE outbox_item SET state = 'cancelled', updated_at = ? "
                "WHERE id = ? AND state = 'queued'",
                (now, item_id),
            )
            return int(cursor.rowcount) > 0

        return self._db.write(update)


@dataclass(frozen=True)
class DraftSummary:
    """What a list of drafts shows: no recipients, no text (the subject is shown on screen only,
    never logged)."""

    id: int
    account: str
    updated_at: float
    subject: str


class DraftStore:
    """Drafts autosaved while the user writes; JSON payloads inside the encrypted store."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def save(
        self, payload: dict[str, Any], *, account: str, now: float, draft_id: int | None = None
    ) -> int:
        text = json.dumps(payload, ensure_ascii=False)

        def upsert(conn: Connection) -> int:
            if draft_id is not None:
                cursor = conn.execute(
                    "UPDATE draft SET payload = ?, account_address = ?, updated_at = ? "
                    "WHERE id = ?",
                    (text, account, now, draft_id),
                )
                if int(cursor.rowcount) > 0:
                    return draft_id
            cursor = conn.execute(
                "INSERT INTO draft (account_address, payload, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (account, text, now, now),
            )
            return int(cursor.lastrowid)

        return self._db.write(upsert)

    def get(self, draft_id: int) -> dict[str, Any] | None:
        rows = self._db.query("SELECT payload FROM draft WHERE id = ?", (draft_id,))
        if not rows:
            return None
        loaded: dict[str, Any] = json.loads(rows[0][0])
        return loaded

    def items(self) -> list[tuple[int, str, float]]:
        rows = self._db.query("SELECT id, account_address, updated_at FROM draft ORDER BY id")
        return [(int(r[0]), str(r[1]), float(r[2])) for r in rows]

    def summaries(self, *, limit: int = 50) -> list[DraftSummary]:
        """The ``limit`` most recently saved drafts, newest first. The subject is read inside
        SQLite, so a draft's attachments are not loaded; a damaged payload shows no subject."""
        rows = self._db.query(
            "SELECT id, account_address, updated_at, CASE WHEN json_valid(payload) THEN "
            "json_extract(payload, '$.subject') END AS subject FROM draft "
            "ORDER BY updated_at DESC, id DESC LIMIT ?",
            (max(1, int(limit)),),
        )
        return [
            DraftSummary(id=int(r[0]), account=str(r[1]), updated_at=float(r[2]),
                         subject="" if r[3] is None else str(r[3]))
            for r in rows
        ]

    def delete(self, draft_id: int) -> None:
        self._db.write(lambda conn: conn.execute("DELETE FROM draft WHERE id = ?", (draft_id,)))


class SettingStore:
    """Named settings (administrator and per-account), plain strings."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def get(self, name: str) -> str | None:
        rows = self._db.query("SELECT value FROM setting WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set(self, name: str, value: str) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO setting (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
        )

    def delete(self, name: str) -> None:
        self._db.write(lambda conn: conn.execute("DELETE FROM setting WHERE name = ?", (name,)))


@dataclass(frozen=True)
class SendSettings:
    """Per-account sending settings: who files in Sent, the operator's size limit."""

    sent_filing: SentFiling = SentFiling.CLIENT
    max_message_bytes: int | None = None


class SendSettingsStore:
    def __init__(self, *, settings: SettingStore) -> None:
        self._settings = settings

    @staticmethod
    def _key(address: str, name: str) -> str:
        return f"send.{address.strip().lower()}.{name}"

    def get(self, address: str) -> SendSettings:
        filing = self._settings.get(self._key(address, "sent_filing"))
        limit = self._settings.get(self._key(address, "max_message_bytes"))
        return SendSettings(
            sent_filing=SentFiling(filing) if filing else SentFiling.CLIENT,
            max_message_bytes=int(limit) if limit else None,
        )

    def set(self, address: str, settings: SendSettings) -> None:
        self._settings.set(self._key(address, "sent_filing"), settings.sent_filing.value)
        if settings.max_message_bytes:
            self._settings.set(
                self._key(address, "max_message_bytes"), str(settings.max_message_bytes)
            )
        else:
            self._settings.delete(self._key(address, "max_message_bytes"))
