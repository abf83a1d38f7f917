"""Python's garbage collector, run on the GUI thread only, in small steps.

A cycle holding Qt wrappers may be collected by whichever thread happens to allocate when the
collector triggers — a database or CPU worker thread — and Qt objects deleted from a thread that
does not own them crash the application later, at random. So automatic collection is switched off
while the window lives and a timer collects on the GUI thread instead (Anki does the same, for
the same reason).

A full collection walks every object alive — with Qt, the store and the services imported, several
hundred thousand — and held the event loop for 100–250 ms each time. So the first tick, once the
window is up, *freezes* what start-up made (modules, classes, the window: ``gc.freeze``, they live
as long as the process), and later ticks collect the young generation, the middle one every
``MIDDLE_EVERY`` ticks and everything not frozen every ``FULL_EVERY`` ticks.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

COLLECT_EVERY_MS = 5_000
MIDDLE_EVERY = 4  # 20 s
FULL_EVERY = 24  # 2 min


class GuiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, *, interval_ms: int = COLLECT_EVERY_MS):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._ticks = 0
        self._frozen = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> int:
        """One tick: freeze start-up's objects the first time, then collect by generation."""
        self._ticks += 1
        if not self._frozen:
            self._frozen = True
            gc.freeze()
            return 0
        if self._ticks % FULL_EVERY == 0:
            generation = 2
        elif self._ticks % MIDDLE_EVERY == 0:
            generation = 1
        else:
            generation = 0
        return gc.collect(generation)

    def stop(self) -> None:
        self._timer.stop()
        if self._frozen:
            gc.unfreeze()
        gc.collect()
        if self._was_enabled:
            gc.enable()
