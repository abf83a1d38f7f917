"""Named executors, built by the composition root (no module-level pools).

- ``db``: exactly one thread owns the SQLCipher connection; every database call goes through it
  (see ``app.store.database.Database``). One writer, no lock juggling, no cross-thread connection.
- ``cpu``: a small pool for parsing, rendering and packing, never the UI thread.
- IMAP connections each get their own single-thread executor from ``connection_executor``
  (IMAPClient is blocking and not thread-safe).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


def database_executor() -> ThreadPoolExecutor:
    """The one thread that talks to the encrypted store."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")


def cpu_executor() -> ThreadPoolExecutor:
    """A small pool for CPU work; two workers at most on small machines."""
    workers = max(1, min(4, (os.cpu_count() or 2)))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cpu")


def connection_executor(name: str) -> ThreadPoolExecutor:
    """A dedicated thread for one blocking network connection (one IMAP session)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"conn-{name}")


@dataclass(frozen=True)
class Executors:
    """The executors of one open profile."""

    db: ThreadPoolExecutor
    cpu: ThreadPoolExecutor

    @classmethod
    def create(cls) -> Executors:
        return cls(db=database_executor(), cpu=cpu_executor())

    def shutdown(self, *, wait: bool = True) -> None:
        self.cpu.shutdown(wait=wait, cancel_futures=True)
        self.db.shutdown(wait=wait)
