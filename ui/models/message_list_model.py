"""The message list: a table model over pages of store rows, never the whole folder.

``data()`` never touches the database. The model knows the row count (a COUNT query) and keeps a
small LRU cache of pages (``page_size`` rows each). A row whose page is not cached yet shows as
"loading" and asks for its page; the page is read on the database thread (``executor``, the
profile's single ``db`` executor) and arrives on the GUI thread through ``ui.operations``, which
then emits ``dataChanged`` for its rows. Display strings (sender, date) are prepared on the worker
thread as well, so painting a row is a dictionary lookup.

A page next to a cached one (the usual case: scrolling) is read from that neighbour's edge row
(``page_from``: an index seek, then ``page_size`` rows) rather than by ``OFFSET``, which walks every
row before the page — 30–50 ms of database thread deep in 100,000 rows, competing with the GUI
thread for the CPU. A jump (dragging the scroll bar) reads by offset.

Sorting and searching re-query the store (``ORDER BY`` and FTS5 in SQL, see
``app.store.message_queries``); results of a superseded query are dropped (generation counter).
So does the pane (``set_filter``: the messages exchanged with professionals, with patients, or
with one patient, spec §9), an index walk as well.

``source`` is anything with ``first_page(query, limit)`` and ``page(query, offset, limit)``, and
optionally ``page_from(query, anchor_id, limit, before=False)``:
``app.store.message_queries.MessageQueries`` in the application, a counting wrapper in tests.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from app.domain.xdm import display_subject
from app.store.message_queries import Audience, ListQuery, MessageRow, ReceiptState, SortKey
from ui.operations import BackgroundOp, make_runner

_Index = QModelIndex | QPersistentModelIndex

DEFAULT_PAGE_SIZE = 200  # a page is read and delivered in ~5 ms: no stall when it lands
DEFAULT_MAX_PAGES = 60  # 12,000 rows at 200 per page: far more than any screen shows


class Column(enum.IntEnum):
    ATTACHMENT = 0  # icon: XDM document, else paper clip
    SENDER = 1
    SUBJECT = 2
    DATE = 3
    RECEIPT = 4  # icon: delivery / read receipt of a sent message, when known


SORTABLE: dict[Column, SortKey] = {
    Column.SENDER: SortKey.SENDER,
    Column.SUBJECT: SortKey.SUBJECT,
    Column.DATE: SortKey.DATE,
}


class Roles(enum.IntEnum):
    """Stable roles, so views, delegates and tests don't depend on display text."""

    MESSAGE_ID = Qt.ItemDataRole.UserRole + 1  # int, or None while the row is loading
    UNREAD = Qt.ItemDataRole.UserRole + 2
    FLAGGED = Qt.ItemDataRole.UserRole + 3
    HAS_ATTACHMENTS = Qt.ItemDataRole.UserRole + 4
    IS_XDM = Qt.ItemDataRole.UserRole + 5
    RECEIPT = Qt.ItemDataRole.UserRole + 6  # int(ReceiptState)
    DATE = Qt.ItemDataRole.UserRole + 7  # seconds since the epoch
    SENDER_ADDRESS = Qt.ItemDataRole.UserRole + 8
    LOADED = Qt.ItemDataRole.UserRole + 9  # False while the row's page is being read
    FOLDER_ID = Qt.ItemDataRole.UserRole + 10


_ROW_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
              | Qt.ItemFlag.ItemNeverHasChildren)
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
# Roles a delegate asks for on every paint that this model never sets: answered before any lookup.
_UNUSED_ROLES = frozenset(r.value for r in (
    Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.CheckStateRole,
    Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole))


class MessageSource(Protocol):
    """What the model reads (blocking; called on the executor's thread only)."""

    def first_page(self, query: ListQuery, limit: int) -> tuple[int, list[MessageRow]]: ...

    def page(self, query: ListQuery, offset: int, limit: int) -> list[MessageRow]: ...


@dataclass(frozen=True, slots=True)
class Line:
    """A row ready to show: the store row and its display strings."""

    row: MessageRow
    sender: str
    date_text: str
    date_long: str


