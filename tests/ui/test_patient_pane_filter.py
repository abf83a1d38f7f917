"""The two panes of a mailbox (spec §9, issue #7): "Professionnels" lists no message exchanged
with a patient, "Patients" lists only those, grouped by patient in the patient pane; choosing a
patient narrows the list to that patient's messages. Over a real encrypted profile, with the
item models under QAbstractItemModelTester."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.conversation import ConversationState, open_conversation
from app.domain.ins import compute_key
from app.store.conversation_store import ConversationStore
from app.store.message_queries import Audience, ListQuery, MessageQueries
from app.store.message_store import SEEN, FolderInfo, HeaderRecord
from ui.models.conversation_model import Column as PatientColumn
from ui.models.conversation_model import Roles as PatientRoles
from ui.models.message_list_model import Column, MessageListModel
from ui.windows.main_window import MainWindow

MAILBOX = "jean.martin@cabinet-rivoli.estafette-demo.mssante.fr"
WAIT_MS = 15_000


def _ins(body: str) -> str:
    return f"{body}{compute_key(body):02d}"


DURAND, LEFEVRE = _ins("2750369123045"), _ins("1580169388112")
DURAND_ADDRESS = f"{DURAND}@patient.mssante.fr"
LEFEVRE_ADDRESS = f"{LEFEVRE}@patient.mssante.fr"


def _header(uid: int, subject: str, **changes: Any) -> HeaderRecord:
    values: dict[str, Any] = {
        "uid": uid, "message_id": f"<m{uid}@exemple.fr>", "date": 1_700_000_000 + uid * 60,
        "internaldate": None, "from_name": "Dr Alice DURAND",
        "from_addr": "alice.durand@chu.mssante.fr", "to_display": "", "to_addrs": MAILBOX,
        "cc_display": "", "cc_addrs": "", "subject": subject, "flags": frozenset({SEEN}),
        "size": 100, "has_attachments": False, "is_xdm": False,
    }
    values.update(changes)
    return HeaderRecord(**values)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    """A mailbox with professionals' mail and two patients' (Marie DURAND: one open and one
    closed conversation; Paul LEFÈVRE: one closed), in its inbox and its Sent folder."""
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    profile.accounts.add(Account(
        address=MAILBOX, kind=MailboxKind.PER, login=MAILBOX, auth=AuthMethod.PASSWORD,
        imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
        smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS)), password="secret")
    messages = profile.messages
    account_id = messages.account_id(MAILBOX, MAILBOX)
    folders = {f.name: f.id for f in messages.replace_folders(
        account_id, [FolderInfo("INBOX", "/", None), FolderInfo("Sent", "/", "\\Sent")])}
    messages.store_headers(folders["INBOX"], [
        _header(1, "Avis cardiologique"),
        _header(2, "Question sur le traitement", from_name="DURAND Marie",
                from_addr=DURAND_ADDRESS),
        _header(3, "Compte rendu opératoire", from_name="Dr Paul MARTIN",
                from_addr="paul.martin@clinique.mssante.fr"),
        _header(4, "Bilan sanguin de contrôle", from_name="LEFÈVRE Paul",
                from_addr=LEFEVRE_ADDRESS),
        _header(5, "Bilan de sortie", from_name="Dr Paul MARTIN",
                from_addr="paul.martin@clinique.mssante.fr"),
        _header(6, "Bilan à refaire", from_name="DURAND Marie", from_addr=DURAND_ADDRESS),
    ])
    messages.store_headers(folders["Sent"], [
        _header(1, "Vos résultats", from_addr=MAILBOX, to_addrs=DURAND_ADDRESS),
        _header(2, "Demande d'avis", from_addr=MAILBOX, to_addrs="alice.durand@chu.mssante.fr"),
    ])
    conversations = ConversationStore(database=profile.database)
    conversations.save(open_conversation("c1", DURAND, ins_qualified=True, mailbox=MAILBOX))
    conversations.save(replace(open_conversation("c2", DURAND, ins_qualified=True,
                                                 mailbox=MAILBOX),
                               state=ConversationState.CLOSED))
    conversations.save(replace(open_conversation("c3", LEFEVRE, ins_qualified=True,
                                                 mailbox=MAILBOX),
                               state=ConversationState.CLOSED))
    yield profile
    profile.close()


def _subjects(model: MessageListModel) -> list[str]:
    return [model.index(r, Column.SUBJECT).data() for r in range(model.rowCount())]


def _wait_subjects(qtbot: Any, window: MainWindow, expected: list[str]) -> None:
    model = window.message_model
    assert model is not None
    qtbot.waitUntil(lambda: not model.is_loading() and _subjects(model) == expected,
                    timeout=WAIT_MS)


@pytest.fixture
def window(qtbot: Any, profile: Profile) -> Iterator[MainWindow]:
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    assert window.message_model is not None
    # Every model the panes drive, checked on each of their signals from the start.
    testers = [QAbstractItemModelTester(model,
                                        QAbstractItemModelTester.FailureReportingMode.Fatal)
               for model in (window.message_model, window.patient_pane.model)]
    window.show()
    yield window
    del testers
    window.close()


def _pane(window: MainWindow, row: int) -> None:
    account = window.account_model.account_index(MAILBOX)
    window.account_tree.setCurrentIndex(window.account_model.index(row, 0, account))


def _choose_patient(qtbot: Any, window: MainWindow, address: str) -> None:
    """A click on the patient's row, as the user does."""
    pane = window.patient_pane
    row = next(i for i, p in enumerate(pane.model.patients()) if p.address == address)
    rect = pane.tree.visualRect(pane.model.index(row, PatientColumn.PATIENT))
    qtbot.mouseClick(pane.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


PROFESSIONALS = ["Bilan de sortie", "Compte rendu opératoire", "Avis cardiologique"]
PATIENTS = ["Bilan à refaire", "Bilan sanguin de contrôle", "Question sur le traitement"]


def test_the_professionals_pane_lists_no_patient_message(qtbot: Any, window: MainWindow) -> None:
    _wait_subjects(qtbot, window, PROFESSIONALS)  # the inbox of the first pane
    assert not window.patient_pane.isVisible()
    assert window.message_model is not None and window.message_model.query is not None
    assert window.message_model.query.audience is Audience.PROFESSIONALS


def test_the_patients_pane_lists_them_grouped_by_patient(qtbot: Any,
                                                         window: MainWindow) -> None:
    _wait_subjects(qtbot, window, PROFESSIONALS)
    _pane(window, 1)
    _wait_subjects(qtbot, window, PATIENTS)
    pane = window.patient_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=WAIT_MS)
    assert pane.isVisible() and pane.new_button.isEnabled()
    # One row per patient: name (from their messages), INS, open or not; conversations below.
    durand, lefevre = pane.model.index(0, 0), pane.model.index(1, 0)
    assert durand.data() == "DURAND Marie" and lefevre.data() == "LEFÈVRE Paul"
    assert pane.model.index(0, PatientColumn.INS).data() == "2 75 03 69 123 045 " + DURAND[-2:]
    assert pane.model.index(0, PatientColumn.STATE).data() == "1 ouverte(s)"
    assert pane.model.index(1, PatientColumn.STATE).data() == "aucune ouverte"
    assert durand.data(PatientRoles.OPEN) is True and lefevre.data(PatientRoles.OPEN) is False
    states = [pane.model.index(r, PatientColumn.STATE, durand).data() for r in range(2)]
    assert sorted(states) == ["clôturée", "ouverte"]
    # Back to the other pane: the same folder, its professionals' messages again.
    _pane(window, 0)
    _wait_subjects(qtbot, window, PROFESSIONALS)


