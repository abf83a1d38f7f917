"""The password prompt of the main window (issue #7): when the server refuses the stored password
of a password account (AuthenticationError), or the keyring has none, the window asks for it
(PasswordDialog: French, masked), checks the typed password by logging in with it — off the UI
thread, traced in the audit trail as any login (ECO.4.1.1) — stores it only once the server
accepted it, and runs the failed work once more (the sync pass; the refused sends). Annuler
leaves the account in error in the status bar, and nothing asks again until the user syncs.

Against the real sandbox Dovecot (IMAP) and Postfix (submission, SASL through Dovecot): the
refusals are the servers' own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from app.composition import Profile
from app.domain.account import Account, Endpoint, TlsMode
from app.domain.audit import AuditAction, AuditOutcome
from app.domain.outgoing import OutboxState
from app.errors import AuthenticationError
from app.store.account_store import password_secret_name
from tests.integration.sync_helpers import local_folder, new_profile
from tests.sandbox import demo_world as world
from tests.ui.test_composer import whitelist_xml
from ui.dialogs.login_dialog import PasswordDialog
from ui.windows.main_window import MainWindow

WAIT_MS = 90_000
MARTIN = world.DR_MARTIN
WRONG = "pas-le-bon-mot-de-passe"


@pytest.fixture
def martin(sandbox: dict[str, Any], tmp_path: Path) -> Iterator[tuple[Profile, Account]]:
    profile, account = new_profile(tmp_path, sandbox, MARTIN)
    yield profile, account
    profile.close()


@pytest.fixture
def windows(qtbot: Any) -> Iterator[list[MainWindow]]:
    opened: list[MainWindow] = []
    yield opened
    for window in opened:
        window.close()


def open_window(qtbot: Any, windows: list[MainWindow], profile: Profile, *,
                sync: bool = True) -> MainWindow:
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=sync,
                        use_tray=False)
    qtbot.addWidget(window)
    windows.append(window)
    window.show()
    return window


def logins(profile: Profile, address: str) -> list[AuditOutcome]:
    return [e.outcome for e in profile.audit.entries(mailbox=address)
            if e.action is AuditAction.LOGIN]


def wait_prompt(qtbot: Any, window: MainWindow, address: str) -> PasswordDialog:
    qtbot.waitUntil(lambda: address in window.password_dialogs, timeout=WAIT_MS)
    dialog = window.password_dialogs[address]
    assert isinstance(dialog, PasswordDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def submit(dialog: PasswordDialog, password: str) -> None:
    dialog.password_edit.setFocus()
    QTest.keyClicks(dialog.password_edit, password)
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_refused_password_is_asked_checked_stored_and_the_sync_retried(
        qtbot: Any, windows: list[MainWindow], martin: tuple[Profile, Account]) -> None:
    """Dovecot refuses the stored password: the dialog (masked, saying why) comes up; a wrong
    password typed there is refused by the server and never stored, the dialog stays open; the
    right one is stored and the pass that had failed runs (the inbox is synced)."""
    profile, account = martin
    profile.accounts.set_password(account, WRONG)
    window = open_window(qtbot, windows, profile)
    dialog = wait_prompt(qtbot, window, account.address)
    assert dialog.password_edit.echoMode() is QLineEdit.EchoMode.Password
    assert "refusé" in dialog.message_label.text()
    assert dialog.windowTitle() == f"Connexion à {account.address}"
    assert logins(profile, account.address) == [AuditOutcome.FAILURE]

    submit(dialog, "encore-un-mauvais")
    qtbot.waitUntil(lambda: dialog.error_label.isVisible() and dialog.ok_button.isEnabled(),
                    timeout=WAIT_MS)
    assert "refusé" in dialog.error_label.text()
    assert dialog.password_edit.text() == ""  # never kept in the widget
    assert profile.accounts.password(account) == WRONG  # a refused password is not stored
    assert logins(profile, account.address) == [AuditOutcome.FAILURE] * 2

    with qtbot.waitSignal(window.sync_done, timeout=WAIT_MS) as done:
        submit(dialog, MARTIN.password)
    assert done.args == [account.address]
    qtbot.waitUntil(lambda: account.address not in window.password_dialogs, timeout=WAIT_MS)
    assert profile.accounts.password(account) == MARTIN.password
    assert local_folder(profile, account, "INBOX")  # the pass ran with the new password
    assert logins(profile, account.address)[:3] == [AuditOutcome.FAILURE,
                                                    AuditOutcome.FAILURE,
                                                    AuditOutcome.SUCCESS]
    assert account.address in window._synced


def test_cancel_leaves_the_account_in_error_and_nothing_asks_again(
        qtbot: Any, windows: list[MainWindow], martin: tuple[Profile, Account]) -> None:
    profile, account = martin
    profile.accounts.set_password(account, WRONG)
    window = open_window(qtbot, windows, profile)
    dialog = wait_prompt(qtbot, window, account.address)
    QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: account.address not in window.password_dialogs, timeout=WAIT_MS)
    assert "mot de passe requis" in window.status.sync_label.text()
    assert profile.accounts.password(account) == WRONG

    # A pass started by the window itself (not the user) fails again: no new prompt, one try.
    window.sync_account(account)
    qtbot.waitUntil(lambda: len(logins(profile, account.address)) == 2
                    and account.address not in window._syncing, timeout=WAIT_MS)
    qtbot.wait(500)
    assert window.password_dialogs == {}
    assert logins(profile, account.address) == [AuditOutcome.FAILURE] * 2
    assert account.address not in window._synced

    # Synchroniser (F5) is the user asking: the prompt may come back.
    window.sync_action.trigger()
    dialog = wait_prompt(qtbot, window, account.address)
    dialog.reject()


def test_missing_password_is_asked_before_any_login(
        qtbot: Any, windows: list[MainWindow], martin: tuple[Profile, Account]) -> None:
    profile, account = martin
    profile.secrets.delete(password_secret_name(account))
    window = open_window(qtbot, windows, profile)
    dialog = wait_prompt(qtbot, window, account.address)
    assert "Aucun mot de passe" in dialog.message_label.text()
    assert logins(profile, account.address) == []  # nothing was sent to the server
    with qtbot.waitSignal(window.sync_done, timeout=WAIT_MS):
        submit(dialog, MARTIN.password)
    assert profile.accounts.password(account) == MARTIN.password
    assert logins(profile, account.address)[0] is AuditOutcome.SUCCESS


def test_a_send_refused_for_the_password_is_retried_once_with_the_new_one(
        qtbot: Any, windows: list[MainWindow], sandbox: dict[str, Any],
        martin: tuple[Profile, Account]) -> None:
    """Postfix refuses SMTP AUTH with the stored password: the same prompt; once the right
    password is stored the refused message is queued again and leaves."""
    from app.services.outbox_service import SendRequest

    profile, account = martin
    submission = Endpoint("127.0.0.1", int(sandbox["submission"]["port"]), TlsMode.STARTTLS)
    profile.accounts.remove(account.address, account.login)
    account = dataclasses.replace(account, smtp=submission, display_name=MARTIN.display_name)
    profile.accounts.add(account, password=WRONG)
    xml = whitelist_xml(*world.WHITELISTED_DOMAINS)
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    item_id = int(profile.outbox.queue(SendRequest(
        from_address=account.address, login=account.login, to=(world.DR_BERNARD.login,),
        subject=f"Essai {uuid.uuid4().hex[:8]}", text="Bonjour."), undo_seconds=0))

    window = open_window(qtbot, windows, profile, sync=False)
    window.run_outbox()
    dialog = wait_prompt(qtbot, window, account.address)
    assert profile.outbox.store.get(item_id).state is OutboxState.FAILED
    submit(dialog, MARTIN.password)
    qtbot.waitUntil(lambda: profile.outbox.store.get(item_id).state in (
        OutboxState.SUBMITTED, OutboxState.FILED), timeout=WAIT_MS)
    assert profile.accounts.password(account) == MARTIN.password


def test_accounts_without_a_password_never_get_the_prompt(
        qtbot: Any, windows: list[MainWindow], martin: tuple[Profile, Account]) -> None:
    """A Pro Santé Connect or certificate account refused by the server: no password to ask
    (PSC has its own login dialog). Scripted failure: no server refuses a certificate here."""
    from app.domain.account import AuthMethod

    profile, account = martin
    window = open_window(qtbot, windows, profile, sync=False)
    certificate = dataclasses.replace(account, auth=AuthMethod.CERTIFICATE,
                                      certificate="/nonexistent/box.p12")
    window._sync_failed(certificate, AuthenticationError())
    qtbot.wait(300)
    assert window.password_dialogs == {}
    assert "refusée" in window.status.sync_label.text()


def test_the_account_store_replaces_only_a_password_account_s_password(
        tmp_path: Path) -> None:
    """``AccountStore.set_password``: refused for an empty password, a certificate account or an
    account not in the profile; the stored password is then unchanged."""
    from app.composition import open_profile
    from app.domain.account import AuthMethod, MailboxKind
    from app.errors import InvalidInputError

    profile = open_profile(tmp_path / "p", key_file=tmp_path / "k")
    try:
        account = Account(address=MARTIN.login, kind=MailboxKind.PER, login=MARTIN.login,
                          imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
                          smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS))
        profile.accounts.add(account, password="ancien")
        for bad in ("", None):
            with pytest.raises(InvalidInputError):
                profile.accounts.set_password(account, bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            profile.accounts.set_password(
                dataclasses.replace(account, auth=AuthMethod.CERTIFICATE), "x")
        with pytest.raises(InvalidInputError):
            profile.accounts.set_password(
                dataclasses.replace(account, address="autre@cabinet.mssante.fr"), "x")
        assert profile.accounts.password(account) == "ancien"
        profile.accounts.set_password(account, "nouveau")
        assert profile.accounts.password(account) == "nouveau"
    finally:
        profile.close()
