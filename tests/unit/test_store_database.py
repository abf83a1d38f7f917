"""The encrypted store: keys, integrity, migrations, no plaintext on disk."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, fail

from app.composition import DATABASE_NAME, PROFILE_INFO_NAME, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind
from app.errors import (
    InvalidInputError,
    KeyringUnavailableError,
    StoreCorruptedError,
    StoreKeyError,
    UserFacingError,
)
from app.executors import database_executor
from app.store import database as dbmod
from app.store.database import Database, open_connection
from app.store.keys import (
    KeyFileKeyProvider,
    PassphraseWrappedKeyProvider,
    new_key,
    vetted_keyring,
)
from app.store.migrations import Migration, load_migrations

SECRET = "ZORGLUB-SECRET-42"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real-looking, non-plaintext backend kept in memory (stands for the OS keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


class PlaintextLikeKeyring(MemoryKeyring):
    """Poses as keyrings.alt's plaintext file backend (the package itself is not installed)."""

    priority = 0.5  # type: ignore[assignment]


PlaintextLikeKeyring.__module__ = "keyrings.alt.file"


def _account(**changes: Any) -> Account:
    values: dict[str, Any] = {
        "address": "dr.zorglub@hopital.mssante.fr",
        "kind": MailboxKind.PER,
        "login": "zorglub",
        "imap": Endpoint.parse("imap.hopital.fr:993", "implicit"),
        "smtp": Endpoint.parse("smtp.hopital.fr:587", "starttls"),
        "auth": AuthMethod.PASSWORD,
        "display_name": f"Dr {SECRET}",
    }
    values.update(changes)
    return Account(**values)


@pytest.fixture
def executor() -> Any:
    pool = database_executor()
    yield pool
    pool.shutdown(wait=True)


def _open(path: Path, key: bytes, executor: ThreadPoolExecutor, **kw: Any) -> Database:
    return Database.open(path, key, executor=executor, **kw)


# --- keys --------------------------------------------------------------------------------------


def test_key_file_is_created_owner_only_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "store.key"
    with open_profile(tmp_path / "p", key_file=key_file):
        pass
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    content = key_file.read_bytes()
    with open_profile(tmp_path / "p", key_file=key_file):
        pass
    assert key_file.read_bytes() == content, "an existing key file must never be rewritten"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "store.key"
    key_file.write_text(new_key().hex())
    key_file.chmod(mode)
    with pytest.raises(InvalidInputError, match="accessible à d'autres"):
        open_profile(tmp_path / "p", key_file=key_file)
    assert not (tmp_path / "p" / DATABASE_NAME).exists()


def test_wrong_key_is_refused_and_file_untouched(tmp_path: Path) -> None:
    key_file = tmp_path / "a.key"
    with open_profile(tmp_path / "p", key_file=key_file) as profile:
        profile.accounts.add(_account(), password="pw")
    db_file = tmp_path / "p" / DATABASE_NAME
    before = db_file.read_bytes()
    other = tmp_path / "b.key"
    KeyFileKeyProvider(other).create_key()
    with pytest.raises(StoreKeyError):
        open_profile(tmp_path / "p", key_file=other)
    assert db_file.read_bytes() == before


def test_malformed_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "k"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not-a-key\n")
    os.close(fd)
    with pytest.raises(StoreKeyError, match="format"):
        open_profile(tmp_path / "p", key_file=key_file)


def test_passphrase_wraps_the_key(tmp_path: Path) -> None:
    key_file = tmp_path / "k"
    with open_profile(tmp_path / "p", key_file=key_file, passphrase="correct horse") as profile:
        profile.accounts.add(_account(auth=AuthMethod.PSC))
    stored = key_file.read_text()
    assert stored.startswith("estafette-wrapped-v1$")
    with pytest.raises(StoreKeyError, match="phrase de passe est incorrecte"):
        open_profile(tmp_path / "p", key_file=key_file, passphrase="wrong horse")
    with pytest.raises(StoreKeyError, match="phrase de passe"):
        open_profile(tmp_path / "p", key_file=key_file)
    with open_profile(tmp_path / "p", key_file=key_file, passphrase="correct horse") as profile:
        assert [a.login for a in profile.accounts.list()] == ["zorglub"]


def test_wrapped_key_round_trip() -> None:
    class Slot(KeyFileKeyProvider):
        def __init__(self) -> None:
            self.text: str | None = None

        def read_text(self) -> str | None:
            return self.text

        def write_text(self, text: str) -> None:
            self.text = text

    slot = Slot()
    key = PassphraseWrappedKeyProvider(slot, "pp").create_key()
    assert slot.text is not None and key.hex() not in slot.text
    assert PassphraseWrappedKeyProvider(slot, "pp").load_key() == key


# --- keyring -----------------------------------------------------------------------------------


def test_fail_keyring_is_refused_with_remedy(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailableError) as caught:
            open_profile(tmp_path / "p")
    finally:
        keyring.set_keyring(previous)
    assert "--key-file" in caught.value.text("fr")
    assert "--key-file" in caught.value.text("en")
    assert not (tmp_path / "p" / PROFILE_INFO_NAME).exists()
    assert not (tmp_path / "p" / DATABASE_NAME).exists()


