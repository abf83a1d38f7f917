"""The main window's status bar: sync progress, connection state, outbox count, quota, CPS card.

Fed by the core's events (through ``ui.bridge.EventBridge``, on the GUI thread): progress from
``FolderSyncProgress``/``SyncFinished``, the connection from ``WatchStateChanged``, the outbox from
the count the window reads off the UI thread, the quota from what the last sync stored (the
window reads it off the UI thread too). Nothing here reads the store or the network.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from app.events import Event, FolderSyncProgress, SyncFinished, WatchStateChanged
from ui.widgets.card_status import CardStatusIndicator


class SyncStatusBar(QStatusBar):
    def __init__(self, card: CardStatusIndicator | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.sync_label = QLabel(self)
        self.sync_label.setObjectName("syncStatus")
        self.sync_label.setAccessibleName(self.tr("Synchronisation"))
        self.progress = QProgressBar(self)
        self.progress.setObjectName("syncProgress")
        self.progress.setAccessibleName(self.tr("Avancement de la synchronisation"))
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.connection_label = QLabel(self)
        self.connection_label.setObjectName("connectionStatus")
        self.connection_label.setAccessibleName(self.tr("État de la connexion"))
        self.outbox_label = QLabel(self)
        self.outbox_label.setObjectName("outboxStatus")
        self.outbox_label.setAccessibleName(self.tr("Boîte d'envoi"))
        self.quota_label = QLabel(self)
        self.quota_label.setObjectName("quotaStatus")
        self.quota_label.setAccessibleName(self.tr("Espace utilisé sur le serveur"))
        self.quota_label.hide()
        self.account_count_label = QLabel(self)
        self.account_count_label.setObjectName("accountCount")
        self.account_count_label.setAccessibleName(self.tr("Nombre de comptes"))
        self.addWidget(self.sync_label, 1)
        self.addWidget(self.progress)
        self.addPermanentWidget(self.connection_label)
        self.addPermanentWidget(self.outbox_label)
        self.addPermanentWidget(self.quota_label)
        self.card = card
        if card is not None:
            self.addPermanentWidget(card)
        self.addPermanentWidget(self.account_count_label)
        self._states: dict[str, str] = {}
        self._syncing: set[str] = set()
        self.set_outbox_count(0)
        self._show_connection()

    # -- sync ------------------------------------------------------------------------------------
    def sync_started(self, account: str) -> None:
        self._syncing.add(account)
        self.sync_label.setText(self.tr("Synchronisation de {account}…").format(account=account))
        self.progress.setRange(0, 0)  # busy until a folder reports numbers
        self.progress.show()

    def sync_failed(self, account: str, reason: str) -> None:
        self._syncing.discard(account)
        self._states[account] = "disconnected"
        self.sync_label.setText(self.tr("{account} : {reason}").format(
            account=account, reason=reason))
        self._after_sync()

    def handle_event(self, event: Event) -> None:
        if isinstance(event, FolderSyncProgress):
            self._syncing.add(event.account)
            if event.total > 0:
                self.progress.setRange(0, event.total)
                self.progress.setValue(min(event.done, event.total))
            self.progress.show()
            what = (self.tr("en-têtes") if event.phase == "headers" else self.tr("messages"))
            self.sync_label.setText(self.tr("{account} — {folder} : {what} {done}/{total}").format(
                account=event.account, folder=event.folder, what=what, done=event.done,
                total=event.total))
        elif isinstance(event, SyncFinished):
            self._syncing.discard(event.account)
            self._states.setdefault(event.account, "connected")
            if event.new:
                text = self.tr("{account} synchronisé : {new} nouveau(x) message(s)").format(
                    account=event.account, new=event.new)
            else:
                text = self.tr("{account} synchronisé").format(account=event.account)
            self.sync_label.setText(text)
            self._after_sync()
        elif isinstance(event, WatchStateChanged):
            self._states[event.account] = event.state
            if event.state == "disconnected" and event.error:
                self.sync_label.setText(self.tr("{account} : {error}").format(
                    account=event.account, error=event.error))
            self._show_connection()

    def _after_sync(self) -> None:
        if not self._syncing:
            self.progress.hide()
        self._show_connection()

    # -- connection ------------------------------------------------------------------------------
    def _show_connection(self) -> None:
        states = self._states
        if not states:
            text, colour = self.tr("Hors ligne"), "#6b6b6b"
        elif any(s == "disconnected" for s in states.values()):
            down = sum(s == "disconnected" for s in states.values())
            text = self.tr("Connexion perdue ({count})").format(count=down)
            colour = "#a4262c"
        elif any(s in ("connecting", "syncing") for s in states.values()):
            text, colour = self.tr("Connexion…"), "#8a6d00"
        else:
            text, colour = self.tr("Connecté"), "#2e7040"
        self.connection_label.setText(f"● {text}")
        self.connection_label.setStyleSheet(f"QLabel {{ color: {colour}; }}")
        self.connection_label.setToolTip("\n".join(
            f"{account} : {state}" for account, state in sorted(states.items())))

    def connection_state(self, account: str) -> str | None:
        return self._states.get(account)

    # -- outbox ----------------------------------------------------------------------------------
    def set_outbox_count(self, count: int) -> None:
        if count == 0:
            self.outbox_label.setText(self.tr("Boîte d'envoi vide"))
        elif count == 1:
            self.outbox_label.setText(self.tr("1 message à envoyer"))
        else:
            self.outbox_label.setText(self.tr("{count} messages à envoyer").format(count=count))
        self.outbox_label.setAlignment(Qt.AlignmentFlag.AlignVCenter)

    # -- quota -----------------------------------------------------------------------------------
    # Above these shares of a limit the label turns amber, then red: a full box refuses new mail,
    # and in a health box that is a result or a letter that bounces.
    QUOTA_WARNING = 0.90
    QUOTA_CRITICAL = 0.98

    def set_quota(self, storage_used: int | None, storage_limit: int | None,
                  messages_used: int | None = None, messages_limit: int | None = None) -> None:
        """Show the selected account's quota (bytes, message counts); hidden when the server
        announced none. A limit of 0 or less, or a missing usage, is not a limit to show."""
        parts: list[str] = []
        shares: list[float] = []
        locale = QLocale()
        traditional = QLocale.DataSizeFormat.DataSizeTraditionalFormat
        if storage_used is not None and storage_limit is not None and storage_limit > 0:
            used = max(storage_used, 0)
            shares.append(used / storage_limit)
            parts.append(self.tr("{used} sur {limit}").format(
                used=locale.formattedDataSize(used, 1, traditional),
                limit=locale.formattedDataSize(storage_limit, 1, traditional)))
        if messages_used is not None and messages_limit is not None and messages_limit > 0:
            shares.append(max(messages_used, 0) / messages_limit)
            parts.append(self.tr("{used} messages sur {limit}").format(
                used=locale.toString(max(messages_used, 0)),
                limit=locale.toString(messages_limit)))
        if not shares:
            self.quota_label.clear()
            self.quota_label.setToolTip("")
            self.quota_label.hide()
            return
        share = max(shares)
        percent = locale.toString(min(share, 9.99) * 100, "f", 0)
        self.quota_label.setText(self.tr("Quota : {percent} %").format(percent=percent))
        self.quota_label.setToolTip("\n".join(parts))
        if share >= self.QUOTA_CRITICAL:
            colour = "#a4262c"
        elif share >= self.QUOTA_WARNING:
            colour = "#8a6d00"
        else:
            colour = ""
        self.quota_label.setStyleSheet(f"QLabel {{ color: {colour}; }}" if colour else "")
        self.quota_label.show()
