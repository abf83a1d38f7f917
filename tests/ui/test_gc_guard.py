"""The window's garbage collection runs on the GUI thread only (ui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from ui.gc_guard import GuiThreadGarbageCollector


def test_automatic_collection_is_off_and_the_timer_collects_on_the_gui_thread(qtbot: Any) -> None:
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        collector = GuiThreadGarbageCollector(interval_ms=10)
        assert not gc.isenabled()
        threads: list[str] = []
        original = collector.collect

        def collect() -> int:
            threads.append(threading.current_thread().name)
            return original()

        collector._timer.timeout.disconnect()
        collector._timer.timeout.connect(collect)
        qtbot.waitUntil(lambda: len(threads) >= 2, timeout=5000)
        assert set(threads) == {threading.main_thread().name}
        collector.stop()
        assert gc.isenabled()
    finally:
        if not was_enabled:
            gc.disable()