def format_date(timestamp: int, today: Date) -> tuple[str, str]:
    """(short, long) local date text: the time alone for today's messages, as mail clients do."""
    try:
        moment = datetime.fromtimestamp(timestamp)
    except (OverflowError, OSError, ValueError):
        return "", ""
    long = moment.strftime("%d/%m/%Y %H:%M")
    return (moment.strftime("%H:%M") if moment.date() == today else long), long


def prepare_lines(rows: Sequence[MessageRow]) -> list[Line]:
    """Display strings for ``rows`` (pure Python: safe on a worker thread)."""
    today = Date.today()
    lines = []
    for row in rows:
        short, long = format_date(row.date, today)
        lines.append(Line(row=row, sender=row.sender, date_text=short, date_long=long))
    return lines


# A plain alias: pyside6-lupdate reads the context of each translate("Context", "…") call.
translate = QCoreApplication.translate


def receipt_label(state: ReceiptState) -> str:
    labels = {
        ReceiptState.DELAYED: translate("MessageListModel", "Remise différée"),
        ReceiptState.DELIVERED: translate("MessageListModel", "Distribué"),
        ReceiptState.READ: translate("MessageListModel", "Lu par le destinataire"),
        ReceiptState.PROBLEM: translate("MessageListModel", "Problème de remise"),
    }
    return labels.get(state, "")


class _Icons:
    """Icons built once, on the GUI thread, on first use."""

    def __init__(self) -> None:
        style = QApplication.style()
        pixmap = QStyle.StandardPixmap
        self.attachment = style.standardIcon(pixmap.SP_FileIcon)
        self.xdm = style.standardIcon(pixmap.SP_FileDialogDetailedView)
        self.receipts = {
            ReceiptState.DELAYED: style.standardIcon(pixmap.SP_BrowserReload),
            ReceiptState.DELIVERED: style.standardIcon(pixmap.SP_DialogApplyButton),
            ReceiptState.READ: style.standardIcon(pixmap.SP_DialogYesButton),
            ReceiptState.PROBLEM: style.standardIcon(pixmap.SP_MessageBoxWarning),
        }


