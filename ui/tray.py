"""New-mail notification in the system tray.

The notification is seen on a shared screen, by anyone passing by, and may be kept by the desktop's
notification history: it says only how many messages arrived ("3 nouveaux messages"), never a
sender, a subject or a patient. Messages stored by an account's first sync pass are not "new"
(they were already on the server); only those that arrive after it count. Arrivals are gathered
for a short moment so that one burst makes one notification.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from app.events import Event, MessagesStored, SyncFinished

GATHER_MS = 1500


def notification_text(count: int) -> str:
    from PySide6.QtCore import QCoreApplication

    if count == 1:
        return QCoreApplication.translate("Tray", "1 nouveau message")
    return QCoreApplication.translate("Tray", "{count} nouveaux messages").format(count=count)


class NewMailNotifier(QObject):
    """Counts new mail from the events; shows it in the tray when there is one."""

    notified = Signal(str)  # the text shown (for tests, and when there is no tray)
    activated = Signal()  # the user clicked the tray icon or the message

    def __init__(self, parent: QObject | None = None, *, gather_ms: int = GATHER_MS,
                 use_tray: bool = True) -> None:
        super().__init__(parent)
        self._synced_once: set[str] = set()
        self._pending = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(gather_ms)
        self._timer.timeout.connect(self._flush)
        self.tray: QSystemTrayIcon | None = None
        if use_tray and QSystemTrayIcon.isSystemTrayAvailable():
            style = QApplication.style()
            icon = QIcon.fromTheme("mail-unread",
                                   style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation))
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Estafette")
            self.tray.activated.connect(lambda _reason: self.activated.emit())
            self.tray.messageClicked.connect(self.activated)
            self.tray.show()

    def handle_event(self, event: Event) -> None:
        if isinstance(event, SyncFinished):
            self._synced_once.add(event.account)
        elif isinstance(event, MessagesStored):
            if event.account not in self._synced_once or not event.inbox:
                return
            self._pending += len(event.message_ids)
            if self._pending:
                self._timer.start()

    def _flush(self) -> None:
        count, self._pending = self._pending, 0
        if count <= 0:
            return
        text = notification_text(count)
        if self.tray is not None:
            self.tray.showMessage("Estafette", text,
                                  QSystemTrayIcon.MessageIcon.Information, 5000)
        self.notified.emit(text)

    def close(self) -> None:
        self._timer.stop()
        if self.tray is not None:
            self.tray.hide()
