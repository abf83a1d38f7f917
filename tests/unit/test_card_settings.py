"""The CPS card reader settings: PKCS#11 module path (absolute, empty = no reader), optional
token label (32 bytes at most) and slot id (decimal or 0x…), kept in the profile's store."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.composition import open_profile
from app.domain.settings import AppSettings, CardReaderSettings, check_token_label, parse_slot
from app.errors import InvalidInputError
from app.store.settings_store import (
    PKCS11_MODULE,
    PKCS11_SLOT,
    PKCS11_TOKEN_LABEL,
    AppSettingsStore,
)


def test_no_module_means_no_reader() -> None:
    assert AppSettings().card_reader is None
    assert AppSettings(pkcs11_module="  ").card_reader is None
    assert AppSettings(pkcs11_module="/usr/lib/libcps3_pkcs11_lin.so",
                       pkcs11_token_label=" CPS-MARTIN ", pkcs11_slot="0x10").card_reader == \
        CardReaderSettings("/usr/lib/libcps3_pkcs11_lin.so", token_label="CPS-MARTIN", slot=16)


@pytest.mark.parametrize("path", ["libcps3_pkcs11_lin.so", "./lib/x.so", "../x.so",
                                  "/usr/lib/\x00evil.so"])
def test_the_module_must_be_an_absolute_path(path: str) -> None:
    with pytest.raises(InvalidInputError, match="module PKCS#11 de la carte CPS"):
        AppSettings(pkcs11_module=path)


def test_slot_ids() -> None:
    assert parse_slot(None) is None and parse_slot("") is None and parse_slot(" ") is None
    assert parse_slot("0") == 0 and parse_slot(" 42 ") == 42 and parse_slot(7) == 7
    assert parse_slot("0x728A92F0") == 0x728A92F0  # as pkcs11-tool -L prints SoftHSM's ids
    assert parse_slot(str(2**64 - 1)) == 2**64 - 1
    for bad in ("-1", "lecteur", "0x", "1.5", str(2**64), True, -4):
        with pytest.raises(InvalidInputError, match="emplacement"):
            parse_slot(bad)  # type: ignore[arg-type]


def test_token_labels() -> None:
    assert check_token_label("") is None and check_token_label(None) is None
    assert check_token_label(" CPS-MARTIN ") == "CPS-MARTIN"
    assert check_token_label("é" * 16) == "é" * 16  # 32 bytes of UTF-8
    for bad in ("é" * 17, "x" * 33, "CPS\nMARTIN", "CPS\x7f"):
        with pytest.raises(InvalidInputError, match="libellé de carte"):
            check_token_label(bad)


def test_card_settings_are_kept_and_a_bad_stored_value_falls_back(tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        store = AppSettingsStore(settings=profile.settings, secrets=profile.secrets)
        wanted = AppSettings(lock_minutes=20, pkcs11_module="/opt/cps/libcps3_pkcs11_lin.so",
                             pkcs11_token_label="CPS-MARTIN", pkcs11_slot=3)
        store.save(wanted)
        assert store.load() == wanted
        assert profile.settings.get(PKCS11_SLOT) == "3"
        # A hand-edited or older value that no longer validates: only that one is dropped.
        profile.settings.set(PKCS11_MODULE, "relative/module.so")
        profile.settings.set(PKCS11_SLOT, "le premier")
        loaded = store.load()
        assert loaded.pkcs11_module is None and loaded.pkcs11_slot is None
        assert loaded.pkcs11_token_label == "CPS-MARTIN" and loaded.lock_minutes == 20
        store.save(AppSettings())
        assert profile.settings.get(PKCS11_TOKEN_LABEL) is None
