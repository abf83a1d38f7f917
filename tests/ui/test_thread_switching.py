"""The GUI process hands the GIL back to the GUI thread sooner (ui/thread_switching.py)."""

from __future__ import annotations

import sys

from ui.thread_switching import GUI_SWITCH_INTERVAL_S, GuiThreadSwitching


def test_the_short_switch_interval_is_set_then_the_previous_one_restored() -> None:
    previous = sys.getswitchinterval()
    assert previous != GUI_SWITCH_INTERVAL_S  # the interpreter's default (5 ms) in the tests
    switching = GuiThreadSwitching()
    try:
        assert sys.getswitchinterval() == GUI_SWITCH_INTERVAL_S
    finally:
        switching.restore()
    assert sys.getswitchinterval() == previous

