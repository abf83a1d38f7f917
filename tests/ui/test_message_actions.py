"""The main window's message actions (issue #7), Thunderbird-style: Suppr puts the selection in
the Trash (in the Trash: for good, after a French confirmation), M toggles read, S toggles the
flag, Ctrl+Maj+M / "Déplacer vers" moves; the "Message" menu, the toolbar and the list's context
menu hold them; they act on every selected row; the next message is selected afterwards.

A real encrypted profile, no server: the messages are stored as the sync's header and body
passes store them (with server UIDs), so each action's effect is checked in the store — flags,
folder, the offline-change queue the sync engine replays (ECO.1.2.3) — and in the audit trail
(ECO.4.1.1: ids and folder references only, never a subject).
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolButton

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction
from app.store.message_store import FLAGGED, SEEN, BodyRecord, FolderInfo, HeaderRecord
from tests.sandbox import demo_world as world
from ui.models.message_list_model import Roles as ListRoles
from ui.windows.main_window import MainWindow

WAIT_MS = 20_000
MARTIN = world.DR_MARTIN.login
BERNARD = world.DR_BERNARD.login
FOLDERS = [FolderInfo("INBOX", "/", None), FolderInfo("Drafts", "/", "\\Drafts"),
           FolderInfo("Sent", "/", "\\Sent"), FolderInfo("Trash", "/", "\\Trash"),
           FolderInfo("Archives", "/", None), FolderInfo("Archives/2026", "/", None)]
# Newest first in the list (sorted by date, descending): row 0 is uid 4.
SUBJECTS = {1: "Bilan sanguin Mme DURAND", 2: "Compte rendu échographie M. LEFEVRE",
            3: "Ordonnance renouvelée", 4: "Avis cardiologique"}
NEW_ACTIONS = ("deleteAction", "toggleReadAction", "toggleFlagAction", "moveAction")


def _raw(uid: int, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Dr Claire BERNARD <{BERNARD}>"
    message["To"] = MARTIN
    message["Subject"] = subject
    message["Date"] = "Tue, 03 Nov 2026 10:15:00 +0100"
    message["Message-ID"] = f"<m{uid}@croix-rousse.example>"
    message.set_content(f"Texte du message {uid}.")
    return message.as_bytes()


def store_messages(profile: Profile, folder_name: str, subjects: dict[int, str], *,
                   flags: dict[int, frozenset[str]] | None = None) -> dict[int, int]:
    """Store ``subjects`` (uid -> subject) in ``folder_name`` as the sync would; uid -> id."""
    messages = profile.messages
    account_id = messages.account_id(MARTIN, MARTIN)
    folders = {f.name: f.id for f in messages.replace_folders(account_id, FOLDERS)}
    folder = folders[folder_name]
    records = []
    for uid, subject in subjects.items():
        raw = _raw(uid, subject)
        records.append(HeaderRecord(
            uid=uid, message_id=f"<m{uid}@croix-rousse.example>", date=1_793_700_000 + uid * 60,
            internaldate=None, from_name="Dr Claire BERNARD", from_addr=BERNARD,
            to_display=MARTIN, to_addrs=MARTIN, cc_display="", cc_addrs="", subject=subject,
            flags=(flags or {}).get(uid, frozenset()), size=len(raw), has_attachments=False,
            is_xdm=False))
    messages.store_headers(folder, records)
    messages.store_bodies(folder, [BodyRecord(uid=uid, raw=_raw(uid, subject),
                                              text=f"Texte du message {uid}.")
                                   for uid, subject in subjects.items()])
    return {uid: messages.find_by_header_id(f"<m{uid}@croix-rousse.example>")[0]
            for uid in subjects}


def _account() -> Account:
    return Account(address=MARTIN, kind=MailboxKind.PER, login=MARTIN, auth=AuthMethod.PASSWORD,
                   imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
                   smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS))


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    profile.accounts.add(_account(), password="secret")
    yield profile
    profile.close()


@pytest.fixture
def ids(profile: Profile) -> dict[int, int]:
    # uid 3 already read and flagged; the others unread.
    return store_messages(profile, "INBOX", SUBJECTS,
                          flags={3: frozenset({SEEN, FLAGGED})})


def open_window(qtbot: Any, profile: Profile) -> MainWindow:
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.current_folder_id() is not None, timeout=WAIT_MS)
    return window


@pytest.fixture
def window(qtbot: Any, profile: Profile, ids: dict[int, int]) -> Iterator[MainWindow]:
    window = open_window(qtbot, profile)
    assert window.message_model is not None
    qtbot.waitUntil(lambda: window.message_model.rowCount() == len(SUBJECTS), timeout=WAIT_MS)
    yield window
    window.close()


def row_ids(window: MainWindow) -> list[int]:
    assert window.message_model is not None
    return [window.message_model.message_id(r) for r in range(window.message_model.rowCount())]


def select_rows(window: MainWindow, rows: list[int]) -> None:
    """Ctrl+click-like selection of several rows (the reader keeps what it showed)."""
    assert window.message_list is not None and window.message_model is not None
    selection = window.message_list.table.selectionModel()
    selection.clearSelection()
    flags = (QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    for row in rows:
        selection.select(window.message_model.index(row, 0), flags)


def focus_list(qtbot: Any, window: MainWindow) -> Any:
    assert window.message_list is not None
    table = window.message_list.table
    window.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus, timeout=WAIT_MS)
    return table


def pending(profile: Profile) -> list[tuple[str, int | None, str, str]]:
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    return [(c.kind, c.uid, c.folder_name, c.argument)
            for c in profile.messages.pending_changes(account_id)]


def folder_of(profile: Profile, message_id: int) -> str | None:
    detail = profile.messages.get(message_id)
    return None if detail is None else detail.summary.folder


def flags_of(profile: Profile, message_id: int) -> frozenset[str]:
    detail = profile.messages.get(message_id)
    assert detail is not None
    return detail.summary.flags


def entries(profile: Profile, action: AuditAction) -> list[Any]:
    return [e for e in profile.audit.entries(mailbox=MARTIN) if e.action is action]


def test_delete_key_moves_to_the_trash_and_selects_the_next_message(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    """Suppr on the message being read: it goes to the Trash (locally at once, queued for the
    server), the reader shows the next one down, as Thunderbird does; traced as a move."""
    order = row_ids(window)
    assert order == [ids[4], ids[3], ids[2], ids[1]]
    assert window.message_list is not None
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        window.message_list.table.selectRow(1)  # uid 3
    table = focus_list(qtbot, window)
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as shown:
        QTest.keyClick(table, Qt.Key.Key_Delete)
    assert shown.args == [ids[2]]  # the one below, not the first row
    assert folder_of(profile, ids[3]) == "Trash"
    assert ("move", 3, "INBOX", "Trash") in pending(profile)
    assert row_ids(window) == [ids[4], ids[2], ids[1]]
    assert window.message_list.selected_message_ids() == [ids[2]]
    moved = entries(profile, AuditAction.MOVE)
    assert [(e.message_ref, e.request) for e in moved] == [
        (ids[3], "LOCAL MOVE \\Inbox UID 3 \\Trash")]
    assert SUBJECTS[3] not in repr(moved)


def test_delete_of_the_last_row_selects_the_one_above(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    assert window.message_list is not None
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        window.message_list.table.selectRow(3)  # uid 1, the oldest
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as shown:
        window.delete_action.trigger()
    assert shown.args == [ids[2]]
    assert folder_of(profile, ids[1]) == "Trash"


def test_delete_of_several_rows_moves_them_all(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    select_rows(window, [0, 2])  # uids 4 and 2: not adjacent
    assert window.delete_action.isEnabled()
    window.delete_action.trigger()
    qtbot.waitUntil(lambda: folder_of(profile, ids[2]) == "Trash", timeout=WAIT_MS)
    assert folder_of(profile, ids[4]) == "Trash"
    assert {c for c in pending(profile) if c[0] == "move"} == {
        ("move", 4, "INBOX", "Trash"), ("move", 2, "INBOX", "Trash")}
    qtbot.waitUntil(lambda: row_ids(window) == [ids[3], ids[1]], timeout=WAIT_MS)
    # The row below the last one deleted (uid 1) is selected, not one of the deleted.
    qtbot.waitUntil(lambda: window.message_list.selected_message_ids() == [ids[1]],
                    timeout=WAIT_MS)


def _open_trash(qtbot: Any, window: MainWindow, profile: Profile, count: int) -> None:
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    trash = profile.messages.folder(account_id, "Trash")
    assert trash is not None
    window.folder_tree.setCurrentIndex(window.folder_model.index_of(trash.id))
    assert window.message_model is not None
    qtbot.waitUntil(lambda: window.current_folder_id() == trash.id
                    and window.message_model.rowCount() == count, timeout=WAIT_MS)


def test_delete_in_the_trash_asks_first_then_deletes_for_good(
        qtbot: Any, profile: Profile, ids: dict[int, int]) -> None:
    """In the Trash, Suppr deletes for good: only after a French confirmation whose default
    button is Annuler; Annuler leaves the store untouched."""
    trashed = store_messages(profile, "Trash", {7: "Ancien message"})
    window = open_window(qtbot, profile)
    _open_trash(qtbot, window, profile, 1)
    select_rows(window, [0])
    window.delete_action.trigger()
    box = window.delete_confirmation
    assert box is not None and box.isVisible()
    assert "définitivement" in box.text() and "irréversible" in box.informativeText()
    assert box.defaultButton().text() == "Annuler"
    box.defaultButton().click()  # Annuler
    qtbot.waitUntil(lambda: window.delete_confirmation is None, timeout=WAIT_MS)
    QApplication.processEvents()
    assert folder_of(profile, trashed[7]) == "Trash"
    assert pending(profile) == []

    select_rows(window, [0])
    window.delete_action.trigger()
    box = window.delete_confirmation
    assert box is not None
    confirm = next(b for b in box.buttons() if b.objectName() == "confirmDeleteButton")
    confirm.click()
    qtbot.waitUntil(lambda: profile.messages.get(trashed[7]) is None, timeout=WAIT_MS)
    assert pending(profile) == [("delete", 7, "Trash", "")]
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 0, timeout=WAIT_MS)
    deleted = entries(profile, AuditAction.DELETE)
    assert [(e.message_ref, e.request) for e in deleted] == [
        (trashed[7], "LOCAL DELETE \\Trash UID 7")]
    window.close()


def test_without_a_trash_delete_also_asks(qtbot: Any, tmp_path: Path) -> None:
    """A server with no Trash at all: nothing to fall back on, so Suppr asks before deleting."""
    profile = open_profile(tmp_path / "p2", key_file=tmp_path / "k2")
    try:
        profile.accounts.add(_account(), password="secret")
        account_id = profile.messages.account_id(MARTIN, MARTIN)
        folder = profile.messages.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])[0]
        raw = _raw(1, "Seul message")
        profile.messages.store_headers(folder.id, [HeaderRecord(
            uid=1, message_id="<m1@croix-rousse.example>", date=1_793_700_000,
            internaldate=None, from_name="", from_addr=BERNARD, to_display=MARTIN,
            to_addrs=MARTIN, cc_display="", cc_addrs="", subject="Seul message",
            flags=frozenset(), size=len(raw), has_attachments=False, is_xdm=False)])
        window = open_window(qtbot, profile)
        assert window.message_model is not None
        qtbot.waitUntil(lambda: window.message_model.rowCount() == 1, timeout=WAIT_MS)
        select_rows(window, [0])
        window.delete_action.trigger()
        box = window.delete_confirmation
        assert box is not None and "pas de corbeille" in box.informativeText()
        box.reject()
        QApplication.processEvents()
        assert profile.messages.pending_changes(account_id) == []
        window.close()
    finally:
        profile.close()


def test_m_toggles_read_on_every_selected_row_and_the_bold_follows_at_once(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    assert window.message_model is not None
    model = window.message_model
    select_rows(window, [0, 2])  # uids 4 and 2, both unread: nothing opens (two rows)
    assert isinstance(model.index(0, 2).data(Qt.ItemDataRole.FontRole), QFont)
    assert window.toggle_read_action.text() == "Marquer comme &lu"
    table = focus_list(qtbot, window)
    QTest.keyClick(table, Qt.Key.Key_M)
    # In the list at once, before the store answers.
    assert model.index(0, 2).data(Qt.ItemDataRole.FontRole) is None
    assert model.index(2, 2).data(ListRoles.UNREAD) is False
    assert window.toggle_read_action.text() == "Marquer comme &non lu"
    qtbot.waitUntil(lambda: SEEN in flags_of(profile, ids[4]) and SEEN in flags_of(
        profile, ids[2]), timeout=WAIT_MS)
    assert SEEN not in flags_of(profile, ids[1])  # not selected: untouched
    assert sorted(pending(profile)) == [("add_flags", 2, "INBOX", SEEN),
                                        ("add_flags", 4, "INBOX", SEEN)]
    QTest.keyClick(table, Qt.Key.Key_M)
    assert isinstance(model.index(0, 2).data(Qt.ItemDataRole.FontRole), QFont)
    qtbot.waitUntil(lambda: SEEN not in flags_of(profile, ids[4])
                    and SEEN not in flags_of(profile, ids[2]), timeout=WAIT_MS)
    assert ("remove_flags", 4, "INBOX", SEEN) in pending(profile)
    # The folder's unread count follows.
    inbox = window.folder_model.inbox_index()
    qtbot.waitUntil(lambda: "(3)" in str(inbox.data()), timeout=WAIT_MS)


def test_m_on_the_message_being_read_leaves_it_unread(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    assert window.message_list is not None
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        window.message_list.table.selectRow(0)
    qtbot.waitUntil(lambda: SEEN in flags_of(profile, ids[4]), timeout=WAIT_MS)  # opened: read
    window.toggle_read_action.trigger()
    qtbot.waitUntil(lambda: SEEN not in flags_of(profile, ids[4]), timeout=WAIT_MS)
    qtbot.wait(500)  # past the list's refresh delay: nothing marks it read again
    assert SEEN not in flags_of(profile, ids[4])
    assert window.message_model.index(0, 2).data(ListRoles.UNREAD) is True


def test_s_flags_all_selected_then_unflags_them(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    """S with a flagged and an unflagged row selected flags both (Thunderbird); S again, now
    that all are flagged, removes the flag from both."""
    select_rows(window, [1, 2])  # uid 3 (flagged) and uid 2
    assert window.toggle_flag_action.text() == "Marquer d'un &drapeau"
    QTest.keyClick(focus_list(qtbot, window), Qt.Key.Key_S)
    qtbot.waitUntil(lambda: FLAGGED in flags_of(profile, ids[2]), timeout=WAIT_MS)
    assert FLAGGED in flags_of(profile, ids[3])
    assert window.toggle_flag_action.text() == "Retirer le &drapeau"
    window.toggle_flag_action.trigger()
    qtbot.waitUntil(lambda: FLAGGED not in flags_of(profile, ids[2])
                    and FLAGGED not in flags_of(profile, ids[3]), timeout=WAIT_MS)
    assert SEEN in flags_of(profile, ids[3])  # the other flags stay
    assert ("remove_flags", 3, "INBOX", FLAGGED) in pending(profile)


def test_move_dialog_filters_and_moves_the_selection(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    """Ctrl+Maj+M: the account's other folders, filtered as one types; Entrée moves every
    selected message there (traced by folder id: a folder's name may be a patient's)."""
    select_rows(window, [0, 1])
    QTest.keySequence(focus_list(qtbot, window), QKeySequence("Ctrl+Shift+M"))
    qtbot.waitUntil(lambda: window.move_dialog is not None, timeout=WAIT_MS)
    dialog: Any = window.move_dialog
    labels = [dialog.folder_list.item(r).text() for r in range(dialog.folder_list.count())]
    assert "Boîte de réception" not in labels  # the folder the messages are in
    assert {"Brouillons", "Envoyés", "Corbeille", "Archives", "Archives / 2026"} <= set(labels)
    QTest.keyClicks(dialog.filter_edit, "2026")
    visible = [dialog.folder_list.item(r).text() for r in range(dialog.folder_list.count())
               if not dialog.folder_list.item(r).isHidden()]
    assert visible == ["Archives / 2026"]
    QTest.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: folder_of(profile, ids[4]) == "Archives/2026", timeout=WAIT_MS)
    assert folder_of(profile, ids[3]) == "Archives/2026"
    assert {c for c in pending(profile) if c[0] == "move"} == {
        ("move", 4, "INBOX", "Archives/2026"), ("move", 3, "INBOX", "Archives/2026")}
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    target = profile.messages.folder(account_id, "Archives/2026")
    assert target is not None
    requests = sorted(e.request for e in entries(profile, AuditAction.MOVE))
    assert requests == [f"LOCAL MOVE \\Inbox UID 3 #{target.id}",
                        f"LOCAL MOVE \\Inbox UID 4 #{target.id}"]
    assert all("Archives" not in r for r in requests)


def test_move_dialog_with_no_match_moves_nothing(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    select_rows(window, [0])
    window.move_action.trigger()
    dialog: Any = window.move_dialog
    QTest.keyClicks(dialog.filter_edit, "zzz-aucun")
    QTest.keyClick(dialog.filter_edit, Qt.Key.Key_Return)
    assert dialog.isVisible()  # nothing chosen: stays open
    dialog.reject()
    QApplication.processEvents()
    assert pending(profile) == [] and folder_of(profile, ids[4]) == "INBOX"


def test_move_submenu_lists_the_folders_and_moves(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    select_rows(window, [3])
    window.move_menu.aboutToShow.emit()
    texts = [a.text() for a in window.move_menu.actions()]
    assert "Corbeille" in texts and "Boîte de réception" not in texts
    archive = next(a for a in window.move_menu.actions() if a.text() == "Archives")
    archive.trigger()
    qtbot.waitUntil(lambda: folder_of(profile, ids[1]) == "Archives", timeout=WAIT_MS)
    assert ("move", 1, "INBOX", "Archives") in pending(profile)


def test_context_menu_holds_the_message_actions(
        qtbot: Any, window: MainWindow) -> None:
    select_rows(window, [0])
    menu = window.message_context_menu
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    for name in (*NEW_ACTIONS, "moveToMenuAction", "replyAction", "forwardAction"):
        assert name in names
    assert window.message_list is not None
    table = window.message_list.table
    table.customContextMenuRequested.emit(QPoint(5, 5))
    qtbot.waitUntil(menu.isVisible, timeout=WAIT_MS)
    menu.close()


def test_actions_are_disabled_without_a_selection(qtbot: Any, window: MainWindow) -> None:
    for name in NEW_ACTIONS:
        assert not window.findChild(QAction, name).isEnabled()
    select_rows(window, [0, 1])
    for name in NEW_ACTIONS:
        assert window.findChild(QAction, name).isEnabled()


def test_typing_in_the_search_field_is_not_a_shortcut(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    """M, S and Suppr are plain keys: in the search field they type (and delete) text."""
    select_rows(window, [0, 1])
    assert window.message_list is not None
    search = window.message_list.search
    window.activateWindow()
    search.setFocus()
    qtbot.waitUntil(search.hasFocus, timeout=WAIT_MS)
    QTest.keyClicks(search, "ms")
    QTest.keyClick(search, Qt.Key.Key_Home)
    QTest.keyClick(search, Qt.Key.Key_Delete)
    assert search.text() == "s"
    QApplication.processEvents()
    assert pending(profile) == []
    assert folder_of(profile, ids[4]) == "INBOX"


def test_single_keys_do_nothing_to_messages_outside_the_list_and_the_reader(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    """Suppr, M and S in the folder tree or the account tree do not touch the selected
    messages (Thunderbird: Suppr there is about folders); in the list they do."""
    select_rows(window, [0, 1])
    for tree in (window.folder_tree, window.account_tree):
        window.activateWindow()
        tree.setFocus()
        qtbot.waitUntil(tree.hasFocus, timeout=WAIT_MS)
        for key in (Qt.Key.Key_Delete, Qt.Key.Key_M, Qt.Key.Key_S):
            QTest.keyClick(tree, key)
        QApplication.processEvents()
        assert pending(profile) == []
        assert folder_of(profile, ids[4]) == "INBOX"
    select_rows(window, [0])
    QTest.keyClick(focus_list(qtbot, window), Qt.Key.Key_S)
    qtbot.waitUntil(lambda: bool(pending(profile)), timeout=WAIT_MS)


def test_a_message_gone_meanwhile_is_reported_not_lost(
        qtbot: Any, window: MainWindow, profile: Profile, ids: dict[int, int]) -> None:
    """The sync expunged a selected message before the list refreshed: the delete fails with
    a sentence in the status bar, and nothing else is touched."""
    select_rows(window, [0, 1])
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    inbox = profile.messages.folder(account_id, "INBOX")
    assert inbox is not None
    profile.messages.remove_uids(inbox.id, [4])
    window.delete_action.trigger()
    qtbot.waitUntil(lambda: "n'existe pas" in window.status.currentMessage(), timeout=WAIT_MS)
    assert folder_of(profile, ids[3]) == "INBOX"  # the write is one transaction: all or none
    assert pending(profile) == []
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 3, timeout=WAIT_MS)


def test_a_local_change_starts_a_pass_for_a_live_account(
        qtbot: Any, window: MainWindow, ids: dict[int, int]) -> None:
    """An account already syncing (first pass done) gets its change sent by a pass started
    shortly after (gathered); an account never synced (offline start) is not contacted."""
    started: list[str] = []
    window.sync_account = lambda account: started.append(str(account.address))  # type: ignore
    select_rows(window, [0])
    window.toggle_flag_action.trigger()
    qtbot.wait(2_500)
    assert started == []
    window._synced.add(MARTIN)
    window.toggle_flag_action.trigger()
    window.toggle_read_action.trigger()
    qtbot.waitUntil(lambda: started == [MARTIN], timeout=WAIT_MS)
    qtbot.wait(2_500)
    assert started == [MARTIN]  # two changes, one pass


def test_every_new_action_is_named_and_no_shortcut_is_shared(
        qtbot: Any, window: MainWindow) -> None:
    """Accessible names (what a screen reader says for the toolbar button and the menu item),
    the agreed keys, and one action per key sequence across the whole window."""
    from PySide6.QtGui import QAccessible

    expected = {"deleteAction": QKeySequence(QKeySequence.StandardKey.Delete).toString(),
                "toggleReadAction": "M", "toggleFlagAction": "S",
                "moveAction": "Ctrl+Shift+M"}
    for name, keys in expected.items():
        action = window.findChild(QAction, name)
        assert action is not None, name
        assert action.text().replace("&", "").strip()
        assert action.toolTip().strip()
        assert action.shortcut().toString() == keys
        button = window.toolbar.widgetForAction(action)
        assert isinstance(button, QToolButton)
        interface = QAccessible.queryAccessibleInterface(button)
        assert interface.text(QAccessible.Text.Name).replace("&", "").strip()
    for menu in (window.move_menu, window.drafts_menu, window.message_menu):
        assert menu.menuAction().text().replace("&", "").strip()
    seen: dict[str, QAction] = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            key = sequence.toString()
            assert seen.setdefault(key, action) is action, \
                f"{key}: {seen[key].objectName()} and {action.objectName()}"
    assert {"Del", "M", "S", "Ctrl+Shift+M"} <= set(seen)


def test_message_menu_sits_between_view_and_tools(qtbot: Any, window: MainWindow) -> None:
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus.index("&Message") == menus.index("&Affichage") + 1
    names = [a.objectName() for a in window.message_menu.actions() if not a.isSeparator()]
    assert names == ["toggleReadAction", "toggleFlagAction", "moveToMenuAction", "moveAction",
                     "deleteAction"]


def test_the_trash_of_a_shared_org_box_is_its_own(qtbot: Any) -> None:
    """An ORG box read through the shared namespace has no special-use attributes there: its
    "Messages supprimés" is its Trash (by name); the personal folders keep theirs (\\Trash)."""
    from app.store.message_queries import FolderCount
    from ui.models.folder_model import FolderModel
    from ui.windows.message_actions import folder_entries, trash_folder

    box = world.CARDIOLOGY_BOX.address
    root = f"Partagé/{box}"
    folders = [FolderCount(1, "INBOX", "/", None, 3, 0),
               FolderCount(2, "Trash", "/", "\\Trash", 0, 0),
               FolderCount(3, root, "/", None, 5, 1),
               FolderCount(4, f"{root}/Messages supprimés", "/", None, 0, 0),
               FolderCount(5, f"{root}/Brouillons", "/", None, 0, 0),
               FolderCount(6, "Patients/Corbeille", "/", None, 0, 0)]
    model = FolderModel()
    model.set_folders(folders, shared_mailbox=box, login=world.NURSE_PETIT.login)
    entries = folder_entries(model)
    assert {e.folder_id for e in entries} == {1, 2, 3, 4, 5, 6}
    shared_trash = trash_folder(entries, 3)
    personal_trash = trash_folder(entries, 1)
    assert shared_trash is not None and shared_trash.folder_id == 4
    assert personal_trash is not None and personal_trash.folder_id == 2
    # A label carries no unread count: "Boîte de réception", not "Boîte de réception (1)".
    assert all("(" not in e.label for e in entries)


def test_no_trash_at_all_is_none() -> None:
    from ui.windows.message_actions import FolderEntry, trash_folder

    entries = [FolderEntry(1, "INBOX", "INBOX", "Boîte de réception", None),
               FolderEntry(2, "Archives", None, "Archives", None)]
    assert trash_folder(entries, 1) is None


BIG = 1_500  # rows: 8 pages of 200, most never loaded when all are selected at once


def _big_inbox(profile: Profile) -> dict[int, int]:
    return store_messages(profile, "INBOX", {uid: f"Résultat {uid}" for uid in range(1, BIG + 1)})


def _unread_in_inbox(profile: Profile) -> int:
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    folder = profile.messages.folder(account_id, "INBOX")
    assert folder is not None
    return sum(1 for flags in profile.messages.server_uids(folder.id).values()
               if SEEN not in flags)


def test_select_all_acts_on_every_message_not_only_the_loaded_rows(
        qtbot: Any, profile: Profile) -> None:
    _big_inbox(profile)
    window = open_window(qtbot, profile)
    model = window.message_model
    assert model is not None and window.message_list is not None
    qtbot.waitUntil(lambda: model.rowCount() == BIG, timeout=WAIT_MS)
    window.message_list.table.selectAll()
    assert model.cached_rows([(0, BIG - 1)]) is None  # most pages never loaded
    window.toggle_read()
    qtbot.waitUntil(lambda: _unread_in_inbox(profile) == 0, timeout=WAIT_MS)
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    queued = profile.messages.pending_changes(account_id)
    assert sorted(c.uid for c in queued if c.kind == "add_flags") == list(range(1, BIG + 1))
    window.close()


def test_a_selection_that_moved_meanwhile_is_not_acted_on(
        qtbot: Any, profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows read from the store no longer match those the user saw (mail arrived and
    shifted the list): nothing is done, the user is asked to select again."""
    _big_inbox(profile)
    window = open_window(qtbot, profile)
    model = window.message_model
    assert model is not None and window.message_list is not None
    qtbot.waitUntil(lambda: model.rowCount() == BIG, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: model.cached_ids([(0, 0)]) != {}, timeout=WAIT_MS)
    window.message_list.table.selectAll()
    reader = model.rows_reader

    def shifted(ranges: Any) -> Any:
        read = reader(ranges)
        return lambda: read()[1:] + read()[:1]  # every row one place up

    monkeypatch.setattr(model, "rows_reader", shifted)
    window.toggle_read()
    qtbot.waitUntil(lambda: "sélectionnez à nouveau" in window.statusBar().currentMessage(),
                    timeout=WAIT_MS)
    assert _unread_in_inbox(profile) == BIG
    assert profile.messages.pending_changes(profile.messages.account_id(MARTIN, MARTIN)) == []
    window.close()