class MessageListModel(QAbstractTableModel):
    """Messages of one folder (or one search) in pages; see the module docstring."""

    loaded = Signal(int)  # a new query's count and first page are in (the row count)
    load_failed = Signal(str)  # a French sentence for the status bar

    def __init__(
        self,
        *,
        source: MessageSource,
        executor: Executor,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._executor = executor
        self._page_size = max(1, page_size)
        self._max_pages = max(2, max_pages)
        self._runner = make_runner(self)
        self._query: ListQuery | None = None
        self._base = ListQuery()  # the order (and scope) used when no query is shown yet
        self._generation = 0
        self._count = 0
        self._pages: OrderedDict[int, list[Line]] = OrderedDict()
        self._in_flight: set[int] = set()
        self._last_page = -1
        self._loading_query = False
        self._bold = QFont()
        self._bold.setBold(True)
        self._icons: _Icons | None = None

    # -- queries -------------------------------------------------------------------------------
    @property
    def query(self) -> ListQuery | None:
        return self._query

    @property
    def page_size(self) -> int:
        return self._page_size

    def set_query(self, query: ListQuery | None) -> None:
        """Show ``query``'s messages (None: nothing). The current rows stay until the new count
        and first page arrive, so switching folders never flashes an empty list."""
        self._query = query
        if query is not None:
            self._base = query
        self._generation += 1
        self._in_flight.clear()
        if query is None:
            self._loading_query = False
            self.beginResetModel()
            self._count = 0
            self._pages.clear()
            self._last_page = -1
            self.endResetModel()
            return
        generation = self._generation
        self._loading_query = True
        source, size = self._source, self._page_size
        BackgroundOp(lambda: self._first(source, query, size)).success(
            lambda result: self._query_loaded(generation, result)
        ).failure(lambda exc: self._failed(generation, exc)).run_in_background(
            self._executor, self._runner
        )

    @staticmethod
    def _first(
        source: MessageSource, query: ListQuery, size: int
    ) -> tuple[int, list[Line]]:
        count, rows = source.first_page(query, size)
        return count, prepare_lines(rows)

    def refresh(self) -> None:
        """Read the current query again (new mail, flags changed)."""
        self.set_query(self._query)

    def set_folder(self, folder_id: int | None) -> None:
        base = self._query or self._base
        self.set_query(dataclasses.replace(base, folder_id=folder_id))

    def set_filter(self, folder_id: int, audience: Audience, patient: str | None = None) -> None:
        """Show ``folder_id``'s messages exchanged with ``audience`` (a pane of the mailbox,
        spec §9), or with one ``patient`` only (address or INS), keeping the search and the
        order."""
        base = self._query or self._base
        self.set_query(dataclasses.replace(base, folder_id=folder_id, account_id=None,
                                           audience=audience, patient=patient))

    def set_search(self, text: str | None) -> None:
        base = self._query or self._base
        text = (text or "").strip() or None
        if text != base.search:
            self.set_query(dataclasses.replace(base, search=text))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORTABLE.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return  # icon columns do not sort
        descending = order == Qt.SortOrder.DescendingOrder
        base = self._query or self._base
        if base.sort is key and base.descending == descending:
            return
        query = dataclasses.replace(base, sort=key, descending=descending)
        if self._query is None:
            self._base = query  # nothing shown yet: remember the order for the first query
            return
        self.set_query(query)

    def is_loading(self) -> bool:
        return self._loading_query or bool(self._in_flight)

    def pending_pages(self) -> int:
        return len(self._in_flight)

    def cached_pages(self) -> list[int]:
        return list(self._pages)

    # -- results (GUI thread) --------------------------------------------------------------------
    def _query_loaded(self, generation: int, result: tuple[int, list[Line]]) -> None:
        if generation != self._generation:
            return
        count, lines = result
        self._loading_query = False
        self.beginResetModel()
        self._count = count
        self._pages.clear()
        self._pages[0] = lines
        self._last_page = -1
        self.endResetModel()
        self.loaded.emit(count)

    def _page_loaded(self, generation: int, page: int, lines: list[Line]) -> None:
        if generation != self._generation:
            return
        self._in_flight.discard(page)
        first = page * self._page_size
        if first >= self._count:
            return
        self._pages[page] = lines
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        last = min(self._count, first + len(lines)) - 1
        if last >= first:
            self.dataChanged.emit(
                self.index(first, 0), self.index(last, len(Column) - 1), []
            )

    def _failed(self, generation: int, exc: BaseException, page: int | None = None) -> None:
        if generation != self._generation:
            return
        if page is None:
            self._loading_query = False
        else:
            self._in_flight.discard(page)
        from app.errors import UserFacingError

        if isinstance(exc, UserFacingError):
            self.load_failed.emit(str(exc))
        else:
            self.load_failed.emit(
                translate("MessageListModel", "La liste des messages n'a pas pu être lue."))

    def _request(self, page: int) -> None:
        if (page < 0 or page in self._pages or page in self._in_flight or self._query is None
                or page * self._page_size >= self._count):
            return
        self._in_flight.add(page)
        generation, query, source = self._generation, self._query, self._source
        offset, size = page * self._page_size, self._page_size
        # From a full cached neighbour when there is one (see the module docstring).
        page_from = getattr(source, "page_from", None)
        anchor: tuple[int, bool] | None = None
        previous, following = self._pages.get(page - 1), self._pages.get(page + 1)
        if page_from is None:
            pass
        elif previous is not None and len(previous) == size:
            anchor = (previous[-1].row.id, False)
        elif following:
            anchor = (following[0].row.id, True)

        def read() -> list[Line]:
            rows = None
            if anchor is not None and page_from is not None:
                rows = page_from(query, anchor[0], size, before=anchor[1])
            if rows is None:
                rows = source.page(query, offset, size)
            return prepare_lines(rows)

        BackgroundOp(read).success(
            lambda lines: self._page_loaded(generation, page, lines)
        ).failure(lambda exc: self._failed(generation, exc, page)).run_in_background(
            self._executor, self._runner
        )

    def _line(self, row: int) -> Line | None:
        page, position = divmod(row, self._page_size)
        lines = self._pages.get(page)
        if lines is None:
            if page not in self._in_flight:  # a painted screen asks ~1,000 times: once is enough
                self._request(page)
            return None
        if page != self._last_page:
            self._pages.move_to_end(page)
            self._last_page = page
        # Read ahead, from this page's edge: the next page once past its middle, the previous
        # one before it (scrolling goes on in the same direction more often than not).
        ahead = page + 1 if position * 2 >= self._page_size else page - 1
        if ahead not in self._pages:
            self._request(ahead)
        return lines[position] if position < len(lines) else None

    def line(self, row: int) -> Line | None:
        """The cached row at ``row`` (None while loading); asks for its page when missing."""
        if not 0 <= row < self._count:
            return None
        return self._line(row)

    def message_id(self, row: int) -> int | None:
        line = self.line(row)
        return None if line is None else line.row.id

    def _cached(self, ranges: Sequence[tuple[int, int]]) -> Iterator[tuple[int, MessageRow | None]]:
        """(row, its store row or None when its page is not cached) over ``ranges`` (first and
        last row, inclusive). Asks for no page."""
        for first, last in ranges:
            for row in range(max(0, first), min(last, self._count - 1) + 1):
                lines = self._pages.get(row // self._page_size)
                position = row % self._page_size
                yield row, (lines[position].row if lines is not None and position < len(lines)
                            else None)

    def cached_rows(self, ranges: Sequence[tuple[int, int]]) -> list[MessageRow] | None:
        """The store rows of ``ranges``, in order, when every one of them is cached; else None."""
        rows = [line for _row, line in self._cached(ranges)]
        return None if any(line is None for line in rows) else [r for r in rows if r]

    def cached_ids(self, ranges: Sequence[tuple[int, int]]) -> dict[int, int]:
        """row -> message id of the rows of ``ranges`` that are cached."""
        return {row: line.id for row, line in self._cached(ranges) if line is not None}

    def rows_reader(self, ranges: Sequence[tuple[int, int]]) -> Callable[[], list[MessageRow]]:
        """A blocking read of the store rows of ``ranges`` under the current query, for the
        database executor: a selection over pages never loaded (a select-all in a big
        folder)."""
        query, source = self._query, self._source
        wanted = [(max(0, first), last) for first, last in ranges if last >= first]

        def read() -> list[MessageRow]:
            if query is None:
                return []
            rows: list[MessageRow] = []
            for first, last in wanted:
                rows += source.page(query, first, last - first + 1)
            return rows

        return read

    def row_of(self, message_id: int) -> int | None:
        """The row of a cached message (None when not cached)."""
        for page, lines in self._pages.items():
            for position, line in enumerate(lines):
                if line.row.id == message_id:
                    return page * self._page_size + position
        return None

    def set_row_state(self, message_ids: Sequence[int], *, unread: bool | None = None,
                      flagged: bool | None = None) -> None:
        """Show a local flag change at once, in place (``dataChanged``, no reset: the selection
        stays): the store is written meanwhile, and the next refresh reads it back."""
        wanted = set(message_ids)
        changes: dict[str, bool] = {}
        if unread is not None:
            changes["unread"] = unread
        if flagged is not None:
            changes["flagged"] = flagged
        if not wanted or not changes:
            return
        for page, lines in self._pages.items():
            for position, line in enumerate(lines):
                if line.row.id not in wanted:
                    continue
                lines[position] = dataclasses.replace(
                    line, row=dataclasses.replace(line.row, **changes))
                row = page * self._page_size + position
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1), [])

    # -- Qt model interface ----------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return {Column.SENDER: translate("MessageListModel", "De"),
                    Column.SUBJECT: translate("MessageListModel", "Objet"),
                    Column.DATE: translate("MessageListModel", "Date")}.get(column, "")
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return {Column.ATTACHMENT: translate("MessageListModel",
                                                 "Pièces jointes et documents XDM"),
                    Column.SENDER: translate("MessageListModel", "Expéditeur"),
                    Column.SUBJECT: translate("MessageListModel", "Objet"),
                    Column.DATE: translate("MessageListModel", "Date"),
                    Column.RECEIPT: translate("MessageListModel", "Accusés de réception")}[column]
        if role == Qt.ItemDataRole.DecorationRole:
            icons = self._icon_set()
            if column is Column.ATTACHMENT:
                return icons.attachment
            if column is Column.RECEIPT:
                return icons.receipts[ReceiptState.DELIVERED]
        return None

    def _icon_set(self) -> _Icons:
        if self._icons is None:
            self._icons = _Icons()
        return self._icons

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        role = int(role)
        if role in _UNUSED_ROLES or not index.isValid():
            return None
        row_number = index.row()
        if not 0 <= row_number < self._count:
            return None
        line = self._line(row_number)
        column = index.column()
        if line is None:
            if role == Roles.LOADED:
                return False
            if role == Qt.ItemDataRole.DisplayRole and column == Column.SUBJECT:
                return translate("MessageListModel", "Chargement…")
            return None
        row = line.row
        if role == _DISPLAY:
            if column == Column.SENDER:
                return line.sender
            if column == Column.SUBJECT:
                return display_subject(row.subject) or translate("MessageListModel", "(sans objet)")
            if column == Column.DATE:
                return line.date_text
            return None
        if role == _FONT:
            return self._bold if row.unread else None
        if role == _DECORATION:
            return self._decoration(row, column)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._tooltip(line, column, role)
        if role == Roles.MESSAGE_ID:
            return row.id
        if role == Roles.UNREAD:
            return row.unread
        if role == Roles.FLAGGED:
            return row.flagged
        if role == Roles.HAS_ATTACHMENTS:
            return row.has_attachments
        if role == Roles.IS_XDM:
            return row.is_xdm
        if role == Roles.RECEIPT:
            return int(row.receipt)
        if role == Roles.DATE:
            return row.date
        if role == Roles.SENDER_ADDRESS:
            return row.from_addr
        if role == Roles.LOADED:
            return True
        if role == Roles.FOLDER_ID:
            return row.folder_id
        return None

    def cell(self, row_number: int, column: int) -> tuple[str | None, QFont | None,
                                                        QIcon | None] | None:
        """What a cell paints — (display text, font, decoration), as ``data`` answers for those
        roles — in one call (a loading row: its placeholder); None out of range. The list's
        delegate paints from it (``data`` costs one Python call per role: ~1,200 a screen)."""
        if not 0 <= row_number < self._count:
            return None
        line = self._line(row_number)
        if line is None:
            if column == Column.SUBJECT:
                return translate("MessageListModel", "Chargement…"), None, None
            return None, None, None
        row = line.row
        text: str | None = None
        if column == Column.SENDER:
            text = line.sender
        elif column == Column.SUBJECT:
            text = display_subject(row.subject) or translate("MessageListModel", "(sans objet)")
        elif column == Column.DATE:
            text = line.date_text
        return text, self._bold if row.unread else None, self._decoration(row, column)

    def _decoration(self, row: MessageRow, column: int) -> QIcon | None:
        if column == Column.ATTACHMENT:
            if row.is_xdm:
                return self._icon_set().xdm
            if row.has_attachments:
                return self._icon_set().attachment
        elif column == Column.RECEIPT and row.receipt is not ReceiptState.NONE:
            return self._icon_set().receipts[row.receipt]
        return None

    def _tooltip(self, line: Line, column: int, role: int) -> str | None:
        row = line.row
        if column == Column.ATTACHMENT:
            if row.is_xdm:
                return translate("MessageListModel", "Documents de santé structurés (XDM)")
            if row.has_attachments:
                return translate("MessageListModel", "Pièces jointes")
            return None
        if column == Column.RECEIPT:
            return receipt_label(row.receipt) or None
        if column == Column.SENDER:
            if row.from_name and row.from_addr:
                return f"{row.from_name} <{row.from_addr}>"
            return line.sender
        if column == Column.DATE:
            return line.date_long
        if role == Qt.ItemDataRole.AccessibleTextRole:
            state = (translate("MessageListModel", "non lu") if row.unread
                     else translate("MessageListModel", "lu"))
            return f"{display_subject(row.subject)}, {line.sender}, {line.date_long}, {state}"
        return display_subject(row.subject)
