"""The encrypted SQLCipher database of one profile.

Threading model: the connection is owned by exactly one thread, the ``db`` executor
(``app.executors.database_executor``). ``Database.call(fn)`` runs ``fn(connection)`` on that thread
and waits for it (usable from any thread, inline when already on it); ``await Database.acall(fn)``
is the asyncio form for coroutines. sqlite's ``check_same_thread`` stays on, so a stray use from
another thread fails loudly instead of racing. One writer, one connection: no locking protocol to
get wrong, and SQLCipher's per-connection key derivation/page cache is paid once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlcipher3 import dbapi2 as sqlcipher

from app.errors import StoreCorruptedError, StoreKeyError, UserFacingError
from app.store import sort_keys
from app.store.blob_store import BlobStore, blob_directory, has_blob_tables
from app.store.migrations import Migration, load_migrations
from app.store.transaction import transaction

_log = logging.getLogger(__name__)

T = TypeVar("T")
Connection = Any  # sqlcipher3 ships no type information
Row = Any


def _key_pragma(key: bytes) -> str:
    # A raw key ("x'...'"): SQLCipher skips PBKDF2, so opening costs ~0.2 ms instead of ~150 ms.
    # Only hex digits are interpolated, so there is nothing to escape.
    return f"PRAGMA key = \"x'{key.hex()}'\""


CIPHER_PAGE_SIZE = 8192
# Bulk writes (an initial sync): a page cache large enough that a batch's index pages are written
# once per transaction rather than spilled and rewritten, and a WAL allowed to grow before it is
# checkpointed (each checkpoint rewrites and fsyncs the hot pages again). Measured on a
# 20,000-message sync: about 10 % of the store's time. Restored when the last bulk user is done.
BULK_CACHE_KIB = 64 * 1024
BULK_WAL_PAGES = 16384


def _connect(path: Path, key: bytes) -> Connection:
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=True)
    conn.row_factory = sqlcipher.Row
    # SQLCipher logs HMAC failures to stderr by default; the CLI must print one sentence only.
    with contextlib.suppress(sqlcipher.DatabaseError):
        conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(_key_pragma(key))
    # Raw messages and attachments live inside the database: with SQLCipher's default 4 KiB
    # pages, every large blob costs hundreds of page encryptions and HMACs, written twice (WAL,
    # then checkpoint). Bigger pages cut that work (see docs/benchmarks.md). Part of the file
    # format: it must be the same for every open of a profile.
    conn.execute(f"PRAGMA cipher_page_size = {CIPHER_PAGE_SIZE}")
    # The message list sorts (and migration 0013 indexes) senders and subjects through this.
    sort_keys.register(conn)
    return conn


def open_connection(
    path: Path,
    key: bytes,
    *,
    migrations: Sequence[Migration] | None = None,
    integrity_check: IntegrityPolicy | bool = True,
    deferred: list[bool] | None = None,
) -> Connection:
    """Open (or create) the database at ``path`` with ``key``, check it, migrate it.

    Order matters: nothing is written (not even the WAL switch, which rewrites the header) before
    the key and the integrity have been verified, so a damaged file is left byte-for-byte as is.
    ``integrity_check``: ``"full"`` (or True) reads every page now; ``"auto"`` does so only when
    the last session did not close cleanly or the last full check is older than
    ``FULL_CHECK_MAX_AGE`` — otherwise the check is left to ``Database.check_in_background``;
    ``"skip"`` (or False) does not check. ``deferred`` receives True when the check was left
    for later.
    """
    policy = _policy(integrity_check)
    existed = path.exists() and path.stat().st_size > 0
    if not path.exists():
        # Owner-only from the start; SQLite gives the -wal/-shm files the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = _connect(path, key)
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError as exc:
            raise StoreKeyError() from exc
        checked_now = False
        if existed and (policy == "full" or (policy == "auto" and _full_check_due(conn))):
            _verify_integrity(conn)
            checked_now = True
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        # Temporary tables and sort spills stay in memory: no plaintext temp files on disk.
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn, load_migrations() if migrations is None else migrations)
        _open_blobs(conn, BlobStore(blob_directory(path), key), full_check=checked_now)
        _mark_open(conn, checked_now=checked_now or not existed)
        if deferred is not None:
            deferred.append(existed and policy == "auto" and not checked_now)
    except BaseException:
        conn.close()
        raise
    return conn


def _open_blobs(conn: Connection, blobs: BlobStore, *, full_check: bool) -> None:
    """The packs beside the database (raw messages): checked (sizes against the committed
    extents; every record authenticated too when the database was fully checked), raw bytes
    left inside the database by a store older than migration 0011 moved out, uncommitted tails
    and orphan packs removed, mostly-dead packs compacted."""
    if not has_blob_tables(conn):
        return  # an older schema (tests that stop the migrations early)
    blobs.check_extents(conn)
    if full_check:
        blobs.verify_all(conn)
    blobs.move_legacy(conn)
    blobs.recover(conn)
    try:
        blobs.compact(conn)
    except OSError:  # disk full, say: the profile still opens; compacted another time
        _log.warning("blob packs not compacted", exc_info=True)


IntegrityPolicy = Literal["full", "auto", "skip"]
# A store that is always closed cleanly is still read through entirely at least this often.
FULL_CHECK_MAX_AGE = timedelta(days=7)


def _policy(value: IntegrityPolicy | bool) -> IntegrityPolicy:
    if value is True:
        return "full"
    if value is False:
        return "skip"
    return value


def _has_health_table(conn: Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_health'").fetchone()
    return row is not None


def _full_check_due(conn: Connection) -> bool:
    """Read-only look at the health record: unclean close, stale or unknown → check now."""
    try:
        if not _has_health_table(conn):
            return True
        row = conn.execute(
            "SELECT clean_close, last_full_check FROM store_health WHERE id = 1").fetchone()
    except sqlcipher.DatabaseError:
        return True  # unreadable: the full check will say what is wrong
    if row is None or not row[0] or not row[1]:
        return True
    try:
        last = datetime.fromisoformat(str(row[1]))
    except ValueError:
        return True
    return datetime.now(UTC) - last > FULL_CHECK_MAX_AGE


def _mark_open(conn: Connection, *, checked_now: bool) -> None:
    """The store is in use: an abrupt end from here on forces a full check at the next open."""
    if not _has_health_table(conn):
        return
    if checked_now:
        conn.execute("UPDATE store_health SET clean_close = 0, last_full_check = ? WHERE id = 1",
                     (datetime.now(UTC).isoformat(),))
    else:
        conn.execute("UPDATE store_health SET clean_close = 0 WHERE id = 1")


def _verify_integrity(conn: Connection) -> None:
    try:
        problems = [tuple(r) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        if not problems:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            problems = [tuple(r) for r in rows if tuple(r) != ("ok",)]
    except sqlcipher.DatabaseError as exc:
        raise StoreCorruptedError() from exc
    if problems:
        _log.error("store integrity check failed: %s", problems[:5])
        raise StoreCorruptedError()


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, migrations: Sequence[Migration]) -> int:
    """Apply the migrations above the current version, each in its own transaction."""
    current = schema_version(conn)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise UserFacingError(
            "Ce profil a été créé par une version plus récente d'Estafette ; mettez-la à jour.",
            message_en="This profile was created by a newer version of Estafette; update it.",
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Statement by statement: executescript() would commit behind our back.
            for statement in _split_sql(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _log.info("store migrated to version %d (%s)", migration.version, migration.name)
        current = migration.version
    return current


def _enter_bulk(conn: Connection) -> tuple[int, int]:
    """Bulk settings on; returns the settings they replace."""
    previous = (int(conn.execute("PRAGMA cache_size").fetchone()[0]),
                int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]))
    conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}").fetchall()
    conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_WAL_PAGES}").fetchall()
    return previous


def _leave_bulk(conn: Connection, previous: tuple[int, int]) -> None:
    cache_size, autocheckpoint = previous
    conn.execute(f"PRAGMA cache_size = {int(cache_size)}").fetchall()
    conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}").fetchall()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    conn.execute("PRAGMA shrink_memory").fetchall()


def _split_sql(script: str) -> list[str]:
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlcipher.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


class Database:
    """The profile's encrypted database, confined to its single ``db`` executor thread."""

    def __init__(self, *, path: Path, executor: ThreadPoolExecutor, connection: Connection,
                 blobs: BlobStore) -> None:
        self.path = path
        # The encrypted pack files of raw messages (used on the db thread only).
        self.blobs = blobs
        self._executor = executor
        self._conn: Connection | None = connection
        self._thread_id = executor.submit(threading.get_ident).result()
        # True when open() left the full integrity check for check_in_background().
        self.integrity_check_deferred = False
        self._bulk_users = 0
        self._bulk_previous = (0, 0)
        self._bulk_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        path: Path,
        key: bytes,
        *,
        executor: ThreadPoolExecutor,
        migrations: Sequence[Migration] | None = None,
        integrity_check: IntegrityPolicy | bool = True,
    ) -> Database:
        """Open on the executor's thread (the connection must be created where it is used)."""
        deferred: list[bool] = []
        future = executor.submit(
            open_connection, path, key, migrations=migrations, integrity_check=integrity_check,
            deferred=deferred,
        )
        database = cls(path=path, executor=executor, connection=future.result(),
                       blobs=BlobStore(blob_directory(path), key))
        database.integrity_check_deferred = bool(deferred and deferred[0])
        return database

    def _on_db_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    def _run(self, fn: Callable[[Connection], T]) -> T:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return fn(self._conn)

    def call(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(connection)`` on the database thread and return its result (blocking)."""
        if self._on_db_thread():
            return self._run(fn)
        return self._executor.submit(self._run, fn).result()

    async def acall(self, fn: Callable[[Connection], T]) -> T:
        """The coroutine form of ``call``: the event loop keeps running meanwhile."""
        return await asyncio.wrap_future(self._executor.submit(self._run, fn))

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` inside one IMMEDIATE transaction on the database thread."""

        def in_transaction(conn: Connection) -> T:
            with transaction(conn):
                return fn(conn)

        return self.call(in_transaction)

    @contextlib.contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Many large write transactions ahead (an initial sync): a bigger page cache and WAL for
        as long as any caller is inside; the previous settings and the memory come back after."""
        with self._bulk_lock:
            if self._bulk_users == 0:
                self._bulk_previous = self.call(_enter_bulk)
            self._bulk_users += 1
        try:
            yield
        finally:
            with self._bulk_lock:
                self._bulk_users -= 1
                if self._bulk_users == 0 and self._conn is not None:
                    with contextlib.suppress(RuntimeError, sqlcipher.Error):
                        previous = self._bulk_previous
                        self.call(lambda conn: _leave_bulk(conn, previous))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.call(lambda conn: conn.execute(sql, params).fetchall())

    def schema_version(self) -> int:
        return self.call(schema_version)

    def check_in_background(self, key: bytes,
                            on_done: Callable[[StoreCorruptedError | None], None]) -> bool:
        """Run the full integrity check deferred at open, without holding the ``db`` thread.

        A second, short-lived connection reads every page on its own thread (WAL lets it read
        while the main connection works), so the first screen is not kept waiting behind a
        check of a multi-gigabyte store. ``on_done`` gets None, or the error, on that thread.
        Returns False when no check was pending.
        """
        if not self.integrity_check_deferred:
            return False
        self.integrity_check_deferred = False

        def run() -> None:
            problem: StoreCorruptedError | None = None
            conn = _connect(self.path, key)
            try:
                _verify_integrity(conn)
                if has_blob_tables(conn):
                    self.blobs.verify_all(conn)
            except StoreCorruptedError as exc:
                problem = exc
            finally:
                conn.close()
            if problem is None:
                with contextlib.suppress(RuntimeError, sqlcipher.Error):
                    self.call(lambda c: c.execute(
                        "UPDATE store_health SET last_full_check = ? WHERE id = 1",
                        (datetime.now(UTC).isoformat(),)))
            on_done(problem)

        threading.Thread(target=run, name="db-integrity-check", daemon=True).start()
        return True

    def close(self) -> None:
        if self._conn is None:
            return

        def _close(conn: Connection) -> None:
            with contextlib.suppress(sqlcipher.Error):
                if _has_health_table(conn):
                    conn.execute("UPDATE store_health SET clean_close = 1 WHERE id = 1")
                # Fold the WAL back so the -wal file does not linger between sessions.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()

        with contextlib.suppress(RuntimeError):  # executor already shut down
            self.call(_close)
        self._conn = None
        self.blobs.close()


IntegrityError = sqlcipher.IntegrityError
DatabaseError = sqlcipher.DatabaseError
ProgrammingError = sqlcipher.ProgrammingError
