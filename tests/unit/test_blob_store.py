"""Raw messages in encrypted pack files beside the database (app/store/blob_store.py):
encryption and authentication, crash safety, compaction, the upgrade from in-database bytes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.composition import Profile, open_profile
from app.errors import StoreCorruptedError
from app.store import blob_store
from app.store.blob_store import blob_directory
from app.store.database import open_connection
from app.store.keys import KeyFileKeyProvider
from app.store.message_store import BodyRecord, MessageStore
from app.store.migrations import load_migrations
from tests.unit.test_message_store import ACCOUNT, _folder, _header
from tests.unit.test_store_database import background_check

ROOT = Path(__file__).resolve().parents[2]
NEEDLE = b"ZORGLUB-CREATININE-1234567"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def _raw(uid: int, size: int = 2000) -> bytes:
    body = (NEEDLE + b" " + str(uid).encode() + b"\r\n") * (size // 40 + 1)
    return b"Subject: compte rendu\r\n\r\n" + body[:size]


def _store(store: MessageStore, folder: int, uids: range, size: int = 2000) -> list[int]:
    store.store_headers(folder, [_header(u) for u in uids])
    return store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u, size), text="texte")
                                       for u in uids])


def _packs(profile: Profile) -> list[Path]:
    return sorted(blob_directory(profile.database.path).glob("*.pack"))


def _files_containing(root: Path, needle: bytes) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_raw_bytes_live_encrypted_in_a_pack_and_read_back(profile: Profile) -> None:
    store = profile.messages
    folder = _folder(store)
    small = _store(store, folder, range(1, 11))
    # Above 64 KiB: stored without zlib (incompressible attachments), still encrypted.
    big = os.urandom(50_000).hex().encode() + NEEDLE
    store.store_headers(folder, [_header(11)])
    store.store_bodies(folder, [BodyRecord(uid=11, raw=big, text="")])
    assert [store.raw(i) for i in small] == [_raw(u) for u in range(1, 11)]
    big_id = store.find_by_header_id("<m11@exemple.fr>")[0]
    assert store.raw(big_id) == big
    rows = profile.database.query("SELECT codec, length, length(nonce) FROM message_raw "
                                  "ORDER BY message_id")
    assert [r[0] for r in rows] == ["zlib"] * 10 + ["none"]
    assert rows[-1][1] == len(big) + 16 and {r[2] for r in rows} == {12}
    packs = _packs(profile)
    assert [p.name for p in packs] == ["000001.pack"]
    assert packs[0].stat().st_size == sum(r[1] for r in rows)
    assert oct(packs[0].stat().st_mode & 0o777) == "0o600"
    assert oct(packs[0].parent.stat().st_mode & 0o777) == "0o700"
    # Nothing readable anywhere in the profile: not the message, not its compressed form.
    assert _files_containing(profile.profile_dir, NEEDLE) == []
    assert _files_containing(profile.profile_dir, zlib.compress(_raw(1), 1)[2:40]) == []


def test_a_new_body_replaces_the_old_one_and_counts_it_dead(profile: Profile) -> None:
    store = profile.messages
    folder = _folder(store)
    [message_id] = _store(store, folder, range(1, 2))
    first = profile.database.query("SELECT length FROM message_raw")[0][0]
    store.store_bodies(folder, [BodyRecord(uid=1, raw=b"Subject: v2\r\n\r\nbis", text="")])
    assert store.raw(message_id) == b"Subject: v2\r\n\r\nbis"
    assert profile.database.query("SELECT dead FROM blob_pack")[0][0] == first


def test_a_new_pack_is_started_once_the_current_one_is_full(profile: Profile) -> None:
    store = profile.messages
    profile.database.blobs.pack_target = 500  # a batch compresses to ~1 kB
    folder = _folder(store)
    ids: list[int] = []
    for start in range(1, 41, 10):
        ids += _store(store, folder, range(start, start + 10), size=3000)
    assert len(_packs(profile)) >= 3
    assert [store.raw(i) for i in ids] == [_raw(u, 3000) for u in range(1, 41)]


@pytest.mark.parametrize("damage", ["flip", "truncate_record"])
def test_a_damaged_record_is_the_corruption_error_never_garbage(
        profile: Profile, damage: str) -> None:
    store = profile.messages
    folder = _folder(store)
    ids = _store(store, folder, range(1, 4))
    pack = _packs(profile)[0]
    data = bytearray(pack.read_bytes())
    start, length = profile.database.query(
        "SELECT start, length FROM message_raw WHERE message_id = ?", (ids[1],))[0]
    if damage == "flip":
        data[start + length // 2] ^= 0x01
        pack.write_bytes(bytes(data))
    else:
        # The last record cut short (its tag gone).
        start, length = profile.database.query(
            "SELECT start, length FROM message_raw WHERE message_id = ?", (ids[2],))[0]
        pack.write_bytes(bytes(data[: start + length - 5]))
        ids[1] = ids[2]
    with pytest.raises(StoreCorruptedError) as caught:
        store.raw(ids[1])
    assert "endommagé" in caught.value.text("fr")
    assert store.raw(ids[0]) == _raw(1)  # the others still read


def test_records_cannot_be_swapped_between_messages(profile: Profile) -> None:
    store = profile.messages
    folder = _folder(store)
    a, b = _store(store, folder, range(1, 3))

    def swap(conn: object) -> None:
        rows = {r[0]: r[1:] for r in conn.execute(  # type: ignore[attr-defined]
            "SELECT message_id, pack_id, start, length, nonce FROM message_raw")}
        conn.execute("DELETE FROM message_raw")  # type: ignore[attr-defined]
        for mid, other in ((a, b), (b, a)):
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO message_raw (message_id, pack_id, start, length, nonce, codec) "
                "VALUES (?, ?, ?, ?, ?, 'zlib')", (mid, *rows[other]))

    profile.database.write(swap)
    for message_id in (a, b):
        with pytest.raises(StoreCorruptedError):
            store.raw(message_id)


def test_a_pack_shorter_than_committed_fails_the_check_on_open_and_is_left_as_is(
        tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.accounts.add(ACCOUNT, password="x")
        _store(profile.messages, _folder(profile.messages), range(1, 6))
        pack = _packs(profile)[0]
    cut = pack.read_bytes()[:-100]
    pack.write_bytes(cut)
    with pytest.raises(StoreCorruptedError):
        open_profile(tmp_path / "p", key_file=tmp_path / "k", integrity_check="skip")
    assert pack.read_bytes() == cut


def test_full_check_on_open_and_background_check_authenticate_every_record(
        tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.accounts.add(ACCOUNT, password="x")
        _store(profile.messages, _folder(profile.messages), range(1, 6))
        pack = _packs(profile)[0]
    data = bytearray(pack.read_bytes())
    data[10] ^= 0x80  # same size: the cheap check cannot see it
    pack.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptedError):
        open_profile(tmp_path / "p", key_file=tmp_path / "k", integrity_check="full")
    assert pack.read_bytes() == bytes(data)
    # Cleanly closed and recently checked: "auto" defers the check, which then reports it.
    provider = KeyFileKeyProvider(tmp_path / "k")
    key = provider.load_key()
    assert key is not None
    conn = open_connection(tmp_path / "p" / "estafette.db", key, integrity_check="skip")
    conn.execute("UPDATE store_health SET clean_close = 1, "
                 "last_full_check = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')")
    conn.close()
    profile = open_profile(tmp_path / "p", key_file=tmp_path / "k", integrity_check="auto")
    try:
        results = background_check(profile)
        assert results[0].ok is False
    finally:
        profile.close()


def test_deleting_most_of_a_pack_compacts_it(profile: Profile) -> None:
    store = profile.messages
    folder = _folder(store)
    ids = _store(store, folder, range(1, 21))
    before = _packs(profile)
    size_before = before[0].stat().st_size
    store.delete(ids[:8])  # 40 % dead: kept as is
    assert _packs(profile) == before
    assert profile.database.query("SELECT dead > 0 FROM blob_pack")[0][0] == 1
    store.remove_uids(folder, [9, 10, 11])  # 55 % dead: compacted into a new pack
    after = _packs(profile)
    assert before[0] not in after and len(after) == 1
    assert after[0].stat().st_size < size_before * 0.5
    assert profile.database.query("SELECT dead FROM blob_pack")[0][0] == 0
    assert [store.raw(i) for i in ids[11:]] == [_raw(u) for u in range(12, 21)]
    # Everything deleted: no pack left at all.
    store.delete(ids[11:])
    assert _packs(profile) == []
    assert profile.database.query("SELECT count(*) FROM blob_pack")[0][0] == 0


def test_a_folder_dropped_by_cascade_counts_dead_and_is_compacted_on_open(
        tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.accounts.add(ACCOUNT, password="x")
        store = profile.messages
        keep = _store(store, _folder(store, "Archive"), range(1, 4))
        _store(store, _folder(store, "INBOX"), range(1, 11))
        # The account's folders as a cascade outside the message store (raw SQL).
        profile.database.write(lambda c: c.execute("DELETE FROM folder WHERE name = 'INBOX'"))
        dead, size = profile.database.query("SELECT dead, size FROM blob_pack")[0]
        assert dead > size / 2
        old = _packs(profile)
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        assert old[0] not in _packs(profile)
        assert [profile.messages.raw(i) for i in keep] == [_raw(u) for u in range(1, 4)]


def test_orphan_packs_and_uncommitted_tails_are_cleaned_on_open(tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.accounts.add(ACCOUNT, password="x")
        ids = _store(profile.messages, _folder(profile.messages), range(1, 4))
        [pack] = _packs(profile)
    committed = pack.stat().st_size
    with pack.open("ab") as f:
        f.write(os.urandom(777))  # a batch written and fsynced, killed before its commit
    orphan = pack.with_name("000042.pack")  # a compaction killed before its unlink
    orphan.write_bytes(os.urandom(100))
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        assert pack.stat().st_size == committed
        assert not orphan.exists()
        assert [profile.messages.raw(i) for i in ids] == [_raw(u) for u in range(1, 4)]


_KILLED_BETWEEN_FSYNC_AND_COMMIT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from app.composition import open_profile
    from app.store import blob_store
    from app.store.message_store import BodyRecord
    from tests.unit.test_blob_store import _raw
    from tests.unit.test_message_store import _folder
    profile = open_profile(Path(sys.argv[1]), key_file=Path(sys.argv[2]))
    store = profile.messages
    folder = _folder(store)
    finish = blob_store.PackWriter.finish
    def finish_then_die(self):
        finish(self)  # the pack is fsynced, the size update is not committed yet
        os.kill(os.getpid(), signal.SIGKILL)
    blob_store.PackWriter.finish = finish_then_die
    store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u), text="") for u in range(6, 11)])
""")


