"""The main window: accounts on the left (each with its two MSSanté panes, spec §9) and the folders
of the current one; on the right the message list, then the reader with its attachment bar; the
"Patients" pane adds the patient conversations above the list. Status bar with sync progress,
connection state, outbox count and the CPS card; new mail in the tray (a count only).

It only presents: every store read or write runs on the profile's database executor, parsing and
previews on its CPU pool, each account's sync on its own thread (``app.services.sync_runner``);
answers come back on the GUI thread through ``ui.operations``. Core events arrive through
``ui.bridge.EventBridge``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.domain.settings import AppSettings
from app.errors import UserFacingError
from app.events import Event, MessagesChanged, MessagesStored, StoreIntegrityChecked
from app.services.auth_events import CardRemoved
from app.store.message_queries import Audience
from ui.bridge import EventBridge
from ui.dialogs import error_text
from ui.models.account_model import AccountModel, AccountRow, NodeType, Pane, Roles
from ui.models.account_model import Roles as AccountRoles
from ui.models.conversation_model import PatientRow, load_patients
from ui.models.folder_model import FolderModel
from ui.models.folder_model import Roles as FolderRoles
from ui.models.message_list_model import MessageListModel
from ui.models.message_list_model import Roles as ListRoles
from ui.operations import BackgroundOp, make_runner
from ui.services.lock_controller import LockController
from ui.tray import NewMailNotifier
from ui.widgets.card_status import CardStatusIndicator
from ui.widgets.message_list import MessageListView
from ui.widgets.status_bar import SyncStatusBar
from ui.windows.patient_pane import NewPatientMessageDialog, PatientPane

if TYPE_CHECKING:
    from ui.widgets.attachment_bar import AttachmentBar
    from ui.widgets.preview import FilingRequest, PreviewPanel
    from ui.widgets.reader import MessageReader, ReaderContent

T = TypeVar("T")
REFRESH_DELAY_MS = 300
# A local change (read, flag, move, delete) is sent by a pass this long after the last one.
PUSH_CHANGES_DELAY_MS = 1_500
MAX_DRAFTS_LISTED = 30  # Fichier ▸ Brouillons
LABEL_ROWS_MAX = 500
OUTBOX_INTERVAL_MS = 30_000
# The profile's services (sync, outbox, receipts…) are built off the UI thread once the first
# page of the list is painted (``Profile.start_services``): this long after that page came in,
# or this long after the window was built when no list loads (no account yet).
SERVICES_AFTER_LIST_MS = 50
SERVICES_FALLBACK_MS = 1_000

log = logging.getLogger(__name__)

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


@dataclass
class _Selection:
    """What the left side points at: an account, its pane, its folder."""

    address: str = ""
    login: str = ""
    pane: str = Pane.PROFESSIONALS.value
    account_id: int | None = None
    folder_id: int | None = None


class MainWindow(QMainWindow):
    """Accounts, folders and panes on the left; the message list, then the reader, on the right.

    Without a ``profile`` it is only the shell (tests of the tree, translations). With one, it
    wires the core: every store read runs on the profile's database executor, parsing and
    previews on its CPU pool, sync passes on each account's own thread (``SyncRunner``), and
    answers come back through ``ui.operations`` — never a blocking call on the UI thread.
    """

    closed = Signal()  # after the window accepted to close; ``ui.main`` then closes the profile
    logout_requested = Signal()
    message_shown = Signal(int)  # the reader shows this message (store id)
    mdn_request_shown = Signal(int)  # the reader asks about this read-receipt request (id)
    mdn_answered = Signal(int)  # the user's answer to that request was recorded
    preview_opened = Signal(object)  # the PreviewFrame just opened
    composer_opened = Signal(object)  # the Composer just opened
    sync_done = Signal(str)  # an account's first pass finished (address)
    filed = Signal(object)  # FiledDocument
    printed = Signal(object, int)  # message id, attachment position (-1: the message itself)
    _outbox_finished = Signal(object)  # run_due's results (None when it failed)

    def __init__(
        self,
        accounts: Iterable[Any] = (),
        parent: QWidget | None = None,
        *,
        profile: Any | None = None,
        bridge: EventBridge | None = None,
        settings: AppSettings | None = None,
        sync_on_start: bool = True,
        undo_seconds: float | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        use_tray: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle(self.tr("Estafette — Messagerie sécurisée de santé"))
        self.resize(1280, 780)
        self.profile = profile
        self.bridge = bridge
        self.settings = settings or AppSettings()
        self._loop = loop
        self._undo_seconds = undo_seconds
        self._accounts: dict[str, Any] = {}  # address -> app.domain.account.Account
        self._account_ids: dict[str, int] = {}
        self._selection = _Selection()
        self._current_message: int | None = None
        self._current_attachments: tuple[Any, ...] = ()
        self._watches: dict[str, Any] = {}
        # address -> (AuthService, PscSession) of each Pro Santé Connect login this window made.
        self._psc_sessions: dict[str, tuple[Any, Any]] = {}
        self._synced: set[str] = set()
        self._syncing: set[str] = set()
        self.composers: list[Any] = []
        self.preview_dialog: QDialog | None = None
        self.directory_dialog: Any = None
        self._runner = make_runner(self)
        self.sync_runner: Any = None
        self._outbox_thread: Any = None
        self._closing = False

        # -- left: accounts (with the two MSSanté panes), then the folders of the current one --
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
        self.account_tree.selectionModel().currentChanged.connect(self._on_tree_current)

        self.folder_model = FolderModel(self)
        self.folder_tree = QTreeView(self)
        self.folder_tree.setObjectName("folderTree")
        self.folder_tree.setAccessibleName(self.tr("Dossiers"))
        self.folder_tree.setModel(self.folder_model)
        self.folder_tree.setHeaderHidden(True)
        self.folder_tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.folder_tree.selectionModel().currentChanged.connect(self._on_folder_current)
        self.folder_model.modelReset.connect(self.folder_tree.expandAll)

        left = QSplitter(Qt.Orientation.Vertical, self)
        left.setObjectName("leftSplitter")
        left.addWidget(self.account_tree)
        left.addWidget(self.folder_tree)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)
        left.setChildrenCollapsible(False)

        # -- right: patient pane (Patients only), message list, reader --
        self.patient_pane = PatientPane(self)
        self.patient_pane.hide()
        self.patient_pane.new_message_requested.connect(self.new_patient_message)
        self.patient_pane.patient_selected.connect(self._on_patient_selected)

        self.placeholder = QLabel(self.tr("Aucun message sélectionné"), self)
        self.placeholder.setObjectName("readingPlaceholder")
        self.placeholder.setAccessibleName(self.tr("Zone de lecture"))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)  # greyed: nothing to act on yet

        # The reading page (reader, attachment bar, preview pane) is built on first use
        # (``reader``, ``attachment_bar``, ``reader_splitter``): its parsing and sanitising code
        # is not needed to paint the list. Previews open in a pane beside the message
        # (closable; "open in a window" moves the same preview into a window of its own).
        self._reader: MessageReader | None = None
        self._attachment_bar: AttachmentBar | None = None
        self._reader_splitter: QSplitter | None = None
        self._preview_panel: PreviewPanel | None = None
        self._preview_source: tuple[int | None, int] | None = None  # (message id, position)
        self.reader_stack = QStackedWidget(self)
        self.reader_stack.setObjectName("readerStack")
        self.reader_stack.addWidget(self.placeholder)

        self.message_model: MessageListModel | None = None
        self.message_list: MessageListView | None = None
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.setObjectName("rightSplitter")
        right.addWidget(self.patient_pane)
        if profile is not None:
            from app.store.message_queries import MessageQueries

            self.queries = MessageQueries(database=profile.database)
            self.message_model = MessageListModel(source=self.queries,
                                                  executor=profile.executors.db, parent=self)
            self.message_list = MessageListView(self.message_model, self)
            self.message_list.current_message_changed.connect(self._on_message_current)
            self.message_model.loaded.connect(self._on_list_loaded)
            right.addWidget(self.message_list)
        right.addWidget(self.reader_stack)
        right.setChildrenCollapsible(False)
        right.setStretchFactor(right.indexOf(self.reader_stack), 3)
        self.right_splitter = right

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)
        if self.message_list is not None:
            right.setSizes([0, 300, 420])

        # -- status bar --
        self.card_status = CardStatusIndicator(bridge, reader_configured=False, parent=self)
        self.status = SyncStatusBar(self.card_status, self)
        self.setStatusBar(self.status)
        self.account_count_label = self.status.account_count_label

        self.notifier = NewMailNotifier(self, use_tray=use_tray and profile is not None)
        self.notifier.activated.connect(self._bring_to_front)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._refresh_now)
        self._outbox_timer = QTimer(self)
        self._outbox_timer.setInterval(OUTBOX_INTERVAL_MS)
        self._outbox_timer.timeout.connect(self.run_outbox)

        self.lock: LockController | None = None
        if profile is not None:
            self.lock = LockController(
                self, minutes=self.settings.lock_minutes,
                lock_on_card_removal=self.settings.lock_on_card_removal)
            self.lock.logout_requested.connect(self.logout)
            self.lock.psc_relogin_requested.connect(self._psc_relogin)

        self._outbox_finished.connect(self._outbox_done)
        self._build_menus()
        if bridge is not None:
            bridge.event_published.connect(self.handle_event)
        self.set_accounts(accounts)
        self._sync_on_start = sync_on_start
        self._services_requested = False
        self._services_timer = QTimer(self)
        self._services_timer.setSingleShot(True)
        self._services_timer.timeout.connect(self._start_services)
        if profile is not None:
            self._load_account_ids()
            self._load_unlock_policy()
            # The outbox and the sync wait for the services, built after the first paint.
            self._services_timer.start(SERVICES_FALLBACK_MS)

    # -- services ----------------------------------------------------------------------------
    def _start_services(self) -> None:
        """Build the profile's services off the UI thread (their imports are most of a cold
        start), then count and run the outbox, and sync when asked to at start."""
        if self.profile is None or self._services_requested or self._closing:
            return
        self._services_requested = True
        self._services_timer.stop()
        # The CPS card: watched on its own thread ("card-watch"), never this one; the card
        # indicator and the lock controller follow its events through the bridge.
        self.profile.watch_card(self.settings)
        self._cpu(self.profile.start_services, lambda _r: self._services_ready())

    def _services_ready(self) -> None:
        if self._closing:
            return
        self._count_outbox()
        self._outbox_timer.start()
        if self._sync_on_start:
            self.sync_all()

    # -- the reading page, built on first use -------------------------------------------------
    def _build_reader_page(self) -> None:
        from ui.widgets.attachment_bar import AttachmentBar
        from ui.widgets.reader import MessageReader

        reader = MessageReader(self)
        attachment_bar = AttachmentBar(self)
        attachment_bar.hide()
        reader.attachments_changed.connect(self._on_attachments)
        reader.mdn_send_requested.connect(self._send_mdn)
        reader.mdn_ignore_requested.connect(self._decline_mdn)
        attachment_bar.preview_requested.connect(self.preview_attachment)
        attachment_bar.open_requested.connect(self.preview_attachment)
        attachment_bar.save_requested.connect(self.save_attachment)
        message_column = QWidget(self)
        reader_layout = QVBoxLayout(message_column)
        reader_layout.setContentsMargins(0, 0, 0, 0)
        reader_layout.addWidget(reader, 1)
        reader_layout.addWidget(attachment_bar)
        reader_page = QSplitter(Qt.Orientation.Horizontal, self)
        reader_page.setObjectName("readerSplitter")
        reader_page.addWidget(message_column)
        reader_page.setChildrenCollapsible(False)
        reader_page.setStretchFactor(0, 2)
        self.reader_stack.addWidget(reader_page)  # index 1, after the placeholder
        for action in (self.toggle_read_action, self.toggle_flag_action, self.delete_action):
            reader_page.addAction(action)  # their keys work in the reader too (see above)
        self._reader, self._attachment_bar = reader, attachment_bar
        self._reader_splitter = reader_page

    @property
    def reader(self) -> MessageReader:
        if self._reader is None:
            self._build_reader_page()
        assert self._reader is not None
        return self._reader

    @property
    def attachment_bar(self) -> AttachmentBar:
        if self._attachment_bar is None:
            self._build_reader_page()
        assert self._attachment_bar is not None
        return self._attachment_bar

    @property
    def reader_splitter(self) -> QSplitter:
        if self._reader_splitter is None:
            self._build_reader_page()
        assert self._reader_splitter is not None
        return self._reader_splitter

    @property
    def preview_panel(self) -> PreviewPanel:
        """The preview pane beside the message, built on first use (hidden until a preview)."""
        if self._preview_panel is None:
            from ui.widgets.preview import PreviewPanel

            panel = PreviewPanel(self)
            panel.close_requested.connect(self.close_preview)
            panel.detach_requested.connect(self.detach_preview)
            panel.print_requested.connect(self.print_preview)
            self.reader_splitter.addWidget(panel)
            self.reader_splitter.setStretchFactor(1, 3)
            self._preview_panel = panel
        return self._preview_panel

    # -- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        live = self.profile is not None
        self.file_menu = self._menu(bar.addMenu(self.tr("&Fichier")), "fileMenu")
        self.new_message_action = self._action(self.tr("&Nouveau message"), "newMessageAction",
                                                QKeySequence(self.tr("Ctrl+N")))
        self.new_message_action.triggered.connect(lambda: self.open_composer())
        self.new_patient_action = self._action(self.tr("Nouveau message &patient…"),
                                               "newPatientMessageAction")
        self.new_patient_action.triggered.connect(self.new_patient_message)
        self.add_account_action = self._action(self.tr("&Ajouter un compte…"),
                                               "addAccountAction")
        self.add_account_action.triggered.connect(self.open_account_wizard)
        self.sync_action = self._action(self.tr("&Synchroniser"), "syncAction",
                                        QKeySequence(self.tr("F5")))
        self.sync_action.triggered.connect(self._sync_requested)
        # Fichier ▸ Brouillons: the drafts the composer saved as the user typed (filled when
        # opened, and after each save).
        self.drafts_menu = self._menu(QMenu(self.tr("&Brouillons"), self), "draftsMenu")
        self.drafts_menu.menuAction().setObjectName("draftsMenuAction")
        self.drafts_menu.menuAction().setToolTip(self.tr("Reprendre un brouillon enregistré"))
        self.drafts_menu.aboutToShow.connect(self._load_drafts)
        self._drafts: list[Any] = []
        self.quit_action = self._action(self.tr("&Quitter"), "quitAction",
                                        QKeySequence(self.tr("Ctrl+Q")))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        self.print_action = self._action(self.tr("&Imprimer…"), "printAction",
                                         QKeySequence(QKeySequence.StandardKey.Print))
        self.print_action.setToolTip(self.tr(
            "Imprimer le message, ou le document de l'aperçu quand il a le focus (Ctrl+P)"))
        self.print_action.triggered.connect(self.print_current)
        for action in (self.new_message_action, self.new_patient_action,
                       self.drafts_menu.menuAction(), None,
                       self.print_action, None,
                       self.sync_action, self.add_account_action, None):
            if action is None:
                self.file_menu.addSeparator()
            else:
                action.setEnabled(live)
                self.file_menu.addAction(action)
        self.print_action.setEnabled(False)  # once a message is shown
        if self.lock is not None:
            self.file_menu.addAction(self.lock.lock_action)
            self.file_menu.addAction(self.lock.logout_action)
            self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

        self.edit_menu = self._menu(bar.addMenu(self.tr("&Édition")), "editMenu")
        self.reply_action = self._action(self.tr("&Répondre"), "replyAction",
                                         QKeySequence(self.tr("Ctrl+R")))
        self.reply_action.triggered.connect(self.reply)
        self.reply_action.setEnabled(False)
        self.edit_menu.addAction(self.reply_action)
        self.reply_all_action = self._action(self.tr("Répondre à &tous"), "replyAllAction",
                                             QKeySequence(self.tr("Ctrl+Shift+R")))
        self.reply_all_action.triggered.connect(self.reply_all)
        self.forward_action = self._action(self.tr("&Transférer"), "forwardAction",
                                           QKeySequence(self.tr("Ctrl+L")))
        self.forward_action.triggered.connect(self.forward)
        for action in (self.reply_all_action, self.forward_action):
            action.setEnabled(False)
            self.edit_menu.addAction(action)
        self.find_action = self._action(self.tr("&Rechercher dans les messages…"), "findAction",
                                        QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.setEnabled(live)
        self.find_action.triggered.connect(self._focus_search)
        self.edit_menu.addAction(self.find_action)

        self.view_menu = self._menu(bar.addMenu(self.tr("&Affichage")), "viewMenu")
        self.status_bar_action = self._action(self.tr("Barre d'é&tat"), "statusBarAction")
        self.status_bar_action.setCheckable(True)
        self.status_bar_action.setChecked(True)
        self.status_bar_action.toggled.connect(self.statusBar().setVisible)
        self.view_menu.addAction(self.status_bar_action)

        self._build_message_menu(bar)

        self.tools_menu = self._menu(bar.addMenu(self.tr("&Outils")), "toolsMenu")
        self.directory_action = self._action(self.tr("&Annuaire"), "directoryAction",
                                             QKeySequence(self.tr("Ctrl+Shift+B")))
        self.directory_action.triggered.connect(self.open_directory)
        self.audit_action = self._action(self.tr("&Journal d'audit…"), "auditAction")
        self.audit_action.triggered.connect(self.open_audit)
        self.settings_action = self._action(self.tr("&Paramètres…"), "settingsAction")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.passphrase_action = self._action(self.tr("Phrase de passe du p&rofil…"),
                                              "passphraseAction")
        self.passphrase_action.setToolTip(self.tr(
            "Protéger la clé du profil par une phrase de passe, en changer ou la retirer"))
        self.passphrase_action.triggered.connect(self.open_passphrase_dialog)
        for action in (self.directory_action, self.audit_action, self.settings_action,
                       self.passphrase_action):
            action.setEnabled(live)
            self.tools_menu.addAction(action)

        self.help_menu = self._menu(bar.addMenu(self.tr("Ai&de")), "helpMenu")
        self.about_action = self._action(self.tr("À &propos d'Estafette"), "aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.help_menu.addAction(self.about_action)

        if live:
            toolbar = QToolBar(self.tr("Barre principale"), self)
            toolbar.setObjectName("mainToolbar")
            toolbar.setMovable(False)
            toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            for action in (self.sync_action, self.new_message_action, self.reply_action,
                           self.reply_all_action, self.forward_action, self.toggle_read_action,
                           self.toggle_flag_action, self.move_action, self.delete_action,
                           self.print_action, self.directory_action):
                toolbar.addAction(action)
            self.addToolBar(toolbar)
            self.toolbar = toolbar

    @staticmethod
    def _menu(menu: QMenu, name: str) -> QMenu:
        menu.setObjectName(name)
        return menu

    def _action(self, text: str, name: str, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    # -- message actions (Thunderbird-style): delete, read/unread, flag, move -----------------
    def _build_message_menu(self, bar: Any) -> None:
        """The "Message" menu, the list's context menu and their shortcuts. Every action works
        on all the selected rows; the store queues each change for the server (offline too)."""
        self.message_menu = self._menu(bar.addMenu(self.tr("&Message")), "messageMenu")
        self.toggle_read_action = self._action(self.tr("Marquer comme &lu"), "toggleReadAction",
                                               QKeySequence(self.tr("M")))
        self.toggle_read_action.setToolTip(self.tr(
            "Marquer les messages sélectionnés comme lus ou non lus (M)"))
        self.toggle_read_action.triggered.connect(self.toggle_read)
        self.toggle_flag_action = self._action(self.tr("Marquer d'un &drapeau"),
                                               "toggleFlagAction", QKeySequence(self.tr("S")))
        self.toggle_flag_action.setToolTip(self.tr(
            "Marquer les messages sélectionnés d'un drapeau, ou le retirer (S)"))
        self.toggle_flag_action.triggered.connect(self.toggle_flag)
        self.move_action = self._action(self.tr("Dé&placer vers…"), "moveAction",
                                        QKeySequence(self.tr("Ctrl+Shift+M")))
        self.move_action.setToolTip(self.tr(
            "Déplacer les messages sélectionnés vers un autre dossier (Ctrl+Maj+M)"))
        self.move_action.triggered.connect(self.open_move_dialog)
        self.move_menu = self._menu(QMenu(self.tr("Déplacer &vers"), self), "moveToMenu")
        self.move_menu.menuAction().setObjectName("moveToMenuAction")
        self.move_menu.menuAction().setToolTip(self.tr(
            "Choisir le dossier où déplacer les messages sélectionnés"))
        self.move_menu.aboutToShow.connect(self._fill_move_menu)
        self.delete_action = self._action(self.tr("&Supprimer"), "deleteAction",
                                          QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setToolTip(self.tr(
            "Mettre les messages sélectionnés à la corbeille (Suppr) ; dans la corbeille, "
            "les supprimer définitivement"))
        self.delete_action.triggered.connect(self.delete_selected)
        for action in (self.toggle_read_action, self.toggle_flag_action,
                       self.move_menu.menuAction(), self.move_action, None, self.delete_action):
            if action is None:
                self.message_menu.addSeparator()
            else:
                self.message_menu.addAction(action)
        # Single keys act on messages only where messages are: the list and the reader. Suppr
        # in the folder tree or the patient pane must not send the selected mail to the Trash.
        for action in (self.toggle_read_action, self.toggle_flag_action, self.delete_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.removeAction(action)
            if self.message_list is not None:
                self.message_list.addAction(action)
        self.message_context_menu = self._menu(QMenu(self), "messageContextMenu")
        for action in (self.reply_action, self.reply_all_action, self.forward_action, None,
                       self.toggle_read_action, self.toggle_flag_action,
                       self.move_menu.menuAction(), self.move_action, None, self.delete_action):
            if action is None:
                self.message_context_menu.addSeparator()
            else:
                self.message_context_menu.addAction(action)
        self._select_after_load: int | None = None
        self._kept_selection: list[int] = []
        self._push_accounts: set[str] = set()
        self._push_timer = QTimer(self)
        self._push_timer.setSingleShot(True)
        self._push_timer.setInterval(PUSH_CHANGES_DELAY_MS)
        self._push_timer.timeout.connect(self._push_local_changes)
        self._server_drafts: dict[int, Any] = {}  # message id -> the composer editing it
        self.delete_confirmation: QMessageBox | None = None
        self.move_dialog: QDialog | None = None
        # Password prompts (PasswordDialog), one per account; accounts whose prompt was
        # cancelled are not asked again until the user syncs by hand (no prompt loop).
        self.password_dialogs: dict[str, Any] = {}
        self._password_items: dict[str, set[int]] = {}
        self._password_declined: set[str] = set()
        if self.message_list is not None and self.message_model is not None:
            self.message_list.selection_changed.connect(self._update_message_actions)
            self.message_list.context_menu_requested.connect(self._show_message_context_menu)
            self.message_list.message_activated.connect(self._on_message_activated)
            self.message_model.loaded.connect(self._select_pending_message)
            self.message_model.modelAboutToBeReset.connect(self._remember_selection)
            self.message_model.modelReset.connect(self._update_message_actions)
            self.composer_opened.connect(self._watch_composer_drafts)
            self._load_drafts()
        self._update_message_actions()

    def _selected_lines(self) -> list[tuple[int, bool, bool]]:
        """(message id, unread, flagged) of each selected row already read from the store."""
        if self.message_list is None:
            return []
        lines = []
        for index in self.message_list.table.selectionModel().selectedRows():
            message_id = index.data(ListRoles.MESSAGE_ID)
            if message_id is not None:
                lines.append((int(message_id), bool(index.data(ListRoles.UNREAD)),
                              bool(index.data(ListRoles.FLAGGED))))
        return lines

    def _update_message_actions(self) -> None:
        selected = 0
        if self.profile is not None and self.message_list is not None:
            ranges = self.message_list.table.selectionModel().selection()
            selected = sum(r.height() for r in ranges)
        for action in (self.toggle_read_action, self.toggle_flag_action, self.move_action,
                       self.move_menu.menuAction(), self.delete_action):
            action.setEnabled(selected > 0)
        # The labels follow the rows' state; past a screenful they keep the "mark" wording
        # (reading every selected row would fetch pages the user never looked at).
        lines = self._selected_lines() if 0 < selected <= LABEL_ROWS_MAX else []
        # Thunderbird's toggles: any unread (unflagged) row selected means "mark them all".
        if not lines or any(unread for _i, unread, _f in lines):
            self.toggle_read_action.setText(self.tr("Marquer comme &lu"))
        else:
            self.toggle_read_action.setText(self.tr("Marquer comme &non lu"))
        if not lines or not all(flagged for _i, _u, flagged in lines):
            self.toggle_flag_action.setText(self.tr("Marquer d'un &drapeau"))
        else:
            self.toggle_flag_action.setText(self.tr("Retirer le &drapeau"))

    def _show_message_context_menu(self, position: QPoint) -> None:
        if self.profile is not None:
            self.message_context_menu.popup(position)

    def _current_account(self) -> Any | None:
        return self._accounts.get(self._selection.address)

    def _folder_entries(self) -> list[Any]:
        from ui.windows.message_actions import folder_entries

        return folder_entries(self.folder_model)

    def _with_selected_lines(self, act: Callable[[list[tuple[int, bool, bool]]], None]) -> None:
        """``act(lines)`` with (message id, unread, flagged) of every selected row. Rows whose
        page was never loaded (a select-all over a big folder) are read from the store first,
        on the database thread; should the list have changed meanwhile (the rows already seen
        no longer where they were), nothing is done and the user is told to select again."""
        if self.profile is None or self.message_list is None or self.message_model is None:
            return
        model = self.message_model
        ranges = sorted((r.top(), r.bottom())
                        for r in self.message_list.table.selectionModel().selection())
        cached = model.cached_rows(ranges)
        if cached is not None:
            if cached:
                act([(r.id, r.unread, r.flagged) for r in cached])
            return
        seen = model.cached_ids(ranges)
        rows_wanted = [row for first, last in ranges for row in range(first, last + 1)]

        def read(rows: list[Any]) -> None:
            if self._closing:
                return
            if len(rows) != len(rows_wanted) or any(
                    seen.get(row, rows[i].id) != rows[i].id for i, row in enumerate(rows_wanted)):
                self.status.showMessage(self.tr(
                    "La liste a changé pendant la lecture de la sélection ; sélectionnez à "
                    "nouveau les messages."), 10_000)
                return
            act([(r.id, r.unread, r.flagged) for r in rows])

        self._db(model.rows_reader(ranges), read)

    def toggle_read(self) -> None:
        """M: mark the selected messages read, or unread when all of them are read already."""
        self._with_selected_lines(self._toggle_read)

    def _toggle_read(self, lines: list[tuple[int, bool, bool]]) -> None:
        if self.profile is None or not lines:
            return
        read = any(unread for _i, unread, _f in lines)
        ids = [message_id for message_id, _u, _f in lines]
        messages = self.profile.messages
        self._change_flags(ids, lambda: messages.mark_read(ids, read), unread=not read)

    def toggle_flag(self) -> None:
        """S: flag the selected messages, or unflag them when all of them are flagged."""
        self._with_selected_lines(self._toggle_flag)

    def _toggle_flag(self, lines: list[tuple[int, bool, bool]]) -> None:
        if self.profile is None or not lines:
            return
        flagged = not all(flag for _i, _u, flag in lines)
        ids = [message_id for message_id, _u, _f in lines]
        messages = self.profile.messages
        self._change_flags(ids, lambda: messages.mark_flagged(ids, flagged), flagged=flagged)

    def _change_flags(self, ids: list[int], write: Callable[[], None], *,
                      unread: bool | None = None, flagged: bool | None = None) -> None:
        """Shown at once (bold follows), written to the store and its offline queue on the
        database thread; a failed write puts the list back as the store has it."""
        assert self.message_model is not None
        model = self.message_model
        model.set_row_state(ids, unread=unread, flagged=flagged)
        self._update_message_actions()
        address = self._selection.address

        def failed(exc: BaseException) -> None:
            self._show_error(exc)
            model.refresh()

        def done(_result: None) -> None:
            self._local_change_done(address)
            # Read back what the store holds (a refresh read queued before this write would
            # otherwise leave the list showing the state before it); the selection is kept.
            self.schedule_refresh()

        self._db(write, done, failed)

    def _local_change_done(self, address: str) -> None:
        """The counts change at once; the server gets the change at the next pass, which a
        live account starts shortly (gathered: several keystrokes make one pass)."""
        if self._closing:
            return
        self._load_folders()
        if address in self._synced:
            self._push_accounts.add(address)
            self._push_timer.start()

    def _push_local_changes(self) -> None:
        accounts, self._push_accounts = self._push_accounts, set()
        for address in accounts:
            account = self._accounts.get(address)
            if account is not None and not self._closing:
                self.sync_account(account)

    def _next_after(self, ids: list[int]) -> int | None:
        """The message to select once ``ids`` leave the list: the one below the last of them,
        else the one above the first (as Thunderbird does)."""
        if self.message_list is None or self.message_model is None:
            return None
        gone = set(ids)
        rows = [r for r in self.message_list.selected_rows()
                if self.message_model.message_id(r) in gone]
        if not rows:
            return None
        for row in range(rows[-1] + 1, self.message_model.rowCount()):
            message_id = self.message_model.message_id(row)
            if message_id is None:
                return None  # not read yet: nothing sure to select
            if message_id not in gone:
                return message_id
        for row in range(rows[0] - 1, -1, -1):
            message_id = self.message_model.message_id(row)
            if message_id is not None and message_id not in gone:
                return message_id
        return None

    def _remember_selection(self) -> None:
        """Before the list is read again: the rows selected together (one row is the message
        being read, which ``_on_list_loaded`` selects again)."""
        if self.message_list is not None:
            ids = self.message_list.selected_message_ids()
            self._kept_selection = ids if ids != [self._current_message] else []

    def _select_pending_message(self, _count: int) -> None:
        message_id, self._select_after_load = self._select_after_load, None
        kept, self._kept_selection = self._kept_selection, []
        if self.message_list is None or self.message_model is None:
            return
        if message_id is not None:
            self.message_list.select_message(message_id)
        elif kept:
            # Silently, as ``_on_list_loaded`` does: the reader keeps what it shows.
            table = self.message_list.table
            selection = table.selectionModel()
            flags = (QItemSelectionModel.SelectionFlag.Select
                     | QItemSelectionModel.SelectionFlag.Rows)
            selection.blockSignals(True)
            for kept_id in kept:
                row = self.message_model.row_of(kept_id)
                if row is not None:
                    selection.select(self.message_model.index(row, 0), flags)
            selection.blockSignals(False)
            table.viewport().update()
        # ``_on_list_loaded`` may have selected the message being read again, signals blocked.
        self._update_message_actions()

    def delete_selected(self) -> None:
        """Suppr: to the Trash of the box; in the Trash (or with no Trash at all), after a
        confirmation, for good — locally now and on the server at the next pass."""
        self._with_selected_lines(self._delete_lines)

    def _delete_lines(self, lines: list[tuple[int, bool, bool]]) -> None:
        ids = [message_id for message_id, _u, _f in lines]
        if self.profile is None or not ids:
            return
        from ui.windows.message_actions import trash_folder

        entries = self._folder_entries()
        trash = trash_folder(entries, self._selection.folder_id)
        next_id = self._next_after(ids)
        if trash is not None and trash.folder_id != self._selection.folder_id:
            self._remove_messages(ids, target=trash, next_id=next_id)
            return
        self._confirm_delete(ids, next_id, has_trash=trash is not None)

    def _confirm_delete(self, ids: list[int], next_id: int | None, *, has_trash: bool) -> None:
        if len(ids) == 1:
            text = self.tr("Supprimer définitivement le message sélectionné ?")
        else:
            text = self.tr("Supprimer définitivement les {count} messages sélectionnés ?").format(
                count=len(ids))
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Supprimer définitivement"), text,
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("deleteConfirmation")
        box.setInformativeText(
            self.tr("Ils seront supprimés de ce poste et du serveur. Cette action est "
                    "irréversible.") if has_trash else
            self.tr("Ce compte n'a pas de corbeille : ils seront supprimés de ce poste et du "
                    "serveur. Cette action est irréversible."))
        confirm = box.addButton(self.tr("&Supprimer définitivement"),
                                QMessageBox.ButtonRole.DestructiveRole)
        confirm.setObjectName("confirmDeleteButton")
        cancel = box.addButton(self.tr("Annuler"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)  # Entrée must not destroy anything
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: Any) -> None:
            self.delete_confirmation = None
            if button is confirm:
                self._remove_messages(ids, target=None, next_id=next_id)

        box.buttonClicked.connect(answered)
        self.delete_confirmation = box
        box.open()

    def _fill_move_menu(self) -> None:
        self.move_menu.clear()
        current = self._selection.folder_id
        entries = [e for e in self._folder_entries() if e.folder_id != current]
        if not entries:
            empty = self.move_menu.addAction(self.tr("Aucun autre dossier"))
            empty.setEnabled(False)
            return
        for entry in entries:
            action = self.move_menu.addAction(entry.label.replace("&", "&&"))
            action.setObjectName(f"moveTo{entry.folder_id}")
            action.triggered.connect(
                lambda _checked=False, name=entry.full_name: self.move_selected_to(name))

    def open_move_dialog(self) -> None:
        """Ctrl+Maj+M: choose the folder in a dialog (type to filter, Entrée to move)."""
        count = 0
        if self.message_list is not None:
            count = sum(r.height() for r in self.message_list.table.selectionModel().selection())
        if self.profile is None or not count:
            return
        from ui.windows.message_actions import MoveToFolderDialog

        current = self._selection.folder_id
        entries = [e for e in self._folder_entries() if e.folder_id != current]
        dialog = MoveToFolderDialog(entries, count=count, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.folder_chosen.connect(self.move_selected_to)
        dialog.finished.connect(lambda _r: setattr(self, "move_dialog", None))
        self.move_dialog = dialog
        dialog.open()

    def move_selected_to(self, full_name: str) -> None:
        self._with_selected_lines(lambda lines: self._move_lines(lines, full_name))

    def _move_lines(self, lines: list[tuple[int, bool, bool]], full_name: str) -> None:
        ids = [message_id for message_id, _u, _f in lines]
        target = next((e for e in self._folder_entries() if e.full_name == full_name), None)
        if self.profile is None or not ids or target is None:
            return
        if target.folder_id == self._selection.folder_id:
            return
        self._remove_messages(ids, target=target, next_id=self._next_after(ids))

    def _source_ref(self) -> str:
        """The audit trail's name for the folder shown (its special use or ``#<id>``)."""
        from ui.windows.message_actions import audit_folder_ref

        source_id = self._selection.folder_id
        entries = {e.folder_id: e for e in self._folder_entries()}
        return audit_folder_ref(entries.get(source_id or -1), source_id or 0)

    def _remove_messages(self, ids: list[int], *, target: Any | None, next_id: int | None,
                         account: Any | None = None, source: str | None = None) -> None:
        """Move ``ids`` to ``target`` (None: delete them), trace each one in the audit trail
        (ids and folder references only), then show the next message. ``account`` and
        ``source`` (the folder's audit name): those shown, unless given."""
        assert self.profile is not None
        from app.domain.audit import AuditAction
        from app.services.credentials import actor_of
        from ui.windows.message_actions import audit_folder_ref

        messages, audit = self.profile.messages, self.profile.audit
        if account is None:
            account = self._current_account()
        address = str(account.address) if account is not None else self._selection.address
        if source is None:
            source = self._source_ref()
        if target is None:
            action, suffix = AuditAction.DELETE, ""
        else:
            action = AuditAction.MOVE
            suffix = " " + audit_folder_ref(target, target.folder_id)
        verb = "LOCAL DELETE" if target is None else "LOCAL MOVE"
        target_name = None if target is None else str(target.full_name)

        def run() -> None:
            uids: dict[int, int | None] = {}
            for message_id in ids:
                detail = messages.get(message_id)
                uids[message_id] = None if detail is None else detail.summary.uid
            if target_name is None:
                messages.delete(ids)
            else:
                messages.move(ids, target_name)
            if account is None:
                return
            actor = actor_of(account)
            for message_id, uid in uids.items():
                where = source if uid is None else f"{source} UID {uid}"
                try:
                    audit.record(mailbox=account.address, actor=actor, action=action,
                                 request=f"{verb} {where}{suffix}", message_ref=message_id)
                except Exception:  # the change is made: a refused trace must not hide it
                    log.warning("audit entry refused for a local %s", action.value)

        def done(_result: None) -> None:
            if self._current_message in ids:
                self._show_placeholder()
            self._select_after_load = next_id
            if self.message_model is not None and self.message_model.query is not None:
                self.message_model.refresh()
            self._local_change_done(address)

        def failed(exc: BaseException) -> None:
            self._show_error(exc)
            self._refresh_now()

        self._db(run, done, failed)

    # -- drafts: the composer's saved drafts, and the server's \Drafts folder -----------------
    def _load_drafts(self) -> None:
        if self.profile is None or self._closing:
            return
        from app.store.outbox_store import DraftStore

        drafts = DraftStore(database=self.profile.database)
        self._db(lambda: drafts.summaries(limit=MAX_DRAFTS_LISTED), self._show_drafts,
                 lambda _exc: None)

    def _show_drafts(self, summaries: list[Any]) -> None:
        """One entry per draft: its subject (on screen only) and when it was saved."""
        import time

        self._drafts = list(summaries)
        self.drafts_menu.clear()
        if not summaries:
            empty = self.drafts_menu.addAction(self.tr("Aucun brouillon"))
            empty.setEnabled(False)
            return
        several = len(self._accounts) > 1
        for draft in summaries:
            subject = draft.subject.strip() or self.tr("(sans objet)")
            when = time.strftime("%d/%m/%Y %H:%M", time.localtime(draft.updated_at))
            text = self.tr("{subject} — {when}").format(subject=subject, when=when)
            if several and draft.account:
                text += f" ({draft.account})"
            action = self.drafts_menu.addAction(text.replace("&", "&&"))
            action.setObjectName(f"draft{draft.id}")
            action.triggered.connect(
                lambda _checked=False, draft_id=draft.id: self.open_draft(draft_id))

    def open_draft(self, draft_id: int) -> Any:
        """A saved draft in the composer (recipients, subject, text, attachments, receipt
        request); sending it removes the draft. Already open: that composer comes forward."""
        for composer in self.composers:
            if composer.draft_id == draft_id and composer.isVisible():
                composer.raise_()
                composer.activateWindow()
                return composer
        return self.open_composer(draft_id=draft_id)

    def _watch_composer_drafts(self, composer: Any) -> None:
        for signal in (composer.draft_saved, composer.queued, composer.closed):
            signal.connect(lambda *_a: self._load_drafts())

    def _on_message_activated(self, message_id: int) -> None:
        """Double-click or Entrée: a message of the \\Drafts folder opens in the composer."""
        from ui.windows.message_actions import is_drafts_folder

        index = self.folder_tree.currentIndex()
        if index.isValid() and is_drafts_folder(str(index.data(FolderRoles.FULL_NAME) or ""),
                                                index.data(FolderRoles.SPECIAL_USE)):
            self.open_server_draft(message_id)
        elif message_id != self._current_message and self.profile is not None:
            self.open_message(message_id)

    def open_server_draft(self, message_id: int) -> None:
        """A draft of the server's \\Drafts folder (saved by this or another client) in the
        composer. The server copy stays as long as nothing changes; once the composer saves
        its own draft or sends, the server copy is removed (replaced, as Thunderbird does), so
        the draft never exists twice."""
        if self.profile is None:
            return
        composer = self._server_drafts.get(message_id)
        if composer is not None and composer.isVisible():
            composer.raise_()
            composer.activateWindow()
            return
        account = self._current_account()
        if account is None:
            return
        from ui.windows.message_actions import draft_payload_from_raw

        messages = self.profile.messages
        address, login = str(account.address), str(account.login)

        def parsed(raw: bytes | None) -> None:
            if raw is None:
                self.status.showMessage(self.tr(
                    "Ce brouillon n'est pas encore téléchargé ; réessayez après la "
                    "synchronisation."), 8000)
                return
            self._cpu(lambda: draft_payload_from_raw(raw, from_address=address, login=login),
                      lambda payload: self._edit_server_draft(message_id, payload))

        self._db(lambda: messages.raw(message_id), parsed)

    def _edit_server_draft(self, message_id: int, payload: dict[str, Any]) -> None:
        composer = self.open_composer()
        # The composer's own draft loader: fills the fields without marking the draft changed.
        composer._on_draft_loaded(payload)
        self._server_drafts[message_id] = composer
        from app.store.outbox_store import DraftStore
        from ui.windows.message_actions import draft_content

        assert self.profile is not None
        drafts = DraftStore(database=self.profile.database)
        account, source = self._current_account(), self._source_ref()
        baseline = draft_content(composer.draft_payload())
        replaced = False

        def supersede(*_args: Any) -> None:
            nonlocal replaced
            if replaced or self.profile is None:
                return
            replaced = True
            if self._server_drafts.get(message_id) is composer:
                del self._server_drafts[message_id]
            self._remove_messages([message_id], target=None, next_id=None, account=account,
                                  source=source)

        def saved(draft_id: int) -> None:
            if replaced:
                return
            if draft_content(composer.draft_payload()) == baseline:
                # Saved as opened (the composer re-checks its recipients once shown): the
                # server copy is still the draft; the composer's copy would be a second one.
                self._db(lambda: drafts.delete(draft_id), lambda _r: self._load_drafts(),
                         lambda _exc: None)
                return
            supersede()

        def closed() -> None:
            if self._server_drafts.get(message_id) is composer:
                del self._server_drafts[message_id]

        composer.draft_saved.connect(saved)
        composer.queued.connect(supersede)
        composer.closed.connect(closed)

    # -- password prompt (password accounts: refused or missing password) ---------------------
    def _sync_requested(self) -> None:
        """F5 / Synchroniser: the user asks, so a cancelled password prompt may come back."""
        self._password_declined.clear()
        self.sync_all()

    def _maybe_ask_password(self, account: Any, exc: BaseException,
                            items: Iterable[int] = ()) -> None:
        """A password account whose server refused the password, or whose password is not in
        the keyring (any more): ask for it, once per account at a time."""
        from app.domain.account import AuthMethod
        from app.errors import AuthenticationError, ServerUnreachableError

        if self.profile is None or self._closing or account.auth is not AuthMethod.PASSWORD:
            return
        address = str(account.address)
        if address in self._password_declined:
            return
        if isinstance(exc, AuthenticationError):
            self._ask_password(account, items, missing=False)
            return
        if isinstance(exc, ServerUnreachableError) or not isinstance(exc, UserFacingError):
            return
        store = self.profile.accounts
        wanted = list(items)

        def checked(missing: bool) -> None:
            if missing and address not in self._password_declined:
                self._ask_password(account, wanted, missing=True)

        self._db(lambda: not store.password(account), checked, lambda _exc: None)

    def _ask_password(self, account: Any, items: Iterable[int], *, missing: bool) -> None:
        from ui.dialogs.login_dialog import PasswordDialog

        address = str(account.address)
        self._password_items.setdefault(address, set()).update(items)
        dialog = self.password_dialogs.get(address)
        if dialog is not None:
            dialog.raise_()
            return
        reason = (self.tr("Aucun mot de passe n'est enregistré pour ce compte.") if missing
                  else self.tr("Le serveur a refusé le mot de passe enregistré."))
        dialog = PasswordDialog(address, login=str(account.login), message=reason, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda password: self._password_submitted(account, dialog,
                                                                           password))
        dialog.rejected.connect(lambda: self._password_cancelled(account))
        dialog.finished.connect(lambda _r: self._password_dialog_closed(address, dialog))
        self.password_dialogs[address] = dialog
        dialog.open()

    def _password_dialog_closed(self, address: str, dialog: Any) -> None:
        if self.password_dialogs.get(address) is dialog:
            del self.password_dialogs[address]

    def _password_cancelled(self, account: Any) -> None:
        address = str(account.address)
        self._password_declined.add(address)
        self._password_items.pop(address, None)
        self.status.sync_failed(address, self.tr(
            "mot de passe requis — connexion annulée (Synchroniser pour réessayer)"))

    def _password_submitted(self, account: Any, dialog: Any, password: str) -> None:
        """Checked off the UI thread by logging in with it (traced as any login); only a
        password the server accepts is stored, then that connection runs the pass that had
        failed — the one retry."""
        if self.profile is None or self._closing:
            return
        from app.errors import AuthenticationError
        from app.services.sync_engine import default_connection
        from app.services.sync_runner import SyncRunner

        address = str(account.address)
        if address in self._syncing:
            dialog.fail(self.tr("Une synchronisation est en cours ; réessayez dans un instant."))
            return
        engine, store = self.profile.sync, self.profile.accounts
        if self.sync_runner is None:
            self.sync_runner = SyncRunner(engine)
        stored = False

        def run() -> Any:
            nonlocal stored
            conn = default_connection(account)
            engine.connect_and_login(conn, account, password)  # closes conn when refused
            try:
                store.set_password(account, password)
                stored = True
                return engine.sync_with(conn, account)
            finally:
                conn.close()

        def open_dialog() -> Any:
            return dialog if self.password_dialogs.get(address) is dialog else None

        def succeeded(_report: Any) -> None:
            self._password_declined.discard(address)
            if open_dialog() is not None:
                dialog.accept()
            self._password_accepted(account)
            self._synced_pass(account)

        def failed(exc: BaseException) -> None:
            self._syncing.discard(address)
            if stored:  # the password is right: the pass itself failed (network…)
                self._password_declined.discard(address)
                if open_dialog() is not None:
                    dialog.accept()
                self._password_accepted(account)
                self.status.sync_failed(address, error_text(exc, self.tr(
                    "la synchronisation a échoué (détails dans le journal)")))
                return
            self.status.sync_failed(address, error_text(exc, self.tr(
                "la connexion a échoué (détails dans le journal)")))
            if open_dialog() is None:
                return  # cancelled meanwhile: the account stays in error
            if isinstance(exc, AuthenticationError):
                dialog.fail(self.tr("Le serveur a refusé ce mot de passe. Vérifiez-le et "
                                    "réessayez."))
            else:
                dialog.fail(error_text(exc, self.tr(
                    "La connexion a échoué. Les détails ont été écrits dans le journal.")))

        self._syncing.add(address)
        self.status.sync_started(address)
        BackgroundOp(run).success(succeeded).failure(failed).run_in_background(
            self.sync_runner.executor_for(account), self._runner)

    def _password_accepted(self, account: Any) -> None:
        """The new password is stored: the lock screen checks it from now on, and the sends
        the old one had failed go once more."""
        if self.lock is not None:
            self._load_unlock_policy()
        items = sorted(self._password_items.pop(str(account.address), set()))
        if not items or self.profile is None:
            return
        import time

        outbox = self.profile.outbox

        def requeue() -> None:
            for item_id in items:
                outbox.store.requeue(item_id, now=time.time())

        self._db(requeue, lambda _r: (self._count_outbox(), self.run_outbox()))

    def _refused_sends(self, results: Any) -> None:
        """Sends refused for the password (SMTP AUTH): the same prompt as a refused sync."""
        from app.errors import AuthenticationError

        for result in results or ():
            error = getattr(result, "error", None)
            if not isinstance(error, AuthenticationError):
                continue
            item = result.item
            account = self._accounts.get(str(item.account_address))
            if account is not None and str(account.login) == str(item.account_login):
                self._maybe_ask_password(account, error, items=[int(item.id)])

    # -- background helpers ------------------------------------------------------------------
    def _db(self, fn: Callable[[], T], done: Callable[[T], None],
            failed: Callable[[BaseException], None] | None = None) -> None:
        assert self.profile is not None
        BackgroundOp(fn).success(done).failure(failed or self._show_error).run_in_background(
            self.profile.executors.db, self._runner)

    def _cpu(self, fn: Callable[[], T], done: Callable[[T], None],
             failed: Callable[[BaseException], None] | None = None) -> None:
        assert self.profile is not None
        BackgroundOp(fn).success(done).failure(failed or self._show_error).run_in_background(
            self.profile.executors.cpu, self._runner)

    def _show_error(self, exc: BaseException) -> None:
        if self._closing:
            return
        self.status.showMessage(error_text(exc, self.tr(
            "Une erreur inattendue est survenue. Les détails ont été écrits dans le journal.")),
            10_000)

    # -- accounts ----------------------------------------------------------------------------
    def set_accounts(self, accounts: Iterable[Any | AccountRow]) -> None:
        items = list(accounts)
        self._accounts = {str(a.address): a for a in items if not isinstance(a, AccountRow)}
        self.account_model.set_accounts(items)
        has_org = any(getattr(a, "kind", "") in ("ORG",) or str(
            getattr(getattr(a, "kind", None), "value", "")) == "ORG" for a in items)
        self.audit_action.setEnabled(self.profile is not None and has_org)

    def account(self, address: str) -> Any | None:
        return self._accounts.get(address)

    def _load_account_ids(self) -> None:
        assert self.profile is not None
        messages = self.profile.messages
        pairs = [(a.address, a.login) for a in self._accounts.values()]

        def read() -> dict[str, int]:
            return {str(address): messages.account_id(str(address), login)
                    for address, login in pairs}

        self._db(read, self._on_account_ids)

    def _on_account_ids(self, ids: dict[str, int]) -> None:
        self._account_ids.update(ids)
        if self._selection.address and self._selection.account_id is None:
            self._select_account(self._selection.address, self._selection.login,
                                 self._selection.pane)

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
            first = self.account_model.index(0, 0, QModelIndex())
            self.account_tree.setCurrentIndex(self.account_model.index(0, 0, first))

    def _on_tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        address = str(current.data(AccountRoles.ADDRESS) or "")
        pane = current.data(AccountRoles.PANE) or Pane.PROFESSIONALS.value
        account = self._accounts.get(address)
        login = account.login if account is not None else ""
        self._select_account(address, login, str(pane))

    def _select_account(self, address: str, login: str, pane: str) -> None:
        changed = address != self._selection.address
        pane_changed = pane != self._selection.pane
        self._selection.address, self._selection.login, self._selection.pane = (
            address, login, pane)
        patients = pane == Pane.PATIENTS.value
        self.patient_pane.setVisible(patients and self.profile is not None)
        if changed:
            self.patient_pane.clear_selection()  # a patient of the mailbox left behind
        if patients and self.profile is not None:
            self.right_splitter.setSizes([220, 240, 320])
            self._load_patients()
        if self.profile is None:
            return
        account_id = self._account_ids.get(address)
        if changed or self._selection.account_id != account_id:
            self._selection.account_id = account_id
            self._selection.folder_id = None
            self.folder_model.set_folders([])
            self._show_placeholder()
            if account_id is not None:
                self._load_folders(reset=True)  # its inbox then shows this pane's messages
        elif pane_changed and self._selection.folder_id is not None:
            # The other pane of the same mailbox: the same folder, its other messages, and the
            # folders' counts of that pane.
            self._show_placeholder()
            self._show_folder_list()
            self._load_folders()

    # -- folders -----------------------------------------------------------------------------
    def _load_folders(self, *, reset: bool = False) -> None:
        account_id = self._selection.account_id
        if account_id is None or self.profile is None:
            return
        queries = self.queries

        shared, login = self._shared_mailbox(self._selection.address)

        pane = self._selection.pane

        def loaded(folders: list[Any]) -> None:
            if account_id != self._selection.account_id or pane != self._selection.pane:
                return  # the user moved to another account or pane meanwhile
            if reset or self.folder_model.rowCount() == 0:
                self.folder_model.set_folders(folders, shared_mailbox=shared, login=login)
                personal = self.folder_model.personal_index()
                if personal.isValid():
                    self.folder_tree.collapse(personal)  # the ORG box first, the rest folded
                inbox = self.folder_model.inbox_index()
                if inbox.isValid():
                    self.folder_tree.setCurrentIndex(inbox)
            else:
                self.folder_model.update_counts(folders)
                if self._selection.folder_id is None:
                    inbox = self.folder_model.inbox_index()
                    if inbox.isValid():
                        self.folder_tree.setCurrentIndex(inbox)

        audience = (Audience.PATIENTS if self._selection.pane == Pane.PATIENTS.value
                    else Audience.PROFESSIONALS)
        self._db(lambda: queries.folder_counts(account_id, audience), loaded)
        self._load_quota(account_id)

    def _load_quota(self, account_id: int) -> None:
        """The selected account's quota as the last sync stored it (RFC 9208 GETQUOTAROOT)."""
        assert self.profile is not None
        messages = self.profile.messages

        def shown(quota: Any) -> None:
            if account_id != self._selection.account_id:
                return
            if quota is None:
                self.status.set_quota(None, None)
            else:
                self.status.set_quota(quota.storage_used, quota.storage_limit,
                                      quota.messages_used, quota.messages_limit)

        self._db(lambda: messages.quota(account_id), shown)

    def _shared_mailbox(self, address: str) -> tuple[str | None, str]:
        """An ORG box opened with a member's own login is read through the shared namespace
        (IMAP ACL): its address, so that the folder tree shows it first; else None."""
        account = self._accounts.get(address)
        if account is None:
            return None, ""
        kind = str(getattr(account.kind, "value", account.kind)).upper()
        login = str(account.login)
        if kind == "ORG" and login.casefold() != address.casefold():
            return address, login
        return None, login

    def _on_folder_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        folder_id = current.data(FolderRoles.FOLDER_ID) if current.isValid() else None
        if folder_id is None or self.message_model is None or self.message_list is None:
            return
        self._selection.folder_id = int(folder_id)
        self._show_placeholder()
        # The name alone: its unread count differs between the panes and changes as mail comes.
        self.message_list.set_scope_name(str(current.data(FolderRoles.LABEL) or ""))
        self._show_folder_list()

    def current_folder_id(self) -> int | None:
        return self._selection.folder_id

    # -- patients ----------------------------------------------------------------------------
    def _load_patients(self) -> None:
        if self.profile is None or not self._selection.address:
            return
        database, mailbox = self.profile.database, self._selection.address
        self._db(lambda: load_patients(database, mailbox), self._on_patients)

    def _on_patients(self, rows: list[PatientRow]) -> None:
        self.patient_pane.set_patients(rows)

    def _on_patient_selected(self, _row: PatientRow | None) -> None:
        # That patient's messages in the folder, or every patient's again.
        self._show_folder_list()

    def _show_folder_list(self) -> None:
        """The selected folder's messages of the selected pane (spec §9): those exchanged with
        professionals only, or with patients (the chosen patient only, when there is one)."""
        folder_id = self._selection.folder_id
        if self.message_model is None or folder_id is None:
            return
        if self._selection.pane == Pane.PATIENTS.value:
            self.message_model.set_filter(folder_id, Audience.PATIENTS,
                                          self.patient_pane.selected_patient_address())
        else:
            self.message_model.set_filter(folder_id, Audience.PROFESSIONALS)

    def new_patient_message(self) -> None:
        if self.profile is None:
            return
        dialog = NewPatientMessageDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted_ins.connect(self._start_patient_conversation)
        self.patient_dialog = dialog
        dialog.open()

    def _start_patient_conversation(self, ins: str, address: str) -> None:
        assert self.profile is not None
        conversations = self.profile.conversations
        mailbox = self._selection.address

        def start() -> str:
            conversations.start(ins, ins_qualified=True, mailbox=mailbox)
            return address

        def started(patient: str) -> None:
            composer = self.open_composer(to=[patient])
            composer.setWindowTitle(self.tr("Nouveau message patient"))
            self._load_patients()

        self._db(start, started)

    # -- message list and reader -------------------------------------------------------------
    def _message_actions(self, enabled: bool) -> None:
        for action in (self.reply_action, self.reply_all_action, self.forward_action,
                       self.print_action):
            action.setEnabled(enabled)

    def _show_placeholder(self) -> None:
        self._current_message = None
        self._message_actions(False)
        self.close_preview()
        if self._reader is not None:
            self.reader.clear()
            self.attachment_bar.set_attachments(())
        self.reader_stack.setCurrentWidget(self.placeholder)

    def _on_list_loaded(self, _count: int) -> None:
        if not self._services_requested:  # the first page is in: the services, once painted
            self._services_timer.start(SERVICES_AFTER_LIST_MS)
        # A refresh reset the list: select the message being read again.
        if self._current_message is None or self.message_model is None:
            return
        row = self.message_model.row_of(self._current_message)
        if row is not None and self.message_list is not None:
            table = self.message_list.table
            table.selectionModel().blockSignals(True)
            table.selectRow(row)
            table.selectionModel().blockSignals(False)

    def _on_message_current(self, message_id: Any) -> None:
        if message_id is None or self.profile is None:
            if message_id is None and self.message_list is not None and \
                    not self.message_list.selected_message_ids():
                self._show_placeholder()
            return
        self.open_message(int(message_id))

    def open_message(self, message_id: int) -> None:
        assert self.profile is not None and self.message_model is not None
        self._current_message = message_id
        messages, audit = self.profile.messages, self.profile.audit
        unread = False
        row = self.message_model.row_of(message_id)
        if row is not None:
            line = self.message_model.line(row)
            unread = bool(line is not None and line.row.unread)

        def load() -> bytes | None:
            return messages.raw(message_id)

        def loaded(raw: bytes | None) -> None:
            if self._current_message != message_id:
                return
            if raw is None:
                self.reader_stack.setCurrentWidget(self.placeholder)
                self.placeholder.setText(self.tr("Le contenu de ce message n'est pas encore "
                                                 "téléchargé."))
                return
            # ECO.4.1.1: a read, stamped as it is shown — already \Seen (an ORG box's nurses
            # share the flag) or not, offline or not; the server's \Seen is traced apart.
            read_at = audit.now()
            self._db(lambda: audit.record_read(message_id, at=read_at), lambda _r: None)
            from ui.widgets.reader import prepare_content

            self._cpu(lambda: prepare_content(raw), lambda c: self._show_content(message_id, c))

        self._db(load, loaded)
        if unread:
            self.message_model.set_row_state([message_id], unread=False)  # not bold, at once
            self._update_message_actions()
            # Through the store's offline-change queue: the sync engine replays it on the server.
            self._db(lambda: messages.mark_read([message_id]), lambda _r: self.schedule_refresh())

    def _show_content(self, message_id: int, content: ReaderContent) -> None:
        if self._current_message != message_id:
            return
        if self._preview_source is not None and self._preview_source[0] != message_id:
            self.close_preview()  # a document of the previous message: not beside this one
        self.reader.show_content(content)
        self.reader_stack.setCurrentIndex(1)
        self._message_actions(True)
        self.message_shown.emit(message_id)
        self._load_mdn_request(message_id)

    # -- read receipts asked of us (ECO.3.1.6: the user's choice for PER/ORG, policy "ask") --
    def _load_mdn_request(self, message_id: int) -> None:
        assert self.profile is not None
        receipts = self.profile.receipts

        def shown(record: Any) -> None:
            if record is not None and self._current_message == message_id:
                self.reader.show_mdn_request(int(record.id))
                self.mdn_request_shown.emit(int(record.id))

        self._db(lambda: receipts.pending_for_message(message_id), shown)

    def _send_mdn(self, request_id: int) -> None:
        if self.profile is None:
            return
        receipts = self.profile.receipts

        def queued(item_id: int | None) -> None:
            if self.reader.mdn_request_id == request_id:
                self.reader.hide_mdn_request()
            if item_id is None:
                self.status.showMessage(self.tr("L'accusé de lecture n'a pas pu être préparé."),
                                        10_000)
            else:
                self.status.showMessage(self.tr("Accusé de lecture placé dans la boîte d'envoi."),
                                        5_000)
                self._after_queue(0.0)
            self.mdn_answered.emit(request_id)

        def failed(exc: BaseException) -> None:
            self._show_error(exc)
            if self.reader.mdn_request_id == request_id:
                self.reader.show_mdn_request(request_id)  # let the user try again
            self.mdn_answered.emit(request_id)

        self._db(lambda: receipts.send_pending(request_id), queued, failed)

    def _decline_mdn(self, request_id: int) -> None:
        if self.profile is None:
            return
        receipts = self.profile.receipts

        def declined(_done: bool) -> None:
            if self.reader.mdn_request_id == request_id:
                self.reader.hide_mdn_request()
            self.mdn_answered.emit(request_id)

        self._db(lambda: receipts.decline(request_id), declined)

    def _on_attachments(self, attachments: Any) -> None:
        self._current_attachments = tuple(attachments)
        self.attachment_bar.set_attachments(self._current_attachments)

    def attachments(self) -> tuple[Any, ...]:
        return self._current_attachments

    # -- previews and filing -----------------------------------------------------------------
    def preview_attachment(self, position: int) -> None:
        if self.profile is None or not 0 <= position < len(self._current_attachments):
            return
        attachment = self._current_attachments[position]
        message_id = self._current_message
        self._audit_local("OPEN_ATTACHMENT", "LOCAL OPEN", message_id, position)
        self._cpu(attachment.data,
                  lambda data: self._open_preview(attachment, bytes(data), message_id, position))

    def _audit_local(self, action_name: str, request: str, message_id: int | None,
                     position: int | None) -> None:
        """Trace a local action on an attachment (ECO.4.1.1: open, export): ids only."""
        if self.profile is None:
            return
        from app.domain.audit import AuditAction
        from app.services.credentials import actor_of

        account = self._accounts.get(self._selection.address)
        if account is None:
            return
        audit, actor = self.profile.audit, actor_of(account)

        def record() -> None:
            audit.record(mailbox=account.address, actor=actor,
                         action=AuditAction[action_name], request=request, response="OK",
                         message_ref=message_id, attachment_index=position)

        self._cpu(record, lambda _r: None)

    def _open_preview(self, attachment: Any, data: bytes, message_id: int | None,
                      position: int) -> None:
        """In the preview pane beside the message (``detach_preview`` moves it to a window)."""
        assert self.profile is not None
        if message_id != self._current_message:
            return  # the user moved on while the attachment was decoded
        from ui.widgets.preview import create_preview

        name = str(attachment.name or self.tr("pièce jointe"))
        preview = create_preview(data, executor=self.profile.executors.cpu, filename=name,
                                 mime_type=attachment.content_type, parent=self.preview_panel)
        signal = getattr(preview, "file_requested", None)
        if signal is not None:
            signal.connect(lambda request: self.file_document(request, message_id, position))
        preview.save_requested.connect(lambda: self.save_attachment(position))
        was_visible = self.preview_panel.isVisible()
        self.preview_panel.show_preview(preview, name)
        self._preview_source = (message_id, position)
        if not was_visible:
            total = max(2, sum(self.reader_splitter.sizes()))
            self.reader_splitter.setSizes([total * 2 // 5, total - total * 2 // 5])
        self.preview_panel.focus_preview()
        self.preview_opened.emit(preview)

    def close_preview(self) -> None:
        """Close the preview pane (the message stays)."""
        if self._preview_panel is None:
            return
        had_focus = self.preview_panel.contains_focus()
        self.preview_panel.clear()
        self._preview_source = None
        if had_focus:
            self.reader.body.setFocus()

    def detach_preview(self) -> None:
        """"Ouvrir dans une fenêtre": the same preview, moved to a window of its own."""
        source = self._preview_source
        title = self.preview_panel.title
        preview = self.preview_panel.take_preview()
        self._preview_source = None
        if preview is None or source is None:
            return
        from ui.widgets.preview import PreviewWindow

        if self.preview_dialog is not None:
            self.preview_dialog.close()
        dialog = PreviewWindow(preview, title, self)
        dialog.print_requested.connect(
            lambda: self._print_preview_of(dialog.preview, source[0], source[1], dialog))
        dialog.destroyed.connect(lambda *_a: self._preview_gone(dialog))
        self.preview_dialog = dialog
        dialog.show()

    def _preview_gone(self, dialog: QDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None

    # -- printing ----------------------------------------------------------------------------
    def print_current(self) -> None:
        """Ctrl+P: the previewed document when the focus is in its pane, else the message."""
        panel = self._preview_panel
        if panel is not None and panel.isVisible() and panel.contains_focus():
            self.print_preview()
        else:
            self.print_message()

    def print_message(self, printer: Any = None) -> None:
        """Print the message shown (headers and body). Without ``printer``, the user picks one
        in the print dialog; tests hand a printer of their own."""
        content = self.reader.content
        message_id = self._current_message
        if content is None or message_id is None:
            return
        from app.domain.xdm import display_subject
        from ui.printing import message_document, print_text_document

        subject = display_subject(content.subject) or self.tr("(sans objet)")

        def render(target: Any) -> bool:
            return print_text_document(message_document(content, subject), target)

        self._print(render, message_id, None, printer)

    def print_preview(self, printer: Any = None) -> None:
        """Print the document of the preview pane."""
        preview = self.preview_panel.preview
        source = self._preview_source
        if preview is None or source is None:
            return
        self._print_preview_of(preview, source[0], source[1], self, printer)

    def _print_preview_of(self, preview: Any, message_id: int | None, position: int,
                          parent: QWidget, printer: Any = None) -> None:
        if not preview.can_print():
            self.status.showMessage(self.tr(
                "Rien à imprimer pour l'instant : le document n'est pas encore affiché."), 5000)
            return
        self._print(preview.print_to, message_id, position, printer, parent=parent)

    def _print(self, render: Callable[[Any], bool], message_id: int | None,
               position: int | None, printer: Any = None, *,
               parent: QWidget | None = None) -> None:
        """Print through ``render`` on the printer the user chooses (never a file), then trace
        it (ECO.4.1.1): the message's id and the attachment's position, nothing of the content."""
        def go(target: Any) -> None:
            if render(target):
                self._audit_local("PRINT", "LOCAL PRINT", message_id, position)
                self.status.showMessage(self.tr("Document envoyé à l'imprimante."), 5000)
                self.printed.emit(message_id, -1 if position is None else position)
            else:
                self.status.showMessage(self.tr("L'impression a échoué."), 8000)

        if printer is not None:
            go(printer)
            return
        from ui.printing import choose_printer

        self.print_dialog = choose_printer(parent or self, go)

    def save_attachment(self, position: int) -> None:
        if self.profile is None or not 0 <= position < len(self._current_attachments):
            return
        attachment = self._current_attachments[position]
        chooser = QFileDialog(self, self.tr("Enregistrer la pièce jointe"))
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.selectFile(str(attachment.name or "piece-jointe"))
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(path: str) -> None:
            def write() -> None:
                target = Path(path)
                target.write_bytes(attachment.data())
                target.chmod(0o600)

            self._cpu(write, lambda _r: self.status.showMessage(
                self.tr("Pièce jointe enregistrée."), 5000))
            self._audit_local("EXPORT", "LOCAL EXPORT", self._current_message, position)

        chooser.fileSelected.connect(chosen)
        chooser.open()

    def file_document(self, request: FilingRequest, message_id: int | None = None,
                      position: int | None = None) -> None:
        """"Classer dans le dossier patient": into the export folder of the settings (asked for,
        then kept, when none is set), off the UI thread, audited by the filing service."""
        if self.profile is None:
            return
        folder = self.settings.export_folder
        if folder:
            self._file_into(Path(folder), request, message_id, position)
            return
        chooser = QFileDialog(self, self.tr("Choisir le dossier patient"))
        chooser.setObjectName("exportFolderChooser")
        chooser.setFileMode(QFileDialog.FileMode.Directory)
        chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(path: str) -> None:
            self._remember_export_folder(path)
            self._file_into(Path(path), request, message_id, position)

        chooser.fileSelected.connect(chosen)
        self.export_chooser = chooser
        chooser.open()

    def _remember_export_folder(self, path: str) -> None:
        try:
            self.settings = self.settings.with_changes(export_folder=path)
        except UserFacingError as exc:
            self._show_error(exc)
            return
        settings = self.settings
        store = self._settings_store()
        self._db(lambda: store.save(settings), lambda _r: None)

    def _file_into(self, folder: Path, request: FilingRequest, message_id: int | None,
                   position: int | None) -> None:
        assert self.profile is not None
        from app.services.credentials import actor_of
        from app.services.document_filing import DocumentFilingService

        account = self._accounts.get(self._selection.address)
        if account is None:
            return
        service = DocumentFilingService(audit=self.profile.audit)
        actor = actor_of(account)

        def run() -> Any:
            return service.file_document(request.cda, folder=folder, mailbox=account.address,
                                         actor=actor, pdf=request.pdf, message_ref=message_id,
                                         attachment_index=position)

        def done(filed: Any) -> None:
            self.status.showMessage(self.tr("Document classé : {name}").format(
                name=filed.path.name), 8000)
            self.filed.emit(filed)

        self._cpu(run, done)

    # -- composer, reply, directory ----------------------------------------------------------
    def open_composer(self, *, to: Iterable[str] = (), cc: Iterable[str] = (),
                      subject: str = "", body: str = "", draft_id: int | None = None) -> Any:
        from ui.dialogs.composer import DEFAULT_UNDO_SECONDS, Composer

        assert self.profile is not None
        undo = self._undo_seconds if self._undo_seconds is not None else DEFAULT_UNDO_SECONDS
        composer = Composer(profile=self.profile, parent=self,
                            from_address=self._selection.address or None, undo_seconds=undo,
                            draft_id=draft_id)
        composer.queued.connect(lambda _item: self._after_queue(undo))
        composer.closed.connect(lambda: self._composer_closed(composer))
        if to:
            composer.to_field.add_addresses(list(to))
        if cc:
            composer.cc_field.add_addresses(list(cc))
        if subject:
            composer.subject_edit.setText(subject)
        if body:
            composer.body_edit.setPlainText(body)
        self.composers.append(composer)
        composer.show()
        self.composer_opened.emit(composer)
        return composer

    def _composer_closed(self, composer: Any) -> None:
        if composer in self.composers and composer.toast is None:
            self.composers.remove(composer)
        self._count_outbox()

    def _own_addresses(self) -> list[str]:
        """Every address of ours (each box and each login): never a recipient of Reply all."""
        own: list[str] = []
        for account in self._accounts.values():
            own += [str(account.address), str(account.login)]
        return own

    def reply(self, *, reply_all: bool = False) -> Any:
        """Répondre (Ctrl+R) / Répondre à tous (Ctrl+Maj+R): a composer with the recipients,
        ``Re:`` once, the original quoted, ``In-Reply-To`` and ``References`` set."""
        from app.domain.reply import (
            quote,
            reply_in_reply_to,
            reply_recipients,
            reply_references,
            reply_subject,
        )
        from app.domain.xdm import display_subject

        content = self.reader.content
        if self.profile is None or content is None or self._current_message is None:
            return None
        parent = content.reply
        recipients = reply_recipients(parent, self._own_addresses(), reply_all=reply_all)
        intro = self.tr("Le {date}, {sender} a écrit :").format(
            date=content.date, sender=content.sender)
        body = f"\n\n{intro}\n{quote(content.text or '')}\n"
        composer = self.open_composer(
            to=recipients.to, cc=recipients.cc,
            subject=reply_subject(display_subject(parent.subject or content.subject)),
            body=body)
        composer.set_reply_headers(reply_in_reply_to(parent), reply_references(parent))
        composer.body_edit.moveCursor(QTextCursor.MoveOperation.Start)
        composer.body_edit.setFocus()
        return composer

    def reply_all(self) -> Any:
        return self.reply(reply_all=True)

    def forward(self) -> Any:
        """Transférer (Ctrl+L): ``TR:``, the original's headers and text, and its documents
        attached as they came (an ``IHE_XDM.ZIP`` is not repacked)."""
        from app.domain.reply import forward_subject
        from app.domain.xdm import display_subject
        from ui.dialogs.composer import FileAttachment

        content = self.reader.content
        if self.profile is None or content is None or self._current_message is None:
            return None
        lines = [self.tr("-------- Message transféré --------"),
                 self.tr("De : {value}").format(value=content.sender),
                 self.tr("Date : {value}").format(value=content.date),
                 self.tr("Objet : {value}").format(value=display_subject(content.subject)),
                 self.tr("À : {value}").format(value=content.to)]
        if content.cc:
            lines.append(self.tr("Cc : {value}").format(value=content.cc))
        body = "\n\n" + "\n".join(lines) + "\n\n" + (content.text or "")
        composer = self.open_composer(
            subject=forward_subject(display_subject(content.reply.subject or content.subject)),
            body=body)
        composer.body_edit.moveCursor(QTextCursor.MoveOperation.Start)
        attachments = content.attachments
        if attachments:
            def read() -> list[Any]:
                return [FileAttachment(str(a.name or "piece-jointe"), bytes(a.data()),
                                       a.content_type or "application/octet-stream")
                        for a in attachments]

            self._cpu(read, composer.add_attachments)
        return composer

    def open_directory(self) -> None:
        if self.profile is None:
            return
        from ui.dialogs import BackgroundRunner
        from ui.dialogs.directory_dialog import DirectoryDialog

        if self.directory_dialog is not None:
            self.directory_dialog.raise_()
            self.directory_dialog.activateWindow()
            return
        dialog = DirectoryDialog(runner=BackgroundRunner(self.profile.executors.cpu, self),
                                 search=self.profile.directory.search, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.add_to.connect(lambda addresses: self._add_from_directory(addresses, cc=False))
        dialog.add_cc.connect(lambda addresses: self._add_from_directory(addresses, cc=True))
        dialog.destroyed.connect(lambda *_a: setattr(self, "directory_dialog", None))
        self.directory_dialog = dialog
        dialog.show()

    def _add_from_directory(self, addresses: list[str], *, cc: bool) -> None:
        """Into the composer being written (the last one still open), else a new one."""
        live = [c for c in self.composers if c.isVisible()]
        if not live:
            self.open_composer(**({"cc": addresses} if cc else {"to": addresses}))
            return
        composer = live[-1]
        (composer.cc_field if cc else composer.to_field).add_addresses(addresses)
        composer.raise_()

    def _focus_search(self) -> None:
        if self.message_list is not None:
            self.message_list.search.setFocus()
            self.message_list.search.selectAll()

    # -- settings, accounts, audit -----------------------------------------------------------
    def _settings_store(self) -> Any:
        assert self.profile is not None
        from app.store.outbox_store import SettingStore
        from app.store.settings_store import AppSettingsStore

        return AppSettingsStore(settings=SettingStore(database=self.profile.database),
                                secrets=self.profile.secrets)

    def open_settings(self) -> None:
        if self.profile is None:
            return
        store = self._settings_store()
        accounts = list(self._accounts.values())
        receipts = self.profile.receipts
        crls = self.profile.crls

        def read() -> tuple[AppSettings, bool, dict[tuple[str, str], Any], list[str], list[Any]]:
            policies = {}
            for account in accounts:
                with contextlib.suppress(Exception):
                    policies[(account.address, account.login)] = receipts.mdn_policy(account)
            return (store.load(), store.fhir_api_key() is not None, policies, crls.urls(),
                    crls.status())

        def show(result: tuple[AppSettings, bool, dict[tuple[str, str], Any], list[str],
                               list[Any]]) -> None:
            from ui.dialogs.settings_dialog import SettingsDialog

            settings, has_key, policies, crl_urls, crl_status = result
            dialog = SettingsDialog(settings, api_key_stored=has_key, accounts=accounts,
                                    mdn_policies=policies, crl_urls=crl_urls,
                                    crl_status=crl_status, parent=self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.settings_accepted.connect(self._save_settings)
            self.settings_dialog = dialog
            dialog.open()

        self._db(read, show)

    def open_passphrase_dialog(self) -> None:
        """Outils ▸ Phrase de passe du profil: add, change or remove it (the change itself runs
        on the CPU executor: scrypt takes a noticeable moment)."""
        if self.profile is None:
            return
        from ui.dialogs.passphrase_change_dialog import PassphraseChangeDialog

        profile = self.profile
        dialog = PassphraseChangeDialog(protected=profile.key_protected, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def requested(current: str | None, new: str | None) -> None:
            def changed(_result: None) -> None:
                dialog.succeed()
                self.status.showMessage(
                    self.tr("La clé du profil est maintenant protégée par la nouvelle phrase "
                            "de passe.") if new is not None else
                    self.tr("La clé du profil n'est plus protégée par une phrase de passe."),
                    10_000)

            def refused(exc: BaseException) -> None:
                dialog.fail(error_text(exc, self.tr(
                    "La phrase de passe n'a pas pu être changée. Les détails ont été écrits "
                    "dans le journal.")))

            self._cpu(lambda: profile.change_passphrase(current=current, new=new), changed,
                      refused)

        dialog.change_requested.connect(requested)
        self.passphrase_dialog = dialog
        dialog.open()

    def _save_settings(self, result: Any) -> None:
        from ui.dialogs.settings_dialog import save_settings

        assert self.profile is not None
        store = self._settings_store()
        receipts = self.profile.receipts
        crls = self.profile.crls
        accounts = list(self._accounts.values())
        self.settings = result.settings
        if self.lock is not None:
            self.lock.set_minutes(result.settings.lock_minutes)
            self.lock.lock_on_card_removal = result.settings.lock_on_card_removal
        if self._services_requested and not self._closing:
            # A new module, label or slot restarts the card watch (unchanged: nothing happens).
            self.profile.watch_card(result.settings)
        self._db(lambda: save_settings(result, store=store, receipts=receipts,
                                       accounts=accounts, crls=crls),
                 lambda _r: self.status.showMessage(self.tr("Paramètres enregistrés."), 5000))

    def open_account_wizard(self) -> None:
        if self.profile is None:
            return
        from ui.dialogs.account_wizard import AccountWizard

        wizard = AccountWizard(self.profile.accounts, executor=self.profile.executors.cpu,
                               parent=self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.account_added.connect(self._account_added)
        self.account_wizard = wizard
        wizard.open()

    def _account_added(self, account: Any) -> None:
        assert self.profile is not None
        accounts = self.profile.accounts

        def reload(items: list[Any]) -> None:
            self.set_accounts(items)
            self._load_account_ids()
            self.sync_account(account)

        self._db(accounts.list, reload)

    def open_audit(self) -> None:
        """The audit trail of the ORG boxes this person manages: the box's own login, or a
        member holding the ACL "a" right as the last sync read it (MYRIGHTS, RFC 4314)."""
        if self.profile is None:
            return
        from app.services.mailbox_scope import opens_a_shared_box

        messages = self.profile.messages
        boxes = [a for a in self._accounts.values()
                 if str(getattr(a.kind, "value", a.kind)).upper() == "ORG"]

        def managed() -> list[str]:
            allowed = []
            for account in boxes:
                if not opens_a_shared_box(account):
                    allowed.append(account.address)
                    continue
                account_id = messages.account_id(account.address, account.login)
                if "a" in (messages.rights(account_id) or ""):
                    allowed.append(account.address)
            return allowed

        self._db(managed, self._show_audit)

    def _show_audit(self, mailboxes: list[str]) -> None:
        assert self.profile is not None
        if not mailboxes:
            box = QMessageBox(QMessageBox.Icon.Information, self.tr("Journal d'audit"),
                              self.tr("Le journal d'audit d'une boîte organisationnelle est "
                                      "réservé à son responsable (droit d'administration de "
                                      "la boîte sur le serveur). Aucune de vos boîtes ne vous "
                                      "donne ce droit, ou la boîte n'a pas encore été "
                                      "synchronisée."),
                              QMessageBox.StandardButton.Ok, self)
            box.setObjectName("auditRefused")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.audit_refusal = box
            box.open()
            return
        from ui.dialogs.audit_viewer import AuditViewer

        viewer = AuditViewer(self.profile.audit, mailboxes=mailboxes,
                             executor=self.profile.executors.db, parent=self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.audit_viewer = viewer
        viewer.show()

    # -- sync --------------------------------------------------------------------------------
    def sync_all(self) -> None:
        for account in list(self._accounts.values()):
            self.sync_account(account)

    def sync_account(self, account: Any) -> None:
        """One pass in the account's own thread, then push (IDLE); PSC accounts without a
        session open the login dialog first (the binding code is shown there)."""
        if self.profile is None or self._closing:
            return
        from app.domain.account import AuthMethod
        from app.services.sync_runner import SyncRunner

        address = str(account.address)
        if address in self._syncing:
            return
        if account.auth is AuthMethod.PSC and not self.profile.credentials.has_session(account):
            self._login_psc(account)
            return
        if self.sync_runner is None:
            self.sync_runner = SyncRunner(self.profile.sync)
        engine = self.profile.sync
        self._syncing.add(address)
        self.status.sync_started(address)
        BackgroundOp(lambda: engine.sync_account(account)).success(
            lambda _report: self._synced_pass(account)
        ).failure(lambda exc: self._sync_failed(account, exc)).run_in_background(
            self.sync_runner.executor_for(account), self._runner)

    def _synced_pass(self, account: Any) -> None:
        address = str(account.address)
        self._syncing.discard(address)
        first = address not in self._synced
        self._synced.add(address)
        self.schedule_refresh()
        if address == self._selection.address and self._selection.account_id is not None:
            self._load_folders()
        if first and address not in self._watches and not self._closing:
            assert self.sync_runner is not None
            self._watches[address] = self.sync_runner.start_watch(account)
        self.sync_done.emit(address)

    def _sync_failed(self, account: Any, exc: BaseException) -> None:
        address = str(account.address)
        self._syncing.discard(address)
        reason = error_text(exc, self.tr("la synchronisation a échoué (détails dans le journal)"))
        self.status.sync_failed(address, reason)
        # A refused or missing password: ask for it (PasswordDialog), then retry once.
        self._maybe_ask_password(account, exc)

    def _login_psc(self, account: Any) -> None:
        """Pro Santé Connect (CIBA): the dialog shows the binding code; on approval the session
        is attached to the account's credentials and the sync starts."""
        assert self.profile is not None
        from app.services.auth_service import AuthService
        from app.services.credentials import NoSessionError
        from ui.dialogs.login_dialog import LoginDialog

        current = getattr(self, "login_dialog", None)
        with contextlib.suppress(RuntimeError):  # RuntimeError: that dialog is deleted
            if current is not None and current.isVisible():
                current.raise_()  # one PSC login at a time: F5 / the lock must not open a second
                current.activateWindow()
                return
        credentials = self.profile.credentials
        try:
            auth = AuthService(credentials.oidc_settings(account),
                               publish=self.profile.events.publish, secrets=self.profile.secrets)
        except UserFacingError as exc:
            self._sync_failed(account, exc)
            return
        dialog = LoginDialog(auth, bridge=self.bridge, national_id=account.national_id or "",
                             account=account.address, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def logged_in(session: Any) -> None:
            loop = self._loop or asyncio.get_event_loop()
            # The window owns the service and its session from now on: a second login replaces
            # them (the old tokens dropped), logout and closing end them, card removal locks.
            self._end_psc_session(account.address)
            self._psc_sessions[account.address] = (auth, session)
            credentials.attach_session(account, session, loop)
            self._db(lambda: credentials.audit_login(account, None), lambda _r: None)
            if self.lock is not None and self.lock.locked:
                self.lock.unlock()
            self.sync_account(account)

        def failed(error: BaseException) -> None:  # each try traced, failures too (ECO.4.1.1)
            self._db(lambda: credentials.audit_login(account, error), lambda _r: None)

        def finished(_result: int) -> None:
            if dialog.session is not None:
                return
            # Closed without a session: say so in the status bar (no sync starts), and drop the
            # service (its HTTP client) on the loop it lives on.
            self._sync_failed(account, NoSessionError())
            with contextlib.suppress(RuntimeError):  # no running loop: nothing was opened
                asyncio.get_running_loop().create_task(auth.aclose())

        dialog.logged_in.connect(logged_in)
        dialog.login_failed.connect(failed)
        dialog.finished.connect(finished)
        self.login_dialog = dialog
        dialog.open()

    def _end_psc_session(self, address: str) -> None:
        """Drop the PSC session of ``address``: detached from the credentials at once (no more
        token for IMAP/SMTP), its service closed on the loop (refresh task cancelled, tokens
        forgotten, HTTP client closed)."""
        held = self._psc_sessions.pop(address, None)
        if held is None:
            return
        auth, _session = held
        account = self._accounts.get(address)
        if account is not None and self.profile is not None:
            self.profile.credentials.detach_session(account)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.create_task(auth.aclose())

    def _lock_card_sessions(self) -> None:
        """The CPS card left the reader: the PSC sessions approved on it stop giving tokens
        until the person logs in again (the window locks too: LockController)."""
        from app.services.auth_service import CARD_REMOVED_REASON

        if self.lock is None or not self.lock.lock_on_card_removal:
            return
        for _auth, session in self._psc_sessions.values():
            if self.lock.approved_on_card(session.subject) and not session.ended:
                session.lock(CARD_REMOVED_REASON)

    def _psc_relogin(self) -> None:
        from app.domain.account import AuthMethod

        for account in self._accounts.values():
            if account.auth is AuthMethod.PSC:
                self._login_psc(account)
                return

    def _load_unlock_policy(self) -> None:
        """The lock screen's way back: the password of a password account, else PSC."""
        assert self.profile is not None and self.lock is not None
        from app.domain.account import AuthMethod
        from ui.services.lock_controller import UnlockPolicy, password_checker

        accounts = list(self._accounts.values())
        store = self.profile.accounts
        psc = any(a.auth is AuthMethod.PSC for a in accounts)
        user = next((a.display_name or a.login for a in accounts), "")

        def read() -> str | None:
            for account in accounts:
                if account.auth is AuthMethod.PASSWORD:
                    password = store.password(account)
                    if password:
                        return str(password)
            return None

        def apply(password: str | None) -> None:
            if self.lock is None:
                return
            self.lock.policy = UnlockPolicy(
                user=user, psc=psc or password is None,
                verify_password=password_checker(password) if password else None)

        self._db(read, apply)

    # -- outbox ------------------------------------------------------------------------------
    def _after_queue(self, undo: float) -> None:
        self._count_outbox()
        QTimer.singleShot(int(undo * 1000) + 300, self.run_outbox)

    def run_outbox(self) -> None:
        """Send what is due. On the window's asyncio loop when there is one (a PSC token lives
        there); else on a thread of its own with a private loop (tests, password accounts)."""
        if self.profile is None or self._closing:
            return
        outbox = self.profile.outbox
        if self._loop is not None and self._loop.is_running():
            future: Any = asyncio.run_coroutine_threadsafe(outbox.run_due(), self._loop)
            future.add_done_callback(self._outbox_done_later)
            return
        if self._outbox_thread is None:
            from concurrent.futures import ThreadPoolExecutor

            self._outbox_thread = ThreadPoolExecutor(1, thread_name_prefix="ui-outbox")
        BackgroundOp(lambda: asyncio.run(outbox.run_due())).success(
            self._outbox_done).failure(
            lambda exc: (self._show_error(exc), self._outbox_done())).run_in_background(
            self._outbox_thread, self._runner)

    def _outbox_done_later(self, future: Any = None) -> None:
        # May run on any thread: a signal emitted there is queued to the GUI thread.
        results = None
        if future is not None and not future.cancelled() and future.exception() is None:
            results = future.result()
        with contextlib.suppress(RuntimeError):  # the window is gone
            self._outbox_finished.emit(results)

    def _outbox_done(self, results: Any = None) -> None:
        self._count_outbox()
        self._refused_sends(results)  # a refused password: the prompt, then one more try
        # What was sent is filed in Sent: show it without waiting for the next push.
        if self._selection.address in self._synced:
            account = self._accounts.get(self._selection.address)
            if account is not None:
                self.sync_account(account)

    def _count_outbox(self) -> None:
        if self.profile is None or self._closing:
            return
        from app.domain.outgoing import OutboxState

        outbox = self.profile.outbox
        waiting = {OutboxState.QUEUED, OutboxState.SUBMITTING, OutboxState.RETRY_WAIT}
        self._db(lambda: sum(1 for item in outbox.items() if item.state in waiting),
                 self.status.set_outbox_count)

    # -- events ------------------------------------------------------------------------------
    def handle_event(self, event: Event) -> None:
        """Core events, on the GUI thread (``EventBridge``)."""
        if self._closing:
            return
        self.status.handle_event(event)
        self.notifier.handle_event(event)
        if isinstance(event, CardRemoved):
            self._lock_card_sessions()  # before the lock controller forgets whose card it was
        if self.lock is not None:
            self.lock.handle_event(event)
        if isinstance(event, MessagesStored | MessagesChanged):
            self.schedule_refresh()
            if self._selection.pane == Pane.PATIENTS.value:
                self._load_patients()
        elif _is_outbox_item_queued(event):
            self._count_outbox()
        elif isinstance(event, StoreIntegrityChecked) and not event.ok:
            # The background check of the encrypted store found damage: say so plainly, once.
            box = QMessageBox(QMessageBox.Icon.Critical, self.tr("Estafette"),
                              event.message or self.tr("Le magasin chiffré est endommagé."),
                              QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def schedule_refresh(self) -> None:
        """New mail or changed flags: refresh the list and the counts (gathered: a sync pass
        publishes many events)."""
        self._refresh_timer.start()

    def _refresh_now(self) -> None:
        if self.profile is None or self._closing:
            return
        if self.message_model is not None and self.message_model.query is not None:
            self.message_model.refresh()
        self._load_folders()

    def _bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # -- leaving -----------------------------------------------------------------------------
    def logout(self) -> None:
        """Se déconnecter: drop the PSC sessions, stop syncing, close the window."""
        if self.profile is not None:
            self.profile.stop_card_watch(wait=False)  # no card event past the logout
            for address in list(self._psc_sessions):
                self._end_psc_session(address)
            for account in self._accounts.values():
                self.profile.credentials.detach_session(account)
        self.logout_requested.emit()
        self.close()

    def shutdown(self) -> None:
        """Stop the background work (watches, sync threads, timers); idempotent."""
        if self._closing:
            return
        self._closing = True
        self._refresh_timer.stop()
        self._outbox_timer.stop()
        self.notifier.close()
        if self.profile is not None:
            self.profile.stop_card_watch(wait=True)  # its thread ends before the profile closes
        for address in list(self._psc_sessions):
            self._end_psc_session(address)
        if self.lock is not None:
            self.lock.close()
        for handle in self._watches.values():
            handle.stop(wait=False)
        for handle in self._watches.values():
            with contextlib.suppress(Exception):
                handle.stop(wait=True, timeout=10)
        self._watches.clear()
        if self.sync_runner is not None:
            self.sync_runner.shutdown()
        if self._outbox_thread is not None:
            self._outbox_thread.shutdown(wait=True)
        for composer in list(self.composers):
            with contextlib.suppress(RuntimeError):
                composer.flush_draft()

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if event.isAccepted():
            self.shutdown()
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


def _is_outbox_item_queued(event: Event) -> bool:
    """``isinstance(event, OutboxItemQueued)`` without importing the outbox (its SMTP, HTTP and
    whitelist code) for the first paint: no such event exists before that module is loaded."""
    module = sys.modules.get("app.services.outbox_service")
    return module is not None and isinstance(event, module.OutboxItemQueued)
