"""The paged message list model over a real encrypted profile: count, pages, sort, FTS filter,
bold unread rows, QAbstractItemModelTester, and 100,000 rows scrolled without ``data()`` ever
reaching the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.store.message_queries import ListQuery, MessageQueries, MessageRow, SortKey
from app.store.message_store import SEEN, FolderInfo, HeaderRecord
from ui.models.message_list_model import Column, MessageListModel, Roles

ACCOUNT = Account(
    address="secretariat@clinique.mssante.fr",
    kind=MailboxKind.ORG,
    login="secretariat",
    imap=Endpoint("imap.clinique.fr", 993, TlsMode.IMPLICIT),
    smtp=Endpoint("smtp.clinique.fr", 587, TlsMode.STARTTLS),
)
SENDERS = ["Dr Jean MARTIN", "Laboratoire Biolab", "Alice DURAND", "Éric LEFÈVRE", "Zoé ZELLER"]


def header(uid: int, **changes: Any) -> HeaderRecord:
    values: dict[str, Any] = {
        "uid": uid,
        "message_id": f"<m{uid}@exemple.fr>",
        "date": 1_700_000_000 + uid * 60,
        "internaldate": None,
        "from_name": SENDERS[uid % len(SENDERS)],
        "from_addr": f"expediteur{uid % len(SENDERS)}@exemple.mssante.fr",
        "to_display": "Secrétariat <secretariat@clinique.mssante.fr>",
        "to_addrs": "secretariat@clinique.mssante.fr",
        "cc_display": "",
        "cc_addrs": "",
        "subject": f"Compte rendu {uid:05d}",
        "flags": frozenset({SEEN}) if uid % 3 else frozenset(),
        "size": 1000,
        "has_attachments": uid % 4 == 0,
        "is_xdm": uid % 10 == 0,
    }
    values.update(changes)
    return HeaderRecord(**values)


class CountingSource:
    """MessageQueries, counting calls and the threads they run on."""

    def __init__(self, queries: MessageQueries) -> None:
        self._queries = queries
        self.calls: list[tuple[str, int, int]] = []  # (kind, offset, thread id)
        self._lock = threading.Lock()

    def first_page(self, query: ListQuery, limit: int) -> tuple[int, list[MessageRow]]:
        with self._lock:
            self.calls.append(("first", 0, threading.get_ident()))
        return self._queries.first_page(query, limit)

    def page(self, query: ListQuery, offset: int, limit: int) -> list[MessageRow]:
        with self._lock:
            self.calls.append(("page", offset, threading.get_ident()))
        return self._queries.page(query, offset, limit)

    def page_from(self, query: ListQuery, anchor_id: int, limit: int, *,
                  before: bool = False) -> list[MessageRow] | None:
        with self._lock:
            self.calls.append(("before" if before else "after", anchor_id,
                               threading.get_ident()))
        return self._queries.page_from(query, anchor_id, limit, before=before)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def inbox(profile: Profile) -> int:
    account_id = profile.messages.account_id(ACCOUNT.address, ACCOUNT.login)
    folders = profile.messages.replace_folders(
        account_id, [FolderInfo("INBOX", "/", None), FolderInfo("Sent", "/", "\\Sent")])
    return next(f.id for f in folders if f.name == "INBOX")


def make_model(profile: Profile, page_size: int = 20) -> tuple[MessageListModel, CountingSource]:
    source = CountingSource(MessageQueries(database=profile.database))
    model = MessageListModel(source=source, executor=profile.executors.db, page_size=page_size)
    return model, source


def wait_loaded(qtbot: Any, model: MessageListModel) -> None:
    qtbot.waitUntil(lambda: not model.is_loading(), timeout=10_000)


def texts(model: MessageListModel, column: Column) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


@pytest.fixture
def filled(profile: Profile) -> tuple[Profile, int]:
    folder = inbox(profile)
    records = [header(uid) for uid in range(1, 96)]
    records[10] = header(11, subject="Résultats de biologie")
    records[20] = header(21, subject="Resultats du scanner")
    profile.messages.store_headers(folder, records)
    return profile, folder


def test_row_count_pages_and_bold_unread(qtbot: Any, qtmodeltester: Any,
                                         filled: tuple[Profile, int]) -> None:
    profile, folder = filled
    model, source = make_model(profile, page_size=20)
    qtmodeltester.check(model)  # live checks on every later signal too
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder))
    assert model.rowCount() == 95
    assert model.cached_pages() == [0]  # only the first page so far
    # Newest first by default.
    assert model.index(0, Column.SUBJECT).data() == "Compte rendu 00095"
    assert model.index(0, Column.DATE).data(Roles.DATE) == 1_700_000_000 + 95 * 60
    # A row of an unloaded page is a placeholder and asks for its page.
    assert model.index(90, Column.SUBJECT).data(Roles.LOADED) is False
    assert model.index(90, Column.SUBJECT).data(Roles.MESSAGE_ID) is None
    wait_loaded(qtbot, model)
    assert model.index(90, Column.SUBJECT).data(Roles.LOADED) is True
    assert model.index(90, Column.SUBJECT).data() == "Compte rendu 00005"
    # A jump reads by offset; the page before is then read from that page's first row.
    assert [offset for kind, offset, _ in source.calls if kind == "page"] == [80]
    assert model.index(79, Column.SUBJECT).data(Roles.LOADED) is False
    wait_loaded(qtbot, model)
    assert model.index(79, Column.SUBJECT).data() == "Compte rendu 00016"
    first_of_page_4 = model.index(80, Column.SUBJECT).data(Roles.MESSAGE_ID)
    assert ("before", first_of_page_4) in [(kind, anchor) for kind, anchor, _ in source.calls]

    # uid 93 is unread (93 % 3 == 0): bold; uid 94 is read: not bold.
    unread = model.index(95 - 93, Column.SENDER)
    read = model.index(95 - 94, Column.SENDER)
    assert unread.data(Roles.UNREAD) is True
    font = unread.data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert read.data(Roles.UNREAD) is False
    assert read.data(Qt.ItemDataRole.FontRole) is None
    # Icons: uid 90 is XDM, uid 92 has attachments.
    xdm = model.index(95 - 90, Column.ATTACHMENT)
    assert xdm.data(Roles.IS_XDM) is True
    assert xdm.data(Qt.ItemDataRole.DecorationRole) is not None
    assert "XDM" in xdm.data(Qt.ItemDataRole.ToolTipRole)
    clip = model.index(95 - 92, Column.ATTACHMENT)
    assert clip.data(Roles.HAS_ATTACHMENTS) is True and clip.data(Roles.IS_XDM) is False
    assert model.index(95 - 91, Column.ATTACHMENT).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.headerData(Column.SENDER, Qt.Orientation.Horizontal) == "De"
    assert model.headerData(Column.SUBJECT, Qt.Orientation.Horizontal) == "Objet"


def test_sort_requeries_in_sql(qtbot: Any, qtmodeltester: Any,
                               filled: tuple[Profile, int]) -> None:
    profile, folder = filled
    model, source = make_model(profile, page_size=200)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder))
    before = len(source.calls)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    assert len(source.calls) == before + 1  # one new query, not a sort in Python
    assert model.query is not None and model.query.sort is SortKey.SUBJECT
    subjects = texts(model, Column.SUBJECT)
    assert subjects[0] == "Compte rendu 00001"
    # Accents folded: "Résultats de" before "Resultats du", as a French reader expects.
    assert subjects[-2:] == ["Résultats de biologie", "Resultats du scanner"]

    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(Column.SENDER, Qt.SortOrder.DescendingOrder)
    senders = texts(model, Column.SENDER)
    assert senders[-1] == "Alice DURAND"
    # Z→A with accents folded: "Éric" between "Dr" and "Laboratoire", not before "Zoé".
    order = ["Zoé ZELLER", "Laboratoire Biolab", "Éric LEFÈVRE", "Dr Jean MARTIN", "Alice DURAND"]
    assert senders == sorted(senders, key=order.index)

    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(Column.DATE, Qt.SortOrder.AscendingOrder)
    dates = [model.index(r, 0).data(Roles.DATE) for r in range(model.rowCount())]
    assert dates == sorted(dates) and len(dates) == 95
    calls = len(source.calls)
    model.sort(Column.ATTACHMENT, Qt.SortOrder.AscendingOrder)  # icon column: ignored
    assert len(source.calls) == calls and not model.is_loading()


def test_fts_filter_folds_accents(qtbot: Any, qtmodeltester: Any,
                                  filled: tuple[Profile, int]) -> None:
    profile, folder = filled
    model, _source = make_model(profile)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder))
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_search("résultats")
    assert sorted(texts(model, Column.SUBJECT)) == ["Resultats du scanner",
                                                    "Résultats de biologie"]
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_search("biologie")
    assert texts(model, Column.SUBJECT) == ["Résultats de biologie"]
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_search("introuvable")
    assert model.rowCount() == 0
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_search("")
    assert model.rowCount() == 95


def test_refresh_shows_new_mail_and_stale_results_are_dropped(
        qtbot: Any, qtmodeltester: Any, filled: tuple[Profile, int]) -> None:
    profile, folder = filled
    model, _source = make_model(profile)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder))
    profile.messages.store_headers(folder, [header(500, subject="Nouveau message")])
    # Two queries in a row: only the last one's result may land.
    model.set_search("biologie")
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_search(None)
    wait_loaded(qtbot, model)
    assert model.rowCount() == 96
    assert model.index(0, Column.SUBJECT).data() == "Nouveau message"


def test_empty_model_and_no_query(qtmodeltester: Any, profile: Profile) -> None:
    model, source = make_model(profile)
    qtmodeltester.check(model)
    assert model.rowCount() == 0 and model.columnCount() == len(Column)
    assert model.index(0, 0).data() is None
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None
    model.set_query(None)
    assert source.calls == []


def bulk_messages(profile: Profile, folder: int, count: int) -> None:
    """``count`` headers through the store's public API, in large batches."""
    batch = 5000
    for start in range(1, count + 1, batch):
        profile.messages.store_headers(
            folder, [header(uid) for uid in range(start, min(count, start + batch - 1) + 1)])


