"""Opening a passphrase-protected profile from the window (offscreen): the dialog (masked,
French, accessible, Cancel quits cleanly), and the launcher's path — ``ui.main.run_window`` on a
real profile whose key file holds the wrapped key — through a wrong then the right passphrase,
Cancel, and a damaged key; the passphrase is never written to a file or a log.

The asyncio loop is qasync's, as in ``ui.main`` (same fixture as tests/ui/test_login_dialog.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.cli import GuiRequest
from app.composition import open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.errors import UserCancelled, WrongPassphraseError
from ui.dialogs.passphrase_dialog import PassphraseDialog, open_with_passphrase
from ui.main import EXIT_FAILED, EXIT_OK, run_window

PASSPHRASE = "cheval agrafe pile correcte"
WRONG = "cheval agrafe pile incorrecte"
ADDRESS = "jean.martin@cabinet-rivoli.mssante.fr"
T = TypeVar("T")


def run(loop: qasync.QEventLoop, scenario: Awaitable[T]) -> T:
    return loop.run_until_complete(asyncio.wait_for(scenario, timeout=60))


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never met"
        await asyncio.sleep(0.01)


def top_level(name: str) -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == name and widget.isVisible():
            return widget
    return None


# --- the dialog ---------------------------------------------------------------------------------


def test_dialog_masked_french_accessible(qtbot: QtBot) -> None:
    dialog = PassphraseDialog("/home/jean/.local/share/estafette")
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.isModal()
    assert dialog.windowTitle() == "Estafette — profil protégé"
    assert dialog.passphrase_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.location_label.text() == "/home/jean/.local/share/estafette"
    for widget in (dialog.passphrase_edit, dialog.ok_button, dialog.cancel_button,
                   dialog.error_label):
        assert widget.accessibleName(), widget.objectName()
    assert dialog.passphrase_edit.accessibleName() == "Phrase de passe du profil"
    assert dialog.ok_button.isDefault()
    given: list[str] = []
    dialog.submitted.connect(given.append)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert given == [] and dialog.error_label.text() == "Saisissez la phrase de passe."
    qtbot.keyClicks(dialog.passphrase_edit, PASSPHRASE)
    qtbot.keyClick(dialog.passphrase_edit, Qt.Key.Key_Return)
    assert given == [PASSPHRASE]
    assert dialog.passphrase_edit.text() == ""  # not kept in the widget
    # While the attempt runs: no second submission, and neither Cancel nor Escape closes it.
    assert dialog.busy and not dialog.ok_button.isEnabled()
    assert not dialog.cancel_button.isEnabled()
    assert dialog.status_label.text() == "Ouverture du profil…"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    assert dialog.isVisible()
    dialog.fail("La phrase de passe est incorrecte.")
    assert not dialog.busy and dialog.ok_button.isEnabled() and dialog.error_label.isVisible()
    assert dialog.error_label.text() == "La phrase de passe est incorrecte."
    with qtbot.waitSignal(dialog.rejected):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_open_with_passphrase_retries_until_right_one_attempt_per_submission(
        qtbot: QtBot, loop: qasync.QEventLoop) -> None:
    tried: list[str] = []

    async def attempt(passphrase: str) -> str:
        tried.append(passphrase)
        await asyncio.sleep(0)
        if passphrase != PASSPHRASE:
            raise WrongPassphraseError()
        return "ouvert"

    async def scenario() -> str:
        opening = asyncio.ensure_future(open_with_passphrase(attempt, profile_dir="/p"))
        await until(lambda: top_level("passphraseDialog") is not None)
        dialog = top_level("passphraseDialog")
        assert isinstance(dialog, PassphraseDialog)
        await asyncio.sleep(0.2)
        assert tried == []  # nothing is tried until the user submits
        dialog.passphrase_edit.setText(WRONG)
        dialog.ok_button.click()
        await until(lambda: dialog.error_label.isVisible())
        assert dialog.error_label.text() == "La phrase de passe est incorrecte."
        await asyncio.sleep(0.2)
        assert tried == [WRONG]  # no loop of its own after a failure
        dialog.passphrase_edit.setText(PASSPHRASE)
        dialog.ok_button.click()
        result = await opening
        assert top_level("passphraseDialog") is None
        return result

    assert run(loop, scenario()) == "ouvert"
    assert tried == [WRONG, PASSPHRASE]


def test_open_with_passphrase_cancel(qtbot: QtBot, loop: qasync.QEventLoop) -> None:
    async def attempt(passphrase: str) -> str:
        raise AssertionError("nothing is tried")

    async def scenario() -> None:
        opening = asyncio.ensure_future(open_with_passphrase(attempt, profile_dir="/p"))
        await until(lambda: top_level("passphraseDialog") is not None)
        dialog = top_level("passphraseDialog")
        assert isinstance(dialog, PassphraseDialog)
        dialog.cancel_button.click()
        with pytest.raises(UserCancelled):
            await opening

    run(loop, scenario())


# --- the launcher's path on a real protected profile -----------------------------------------


@pytest.fixture
def protected(tmp_path: Path) -> GuiRequest:
    """A profile (key-file mode) whose key is wrapped by PASSPHRASE, with one account."""
    profile_dir, key_file = tmp_path / "profile", tmp_path / "profile.key"
    with open_profile(profile_dir, key_file=key_file, passphrase=PASSPHRASE) as profile:
        endpoint = Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT)
        profile.accounts.add(Account(address=ADDRESS, kind=MailboxKind.PER, login="jmartin",
                                     imap=endpoint, smtp=endpoint), password="secret")
    assert key_file.read_text().startswith("estafette-wrapped-v1$")
    return GuiRequest(profile_dir=profile_dir, key_file=key_file, lang="fr")


def _files_holding(root: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_launcher_asks_the_passphrase_retries_then_opens_the_window(
        qtbot: QtBot, loop: qasync.QEventLoop, qapp: QApplication, protected: GuiRequest,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> int:
        window_run = asyncio.ensure_future(run_window(protected, qapp))
        await until(lambda: top_level("passphraseDialog") is not None)
        dialog = top_level("passphraseDialog")
        assert isinstance(dialog, PassphraseDialog)
        assert top_level("MainWindow") is None
        dialog.passphrase_edit.setText(WRONG)
        qtbot.keyClick(dialog.passphrase_edit, Qt.Key.Key_Return)
        await until(lambda: dialog.error_label.isVisible())
        assert dialog.error_label.text() == "La phrase de passe est incorrecte."
        assert dialog.isVisible() and dialog.passphrase_edit.isEnabled()
        assert top_level("startupErrorBox") is None  # said in the dialog, not as a failure
        dialog.passphrase_edit.setText(PASSPHRASE)
        qtbot.keyClick(dialog.passphrase_edit, Qt.Key.Key_Return)
        await until(lambda: top_level("MainWindow") is not None)
        window = top_level("MainWindow")
        assert top_level("passphraseDialog") is None
        assert window is not None and window.profile is not None  # type: ignore[attr-defined]
        assert [a.address for a in window.profile.accounts.list()] == [ADDRESS]  # type: ignore[attr-defined]
        window.close()
        return await window_run

    assert run(loop, scenario()) == EXIT_OK
    assert _files_holding(tmp_path, PASSPHRASE) == [] and _files_holding(tmp_path, WRONG) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert PASSPHRASE not in logged and WRONG not in logged


def test_launcher_cancel_quits_cleanly(qtbot: QtBot, loop: qasync.QEventLoop,
                                       qapp: QApplication, protected: GuiRequest,
                                       tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    async def scenario() -> int:
        window_run = asyncio.ensure_future(run_window(protected, qapp))
        await until(lambda: top_level("passphraseDialog") is not None)
        dialog = top_level("passphraseDialog")
        assert isinstance(dialog, PassphraseDialog)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        code = await window_run
        assert top_level("startupErrorBox") is None and top_level("MainWindow") is None
        assert top_level("passphraseDialog") is None
        return code

    assert run(loop, scenario()) == EXIT_FAILED
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_launcher_damaged_protected_key_is_an_error_box_not_a_retry(
        qtbot: QtBot, loop: qasync.QEventLoop, qapp: QApplication, protected: GuiRequest) -> None:
    assert protected.key_file is not None
    protected.key_file.write_text("estafette-wrapped-v1$!!!$$\n", encoding="ascii")

    async def scenario() -> int:
        window_run = asyncio.ensure_future(run_window(protected, qapp))
        await until(lambda: top_level("passphraseDialog") is not None)
        dialog = top_level("passphraseDialog")
        assert isinstance(dialog, PassphraseDialog)
        dialog.passphrase_edit.setText(PASSPHRASE)
        dialog.ok_button.click()
        await until(lambda: top_level("startupErrorBox") is not None)
        box = top_level("startupErrorBox")
        assert isinstance(box, QMessageBox)
        assert top_level("passphraseDialog") is None
        assert "illisible" in box.informativeText()
        box.button(QMessageBox.StandardButton.Close).click()
        return await window_run

    assert run(loop, scenario()) == EXIT_FAILED
