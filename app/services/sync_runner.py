"""Run the (blocking) sync engine without blocking an event loop or the UI thread.

``SyncEngine`` is blocking by design (IMAPClient is). The Qt shell (qasync) and the CLI use this
runner instead of calling it directly:

- every account gets its own single-thread executor, so its passes never overlap and never wait
  behind another account's;
- ``await runner.sync(account)`` runs one pass there (``loop.run_in_executor``) and returns the
  SyncReport; cancelling the awaiting task cancels the pass (the token cuts the socket);
- ``runner.start_watch(account)`` starts push mode (IDLE) in that executor and returns a handle
  to stop it; ``await runner.watch(account)`` does the same until the task is cancelled.

Events (MessagesStored, FolderSyncProgress, WatchStateChanged...) arrive on the engine's thread
through the EventBus; the UI bridge re-emits them on the GUI thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from app.domain.account import Account
from app.executors import connection_executor
from app.services.sync_engine import CancelToken, SyncEngine, SyncReport


@dataclass
class WatchHandle:
    """A running watch: ``stop()`` cancels it; ``result()`` waits and re-raises its error."""

    account: str
    token: CancelToken
    future: Future[None]

    def stop(self, *, wait: bool = True, timeout: float | None = None) -> None:
        self.token.cancel()
        if wait:
            self.future.exception(timeout=timeout)

    def result(self, timeout: float | None = None) -> None:
        self.future.result(timeout=timeout)

    @property
    def running(self) -> bool:
        return not self.future.done()


@dataclass
class SyncRunner:
    engine: SyncEngine
    _executors: dict[str, ThreadPoolExecutor] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def executor_for(self, account: Account) -> ThreadPoolExecutor:
        """The account's own thread (created on first use)."""
        with self._lock:
            executor = self._executors.get(account.address)
            if executor is None:
                executor = connection_executor(f"sync-{account.address}")
                self._executors[account.address] = executor
            return executor

    async def sync(self, account: Account, *, cancel: CancelToken | None = None) -> SyncReport:
        """One pass in the account's executor; task cancellation cancels the pass."""
        token = cancel or CancelToken()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self.executor_for(account), lambda: self.engine.sync_account(account, cancel=token))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            token.cancel()
            # Let the pass stop at its next batch boundary before the task ends.
            await asyncio.wait([future])
            raise

    def start_watch(self, account: Account, **options: object) -> WatchHandle:
        """Push mode (IDLE) in the account's executor until ``stop()``."""
        token = CancelToken()

        def run() -> None:
            self.engine.watch(account, cancel=token, **options)  # type: ignore[arg-type]

        return WatchHandle(account.address, token, self.executor_for(account).submit(run))

    async def watch(self, account: Account, **options: object) -> None:
        """``start_watch`` for a coroutine: runs until the task is cancelled (or fails)."""
        handle = self.start_watch(account, **options)
        wrapped = asyncio.wrap_future(handle.future)
        try:
            await asyncio.shield(wrapped)
        except asyncio.CancelledError:
            handle.token.cancel()
            await asyncio.wait([wrapped])
            raise

    def watch_all(self, accounts: Sequence[Account], **options: object) -> list[WatchHandle]:
        return [self.start_watch(account, **options) for account in accounts]

    def shutdown(self) -> None:
        with self._lock:
            executors, self._executors = list(self._executors.values()), {}
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)
