"""The receipt and conversation handling of incoming mail, off the sync's thread.

``ReceiptService.handle`` reads each stored message back (its raw bytes) to see whether it is a
DSN/MDN, asks for a read receipt or belongs to a patient conversation. Subscribed directly to the
sync engine's events it ran on the sync's thread, between two body batches: an initial sync of
20,000 messages took half as long again. Here the events only queue the message ids; one
background thread hands them to ``ReceiptService.handle`` in order, batch by batch.

Durable: ``incoming_processed`` (the store) records each message handled. Messages stored but not
handled yet when the process ended (killed, closed during a long sync) are found there on the
next start (``catch_up``) and handled then. Messages stored before this runner first ran on a
profile are left alone (an upgraded profile does not answer old read-receipt requests): the
setting ``receipts.catch_up_from`` keeps the first message id to look at, moved on after each
complete catch-up (below the first message still waiting for its body).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from app.events import EventBus, MessagesChanged, MessagesStored
from app.services.receipt_service import ReceiptService, may_concern_receipts
from app.store.outbox_store import SettingStore
from app.store.receipt_store import ReceiptStore

_log = logging.getLogger(__name__)

CATCH_UP_SETTING = "receipts.catch_up_from"


class ReceiptRunner:
    """Queues stored-message events for ``ReceiptService`` on a thread of its own."""

    def __init__(
        self,
        *,
        receipts: ReceiptService,
        store: ReceiptStore,
        settings: SettingStore,
        batch: int = 500,
    ) -> None:
        self._receipts = receipts
        self._store = store
        self._settings = settings
        self._batch = batch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        # Ids seen by ``observe`` whose header block holds nothing the receipt service looks
        # for: recorded handled without reading them back. In memory only: after a crash the
        # catch-up reads them.
        self._ordinary: set[int] = set()

    def subscribe(self, events: EventBus) -> Callable[[], None]:
        def stored(event: MessagesStored) -> None:
            self.submit(event.account, event.folder, event.message_ids)

        def changed(event: MessagesChanged) -> None:
            if event.changed_ids:
                self.submit(event.account, event.folder, event.changed_ids)

        undo = [events.subscribe(MessagesStored, stored),
                events.subscribe(MessagesChanged, changed)]

        def unsubscribe() -> None:
            for u in undo:
                u()

        return unsubscribe

    def observe(self, account: str, folder: str,
                stored: Sequence[tuple[int, bytes]]) -> None:
        """The sync's stored bodies (``SyncEngine.observe_bodies``), on its thread: a cheap look
        at each header block, so that ordinary mail need not be read back from the store."""
        ordinary = [message_id for message_id, raw in stored if not may_concern_receipts(raw)]
        if ordinary:
            with self._lock:
                self._ordinary.update(ordinary)

    def submit(self, account: str, folder: str, message_ids: Sequence[int]) -> None:
        """Queue ``message_ids`` (returns at once; handled in order on the runner's thread)."""
        if not message_ids:
            return
        self._post(self._handle, account, folder, tuple(message_ids))

    def catch_up(self) -> Future[None] | None:
        """Queue the handling of every stored message not handled yet (see the module doc)."""
        return self._post(self._catch_up)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until what was queued before this call is handled (the command line, tests)."""
        future = self._post(lambda: None)
        if future is not None:
            future.result(timeout=timeout)

    def stop(self, *, wait: bool = True) -> None:
        """No new work; the batch in hand ends after its current message, the queue is dropped
        (the next start catches up on it from the store)."""
        self._stopped.set()
        self._executor.shutdown(wait=wait, cancel_futures=True)

    # --- on the runner's thread -------------------------------------------------------------------

    def _post(self, fn: Callable[..., None], *args: object) -> Future[None] | None:
        with self._lock:
            if self._stopped.is_set():
                return None
            try:
                return self._executor.submit(self._guarded, fn, *args)
            except RuntimeError:  # shut down meanwhile
                return None

    @staticmethod
    def _guarded(fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # never the content: the kind of error only
            _log.warning("incoming messages not handled for receipts", exc_info=False)

    def _handle(self, account: str, folder: str, message_ids: tuple[int, ...]) -> None:
        for start in range(0, len(message_ids), self._batch):
            if self._stopped.is_set():
                return
            batch = message_ids[start : start + self._batch]
            with self._lock:
                ordinary = self._ordinary.intersection(batch)
            self._receipts.handle(account, folder, batch, stop=self._stopped, ordinary=ordinary)
            with self._lock:
                self._ordinary.difference_update(ordinary)

    def _catch_up(self) -> None:
        since = self._settings.get(CATCH_UP_SETTING)
        if since is None:
            first = self._store.max_message_id() + 1
            self._settings.set(CATCH_UP_SETTING, str(first))
            return  # a profile this runner has not looked after yet: nothing left behind
        after = int(since) - 1
        # Where the next start may begin: below every message still waiting for its body (it
        # may get it and not be handled), and every message from here on. Computed before the
        # scan: whatever the scan then finds below it gets handled now.
        mark = self._store.catch_up_mark(int(since))
        while not self._stopped.is_set():
            rows = self._store.unhandled_incoming(after=after, limit=self._batch)
            if not rows:
                if mark > int(since):  # the next start does not scan the whole store again
                    self._settings.set(CATCH_UP_SETTING, str(mark))
                return
            # Grouped by (account, folder) in id order; the cursor moves past every row, so a
            # message that cannot be handled (its account gone) is not looked at twice.
            groups: dict[tuple[str, str], list[int]] = {}
            for message_id, account, folder in rows:
                groups.setdefault((account, folder), []).append(message_id)
                after = max(after, message_id)
            for (account, folder), ids in groups.items():
                if self._stopped.is_set():
                    return
                self._receipts.handle(account, folder, ids, stop=self._stopped)


__all__ = ["CATCH_UP_SETTING", "ReceiptRunner"]
