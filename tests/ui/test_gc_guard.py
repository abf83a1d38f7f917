"""The window's garbage collection runs on the GUI thread only (ui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

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


def test_first_tick_freezes_start_up_then_ticks_collect_by_generation(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import gc_guard

    was_enabled = gc.isenabled()
    collector = gc_guard.GuiThreadGarbageCollector(interval_ms=60_000)  # ticks driven by hand
    try:
        collector._timer.stop()
        gc.unfreeze()
        assert collector.collect() == 0  # first tick: start-up's objects frozen, nothing walked
        assert gc.get_freeze_count() > 0

        class Node:
            def __init__(self) -> None:
                self.me = self

        generations: list[int] = []
        original = gc.collect

        def recording(generation: int = 2) -> int:
            generations.append(generation)
            return original(generation)

        with monkeypatch.context() as patch:
            patch.setattr(gc, "collect", recording)
            Node()  # a cycle made after start-up: garbage that only a collection frees
            found = sum(collector.collect() for _ in range(gc_guard.FULL_EVERY - 1))
        assert found >= 1  # the cycle was collected
        assert generations.count(2) == 1  # everything not frozen, once per FULL_EVERY ticks
        assert generations.count(1) == (gc_guard.FULL_EVERY // gc_guard.MIDDLE_EVERY) - 1
        assert set(generations) == {0, 1, 2}
    finally:
        collector.stop()
        assert gc.get_freeze_count() == 0
        if not was_enabled:
            gc.disable()
