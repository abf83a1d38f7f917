"""Run a blocking core call off the UI thread and get its result back on the GUI thread.

Two forms, for two kinds of callers:

- ``await run_blocking(executor, fn)`` in a coroutine (an async slot under qasync): the loop keeps
  running meanwhile, and the coroutine resumes on the GUI thread.
- ``BackgroundOp(fn).success(cb).failure(cb).run_in_background(executor, runner)`` for plain Qt code
  such as item models, which must not depend on an asyncio loop being there (tests, benchmarks,
  ``QAbstractItemModelTester``). In the spirit of Anki's ``CollectionOp``: the callbacks always
  run on the GUI thread, after the work is done, in the order results arrive.
- ``TaskRunner(executor).run(fn, on_success, on_failure)`` for widgets and dialogs that keep one
  executor: the same delivery, plus ``busy``, ``cancel()`` (drop what is pending), ``close()``
  (drop everything from now on) and ``latest_only`` (a new call makes older answers stale, as a
  preview or a search wants). ``ui.dialogs.BackgroundRunner`` and the previews' runner are thin
  layers over it.

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

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

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
        self._retired = False
        # Always queued, even when the work is already done at submission: callbacks never run
        # inside the call that started the work.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        executor: Executor,
        fn: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None],
    ) -> Future[T] | None:
        submitted = self.submit_token(executor, fn, on_success, on_failure)
        return None if submitted is None else submitted[1]

    def submit_token(
        self,
        executor: Executor,
        fn: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None],
    ) -> tuple[int, Future[T]] | None:
        """``submit``, also returning the token that :meth:`drop` takes."""
        token = next(self._tokens)
        self._callbacks[token] = (on_success, on_failure)
        try:
            future = executor.submit(fn)
        except RuntimeError as exc:  # executor shut down: the profile is closing
            del self._callbacks[token]
            log.debug("background call dropped: %s", exc)
            return None
        future.add_done_callback(lambda f: self._hand_over(token, f))
        return token, future

    def _hand_over(self, token: int, future: Future[Any]) -> None:
        # Runs on the worker thread (or here if already done): only emit, touch nothing.
        with contextlib.suppress(RuntimeError):  # this object was deleted: nobody is waiting
            self._finished.emit(token, future)

    def pending(self) -> int:
        return len(self._callbacks)

    def drop(self, token: int) -> None:
        """Forget ``token``'s callbacks: its answer, when it comes, is dropped."""
        self._callbacks.pop(token, None)

    def drop_all(self) -> None:
        self._callbacks.clear()

    def retire(self) -> None:
        """Nobody will submit here again: delete this object (on its own thread) once the
        answers still expected are delivered."""
        self._retired = True
        if not self._callbacks:
            self.deleteLater()

    @Slot(int, object)
    def _deliver(self, token: int, future: Future[Any]) -> None:
        callbacks = self._callbacks.pop(token, None)
        if self._retired and not self._callbacks:
            self.deleteLater()
        if callbacks is None or future.cancelled():
            return
        on_success, on_failure = callbacks
        exc = future.exception()
        try:
            if exc is not None:
                on_failure(exc)
            else:
                on_success(future.result())
        except RuntimeError as error:
            # The widget the answer was for was deleted by Qt meanwhile: nobody is waiting.
            if "already deleted" not in str(error):
                raise
            log.debug("background answer dropped: its widget is gone")


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


class TaskRunner:
    """One executor, calls run off the UI thread, answers delivered on the GUI thread.

    Create it on the GUI thread. Its Qt half (the ``_Runner``) is a child of the application, not
    of the widget that asks: a worker may finish after that widget was deleted, and the runner
    must still be there to receive (and drop) the late answer; being owned by Qt, it is never
    destroyed by Python's garbage collector on a worker thread. ``close()`` retires it.
    ``latest_only``: each call makes earlier pending ones stale (their futures are cancelled when
    not started, their answers dropped).
    """

    def __init__(self, executor: Executor, *, latest_only: bool = False) -> None:
        self._executor = executor
        self._latest_only = latest_only
        self._runner = make_runner(QCoreApplication.instance())
        self._futures: dict[int, Future[Any]] = {}
        self._closed = False

    @property
    def executor(self) -> Executor:
        return self._executor

    @property
    def busy(self) -> bool:
        """A call is running or its answer is not delivered yet."""
        return self._runner.pending() > 0

    def run(
        self,
        fn: Callable[[], T],
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> Future[T] | None:
        if self._latest_only:
            self.cancel()
        futures = self._futures

        def success(result: T) -> None:
            if not self._closed and on_success is not None:
                on_success(result)

        def failure(exc: BaseException) -> None:
            if self._closed:
                return
            (on_failure or _log_failure)(exc)

        submitted = self._runner.submit_token(self._executor, fn, success, failure)
        if submitted is None:
            return None
        token, future = submitted
        futures[token] = future
        future.add_done_callback(lambda _f: futures.pop(token, None))
        return future

    def cancel(self) -> None:
        """Drop every pending answer (and cancel the calls that have not started)."""
        for future in list(self._futures.values()):
            future.cancel()
        self._futures.clear()
        self._runner.drop_all()

    def close(self) -> None:
        """From now on, answers are dropped (the owner is going away)."""
        if self._closed:
            return
        self._closed = True
        self._runner.drop_all()
        self._runner.retire()


def make_runner(parent: QObject | None = None) -> Runner:
    """A runner living on the GUI thread (create it there, e.g. in a widget's or model's
    constructor, and give it that widget or model as parent)."""
    if QCoreApplication.instance() is None:
        raise RuntimeError("a QApplication must exist before background operations")
    return _Runner(parent)


__all__ = ["BackgroundOp", "Runner", "TaskRunner", "make_runner", "run_blocking"]
