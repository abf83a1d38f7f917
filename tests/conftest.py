"""Fixtures shared by every test: the real-server sandbox, the corpus, offscreen Qt."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """``../shared/corpus``; tests that need it skip with the reason when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"third-party corpus not found at {CORPUS} (it sits beside the project in CI)")
    return CORPUS


@pytest.fixture(scope="session")
def sandbox() -> Iterator[dict[str, Any]]:
    """The running sandbox's endpoints (started once per test session, stopped at the end).

    ``ESTAFETTE_SANDBOX_DIR`` reuses a sandbox started by hand (``make sandbox-up``), left up.
    """
    from tests.sandbox import orchestrator

    reuse = os.environ.get("ESTAFETTE_SANDBOX_DIR")
    if reuse:
        yield orchestrator.up(Path(reuse))
        return
    # Not under pytest's basetemp: every pytest session run by the same user chmods
    # /tmp/pytest-of-<user> back to 0700, which would cut Dovecot's mail processes (uid ``mail``)
    # off their maildirs in a sandbox started by another, concurrent session.
    base = Path(tempfile.mkdtemp(prefix="estafette-sandbox-"))
    try:
        endpoints = orchestrator.up(base)
    except orchestrator.SandboxError as exc:
        pytest.fail(f"the sandbox did not start: {exc}", pytrace=False)
    try:
        yield endpoints
    finally:
        orchestrator.down(base)
        shutil.rmtree(base, ignore_errors=True)


# Tests that read the sandbox exactly as seeded (message counts, ids) run before any test that
# sends into the shared session sandbox.
_PRISTINE_FIRST = ("tests/integration/test_sandbox_seed.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def pristine(item: pytest.Item) -> bool:
        return any(item.nodeid.startswith(prefix) for prefix in _PRISTINE_FIRST)

    items.sort(key=lambda item: 0 if pristine(item) else 1)  # stable: keeps the rest's order


@pytest.fixture(scope="session", autouse=True)
def _garbage_collected_on_the_main_thread() -> Iterator[None]:
    """As in the application (ui/gc_guard.py): no automatic collection, which could run on a
    worker thread and delete Qt objects there; the main thread collects after every test."""
    import gc

    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    import gc

    yield
    gc.collect()


# PySide6 may crash while the interpreter tears Qt's objects down at exit ("shared QObject was
# deleted directly", then SIGSEGV) — after every test has passed and the summary is printed. The
# results are final by then: leave with pytest's own status instead of running that teardown.
_SESSION_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _SESSION_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    import sys

    if _SESSION_STATUS and "PySide6.QtCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_SESSION_STATUS[-1])
