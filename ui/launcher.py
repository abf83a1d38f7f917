"""The ``estafette`` console entry point.

The command line is the core's (``app.cli``); this module only hands it a way to open the window.
PySide6 is imported inside ``_run_gui`` so that headless sub-commands (APP mailboxes on a server,
scripts) never load Qt nor need a display.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cli import GuiRequest


def _run_gui(request: GuiRequest) -> int:
    from ui.main import run_gui  # deferred on purpose: loads PySide6

    return run_gui(request)


def main() -> int:
    from app.cli import main as cli_main

    return cli_main(sys.argv[1:], gui_runner=_run_gui)


if __name__ == "__main__":
    raise SystemExit(main())