def test_kill_between_the_pack_fsync_and_the_commit_loses_no_committed_message(
        tmp_path: Path) -> None:
    profile_dir, key = tmp_path / "p", tmp_path / "k"
    with open_profile(profile_dir, key_file=key) as profile:
        profile.accounts.add(ACCOUNT, password="x")
        store = profile.messages
        folder = _folder(store)
        committed = _store(store, folder, range(1, 6))
        store.store_headers(folder, [_header(u) for u in range(6, 11)])
        [pack] = _packs(profile)
    size = pack.stat().st_size
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_BETWEEN_FSYNC_AND_COMMIT, str(profile_dir), str(key)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=60)
    assert child.returncode == -9, child.stderr.decode()
    assert pack.stat().st_size > size  # the batch reached the pack...
    with open_profile(profile_dir, key_file=key) as profile:
        store = profile.messages
        folder = _folder(store)
        assert pack.stat().st_size == size  # ...but was never committed: cut on open
        assert [store.raw(i) for i in committed] == [_raw(u) for u in range(1, 6)]
        assert sorted(u for u, _s in store.uids_without_body(folder)) == list(range(6, 11))
        again = store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u), text="")
                                            for u in range(6, 11)])
        assert [store.raw(i) for i in again] == [_raw(u) for u in range(6, 11)]


