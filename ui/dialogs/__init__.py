"""Dialogs and secondary windows (composer, directory), and the small helper they share to run
blocking core calls off the UI thread.

Store calls are synchronous (they wait for the profile's single database thread) and directory
searches may wait on the network, so widgets never call them directly: they hand a callable to
:class:`BackgroundRunner`, which runs it on an executor and delivers the result (or the exception)
back on the GUI thread through a queued signal. It needs no asyncio loop, so the same widgets work
under qasync in the application and under plain pytest-qt in the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from ui.operations import TaskRunner

log = logging.getLogger(__name__)

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class BackgroundRunner(TaskRunner):
    """Run ``fn()`` on ``executor``; call ``on_success(result)`` or ``on_error(exc)`` on the GUI
    thread. Results arriving after :meth:`close` are dropped (the widget may be gone).

    A thin layer over ``ui.operations.TaskRunner`` (which keeps itself alive until late answers
    arrive). ``parent``, when given, closes the runner when that object is destroyed.
    """

    def __init__(self, executor: Executor, parent: QObject | None = None) -> None:
        super().__init__(executor)
        if parent is not None:
            parent.destroyed.connect(lambda *_args: self.close())

    def run(  # type: ignore[override]
        self,
        fn: Callable[[], Any],
        on_success: Success | None = None,
        on_error: Failure | None = None,
    ) -> Future[Any] | None:
        return super().run(fn, on_success, on_error)


def ui_language() -> str:
    """"fr" or "en": the language of the installed catalogue. The source string "fr" is itself
    translated ("en" in estafette_en.ts), so the core's bilingual errors follow the window."""
    lang = QCoreApplication.translate("Language", "fr")
    return "en" if lang == "en" else "fr"


def error_text(exc: BaseException, fallback: str) -> str:
    """The sentence to show for ``exc``: its own when it is a user-facing error, else
    ``fallback`` (the details go to the log, never to the screen)."""
    from app.errors import UserFacingError

    if isinstance(exc, UserFacingError):
        return exc.text(ui_language())
    log.error("unexpected error", exc_info=exc)
    return fallback
