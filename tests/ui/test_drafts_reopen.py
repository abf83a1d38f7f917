"""Reopening drafts from the main window (issue #7): "Fichier ▸ Brouillons" lists the drafts the
composer saved in the encrypted store as the user typed (subject on screen only, never logged);
double-click / Entrée on a message of the server's \\Drafts folder opens it in the composer.
Reopening restores recipients, subject, text, attachments and the read-receipt request; sending
removes the draft; a draft is never left twice (local and server copy).

A real encrypted profile, no server: the server draft is stored as the sync stores a message.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.store.message_store import BodyRecord, FolderInfo, HeaderRecord
from app.store.outbox_store import DraftStore
from tests.sandbox import demo_world as world
from tests.ui.test_composer import whitelist_xml
from ui.dialogs.composer import FileAttachment
from ui.windows.main_window import MainWindow

WAIT_MS = 20_000
MARTIN = world.DR_MARTIN.login
BERNARD = world.DR_BERNARD.login
NURSE = world.NURSE_PETIT.login
SUBJECT = "Suivi & bilan de Mme DURAND"
FOLDERS = [FolderInfo("INBOX", "/", None), FolderInfo("Drafts", "/", "\\Drafts"),
           FolderInfo("Sent", "/", "\\Sent"), FolderInfo("Trash", "/", "\\Trash")]
PDF = b"%PDF-1.4\n% Estafette test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _account() -> Account:
    return Account(address=MARTIN, kind=MailboxKind.PER, login=MARTIN, auth=AuthMethod.PASSWORD,
                   display_name="Dr Jean MARTIN",
                   imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
                   smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS))


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    profile.accounts.add(_account(), password="secret")
    xml = whitelist_xml(*world.WHITELISTED_DOMAINS)
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    profile.messages.replace_folders(account_id, FOLDERS)
    yield profile
    profile.close()


@pytest.fixture
def window(qtbot: Any, profile: Profile) -> Iterator[MainWindow]:
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        undo_seconds=600, use_tray=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.current_folder_id() is not None, timeout=WAIT_MS)
    yield window
    for composer in list(window.composers):
        composer._finished = True  # nothing leaves: the undo window is ten minutes
        if composer.toast is not None:
            composer.toast.close()
        composer.close()
        qtbot.waitUntil(lambda c=composer: not c._runner.busy, timeout=WAIT_MS)
    window.close()


def drafts(profile: Profile) -> DraftStore:
    return DraftStore(database=profile.database)


def store_server_draft(profile: Profile, raw: bytes, *, uid: int = 11) -> int:
    """``raw`` in the account's \\Drafts folder, as the sync's header and body passes store it."""
    messages = profile.messages
    account_id = messages.account_id(MARTIN, MARTIN)
    folder = messages.folder(account_id, "Drafts")
    assert folder is not None
    messages.store_headers(folder.id, [HeaderRecord(
        uid=uid, message_id=f"<draft{uid}@rivoli.example>", date=1_793_700_000,
        internaldate=None, from_name="Dr Jean MARTIN", from_addr=MARTIN, to_display=BERNARD,
        to_addrs=BERNARD, cc_display="", cc_addrs="", subject="(brouillon)",
        flags=frozenset({"\\Draft", "\\Seen"}), size=len(raw), has_attachments=True,
        is_xdm=False)])
    messages.store_bodies(folder.id, [BodyRecord(uid=uid, raw=raw, text="")])
    return messages.find_by_header_id(f"<draft{uid}@rivoli.example>")[0]


def server_draft_bytes() -> bytes:
    message = EmailMessage()
    message["From"] = f"Dr Jean MARTIN <{MARTIN}>"
    message["To"] = f"Dr Claire BERNARD <{BERNARD}>"
    message["Cc"] = NURSE
    message["Subject"] = SUBJECT
    message["Date"] = "Tue, 03 Nov 2026 10:15:00 +0100"
    message["Message-ID"] = "<draft11@rivoli.example>"
    message["In-Reply-To"] = "<parent@croix-rousse.example>"
    message["References"] = "<root@rivoli.example> <parent@croix-rousse.example>"
    message["Disposition-Notification-To"] = MARTIN
    message.set_content("Bonjour Claire,\n\nVoici le bilan.\n")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="bilan.pdf")
    return message.as_bytes(policy=email.policy.SMTP)


def show_drafts_folder(qtbot: Any, window: MainWindow, profile: Profile, rows: int) -> None:
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    folder = profile.messages.folder(account_id, "Drafts")
    assert folder is not None and window.message_model is not None
    window.folder_tree.setCurrentIndex(window.folder_model.index_of(folder.id))
    qtbot.waitUntil(lambda: window.current_folder_id() == folder.id
                    and window.message_model.rowCount() == rows, timeout=WAIT_MS)


def draft_actions(window: MainWindow) -> dict[str, Any]:
    return {a.objectName(): a for a in window.drafts_menu.actions() if a.objectName()}


def restored(composer: Any) -> bool:
    return (composer.subject_edit.text() == SUBJECT
            and composer.to_field.addresses() == [BERNARD]
            and composer.cc_field.addresses() == [NURSE]
            and len(composer.attachments()) == 1)


def reopen_server_draft(qtbot: Any, window: MainWindow, profile: Profile) -> tuple[int, Any]:
    """A draft stored in the server's Drafts folder, opened from the list into a composer."""
    message_id = store_server_draft(profile, server_draft_bytes())
    show_drafts_folder(qtbot, window, profile, 1)
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        window._on_message_activated(message_id)
    composer = opened.args[0]
    qtbot.waitUntil(lambda: restored(composer), timeout=WAIT_MS)
    return message_id, composer


