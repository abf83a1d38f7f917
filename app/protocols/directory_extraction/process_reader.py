"""The extraction read in a child process, for the national file's 535,000 rows.

Reading and checking the rows is pure Python (≈ 6 s of the import's CPU) and the store's inserts
are mostly SQLite (GIL released only in short steps): on one interpreter they cannot overlap, a
reader *thread* gains nothing. In a spawned child the reader runs on the other core while the
store inserts; rows come back as marshal'd batches (≈ 1 s to load for the whole file, against
≈ 6 s to read). Same reader, same limits, same report: :class:`ProcessExtractionReader` has the
interface of :class:`ExtractionReader` that the directory service uses (``keyed_records()`` then
``report``).

The child (``python -m`` this module) gets the file's path, never its content, and sends framed
rows through its stdout pipe: nothing is written to disk. The pipe holds back the child once a
batch is waiting (memory stays bounded); closing the iterator early (the store failed) kills it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import marshal
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from app.errors import UserFacingError
from app.protocols.directory_extraction.reader import (
    ExtractionFormatError,
    ExtractionReader,
    ExtractionReport,
)
from app.protocols.pipe_frames import read_frame, widen, write_frame

BATCH_ROWS = 5000
# Below this size the child's start (≈ 0.2 s: a fresh interpreter importing the reader) costs
# more than the overlap gains.
MIN_FILE_BYTES = 8 * 1024 * 1024

_ROWS, _DONE, _FAILED = b"R", b"D", b"F"
_AHEAD = 4  # frames read ahead of the consumer

def _child(path: str, options: dict[str, Any], out: IO[bytes]) -> None:
    """Runs in the child: read, send batches, then the report (or the failure)."""
    reader = ExtractionReader(path, **options)
    try:
        rows = reader.keyed_records()
        while batch := list(islice(rows, BATCH_ROWS)):
            write_frame(out, _ROWS, marshal.dumps(batch))
        write_frame(out, _DONE, pickle.dumps(reader.report))
    except UserFacingError as exc:
        failure = (type(exc).__module__, type(exc).__qualname__, str(exc), dict(vars(exc)))
        write_frame(out, _FAILED, pickle.dumps(failure))
    except Exception as exc:  # reported by type only: a message could quote file content
        write_frame(out, _FAILED, pickle.dumps(("", type(exc).__name__, "", {})))
    out.flush()


def _rebuilt(module: str, qualname: str, text: str, attributes: dict[str, Any]) -> Exception:
    """The child's error as the same UserFacingError, or a generic extraction error."""
    if module.startswith("app."):
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
        if isinstance(found, type) and issubclass(found, UserFacingError):
            error = found.__new__(found)
            Exception.__init__(error, text)
            error.__dict__.update(attributes)
            return error
    return ExtractionFormatError(
        f"La lecture de l'extraction a échoué ({qualname or 'erreur inconnue'}).",
        message_en=f"Reading the extraction failed ({qualname or 'unknown error'}).",
    )


class ProcessExtractionReader:
    """:class:`ExtractionReader`'s ``keyed_records()``/``report``, read in a child process."""

    def __init__(self, path: Path | str, **options: Any) -> None:
        self.path = Path(path)
        self._options = options
        self.report = ExtractionReport(source_name=self.path.name)

    def keyed_records(self) -> Iterator[tuple[str, ...]]:
        # A plain interpreter running this module: no multiprocessing start method re-importing
        # the caller's __main__ (a GUI, a test runner).
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(self.path), json.dumps(self._options)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        stream = process.stdout
        assert stream is not None
        widen(stream)
        # The pipe holds 64 KiB: read by the consumer alone, the child would wait for each
        # insert to end before writing on. A thread drains it into a short queue instead
        # (blocking reads release the GIL); at most _AHEAD frames wait, so memory stays bounded.
        frames: queue.Queue[tuple[bytes, bytes] | BaseException] = queue.Queue(maxsize=_AHEAD)
        stop = threading.Event()

        def drain() -> None:
            try:
                while not stop.is_set():
                    try:
                        frame = read_frame(stream)
                    except EOFError:  # the child died (killed, out of memory)
                        raise _rebuilt("", "", "", {}) from None
                    kind = frame[0]
                    frames.put(frame)
                    if kind != _ROWS:
                        return
            except BaseException as exc:  # handed over to the consumer
                if not stop.is_set():
                    frames.put(exc)

        pump = threading.Thread(target=drain, name="directory-reader-pipe", daemon=True)
        pump.start()
        finished = False
        try:
            while True:
                frame = frames.get()
                if isinstance(frame, BaseException):
                    raise frame
                kind, payload = frame
                if kind == _ROWS:
                    yield from marshal.loads(payload)
                elif kind == _DONE:
                    report = pickle.loads(payload)
                    if not isinstance(report, ExtractionReport):
                        raise _rebuilt("", type(report).__name__, "", {})
                    self.report = report
                    finished = True
                    return
                else:
                    failure = pickle.loads(payload)
                    finished = True
                    raise _rebuilt(*failure)
        finally:
            stop.set()
            if not finished:
                process.kill()
            with contextlib.suppress(queue.Empty):
                while True:  # unblock a pump waiting to put
                    frames.get_nowait()
            pump.join(timeout=10)
            stream.close()
            process.wait(timeout=10)


def extraction_reader(path: Path) -> ExtractionReader | ProcessExtractionReader:
    """The reader for ``path``: in a child process for a big file, in process otherwise."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    # A frozen build has no interpreter to start the child with.
    if size >= MIN_FILE_BYTES and not getattr(sys, "frozen", False):
        return ProcessExtractionReader(path)
    return ExtractionReader(path)


if __name__ == "__main__":  # the child: python -m ... PATH OPTIONS_JSON
    _child(sys.argv[1], json.loads(sys.argv[2]), sys.stdout.buffer)
