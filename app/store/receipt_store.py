"""Receipts about sent messages, incoming messages already handled, and read-receipt requests
(migration 0008), in the encrypted store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.store.database import Connection, Database


@dataclass(frozen=True)
class ReceiptRecord:
    item_id: int
    recipient: str
    kind: str  # "dsn" | "mdn"
    status: str  # delivered, failed, delayed, processed, displayed, deleted, integration_error
    received_at: float
    rfc_status: str | None = None
    error_code: int | None = None
    error_label: str | None = None
    receipt_message_id: str | None = None


@dataclass(frozen=True)
class MdnRequestRecord:
    id: int
    account_address: str
    account_login: str
    message_ref: int | None
    original_message_id: str
    notify_address: str
    state: str  # queued, pending, declined, failed
    reason: str
    outbox_item_id: int | None
    created_at: float


_RECEIPT_COLUMNS = (
    "item_id, recipient, kind, status, received_at, rfc_status, error_code, error_label, "
    "receipt_message_id"
)
_MDN_COLUMNS = (
    "id, account_address, account_login, message_ref, original_message_id, notify_address, "
    "state, reason, outbox_item_id, created_at"
)


class ReceiptStore:
    def __init__(self, *, database: Database) -> None:
        self._db = database

    # --- incoming messages handled once ----------------------------------------------------

    def claim_incoming(self, message_ref: int, *, now: float) -> bool:
        """Mark ``message_ref`` handled; False when it already was (one handling per message)."""

        def run(conn: Connection) -> bool:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO incoming_processed (message_ref, processed_at) "
                "VALUES (?, ?)",
                (message_ref, now),
            )
            return bool(cursor.rowcount)

        return self._db.write(run)

    def is_handled(self, message_ref: int) -> bool:
        return bool(
            self._db.query(
                "SELECT 1 FROM incoming_processed WHERE message_ref = ?", (message_ref,)
            )
        )

    def claim_many(self, message_refs: Sequence[int], *, now: float) -> None:
        """Mark ``message_refs`` handled, in one transaction (those already were stay so)."""
        refs = [(int(r), now) for r in dict.fromkeys(message_refs)]
        self._db.write(lambda conn: conn.executemany(
            "INSERT OR IGNORE INTO incoming_processed (message_ref, processed_at) VALUES (?, ?)",
            refs,
        ))

    def handled_among(self, message_refs: Sequence[int]) -> set[int]:
        """The ones of ``message_refs`` already handled."""
        refs = list(dict.fromkeys(message_refs))
        found: set[int] = set()
        for start in range(0, len(refs), 500):
            chunk = refs[start : start + 500]
            rows = self._db.query(
                "SELECT message_ref FROM incoming_processed WHERE message_ref IN "
                f"({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            found.update(int(r[0]) for r in rows)
        return found

    def with_body_among(self, message_refs: Sequence[int]) -> set[int]:
        """The ones of ``message_refs`` whose bytes are stored (not headers only)."""
        refs = list(dict.fromkeys(message_refs))
        found: set[int] = set()
        for start in range(0, len(refs), 500):
            chunk = refs[start : start + 500]
            rows = self._db.query(
                f"SELECT id FROM message WHERE id IN ({','.join('?' * len(chunk))}) "
                "AND state != 'headers_only'",
                tuple(chunk),
            )
            found.update(int(r[0]) for r in rows)
        return found

    def max_message_id(self) -> int:
        rows = self._db.query("SELECT COALESCE(MAX(id), 0) FROM message")
        return int(rows[0][0])

    def catch_up_mark(self, since: int) -> int:
        """The first message id from ``since`` on still waiting for its body, else the next
        message id to come."""
        rows = self._db.query(
            "SELECT COALESCE((SELECT MIN(id) FROM message WHERE id >= ? "
            "AND state = 'headers_only'), (SELECT COALESCE(MAX(id), 0) + 1 FROM message))",
            (since,),
        )
        return int(rows[0][0])

    def unhandled_incoming(self, *, after: int, limit: int) -> list[tuple[int, str, str]]:
        """(message id, account address, folder name) of stored messages whose bytes are there
        and that were not handled yet, id above ``after``, in id order."""
        rows = self._db.query(
            "SELECT m.id, a.address, f.name FROM message m "
            "JOIN folder f ON f.id = m.folder_id JOIN account a ON a.id = m.account_id "
            "WHERE m.id > ? AND m.state != 'headers_only' "
            "AND NOT EXISTS (SELECT 1 FROM incoming_processed p WHERE p.message_ref = m.id) "
            "ORDER BY m.id LIMIT ?",
            (after, limit),
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    # --- receipts ---------------------------------------------------------------------------

    def add_receipt(self, record: ReceiptRecord) -> None:
        self._db.write(
            lambda conn: conn.execute(
                f"INSERT OR IGNORE INTO outbox_receipt ({_RECEIPT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.item_id,
                    record.recipient,
                    record.kind,
                    record.status,
                    record.received_at,
                    record.rfc_status,
                    record.error_code,
                    record.error_label,
                    record.receipt_message_id,
                ),
            )
        )

    def receipts(self, item_id: int) -> list[ReceiptRecord]:
        rows = self._db.query(
            f"SELECT {_RECEIPT_COLUMNS} FROM outbox_receipt WHERE item_id = ? ORDER BY id",
            (item_id,),
        )
        return [
            ReceiptRecord(
                item_id=int(r[0]),
                recipient=str(r[1]),
                kind=str(r[2]),
                status=str(r[3]),
                received_at=float(r[4]),
                rfc_status=r[5],
                error_code=r[6],
                error_label=r[7],
                receipt_message_id=r[8],
            )
            for r in rows
        ]

    # --- read-receipt requests --------------------------------------------------------------

    def add_mdn_request(
        self,
        *,
        account_address: str,
        account_login: str,
        message_ref: int | None,
        original_message_id: str,
        notify_address: str,
        state: str,
        reason: str,
        now: float,
    ) -> int | None:
        """Record a request; None when this message's request is already known."""

        def run(conn: Connection) -> int | None:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO mdn_request (account_address, account_login, message_ref, "
                "original_message_id, notify_address, state, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account_address,
                    account_login,
                    message_ref,
                    original_message_id,
                    notify_address,
                    state,
                    reason,
                    now,
                ),
            )
            return int(cursor.lastrowid) if cursor.rowcount else None

        return self._db.write(run)

    def set_mdn_state(
        self, request_id: int, state: str, *, reason: str, outbox_item_id: int | None = None
    ) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "UPDATE mdn_request SET state = ?, reason = ?, "
                "outbox_item_id = COALESCE(?, outbox_item_id) WHERE id = ?",
                (state, reason, outbox_item_id, request_id),
            )
        )

    def mdn_request_for_message(self, message_ref: int) -> MdnRequestRecord | None:
        """The read-receipt request recorded for a stored message, if any."""
        rows = self._db.query(
            f"SELECT {_MDN_COLUMNS} FROM mdn_request WHERE message_ref = ? ORDER BY id",
            (message_ref,),
        )
        return _mdn_record(rows[0]) if rows else None

    def mdn_requests(self, state: str | None = None) -> list[MdnRequestRecord]:
        if state is None:
            rows = self._db.query(f"SELECT {_MDN_COLUMNS} FROM mdn_request ORDER BY id")
        else:
            rows = self._db.query(
                f"SELECT {_MDN_COLUMNS} FROM mdn_request WHERE state = ? ORDER BY id", (state,)
            )
        return [_mdn_record(r) for r in rows]


def _mdn_record(r: Sequence[Any]) -> MdnRequestRecord:
    return MdnRequestRecord(
        id=int(r[0]),
        account_address=str(r[1]),
        account_login=str(r[2]),
        message_ref=r[3],
        original_message_id=str(r[4]),
        notify_address=str(r[5]),
        state=str(r[6]),
        reason=str(r[7]),
        outbox_item_id=r[8],
        created_at=float(r[9]),
    )
