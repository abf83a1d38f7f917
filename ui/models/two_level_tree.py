"""The index arithmetic shared by the window's two-level trees (accounts → panes, patients →
conversations): a top-level row has internal id 0; a child stores its parent's row + 1."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex

_Index = QModelIndex | QPersistentModelIndex


class TwoLevelTreeModel(QAbstractItemModel):
    """Subclasses give ``_top_count()`` and ``_child_count(top_row)``; the rest is here."""

    def _top_count(self) -> int:
        raise NotImplementedError

    def _child_count(self, top_row: int) -> int:
        raise NotImplementedError

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        if parent.internalId() == 0:
            return self.createIndex(row, column, parent.row() + 1)
        return QModelIndex()

    def parent(self, child: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return self._top_count()
        if parent.column() == 0 and parent.internalId() == 0:
            return self._child_count(parent.row())
        return 0
