"""The body pass's text extraction in a child process, for an initial sync's thousands of messages.

``index_text.extract`` is pure Python (≈ 0.3 ms a message, a third of an initial sync's CPU). On
the sync's thread it holds the GIL that the database thread (SQLite, pack writes) and the
connection's thread (TLS, the FETCH parser) need between their native steps: measured on a
20,000-message sync, extraction in process made the whole pass ≈ 6 s longer than no extraction
at all. In a child it runs on the other core; the sync's thread only writes the batch to a pipe
and reads the results back (both release the GIL).

Protocol: frames of ``>cI`` (kind, length) then a marshal'd payload. The parent sends ``B`` with
a list of raw messages; the child answers ``R`` with one ``(text, attachments, broken)`` tuple per
message, in order. ``H`` is the same batch with the header summary wanted too (the single pass
of an initial sync, which has no header pass before it): each answer then carries a fourth item,
the summary's fields in ``HeaderSummary`` order. Nothing is written to disk: raw messages and
text travel through the pipes only, the child's stderr is discarded (no content in any log). If
the child dies or answers nonsense, :class:`ExtractionProcess` says so once and extracts in
process from then on: a batch is never lost.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import subprocess
import sys
from collections.abc import Sequence
from typing import IO

from app.protocols.mime.index_text import (
    NO_HEADERS,
    AttachmentName,
    HeaderSummary,
    IndexText,
    extract,
)
from app.protocols.pipe_frames import read_frame, widen, write_frame

_log = logging.getLogger(__name__)

_BATCH, _BATCH_WITH_HEADERS, _RESULTS = b"B", b"H", b"R"

def _to_wire(result: IndexText, headers: bool) -> tuple[object, ...]:
    item: tuple[object, ...] = (
        result.text, [(a.name, a.type, a.size) for a in result.attachments], result.broken)
    if headers:
        item += (tuple(vars(result.headers).values()),)
    return item


def _summary_from_wire(fields: object) -> HeaderSummary:
    # HeaderSummary's order: message_id, date, eight texts (subject … content_type), is_xdm.
    if not isinstance(fields, tuple) or len(fields) != 11:
        raise ValueError("malformed header summary")
    message_id, date, *texts, is_xdm = fields
    if not (message_id is None or isinstance(message_id, str)) or type(date) is not int \
            or not all(isinstance(t, str) for t in texts) or not isinstance(is_xdm, bool):
        raise ValueError("malformed header summary")
    subject, from_name, from_addr, to_display, to_addrs, cc_display, cc_addrs, content_type = (
        str(t) for t in texts)
    return HeaderSummary(message_id, date, subject, from_name, from_addr, to_display, to_addrs,
                         cc_display, cc_addrs, content_type, is_xdm)


def _from_wire(item: object, headers: bool) -> IndexText:
    if not isinstance(item, tuple) or len(item) != (4 if headers else 3):
        raise ValueError("malformed extraction result")
    text, attachments, broken = item[:3]
    if not isinstance(text, str) or not (broken is None or isinstance(broken, str)):
        raise ValueError("malformed extraction result")
    names = [AttachmentName(str(name), str(kind), int(size)) for name, kind, size in attachments]
    summary = _summary_from_wire(item[3]) if headers else NO_HEADERS
    return IndexText(headers=summary, text=text, attachments=names, broken=broken)


def _send(stream: IO[bytes], kind: bytes, payload: bytes) -> None:
    write_frame(stream, kind, payload)
    stream.flush()


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: a batch in, its extractions out, until the parent closes the pipe."""
    while True:
        try:
            kind, payload = read_frame(requests)
        except EOFError:
            return
        if kind not in (_BATCH, _BATCH_WITH_HEADERS):
            return
        headers = kind == _BATCH_WITH_HEADERS
        raws = marshal.loads(payload)
        results = [_to_wire(extract(raw, headers=headers), headers) for raw in raws]
        _send(answers, _RESULTS, marshal.dumps(results))


class PendingExtraction:
    """A batch handed to the child; ``result()`` waits for its extractions (or, should the
    child have failed, extracts in process)."""

    def __init__(self, owner: ExtractionProcess, raws: Sequence[bytes], sent: bool,
                 headers: bool) -> None:
        self._owner = owner
        self._raws = raws
        self._sent = sent
        self._headers = headers

    def result(self) -> list[IndexText]:
        return self._owner._collect(self._raws, self._sent, self._headers)


class ExtractionProcess:
    """``extract(raw, headers=...)`` for batches, run by a child interpreter.

    Used from one thread at a time (the sync's). ``close()`` ends the child; also a context
    manager.
    """

    def __init__(self, command: Sequence[str] | None = None) -> None:
        """``command``: the child to start; by default this module under the running
        interpreter (tests pass a child that misbehaves)."""
        self._process: subprocess.Popen[bytes] | None = None
        self.failed = False
        # A batch sent and not answered yet: closing then kills the child (it may be blocked
        # writing an answer no one will read).
        self._outstanding = False
        if command is None and getattr(sys, "frozen", False):  # no interpreter to start
            self.failed = True
            return
        try:
            # A plain interpreter running this module: no multiprocessing start method
            # re-importing the caller's __main__ (a GUI, a test runner).
            self._process = subprocess.Popen(
                list(command) if command is not None else [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except OSError:
            _log.warning("text extraction process not started: extracting in process")
            self.failed = True
            return
        assert self._process.stdin is not None and self._process.stdout is not None
        widen(self._process.stdin)
        widen(self._process.stdout)

    def extract_batch(self, raws: Sequence[bytes], *, headers: bool = False) -> list[IndexText]:
        """One result per raw message, in order; never raises for a message's content."""
        return self.begin(raws, headers=headers).result()

    def begin(self, raws: Sequence[bytes], *, headers: bool = False) -> PendingExtraction:
        """Hand ``raws`` to the child and return at once: the caller does other work (the
        child runs on the other core) and collects with ``result()`` before the next
        ``begin``. ``headers``: the header summary is wanted too."""
        sent = False
        if not self.failed and self._process is not None:
            try:
                assert self._process.stdin is not None
                self._outstanding = True
                _send(self._process.stdin, _BATCH_WITH_HEADERS if headers else _BATCH,
                      marshal.dumps(list(raws)))
                sent = True
            except (OSError, ValueError) as exc:
                self._give_up(exc)
        return PendingExtraction(self, raws, sent, headers)

    def _collect(self, raws: Sequence[bytes], sent: bool, headers: bool) -> list[IndexText]:
        if sent and not self.failed:
            try:
                answer = self._answer(len(raws), headers)
                self._outstanding = False
                return answer
            except (OSError, EOFError, ValueError, TypeError) as exc:
                self._give_up(exc)
        return [extract(raw, headers=headers) for raw in raws]

    def _give_up(self, exc: BaseException) -> None:
        _log.warning("text extraction process failed (%s): extracting in process",
                     type(exc).__name__)
        self.failed = True
        self._stop()

    def _answer(self, count: int, headers: bool) -> list[IndexText]:
        process = self._process
        assert process is not None and process.stdout is not None
        kind, payload = read_frame(process.stdout)
        if kind != _RESULTS:
            raise ValueError("unexpected frame from the extraction process")
        items = marshal.loads(payload)
        if not isinstance(items, list) or len(items) != count:
            raise ValueError("extraction results do not match the batch")
        return [_from_wire(item, headers) for item in items]

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if self._outstanding:
            process.kill()
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> ExtractionProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


if __name__ == "__main__":  # the child: python -m app.protocols.mime.extraction_process
    serve(sys.stdin.buffer, sys.stdout.buffer)
