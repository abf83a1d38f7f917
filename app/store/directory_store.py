"""The offline national directory: the daily extraction imported into the encrypted store.

Layout (migration 0006): two identical table sets ``directory_a_*`` and ``directory_b_*``; the row
``directory_state.active`` names the one searches read. An import

1. empties the *other* set (left-overs of an interrupted import included), re-creating its word
   index with the current definition (:func:`_fts_definition`: migration 0006 created it without
   the ``ids`` column of RPPS/ADELI numbers; searches check which one a set has),
2. loads the records in transactions of ~100,000 rows (the database thread serves the rest of the
   application between two of them; much smaller transactions rewrite the same index pages again
   and again and triple the load time), merging repeated addresses through the ``address_key``
   UNIQUE constraint (``ON CONFLICT DO UPDATE``: the first row is kept, its empty fields are
   filled from later rows, other places of practice are appended to ``extra_*``),
3. builds the two FTS indexes (every word; names alone) in bulk, in rowid order (no automatic
   merges meanwhile, one segment per transaction, no final 'optimize'), and the vocabulary of
   profession and specialty words (gathered from the rows as they were loaded). No B-tree index
   besides the address key: each one would cost a full scan of the encrypted table,
4. switches ``directory_state.active`` in **one** transaction, together with the import report,
5. empties the previous set.

Searches go tier by tier (exact address, whole name words, name beginnings, then any word) and
stop at the limit. They avoid the two costly shapes of FTS5 queries on half a million rows: a
prefix shared by many index terms (single letters become LIKE filters, profession beginnings are
expanded to their whole words) and ranking a large match set (over ``_RANK_CAP`` matches a tier
comes back in storage order; ranking reads the FTS index only, entries are fetched afterwards).

Records are consumed in bounded batches, so memory does not grow with the file. They are read on
the database thread by default: running the reader in a thread of its own (``reader_thread``)
was measured to gain nothing here (the reader is pure Python and holds the GIL; ``executemany``
needs it back for every row). Also measured and left out (issue #6 import target): indexing
each load transaction's rows in the same transaction (more CPU than the separate build, several
seconds more with a trigger re-indexing merged rows), multi-row ``VALUES`` upserts (slower),
a larger page cache (no gain above 64 MiB), and a final FTS 'optimize' (see step 3).

Anything that fails before step 4 (a damaged ZIP met halfway, a full disk, a killed process) leaves
``active`` untouched: searches keep reading the previous directory, and the next import starts by
emptying the half-built set. Every search reads ``active`` and its rows inside one read
transaction, so a switch made meanwhile (by this process or another one) is never seen half-way.

The store does not know the extraction's file format (app.protocols does): it takes rows as plain
sequences of text in the order of :data:`RECORD_FIELDS`, or of :data:`KEYED_FIELDS` (the
de-duplication key first) from a source that computes the key itself.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any, cast

from app.domain.directory_entry import (
    DirectoryBoxType,
    DirectoryEntry,
    DirectorySource,
)
from app.errors import InvalidInputError, UserFacingError
from app.store.database import Connection, Database, Row
from app.store.transaction import transaction

# The order of the values of one imported row (app.protocols.directory_extraction.ExtractionRecord
# has exactly these fields; the directory service checks it at import time).
RECORD_FIELDS: tuple[str, ...] = (
    "address", "box_type", "civility", "family_name", "given_name", "profession_code",
    "profession", "specialty_code", "specialty", "structure", "service", "street", "postcode",
    "city", "department", "rpps", "adeli", "national_id", "id_type", "structure_id",
)  # fmt: skip

# A keyed record (import_records(keyed=True)): the de-duplication key, then RECORD_FIELDS.
KEYED_FIELDS: tuple[str, ...] = ("address_key", *RECORD_FIELDS)
_PROFESSION_AT = KEYED_FIELDS.index("profession")
_SPECIALTY_AT = KEYED_FIELDS.index("specialty")

DEFAULT_BATCH_ROWS = 5_000  # rows handed over by the reader thread at a time
DEFAULT_TRANSACTION_ROWS = 100_000
_FTS_BATCH_ROWS = 100_000
_FTS_BUILD_HASH_BYTES = 64 * 1024 * 1024
_FTS_AUTOMERGE_DEFAULT = 4  # FTS5's defaults
_FTS_HASH_DEFAULT = 1024 * 1024
# Above this many FTS matches, ranking is pointless (everything matches alike) and costs a score
# per match: such a tier is returned in storage order instead.
_RANK_CAP = 500
MAX_LIMIT = 1_000
_MAX_TEXT = 200

# Fields that a repeated address fills in when its first row left them empty.
_FILLED_FIELDS = (
    "civility", "family_name", "given_name", "profession_code", "profession", "specialty_code",
    "specialty", "rpps", "adeli", "national_id", "id_type", "structure_id",
)  # fmt: skip

_SETS = ("a", "b")
# Letters and digits (not "_", a LIKE wildcard and a separator for the FTS tokenizer).
_WORD = re.compile(r"[^\W_]+")
# bm25 weights of the FTS columns: family, given, profession, specialty, structure, city,
# postcode, department (the last two are filters, not relevance).
_BM25 = "10.0, 6.0, 2.0, 2.0, 1.5, 1.5, 0.0, 0.0"
_BM25_NAMES = "10.0, 6.0"
# A profession/specialty beginning expands to at most this many whole words (else a prefix).
_MAX_EXPANSION = 40
_FETCH_BATCH = 100


class DirectoryImportError(UserFacingError):
    """An import could not complete; the previous directory is still in force."""

    default_message = (
        "L'import de l'annuaire a échoué ; l'annuaire précédent reste utilisé."
    )
    default_message_en = "The directory import failed; the previous directory is still in use."


@dataclass(frozen=True)
class DirectoryCriteria:
    """A multi-criteria directory search. Every given criterion must match (AND).

    ``text``: free text (a name, or an address or its beginning); ``name`` the family or given
    name; ``first_name`` the given name only; ``profession``, ``specialty``, ``structure`` and
    ``city`` are word searches (accents and case ignored, words may be beginnings);
    ``postcode`` is exact (or a beginning when shorter than 5 digits); ``department`` exact;
    ``rpps`` an RPPS or ADELI number; ``box_type`` PER, ORG (CAB boxes included) or APP.
    """

    text: str = ""
    name: str = ""
    first_name: str = ""
    profession: str = ""
    specialty: str = ""
    structure: str = ""
    city: str = ""
    postcode: str = ""
    department: str = ""
    rpps: str = ""
    box_type: str = ""

    def is_empty(self) -> bool:
        return not any(
            v.strip()
            for v in (
                self.text, self.name, self.first_name, self.profession, self.specialty,
                self.structure, self.city, self.postcode, self.department, self.rpps,
                self.box_type,
            )
        )  # fmt: skip


@dataclass(frozen=True)
class DirectoryImportInfo:
    """What the directory in force came from."""

    imported_at: float
    source_name: str
    rows_read: int
    entries: int
    merged: int
    bad_rows: int
    report: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportOutcome:
    entries: int  # rows in the new directory (one per address)
    rows: int  # rows received from the reader
    merged: int  # rows folded into an earlier row of the same address
    seconds: float
    phases: Mapping[str, float] = field(default_factory=dict)


def address_key(address: str) -> str:
    """The de-duplication key of an address: as written, with its domain lower-cased."""
    text = address.strip()
    at = text.rfind("@")
    if at < 0:
        return text.lower()
    return text[: at + 1] + text[at + 1 :].lower()


def normalise_department(text: str) -> str:
    code = text.strip().upper()
    if code.isdigit() and len(code) == 1:
        return "0" + code
    return code


def fold(text: str) -> str:
    """Lower case without accents: ``Hélène`` -> ``helene`` (as the FTS tokenizer sees it)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text[:_MAX_TEXT])


