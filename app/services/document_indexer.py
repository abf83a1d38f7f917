"""Full-text search inside attached documents (PDF, CDA R2, IHE_XDM.ZIP), in the background.

The sync engine stores raw messages and indexes their text at once, but never decodes an
attachment (that is what made a naive sync slow). This service does the rest afterwards: when
bodies arrive (``MessagesStored``/``MessagesChanged`` from the engine) it schedules one drain on
the CPU executor, which takes the stored messages that have a PDF, CDA or XDM attachment and have
not been looked at yet, extracts their text with limits (``app.protocols.mime.document_text``)
and adds it to the message's full-text row. Each message is recorded done or failed in the store
(``document_index``), so it is never read twice, across runs too (``schedule()`` on open picks up
what a previous run left).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from app.events import EventBus, MessagesChanged, MessagesStored
from app.protocols.mime.document_text import (
    DocumentTextLimits,
    message_document_text,
)
from app.protocols.mime.index_text import extract
from app.store.message_store import MessageStore

_log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    done: int = 0
    failed: int = 0
    with_text: int = 0


class DocumentIndexer:
    def __init__(
        self,
        *,
        store: MessageStore,
        executor: Executor,
        limits: DocumentTextLimits | None = None,
        batch: int = 100,
    ) -> None:
        self._store = store
        self._executor = executor
        self._limits = limits or DocumentTextLimits()
        self._batch = batch
        # Re-entrant: an inline executor (tests) runs the drain inside schedule().
        self._lock = threading.RLock()
        self._running: Future[IndexReport] | None = None
        self._again = False
        self._stopped = threading.Event()

    def subscribe(self, events: EventBus) -> Callable[[], None]:
        """Drain after each batch of stored bodies (and new messages, whole ones included)."""

        def changed(event: MessagesChanged) -> None:
            if event.changed_ids:
                self.schedule()

        def stored(_event: MessagesStored) -> None:
            self.schedule()

        undo = [events.subscribe(MessagesChanged, changed),
                events.subscribe(MessagesStored, stored)]

        def unsubscribe() -> None:
            for u in undo:
                u()

        return unsubscribe

    def schedule(self) -> Future[IndexReport] | None:
        """Start a drain on the executor, or ask the running one to look again when done.
        Returns the running drain's future (None once stopped)."""
        with self._lock:
            if self._stopped.is_set():
                return None
            if self._running is not None:
                self._again = True
                return self._running
            try:
                future = self._executor.submit(self._drain_loop)
            except RuntimeError:  # executor shut down: the profile is closing
                return None
            self._running = None if future.done() else future
            return future

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until no drain is running (tests, the command line before it exits)."""
        while True:
            with self._lock:
                running = self._running
            if running is None:
                return
            running.result(timeout=timeout)

    def stop(self, *, wait: bool = True, timeout: float | None = 30.0) -> None:
        """No new drain; the current one ends after the message in hand."""
        self._stopped.set()
        with self._lock:
            running = self._running
        if wait and running is not None:
            try:
                running.result(timeout=timeout)
            except Exception:
                _log.debug("document indexer ended with an error", exc_info=True)

    def _drain_loop(self) -> IndexReport:
        total = IndexReport()
        try:
            while True:
                report = self.index_pending()
                total.done += report.done
                total.failed += report.failed
                total.with_text += report.with_text
                with self._lock:
                    if not self._again or self._stopped.is_set():
                        self._again = False
                        self._running = None
                        return total
                    self._again = False
        except BaseException:
            with self._lock:
                self._again = False
                self._running = None
            raise

    def index_pending(self, limit: int | None = None) -> IndexReport:
        """Index what is waiting (at most ``limit`` messages), blocking; returns the counts."""
        report = IndexReport()
        while not self._stopped.is_set():
            wanted = self._batch if limit is None else min(self._batch, limit - report.done
                                                           - report.failed)
            if wanted <= 0:
                break
            ids = self._store.messages_needing_documents(limit=wanted)
            if not ids:
                break
            for message_id in ids:
                if self._stopped.is_set():
                    break
                self.index_one(message_id, report)
        return report

    def index_one(self, message_id: int, report: IndexReport | None = None) -> bool:
        """Extract and index one message's documents; True when recorded done."""
        report = report if report is not None else IndexReport()
        try:
            raw = self._store.raw(message_id)
            if raw is None:
                self._store.mark_documents_failed(message_id)
                report.failed += 1
                return False
            found = message_document_text(raw, self._limits)
            body = extract(raw, headers=False).text
            if not self._store.add_document_text(message_id, body, found.text,
                                                 documents=found.documents):
                return False
            report.done += 1
            report.with_text += 1 if found.text else 0
            return True
        except Exception:
            # Never the message's content in the log: its id and the kind of error only.
            _log.warning("document text of message %d not indexed", message_id, exc_info=False)
            try:
                self._store.mark_documents_failed(message_id)
            except Exception:
                _log.debug("could not record the failure", exc_info=True)
                return False
            report.failed += 1
            return False


__all__ = ["DocumentIndexer", "IndexReport"]
