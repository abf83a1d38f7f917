"""Dialogs and secondary windows (composer, directory), and the small helper they share to run
blocking core calls off the UI thread.

Store calls are synchronous (they wait for the profile's single database thread) and directory
searches may wait on the network, so widgets never call them directly: they hand a callable to
:class:`BackgroundRunner`, which runs it on an executor and delivers the result (or the exception)
back on the GUI thread through a queued signal. It needs no asyncio loop, so the same widgets work
under qasync in the application and under plain pytest-qt in the tests.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class BackgroundRunner(QObject):
    """Run ``fn()`` on ``executor``; call ``on_success(result)`` or ``on_error(exc)`` on the GUI
    thread. Results arriving after :meth:`close` are dropped (the widget may be gone).

    Create it **without a parent**: a worker emits on it when its call ends, so it must outlive
    the widget that started the call. Each pending call's done-callback holds a reference to it,
    which keeps it (and its C++ object, owned by Python when unparented) alive until then.
    """

    _done = Signal(object, object, object, object)  # on_success, on_error, result, exception

    def __init__(self, executor: Executor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._pending: set[Future[Any]] = set()  # strong references until delivered
        self._closed = False
        self._done.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Success | None = None,
        on_error: Failure | None = None,
    ) -> Future[Any]:
        future = self._executor.submit(fn)
        self._pending.add(future)

        def finished(f: Future[Any]) -> None:
            # Runs on the worker thread: only emit (queued to the GUI thread), touch nothing.
            if f.cancelled():
                return
            exc = f.exception()
            # RuntimeError: the QObject was deleted meanwhile, nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                self._done.emit(on_success, on_error, None if exc else f.result(), exc)

        future.add_done_callback(finished)
        return future

    def _deliver(self, on_success: Any, on_error: Any, result: Any, exc: Any) -> None:
        self._pending = {f for f in self._pending if not f.done()}
        if self._closed:
            return
        try:
            if exc is not None:
                if on_error is not None:
                    on_error(exc)
                else:
                    log.error("background call failed", exc_info=exc)
                return
            if on_success is not None:
                on_success(result)
        except RuntimeError as error:
            # The widget the answer was for has been deleted by Qt meanwhile.
            if "already deleted" not in str(error):
                raise
            log.debug("background answer dropped: its widget is gone")

    def close(self) -> None:
        self._closed = True


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
