"""The settings dialog's "Carte CPS" group over a real (encrypted, key-file) profile: the PKCS#11
module path (with a file chooser and the CPS middleware offered when it is installed), token
label and slot, kept in the store; "Tester" tries the module off the UI thread and answers in
French — the card found, or why the module cannot be used, hostile paths included."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.settings import AppSettings
from app.protocols.pkcs11.probe import probe_module, suggest_module_path
from app.store.outbox_store import SettingStore
from app.store.settings_store import PKCS11_MODULE, PKCS11_SLOT, AppSettingsStore
from tests.integration.softhsm_card import PrivateCard, private_card_for
from tests.sandbox import demo_world
from ui.dialogs.settings_dialog import SettingsDialog, save_settings

WAIT_MS = 20_000


@pytest.fixture
def private_card(sandbox: dict[str, Any], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCard]:
    yield from private_card_for(sandbox, tmp_path, monkeypatch)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


@pytest.fixture
def store(profile: Profile) -> AppSettingsStore:
    return AppSettingsStore(settings=SettingStore(database=profile.database),
                            secrets=profile.secrets)


def open_dialog(qtbot: QtBot, settings: AppSettings, **options: Any) -> SettingsDialog:
    options.setdefault("suggest_card_module", lambda: None)
    dialog = SettingsDialog(settings, **options)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def run_tester(qtbot: QtBot, dialog: SettingsDialog) -> str:
    with qtbot.waitSignal(dialog.card_tested, timeout=WAIT_MS):
        dialog.card_test_button.click()
    assert dialog.card_test_button.isEnabled()
    return dialog.card_test_result.text()


def test_the_card_group_round_trips_through_the_store(qtbot: QtBot, profile: Profile,
                                                      store: AppSettingsStore) -> None:
    dialog = open_dialog(qtbot, store.load())
    assert dialog.findChild(object, "cardGroup").title() == "Carte CPS"
    assert dialog.card_module.text() == ""  # default: no reader configured
    assert "Aucun lecteur configuré" in dialog.card_module.placeholderText()
    dialog.card_module.setText("/usr/lib/libcps3_pkcs11_lin.so")
    dialog.card_label.setText("CPS-MARTIN")
    dialog.card_slot.setText("0x1F")
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        dialog.buttons.accepted.emit()
    save_settings(blocker.args[0], store=store, receipts=None, accounts=[])
    loaded = store.load()
    assert (loaded.pkcs11_module, loaded.pkcs11_token_label, loaded.pkcs11_slot) == (
        "/usr/lib/libcps3_pkcs11_lin.so", "CPS-MARTIN", 31)
    assert profile.settings.get(PKCS11_MODULE) == "/usr/lib/libcps3_pkcs11_lin.so"
    assert profile.settings.get(PKCS11_SLOT) == "31"

    again = open_dialog(qtbot, loaded)
    assert again.card_module.text() == "/usr/lib/libcps3_pkcs11_lin.so"
    assert again.card_slot.text() == "31"
    again.card_module.clear()  # emptied: the reader is no longer configured
    again.card_label.clear()
    again.card_slot.clear()
    save_settings(again.collect(), store=store, receipts=None, accounts=[])
    assert store.load().card_reader is None
    assert profile.settings.get(PKCS11_MODULE) is None


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("card_module", "libcps3_pkcs11_lin.so", "chemin absolu"),
    ("card_slot", "lecteur 1", "emplacement"),
    ("card_slot", "-3", "emplacement"),
])
def test_invalid_card_values_keep_the_dialog_open(qtbot: QtBot, store: AppSettingsStore,
                                                  field: str, value: str,
                                                  expected: str) -> None:
    dialog = open_dialog(qtbot, store.load())
    getattr(dialog, field).setText(value)
    dialog.buttons.accepted.emit()
    assert dialog.isVisible() and dialog.result_value is None
    assert expected in dialog.error_label.text()
    assert store.load() == AppSettings()


def test_the_installed_middleware_is_offered_when_the_field_is_empty(qtbot: QtBot,
                                                                     tmp_path: Path) -> None:
    found = tmp_path / "usr" / "lib" / "libcps3_pkcs11_lin.so"
    found.parent.mkdir(parents=True)
    found.write_bytes(b"\x7fELF")
    # The search itself: the usual places, then a shallow look under /opt-like roots.
    assert suggest_module_path([str(found)], []) == str(found)
    bundled = tmp_path / "opt" / "santesocial" / "lib" / "libcps3_pkcs11_lin.so"
    bundled.parent.mkdir(parents=True)
    bundled.write_bytes(b"\x7fELF")
    assert suggest_module_path([str(tmp_path / "none.so")],
                               [str(tmp_path / "opt" / "*" / "lib" / found.name)]) == str(bundled)
    assert suggest_module_path([str(tmp_path / "none.so")], []) is None

    threads: list[str] = []

    def suggest() -> str:
        threads.append(threading.current_thread().name)
        return str(found)

    dialog = open_dialog(qtbot, AppSettings(), suggest_card_module=suggest)
    qtbot.waitUntil(lambda: dialog.card_suggestion.isVisibleTo(dialog), timeout=WAIT_MS)
    assert threads and threads[0].startswith("card-probe")  # looked for off the UI thread
    assert str(found) in dialog.card_suggestion_label.text()
    assert dialog.card_module.placeholderText() == str(found)
    assert dialog.card_module.text() == ""  # offered, not imposed
    dialog.card_suggestion_button.click()
    assert dialog.card_module.text() == str(found)
    assert not dialog.card_suggestion.isVisibleTo(dialog)
    dialog.card_module.clear()  # emptied again: offered again
    assert dialog.card_suggestion.isVisibleTo(dialog)
    dialog.card_module.setText("/opt/autre/module.so")  # typed by hand: the offer goes
    assert not dialog.card_suggestion.isVisibleTo(dialog)

    configured = open_dialog(qtbot, AppSettings(pkcs11_module="/opt/autre/module.so"),
                             suggest_card_module=suggest)
    qtbot.wait(200)
    assert not configured.card_suggestion.isVisibleTo(configured)


def test_the_file_chooser_fills_the_module_path(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, AppSettings(pkcs11_module="/usr/lib/softhsm/libsofthsm2.so"))
    chooser = dialog._browse_card_module()
    assert chooser.isVisible() and chooser.directory().path() == "/usr/lib/softhsm"
    assert any("*.so" in f for f in chooser.nameFilters())
    chooser.fileSelected.emit(str(tmp_path / "libcps3_pkcs11_lin.so"))
    assert dialog.card_module.text() == str(tmp_path / "libcps3_pkcs11_lin.so")
    chooser.reject()


@pytest.mark.sandbox
def test_tester_lists_the_card_found_off_the_ui_thread(qtbot: QtBot,
                                                       private_card: PrivateCard) -> None:
    threads: list[str] = []

    def probe(module: str) -> Any:
        threads.append(threading.current_thread().name)
        return probe_module(module)

    dialog = open_dialog(qtbot, AppSettings(pkcs11_module=private_card.module),
                         card_probe=probe)
    text = run_tester(qtbot, dialog)
    assert threads and threads[0].startswith("card-probe")
    assert threads[0] != threading.current_thread().name
    assert "SoftHSM" in text
    assert f"Carte trouvée : {private_card.label} — Jean " \
           f"{demo_world.DR_MARTIN.family_name.upper()}" in text
    assert dialog.card_test_ok

    dialog.card_label.setText("CPS-QUELQU-UN")  # a label that is not on the token
    text = run_tester(qtbot, dialog)
    assert "aucune carte CPS ne correspond" in text and private_card.label in text
    assert not dialog.card_test_ok

    dialog.card_label.clear()
    private_card.pull()
    assert "aucune carte n'est dans le lecteur" in run_tester(qtbot, dialog)


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "fifo" / "libcps3_pkcs11_lin.so"
    path.parent.mkdir()
    os.mkfifo(path)
    return str(path)


def _crashing_module(tmp_path: Path) -> str:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build a crashing module")
    source = tmp_path / "crash.c"
    source.write_text("int C_GetFunctionList(void **list) { *list = 0; return 0; }\n")
    out = tmp_path / "libcrash.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(source)], check=True,
                   capture_output=True, timeout=60)
    return str(out)


def _not_pkcs11() -> str:
    import _ctypes

    return str(_ctypes.__file__)


@pytest.mark.parametrize(("make", "expected"), [
    (lambda t: str(t / "nulle-part" / "libcps3_pkcs11_lin.so"), "le fichier n'existe pas"),
    (_fifo, "ce n'est pas un fichier"),
    (lambda t: "/etc/hostname", "n'est pas une bibliothèque partagée"),
    (lambda t: _not_pkcs11(), "ce n'est pas un module PKCS#11 utilisable"),
    (_crashing_module, "s'est arrêté brutalement"),
    (lambda t: "../../lib/libsofthsm2.so", "chemin absolu"),
    (lambda t: "", "Indiquez le chemin du module PKCS#11"),
], ids=["missing", "named-pipe", "text-file", "not-pkcs11", "crashing", "relative", "empty"])
def test_tester_gives_a_clear_french_error_for_a_hostile_module(
        qtbot: QtBot, tmp_path: Path, make: Any, expected: str) -> None:
    dialog = open_dialog(qtbot, AppSettings())
    dialog.card_module.setText(make(tmp_path))
    text = run_tester(qtbot, dialog)
    assert expected in text
    assert "#a4000f" in dialog.card_test_result.styleSheet()  # shown as an error
    assert not dialog.card_test_ok
    assert dialog.isVisible()  # the dialog (and the application) carry on
