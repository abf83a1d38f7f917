"""The body pass's text extraction in a child process (app/protocols/mime/extraction_process.py):
the same results as in process, and a child that dies or misbehaves never loses a batch."""

from __future__ import annotations

import logging
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from app.protocols.mime.extraction_process import ExtractionProcess
from app.protocols.mime.index_text import IndexText, extract
from tests.unit.test_index_text import MULTIPART

BROKEN = b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nno boundary"
SAMPLES = [
    MULTIPART,
    BROKEN,
    b"",
    b"\xff\xfe\x00garbage without headers",
    b"Subject: r\xc3\xa9sultat\r\nContent-Type: text/html\r\n\r\n<p>Cr&eacute;atinine 12</p>",
    b"Subject: only headers without end",
]


def _same(got: list[IndexText], raws: list[bytes]) -> None:
    want = [extract(raw, headers=False) for raw in raws]
    assert [(g.text, g.attachments, g.broken) for g in got] == \
        [(w.text, w.attachments, w.broken) for w in want]


def _same_with_headers(got: list[IndexText], raws: list[bytes]) -> None:
    want = [extract(raw, headers=True) for raw in raws]
    assert [(g.headers, g.text, g.attachments, g.broken) for g in got] == \
        [(w.headers, w.text, w.attachments, w.broken) for w in want]


def _child_script(tmp_path: Path, body: str) -> list[str]:
    """A stand-in child that does what no working child does (answers nonsense, dies)."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(body))
    return [sys.executable, str(script)]


def test_the_child_extracts_what_the_process_would() -> None:
    with ExtractionProcess() as child:
        first = child.extract_batch(SAMPLES)
        second = child.extract_batch(SAMPLES[::-1])
        assert not child.failed
    _same(first, SAMPLES)
    _same(second, SAMPLES[::-1])
    assert first[0].attachments[0].name == "compte rendu écho.pdf"
    assert first[1].broken is not None


def test_begin_returns_while_the_child_works_then_result_collects() -> None:
    with ExtractionProcess() as child:
        pending = child.begin(SAMPLES * 50)
        _same(pending.result(), SAMPLES * 50)
        _same(child.extract_batch([]), [])


def test_the_child_also_summarises_the_headers_when_asked() -> None:
    # The single pass of an initial sync has no header pass before it (sync_engine.py).
    with ExtractionProcess() as child:
        with_headers = child.extract_batch(SAMPLES, headers=True)
        without = child.extract_batch(SAMPLES)
        assert not child.failed
    _same_with_headers(with_headers, SAMPLES)
    _same(without, SAMPLES)
    assert with_headers[4].headers.subject == "résultat"
    assert with_headers[0].headers.content_type == "multipart/mixed"


def test_a_child_killed_mid_batch_falls_back_in_process(caplog: pytest.LogCaptureFixture) -> None:
    with ExtractionProcess() as child:
        assert child._process is not None
        pid = child._process.pid
        pending = child.begin(SAMPLES)
        os.kill(pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING):
            _same(pending.result(), SAMPLES)
        assert child.failed
        # From then on everything is extracted in process; nothing is lost.
        _same(child.extract_batch(SAMPLES), SAMPLES)
    assert "EOFError" in caplog.text
    # The warning names the failure's type only: no message content in the log.
    assert "compte rendu" not in caplog.text and "tinine" not in caplog.text


def test_a_child_that_dies_before_the_batch_falls_back_in_process() -> None:
    with ExtractionProcess() as child:
        assert child._process is not None
        child._process.kill()
        child._process.wait()
        _same(child.extract_batch(SAMPLES), SAMPLES)
        assert child.failed


@pytest.mark.parametrize("answer", [
    # The wrong kind of frame.
    "out.write(struct.pack('>cI', b'X', 2) + b'{}')",
    # Results for another batch size.
    "payload = marshal.dumps([('a', [], None)]); "
    "out.write(struct.pack('>cI', b'R', len(payload)) + payload)",
    # Results of the wrong shape.
    "payload = marshal.dumps([(1, 2)] * count); "
    "out.write(struct.pack('>cI', b'R', len(payload)) + payload)",
    "payload = marshal.dumps([('t', [('only-a-name',)], None)] * count); "
    "out.write(struct.pack('>cI', b'R', len(payload)) + payload)",
    # A header summary where none was asked for.
    "payload = marshal.dumps([('t', [], None, (None, 0) + ('',) * 8 + (False,))] * count); "
    "out.write(struct.pack('>cI', b'R', len(payload)) + payload)",
    # Not marshal at all.
    "out.write(struct.pack('>cI', b'R', 5) + b'\\xff\\xff\\xff\\xff\\xff')",
    # A frame cut short.
    "out.write(struct.pack('>cI', b'R', 1000) + b'abc')",
    # Silence, then the end.
    "pass",
])
def test_a_child_answering_nonsense_falls_back_in_process(tmp_path: Path, answer: str) -> None:
    command = _child_script(tmp_path, f"""
        import marshal, struct, sys
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        kind, size = struct.unpack('>cI', inp.read(5))
        count = len(marshal.loads(inp.read(size)))
        {answer}
        out.flush()
    """)
    with ExtractionProcess(command) as child:
        _same(child.extract_batch(SAMPLES), SAMPLES)
        assert child.failed


@pytest.mark.parametrize("summary", [
    "None",  # no summary
    "(None, 0)",  # too short
    "(None, '0') + ('',) * 8 + (False,)",  # a date that is not a number
    "(1, 0) + ('',) * 8 + (False,)",  # a Message-ID that is not text
    "(None, 0) + (b'',) * 8 + (False,)",  # bytes for text
    "(None, 0) + ('',) * 8 + (1,)",  # is_xdm not a boolean
])
def test_a_child_answering_a_malformed_header_summary_falls_back_in_process(
        tmp_path: Path, summary: str) -> None:
    command = _child_script(tmp_path, f"""
        import marshal, struct, sys
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        kind, size = struct.unpack('>cI', inp.read(5))
        count = len(marshal.loads(inp.read(size)))
        payload = marshal.dumps([('t', [], None, {summary})] * count)
        out.write(struct.pack('>cI', b'R', len(payload)) + payload)
        out.flush()
    """)
    with ExtractionProcess(command) as child:
        _same_with_headers(child.extract_batch(SAMPLES, headers=True), SAMPLES)
        assert child.failed


def test_a_child_that_cannot_start_extracts_in_process(tmp_path: Path) -> None:
    with ExtractionProcess([str(tmp_path / "no-such-interpreter")]) as child:
        assert child.failed
        _same(child.extract_batch(SAMPLES), SAMPLES)


def test_closing_with_a_batch_outstanding_ends_the_child(tmp_path: Path) -> None:
    # A child that reads the batch and never answers: close() must not wait for it.
    command = _child_script(tmp_path, """
        import sys, time
        sys.stdin.buffer.read(5)
        time.sleep(600)
    """)
    child = ExtractionProcess(command)
    process = child._process
    assert process is not None
    child.begin(SAMPLES)
    child.close()
    assert process.poll() is not None
