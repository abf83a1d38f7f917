"""Frames over a child process's pipes: the directory reader and the body pass's text
extraction both talk to a plain interpreter this way.

A frame is ``>cI`` (kind, payload length) then the payload. Pipes are widened to 1 MiB where the
system allows (Linux): the reading thread gets the GIL back only every few milliseconds while
another thread works, and with a 64 KiB pipe that capped a transfer at ≈ 13 MB/s.
"""

from __future__ import annotations

import contextlib
import struct
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

FRAME = struct.Struct(">cI")
PIPE_BYTES = 1024 * 1024


def widen(stream: IO[bytes]) -> None:
    """Grow the pipe behind ``stream`` to PIPE_BYTES when the system allows it."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream.fileno(), set_size, PIPE_BYTES)


def write_frame(stream: IO[bytes], kind: bytes, payload: bytes) -> None:
    """One frame; the caller flushes when the other side must see it now."""
    if len(payload) >= 1 << 32:
        raise ValueError("payload too large for one frame")
    stream.write(FRAME.pack(kind, len(payload)))
    stream.write(payload)


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes, or EOFError when the other side ended (killed, out of memory)."""
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the child process ended")
    return data


def read_frame(stream: IO[bytes]) -> tuple[bytes, bytes]:
    kind, size = FRAME.unpack(read_exactly(stream, FRAME.size))
    return kind, read_exactly(stream, size)