def queue(qtbot: Any, composer: Any, profile: Profile) -> bytes:
    qtbot.waitUntil(lambda: composer.from_account() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not composer._runner.busy, timeout=WAIT_MS)
    with qtbot.waitSignal(composer.queued, timeout=WAIT_MS) as queued:
        composer.send()
    return bytes(profile.outbox.store.raw(int(queued.args[0])))


def test_a_saved_draft_reopens_from_the_menu_and_sending_removes_it(
        qtbot: Any, window: MainWindow, profile: Profile,
        caplog: pytest.LogCaptureFixture) -> None:
    """Written in a composer (saved as typed), closed, then Fichier ▸ Brouillons: everything
    comes back; opening it twice gives the same composer; sending leaves no draft behind."""
    caplog.set_level(logging.DEBUG)
    window.new_message_action.trigger()
    writer = window.composers[-1]
    qtbot.waitUntil(lambda: writer.from_account() is not None, timeout=WAIT_MS)
    writer.to_field.add_addresses([BERNARD])
    writer.cc_field.add_addresses([NURSE])
    writer.subject_edit.setText(SUBJECT)
    writer.body_edit.setPlainText("Bonjour Claire,\nVoici le bilan.")
    writer.mdn_check.setChecked(True)
    writer.add_attachments([FileAttachment("bilan.pdf", PDF, "application/pdf")])
    QTest.keyClick(writer.body_edit, Qt.Key.Key_Escape)  # closes and keeps the draft
    store = drafts(profile)
    qtbot.waitUntil(lambda: [d.subject for d in store.summaries()] == [SUBJECT]
                    and bool((store.get(store.summaries()[0].id) or {}).get("attachments")),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not writer._runner.busy, timeout=WAIT_MS)
    [summary] = store.summaries()

    window.drafts_menu.aboutToShow.emit()
    qtbot.waitUntil(lambda: f"draft{summary.id}" in draft_actions(window), timeout=WAIT_MS)
    entry = draft_actions(window)[f"draft{summary.id}"]
    assert entry.text().startswith("Suivi && bilan de Mme DURAND — ")  # "&" is no mnemonic
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        entry.trigger()
    composer = opened.args[0]
    qtbot.waitUntil(lambda: restored(composer), timeout=WAIT_MS)
    assert composer is not writer and composer.draft_id == summary.id
    assert composer.body_edit.toPlainText() == "Bonjour Claire,\nVoici le bilan."
    assert composer.mdn_check.isChecked()
    [attachment] = composer.attachments()
    assert (attachment.filename, attachment.data) == ("bilan.pdf", PDF)

    assert window.open_draft(summary.id) is composer  # not a second copy of the same draft
    assert [c for c in window.composers if c.isVisible()] == [composer]

    raw = queue(qtbot, composer, profile)
    qtbot.waitUntil(lambda: store.summaries() == [], timeout=WAIT_MS)
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert sent["Subject"] == SUBJECT and sent["Disposition-Notification-To"]
    assert [p.get_filename() for p in sent.iter_attachments()] == ["bilan.pdf"]
    assert len(profile.outbox.items()) == 1
    window.drafts_menu.aboutToShow.emit()
    qtbot.waitUntil(lambda: [a.text() for a in window.drafts_menu.actions()]
                    == ["Aucun brouillon"], timeout=WAIT_MS)
    assert "DURAND" not in caplog.text  # the subject is shown, never logged


