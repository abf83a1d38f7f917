"""The main window: accounts on the left (each with its two MSSanté panes), the reading area on the
right. It only presents what it is given; loading happens off the UI thread in ``ui.main``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from ui.models.account_model import AccountModel, AccountRow, NodeType, Roles

# Badge colours per mailbox kind; dark enough for white text (contrast ratio >= 4.5:1).
_BADGE_COLOURS = {"PER": "#1f5fa8", "ORG": "#2e7040", "APP": "#8a4b00"}
_PADDING = 4


class AccountDelegate(QStyledItemDelegate):
    """Account rows on two lines: a kind badge and the address, then who opens it (ORG) or the
    holder's name. Pane rows use the default look."""

    def _is_account(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        return index.data(Roles.NODE_TYPE) == NodeType.ACCOUNT

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        if not self._is_account(index):
            return size
        metrics = QFontMetrics(option.font)
        small = QFontMetrics(self._small_font(option.font))
        height = metrics.height() + small.height() + 3 * _PADDING
        width = (self._badge_width(option.font, index.data(Roles.KIND) or "")
                 + metrics.horizontalAdvance(index.data() or "") + 4 * _PADDING)
        return QSize(max(size.width(), width), max(size.height(), height))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if not self._is_account(index):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        address, opt.text = opt.text, ""  # the style draws selection/focus; we draw the text
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

        kind = str(index.data(Roles.KIND) or "")
        second = str(index.data(Roles.SUBTITLE) or "")
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_role = (QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        rect = opt.rect.adjusted(_PADDING, _PADDING, -_PADDING, -_PADDING)
        metrics = QFontMetrics(opt.font)
        small_font = self._small_font(opt.font)
        small = QFontMetrics(small_font)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Badge: the kind code in a rounded box, vertically centred on the first line.
        badge_width = self._badge_width(opt.font, kind)
        badge = QRect(rect.left(), rect.top() + (metrics.height() - small.height() - 2) // 2,
                      badge_width, small.height() + 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(_BADGE_COLOURS.get(kind, "#555555")))
        painter.drawRoundedRect(badge, 3, 3)
        badge_font = QFont(small_font)
        badge_font.setBold(True)
        painter.setFont(badge_font)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, kind)

        # First line: the address, elided in the middle so both ends stay readable.
        left = badge.right() + 1 + 2 * _PADDING
        line1 = QRect(left, rect.top(), rect.right() - left, metrics.height())
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(opt.palette.color(text_role))
        painter.drawText(line1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(address, Qt.TextElideMode.ElideMiddle,
                                                       line1.width()))
        # Second line: smaller, in a muted colour unless selected.
        if second:
            line2 = QRect(left, line1.bottom() + 1 + _PADDING, line1.width(), small.height())
            painter.setFont(small_font)
            if not selected:
                painter.setPen(opt.palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(line2, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             small.elidedText(second, Qt.TextElideMode.ElideMiddle, line2.width()))
        painter.restore()

    @staticmethod
    def _small_font(font: QFont) -> QFont:
        small = QFont(font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(small.pointSizeF() * 0.85)
        return small

    def _badge_width(self, font: QFont, kind: str) -> int:
        bold = self._small_font(font)
        bold.setBold(True)
        # One width for every kind, so addresses line up whatever the badge says.
        metrics = QFontMetrics(bold)
        return max(metrics.horizontalAdvance(k) for k in (*_BADGE_COLOURS, kind)) + 2 * _PADDING


class MainWindow(QMainWindow):
    closed = Signal()  # after the window accepted to close; ``ui.main`` then closes the profile

    def __init__(self, accounts: Iterable[Any] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle(self.tr("Estafette — Messagerie sécurisée de santé"))
        self.resize(1100, 700)

        self.account_model = AccountModel(self)
        self.account_tree = QTreeView(self)
        self.account_tree.setObjectName("accountTree")
        self.account_tree.setAccessibleName(self.tr("Comptes de messagerie"))
        self.account_tree.setAccessibleDescription(
            self.tr("Vos boîtes MSSanté, chacune avec ses volets Professionnels et Patients"))
        self.account_tree.setModel(self.account_model)
        self.account_tree.setItemDelegate(AccountDelegate(self.account_tree))
        self.account_tree.setHeaderHidden(True)
        self.account_tree.setUniformRowHeights(False)
        self.account_tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.account_model.modelReset.connect(self._on_accounts_reset)

        self.placeholder = QLabel(self.tr("Aucun message sélectionné"), self)
        self.placeholder.setObjectName("readingPlaceholder")
        self.placeholder.setAccessibleName(self.tr("Zone de lecture"))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)  # greyed: nothing to act on yet

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.account_tree)
        splitter.addWidget(self.placeholder)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 660])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.account_count_label = QLabel(self)
        self.account_count_label.setObjectName("accountCount")
        self.account_count_label.setAccessibleName(self.tr("Nombre de comptes"))
        self.statusBar().addPermanentWidget(self.account_count_label)

        self._build_menus()
        self.set_accounts(accounts)

    # -- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = self._menu(bar.addMenu(self.tr("&Fichier")), "fileMenu")
        self.quit_action = self._action(self.tr("&Quitter"), "quitAction",
                                        QKeySequence(self.tr("Ctrl+Q")))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self.quit_action)

        self.edit_menu = self._menu(bar.addMenu(self.tr("&Édition")), "editMenu")
        self.find_action = self._action(self.tr("&Rechercher dans les messages…"), "findAction",
                                        QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.setEnabled(False)  # arrives with the message list
        self.edit_menu.addAction(self.find_action)

        self.view_menu = self._menu(bar.addMenu(self.tr("&Affichage")), "viewMenu")
        self.status_bar_action = self._action(self.tr("Barre d'é&tat"), "statusBarAction")
        self.status_bar_action.setCheckable(True)
        self.status_bar_action.setChecked(True)
        self.status_bar_action.toggled.connect(self.statusBar().setVisible)
        self.view_menu.addAction(self.status_bar_action)

        self.tools_menu = self._menu(bar.addMenu(self.tr("&Outils")), "toolsMenu")
        self.directory_action = self._action(self.tr("&Annuaire"), "directoryAction")
        self.settings_action = self._action(self.tr("&Paramètres…"), "settingsAction")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        for action in (self.directory_action, self.settings_action):
            action.setEnabled(False)  # not implemented yet: visible so the layout is stable
            self.tools_menu.addAction(action)

        self.help_menu = self._menu(bar.addMenu(self.tr("Ai&de")), "helpMenu")
        self.about_action = self._action(self.tr("À &propos d'Estafette"), "aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.help_menu.addAction(self.about_action)

    @staticmethod
    def _menu(menu: QMenu, name: str) -> QMenu:
        menu.setObjectName(name)
        return menu

    def _action(self, text: str, name: str, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        return action

    # -- content -----------------------------------------------------------------------------
    def set_accounts(self, accounts: Iterable[Any | AccountRow]) -> None:
        self.account_model.set_accounts(accounts)

    def _on_accounts_reset(self) -> None:
        self.account_tree.expandAll()
        count = self.account_model.rowCount()
        if count == 0:
            text = self.tr("Aucun compte")
        elif count == 1:
            text = self.tr("1 compte")
        else:
            text = self.tr("{count} comptes").format(count=count)
        self.account_count_label.setText(text)
        if count:
            self.account_tree.setCurrentIndex(self.account_model.index(0, 0, QModelIndex()))

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()

    def show_about(self) -> QMessageBox:
        """Non-blocking About box: ``open()``, never ``exec()``, so the asyncio loop keeps going."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            release = version("estafette")
        except PackageNotFoundError:
            release = "?"
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(self.tr("À propos d'Estafette"))
        box.setText(self.tr("Estafette {version}").format(version=release))
        box.setInformativeText(self.tr(
            "Client de bureau pour la messagerie sécurisée de santé MSSanté."))
        box.open()
        return box
