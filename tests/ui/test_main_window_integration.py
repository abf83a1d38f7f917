"""The main window's own parts over a real encrypted profile (no servers): the patient pane and
its conversation model, the status bar, the tray notification, the consolidated runner."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QAbstractItemModelTester

from app.composition import open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.conversation import BlockReason, ConversationState, open_conversation
from app.domain.ins import compute_key
from app.events import FolderSyncProgress, MessagesStored, SyncFinished, WatchStateChanged
from ui.models.conversation_model import (
    ConversationModel,
    NodeType,
    Roles,
    format_ins,
    group_conversations,
    load_patients,
)
from ui.operations import TaskRunner
from ui.tray import NewMailNotifier
from ui.widgets.status_bar import SyncStatusBar
from ui.windows.main_window import MainWindow
from ui.windows.patient_pane import NewPatientMessageDialog

MAILBOX = "jean.martin@cabinet-rivoli.estafette-demo.mssante.fr"
WAIT_MS = 15_000


def _ins(body: str) -> str:
    return f"{body}{compute_key(body):02d}"


DURAND, LEFEVRE = _ins("2750369123045"), _ins("1580169388112")


def _conversations() -> list[Any]:
    first = open_conversation("c1", DURAND, ins_qualified=True, mailbox=MAILBOX)
    closed = open_conversation("c2", DURAND, ins_qualified=True, mailbox=MAILBOX)
    other = open_conversation("c3", LEFEVRE, ins_qualified=True, mailbox=MAILBOX)
    from dataclasses import replace

    return [first.with_message("<a@x>").with_message("<b@x>"),
            replace(closed, state=ConversationState.CLOSED),
            replace(other, state=ConversationState.BLOCKED,
                    block_reason=BlockReason.OPPOSITION)]


@pytest.fixture
def profile(tmp_path: Path) -> Any:
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    profile.accounts.add(Account(
        address=MAILBOX, kind=MailboxKind.PER, login=MAILBOX, auth=AuthMethod.PASSWORD,
        imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
        smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS)), password="secret")
    yield profile
    profile.close()


def test_conversation_model_passes_the_model_tester(qtbot) -> None:
    model = ConversationModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    rows = group_conversations(_conversations(), {f"{DURAND}@patient.mssante.fr": "DURAND Marie"})
    model.set_patients(rows)
    assert model.rowCount() == 2
    durand = model.index(0, 0)
    assert durand.data() == "DURAND Marie"  # the patient with an open conversation first
    assert durand.data(Roles.NODE_TYPE) == NodeType.PATIENT
    assert durand.data(Roles.OPEN) is True
    assert model.rowCount(durand) == 2
    assert model.index(0, 0, durand).data() == "2 messages"
    assert model.index(1, 2, durand).data() == "clôturée"
    lefevre = model.index(1, 0)
    assert lefevre.data() == "Patient (nom inconnu)"
    assert model.index(0, 2, lefevre).data() == "bloquée"
    assert "opposé" in model.index(0, 0, lefevre).data(0x03)  # ToolTipRole: the reason
    model.set_patients(rows[:1])
    model.set_patients([])
    assert model.rowCount() == 0


def test_ins_is_grouped_for_reading() -> None:
    assert format_ins("275036912304512") == "2 75 03 69 123 045 12"
    assert format_ins("short") == "short"


def test_patients_load_from_the_encrypted_store(qtbot, profile: Any) -> None:
    from app.store.conversation_store import ConversationStore

    store = ConversationStore(database=profile.database)
    for conversation in _conversations():
        store.save(conversation)
    rows = load_patients(profile.database, MAILBOX)
    assert [r.ins for r in rows] == [DURAND, LEFEVRE]
    assert load_patients(profile.database, "other@x.mssante.fr") == []


def test_patient_names_come_from_what_the_patient_sent_through_the_patient_index(
        qtbot, profile: Any) -> None:
    from app.store.conversation_store import ConversationStore
    from app.store.message_store import FolderInfo, HeaderRecord

    store = ConversationStore(database=profile.database)
    for conversation in _conversations():
        store.save(conversation)
    account_id = profile.messages.account_id(MAILBOX, MAILBOX)
    (inbox,) = profile.messages.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])

    def header(uid: int, from_name: str, from_addr: str, to_addrs: str) -> HeaderRecord:
        return HeaderRecord(uid=uid, message_id=f"<p{uid}@x>", date=1_700_000_000 + uid,
                            internaldate=None, from_name=from_name, from_addr=from_addr,
                            to_display="", to_addrs=to_addrs, cc_display="", cc_addrs="",
                            subject="s", flags=frozenset(), size=1, has_attachments=False,
                            is_xdm=False)

    durand = f"{DURAND}@patient.mssante.fr"
    profile.messages.store_headers(inbox.id, [
        header(1, "Marie DURAND", durand.upper(), MAILBOX),  # what she sent: her name
        header(2, "Dr Jean MARTIN", MAILBOX, durand),  # sent to her: not her name
    ])
    rows = {r.ins: r for r in load_patients(profile.database, MAILBOX)}
    assert rows[DURAND].name == "Marie DURAND"
    assert rows[LEFEVRE].name == ""  # no message told it
    plan = " | ".join(str(r[3]) for r in profile.database.query(
        "EXPLAIN QUERY PLAN SELECT patient_addr, from_name FROM message WHERE patient_addr IN "
        "(?, ?) AND lower(from_addr) = patient_addr AND from_name != '' GROUP BY patient_addr",
        (durand, "x@patient.mssante.fr")))
    assert "message_patient" in plan and "SCAN message" not in plan


def test_new_patient_message_needs_a_qualified_ins(qtbot) -> None:
    """ECO.2.2.6: the patient address is only built from a qualified INS."""
    dialog = NewPatientMessageDialog(ins=DURAND)
    qtbot.addWidget(dialog)
    got: list[tuple[str, str]] = []
    dialog.accepted_ins.connect(lambda ins, address: got.append((ins, address)))
    dialog._check()
    assert got == [] and not dialog.error_label.isHidden()
    assert "qualifi" in dialog.error_label.text()
    dialog.qualified_check.setChecked(True)
    dialog._check()
    assert got == [(DURAND, f"{DURAND}@patient.mssante.fr")]


def test_patient_pane_shows_the_conversations(qtbot, profile: Any) -> None:
    from app.store.conversation_store import ConversationStore

    store = ConversationStore(database=profile.database)
    for conversation in _conversations():
        store.save(conversation)
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    window.show()
    account = window.account_model.account_index(MAILBOX)
    window.account_tree.setCurrentIndex(window.account_model.index(1, 0, account))
    qtbot.waitUntil(lambda: window.patient_pane.model.rowCount() == 2, timeout=WAIT_MS)
    assert window.patient_pane.isVisible()
    assert window.patient_pane.new_button.text() == "Nouveau message patient"
    window.account_tree.setCurrentIndex(window.account_model.index(0, 0, account))
    assert not window.patient_pane.isVisible()
    window.close()


def test_status_bar_follows_the_sync_events(qtbot) -> None:
    bar = SyncStatusBar()
    qtbot.addWidget(bar)
    assert "Hors ligne" in bar.connection_label.text()
    bar.sync_started(MAILBOX)
    bar.handle_event(FolderSyncProgress(MAILBOX, "INBOX", "headers", 5, 20))
    assert bar.progress.maximum() == 20 and bar.progress.value() == 5
    assert "5/20" in bar.sync_label.text()
    bar.handle_event(SyncFinished(MAILBOX, new=3, changed=0, removed=0))
    assert "3 nouveau" in bar.sync_label.text()
    bar.handle_event(WatchStateChanged(MAILBOX, "idle"))
    assert "Connecté" in bar.connection_label.text()
    bar.handle_event(WatchStateChanged(MAILBOX, "disconnected", error="Serveur injoignable"))
    assert "Connexion perdue" in bar.connection_label.text()
    bar.set_outbox_count(2)
    assert bar.outbox_label.text() == "2 messages à envoyer"


def test_status_bar_shows_the_quota_and_warns_near_the_limit(qtbot) -> None:
    bar = SyncStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    assert not bar.quota_label.isVisible()  # no quota announced yet
    gib = 1024 ** 3
    bar.set_quota(gib // 4, gib)
    assert bar.quota_label.isVisible()
    assert bar.quota_label.text() == "Quota : 25 %"
    assert bar.quota_label.styleSheet() == ""
    # The tighter of the two limits is the one shown.
    bar.set_quota(gib // 4, gib, messages_used=930, messages_limit=1000)
    assert bar.quota_label.text() == "Quota : 93 %"
    assert "#8a6d00" in bar.quota_label.styleSheet()
    assert "930 messages sur 1" in bar.quota_label.toolTip()
    bar.set_quota(gib, gib)
    assert "#a4262c" in bar.quota_label.styleSheet()
    # Over quota (a server may report it) and nonsense from a server: shown or hidden, no crash.
    bar.set_quota(3 * gib, gib)
    assert bar.quota_label.text() == "Quota : 300 %"
    bar.set_quota(-5, gib)
    assert bar.quota_label.text() == "Quota : 0 %"
    for used, limit in ((10, 0), (10, -1), (None, gib), (10, None)):
        bar.set_quota(used, limit)
        assert not bar.quota_label.isVisible(), (used, limit)
    bar.set_quota(None, None)
    assert not bar.quota_label.isVisible()


def test_tray_says_only_how_many(qtbot) -> None:
    """No sender, subject or patient in a notification; the first pass is not "new"."""
    notifier = NewMailNotifier(gather_ms=10, use_tray=False)
    shown: list[str] = []
    notifier.notified.connect(shown.append)
    notifier.handle_event(MessagesStored(MAILBOX, "INBOX", (1, 2, 3, 4), inbox=True))  # 1st
    notifier.handle_event(SyncFinished(MAILBOX, new=4, changed=0, removed=0))
    notifier.handle_event(MessagesStored(MAILBOX, "INBOX", (5, 6), inbox=True))
    notifier.handle_event(MessagesStored(MAILBOX, "INBOX", (7,), inbox=True))
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown == ["3 nouveaux messages"]


def test_tray_announces_an_org_box_s_shared_inbox_but_not_its_other_folders(qtbot) -> None:
    box = "cardiologie@chu-lumiere.estafette-demo.mssante.fr"
    root = f"Partagé/{box}"
    notifier = NewMailNotifier(gather_ms=10, use_tray=False)
    shown: list[str] = []
    notifier.notified.connect(shown.append)
    notifier.handle_event(SyncFinished(box, new=0, changed=0, removed=0))
    notifier.handle_event(MessagesStored(box, f"{root}/Messages envoyés", (1,), inbox=False))
    notifier.handle_event(MessagesStored(box, root, (2, 3), inbox=True))
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown == ["2 nouveaux messages"]


def test_task_runner_delivers_on_the_gui_thread_and_drops_stale_answers(qtbot) -> None:
    from concurrent.futures import ThreadPoolExecutor

    gui = threading.get_ident()
    with ThreadPoolExecutor(1) as pool:
        runner = TaskRunner(pool, latest_only=True)
        got: list[tuple[str, int]] = []
        gate = threading.Event()
        runner.run(lambda: gate.wait(5) and "old", lambda r: got.append((r, threading.get_ident())))
        runner.run(lambda: "new", lambda r: got.append((r, threading.get_ident())))
        gate.set()
        qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
        assert got == [("new", gui)]
        runner.close()
        runner.run(lambda: "late", lambda r: got.append((r, 0)))
        pool.submit(lambda: None).result()
        qtbot.wait(50)
        assert got == [("new", gui)]


def test_window_builds_the_reader_and_the_services_after_the_first_paint(
        qtbot, tmp_path: Path) -> None:
    """``ui.main`` opens the profile with its services deferred: the window shows the list
    without them, then builds them off the UI thread and counts the outbox; the reading pane
    and the preview pane are built when first needed."""
    profile = open_profile(tmp_path / "deferred", key_file=tmp_path / "key", defer_services=True)
    try:
        profile.accounts.add(Account(
            address=MAILBOX, kind=MailboxKind.PER, login=MAILBOX, auth=AuthMethod.PASSWORD,
            imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
            smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS)), password="secret")
        window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                            use_tray=False)
        qtbot.addWidget(window)
        assert profile._services == {} and not window._outbox_timer.isActive()
        assert window._reader is None and window._preview_panel is None
        assert window.reader_stack.count() == 1  # the placeholder only
        window.show()
        qtbot.waitUntil(lambda: profile._services_started, timeout=WAIT_MS)
        qtbot.waitUntil(window._outbox_timer.isActive, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: "vide" in window.status.outbox_label.text()
                        or "envoyer" in window.status.outbox_label.text(), timeout=WAIT_MS)
        assert window._reader is None  # no message opened yet
        reader = window.reader
        assert window.reader_stack.count() == 2 and window.reader_stack.widget(1) is (
            window.reader_splitter)
        assert reader is window.reader and window.attachment_bar.isHidden()
        panel = window.preview_panel
        assert window.reader_splitter.indexOf(panel) == 1 and panel.isHidden()
        window.close()
    finally:
        profile.close()


def test_no_two_actions_of_the_window_share_a_shortcut(qtbot, profile: Any) -> None:
    """With two actions on one key sequence Qt fires neither (Forward and Lock once both had
    Ctrl+L): every shortcut of the composed window, lock included, is unique."""
    from PySide6.QtGui import QAction

    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    assert window.lock is not None
    seen: dict[str, QAction] = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            key = sequence.toString()
            assert seen.setdefault(key, action) is action, \
                f"{key}: {seen[key].objectName()} and {action.objectName()}"
    assert seen["Ctrl+Shift+L"].objectName() == "lockAction" and "Ctrl+L" in seen
    window.close()
