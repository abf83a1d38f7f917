"""Adding, changing and removing the passphrase of an existing profile (``estafette passphrase
set|remove``, ``change_profile_passphrase``): only the key's wrapping changes, replaced in one
step; the store key, so the database and its packs, stay as they are; a wrong current
passphrase, a mismatch or a crash before the rename leaves the old key file whole."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, main
from app.composition import change_profile_passphrase, open_profile
from app.errors import (
    InvalidInputError,
    PassphraseRequiredError,
    StoreKeyError,
    WrongPassphraseError,
)
from app.store.keys import (
    KeyFileKeyProvider,
    KeyringKeyProvider,
    change_passphrase,
    new_key,
    unwrap_key,
    wrap_key,
)

ADD = [
    "account", "add", "--address", "dr.martin@hopital.mssante.fr", "--kind", "PER",
    "--imap", "imap.hopital.fr:993", "--imap-tls", "implicit",
    "--smtp", "smtp.hopital.fr:587", "--smtp-tls", "starttls",
    "--auth", "password", "--login", "martin",
]  # fmt: skip
OLD, NEW = "cheval agrafe pile correcte", "licorne bleue du mardi"


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("ESTAFETTE_PASSWORD", PASSPHRASE_ENV, NEW_PASSPHRASE_ENV):
        monkeypatch.delenv(name, raising=False)
    base = ["--profile", str(tmp_path / "profile"), "--key-file", str(tmp_path / "store.key")]

    def run(*args: str, current: str | None = None, new: str | None = None) -> Run:
        for name, value in ((PASSPHRASE_ENV, current), (NEW_PASSPHRASE_ENV, new)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main([*base, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def plain_profile(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profile with an account, its key not protected."""
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw")
    assert cli(*ADD).code == 0
    monkeypatch.delenv("ESTAFETTE_PASSWORD")
    return tmp_path