def test_100k_rows_scroll_without_data_touching_the_database(
        qtbot: Any, profile: Profile) -> None:
    from ui.widgets.message_list import MessageListView

    folder = inbox(profile)
    bulk_messages(profile, folder, 100_000)
    gui_thread = threading.get_ident()

    # Any database call made from the GUI thread is recorded (data() runs on the GUI thread).
    database = profile.database
    original_call = database.call
    gui_calls: list[str] = []

    def watched_call(fn: Any) -> Any:
        if threading.get_ident() == gui_thread:
            gui_calls.append(repr(fn))
        return original_call(fn)

    database.call = watched_call  # type: ignore[method-assign]

    model, source = make_model(profile, page_size=500)
    view = MessageListView(model)
    view.resize(900, 600)
    view.show()
    qtbot.addWidget(view)
    with qtbot.waitSignal(model.loaded, timeout=30_000):
        model.set_query(ListQuery(folder_id=folder))
    assert model.rowCount() == 100_000

    data_calls = 0
    original_data = model.data

    def counted_data(index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        nonlocal data_calls
        data_calls += 1
        before = len(gui_calls)
        value = original_data(index, role)
        assert len(gui_calls) == before, "data() reached the database"
        return value

    model.data = counted_data  # type: ignore[method-assign]

    table = view.table
    table.scrollToBottom()
    qtbot.waitUntil(lambda: model.index(99_999, Column.SUBJECT).data(Roles.LOADED) is True,
                    timeout=30_000)
    table.viewport().repaint()
    last = model.index(99_999, Column.SUBJECT)
    assert last.data() == "Compte rendu 00001"
    table.scrollToTop()
    qtbot.waitUntil(lambda: model.index(0, Column.SUBJECT).data(Roles.LOADED) is True,
                    timeout=30_000)
    table.viewport().repaint()
    assert model.index(0, Column.SUBJECT).data() == "Compte rendu 100000"

    assert data_calls > 0
    assert gui_calls == []
    # Every store read ran on the database thread, and only a handful of pages were read.
    assert {thread for _, _, thread in source.calls} != {gui_thread}
    assert all(thread != gui_thread for _, _, thread in source.calls)
    assert len(source.calls) <= 10
    assert len(model.cached_pages()) <= 10


def test_scrolling_reads_each_next_page_from_its_neighbour(
        qtbot: Any, qtmodeltester: Any, profile: Profile) -> None:
    folder = inbox(profile)
    bulk_messages(profile, folder, 1000)
    model, source = make_model(profile, page_size=50)
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder, sort=SortKey.SENDER, descending=False))
    ids: list[int] = []
    for row in range(1000):  # as a view scrolling down would ask
        qtbot.waitUntil(lambda r=row: model.index(r, 0).data(Roles.LOADED) is True,
                        timeout=10_000)
        ids.append(model.index(row, 0).data(Roles.MESSAGE_ID))
    # The same rows, in the same order, as one query reads them.
    whole = MessageQueries(database=profile.database).page(model.query, 0, 1000)
    assert ids == [r.id for r in whole]
    kinds = [kind for kind, _, _ in source.calls]
    assert kinds.count("first") == 1 and kinds.count("after") == 19
    assert "page" not in kinds  # never an OFFSET walk