def test_a_failed_batch_leaves_nothing_referenced_and_no_tail(
        profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    store = profile.messages
    folder = _folder(store)
    ids = _store(store, folder, range(1, 4))
    [pack] = _packs(profile)
    size = pack.stat().st_size
    store.store_headers(folder, [_header(4), _header(5)])

    def broken(self: object, *args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(blob_store.PackWriter, "finish", broken)
    with pytest.raises(OSError):
        store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u), text="") for u in (4, 5)])
    monkeypatch.undo()
    assert pack.stat().st_size == size
    assert profile.database.query("SELECT size FROM blob_pack")[0][0] == size
    assert sorted(u for u, _s in store.uids_without_body(folder)) == [4, 5]
    assert [store.raw(i) for i in ids] == [_raw(u) for u in range(1, 4)]


def test_upgrade_from_0010_moves_the_raw_bytes_out_of_the_database(tmp_path: Path) -> None:
    """A profile created before the packs keeps working: its in-database raw bytes (both
    codecs) are moved into packs at the first open, the legacy table is dropped."""
    profile_dir, key_file = tmp_path / "p", tmp_path / "k"
    with open_profile(profile_dir, key_file=key_file) as profile:
        profile.accounts.add(ACCOUNT, password="x")
    key = KeyFileKeyProvider(key_file).load_key()
    assert key is not None
    db_path = profile_dir / "estafette.db"
    # Back to a 0010 store holding messages with their raw bytes inside (a fresh 0010 file).
    db_path.unlink()
    conn = open_connection(db_path, key, migrations=load_migrations()[:10])
    conn.execute(
        "INSERT INTO account(address, login, kind, imap_host, imap_port, imap_tls, smtp_host, "
        "smtp_port, smtp_tls, auth) VALUES (?, ?, 'ORG', 'h', 993, 'implicit', 'h', 587, "
        "'starttls', 'password')", (ACCOUNT.address, ACCOUNT.login))
    conn.execute("INSERT INTO folder (account_id, name) VALUES (1, 'INBOX')")
    big = os.urandom(400_000).hex().encode()
    expected = {}
    for uid in range(1, 31):
        conn.execute("INSERT INTO message (account_id, folder_id, uid, state, fts_rowid) "
                     "VALUES (1, 1, ?, 'complete', ?)", (uid, uid))
        raw = big + bytes([uid]) if uid % 10 == 0 else _raw(uid)
        codec, data = ("none", raw) if uid % 10 == 0 else ("zlib", zlib.compress(raw))
        conn.execute("INSERT INTO message_raw (message_id, codec, data) VALUES (?, ?, ?)",
                     (uid, codec, data))
        expected[uid] = raw
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not blob_directory(db_path).exists()
    size_before = db_path.stat().st_size
    assert size_before > 3 * 800_000
    with open_profile(profile_dir, key_file=key_file) as profile:
        assert profile.database.schema_version() == load_migrations()[-1].version
        tables = {r[0] for r in profile.database.query(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "message_raw_legacy" not in tables
        assert {i: profile.messages.raw(i) for i in expected} == expected
        assert len(_packs(profile)) == 1
        codecs = dict(profile.database.query("SELECT message_id, codec FROM message_raw"))
        assert codecs[10] == "none" and codecs[1] == "zlib"
        # And the upgraded store keeps storing and deleting.
        profile.messages.delete(list(range(1, 31)))
        assert profile.messages.raw(1) is None
        assert _packs(profile) == []
    # The space is given back (VACUUM once after the move): the raw bytes are not kept twice.
    assert db_path.stat().st_size < size_before - 2_000_000


def test_the_pack_key_is_derived_not_the_store_key() -> None:
    key = bytes(range(32))
    derived = blob_store.derive_blob_key(key)
    assert len(derived) == 32 and derived != key
    assert blob_store.derive_blob_key(bytes(32)) != derived


def test_a_record_write_failing_on_the_io_thread_rolls_the_batch_back(
        profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records are encrypted and written on the blob-io thread: a failure there (disk full)
    must fail the batch's transaction like a failure on the database thread."""
    store = profile.messages
    folder = _folder(store)
    ids = _store(store, folder, range(1, 4))
    [pack] = _packs(profile)
    size = pack.stat().st_size
    store.store_headers(folder, [_header(u) for u in range(4, 9)])
    original = blob_store.PackWriter._seal_and_write
    calls: list[int] = []

    def fails_third(self: blob_store.PackWriter, *args: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(blob_store.PackWriter, "_seal_and_write", fails_third)
    with pytest.raises(OSError, match="disk full"):
        store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u), text="")
                                    for u in range(4, 9)])
    monkeypatch.undo()
    assert len(calls) == 5  # every queued write ended before the rollback cut the tail
    assert pack.stat().st_size == size
    assert profile.database.query("SELECT size FROM blob_pack")[0][0] == size
    assert sorted(u for u, _s in store.uids_without_body(folder)) == list(range(4, 9))
    again = store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u), text="")
                                        for u in range(4, 9)])
    assert [store.raw(i) for i in ids + again] == [_raw(u) for u in range(1, 9)]


