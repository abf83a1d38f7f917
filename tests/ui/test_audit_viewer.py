"""The audit viewer for an ORG box's manager (ECO.4.1.1–2): entries of a real encrypted profile,
filters by mailbox, start day and action, and the CSV export through AuditService."""

from __future__ import annotations

import csv
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.audit import AuditAction, AuditActor, AuditFailure
from app.services.audit_service import AuditService
from app.store.audit_store import AuditStore
from ui.dialogs.audit_viewer import AuditTableModel, AuditViewer

PARIS = timezone(timedelta(hours=1))
ACCUEIL = "accueil@ch-exemple.mssante.fr"
LABO = "labo@ch-exemple.mssante.fr"


class SteppingClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


@pytest.fixture
def service(profile: Profile) -> AuditService:
    clock = SteppingClock(datetime(2026, 11, 1, 9, 0, tzinfo=PARIS))
    audit = AuditService(store=AuditStore(database=profile.database), clock=clock)
    alice = AuditActor("a.durand", "810001234567")
    bob = AuditActor("b.petit")
    clock.now = datetime(2026, 11, 1, 9, 0, tzinfo=PARIS)
    audit.record(mailbox=ACCUEIL, actor=alice, action=AuditAction.LOGIN,
                 request="AUTHENTICATE XOAUTH2", response="OK")
    clock.now = datetime(2026, 11, 10, 10, 30, tzinfo=PARIS)
    audit.record(mailbox=ACCUEIL, actor=alice, action=AuditAction.SEND, request="DATA",
                 response="250 2.0.0", recipients=["dr.x@ch-autre.mssante.fr"])
    clock.now = datetime(2026, 11, 12, 16, 5, tzinfo=PARIS)
    audit.record(mailbox=ACCUEIL, actor=bob, action=AuditAction.DELETE,
                 request="UID STORE 42 +FLAGS (\\Deleted)", response="NO",
                 failure=AuditFailure.SERVER_REFUSED)
    clock.now = datetime(2026, 11, 13, 8, 0, tzinfo=PARIS)
    audit.record(mailbox=LABO, actor=bob, action=AuditAction.READ, message_ref=7)
    return audit


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=True)


def open_viewer(qtbot: QtBot, service: AuditService, executor: ThreadPoolExecutor,
                mailboxes: list[str]) -> AuditViewer:
    viewer = AuditViewer(service, mailboxes=mailboxes, executor=executor)
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.open()
    return viewer


def column(model: AuditTableModel, col: int) -> list[str]:
    return [str(model.index(r, col).data()) for r in range(model.rowCount())]


def test_model_passes_the_item_model_tester(qtbot: QtBot, service: AuditService) -> None:
    model = AuditTableModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_entries(service.entries())
    assert model.rowCount() == 4 and model.columnCount() == 7
    model.set_action(AuditAction.SEND)
    assert model.rowCount() == 1
    model.set_action(None)
    model.set_entries([])
    assert model.rowCount() == 0


def test_table_shows_entries_newest_first(qtbot: QtBot, service: AuditService,
                                          executor: ThreadPoolExecutor) -> None:
    viewer = open_viewer(qtbot, service, executor, [ACCUEIL, LABO])
    model = viewer.model
    assert column(model, 0) == ["13/11/2026 08:00:00", "12/11/2026 16:05:00",
                                "10/11/2026 10:30:00", "01/11/2026 09:00:00"]
    assert column(model, 3) == ["lecture", "suppression", "envoi", "connexion"]
    assert column(model, 2)[3] == "a.durand (810001234567)"
    assert column(model, 6)[1] == "échec — refus du serveur"
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Action"
    assert "4 entrée(s)" in viewer.status_label.text()


