"""The ``estafette`` console entry point.

The command line is the core's (``app.cli``); this module only hands it a way to open the window.
PySide6 is imported inside ``_run_gui`` so that headless sub-commands (APP mailboxes on a server,
scripts) never load Qt nor need a display.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cli import GuiRequest


def _run_gui(request: GuiRequest) -> int:
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
