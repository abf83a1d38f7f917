"""Files that survive a crash whole: an atomic replace and the directory sync that makes a new or
renamed file name durable. Shared by the key file, the profile description, the blob packs, the
kept CRLs and the documents filed in a patient's folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def fsync_directory(directory: Path) -> None:
    """Make the names in ``directory`` durable (a file created, renamed or removed there).
    Windows cannot open a directory for this (nor needs it); file systems that cannot sync a
    directory (SMB, FAT) are let be: the files' own data is synced by their writers."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes,
                     check: Callable[[Path], None] | None = None) -> None:
    """Replace (or create) ``path`` with ``data`` so that a crash leaves the old file or the new
    one, never a torn one: a temporary file in the same directory (owner-only, as mkstemp makes
    it), fsync, ``check`` on it, rename over ``path``, fsync of the directory. A failure removes
    the temporary file and leaves ``path`` as it was."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if check is not None:
            check(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_directory(path.parent)
