"""A recipients field (À, Cc): one chip per address with its whitelist badge, and directory
autocomplete while typing.

* Each address becomes a chip as soon as it is typed (Entrée, virgule, point-virgule, leaving the
  field) or picked from the completions. The whitelist decision is asked off the UI thread; until
  it arrives the badge shows "…", then ✓ (allowed) or ✗ (blocked). The decision's French reason is
  the chip's tooltip and accessible description, so a screen reader says why an address is
  refused (MSSANTE.md §1: Estafette blocks recipients outside the list).
* Completions come from the directory's autocomplete, debounced (a search per pause, not per
  key) and run off the UI thread; a late answer for an older prefix is dropped.

The field receives its collaborators as callables (``check``, ``autocomplete``) and a
``BackgroundRunner``; it never imports a service.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
    QWidgetItem,
)

from ui.dialogs import BackgroundRunner

AUTOCOMPLETE_DELAY_MS = 250
MIN_PREFIX = 2
ADDRESS_ROLE = Qt.ItemDataRole.UserRole + 1

_SEPARATORS = re.compile(r"[,;\n\r\t]+")
_BRACKETED = re.compile(r"<([^<>]+)>")


class _Decision(Protocol):
    allowed: bool
    reason: str


class _Entry(Protocol):
    address: str

    @property
    def name(self) -> str: ...


class ChipState(enum.Enum):
    PENDING = "pending"
    ALLOWED = "allowed"
    BLOCKED = "blocked"


def split_addresses(text: str) -> list[str]:
    """``"Dr A <a@x.fr>; b@y.fr"`` -> ``["a@x.fr", "b@y.fr"]``: separators are , ; and line
    breaks; a display name around ``<address>`` is dropped."""
    out: list[str] = []
    for part in _SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        bracketed = _BRACKETED.search(part)
        out.append(bracketed.group(1).strip() if bracketed else part)
    return [a for a in out if a]


# --- a layout that wraps its items like words -----------------------------------------------------


class FlowLayout(QLayout):
    """Left-to-right, wrapping to a new line when the width runs out (Qt's flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def insertWidget(self, index: int, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if 0 <= index < len(self._items):
            return self._items.pop(index)
        return None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        visible = [i for i in self._items if not ((w := i.widget()) and w.isHidden())]
        for position, item in enumerate(visible):
            hint = item.sizeHint()
            last = position == len(visible) - 1
            width = hint.width()
            if x + width > area.right() + 1 and line_height > 0:
                x, y, line_height = area.x(), y + line_height + self._spacing, 0
            if last:
                # The text entry takes the rest of the line (at least its own hint).
                width = max(hint.width(), area.right() + 1 - x)
            if apply:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()


# --- one address ----------------------------------------------------------------------------------


class RecipientChip(QFrame):
    remove_requested = Signal(object)  # the chip

    def __init__(self, address: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.address = address
        self.state = ChipState.PENDING
        self.reason = ""
        self.setObjectName("recipientChip")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 2, 1)
        layout.setSpacing(4)
        self.badge = QLabel(self)
        self.badge.setObjectName("recipientBadge")
        self.text_label = QLabel(address, self)
        self.text_label.setObjectName("recipientAddress")
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("recipientRemove")
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button.setToolTip(self.tr("Retirer ce destinataire"))
        self.remove_button.setAccessibleName(self.tr("Retirer {address}").format(address=address))
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(self.badge)
        layout.addWidget(self.text_label)
        layout.addWidget(self.remove_button)
        self._show_state()

    def set_decision(self, allowed: bool, reason: str) -> None:
        self.state = ChipState.ALLOWED if allowed else ChipState.BLOCKED
        self.reason = reason
        self._show_state()

    def set_unknown(self, reason: str) -> None:
        """The check itself failed: treated as blocked, with the failure as the reason."""
        self.set_decision(False, reason)

    def _show_state(self) -> None:
        if self.state is ChipState.ALLOWED:
            badge, status = "✓", self.tr("autorisé")
            colours = ("#e7f4ea", "#2e7d32", "#1b5e20")
        elif self.state is ChipState.BLOCKED:
            badge, status = "✗", self.tr("bloqué")
            colours = ("#fdecea", "#c62828", "#b71c1c")
        else:
            badge, status = "…", self.tr("vérification en cours")
            colours = ("#f1f1f1", "#9e9e9e", "#616161")
        background, border, ink = colours
        self.badge.setText(badge)
        self.setProperty("state", self.state.value)
        self.setStyleSheet(
            f"QFrame#recipientChip {{ background: {background}; border: 1px solid {border};"
            " border-radius: 9px; }"
            f" QLabel#recipientBadge {{ color: {ink}; font-weight: bold; }}"
            " QToolButton#recipientRemove { border: none; padding: 0 2px; }"
        )
        tip = self.reason or status
        self.setToolTip(f"{self.address} — {tip}" if self.reason else tip)
        self.setAccessibleName(
            self.tr("Destinataire {address}, {status}").format(address=self.address,
                                                                  status=status))
        self.setAccessibleDescription(self.reason or status)
        self.badge.setAccessibleName(status)
        self.badge.setToolTip(tip)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(self)
            return
        super().keyPressEvent(event)


# --- the field ------------------------------------------------------------------------------------


class _EntryEdit(QLineEdit):
    """The text part: a comma or semicolon ends an address; Backspace on empty takes the last
    chip back."""

    separator_typed = Signal()
    backspace_on_empty = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.text() in (",", ";"):
            self.separator_typed.emit()
            return
        if event.key() == Qt.Key.Key_Backspace and not self.text():
            self.backspace_on_empty.emit()
            return
        super().keyPressEvent(event)


class RecipientField(QFrame):
    """Chips + a text entry. ``changed`` fires when the set of addresses or a badge changes."""

    changed = Signal()

    def __init__(
        self,
        *,
        runner: BackgroundRunner,
        check: Callable[[str], _Decision],
        autocomplete: Callable[[str], Sequence[_Entry]] | None = None,
        accessible_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recipientField")
        self._runner = runner
        self._check = check
        self._autocomplete = autocomplete
        self._chips: list[RecipientChip] = []
        self._query_serial = 0
        self._checks_pending = 0
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._layout = FlowLayout(self)
        self._layout.setContentsMargins(3, 3, 3, 3)

        self.line_edit = _EntryEdit(self)
        self.line_edit.setObjectName("recipientInput")
        self.line_edit.setFrame(False)
        self.line_edit.setMinimumWidth(180)
        self.line_edit.setPlaceholderText(self.tr("Nom ou adresse MSSanté"))
        self.line_edit.returnPressed.connect(self.commit_pending)
        self.line_edit.separator_typed.connect(self.commit_pending)
        self.line_edit.backspace_on_empty.connect(self._take_last_back)
        self.line_edit.textEdited.connect(self._on_text_edited)
        self.line_edit.installEventFilter(self)
        self._layout.addWidget(self.line_edit)
        self.setFocusProxy(self.line_edit)
        if accessible_name:
            self.setAccessibleName(accessible_name)
            self.line_edit.setAccessibleName(accessible_name)

        self.completion_model = QStandardItemModel(self)
        self.completer = QCompleter(self.completion_model, self)
        self.completer.setObjectName("recipientCompleter")
        # The directory already matched the prefix (accents, words): show its answers as they are.
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionRole(ADDRESS_ROLE)
        self.completer.setWidget(self.line_edit)  # not setCompleter: we insert chips ourselves
        self.completer.activated[QModelIndex].connect(  # type: ignore[index]
            self._on_completion)
        self._popup().setAccessibleName(self.tr("Suggestions de l'annuaire"))

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(AUTOCOMPLETE_DELAY_MS)
        self._debounce.timeout.connect(self._query_directory)

    def _popup(self) -> QAbstractItemView:
        popup = self.completer.popup()
        assert popup is not None  # QCompleter always makes one
        return popup

    # -- public API ------------------------------------------------------------------------------
    def addresses(self) -> list[str]:
        return [chip.address for chip in self._chips]

    def chips(self) -> list[RecipientChip]:
        return list(self._chips)

    def chip(self, address: str) -> RecipientChip | None:
        key = address.strip().casefold()
        return next((c for c in self._chips if c.address.casefold() == key), None)

    def blocked(self) -> list[RecipientChip]:
        return [c for c in self._chips if c.state is ChipState.BLOCKED]

    def checks_pending(self) -> bool:
        return self._checks_pending > 0

    def add_addresses(self, addresses: Iterable[str]) -> None:
        for address in addresses:
            self.add_address(address)

    def add_address(self, text: str) -> RecipientChip | None:
        address = text.strip()
        if not address or self.chip(address) is not None:
            return None
        chip = RecipientChip(address, self)
        chip.remove_requested.connect(self._remove_chip)
        self._layout.insertWidget(len(self._chips), chip)
        self._chips.append(chip)
        chip.show()
        self._checks_pending += 1
        self._runner.run(
            lambda: self._check(address),
            lambda decision: self._on_decision(chip, decision),
            lambda exc: self._on_check_failed(chip, exc),
        )
        self._relayout()
        self.changed.emit()
        return chip

    def remove_address(self, address: str) -> None:
        chip = self.chip(address)
        if chip is not None:
            self._remove_chip(chip)

    def clear(self) -> None:
        for chip in list(self._chips):
            self._remove_chip(chip)
        self.line_edit.clear()

    def commit_pending(self) -> None:
        """Turn whatever is typed into chips (called before sending, too)."""
        text = self.line_edit.text()
        if not text.strip():
            return
        self.line_edit.clear()
        self._debounce.stop()
        self._query_serial += 1  # answers for the old prefix are no longer wanted
        self._popup().hide()
        for address in split_addresses(text):
            self.add_address(address)

    # -- internals -------------------------------------------------------------------------------
    def _relayout(self) -> None:
        self._layout.invalidate()
        self.updateGeometry()

    def _remove_chip(self, chip: RecipientChip) -> None:
        if chip not in self._chips:
            return
        self._chips.remove(chip)
        self._layout.removeWidget(chip)
        chip.hide()
        chip.deleteLater()
        self._relayout()
        self.line_edit.setFocus()
        self.changed.emit()

    def _take_last_back(self) -> None:
        if not self._chips:
            return
        chip = self._chips[-1]
        address = chip.address
        self._remove_chip(chip)
        self.line_edit.setText(address)

    def _on_decision(self, chip: RecipientChip, decision: _Decision) -> None:
        self._checks_pending -= 1
        if chip in self._chips:
            chip.set_decision(bool(decision.allowed), str(decision.reason))
            self._relayout()
            self.changed.emit()

    def _on_check_failed(self, chip: RecipientChip, exc: BaseException) -> None:
        from ui.dialogs import error_text

        self._checks_pending -= 1
        if chip in self._chips:
            chip.set_unknown(error_text(exc, self.tr(
                "La liste blanche n'a pas pu être consultée ; l'adresse est bloquée par "
                "prudence.")))
            self.changed.emit()

    def _on_text_edited(self, text: str) -> None:
        if self._autocomplete is None:
            return
        if len(text.strip()) < MIN_PREFIX:
            self._debounce.stop()
            self._query_serial += 1
            self._popup().hide()
            return
        self._debounce.start()

    def _query_directory(self) -> None:
        prefix = self.line_edit.text().strip()
        if self._autocomplete is None or len(prefix) < MIN_PREFIX:
            return
        self._query_serial += 1
        serial = self._query_serial
        autocomplete = self._autocomplete
        self._runner.run(
            lambda: list(autocomplete(prefix)),
            lambda entries: self._show_completions(serial, prefix, entries),
            lambda _exc: None,  # no suggestions is not worth an error: typing still works
        )

    def _show_completions(self, serial: int, prefix: str, entries: list[_Entry]) -> None:
        if serial != self._query_serial or self.line_edit.text().strip() != prefix:
            return  # the user typed on: a newer query is coming
        self.completion_model.clear()
        for entry in entries:
            name = entry.name
            label = f"{name} <{entry.address}>" if name and name != entry.address else entry.address
            item = QStandardItem(label)
            item.setData(entry.address, ADDRESS_ROLE)
            item.setToolTip(label)
            item.setEditable(False)
            self.completion_model.appendRow(item)
        if entries and self.line_edit.hasFocus():
            self.completer.setCompletionPrefix("")
            self.completer.complete()
        elif not entries:
            self._popup().hide()

    def _on_completion(self, index: QModelIndex) -> None:
        address = index.data(ADDRESS_ROLE)
        if not address:
            return
        self.line_edit.clear()
        self._query_serial += 1
        self.add_address(str(address))
        self.line_edit.setFocus()

    def suggestions(self) -> list[str]:
        """The labels currently offered (for tests and accessibility checks)."""
        model = self.completion_model
        return [str(model.index(r, 0).data()) for r in range(model.rowCount())]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.line_edit and event.type() == QEvent.Type.FocusOut
                and not self._popup().isVisible()):
            self.commit_pending()
        return super().eventFilter(watched, event)

    def mousePressEvent(self, event: Any) -> None:
        self.line_edit.setFocus()
        super().mousePressEvent(event)
