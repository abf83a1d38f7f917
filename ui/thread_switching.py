"""How often the interpreter hands the GIL from one thread to another, in the GUI process.

When the GUI thread needs the GIL while a worker runs Python (the database thread building a page
of the message list), CPython makes it wait for the switch interval, 5 ms by default, and the
GUI thread gives the GIL back each time it calls into Qt: painting one screen can wait for the
worker's whole burst, several times over. Measured scrolling 100,000 rows: the longest event-loop
stalls were 28–39 ms with 5 ms, 23–32 ms with 0.5 ms, the stall being two pages read (≈ 12 ms of
Python on the database thread). Background throughput barely moves: the workers mostly wait in C
(SQLite, sockets) with the GIL released.
"""

from __future__ import annotations

import sys

GUI_SWITCH_INTERVAL_S = 0.0005


class GuiThreadSwitching:
    """Sets the short switch interval; ``restore()`` puts the previous one back."""

    def __init__(self, interval_s: float = GUI_SWITCH_INTERVAL_S) -> None:
        self._previous = sys.getswitchinterval()
        sys.setswitchinterval(interval_s)

    def restore(self) -> None:
        sys.setswitchinterval(self._previous)