def _phrase(words: Sequence[str], *, prefix: bool) -> str:
    star = "*" if prefix else ""
    # \w+ tokens hold no quote, but quoting keeps FTS5 operators (AND, NEAR...) literal.
    return " ".join(f'"{w}"{star}' for w in words)


def _check_text(value: str, label: str) -> str:
    text = value.strip()
    if any(ord(c) < 32 for c in text):
        raise InvalidInputError(
            f"Le critère « {label} » contient des caractères de contrôle.",
            message_en=f"The “{label}” criterion contains control characters.",
        )
    if len(text) > _MAX_TEXT:
        raise InvalidInputError(
            f"Le critère « {label} » est trop long ({_MAX_TEXT} caractères au plus).",
            message_en=f"The “{label}” criterion is too long (at most {_MAX_TEXT} characters).",
        )
    return text


@dataclass(frozen=True)
class _Tables:
    name: str
    entry: str
    fts: str
    names: str

    @classmethod
    def of(cls, name: str) -> _Tables:
        if name not in _SETS:  # only these two names are ever interpolated into SQL
            raise ValueError(name)
        prefix = f"directory_{name}"
        return cls(name, f"{prefix}_entry", f"{prefix}_fts", f"{prefix}_names")


def _legacy_indexes(t: _Tables) -> list[str]:
    """B-tree indexes that sets imported before the ``ids`` FTS column had (RPPS, ADELI): dropped
    when such a set is emptied for an import, so that they are not maintained while loading."""
    return [f"{t.entry}_rpps", f"{t.entry}_adeli"]


def _fts_definition(t: _Tables) -> str:
    """The word index of a set, (re)created by every import (see :meth:`DirectoryStore._clear`).

    Migration 0006 created it without the ``ids`` column; a set imported since then has it. The
    RPPS and ADELI numbers are whole tokens of ``ids``: an RPPS search is one doclist lookup,
    and the import builds no B-tree index over the 535,000 rows for them (each such index costs
    a full scan of the encrypted table).
    """
    return (
        f"CREATE VIRTUAL TABLE {t.fts} USING fts5("
        "family, given, profession, specialty, structure, city, postcode, department, ids, "
        "content = '', tokenize = 'unicode61 remove_diacritics 2')"
    )


_FTS_COLUMNS = "family, given, profession, specialty, structure, city, postcode, department, ids"


# What the word index holds for a row of the entry table, in the order of _FTS_COLUMNS.
_FTS_VALUES = (
    "family_name, given_name, profession, specialty, "
    "structure || ' ' || service || extra_structure, city || extra_city, "
    # "cp69": a token for the first two digits, so that the most common postcode beginning is
    # one doclist instead of a merge of every postcode starting with them.
    "postcode || extra_postcode || CASE WHEN length(postcode) >= 2 "
    "THEN ' cp' || substr(postcode, 1, 2) ELSE '' END, "
    "department || extra_department, rpps || ' ' || adeli"
)


