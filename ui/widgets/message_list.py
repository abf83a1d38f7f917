"""The message list: a search field "Rechercher dans …" over a QTableView of the paged model.

The view is set up so that 100,000 rows cost nothing up front: fixed row heights (no per-row size
hints), no word wrap, no vertical header, columns sized by the header, not by contents. Sorting
goes to the model, which re-queries the store. The search is debounced and runs as an FTS5 query.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.message_list_model import SORTABLE, Column, MessageListModel, Roles

SEARCH_DELAY_MS = 250


class MessageCellDelegate(QStyledItemDelegate):
    """The default look, with each cell's style option filled from ``MessageListModel.cell`` in
    one Python call. Qt's own ``initStyleOption`` asks the model seven roles per cell, each a
    call into Python's ``data``: ~1,200 calls per screen, most of a repaint while scrolling.

    It never calls ``super().initStyleOption``: from a Python override, PySide6 6.12 drops a
    reference to ``None`` at each such call, and the process aborts after some 10⁵ cells
    ("deallocating None"). What Qt's version would read here (display text, font, decoration)
    it fills itself; the model sets no other role (``_UNUSED_ROLES``).
    """

    def __init__(self, model: MessageListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._metrics: dict[str, QFontMetrics] = {}

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        option.index = QModelIndex(index)
        if not index.isValid():  # (``model()`` of an invalid index also loses a None in 6.12)
            return
        if index.model() is self._model:
            cell = self._model.cell(index.row(), index.column())
        else:
            cell = _cell_from_roles(index)
        if cell is None:
            return
        text, font, icon = cell
        if font is not None:
            option.font = font
            option.fontMetrics = self._font_metrics(font)
        if icon is not None and not icon.isNull():
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration
            option.icon = icon
            option.decorationSize = self._icon_size(icon, option)
        if text is not None:
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
            option.text = text

    def _icon_size(self, icon: QIcon, option: QStyleOptionViewItem) -> QSize:
        """As Qt: the icon's actual size for the item's state, never above the view's."""
        state = option.state
        if not state & QStyle.StateFlag.State_Enabled:
            mode = QIcon.Mode.Disabled
        elif state & QStyle.StateFlag.State_Selected:
            mode = QIcon.Mode.Selected
        else:
            mode = QIcon.Mode.Normal
        on = QIcon.State.On if state & QStyle.StateFlag.State_Open else QIcon.State.Off
        wanted = option.decorationSize
        actual = icon.actualSize(wanted, mode, on)
        return QSize(min(wanted.width(), actual.width()), min(wanted.height(), actual.height()))

    def _font_metrics(self, font: QFont) -> QFontMetrics:
        key = font.key()
        metrics = self._metrics.get(key)
        if metrics is None:
            metrics = self._metrics[key] = QFontMetrics(font)
        return metrics


def _cell_from_roles(
    index: QModelIndex | QPersistentModelIndex,
) -> tuple[str | None, QFont | None, QIcon | None] | None:
    """(text, font, decoration) through ``data``, for a model other than the message list's."""
    if not index.isValid():
        return None
    text = index.data(Qt.ItemDataRole.DisplayRole)
    font = index.data(Qt.ItemDataRole.FontRole)
    icon = index.data(Qt.ItemDataRole.DecorationRole)
    return (None if text is None else str(text), font if isinstance(font, QFont) else None,
            icon if isinstance(icon, QIcon) else None)


class MessageTable(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageTable")
        self.setAccessibleName(self.tr("Liste des messages"))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)


class MessageListView(QWidget):
    """Search field + table. Emits the store id of the message the user selects or opens.

    Several rows may be selected (Ctrl/Maj+clic): the window's message actions (delete, move,
    read, flag) apply to all of them; the reader follows only a single selection."""

    current_message_changed = Signal(object)  # int | None
    message_activated = Signal(int)  # double-click or Entrée on a row
    selection_changed = Signal()  # the set of selected rows changed
    context_menu_requested = Signal(QPoint)  # global position (mouse or the keyboard's menu key)

    def __init__(self, model: MessageListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageList")
        self.model = model
        self._scope_name = ""

        self.search = QLineEdit(self)
        self.search.setObjectName("messageSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Rechercher dans les messages"))
        self.set_scope_name("")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)

        self.table = MessageTable(self)
        self.table.setModel(model)
        self.delegate = MessageCellDelegate(model, self.table)
        self.table.setItemDelegate(self.delegate)
        header = self.table.horizontalHeader()
        for column, mode in ((Column.ATTACHMENT, QHeaderView.ResizeMode.Fixed),
                             (Column.SENDER, QHeaderView.ResizeMode.Interactive),
                             (Column.SUBJECT, QHeaderView.ResizeMode.Stretch),
                             (Column.DATE, QHeaderView.ResizeMode.Interactive),
                             (Column.RECEIPT, QHeaderView.ResizeMode.Fixed)):
            header.setSectionResizeMode(column, mode)
        icon_width = self.table.fontMetrics().height() + 12
        header.resizeSection(Column.ATTACHMENT, icon_width)
        header.resizeSection(Column.RECEIPT, icon_width)
        header.resizeSection(Column.SENDER, 220)
        header.resizeSection(Column.DATE, self.table.fontMetrics().horizontalAdvance(
            "00/00/0000 00:00") + 24)
        self._sort_column = int(Column.DATE)
        self._sort_order = Qt.SortOrder.DescendingOrder
        header.setSortIndicator(self._sort_column, self._sort_order)
        header.sortIndicatorChanged.connect(self._on_sort_indicator)
        self.table.setSortingEnabled(True)

        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.activated.connect(self._on_activated)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda pos: self.context_menu_requested.emit(self.table.viewport().mapToGlobal(pos)))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)

    def set_scope_name(self, name: str) -> None:
        """The folder (or account) name shown in the search field's placeholder."""
        self._scope_name = name
        if name:
            text = self.tr("Rechercher dans {name}…").format(name=name)
        else:
            text = self.tr("Rechercher dans les messages…")
        self.search.setPlaceholderText(text)

    def apply_search(self) -> None:
        self._search_timer.stop()
        self.model.set_search(self.search.text())

    def _on_sort_indicator(self, column: int, order: Qt.SortOrder) -> None:
        if 0 <= column < len(Column) and Column(column) in SORTABLE:
            self._sort_column, self._sort_order = column, order
            return
        # Icon columns do not sort: put the indicator back where the order really is.
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(self._sort_column, self._sort_order)
        header.blockSignals(False)

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.selection_changed.emit()
        current = self.table.selectionModel().currentIndex()
        rows = self.table.selectionModel().selectedRows()
        if len(rows) != 1 or not current.isValid():
            self.current_message_changed.emit(None)
            return
        self.current_message_changed.emit(current.data(Roles.MESSAGE_ID))

    def _on_activated(self, index: QModelIndex) -> None:
        message_id = index.data(Roles.MESSAGE_ID)
        if message_id is not None:
            self.message_activated.emit(int(message_id))

    def selected_message_ids(self) -> list[int]:
        ids = []
        for index in self.table.selectionModel().selectedRows():
            value = index.data(Roles.MESSAGE_ID)
            if value is not None:
                ids.append(int(value))
        return ids

    def selected_rows(self) -> list[int]:
        """The selected row numbers, in view order."""
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def select_message(self, message_id: int) -> bool:
        """Select ``message_id``'s row alone and make it current (the reader follows); False
        when it is not among the rows read so far."""
        row = self.model.row_of(message_id)
        if row is None:
            return False
        index = self.model.index(row, int(Column.SUBJECT))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        return True
