"""Raw message bytes as AES-256-GCM records in append-only pack files beside the database.

Why not inside SQLCipher: every byte of a raw message stored in the database is encrypted and
HMAC'd page by page, written to the WAL and written again at checkpoint — about 70 % of the
store's time during an initial sync. A pack record is encrypted once and written once.

Layout: ``<database file>-blobs/NNNNNN.pack`` (owner-only), records appended back to back with no
header: the database row (``message_raw``) holds the pack id, start, length, nonce and codec.
Nothing in a pack names a message; its size tells only the total length of what it holds.

Cryptography: the key is derived from the store key with HKDF-SHA256 and its own ``info`` label
(never written anywhere); each record has a random 96-bit nonce; its associated data binds it to
``(message id, pack id, start)``, so a record cannot be swapped with another or moved.

Crash safety (the rule: a committed row never points at bytes that are not on disk):
- records are appended *inside* the write transaction that references them, and the pack is
  fsynced before that transaction commits;
- ``blob_pack.size`` is the committed end of each pack, updated in the same transaction. Bytes past
  it are the tail of a batch that never committed (kill -9, power loss): the next writer cuts
  them, under the database's write lock, so that a second process can never lose a batch in
  flight;
- a pack is only ever appended to, or unlinked once no committed row refers to it (compaction
  moves the live records to another pack, switches the rows in one transaction, then unlinks).

Every method takes the caller's connection and runs on the database thread; only the encryption
and writing of new records run on the store's own ``blob-io`` thread, waited for before the
transaction that refers to them commits.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import StoreCorruptedError
from app.store.durable_files import fsync_directory
from app.store.transaction import transaction

_log = logging.getLogger(__name__)

Connection = Any  # sqlcipher3 ships no type information

NONCE_BYTES = 12
TAG_BYTES = 16
# A new pack is started once the current one reaches this size; a pack whose dead bytes exceed
# COMPACT_DEAD_RATIO of it is rewritten. Bounded so that a compaction rewrites at most a few
# tens of megabytes.
PACK_TARGET_BYTES = 64 * 1024 * 1024
# Records handed to the blob-io thread and not yet written, at most (then add() waits).
MAX_QUEUED_BYTES = 64 * 1024 * 1024
COMPACT_DEAD_RATIO = 0.5
_HKDF_INFO = b"estafette/blob-store/aes-256-gcm/v1"
_AAD_PREFIX = b"estafette-raw-v1\x00"
# Below this size the raw message is mostly text and compresses well for little CPU.
COMPRESS_BELOW = 64 * 1024
# The legacy in-database rows are moved into packs in transactions of about this many bytes.
_LEGACY_BATCH_BYTES = 16 * 1024 * 1024


def blob_directory(database_path: Path) -> Path:
    """Where the packs of the database at ``database_path`` live."""
    return database_path.with_name(database_path.name + "-blobs")


def derive_blob_key(store_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(store_key)


def _aad(message_id: int, pack_id: int, start: int) -> bytes:
    return _AAD_PREFIX + struct.pack(">QQQ", message_id, pack_id, start)


def encode_raw(raw: bytes) -> tuple[str, bytes]:
    if len(raw) < COMPRESS_BELOW:
        return "zlib", zlib.compress(raw, 1)
    return "none", raw


def _corrupted(detail: str, *args: object) -> StoreCorruptedError:
    # Ids and sizes only in the log: never content.
    _log.error("blob store: " + detail, *args)
    return StoreCorruptedError(
        "Le contenu chiffré d'un message est endommagé ou manquant (contrôle d'intégrité en "
        "échec) ; aucun fichier n'a été modifié.",
        message_en="The encrypted content of a message is damaged or missing (integrity check "
        "failed); no file was modified.",
    )


def has_blob_tables(conn: Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blob_pack'").fetchone()
    return row is not None


def _has_legacy_table(conn: Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                       "AND name = 'message_raw_legacy'").fetchone()
    return row is not None


class PackWriter:
    """Appends records to one pack inside the caller's write transaction.

    ``add()`` decides where a record goes (its place and length follow from the plaintext
    length) and hands the encryption and the write to the store's ``blob-io`` thread: the
    database thread goes on with its SQL meanwhile (both release the GIL). ``finish()`` waits
    for those writes, fsyncs the pack and records its new committed size (call it before
    COMMIT); ``abort()`` waits for them too, then cuts what was appended. ``exclude``: a pack
    not to append to (being compacted).
    """

    def __init__(self, store: BlobStore, conn: Connection, *, exclude: int | None = None) -> None:
        self._store = store
        self._conn = conn
        self._exclude = exclude
        self._file: Any = None
        self._created = False
        self.pack_id = 0
        self._start_size = 0
        self._end = 0
        # Writes handed to the blob-io thread, oldest first, with the bytes each holds.
        self._writes: collections.deque[tuple[Future[None], int]] = collections.deque()
        self._queued_bytes = 0

    def _open(self) -> None:
        conn = self._conn
        row = conn.execute("SELECT id, size FROM blob_pack ORDER BY id DESC LIMIT 1").fetchone()
        if (row is None or int(row[1]) >= self._store.pack_target
                or int(row[0]) == self._exclude):
            cur = conn.execute("INSERT INTO blob_pack (size, dead) VALUES (0, 0)")
            pack_id, size = int(cur.lastrowid), 0
        else:
            pack_id, size = int(row[0]), int(row[1])
        directory = self._store.directory
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_directory(directory.parent)
        path = self._store.pack_path(pack_id)
        existed = path.exists()
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        handle = os.fdopen(fd, "r+b", buffering=0)
        try:
            on_disk = os.fstat(handle.fileno()).st_size
            if on_disk < size:
                raise _corrupted("pack %d is %d bytes, %d committed", pack_id, on_disk, size)
            if on_disk > size:
                # The tail of a batch that never committed: we hold the write lock, so no other
                # process is writing it.
                handle.truncate(size)
            handle.seek(size)
        except BaseException:
            handle.close()
            raise
        self._file, self.pack_id = handle, pack_id
        self._start_size = self._end = size
        self._created = not existed

    def add(self, message_id: int, data: bytes) -> tuple[int, int, int, bytes]:
        """Encrypt and append ``data`` (already encoded): (pack_id, start, length, nonce)."""
        if self._file is None:
            self._open()
        start = self._end
        nonce = os.urandom(NONCE_BYTES)
        length = len(data) + TAG_BYTES
        self._end = start + length
        write = self._store.io().submit(self._seal_and_write, nonce, data,
                                        _aad(message_id, self.pack_id, start), length)
        self._writes.append((write, length))
        self._queued_bytes += length
        while self._queued_bytes > MAX_QUEUED_BYTES:  # bounded memory (a compaction's copies)
            self._wait_oldest()
        return self.pack_id, start, length, nonce

    def _seal_and_write(self, nonce: bytes, data: bytes, aad: bytes, length: int) -> None:
        # On the blob-io thread, in submission order: the file position is the record's start.
        sealed = self._store.aead.encrypt(nonce, data, aad)
        if len(sealed) != length:
            raise _corrupted("sealed record has %d bytes, %d expected", len(sealed), length)
        view = memoryview(sealed)
        while view:
            written = self._file.write(view)
            view = view[written:]

    def _wait_oldest(self) -> None:
        write, length = self._writes.popleft()
        self._queued_bytes -= length
        write.result()

    def _wait_all(self) -> None:
        """Every queued write done; the first failure (disk full…) is raised after all ended."""
        failure: BaseException | None = None
        while self._writes:
            try:
                self._wait_oldest()
            except BaseException as exc:  # re-raised below, once all are done
                failure = failure or exc
        if failure is not None:
            raise failure

    def finish(self) -> None:
        if self._file is None:
            return
        self._wait_all()
        os.fsync(self._file.fileno())
        if self._created:
            fsync_directory(self._store.directory)
        self._conn.execute("UPDATE blob_pack SET size = ? WHERE id = ?",
                           (self._end, self.pack_id))
        self._file.close()
        self._file = None

    def abort(self) -> None:
        """Best effort: the transaction rolls back, so these bytes are a tail to cut anyway."""
        if self._file is None:
            return
        with contextlib.suppress(BaseException):
            self._wait_all()
        with contextlib.suppress(OSError):
            self._file.truncate(self._start_size)
        self._file.close()
        self._file = None
        if self._created:
            with contextlib.suppress(OSError):
                self._store.pack_path(self.pack_id).unlink()


class BlobStore:
    """The packs of one database. Holds the derived key in memory only."""

    def __init__(self, directory: Path, store_key: bytes) -> None:
        self.directory = directory
        self.aead = AESGCM(derive_blob_key(store_key))
        self.pack_target = PACK_TARGET_BYTES
        self._io: ThreadPoolExecutor | None = None
        self._io_lock = threading.Lock()

    def io(self) -> ThreadPoolExecutor:
        """The thread that encrypts and writes records (one: writes land in order)."""
        with self._io_lock:
            if self._io is None:
                self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-io")
            return self._io

    def close(self) -> None:
        with self._io_lock:
            if self._io is not None:
                self._io.shutdown(wait=True)
                self._io = None

    def pack_path(self, pack_id: int) -> Path:
        return self.directory / f"{pack_id:06d}.pack"

    @contextlib.contextmanager
    def writer(self, conn: Connection, *, exclude: int | None = None) -> Iterator[PackWriter]:
        """A PackWriter for the current write transaction: fsynced on success, cut on error."""
        writer = PackWriter(self, conn, exclude=exclude)
        try:
            yield writer
            writer.finish()
        except BaseException:
            writer.abort()
            raise

    def put(self, conn: Connection, writer: PackWriter, message_id: int, raw: bytes, *,
            encoded: tuple[str, bytes] | None = None) -> None:
        """Store ``raw`` as the raw bytes of ``message_id`` (replacing any previous ones).

        ``encoded``: ``encode_raw(raw)``, when the caller already computed it."""
        # Looked up first: a DELETE (with its trigger) costs far more than a lookup inside a big
        # transaction, and a new message has nothing to replace.
        if conn.execute("SELECT 1 FROM message_raw WHERE message_id = ?",
                        (message_id,)).fetchone() is not None:
            conn.execute("DELETE FROM message_raw WHERE message_id = ?", (message_id,))
        self.put_new(conn, writer, [(message_id, raw, encoded)])

    def put_new(self, conn: Connection, writer: PackWriter,
                items: Sequence[tuple[int, bytes, tuple[str, bytes] | None]]) -> None:
        """``put`` for messages that have no raw bytes yet, ``(message_id, raw, encoded)`` each:
        one statement for the whole batch (an initial sync's thousands of rows)."""
        rows: list[tuple[int, int, int, int, bytes, str]] = []
        for message_id, raw, encoded in items:
            codec, data = encoded if encoded is not None else encode_raw(raw)
            pack_id, start, length, nonce = writer.add(message_id, data)
            rows.append((message_id, pack_id, start, length, nonce, codec))
        conn.executemany(
            "INSERT INTO message_raw (message_id, pack_id, start, length, nonce, codec) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

    # --- reading ---------------------------------------------------------------------------------

    def _read_sealed(self, message_id: int, pack_id: int, start: int, length: int,
                     handle: Any = None) -> bytes | None:
        """The record's bytes, or None when its pack file does not exist."""
        try:
            if handle is None:
                with open(self.pack_path(pack_id), "rb") as f:
                    f.seek(start)
                    sealed = f.read(length)
            else:
                handle.seek(start)
                sealed = handle.read(length)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _corrupted("pack %d unreadable for message %d (%s)", pack_id, message_id,
                             type(exc).__name__) from exc
        if len(sealed) != length:
            raise _corrupted("record of message %d cut short in pack %d", message_id, pack_id)
        return bytes(sealed)

    def _unseal(self, message_id: int, pack_id: int, start: int, nonce: bytes,
                sealed: bytes) -> bytes:
        """The record's encoded bytes, authenticated (GCM tag and associated data)."""
        try:
            return bytes(self.aead.decrypt(bytes(nonce), sealed,
                                           _aad(message_id, pack_id, start)))
        except InvalidTag as exc:
            raise _corrupted("record of message %d in pack %d fails authentication",
                             message_id, pack_id) from exc

    def _open_record(self, message_id: int, pack_id: int, start: int, nonce: bytes,
                     codec: str, sealed: bytes) -> bytes:
        data = self._unseal(message_id, pack_id, start, nonce, sealed)
        if codec == "zlib":
            try:
                return zlib.decompress(data)
            except zlib.error as exc:
                raise _corrupted("record of message %d does not decompress", message_id) from exc
        return data

    def read(self, conn: Connection, message_id: int) -> bytes | None:
        """The raw bytes of ``message_id`` (authenticated), None when none are stored."""
        for _attempt in range(3):
            row = conn.execute(
                "SELECT pack_id, start, length, nonce, codec FROM message_raw "
                "WHERE message_id = ?", (message_id,)).fetchone()
            if row is None:
                return None
            pack_id, start, length = int(row[0]), int(row[1]), int(row[2])
            sealed = self._read_sealed(message_id, pack_id, start, length)
            if sealed is not None:
                return self._open_record(message_id, pack_id, start, row[3], str(row[4]), sealed)
            # The pack is gone: another process may have compacted it since the row was read.
        raise _corrupted("pack of message %d is missing", message_id)

    # --- checks ----------------------------------------------------------------------------------

    def check_extents(self, conn: Connection) -> None:
        """Cheap check on open: every pack is on disk, at least as long as its committed size,
        which covers every record referenced in it.

        A second pass before concluding: another process may have compacted a pack (committed,
        then unlinked it) between our reading its row and looking at the file."""
        problem = self._extent_problem(conn)
        if problem is not None:
            problem = self._extent_problem(conn)
        if problem is not None:
            raise _corrupted(*problem)

    def _extent_problem(self, conn: Connection) -> tuple[Any, ...] | None:
        packs = conn.execute("SELECT id, size FROM blob_pack ORDER BY id").fetchall()
        for row in packs:
            pack_id, size = int(row[0]), int(row[1])
            last = conn.execute(
                "SELECT start + length FROM message_raw WHERE pack_id = ? "
                "ORDER BY start DESC LIMIT 1", (pack_id,)).fetchone()
            if last is not None and int(last[0]) > size:
                return ("pack %d: records end at %d, past its size %d", pack_id,
                        int(last[0]), size)
            try:
                on_disk = self.pack_path(pack_id).stat().st_size
            except FileNotFoundError:
                on_disk = -1
            if on_disk < size and not (on_disk == -1 and size == 0):
                return ("pack %d is %d bytes, %d committed", pack_id, on_disk, size)
        return None

    def verify_all(self, conn: Connection) -> int:
        """Full check (slow: reads every record): each one authenticates. Returns the count.

        Safe beside a compaction on another connection: a pack is opened before its rows are
        read, and a pack file is never rewritten in place (only unlinked after its rows moved).
        """
        checked = 0
        pack_ids = [int(r[0]) for r in conn.execute("SELECT id FROM blob_pack ORDER BY id")]
        for pack_id in pack_ids:
            try:
                handle = open(self.pack_path(pack_id), "rb")  # noqa: SIM115 (closed below)
            except FileNotFoundError:
                handle = None
            try:
                rows = conn.execute(
                    "SELECT message_id, start, length, nonce, codec FROM message_raw "
                    "WHERE pack_id = ? ORDER BY start", (pack_id,)).fetchall()
                if rows and handle is None:
                    raise _corrupted("pack %d is missing", pack_id)
                for r in rows:
                    message_id, start, length = int(r[0]), int(r[1]), int(r[2])
                    sealed = self._read_sealed(message_id, pack_id, start, length, handle)
                    assert sealed is not None
                    self._open_record(message_id, pack_id, start, r[3], str(r[4]), sealed)
                    checked += 1
            finally:
                if handle is not None:
                    handle.close()
        return checked

    # --- maintenance (outside any transaction) ---------------------------------------------------

    def recover(self, conn: Connection) -> None:
        """Cut uncommitted tails and remove pack files no row knows (a compaction killed before
        its unlink, a batch killed before commit). Under the write lock, or not at all."""
        if not self.directory.is_dir():
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception:  # another process is writing: leave it for the next open
            return
        try:
            sizes = {int(r[0]): int(r[1])
                     for r in conn.execute("SELECT id, size FROM blob_pack").fetchall()}
            for path in self.directory.glob("*.pack"):
                try:
                    pack_id = int(path.stem)
                except ValueError:
                    continue
                size = sizes.get(pack_id)
                with contextlib.suppress(OSError):
                    if size is None:
                        path.unlink()
                    elif path.stat().st_size > size:
                        os.truncate(path, size)
        finally:
            conn.execute("COMMIT")

    def compact(self, conn: Connection) -> int:
        """Rewrite every mostly-dead pack; returns how many packs were removed."""
        if conn.in_transaction:
            return 0
        candidates = [int(r[0]) for r in conn.execute(
            "SELECT id FROM blob_pack WHERE dead > 0 AND dead >= size * ? ORDER BY id",
            (COMPACT_DEAD_RATIO,)).fetchall()]
        removed = 0
        for pack_id in candidates:
            if self._compact_one(conn, pack_id):
                removed += 1
        return removed

    def _compact_one(self, conn: Connection, pack_id: int) -> bool:
        path = self.pack_path(pack_id)
        with transaction(conn):
            row = conn.execute("SELECT size, dead FROM blob_pack WHERE id = ?",
                               (pack_id,)).fetchone()
            if row is None or int(row[1]) < int(row[0]) * COMPACT_DEAD_RATIO:
                return False  # done meanwhile by another process
            live = conn.execute(
                "SELECT message_id, start, length, nonce, codec FROM message_raw "
                "WHERE pack_id = ? ORDER BY start", (pack_id,)).fetchall()
            if live:
                with open(path, "rb") as source, self.writer(conn, exclude=pack_id) as writer:
                    for r in live:
                        message_id, start, length = int(r[0]), int(r[1]), int(r[2])
                        sealed = self._read_sealed(message_id, pack_id, start, length, source)
                        assert sealed is not None
                        data = self._unseal(message_id, pack_id, start, r[3], sealed)
                        new_pack, new_start, new_length, nonce = writer.add(message_id, data)
                        conn.execute(
                            "UPDATE message_raw SET pack_id = ?, start = ?, length = ?, "
                            "nonce = ? WHERE message_id = ?",
                            (new_pack, new_start, new_length, nonce, message_id))
            conn.execute("DELETE FROM blob_pack WHERE id = ?", (pack_id,))
        # Committed: nothing refers to the old pack any more. A kill here leaves an orphan file
        # that recover() removes at the next open.
        with contextlib.suppress(OSError):
            path.unlink()
            fsync_directory(self.directory)
        _log.info("blob pack %d compacted (%d live records moved)", pack_id, len(live))
        return True

    def move_legacy(self, conn: Connection) -> int:
        """Move the raw bytes still inside the database (stores before migration 0011) into
        packs, a batch per transaction (a kill in between resumes at the next open); then drop
        the legacy table. Returns how many messages were moved."""
        if not _has_legacy_table(conn):
            return 0
        moved = 0
        while True:
            with transaction(conn), self.writer(conn) as writer:
                ids = conn.execute("SELECT message_id FROM message_raw_legacy "
                                   "ORDER BY message_id LIMIT 500").fetchall()
                batch_bytes = 0
                for id_row in ids:
                    message_id = int(id_row[0])
                    row = conn.execute("SELECT codec, data FROM message_raw_legacy "
                                       "WHERE message_id = ?", (message_id,)).fetchone()
                    data = bytes(row[1])
                    # Already encoded (zlib or as is): kept in the same codec.
                    pack_id, start, length, nonce = writer.add(message_id, data)
                    conn.execute("DELETE FROM message_raw WHERE message_id = ?", (message_id,))
                    conn.execute(
                        "INSERT INTO message_raw "
                        "(message_id, pack_id, start, length, nonce, codec) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (message_id, pack_id, start, length, nonce, str(row[0])))
                    conn.execute("DELETE FROM message_raw_legacy WHERE message_id = ?",
                                 (message_id,))
                    moved += 1
                    batch_bytes += len(data)
                    if batch_bytes >= _LEGACY_BATCH_BYTES:
                        break
                if not ids:
                    conn.execute("DROP TABLE message_raw_legacy")
                    break
        if moved:
            # Give the space back: the database file would otherwise keep its old size, free
            # pages, beside packs holding the same bytes. Costs a rewrite of what remains
            # (metadata and index, no raw bytes any more), once.
            conn.execute("VACUUM")
            _log.info("moved the raw bytes of %d messages from the database into packs", moved)
        return moved