def test_a_batch_larger_than_the_write_queue_is_stored_whole(
        profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    # The queue of writes is bounded (a compaction copies a whole pack): add() then waits for
    # the oldest writes. Records must still land where their rows say.
    monkeypatch.setattr(blob_store, "MAX_QUEUED_BYTES", 3000)
    store = profile.messages
    folder = _folder(store)
    ids = _store(store, folder, range(1, 41), size=5000)
    assert [store.raw(i) for i in ids] == [_raw(u, 5000) for u in range(1, 41)]
    assert store.compact_blobs() == 0


def test_precompressed_bytes_are_stored_as_given(profile: Profile) -> None:
    # The sync compresses on its own thread and hands the result over (BodyRecord.encoded).
    store = profile.messages
    folder = _folder(store)
    store.store_headers(folder, [_header(1)])
    [message_id] = store.store_bodies(folder, [BodyRecord(
        uid=1, raw=_raw(1), text="", encoded=blob_store.encode_raw(_raw(1)))])
    assert store.raw(message_id) == _raw(1)
    assert profile.database.query("SELECT codec FROM message_raw")[0][0] == "zlib"


def test_bulk_mode_enlarges_the_cache_and_restores_it_when_the_last_user_leaves(
        profile: Profile) -> None:
    database = profile.database

    def pragmas() -> tuple[int, int]:
        return (database.query("PRAGMA cache_size")[0][0],
                database.query("PRAGMA wal_autocheckpoint")[0][0])

    before = pragmas()
    with profile.messages.bulk_writes():
        with profile.messages.bulk_writes():
            assert pragmas() == (-blob_store_bulk_cache(), database_bulk_wal())
        assert pragmas() == (-blob_store_bulk_cache(), database_bulk_wal())  # still one user
        _store(profile.messages, _folder(profile.messages), range(1, 3))
    assert pragmas() == before
    assert before[0] != -blob_store_bulk_cache()
    with pytest.raises(RuntimeError), profile.messages.bulk_writes():
        raise RuntimeError("sync failed")
    assert pragmas() == before


def blob_store_bulk_cache() -> int:
    from app.store.database import BULK_CACHE_KIB
    return BULK_CACHE_KIB


def database_bulk_wal() -> int:
    from app.store.database import BULK_WAL_PAGES
    return BULK_WAL_PAGES


def test_bodies_are_matched_to_their_rows_across_lookup_chunks(
        profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    # Rows are read by "uid IN (…)" chunks; a uid expunged meanwhile has no row and is skipped.
    from app.store import message_store
    monkeypatch.setattr(message_store, "_IN_CHUNK", 3)
    store = profile.messages
    folder = _folder(store)
    store.store_headers(folder, [_header(u) for u in range(1, 11)])
    store.remove_uids(folder, [4, 9])
    ids = store.store_bodies(folder, [BodyRecord(uid=u, raw=_raw(u), text=f"mot{u}")
                                      for u in (10, 1, 4, 7, 2, 9, 3)])
    assert len(ids) == 5
    assert [store.raw(i) for i in ids] == [_raw(u) for u in (10, 1, 7, 2, 3)]
    assert sorted(u for u, _s in store.uids_without_body(folder)) == [5, 6, 8]
    assert len(store.search("mot7")) == 1 and store.search("mot4") == []
