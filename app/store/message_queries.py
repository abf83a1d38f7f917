"""Read-only queries for message lists: a row count and pages in a stable order, sorted in SQL.

A list view shows 100,000 messages without holding them: it asks for the count, then for pages
(``LIMIT``/``OFFSET``) as the user scrolls. Every function takes the connection, so a caller already
on the database thread (``Database.acall``, ``Database.call``) runs it directly; ``MessageQueries``
is the blocking form for everyone else.

Orders are total (a unique tie-breaker ends every ``ORDER BY``) so that consecutive pages neither
repeat nor skip a row. The date order follows the ``message_folder_date`` index exactly
(``date DESC`` then ``rowid`` ascending, the index's own order for equal dates), so a page costs an
index walk, not a sort. Sorting by sender or subject has no index and sorts in SQL on each page
(a top-N sort bounded by ``OFFSET + LIMIT``).

A search uses the FTS5 index (accents folded: "résultats" finds "Resultats"); its date order is the
FTS rowid, which is the date shifted left (see ``message_store``), so the most recent hits come
first without a sort either.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.store.database import Connection, Database, Row
from app.store.message_store import FLAGGED, SEEN, flags_set, fts_query

MAX_PAGE = 5000


class SortKey(enum.Enum):
    DATE = "date"
    SENDER = "sender"
    SUBJECT = "subject"


class ReceiptState(enum.IntEnum):
    """The strongest news about a sent message's recipients, for the list's receipt icon."""

    NONE = 0  # not one of our sent messages, or nothing heard yet
    DELAYED = 1
    DELIVERED = 2
    READ = 3  # a read receipt (displayed/processed/dispatched)
    PROBLEM = 4  # failed, deleted unread, or an MSSanté integration error


_RECEIPT_RANK_SQL = (
    "(SELECT max(CASE r.status "
    "WHEN 'delayed' THEN 1 WHEN 'delivered' THEN 2 "
    "WHEN 'displayed' THEN 3 WHEN 'processed' THEN 3 WHEN 'dispatched' THEN 3 WHEN 'read' THEN 3 "
    "WHEN 'failed' THEN 4 WHEN 'deleted' THEN 4 WHEN 'integration_error' THEN 4 ELSE 0 END) "
    "FROM outbox_item o JOIN outbox_receipt r ON r.item_id = o.id "
    "WHERE o.message_id = m.message_id)"
)

_ROW_COLUMNS = (
    "m.id, m.folder_id, m.date, m.from_name, m.from_addr, m.to_display, m.subject, m.flags, "
    f"m.size, m.has_attachments, m.is_xdm, m.state, {_RECEIPT_RANK_SQL} AS receipt"
)


@dataclass(frozen=True)
class ListQuery:
    """Which messages a list shows and in which order.

    ``folder_id`` or else ``account_id`` scopes the list (neither: every message of the profile);
    ``search`` is the user's words (None or blank: no filter).
    """

    folder_id: int | None = None
    account_id: int | None = None
    search: str | None = None
    sort: SortKey = SortKey.DATE
    descending: bool = True

    @property
    def fts(self) -> str | None:
        """The FTS5 query, or None when there is nothing to search for."""
        text = (self.search or "").strip()
        if not any(ch.isalnum() for ch in text):
            return None
        return fts_query(text)


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One line of a message list (no body, no recipients beyond the display text)."""

    id: int
    folder_id: int
    date: int  # seconds since the epoch, UTC
    from_name: str
    from_addr: str
    to_display: str
    subject: str
    unread: bool
    flagged: bool
    size: int
    has_attachments: bool
    is_xdm: bool
    state: str
    receipt: ReceiptState

    @property
    def sender(self) -> str:
        return self.from_name or self.from_addr


@dataclass(frozen=True)
class FolderCount:
    """A folder of an account with its message and unread counts."""

    id: int
    name: str
    delimiter: str | None
    special_use: str | None
    total: int
    unread: int


def _row(row: Row) -> MessageRow:
    flags = flags_set(str(row["flags"]))
    receipt = row["receipt"]
    return MessageRow(
        id=int(row["id"]),
        folder_id=int(row["folder_id"]),
        date=int(row["date"]),
        from_name=str(row["from_name"]),
        from_addr=str(row["from_addr"]),
        to_display=str(row["to_display"]),
        subject=str(row["subject"]),
        unread=SEEN not in flags,
        flagged=FLAGGED in flags,
        size=int(row["size"]),
        has_attachments=bool(row["has_attachments"]),
        is_xdm=bool(row["is_xdm"]),
        state=str(row["state"]),
        receipt=ReceiptState(int(receipt)) if receipt else ReceiptState.NONE,
    )


