"""The ``estafette`` console entry point.

The command line is the core's (``app.cli``); this module only hands it a way to open the window.
PySide6 is imported inside ``_run_gui`` so that headless sub-commands (APP mailboxes on a server,
scripts) never load Qt nor need a display.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cli import GuiRequest


def _preload_core() -> None:
    """Import the core the window opens the profile with *before* PySide6.

    PySide6's import hook (``shibokensupport.feature``) reads the source of every module
    imported after it (``inspect.getsource``, to look for "PySide6"): ~250 core modules, 0.1–0.2 s
    and 15 MB of source text kept in ``linecache``, for modules that never touch Qt. Imported
    first, they are already in ``sys.modules`` when the hook is installed.
    """
    for name in ("app.composition", "app.store.message_queries", "app.store.settings_store"):
        importlib.import_module(name)


def _run_gui(request: GuiRequest) -> int:
    _preload_core()
    from ui.main import run_gui  # deferred on purpose: loads PySide6

    code = run_gui(request)
    # The profile is closed and every window gone: skip the interpreter's teardown of Qt's
    # objects, which PySide6 can crash in ("shared QObject was deleted directly").
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> int:
    from app.cli import main as cli_main

    return cli_main(sys.argv[1:], gui_runner=_run_gui)


if __name__ == "__main__":
    raise SystemExit(main())