def test_filters_by_mailbox_date_and_action(qtbot: QtBot, service: AuditService,
                                            executor: ThreadPoolExecutor) -> None:
    viewer = open_viewer(qtbot, service, executor, [ACCUEIL, LABO])
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.mailbox_box.setCurrentIndex(viewer.mailbox_box.findData(ACCUEIL))
    assert set(column(viewer.model, 1)) == {ACCUEIL}
    assert viewer.model.rowCount() == 3
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.since_edit.setDate(QDate(2026, 11, 10))
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.since_check.setChecked(True)
    assert column(viewer.model, 3) == ["suppression", "envoi"]
    viewer.action_box.setCurrentIndex(viewer.action_box.findData(AuditAction.DELETE.value))
    assert column(viewer.model, 3) == ["suppression"]
    assert "1 entrée(s)" in viewer.status_label.text()


def test_export_csv(qtbot: QtBot, service: AuditService, executor: ThreadPoolExecutor,
                    tmp_path: Path) -> None:
    viewer = open_viewer(qtbot, service, executor, [ACCUEIL])  # a manager of one box only
    assert viewer.mailbox == ACCUEIL and viewer.mailbox_box.count() == 1
    target = tmp_path / "journal.csv"
    with qtbot.waitSignal(viewer.exported, timeout=10_000) as blocker:
        viewer.export_to(target)
    assert blocker.args == [3]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][0] == "Horodatage (UTC)"
    assert [r[6] for r in rows[1:]] == ["connexion", "envoi", "suppression"]
    assert all(r[3] == ACCUEIL for r in rows[1:])
    assert "dr.x" not in target.read_text(encoding="utf-8-sig")  # recipients: domains only
    assert "3 entrée(s) exportée(s)" in viewer.status_label.text()


def test_export_to_an_unwritable_place_says_so(qtbot: QtBot, service: AuditService,
                                              executor: ThreadPoolExecutor,
                                              tmp_path: Path) -> None:
    viewer = open_viewer(qtbot, service, executor, [ACCUEIL])
    viewer.export_to(tmp_path / "absent" / "journal.csv")
    qtbot.waitUntil(lambda: "Impossible d'écrire" in viewer.status_label.text(), timeout=10_000)
    assert viewer.export_button.isEnabled()


def test_since_is_a_local_day(service: AuditService) -> None:
    assert [e.action for e in service.entries(since=date(2026, 11, 12))] == [
        AuditAction.DELETE, AuditAction.READ]


def test_all_boxes_means_the_managed_ones_only(qtbot: QtBot, service: AuditService,
                                               executor: ThreadPoolExecutor,
                                               tmp_path: Path) -> None:
    """A workstation's trail may hold boxes its user does not manage: "Toutes les boîtes" and
    the export never reach them."""
    viewer = AuditViewer(service, mailboxes=[LABO], executor=executor)
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.open()
    assert set(column(viewer.model, 1)) == {LABO}
    target = tmp_path / "journal.csv"
    with qtbot.waitSignal(viewer.exported, timeout=10_000) as blocker:
        viewer.export_to(target)
    assert blocker.args == [1]
    assert ACCUEIL not in target.read_text(encoding="utf-8-sig")
    two = AuditViewer(service, mailboxes=[LABO, "autre@x.mssante.fr"], executor=executor)
    qtbot.addWidget(two)
    with qtbot.waitSignal(two.loaded, timeout=10_000):
        two.open()
    assert two.mailbox is None  # "Toutes les boîtes"…
    assert set(column(two.model, 1)) == {LABO}  # …of this manager


@pytest.mark.parametrize("answer, rights", [
    ([b'"INBOX" lrswipkxtea'], "aeiklprstwx"),
    ([b'"Partag&AOk-/cardiologie@x" lrs'], "lrs"),
    ([b'"INBOX" lrsZZ!*a'], "alrs"),  # letters outside RFC 4314 grant nothing
    ([b'"INBOX" ""'], ""),
])
def test_my_rights_answers_are_read_letter_by_letter(answer: list[bytes], rights: str) -> None:
    from app.protocols.imap.connection import parse_my_rights

    assert parse_my_rights(answer) == rights


@pytest.mark.parametrize("answer", [[], [None], [b""], [b'"INBOX"'], [b"(((("]])
def test_unreadable_my_rights_answers_are_an_error(answer: list[Any]) -> None:
    from app.errors import UserFacingError
    from app.protocols.imap.connection import parse_my_rights

    with pytest.raises(UserFacingError):
        parse_my_rights(answer)