def _scope(query: ListQuery) -> tuple[str, list[Any]]:
    if query.folder_id is not None:
        return "m.folder_id = ?", [query.folder_id]
    if query.account_id is not None:
        return "m.account_id = ?", [query.account_id]
    return "1", []


def _order(query: ListQuery, *, fts: bool) -> str:
    desc = "DESC" if query.descending else "ASC"
    if query.sort is SortKey.DATE:
        if fts:
            return f"message_fts.rowid {desc}"
        # The index's own order for equal dates is rowid ascending; reversed for ascending.
        tie = "ASC" if query.descending else "DESC"
        return f"m.date {desc}, m.id {tie}"
    # What the list shows: the sender's name, or the address when there is no name.
    column = (
        "coalesce(nullif(m.from_name, ''), m.from_addr)"
        if query.sort is SortKey.SENDER
        else "m.subject"
    )
    # Most recent first among equals, whatever the direction: what a reader expects.
    return f"{column} COLLATE NOCASE {desc}, m.date DESC, m.id DESC"


def _from(query: ListQuery) -> tuple[str, list[Any]]:
    """FROM ... WHERE ... and its parameters."""
    where, params = _scope(query)
    fts = query.fts
    if fts is None:
        return f"FROM message m WHERE {where}", params
    return (
        "FROM message_fts JOIN message m ON m.fts_rowid = message_fts.rowid "
        f"WHERE message_fts MATCH ? AND {where}",
        [fts, *params],
    )


def count_rows(conn: Connection, query: ListQuery) -> int:
    """How many messages ``query`` shows."""
    clause, params = _from(query)
    return int(conn.execute(f"SELECT count(*) {clause}", params).fetchone()[0])


def page_rows(conn: Connection, query: ListQuery, offset: int, limit: int) -> list[MessageRow]:
    """Rows ``offset`` .. ``offset + limit - 1`` of ``query``'s order."""
    offset = max(0, int(offset))
    limit = max(1, min(int(limit), MAX_PAGE))
    clause, params = _from(query)
    order = _order(query, fts=query.fts is not None)
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return [_row(r) for r in rows]


def first_page(
    conn: Connection, query: ListQuery, limit: int
) -> tuple[int, list[MessageRow]]:
    """The count and the first page in one visit to the database thread (a list's first paint)."""
    return count_rows(conn, query), page_rows(conn, query, 0, limit)


def folder_counts(conn: Connection, account_id: int) -> list[FolderCount]:
    """Every folder of the account with its total and unread counts (one pass over its rows)."""
    rows = conn.execute(
        "SELECT f.id, f.name, f.delimiter, f.special_use, "
        "count(m.id) AS total, "
        "coalesce(sum(CASE WHEN m.id IS NOT NULL "
        "AND instr(' ' || m.flags || ' ', ' \\Seen ') = 0 THEN 1 ELSE 0 END), 0) AS unread "
        "FROM folder f LEFT JOIN message m ON m.folder_id = f.id "
        "WHERE f.account_id = ? GROUP BY f.id ORDER BY f.name",
        (account_id,),
    ).fetchall()
    return [
        FolderCount(
            id=int(r["id"]),
            name=str(r["name"]),
            delimiter=r["delimiter"],
            special_use=r["special_use"],
            total=int(r["total"]),
            unread=int(r["unread"]),
        )
        for r in rows
    ]


class MessageQueries:
    """The blocking form of the functions above, for callers off the database thread."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def count(self, query: ListQuery) -> int:
        return self._db.call(lambda conn: count_rows(conn, query))

    def page(self, query: ListQuery, offset: int, limit: int) -> list[MessageRow]:
        return self._db.call(lambda conn: page_rows(conn, query, offset, limit))

    def first_page(self, query: ListQuery, limit: int) -> tuple[int, list[MessageRow]]:
        return self._db.call(lambda conn: first_page(conn, query, limit))

    def folder_counts(self, account_id: int) -> list[FolderCount]:
        return self._db.call(lambda conn: folder_counts(conn, account_id))


__all__: Sequence[str] = (
    "FolderCount",
    "ListQuery",
    "MessageQueries",
    "MessageRow",
    "ReceiptState",
    "SortKey",
    "count_rows",
    "first_page",
    "folder_counts",
    "page_rows",
)