def _has_ids(conn: Connection, t: _Tables) -> bool:
    """Whether the set's word index has the ``ids`` column (not a set imported before it)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t.fts,)).fetchone()
    return row is not None and " ids," in str(row[0])


_ENTRY_COLUMNS = KEYED_FIELDS


def _upsert_sql(t: _Tables) -> str:
    columns = ", ".join(_ENTRY_COLUMNS)
    marks = ", ".join("?" for _ in _ENTRY_COLUMNS)
    fills = ", ".join(
        f"{c} = CASE WHEN {c} = '' THEN excluded.{c} ELSE {c} END" for c in _FILLED_FIELDS
    )
    return (
        f"INSERT INTO {t.entry} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (address_key) DO UPDATE SET {fills}, "
        "extra_structure = CASE WHEN excluded.structure = structure "
        "AND excluded.service = service THEN extra_structure "
        "ELSE extra_structure || ' ' || excluded.structure || ' ' || excluded.service END, "
        "extra_city = CASE WHEN excluded.city = city THEN extra_city "
        "ELSE extra_city || ' ' || excluded.city END, "
        "extra_postcode = CASE WHEN excluded.postcode = postcode THEN extra_postcode "
        "ELSE extra_postcode || ' ' || excluded.postcode END, "
        "extra_department = CASE WHEN excluded.department = department THEN extra_department "
        "ELSE extra_department || ' ' || excluded.department END"
    )


_BOX_TYPES = {t.value: t for t in DirectoryBoxType}


def _entry(row: Row) -> DirectoryEntry:
    street = str(row["street"])
    return DirectoryEntry(
        address=str(row["address"]),
        box_type=_BOX_TYPES.get(str(row["box_type"]), DirectoryBoxType.ORG),
        source=DirectorySource.EXTRACTION,
        civility=row["civility"],
        family_name=row["family_name"],
        given_name=row["given_name"],
        profession_code=row["profession_code"],
        profession=row["profession"],
        specialty_code=row["specialty_code"],
        specialty=row["specialty"],
        structure=row["structure"],
        service=row["service"],
        street_lines=tuple(street.split("\n")) if street else (),
        postcode=row["postcode"],
        city=row["city"],
        department=row["department"],
        rpps=row["rpps"],
        adeli=row["adeli"],
        national_id=row["national_id"],
        id_type=row["id_type"],
        structure_id=row["structure_id"],
    )


_ENTRY_SELECT = (
    "e.id, e.address, e.box_type, e.civility, e.family_name, e.given_name, e.profession_code, "
    "e.profession, e.specialty_code, e.specialty, e.structure, e.service, e.street, e.postcode, "
    "e.city, e.department, e.rpps, e.adeli, e.national_id, e.id_type, e.structure_id"
)


def _active(conn: Connection) -> str:
    return str(conn.execute("SELECT active FROM directory_state WHERE id = 1").fetchone()[0])


@contextlib.contextmanager
def _read_snapshot(conn: Connection) -> Iterator[_Tables]:
    """One read transaction: the active set and its rows are read from the same snapshot."""
    conn.execute("BEGIN")
    try:
        yield _Tables.of(_active(conn))
    finally:
        conn.execute("COMMIT")


class _Producer:
    """Batches of the records iterator, read in the consuming thread or, with ``start``, in a
    thread of its own (the next batch parsed while sqlite, GIL released, inserts the previous
    one). At most ``depth`` batches wait: memory stays bounded whatever the file's size.
    """

    _DONE = object()

    def __init__(
        self, rows: Iterator[tuple[str, ...]], batch: int, depth: int = 2, *, start: bool = True
    ) -> None:
        self._rows = rows
        self._batch = batch
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if start:
            self._thread = threading.Thread(target=self._run, name="directory-reader",
                                            daemon=True)
            self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = list(islice(self._rows, self._batch))
                if not chunk:
                    break
                if not self._put(chunk):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed over to the consuming thread, which re-raises it
            self._put(exc)

    def batches(self) -> Iterator[list[tuple[str, ...]]]:
        if self._thread is None:  # no thread: read in the consuming thread
            while chunk := list(islice(self._rows, self._batch)):
                yield chunk
            return
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


class DirectoryStore:
    """Import and search of the offline directory (see the module docstring)."""

    def __init__(
        self,
        *,
        database: Database,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        transaction_rows: int = DEFAULT_TRANSACTION_ROWS,
        reader_thread: bool = False,
    ) -> None:
        self._db = database
        self._reader_thread = reader_thread
        self._batch_rows = batch_rows
        self._transaction_rows = transaction_rows
        self._import_lock = threading.Lock()

    # --- import ----------------------------------------------------------------------------------

    def import_records(
        self,
        records: Iterable[Sequence[str]],
        *,
        source_name: str,
        details: Callable[[], Mapping[str, Any]] | None = None,
        rows_read: Callable[[], int] | None = None,
        bad_rows: Callable[[], int] | None = None,
        keyed: bool = False,
    ) -> ImportOutcome:
        """Replace the directory by ``records`` (see the module docstring), atomically.

        ``records`` are sequences of text in :data:`RECORD_FIELDS` order or, with ``keyed``,
        tuples of :data:`KEYED_FIELDS`: the same preceded by the address's :func:`address_key`
        (the fast path: a source that has the address at hand computes the key for free, instead
        of the store rebuilding every row).

        ``details``/``rows_read``/``bad_rows`` are asked once every record has been consumed, just
        before the switch (the reader's report is complete only then); they are kept with the
        directory. Any exception raised while iterating ``records`` aborts the import, leaves the
        previous directory in force, and propagates unchanged.
        """
        if not self._import_lock.acquire(blocking=False):
            raise DirectoryImportError(
                "Un import de l'annuaire est déjà en cours.",
                message_en="A directory import is already running.",
            )
        try:
            return self._import(records, source_name, details, rows_read, bad_rows, keyed)
        finally:
            self._import_lock.release()

    def _inactive(self) -> str:
        return "b" if self._db.call(_active) == "a" else "a"

    def _clear(self, t: _Tables) -> None:
        def run(conn: Connection) -> None:
            # The national directory is public data: zeroing its freed pages (secure_delete, on
            # for the rest of the store) would only make a refresh several seconds slower.
            conn.execute("PRAGMA secure_delete = OFF")
            try:
                with transaction(conn):
                    for index in _legacy_indexes(t):
                        conn.execute(f"DROP INDEX IF EXISTS {index}")
                    conn.execute(f"DELETE FROM {t.entry}")
                    # Re-created rather than emptied: a set imported by an older version gets
                    # the current definition (and dropping is the fastest way to empty it).
                    conn.execute(f"DROP TABLE IF EXISTS {t.fts}")
                    conn.execute(_fts_definition(t))
                    conn.execute(f"INSERT INTO {t.names} ({t.names}) VALUES ('delete-all')")
                    conn.execute("DELETE FROM directory_vocabulary WHERE set_name = ?", (t.name,))
            finally:
                conn.execute("PRAGMA secure_delete = ON")

        self._db.call(run)

    def _import(
        self,
        records: Iterable[Sequence[str]],
        source_name: str,
        details: Callable[[], Mapping[str, Any]] | None,
        rows_read: Callable[[], int] | None,
        bad_rows: Callable[[], int] | None,
        keyed: bool,
    ) -> ImportOutcome:
        started = time.perf_counter()
        phases: dict[str, float] = {}
        target_name = self._inactive()
        target = _Tables.of(target_name)
        self._clear(target)
        phases["clear"] = time.perf_counter() - started

        upsert = _upsert_sql(target)
        width = len(RECORD_FIELDS)

        def keyed_rows(source: Iterable[Sequence[str]]) -> Iterator[tuple[str, ...]]:
            for record in source:
                if len(record) != width:
                    raise ValueError(f"directory record of {len(record)} fields, {width} expected")
                address = record[0]
                at = address.rfind("@")
                yield (address[: at + 1] + address[at + 1 :].lower(), *record)

        received = 0
        rows = cast(Iterator[tuple[str, ...]], iter(records)) if keyed else keyed_rows(records)
        producer = _Producer(rows, self._batch_rows, start=self._reader_thread)
        batches = producer.batches()
        per_transaction = self._transaction_rows
        # The distinct (profession, specialty) labels, for the vocabulary: gathered here, from
        # rows that pass by anyway, rather than by one more scan of the loaded table.
        labels: set[tuple[str, str]] = set()
        label_of = itemgetter(_PROFESSION_AT, _SPECIALTY_AT)

        def load_some(conn: Connection) -> bool:
            """One transaction of rows; True once the records are exhausted."""
            nonlocal received
            exhausted = True
            with transaction(conn):
                count = 0
                for batch in batches:
                    conn.executemany(upsert, batch)
                    labels.update(map(label_of, batch))
                    count += len(batch)
                    if count >= per_transaction:
                        exhausted = False
                        break
            received += count
            return exhausted

        # The database's bulk mode while loading: the address_key index receives keys in random
        # order, so it must stay in the (bigger) page cache to keep the load fast. Shared with a
        # sync running meanwhile: the settings come back when the last of the two is done.
        with self._db.bulk_writes():
            try:
                t0 = time.perf_counter()
                while not self._db.call(load_some):
                    pass
                phases["load"] = time.perf_counter() - t0
                entries = self._finish_load(target, phases, labels)
                report = dict(details()) if details is not None else {}
                read = rows_read() if rows_read is not None else received
                bad = bad_rows() if bad_rows is not None else 0
            except BaseException:
                producer.close()
                with contextlib.suppress(Exception):
                    self._clear(target)  # give the space back now; the next import would anyway
                raise
            finally:
                producer.close()
        merged = received - entries

        def switch(conn: Connection) -> None:
            conn.execute(
                "UPDATE directory_state SET active = ?, imported_at = ?, source_name = ?, "
                "rows_read = ?, entries = ?, merged = ?, bad_rows = ?, report = ? WHERE id = 1",
                (
                    target_name, time.time(), source_name, read, entries, merged, bad,
                    json.dumps(report, ensure_ascii=False, default=str),
                ),
            )  # fmt: skip

        self._db.write(switch)
        t0 = time.perf_counter()
        with contextlib.suppress(Exception):
            # The previous directory is no longer read; a failure here only costs disk space
            # until the next import, which empties this set first.
            self._clear(_Tables.of("b" if target_name == "a" else "a"))
        phases["clear_previous"] = time.perf_counter() - t0
        return ImportOutcome(
            entries=entries,
            rows=received,
            merged=merged,
            seconds=time.perf_counter() - started,
            phases=phases,
        )

    def _finish_load(
        self, t: _Tables, phases: dict[str, float], labels: Iterable[tuple[str, str]]
    ) -> int:
        """The word indexes, vocabulary and statistics of the loaded set; returns its row
        count."""
        t0 = time.perf_counter()
        last_id = int(self._db.query(f"SELECT max(id) FROM {t.entry}")[0][0] or 0)
        index_words = (
            f"INSERT INTO {t.fts} (rowid, {_FTS_COLUMNS}) SELECT id, {_FTS_VALUES} "
            f"FROM {t.entry} WHERE id > ? AND id <= ?"
        )
        index_names = (
            f"INSERT INTO {t.names} (rowid, family, given) SELECT id, family_name, given_name "
            f"FROM {t.entry} WHERE id > ? AND id <= ? AND (family_name != '' OR given_name != '')"
        )

        def index(bounds: tuple[int, int]) -> Callable[[Connection], None]:
            def run(conn: Connection) -> None:
                conn.execute(index_words, bounds)
                conn.execute(index_names, bounds)

            return run

        # No automatic merges during the build (wasted work), and a large in-memory hash: each
        # transaction of _FTS_BATCH_ROWS rows is written as one segment. The build stops there:
        # no 'optimize' into a single segment, which cost ~10 % of the import and changes
        # search and autocomplete latency by less than run-to-run noise (a query merges the
        # doclists of a handful of segments). Both settings live in the FTS tables' config,
        # hence restored to the defaults afterwards.
        self._db.write(lambda conn: _configure_fts(conn, t, 0, _FTS_BUILD_HASH_BYTES))
        for start in range(0, last_id, _FTS_BATCH_ROWS):
            self._db.write(index((start, start + _FTS_BATCH_ROWS)))
        self._db.write(
            lambda conn: _configure_fts(conn, t, _FTS_AUTOMERGE_DEFAULT, _FTS_HASH_DEFAULT)
        )
        phases["fts"] = time.perf_counter() - t0
        t0 = time.perf_counter()

        def vocabulary(conn: Connection) -> None:
            # ``labels`` holds every label of the rows received; a merged row keeps labels of
            # one of them, so this may hold a few words no entry has any more: harmless (a
            # beginning expands to a word that then matches nothing).
            tokens: set[tuple[str, str]] = set()
            for profession, specialty in labels:
                tokens.update(("profession", w) for w in _tokens(fold(str(profession))))
                tokens.update(("specialty", w) for w in _tokens(fold(str(specialty))))
            conn.executemany(
                "INSERT INTO directory_vocabulary (set_name, field, token) VALUES (?, ?, ?)",
                [(t.name, f, w) for f, w in sorted(tokens)],
            )

        self._db.write(vocabulary)

        def count(conn: Connection) -> int:
            # Sampled statistics (fast) of the address index, for the planner.
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute(f"ANALYZE {t.entry}")
            return int(conn.execute(f"SELECT count(*) FROM {t.entry}").fetchone()[0])

        entries = self._db.write(count)
        phases["finish"] = time.perf_counter() - t0
        return entries

    # --- state -----------------------------------------------------------------------------------

    def info(self) -> DirectoryImportInfo | None:
        """The import in force, or None when no extraction was ever imported."""
        rows = self._db.query(
            "SELECT imported_at, source_name, rows_read, entries, merged, bad_rows, report "
            "FROM directory_state WHERE id = 1"
        )
        if not rows or rows[0]["imported_at"] is None:
            return None
        row = rows[0]
        try:
            report = json.loads(row["report"])
        except ValueError:
            report = {}
        return DirectoryImportInfo(
            imported_at=float(row["imported_at"]),
            source_name=str(row["source_name"]),
            rows_read=int(row["rows_read"]),
            entries=int(row["entries"]),
            merged=int(row["merged"]),
            bad_rows=int(row["bad_rows"]),
            report=report if isinstance(report, dict) else {},
        )

    def count(self) -> int:
        def run(conn: Connection) -> int:
            with _read_snapshot(conn) as t:
                return int(conn.execute(f"SELECT count(*) FROM {t.entry}").fetchone()[0])

        return self._db.call(run)

    # --- search ----------------------------------------------------------------------------------

    def search(self, criteria: DirectoryCriteria, *, limit: int = 50) -> list[DirectoryEntry]:
        """Entries matching every criterion: exact address first, then whole name words, then
        name beginnings; each tier in relevance order (bm25) when it is small enough to rank."""
        limit = max(1, min(int(limit), MAX_LIMIT))
        plan = _Plan.build(criteria)

        def run(conn: Connection) -> list[DirectoryEntry]:
            with _read_snapshot(conn) as t:
                return plan.execute(conn, t, limit)

        return self._db.call(run)

    def autocomplete(self, prefix: str, *, limit: int = 10) -> list[DirectoryEntry]:
        """Entries whose address, or name words, start with ``prefix`` (for the composer):
        addresses first, then whole name words, then name beginnings."""
        text = _check_text(prefix, "saisie")
        limit = max(1, min(int(limit), MAX_LIMIT))
        if not text:
            return []
        words = _tokens(text)
        address_prefix = text.lower() if " " not in text else ""
        # Single letters alone match a large part of the directory by name: addresses only then.
        by_name = any(len(w) > 1 for w in words)

        def run(conn: Connection) -> list[DirectoryEntry]:
            found = _Found(limit)
            with _read_snapshot(conn) as t:
                if address_prefix:
                    found.take(
                        conn.execute(
                            f"SELECT {_ENTRY_SELECT} FROM {t.entry} e WHERE e.address_key >= ? "
                            "AND e.address_key < ? ORDER BY e.address_key LIMIT ?",
                            (address_prefix, address_prefix + _TOP, limit),
                        ).fetchall()
                    )
                for exact in (True, False):
                    if not by_name or found.full:
                        break
                    # A single letter after a name ("martin j") is a filter, not a prefix that
                    # FTS5 would expand to every word starting with it.
                    long = [w for w in words if len(w) > 1]
                    letters = [w for w in words if len(w) == 1]
                    match = _phrase(long, prefix=not exact)
                    like = "".join(
                        " AND (' ' || replace(e.family_name || ' ' || e.given_name, '-', ' ')) "
                        "LIKE ?" for _ in letters
                    )
                    found.take(
                        conn.execute(
                            f"SELECT {_ENTRY_SELECT} FROM {t.names} "
                            f"JOIN {t.entry} e ON e.id = {t.names}.rowid "
                            f"WHERE {t.names} MATCH ?{like} LIMIT ?",
                            (match, *(f"% {w}%" for w in letters), found.wanted),
                        ).fetchall()
                    )
            return found.entries

        return self._db.call(run)


def _configure_fts(conn: Connection, t: _Tables, automerge: int, hashsize: int) -> None:
    for table in (t.fts, t.names):
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (automerge,))
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', ?)", (hashsize,))


# Above every character: "prefix <= key < prefix + _TOP" is "key starts with prefix".
_TOP = "\U0010ffff"


class _Found:
    """Results gathered tier after tier, each row once, at most ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: list[DirectoryEntry] = []
        self._seen: set[int] = set()

    @property
    def full(self) -> bool:
        return len(self.entries) >= self.limit

    @property
    def wanted(self) -> int:
        """Rows to ask for so that ``limit`` new ones come back even if all seen ones do too."""
        return self.limit + len(self._seen)

    def take(self, rows: list[Row]) -> None:
        for row in rows:
            if self.full:
                return
            row_id = int(row["id"])
            if row_id not in self._seen:
                self._seen.add(row_id)
                self.entries.append(_entry(row))


@dataclass
class _Plan:
    """A search compiled once (pure); :meth:`execute` turns it into SQL on the active set."""

    address_exact: str = ""
    address_prefix: str = ""
    text_words: list[str] = field(default_factory=list)
    name_words: list[str] = field(default_factory=list)
    first_words: list[str] = field(default_factory=list)
    labels: list[tuple[str, list[str]]] = field(default_factory=list)  # profession, specialty
    words: list[tuple[str, list[str]]] = field(default_factory=list)  # structure, city
    places: list[str] = field(default_factory=list)  # FTS expressions (postcode, department)
    filters: list[str] = field(default_factory=list)  # SQL on "e"
    params: list[Any] = field(default_factory=list)
    rpps: str = ""  # an RPPS or ADELI number (see _rpps_criterion)
    matches_nothing: bool = False

    @classmethod
    def build(cls, c: DirectoryCriteria) -> _Plan:
        if c.is_empty():
            raise InvalidInputError(
                "Indiquez au moins un critère de recherche.",
                message_en="Give at least one search criterion.",
            )
        plan = cls()

        def words_of(value: str, label: str, like_on: str) -> list[str]:
            """The words of ``value`` worth a full-text search. Single letters (a prefix FTS5
            would expand to a large part of its index) become LIKE filters on ``like_on``."""
            text = _check_text(value, label)
            words = _tokens(text)
            if text and not words:
                plan.matches_nothing = True  # only punctuation: no word can match it
            for letter in (w for w in words if len(w) == 1):
                plan.filters.append(f"(' ' || {like_on}) LIKE ?")
                plan.params.append(f"% {letter}%")
            return [w for w in words if len(w) > 1]

        names_sql = "replace(e.family_name || ' ' || e.given_name, '-', ' ')"
        plan.name_words = words_of(c.name, "nom", names_sql)
        plan.first_words = words_of(c.first_name, "prénom", "replace(e.given_name, '-', ' ')")
        for value, column, label in (
            (c.profession, "profession", "profession"),
            (c.specialty, "specialty", "spécialité"),
        ):
            words = words_of(value, label, f"replace(e.{column}, '-', ' ')")
            if words:
                plan.labels.append((column, words))
        for value, column, label, sql in (
            (c.structure, "structure", "structure", "e.structure || ' ' || e.service"),
            (c.city, "city", "ville", "e.city"),
        ):
            words = words_of(value, label, f"replace({sql}, '-', ' ')")
            if words:
                plan.words.append((column, words))
        postcode = _check_text(c.postcode, "code postal").replace(" ", "")
        if postcode:
            if not (postcode.isascii() and postcode.isdigit()):
                plan.matches_nothing = True  # French postcodes are digits
            else:
                # A whole postcode is one token, so are its first two digits ("cp69", see the
                # import); other beginnings are prefix searches.
                if len(postcode) == 2:
                    plan.places.append(f'postcode : "cp{postcode}"')
                else:
                    plan.places.append(
                        f'postcode : "{postcode}"' + ("*" if len(postcode) < 5 else "")
                    )
        department = normalise_department(_check_text(c.department, "département"))
        if department:
            if not department.isalnum():
                plan.matches_nothing = True
            else:
                plan.places.append(f'department : "{department}"')

        text = _check_text(c.text, "recherche")
        if "@" in text:
            plan.address_exact = address_key(text)
            plan.address_prefix = text.lower()
        else:
            everything = (
                "replace(e.family_name || ' ' || e.given_name || ' ' || e.profession || ' ' || "
                "e.specialty || ' ' || e.structure || ' ' || e.service || ' ' || e.city, '-', ' ')"
            )
            plan.text_words = words_of(text, "recherche", everything)
            if (
                " " not in text and "." in text
                and not (plan.name_words or plan.first_words or plan.labels or plan.words
                         or plan.places)
            ):  # fmt: skip
                # "marie.ma": the beginning of an address as well as name words.
                plan.address_prefix = text.lower()

        rpps = _check_text(c.rpps, "RPPS").replace(" ", "")
        if rpps:
            if len(rpps) == 12 and rpps.startswith(("8", "0")):
                rpps = rpps[1:]  # the national id repeats the id type in front
            plan.rpps = rpps
            if not _tokens(rpps):
                plan.matches_nothing = True  # punctuation only: no RPPS or ADELI number
        box_type = _check_text(c.box_type, "type").upper()
        if box_type:
            if box_type not in ("PER", "ORG", "APP", "CAB"):
                raise InvalidInputError(
                    f"Type de boîte inconnu « {box_type} » (PER, ORG ou APP).",
                    message_en=f"Unknown mailbox type “{box_type}” (PER, ORG or APP).",
                )
            # The directory's CAB boxes are the organisational boxes of practices: ORG to users.
            kinds = ("ORG", "CAB") if box_type == "ORG" else (box_type,)
            plan.filters.append("e.box_type IN (" + ", ".join("?" for _ in kinds) + ")")
            plan.params += list(kinds)
        return plan

    # --- execution -------------------------------------------------------------------------------

    def _label_parts(self, conn: Connection, t: _Tables) -> list[str] | None:
        """Profession/specialty words as FTS expressions; None when a word matches no label."""
        parts: list[str] = []
        for column, words in self.labels:
            vocabulary = [
                str(r[0])
                for r in conn.execute(
                    "SELECT token FROM directory_vocabulary WHERE set_name = ? AND field = ?",
                    (t.name, column),
                ).fetchall()
            ]
            groups: list[str] = []
            for word in words:
                folded = fold(word)
                whole = [v for v in vocabulary if v.startswith(folded)]
                if not whole:
                    return None
                if len(whole) > _MAX_EXPANSION:
                    groups.append(f'"{word}"*')
                else:
                    groups.append("(" + " OR ".join(f'"{v}"' for v in whole) + ")")
            parts.append(f"{column} : (" + " AND ".join(groups) + ")")
        return parts

    def _rpps_criterion(self, conn: Connection, t: _Tables) -> tuple[list[str], str, list[str]]:
        """The RPPS/ADELI criterion: (FTS expressions, SQL filter, its parameters). A token of
        the ``ids`` column; a set imported before that column filters its rows instead (its
        RPPS and ADELI B-tree indexes serve the filter)."""
        if not self.rpps:
            return [], "", []
        if not _has_ids(conn, t):
            return [], " AND (e.rpps = ? OR (e.adeli = ? AND e.adeli != ''))", [self.rpps] * 2
        # One phrase: a number written with separators is the same tokens in the same order.
        return ['ids : "' + " ".join(_tokens(self.rpps)) + '"'], "", []

    def _tiers(
        self, conn: Connection, t: _Tables, ids: list[str]
    ) -> list[list[tuple[str, str]]] | None:
        """Attempts, each a list of tiers (FTS table, MATCH expression), best first; an attempt
        is tried only when the previous one found nothing. None: nothing can match."""
        labels = self._label_parts(conn, t)
        if labels is None:
            return None
        fixed = labels + self.places + ids
        word_sets: list[list[str]] = [[]]
        if self.words:
            word_sets = [
                [f"{c} : (" + _phrase(w, prefix=False) + ")" for c, w in self.words],
                [f"{c} : (" + _phrase(w, prefix=True) + ")" for c, w in self.words],
            ]
        has_names = bool(self.name_words or self.first_words or self.text_words)
        names_only = has_names and not (fixed or self.words)
        attempts: list[list[tuple[str, str]]] = []
        for extra in word_sets:
            rest = extra + fixed
            if not has_names:
                if rest:
                    attempts.append([(t.fts, " AND ".join(rest))])
                continue
            # Name words: whole first, then beginnings. Alone, they use the small names index.
            table = t.names if names_only else t.fts
            scope = "" if names_only else "{family given} : "
            given_scope = "given : "
            tiers: list[tuple[str, str]] = []
            for prefix in (False, True):
                parts: list[str] = []
                if self.name_words:
                    parts.append(f"{scope}(" + _phrase(self.name_words, prefix=prefix) + ")")
                if self.first_words:
                    parts.append(f"{given_scope}(" + _phrase(self.first_words, prefix=prefix)
                                 + ")")
                if self.text_words:
                    if prefix and not names_only:
                        parts.append(_phrase(self.text_words, prefix=True))  # any column
                    elif prefix:
                        # Free text alone: beginnings of names, then of any other word.
                        parts.append("(" + _phrase(self.text_words, prefix=True) + ")")
                    else:
                        parts.append(f"{scope}(" + _phrase(self.text_words, prefix=False) + ")")
                tiers.append((table, " AND ".join(parts + rest)))
            if names_only and self.text_words:
                # Any other word (profession, structure, city), only when no name matched:
                # see execute().
                tiers.append((t.fts, _phrase(self.text_words, prefix=True)))
            attempts.append(tiers)
        return attempts

    def _names_only(self) -> bool:
        return bool(self.name_words or self.first_words or self.text_words) and not (
            self.labels or self.words or self.places or self.rpps
        )

    def execute(self, conn: Connection, t: _Tables, limit: int) -> list[DirectoryEntry]:
        found = _Found(limit)
        if self.matches_nothing:
            return []
        ids, rpps_filter, rpps_params = self._rpps_criterion(conn, t)
        attempts = self._tiers(conn, t, ids)
        if attempts is None:
            return []
        where = "".join(f" AND {f}" for f in self.filters) + rpps_filter
        params = [*self.params, *rpps_params]  # in the order of ``where``
        if self.address_exact:
            params = list(params)
            if attempts:
                # The other criteria still apply: their most lenient form, as a filter.
                table, match = attempts[-1][-1]
                where += f" AND e.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)"
                params.append(match)
            found.take(
                conn.execute(
                    f"SELECT {_ENTRY_SELECT} FROM {t.entry} e WHERE e.address_key = ?{where}",
                    [self.address_exact, *params],
                ).fetchall()
            )
            found.take(
                conn.execute(
                    f"SELECT {_ENTRY_SELECT} FROM {t.entry} e WHERE e.address_key >= ? "
                    f"AND e.address_key < ?{where} ORDER BY e.address_key LIMIT ?",
                    [self.address_prefix, self.address_prefix + _TOP, *params, found.wanted],
                ).fetchall()
            )
            return found.entries
        if self.address_prefix:
            found.take(
                conn.execute(
                    f"SELECT {_ENTRY_SELECT} FROM {t.entry} e WHERE e.address_key >= ? "
                    f"AND e.address_key < ?{where} ORDER BY e.address_key LIMIT ?",
                    [self.address_prefix, self.address_prefix + _TOP, *params, limit],
                ).fetchall()
            )
        if not attempts:
            # Only SQL filters (type, single letters; RPPS on a set imported before the ``ids``
            # column): indexed, or a scan that stops at ``limit`` rows.
            found.take(
                conn.execute(
                    f"SELECT {_ENTRY_SELECT} FROM {t.entry} e WHERE 1{where} LIMIT ?",
                    [*params, found.wanted],
                ).fetchall()
            )
            return found.entries
        for tiers in attempts:
            for table, match in tiers:
                if found.full or (table == t.fts and found.entries and self._names_only()):
                    break
                self._run_tier(conn, t, table, match, where, params, found)
            if found.entries:
                break
        return found.entries

    def _run_tier(
        self,
        conn: Connection,
        t: _Tables,
        table: str,
        match: str,
        where: str,
        params: list[Any],
        found: _Found,
    ) -> None:
        ranked = bool(self.name_words or self.first_words or self.text_words)
        if ranked:
            # Relevance only means something for words a person typed, and only over a small
            # enough match set; ranking reads the FTS index alone, entries are fetched after.
            ids = [
                int(r[0])
                for r in conn.execute(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?",
                    (match, _RANK_CAP + 1),
                ).fetchall()
            ]
            if not ids:
                return
            if len(ids) <= _RANK_CAP:
                weights = _BM25 if table == t.fts else _BM25_NAMES
                ids = [
                    int(r[0])
                    for r in conn.execute(
                        f"SELECT rowid FROM {table} WHERE {table} MATCH ? "
                        f"ORDER BY bm25({table}, {weights}), rowid",
                        (match,),
                    ).fetchall()
                ]
                for start in range(0, len(ids), _FETCH_BATCH):
                    if found.full:
                        return
                    chunk = ids[start : start + _FETCH_BATCH]
                    marks = ", ".join("?" for _ in chunk)
                    rows = conn.execute(
                        f"SELECT {_ENTRY_SELECT} FROM {t.entry} e WHERE e.id IN ({marks}){where}",
                        [*chunk, *params],
                    ).fetchall()
                    position = {row_id: i for i, row_id in enumerate(chunk)}
                    found.take(sorted(rows, key=lambda r: position[int(r["id"])]))
                return
        # Storage order: FTS5 yields rowids in order and the join stops at the limit.
        found.take(
            conn.execute(
                f"SELECT {_ENTRY_SELECT} FROM {table} JOIN {t.entry} e "
                f"ON e.id = {table}.rowid WHERE {table} MATCH ?{where} LIMIT ?",
                [match, *params, found.wanted],
            ).fetchall()
        )
