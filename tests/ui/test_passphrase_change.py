"""Outils ▸ Phrase de passe du profil (offscreen): the dialog checks what was typed (current
passphrase only when the key is protected, the new one twice, or "no passphrase any more"), and
the window runs the change on the CPU executor: the key file is rewrapped, a wrong current
passphrase is said in the dialog and changes nothing, the window goes on with the open profile.

The real MainWindow over a real encrypted profile (key file); no server is needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.errors import WrongPassphraseError
from app.store.keys import unwrap_key
from ui.dialogs.passphrase_change_dialog import PassphraseChangeDialog
from ui.windows.main_window import MainWindow

OLD, NEW = "cheval agrafe pile correcte", "licorne bleue du mardi"
ADDRESS = "jean.martin@cabinet-rivoli.mssante.fr"
WAIT_MS = 15_000


def _fill(dialog: PassphraseChangeDialog, *, current: str = "", new: str = "",
          confirm: str | None = None) -> None:
    dialog.current_edit.setText(current)
    dialog.new_edit.setText(new)
    dialog.confirm_edit.setText(new if confirm is None else confirm)


# --- the dialog ---------------------------------------------------------------------------------


def test_an_unprotected_key_asks_for_the_new_passphrase_twice(qtbot: QtBot) -> None:
    dialog = PassphraseChangeDialog(protected=False)
    qtbot.addWidget(dialog)
    dialog.open()
    assert not dialog.current_edit.isVisible() and not dialog.remove_check.isVisible()
    for edit in (dialog.current_edit, dialog.new_edit, dialog.confirm_edit):
        assert edit.echoMode() == edit.EchoMode.Password
    requests: list[tuple[object, object]] = []
    dialog.change_requested.connect(lambda current, new: requests.append((current, new)))
    dialog.ok_button.click()
    assert dialog.error_label.text() == "Saisissez la nouvelle phrase de passe."
    _fill(dialog, new=NEW, confirm="autre chose")
    dialog.ok_button.click()
    assert dialog.error_label.text() == ("Les deux saisies de la nouvelle phrase de passe "
                                         "diffèrent.")
    assert requests == [] and dialog.confirm_edit.text() == ""
    _fill(dialog, new=NEW)
    dialog.ok_button.click()
    assert requests == [(None, NEW)]
    # Emptied at once; busy until the window answers: Escape does not close it meanwhile.
    assert (dialog.new_edit.text(), dialog.confirm_edit.text()) == ("", "")
    assert dialog.busy and not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    dialog.fail("La phrase de passe est incorrecte.")
    assert not dialog.busy and dialog.error_label.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_a_protected_key_needs_the_current_one_and_can_lose_its_protection(
        qtbot: QtBot) -> None:
    dialog = PassphraseChangeDialog(protected=True)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.current_edit.isVisible() and dialog.remove_check.isVisible()
    requests: list[tuple[object, object]] = []
    dialog.change_requested.connect(lambda current, new: requests.append((current, new)))
    _fill(dialog, new=NEW)
    dialog.ok_button.click()
    assert dialog.error_label.text() == "Saisissez la phrase de passe actuelle."
    dialog.remove_check.setChecked(True)
    assert not dialog.new_edit.isEnabled() and not dialog.confirm_edit.isEnabled()
    assert dialog.new_edit.text() == ""
    dialog.current_edit.setText(OLD)
    dialog.ok_button.click()
    assert requests == [(OLD, None)]
    assert dialog.current_edit.text() == ""


# --- from the window ----------------------------------------------------------------------------


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = open_profile(tmp_path / "profile", key_file=tmp_path / "store.key")
    endpoint = Endpoint("127.0.0.1", 1, TlsMode.IMPLICIT)
    opened.accounts.add(Account(address=ADDRESS, kind=MailboxKind.PER, login="jmartin",
                                imap=endpoint, smtp=endpoint), password="secret")
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, profile: Profile) -> Iterator[MainWindow]:
    shown = MainWindow(profile.accounts.list(), profile=profile, use_tray=False)
    shown.show()
    yield shown
    shown.close()
    shown.deleteLater()


def _open_dialog(qtbot: QtBot, window: MainWindow) -> PassphraseChangeDialog:
    assert window.passphrase_action.isEnabled()
    window.passphrase_action.trigger()
    dialog = window.passphrase_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def test_the_window_protects_changes_and_removes_the_passphrase(
        qtbot: QtBot, window: MainWindow, profile: Profile, tmp_path: Path) -> None:
    key_file = tmp_path / "store.key"
    raw = key_file.read_text().strip()
    assert not profile.key_protected

    dialog = _open_dialog(qtbot, window)
    _fill(dialog, new=OLD)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):  # then deleted (WA_DeleteOnClose)
        dialog.ok_button.click()
    assert profile.key_protected
    assert unwrap_key(key_file.read_text().strip(), OLD).hex() == raw
    assert "protégée par la nouvelle phrase de passe" in window.statusBar().currentMessage()

    # A wrong current passphrase: said in the dialog, nothing written, the user may retry.
    before = key_file.read_bytes()
    dialog = _open_dialog(qtbot, window)
    assert dialog.current_edit.isVisible()
    _fill(dialog, current="pas la bonne", new=NEW)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert dialog.isVisible()
    assert dialog.error_label.text() == WrongPassphraseError().text("fr")
    assert key_file.read_bytes() == before
    _fill(dialog, current=OLD, new=NEW)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.ok_button.click()
    assert unwrap_key(key_file.read_text().strip(), NEW).hex() == raw

    dialog = _open_dialog(qtbot, window)
    dialog.current_edit.setText(NEW)
    dialog.remove_check.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.ok_button.click()
    assert key_file.read_text().strip() == raw and not profile.key_protected
    # The open profile went on working all along.
    assert [a.address for a in profile.accounts.list()] == [ADDRESS]