def test_choosing_a_patient_shows_only_their_messages(qtbot: Any, window: MainWindow) -> None:
    _wait_subjects(qtbot, window, PROFESSIONALS)
    _pane(window, 1)
    pane = window.patient_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=WAIT_MS)
    _wait_subjects(qtbot, window, PATIENTS)
    assert not pane.all_button.isEnabled()

    with qtbot.waitSignal(pane.patient_selected, timeout=WAIT_MS):
        _choose_patient(qtbot, window, DURAND_ADDRESS)
    _wait_subjects(qtbot, window, ["Bilan à refaire", "Question sur le traitement"])
    assert pane.all_button.isEnabled()
    # Another conversation of the same patient: the same list, nothing announced.
    with qtbot.assertNotEmitted(pane.patient_selected):
        pane.tree.setCurrentIndex(pane.model.index(1, 0, pane.model.index(0, 0)))
    # Search inside that patient's messages.
    assert window.message_list is not None
    window.message_list.search.setText("bilan")
    window.message_list.apply_search()
    _wait_subjects(qtbot, window, ["Bilan à refaire"])
    window.message_list.search.clear()
    window.message_list.apply_search()
    _wait_subjects(qtbot, window, ["Bilan à refaire", "Question sur le traitement"])

    # New mail reloads the patients: the chosen one stays chosen, the list stays narrowed.
    with qtbot.assertNotEmitted(pane.patient_selected):
        pane.set_patients(list(pane.model.patients()))
    assert pane.selected_patient_address() == DURAND_ADDRESS
    assert pane.model.patient(pane.tree.currentIndex()).address == DURAND_ADDRESS

    # Patient B: A's messages go.
    _choose_patient(qtbot, window, LEFEVRE_ADDRESS)
    _wait_subjects(qtbot, window, ["Bilan sanguin de contrôle"])

    # Patient A again, then A's side of the Sent folder.
    _choose_patient(qtbot, window, DURAND_ADDRESS)
    _wait_subjects(qtbot, window, ["Bilan à refaire", "Question sur le traitement"])
    sent = next(window.folder_model.index(r, 0) for r in range(window.folder_model.rowCount())
                if window.folder_model.index(r, 0).data() != "Boîte de réception")
    window.folder_tree.setCurrentIndex(sent)
    _wait_subjects(qtbot, window, ["Vos résultats"])

    # Every patient again.
    with qtbot.waitSignal(pane.patient_selected, timeout=WAIT_MS) as announced:
        pane.all_button.click()
    assert announced.args == [None]
    assert not pane.all_button.isEnabled()
    _wait_subjects(qtbot, window, ["Vos résultats"])
    inbox = window.folder_model.inbox_index()
    window.folder_tree.setCurrentIndex(inbox)
    _wait_subjects(qtbot, window, PATIENTS)


