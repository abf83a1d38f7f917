"""Read-only queries for message lists: a row count and pages in a stable order, sorted in SQL.

A list view shows 100,000 messages without holding them: it asks for the count, then for pages
(``LIMIT``/``OFFSET``) as the user scrolls. Every function takes the connection, so a caller already
on the database thread (``Database.acall``, ``Database.call``) runs it directly; ``MessageQueries``
is the blocking form for everyone else.

Orders are total (a unique tie-breaker ends every ``ORDER BY``) so that consecutive pages neither
repeat nor skip a row. The date order follows the ``message_folder_date`` index exactly
(``date DESC`` then ``rowid`` ascending, the index's own order for equal dates), so a page costs an
index walk, not a sort. Sorting by sender or subject walks ``message_folder_sender`` /
``message_folder_subject``, indexes on the folded sender and subject (``SENDER_KEY`` /
``SUBJECT_KEY``: trimmed, case-folded, accents removed — "Éric" sorts between "D" and "F";
``app.store.sort_keys``, migration 0012): forwards for A→Z (equal keys most recent first),
backwards for Z→A (the whole order reversed). Outside one folder (an account, every message) the
same keys are sorted in SQL. A page next to one already read can be read from its edge row
(``page_from``) instead of walking ``OFFSET`` rows.

A search uses the FTS5 index (accents folded: "résultats" finds "Resultats"); its date order is the
FTS rowid, which is the date shifted left (see ``message_store``), so the most recent hits come
first without a sort either.

The two panes of a mailbox (spec §9) filter by audience: ``Audience.PROFESSIONALS`` (no address
of the patients' domain), ``Audience.PATIENTS`` (``message.patient_addr`` set, migration 0013),
or ``ListQuery.patient``, one patient's messages. The three indexes above end with the id and
``patient_addr`` (migration 0013), so an audience filter is read from the index entry while it
walks: counts and pages stay index-only passes. One patient's messages are found through the
``message_patient`` index (a seek, newest first; sorting them by sender or subject sorts that
patient's few messages).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.ins import PATIENT_DOMAIN
from app.store.database import Connection, Database, Row
from app.store.message_store import FLAGGED, SEEN, ascii_lower, flags_set, fts_query

MAX_PAGE = 5000


class SortKey(enum.Enum):
    DATE = "date"
    SENDER = "sender"
    SUBJECT = "subject"


class Audience(enum.Enum):
    """Whom a list's messages were exchanged with (spec §9: Medimail's two panes)."""

    ALL = "all"
    PROFESSIONALS = "professionals"  # no address of the patients' domain in From, To or Cc
    PATIENTS = "patients"  # at least one (``message.patient_addr``, migration 0013)


def patient_key(text: str) -> str:
    """How ``message.patient_addr`` spells a patient given by address or by INS matricule
    (spaces ignored, as people copy it from a card): ``<matricule>@patient.mssante.fr``, lower
    case."""
    compact = "".join(text.split())
    if "@" not in compact:
        compact = f"{compact}@{PATIENT_DOMAIN}"
    return ascii_lower(compact)


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
    ``search`` is the user's words (None or blank: no filter); ``audience`` keeps the messages
    exchanged with professionals only or with patients only; ``patient`` (an address or an INS
    matricule) keeps one patient's messages, whatever ``audience`` says besides
    ``PROFESSIONALS``, which contradicts it.
    """

    folder_id: int | None = None
    account_id: int | None = None
    search: str | None = None
    sort: SortKey = SortKey.DATE
    descending: bool = True
    audience: Audience = Audience.ALL
    patient: str | None = None

    def __post_init__(self) -> None:
        if self.patient is not None and self.audience is Audience.PROFESSIONALS:
            raise ValueError("a patient's messages are not in the professionals' list")

    @property
    def patient_key(self) -> str | None:
        """``patient`` as ``message.patient_addr`` spells it (None: no patient filter)."""
        return patient_key(self.patient) if self.patient and self.patient.strip() else None

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
    """The WHERE terms of the scope and the audience, and their parameters."""
    patient = query.patient_key
    # One patient: the folder or account must not steer SQLite's choice of index ("+" keeps the
    # term out of it), else it walks the whole folder or account for that patient's few rows.
    plus = "+" if patient is not None else ""
    terms: list[str] = []
    params: list[Any] = []
    if query.folder_id is not None:
        terms.append(f"{plus}m.folder_id = ?")
        params.append(query.folder_id)
    elif query.account_id is not None:
        terms.append(f"{plus}m.account_id = ?")
        params.append(query.account_id)
    if patient is not None:
        terms.append("m.patient_addr = ?")
        params.append(patient)
    elif query.audience is Audience.PROFESSIONALS:
        terms.append("m.patient_addr IS NULL")
    elif query.audience is Audience.PATIENTS:
        terms.append("m.patient_addr IS NOT NULL")
    return " AND ".join(terms) or "1", params


# Verbatim the expressions of migration 0012's indexes (SQLite matches them textually).
SENDER_KEY = "estafette_fold(coalesce(nullif(m.from_name, ''), m.from_addr))"
SUBJECT_KEY = "estafette_fold(m.subject)"
_UNREAD = "instr(' ' || m.flags || ' ', ' \\Seen ') = 0"  # the partial index's condition


