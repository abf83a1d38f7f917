"""Run a blocking core call off the UI thread and get its result back on the GUI thread.

Two forms, for two kinds of callers:

- ``await run_blocking(executor, fn)`` in a coroutine (an async slot under qasync): the loop keeps
  running meanwhile, and the coroutine resumes on the GUI thread.
- ``BackgroundOp(fn).success(cb).failure(cb).run_in_background(executor, runner)`` for plain Qt code
  such as item models, which must not depend on an asyncio loop being there (tests, benchmarks,
  ``QAbstractItemModelTester``). In the spirit of Anki's ``CollectionOp``: the callbacks always
  run on the GUI thread, after the work is done, in the order results arrive.

The hop back to the GUI thread is a Qt signal emitted from the worker thread: ``_Runner`` lives on
the GUI thread, so the connection is queued and its slot runs there.

For the profile's store, pass ``profile.executors.db``: a function that calls ``Database.call`` on
that executor's thread runs inline (see ``app.store.database``), so one submission is one visit to
the database thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

T = TypeVar("T")
_Success = Callable[[Any], None]
_Failure = Callable[[BaseException], None]
log = logging.getLogger(__name__)


async def run_blocking(executor: Executor, fn: Callable[[], T]) -> T:
    """Run ``fn()`` in ``executor`` and await its result without blocking the event loop."""
    return await asyncio.wrap_future(executor.submit(fn))


class _Runner(QObject):
    """Delivers finished futures to their callbacks on the thread this object lives in."""

    _finished = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callbacks: dict[int, tuple[_Success, _Failure]] = {}
        self._tokens = itertools.count(1)
        self._finished.connect(self._deliver)

    def submit(
        self,
        executor: Executor,
        fn: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None],
    ) -> Future[T] | None:
        token = next(self._tokens)
        self._callbacks[token] = (on_success, on_failure)
        try:
            future = executor.submit(fn)
        except RuntimeError as exc:  # executor shut down: the profile is closing
            del self._callbacks[token]
            log.debug("background call dropped: %s", exc)
            return None
        future.add_done_callback(lambda f: self._hand_over(token, f))
        return future

    def _hand_over(self, token: int, future: Future[Any]) -> None:
        # Runs on the worker thread (or here if already done): only emit, touch nothing.
        with contextlib.suppress(RuntimeError):  # this object was deleted: nobody is waiting
            self._finished.emit(token, future)

    def pending(self) -> int:
        return len(self._callbacks)

    @Slot(int, object)
    def _deliver(self, token: int, future: Future[Any]) -> None:
        callbacks = self._callbacks.pop(token, None)
        if callbacks is None or future.cancelled():
            return
        on_success, on_failure = callbacks
        exc = future.exception()
        if exc is not None:
            on_failure(exc)
        else:
            on_success(future.result())


def _log_failure(exc: BaseException) -> None:
    log.error("background call failed", exc_info=(type(exc), exc, exc.__traceback__))


class BackgroundOp(Generic[T]):
    """A blocking call to run off the UI thread, with callbacks run on the GUI thread."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._on_success: Callable[[T], None] = lambda _result: None
        self._on_failure: Callable[[BaseException], None] = _log_failure

    def success(self, callback: Callable[[T], None]) -> BackgroundOp[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> BackgroundOp[T]:
        self._on_failure = callback
        return self

    def run_in_background(self, executor: Executor, runner: Runner) -> Future[T] | None:
        return runner.submit(executor, self._fn, self._on_success, self._on_failure)


Runner = _Runner


def make_runner(parent: QObject | None = None) -> Runner:
    """A runner living on the GUI thread (create it there, e.g. in a widget's or model's
    constructor, and give it that widget or model as parent)."""
    if QCoreApplication.instance() is None:
        raise RuntimeError("a QApplication must exist before background operations")
    return _Runner(parent)


__all__ = ["BackgroundOp", "Runner", "make_runner", "run_blocking"]