def test_a_server_draft_opens_on_enter_and_is_replaced_once_edited(
        qtbot: Any, window: MainWindow, profile: Profile) -> None:
    """A draft of the \\Drafts folder (another client's): Entrée opens it in the composer with
    its recipients, subject, text, attachment, receipt request and threading headers. Nothing
    changes until the composer saves: then the composer's draft replaces the server copy,
    which is deleted (and the deletion queued for the server) — one draft, never two."""
    message_id = store_server_draft(profile, server_draft_bytes())
    show_drafts_folder(qtbot, window, profile, 1)
    assert window.message_list is not None
    table = window.message_list.table
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        table.selectRow(0)
    window.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus, timeout=WAIT_MS)
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        QTest.keyClick(table, Qt.Key.Key_Return)
    composer = opened.args[0]
    qtbot.waitUntil(lambda: restored(composer), timeout=WAIT_MS)
    assert composer.body_edit.toPlainText().startswith("Bonjour Claire,")
    assert composer.mdn_check.isChecked()
    assert composer.in_reply_to == "<parent@croix-rousse.example>"
    assert composer.references == ("<root@rivoli.example>", "<parent@croix-rousse.example>")
    assert composer.attachments()[0].data == PDF
    qtbot.wait(1_500)  # past the composer's draft delay: opened, not edited, nothing saved
    store = drafts(profile)
    assert store.summaries() == [] and profile.messages.get(message_id) is not None

    # Entrée again on the same draft: the composer already editing it comes forward.
    window._on_message_activated(message_id)
    assert [c for c in window.composers if c.isVisible()] == [composer]

    composer.body_edit.moveCursor(composer.body_edit.textCursor().MoveOperation.End)
    QTest.keyClicks(composer.body_edit, "Cordialement.")
    qtbot.waitUntil(lambda: profile.messages.get(message_id) is None, timeout=WAIT_MS)
    assert [d.subject for d in store.summaries()] == [SUBJECT]
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    assert [(c.kind, c.uid, c.folder_name) for c in profile.messages.pending_changes(
        account_id)] == [("delete", 11, "Drafts")]
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 0, timeout=WAIT_MS)

    raw = queue(qtbot, composer, profile)
    qtbot.waitUntil(lambda: store.summaries() == [], timeout=WAIT_MS)
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert sent["In-Reply-To"] == "<parent@croix-rousse.example>"
    assert "Cordialement." in sent.get_body(("plain",)).get_content()


def test_a_server_draft_sent_unchanged_is_removed_from_drafts(
        qtbot: Any, window: MainWindow, profile: Profile) -> None:
    message_id, composer = reopen_server_draft(qtbot, window, profile)
    queue(qtbot, composer, profile)
    qtbot.waitUntil(lambda: profile.messages.get(message_id) is None, timeout=WAIT_MS)
    assert drafts(profile).summaries() == []


def test_a_draft_closed_unchanged_stays_where_it_was(
        qtbot: Any, window: MainWindow, profile: Profile) -> None:
    message_id, composer = reopen_server_draft(qtbot, window, profile)
    composer.close()
    qtbot.waitUntil(lambda: not composer._runner.busy, timeout=WAIT_MS)
    qtbot.wait(1_500)
    assert profile.messages.get(message_id) is not None
    assert drafts(profile).summaries() == []
    account_id = profile.messages.account_id(MARTIN, MARTIN)
    assert profile.messages.pending_changes(account_id) == []


def test_damaged_drafts_do_not_break_the_menu(
        qtbot: Any, window: MainWindow, profile: Profile) -> None:
    """A payload that is not JSON, a subject that is not text, a subject with markup and line
    breaks: the menu lists them (no subject, or the text as it is), nothing raises."""
    def insert(payload: str) -> None:
        profile.database.write(lambda conn: conn.execute(
            "INSERT INTO draft (account_address, payload, created_at, updated_at) "
            "VALUES (?, ?, 1, 1)", (MARTIN, payload)))

    insert("{not json")
    insert('{"subject": {"a": 1}}')
    insert('{"subject": "<b>gras</b>\\nligne 2"}')
    window.drafts_menu.aboutToShow.emit()
    qtbot.waitUntil(lambda: len(draft_actions(window)) == 3, timeout=WAIT_MS)
    texts = sorted(a.text() for a in draft_actions(window).values())
    assert any(t.startswith("(sans objet) — ") for t in texts)
    assert any(t.startswith("<b>gras</b>") for t in texts)
    assert window.drafts_menu.isEnabled()


def test_garbage_in_the_drafts_folder_opens_an_empty_composer(
        qtbot: Any, window: MainWindow, profile: Profile) -> None:
    message_id = store_server_draft(profile, b"\x00\xff garbage \r\n\r\n--\x80")
    show_drafts_folder(qtbot, window, profile, 1)
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        window._on_message_activated(message_id)
    composer = opened.args[0]
    qtbot.waitUntil(lambda: composer.from_account() is not None, timeout=WAIT_MS)
    assert composer.to_field.addresses() == [] and composer.attachments() == []
    assert profile.messages.get(message_id) is not None


def test_enter_outside_the_drafts_folder_does_not_open_a_composer(
        qtbot: Any, window: MainWindow, profile: Profile) -> None:
    messages = profile.messages
    account_id = messages.account_id(MARTIN, MARTIN)
    inbox = messages.folder(account_id, "INBOX")
    assert inbox is not None
    raw = server_draft_bytes()
    messages.store_headers(inbox.id, [HeaderRecord(
        uid=5, message_id="<in5@x>", date=1_793_700_000, internaldate=None, from_name="",
        from_addr=BERNARD, to_display=MARTIN, to_addrs=MARTIN, cc_display="", cc_addrs="",
        subject="Reçu", flags=frozenset(), size=len(raw), has_attachments=False,
        is_xdm=False)])
    messages.store_bodies(inbox.id, [BodyRecord(uid=5, raw=raw, text="")])
    assert window.message_model is not None
    window.message_model.refresh()
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 1, timeout=WAIT_MS)
    opened: list[Any] = []
    window.composer_opened.connect(opened.append)
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        window._on_message_activated(messages.find_by_header_id("<in5@x>")[0])
    assert opened == []
