"""Python's garbage collector, run on the GUI thread only.

A cycle holding Qt wrappers may be collected by whichever thread happens to allocate when the
collector triggers — a database or CPU worker thread — and Qt objects deleted from a thread that
does not own them crash the application later, at random. So automatic collection is switched off
while the window lives and a timer collects on the GUI thread instead (Anki does the same, for
the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

COLLECT_EVERY_MS = 5_000


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, *, interval_ms: int = COLLECT_EVERY_MS):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> int:
        return gc.collect()

    def stop(self) -> None:
        self._timer.stop()
        self.collect()
        if self._was_enabled:
            gc.enable()