def test_plaintext_keyring_is_refused() -> None:
    with pytest.raises(KeyringUnavailableError):
        vetted_keyring(PlaintextLikeKeyring())


def test_chainer_is_reduced_to_its_best_real_backend() -> None:
    real = MemoryKeyring()

    def chain_of(*backends: Any) -> Any:
        # ChainerBackend.backends is a class property computed from the installed backends.
        return type("Chain", (chainer.ChainerBackend,), {"backends": list(backends)})()

    assert vetted_keyring(chain_of(PlaintextLikeKeyring(), real, fail.Keyring())) is real
    with pytest.raises(KeyringUnavailableError):
        vetted_keyring(chain_of(PlaintextLikeKeyring(), fail.Keyring()))


def test_keyring_profile_keeps_key_and_password_in_the_keyring(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    with open_profile(tmp_path / "p", keyring_backend=backend) as profile:
        profile.accounts.add(_account(), password=SECRET)
        profile_id = profile.info.profile_id
    assert len(bytes.fromhex(backend.values[("estafette", profile_id)])) == 32
    assert SECRET in backend.values.values()
    with open_profile(tmp_path / "p", keyring_backend=backend) as profile:
        (account,) = profile.accounts.list()
        assert profile.accounts.password(account) == SECRET
        secret_rows = profile.database.query("SELECT count(*) FROM secret")
        assert secret_rows[0][0] == 0
    # The keyring lost the key: say so, do not create a new one over the existing store.
    del backend.values[("estafette", profile_id)]
    before = (tmp_path / "p" / DATABASE_NAME).read_bytes()
    with pytest.raises(StoreKeyError, match="introuvable"):
        open_profile(tmp_path / "p", keyring_backend=backend)
    assert (tmp_path / "p" / DATABASE_NAME).read_bytes() == before


def test_key_source_mismatch_is_explained(tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k"):
        pass
    with pytest.raises(InvalidInputError, match="--key-file"):
        open_profile(tmp_path / "p", keyring_backend=MemoryKeyring())


# --- integrity ---------------------------------------------------------------------------------


def _fill(path: Path, key: bytes, executor: ThreadPoolExecutor) -> None:
    db = _open(path, key, executor)
    db.write(
        lambda c: c.executemany(
            "INSERT INTO secret(name, value) VALUES (?, ?)",
            [(f"n{i}", "x" * 400) for i in range(100)],
        )
    )
    db.close()


def test_corrupted_page_is_reported_and_file_left_untouched(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    path, key = tmp_path / "s.db", new_key()
    _fill(path, key, executor)
    data = bytearray(path.read_bytes())
    assert len(data) > 5 * 4096
    data[4 * 4096 + 200] ^= 0xFF  # a page in the middle: the key still checks out
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptedError):
        _open(path, key, executor)
    assert path.read_bytes() == bytes(data)
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_garbage_file_is_not_overwritten(tmp_path: Path, executor: ThreadPoolExecutor) -> None:
    path = tmp_path / "s.db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(StoreKeyError):
        _open(path, new_key(), executor)
    assert path.read_bytes() == garbage


def test_errors_are_user_facing() -> None:
    assert issubclass(StoreCorruptedError, UserFacingError)
    assert "n'a pas été modifié" in StoreCorruptedError().text("fr")


# --- migrations --------------------------------------------------------------------------------


def test_fresh_database_reaches_latest_version(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    db = _open(tmp_path / "s.db", new_key(), executor)
    try:
        assert db.schema_version() == migrations[-1].version
        tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"account", "secret"} <= tables
        pragmas = db.call(
            lambda c: (
                c.execute("PRAGMA journal_mode").fetchone()[0],
                c.execute("PRAGMA foreign_keys").fetchone()[0],
                c.execute("PRAGMA secure_delete").fetchone()[0],
                c.execute("PRAGMA temp_store").fetchone()[0],
            )
        )
        assert pragmas == ("wal", 1, 1, 2)
    finally:
        db.close()


def test_upgrade_from_version_1(tmp_path: Path) -> None:
    path, key = tmp_path / "s.db", new_key()
    conn = open_connection(path, key, migrations=load_migrations()[:1])
    assert dbmod.schema_version(conn) == 1
    conn.execute(
        "INSERT INTO account(address, login, kind, imap_host, imap_port, imap_tls, smtp_host, "
        "smtp_port, smtp_tls, auth) VALUES ('a@b.fr', 'a', 'PER', 'h', 993, 'implicit', 'h', "
        "587, 'starttls', 'psc')"
    )
    assert "secret" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    conn = open_connection(path, key)
    try:
        assert dbmod.schema_version(conn) == load_migrations()[-1].version
        assert "secret" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert conn.execute("SELECT address FROM account").fetchall()[0][0] == "a@b.fr"
    finally:
        conn.close()


def test_failing_migration_rolls_back(tmp_path: Path) -> None:
    path, key = tmp_path / "s.db", new_key()
    broken = [*load_migrations(), Migration(99, "broken", "CREATE TABLE z(x);\nNOT SQL;")]
    broken[-1] = Migration(len(broken), "broken", "CREATE TABLE z(x);\nNOT SQL;")
    with pytest.raises(dbmod.DatabaseError):
        open_connection(path, key, migrations=broken)
    conn = open_connection(path, key)
    try:
        assert dbmod.schema_version(conn) == len(broken) - 1
        assert "z" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path, key = tmp_path / "s.db", new_key()
    conn = open_connection(path, key)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(UserFacingError, match="plus récente"):
        open_connection(path, key)


# --- threading ---------------------------------------------------------------------------------


def test_connection_is_confined_to_the_db_thread(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    db = _open(tmp_path / "s.db", new_key(), executor)
    try:
        names = db.call(lambda c: threading.current_thread().name)
        assert names.startswith("db")
        assert asyncio.run(db.acall(lambda c: c.execute("SELECT 41 + 1").fetchone()[0])) == 42
        conn = db.call(lambda c: c)
        with pytest.raises(dbmod.ProgrammingError):
            conn.execute("SELECT 1")  # from the test thread: refused by check_same_thread
    finally:
        db.close()


# --- no plaintext ------------------------------------------------------------------------------


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_no_plaintext_on_disk(tmp_path: Path) -> None:
    profile_dir = tmp_path / "p"
    needle = SECRET.encode()
    with open_profile(profile_dir, key_file=tmp_path / "k") as profile:
        profile.accounts.add(_account(national_id="ZORGLUB42"), password=SECRET)
        profile.accounts.add(
            _account(login="other", address=f"{SECRET.lower()}@hopital.mssante.fr"),
            password="pw",
        )
        assert [p.name for p in _files_containing(profile_dir, needle)] == []
        assert _files_containing(profile_dir, b"zorglub-secret-42") == []
        assert _files_containing(profile_dir, b"ZORGLUB42") == []
    assert sorted(p.name for p in profile_dir.iterdir()) == [DATABASE_NAME, PROFILE_INFO_NAME]
    assert _files_containing(tmp_path, needle) == []
    assert _files_containing(tmp_path, b"hopital") == []
    assert stat.S_IMODE((profile_dir / DATABASE_NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(profile_dir.stat().st_mode) == 0o700


# --- deferred integrity check ("auto") ----------------------------------------------------------


def _corrupt_middle_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) * 4 // 5  # inside the filler rows, far from the schema pages
    data[middle:middle + 64] = bytes(64)
    path.write_bytes(bytes(data))


def _big_profile(tmp_path: Path) -> tuple[Path, Path]:
    from app.composition import open_profile

    profile_dir, key = tmp_path / "p", tmp_path / "k"
    with open_profile(profile_dir, key_file=key) as profile:
        profile.database.write(lambda c: c.execute(
            "CREATE TABLE filler (x BLOB)"))
        for _ in range(40):
            profile.database.write(lambda c: c.execute(
                "INSERT INTO filler VALUES (randomblob(8000))"))
    return profile_dir, key


def background_check(profile: Any) -> list[Any]:
    """Run the profile's deferred integrity check and return the StoreIntegrityChecked events."""
    from app.events import StoreIntegrityChecked

    results: list[StoreIntegrityChecked] = []
    done = threading.Event()

    def on_checked(event: StoreIntegrityChecked) -> None:
        results.append(event)
        done.set()

    profile.events.subscribe(StoreIntegrityChecked, on_checked)
    assert profile.check_integrity_in_background() is True
    assert done.wait(30)
    return results


def test_auto_defers_the_full_check_of_a_cleanly_closed_store_to_the_background(
        tmp_path: Path) -> None:
    """A clean, recently checked store opens without reading every page; the background check
    (a second connection) still finds the damage and reports it as an event."""
    from app.composition import open_profile

    profile_dir, key = _big_profile(tmp_path)
    _corrupt_middle_page(profile_dir / "estafette.db")
    profile = open_profile(profile_dir, key_file=key, integrity_check="auto")
    try:
        results = background_check(profile)
        assert results[0].ok is False and results[0].message
    finally:
        profile.close()


def test_auto_checks_fully_on_open_after_an_unclean_end(tmp_path: Path) -> None:
    """A session that ended without closing the store (crash, kill) forces the full check."""
    from app.composition import open_profile

    profile_dir, key = _big_profile(tmp_path)
    profile = open_profile(profile_dir, key_file=key, integrity_check="auto")
    profile.executors.shutdown(wait=True)  # the process "dies": no clean close recorded
    _corrupt_middle_page(profile_dir / "estafette.db")
    before = (profile_dir / "estafette.db").read_bytes()
    with pytest.raises(StoreCorruptedError):
        open_profile(profile_dir, key_file=key, integrity_check="auto")
    assert (profile_dir / "estafette.db").read_bytes() == before


def test_no_background_check_when_the_store_was_just_checked(tmp_path: Path) -> None:
    from app.composition import open_profile

    profile_dir, key = _big_profile(tmp_path)
    with open_profile(profile_dir, key_file=key, integrity_check="full") as profile:
        assert profile.check_integrity_in_background() is False