def _store_files(root: Path) -> dict[str, str]:
    """The database and pack files: what a passphrase change must not touch."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "profile").rglob("*"))
            if p.is_file() and p.name != "profile.json"}


def _opens(root: Path, passphrase: str | None) -> bool:
    with open_profile(root / "profile", key_file=root / "store.key",
                      passphrase=passphrase) as profile:
        return [a.address for a in profile.accounts.list()] == ["dr.martin@hopital.mssante.fr"]


def test_add_change_then_remove_a_passphrase(cli: Any, plain_profile: Path) -> None:
    key_file = plain_profile / "store.key"
    raw = key_file.read_text().strip()
    store = _store_files(plain_profile)

    added = cli("passphrase", "set", new=OLD)
    assert (added.code, added.err) == (0, "")
    assert _store_files(plain_profile) == store  # the database was not even opened
    assert added.out == ("La clé du profil est maintenant protégée par la nouvelle phrase de "
                         "passe.\n")
    wrapped = key_file.read_text().strip()
    assert wrapped.startswith("estafette-wrapped-v1$") and raw not in wrapped
    assert unwrap_key(wrapped, OLD).hex() == raw  # the same store key, wrapped
    assert cli("account", "list").code == 1  # now needs the passphrase
    assert _opens(plain_profile, OLD)

    changed = cli("passphrase", "set", current=OLD, new=NEW)
    assert changed.code == 0, changed.err
    with pytest.raises(WrongPassphraseError):
        _opens(plain_profile, OLD)
    assert _opens(plain_profile, NEW)

    removed = cli("passphrase", "remove", current=NEW)
    assert (removed.code, removed.out) == (
        0, "La clé du profil n'est plus protégée par une phrase de passe.\n")
    assert key_file.read_text().strip() == raw
    assert _opens(plain_profile, None)
    # The key file stayed private, and no temporary file was left beside it.
    assert key_file.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in plain_profile.iterdir()) == ["profile", "store.key"]


def test_a_wrong_current_passphrase_changes_nothing(cli: Any, plain_profile: Path) -> None:
    assert cli("passphrase", "set", new=OLD).code == 0
    key_file = plain_profile / "store.key"
    before = (key_file.read_bytes(), key_file.stat().st_mtime_ns)
    for args in (("set",), ("remove",)):
        wrong = cli("passphrase", *args, current="pas la bonne", new=NEW)
        assert (wrong.code, wrong.out) == (1, "")
        assert wrong.err == ("La phrase de passe est incorrecte. Vérifiez la variable "
                             "d'environnement ESTAFETTE_PASSPHRASE.\n")
        missing = cli("passphrase", *args, new=NEW)
        assert missing.code == 1 and "ESTAFETTE_PASSPHRASE" in missing.err
    assert (key_file.read_bytes(), key_file.stat().st_mtime_ns) == before
    assert _opens(plain_profile, OLD)


def test_an_empty_new_passphrase_is_refused(cli: Any, plain_profile: Path) -> None:
    before = (plain_profile / "store.key").read_bytes()
    empty = cli("passphrase", "set", new="")
    assert (empty.code, empty.err) == (1, "La phrase de passe ne peut pas être vide.\n")
    no_terminal = cli("passphrase", "set")
    assert no_terminal.code == 1
    assert no_terminal.err.startswith("Une nouvelle phrase de passe est nécessaire")
    assert (plain_profile / "store.key").read_bytes() == before


class Terminal:
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_the_new_passphrase_is_typed_twice(
        cli: Any, plain_profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    answers = iter([OLD, "autre chose", OLD, OLD, NEW, NEW, "pas la bonne"])

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)
    before = (plain_profile / "store.key").read_bytes()
    mismatch = cli("passphrase", "set")
    assert (mismatch.code, mismatch.err) == (
        1, "Les deux saisies de la nouvelle phrase de passe diffèrent ; rien n'a été changé.\n")
    assert (plain_profile / "store.key").read_bytes() == before
    # An unprotected key: the current passphrase is not asked.
    assert cli("passphrase", "set").code == 0
    assert prompts == ["Nouvelle phrase de passe : ", "Nouvelle phrase de passe, à nouveau : "] * 2
    prompts.clear()
    # A protected key: the current one is asked too, once, and checked.
    wrong = cli("passphrase", "set")
    assert (wrong.code, wrong.err) == (1, "La phrase de passe est incorrecte.\n")
    assert prompts == ["Nouvelle phrase de passe : ", "Nouvelle phrase de passe, à nouveau : ",
                       "Phrase de passe actuelle du profil : "]
    assert _opens(plain_profile, OLD)


def test_the_key_file_is_replaced_whole_or_not_at_all(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    provider = KeyFileKeyProvider(tmp_path / "store.key")
    key = provider.create_key()
    before = (tmp_path / "store.key").read_bytes()

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        change_passphrase(provider, current=None, new=NEW)
    assert (tmp_path / "store.key").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.key"]  # no leftover
    monkeypatch.undo()
    change_passphrase(provider, current=None, new=NEW)
    assert unwrap_key((tmp_path / "store.key").read_text().strip(), NEW) == key


def test_a_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreKeyError):
        change_passphrase(KeyFileKeyProvider(tmp_path / "absent.key"), current=None, new=NEW)
    with pytest.raises(InvalidInputError):
        change_profile_passphrase(tmp_path / "no-profile", key_file=tmp_path / "k",
                                  current=None, new=NEW)


class MemoryKeyring:
    priority = 1

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.items.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.items[(service, user)] = value


def test_a_keyring_key_is_rewrapped_in_place() -> None:
    keyring = MemoryKeyring()
    provider = KeyringKeyProvider("profil-1", backend=keyring)
    key = new_key()
    keyring.set_password("estafette", "profil-1", wrap_key(key, OLD))
    with pytest.raises(PassphraseRequiredError):
        change_passphrase(provider, current=None, new=NEW)
    change_passphrase(provider, current=OLD, new=NEW)
    assert unwrap_key(keyring.items[("estafette", "profil-1")], NEW) == key
    change_passphrase(provider, current=NEW, new=None)
    assert keyring.items[("estafette", "profil-1")] == key.hex()