def test_a_patient_gone_from_the_reload_widens_the_list(qtbot: Any, window: MainWindow) -> None:
    _wait_subjects(qtbot, window, PROFESSIONALS)
    _pane(window, 1)
    pane = window.patient_pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=WAIT_MS)
    _choose_patient(qtbot, window, LEFEVRE_ADDRESS)
    _wait_subjects(qtbot, window, ["Bilan sanguin de contrôle"])
    with qtbot.waitSignal(pane.patient_selected, timeout=WAIT_MS) as announced:
        pane.set_patients([p for p in pane.model.patients() if p.address != LEFEVRE_ADDRESS])
    assert announced.args == [None] and pane.selected_patient_address() is None
    _wait_subjects(qtbot, window, PATIENTS)


def test_the_list_model_follows_the_pane_filter(qtbot: Any, qtmodeltester: Any,
                                                profile: Profile) -> None:
    """``MessageListModel.set_filter`` alone: the folder, the audience and the patient change,
    the search and the order stay."""
    account_id = profile.messages.account_id(MAILBOX, MAILBOX)
    inbox = next(f.id for f in profile.messages.folders(account_id) if f.name == "INBOX")
    model = MessageListModel(source=MessageQueries(database=profile.database),
                             executor=profile.executors.db, page_size=2)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.set_query(ListQuery(folder_id=inbox))
    assert model.rowCount() == 6
    model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: not model.is_loading(), timeout=WAIT_MS)
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.set_filter(inbox, Audience.PATIENTS)
    qtbot.waitUntil(lambda: _subjects(model) == [
        "Bilan à refaire", "Bilan sanguin de contrôle", "Question sur le traitement"],
        timeout=WAIT_MS)
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.set_search("bilan")
    assert model.rowCount() == 2
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.set_filter(inbox, Audience.PATIENTS, DURAND)  # by INS
    qtbot.waitUntil(lambda: _subjects(model) == ["Bilan à refaire"], timeout=WAIT_MS)
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        model.set_filter(inbox, Audience.PROFESSIONALS)
    qtbot.waitUntil(lambda: _subjects(model) == ["Bilan de sortie"], timeout=WAIT_MS)
    assert model.query is not None and model.query.search == "bilan"
    assert model.rowCount(QModelIndex()) == 1
