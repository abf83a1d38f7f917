"""Fixtures of the UI tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """qasync's loop on the Qt thread, as in ``ui.main`` (closing a dialog must not stop it:
    Qt would quit on the last window closed)."""
    qapp.setQuitOnLastWindowClosed(False)
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.set_event_loop(None)
    event_loop.close()
