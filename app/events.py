"""Plain-Python events (past tense) and a tiny synchronous bus.

``ui/bridge.py`` subscribes and re-emits them as Qt signals on the GUI thread; handlers here may
run on any thread, so they must only hand the event over, not touch widgets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True)
class AccountAdded(Event):
    address: str
    login: str


@dataclass(frozen=True)
class AccountRemoved(Event):
    address: str
    login: str


@dataclass(frozen=True)
class FolderSyncProgress(Event):
    """A sync pass advanced in one folder: ``phase`` is "headers", "bodies", or "messages" (the
    single pass of an initial sync, headers and bodies fetched together)."""

    account: str
    folder: str
    phase: str
    done: int
    total: int


@dataclass(frozen=True)
class MessagesStored(Event):
    """New messages are in the store (headers at least): the list can show them."""

    account: str
    folder: str
    message_ids: tuple[int, ...]
    # The folder is the box's inbox (an ORG box's is "Partagé/<box>", not "INBOX").
    inbox: bool = False


@dataclass(frozen=True)
class MessagesChanged(Event):
    """Stored messages changed (flags, body arrived) or disappeared (expunged, moved away)."""

    account: str
    folder: str
    changed_ids: tuple[int, ...] = ()
    removed_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SyncFinished(Event):
    account: str
    new: int
    changed: int
    removed: int


@dataclass(frozen=True)
class WatchStateChanged(Event):
    """Push sync (IDLE) of an account: "connecting", "syncing", "idle", "disconnected" (then
    ``retry_in`` s before the next attempt, ``failures`` in a row, ``error`` in French) or
    "stopped"."""

    account: str
    state: str
    failures: int = 0
    retry_in: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class StoreIntegrityChecked(Event):
    """The full check of the encrypted store, deferred at open, has finished."""

    ok: bool
    message: str | None = None


E = TypeVar("E", bound=Event)


class EventBus:
    """Subscribers per event type; a failing handler is logged and does not stop the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[type[Event], list[Callable[[Any], None]]] = {}

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Register ``handler`` for ``kind`` (and its subclasses); returns an unsubscribe."""
        with self._lock:
            self._handlers.setdefault(kind, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._handlers.get(kind, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [
                h
                for kind, handlers in self._handlers.items()
                if isinstance(event, kind)
                for h in handlers
            ]
        for handler in targets:
            try:
                handler(event)
            except Exception:  # a broken subscriber must not break the publisher
                _log.exception("event handler failed for %s", type(event).__name__)