def _style_option(delegate: Any, index: QModelIndex, *, selected: bool = False,
                  icon_size: int = 16) -> Any:
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.decorationSize = QSize(icon_size, icon_size)
    option.state = QStyle.StateFlag.State_Enabled | (
        QStyle.StateFlag.State_Selected if selected else QStyle.StateFlag.State_None)
    delegate.initStyleOption(option, index)
    return (option.text, option.features, option.font.bold(), option.fontMetrics.height(),
            option.icon.cacheKey() if not option.icon.isNull() else None,
            (option.decorationSize.width(), option.decorationSize.height()),
            (option.index.row(), option.index.column()))


def test_cell_delegate_fills_the_style_option_as_qt_does(qtbot: Any,
                                                         filled: tuple[Profile, int]) -> None:
    """The list's delegate fills each cell from ``cell()`` in one call: the same option as Qt's
    own ``initStyleOption`` reading the roles through ``data``, for every column of read and
    unread rows, with and without attachments or XDM; a loading row takes Qt's way."""
    from PySide6.QtWidgets import QStyledItemDelegate

    from ui.widgets.message_list import MessageCellDelegate, MessageListView

    profile, folder = filled
    model, _source = make_model(profile, page_size=20)
    view = MessageListView(model)
    qtbot.addWidget(view)
    assert isinstance(view.table.itemDelegate(), MessageCellDelegate)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder))
    ours, qts = view.delegate, QStyledItemDelegate()
    seen = {"bold": False, "plain": False, "icon": False, "xdm": False}
    for row in range(20):
        for column in Column:
            index = model.index(row, column)
            for selected, size in ((False, 16), (True, 16), (False, 64), (False, 8)):
                mine = _style_option(ours, index, selected=selected, icon_size=size)
                assert mine == _style_option(qts, index, selected=selected, icon_size=size), (
                    row, column, selected, size)
            seen["bold" if mine[2] else "plain"] = True
            seen["icon"] |= mine[4] is not None
            seen["xdm"] |= bool(index.data(Roles.IS_XDM)) and column == Column.ATTACHMENT
    assert all(seen.values()), seen  # the sample covers each kind of cell
    # Row 90's page is not read yet: the same "loading" placeholder.
    loading = model.index(90, Column.SUBJECT)
    assert model.cell(90, Column.SUBJECT) == ("Chargement…", None, None)
    assert _style_option(ours, model.index(90, Column.DATE)) == _style_option(
        qts, model.index(90, Column.DATE))
    assert _style_option(ours, loading) == _style_option(qts, loading)
    assert _style_option(ours, loading)[0] == "Chargement…"
    wait_loaded(qtbot, model)
    # Any other model (the delegate never calls Qt's version, see its doc): through ``data``.
    from PySide6.QtGui import QStandardItem, QStandardItemModel

    other = QStandardItemModel(1, 2)
    item = QStandardItem("Dr MARTIN")
    bold = QFont()
    bold.setBold(True)
    item.setFont(bold)
    item.setIcon(view.style().standardIcon(view.style().StandardPixmap.SP_FileIcon))
    other.setItem(0, 0, item)
    for column in (0, 1):
        assert _style_option(ours, other.index(0, column)) == _style_option(
            qts, other.index(0, column))


def test_cell_delegate_survives_many_paints(qtbot: Any, filled: tuple[Profile, int]) -> None:
    """PySide6 6.12 drops a reference to None at each ``super().initStyleOption`` made from a
    Python override (the process aborts after ~10⁵ cells): Qt calls the delegate's override
    (through ``sizeHint``) for ~6,000 cells — loaded rows, loading rows, out of range — and
    None's reference count does not fall."""
    import sys

    from PySide6.QtWidgets import QStyleOptionViewItem

    from ui.widgets.message_list import MessageListView

    profile, folder = filled
    model, _source = make_model(profile, page_size=20)
    view = MessageListView(model)
    qtbot.addWidget(view)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_query(ListQuery(folder_id=folder))
    indexes = [model.index(row, column) for row in (0, 5, 19, 90) for column in Column]
    indexes.append(model.index(500, 0))  # out of range: invalid
    option = QStyleOptionViewItem()
    before = sys.getrefcount(None)
    for _ in range(250):
        for index in indexes:
            view.delegate.sizeHint(option, index)  # Qt's sizeHint calls initStyleOption
    assert sys.getrefcount(None) >= before - 100
    wait_loaded(qtbot, model)