def _columns(query: ListQuery) -> list[tuple[str, bool]]:
    """The order of a list without search as (column, ascending) pairs, ending with the unique
    ``m.id``: the order of an index, walked forwards or backwards.

    By date: ``message_folder_date`` (``date DESC``, then the id ascending for equal dates), so
    newest first is ``date DESC, id ASC`` and its reverse ``date ASC, id DESC``. By sender or
    subject: what the list shows (the sender's name, else the address; the subject), folded
    (``SENDER_KEY``, ``SUBJECT_KEY``), in the order of their ``(folder_id, key, date DESC, id)``
    index; Z→A is that walk backwards."""
    if query.sort is SortKey.DATE:
        forward = query.descending
        return [("m.date", not forward), ("m.id", forward)]
    column = SENDER_KEY if query.sort is SortKey.SENDER else SUBJECT_KEY
    forward = not query.descending
    return [(column, forward), ("m.date", not forward), ("m.id", forward)]


def _order(query: ListQuery, *, fts: bool) -> str:
    if fts and query.sort is SortKey.DATE:
        return f"message_fts.rowid {'DESC' if query.descending else 'ASC'}"
    return ", ".join(f"{c} {'ASC' if up else 'DESC'}" for c, up in _columns(query))


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


def page_from(
    conn: Connection, query: ListQuery, anchor_id: int, limit: int, *, before: bool = False
) -> list[MessageRow] | None:
    """Up to ``limit`` rows that follow the message ``anchor_id`` in ``query``'s order (or that
    precede it, ``before``, returned in the list's order): a page next to one already read
    costs an index seek and ``limit`` rows, where ``OFFSET`` walks every row before the page
    (30–50 ms deep in 100,000 rows). None when the anchor is gone (or not in a list this can
    follow: a search); the caller then reads by offset.

    One query per column of the order, from the last: the rows equal to the anchor on every
    column before it and after it on that one, then on fewer columns — each an index seek."""
    if query.fts is not None:
        return None
    limit = max(1, min(int(limit), MAX_PAGE))
    columns = _columns(query)
    if before:
        columns = [(c, not up) for c, up in columns]
    names = ", ".join(c for c, _ in columns)
    anchor = conn.execute(
        f"SELECT {names} FROM message m WHERE m.id = ?", (int(anchor_id),)).fetchone()
    if anchor is None:
        return None
    where, params = _scope(query)
    rows: list[Row] = []
    for level in range(len(columns) - 1, -1, -1):
        conditions = [f"{c} = ?" for c, _ in columns[:level]]
        column, up = columns[level]
        conditions.append(f"{column} {'>' if up else '<'} ?")
        values = [anchor[i] for i in range(level + 1)]
        # Ordered by the columns not fixed by "=" only: with the folded sender fixed, ordering by
        # it too made SQLite sort every message of that sender (65-120 ms for 25,000) instead of
        # walking the index from the anchor.
        order = ", ".join(f"{c} {'ASC' if up else 'DESC'}" for c, up in columns[level:])
        rows.extend(conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM message m WHERE {where} AND "
            f"{' AND '.join(conditions)} ORDER BY {order} LIMIT ?",
            [*params, *values, limit - len(rows)],
        ).fetchall())
        if len(rows) >= limit:
            break
    result = [_row(r) for r in rows]
    if before:
        result.reverse()
    return result


def first_page(
    conn: Connection, query: ListQuery, limit: int
) -> tuple[int, list[MessageRow]]:
    """The count and the first page in one visit to the database thread (a list's first paint)."""
    return count_rows(conn, query), page_rows(conn, query, 0, limit)


_AUDIENCE_TERM = {
    Audience.ALL: "",
    Audience.PROFESSIONALS: " AND m.patient_addr IS NULL",
    Audience.PATIENTS: " AND m.patient_addr IS NOT NULL",
}


def folder_counts(conn: Connection, account_id: int,
                  audience: Audience = Audience.ALL) -> list[FolderCount]:
    """Every folder of the account with its total and unread counts, for one pane's
    ``audience``: totals from the ``(folder_id, date, id, patient_addr)`` index, unread ones from
    the partial index on unread messages (migrations 0012, 0013) — not a pass over every
    message's flags (0.25–1 s at 100,000)."""
    term = _AUDIENCE_TERM[audience]
    rows = conn.execute(
        "SELECT f.id, f.name, f.delimiter, f.special_use, "
        f"(SELECT count(*) FROM message m WHERE m.folder_id = f.id{term}) AS total, "
        f"(SELECT count(*) FROM message m WHERE m.folder_id = f.id AND {_UNREAD}{term}) "
        "AS unread FROM folder f WHERE f.account_id = ? ORDER BY f.name",
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

    def page_from(self, query: ListQuery, anchor_id: int, limit: int, *,
                  before: bool = False) -> list[MessageRow] | None:
        return self._db.call(lambda conn: page_from(conn, query, anchor_id, limit, before=before))

    def first_page(self, query: ListQuery, limit: int) -> tuple[int, list[MessageRow]]:
        return self._db.call(lambda conn: first_page(conn, query, limit))

    def folder_counts(self, account_id: int,
                      audience: Audience = Audience.ALL) -> list[FolderCount]:
        return self._db.call(lambda conn: folder_counts(conn, account_id, audience))


__all__: Sequence[str] = (
    "Audience",
    "FolderCount",
    "ListQuery",
    "MessageQueries",
    "MessageRow",
    "ReceiptState",
    "SortKey",
    "count_rows",
    "first_page",
    "folder_counts",
    "page_from",
    "page_rows",
    "patient_key",
)
