"""The async facade over the blocking sync engine: runs off the event loop, per-account thread,
task cancellation reaches the engine's token."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import pytest

from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.errors import UserCancelled
from app.services.sync_engine import CancelToken, SyncEngine, SyncReport
from app.services.sync_runner import SyncRunner


def _account(address: str) -> Account:
    return Account(address=address, kind=MailboxKind.PER, login=address,
                   imap=Endpoint("127.0.0.1", 993, TlsMode.IMPLICIT),
                   smtp=Endpoint("127.0.0.1", 465, TlsMode.IMPLICIT))


class FakeEngine:
    """Blocks until released or cancelled; records the thread each call ran on."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.threads: list[str] = []

    def sync_account(self, account: Account, *, cancel: CancelToken | None = None) -> SyncReport:
        assert cancel is not None
        self.threads.append(threading.current_thread().name)
        self.started.set()
        while not self.release.wait(0.01):
            cancel.check()
        return SyncReport(account=account.address, new=3)

    def watch(self, account: Account, *, cancel: CancelToken, **_: Any) -> None:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        cancel.wait(60)


def _runner(engine: FakeEngine) -> SyncRunner:
    return SyncRunner(cast(SyncEngine, engine))


def test_sync_runs_in_the_accounts_executor_without_blocking_the_loop() -> None:
    engine = FakeEngine()
    runner = _runner(engine)

    async def scenario() -> SyncReport:
        task = asyncio.create_task(runner.sync(_account("a@x.fr")))
        while not engine.started.is_set():  # the loop keeps turning while the pass runs
            await asyncio.sleep(0.01)
        engine.release.set()
        return await task

    report = asyncio.run(scenario())
    runner.shutdown()
    assert report.new == 3
    assert engine.threads and engine.threads[0].startswith("conn-sync-a@x.fr")
    assert threading.current_thread().name not in engine.threads


def test_cancelling_the_task_cancels_the_pass() -> None:
    engine = FakeEngine()
    runner = _runner(engine)

    async def scenario() -> None:
        task = asyncio.create_task(runner.sync(_account("a@x.fr")))
        while not engine.started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())
    # The engine saw the cancellation (its token), not only the coroutine.
    future = runner.executor_for(_account("a@x.fr")).submit(lambda: None)
    future.result(timeout=10)
    runner.shutdown()


def test_each_account_has_its_own_thread_and_watch_stops() -> None:
    engine = FakeEngine()
    runner = _runner(engine)
    a, b = _account("a@x.fr"), _account("b@x.fr")
    assert runner.executor_for(a) is runner.executor_for(a)
    assert runner.executor_for(a) is not runner.executor_for(b)
    handle = runner.start_watch(a)
    assert engine.started.wait(10)
    assert handle.running
    handle.stop(timeout=10)
    assert not handle.running
    runner.shutdown()


def test_cancel_token_check_raises_user_cancelled() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(UserCancelled):
        token.check()
    assert token.wait(0)
