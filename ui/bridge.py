"""Hands the core's plain-Python events to the GUI thread as a Qt signal.

Services publish on ``app.events.EventBus`` from any thread (the database thread, an IMAP thread).
``EventBridge`` lives on the GUI thread; emitting its signal from another thread queues the call, so
connected slots (methods of QObjects living on the GUI thread) always run where widgets may be
touched.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.events import Event, EventBus


class EventBridge(QObject):
    event_published = Signal(object)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = bus.subscribe(Event, self._hand_over)

    def _hand_over(self, event: Event) -> None:
        # May run on any thread: only emit, never touch widgets here.
        self.event_published.emit(event)

    def close(self) -> None:
        self._unsubscribe()
