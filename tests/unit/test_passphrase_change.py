"""Rewrapping the store key of an existing profile (``change_passphrase``,
``change_profile_passphrase``): the key file replaced whole or not at all, the keyring entry in
place, a missing key or profile a clear error. The command line (``estafette passphrase
set|remove``) is tested in test_cli_passphrase.py, the window in tests/ui."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.composition import change_profile_passphrase
from app.errors import (
    InvalidInputError,
    PassphraseRequiredError,
    StoreKeyError,
)
from app.store.keys import (
    KeyFileKeyProvider,
    KeyringKeyProvider,
    change_passphrase,
    new_key,
    unwrap_key,
    wrap_key,
)

OLD, NEW = "cheval agrafe pile correcte", "licorne bleue du mardi"


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
