"""The extraction read in a child process (app.protocols.directory_extraction.process_reader):
the same rows, report and errors as the in-process reader, and no child left behind."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.errors import UserFacingError
from app.protocols.directory_extraction import ExtractionFormatError, ExtractionReader
from app.protocols.directory_extraction import process_reader as module
from app.protocols.directory_extraction.process_reader import (
    ProcessExtractionReader,
    extraction_reader,
)
from tests.benchmarks import extraction_generator as gen


def _with_bad_rows(path: Path) -> Path:
    """A generated TXT (12,000 rows: more than two batches) with bad and duplicate rows."""
    gen.write(path, 12_000, seed=3)
    lines = path.read_bytes().split(b"\r\n") if b"\r\n" in path.read_bytes() else \
        path.read_bytes().split(b"\n")
    lines.insert(5, b"trop|peu|de|champs")
    lines.insert(7000, lines[9])  # a duplicate address
    lines.insert(8000, "é".encode("cp1252") + lines[20][1:])  # Latin-1 (and a bad box type)
    path.write_bytes(b"\n".join(lines))
    return path


def _error(reader: Any) -> UserFacingError:
    with pytest.raises(UserFacingError) as info:
        list(reader.keyed_records())
    return info.value


def test_same_rows_and_report_as_the_in_process_reader(tmp_path: Path) -> None:
    path = _with_bad_rows(tmp_path / "Extraction_Correspondance_MSSante.txt")
    here, there = ExtractionReader(path), ProcessExtractionReader(path)
    assert list(there.keyed_records()) == list(here.keyed_records())
    assert there.report.rows_read == here.report.rows_read == 12_003
    assert there.report.bad_rows == here.report.bad_rows == {"field_count": 1, "box_type": 1}
    assert there.report.recoded_lines == here.report.recoded_lines == 1
    assert there.report.examples == here.report.examples
    assert there.report.summary() == here.report.summary()


@pytest.mark.parametrize("damage", ["truncated", "empty", "not_an_extraction"])
def test_errors_come_back_as_the_same_french_errors(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "x.zip"
    if damage == "truncated":
        full = gen.write(tmp_path / "full.zip", 6000, seed=1).read_bytes()
        path.write_bytes(full[: len(full) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("lisez-moi.txt", "<html>pas une extraction</html>")
    expected, got = _error(ExtractionReader(path)), _error(ProcessExtractionReader(path))
    assert type(got) is type(expected)
    assert isinstance(got, ExtractionFormatError)
    assert (got.message, got.message_en) == (expected.message, expected.message_en)


def test_a_child_that_dies_is_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = gen.write(tmp_path / "x.zip", 100, seed=1)
    # The child's interpreter exits at once without a word (as if killed).
    monkeypatch.setattr(module.sys, "executable", "/bin/true")
    error = _error(ProcessExtractionReader(path))
    assert isinstance(error, ExtractionFormatError)
    assert "La lecture de l'extraction a échoué" in error.message


def test_stopping_early_kills_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = gen.write(tmp_path / "x.zip", 30_000, seed=2)
    started: list[Any] = []
    real_popen = module.subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(module.subprocess, "Popen", popen)
    rows = ProcessExtractionReader(path).keyed_records()
    assert len(next(rows)) > 10
    rows.close()  # what the store does when an insert fails
    (child,) = started
    assert child.returncode is not None  # waited for: killed, not left running
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)


def test_big_files_are_read_in_a_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = gen.write(tmp_path / "x.zip", 100, seed=1)
    assert isinstance(extraction_reader(small), ExtractionReader)
    monkeypatch.setattr(module, "MIN_FILE_BYTES", small.stat().st_size)
    assert isinstance(extraction_reader(small), ProcessExtractionReader)
    monkeypatch.setattr(module.sys, "frozen", True, raising=False)
    assert isinstance(extraction_reader(small), ExtractionReader)


def test_the_service_imports_through_the_child_and_keeps_the_old_set_on_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.composition import open_profile
    from app.services.directory_service import DirectoryCriteria, DirectoryService
    from app.store.directory_store import DirectoryStore

    monkeypatch.setattr(module, "MIN_FILE_BYTES", 0)  # every file through the child
    path = gen.write(tmp_path / "Extraction_Correspondance_MSSante.zip", 3000, seed=4)
    first = next(ExtractionReader(path).keyed_records())
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        service = DirectoryService(store=DirectoryStore(database=profile.database))
        result = service.import_file(path)
        assert result.report.rows_read == 3000 and result.report.source_name == path.name
        info = service.info()
        assert info is not None and info.entries == result.outcome.entries > 2900
        found = service.search(DirectoryCriteria(text=first[1]), remote=False)
        assert first[1] in [e.address for e in found.entries]

        cut = tmp_path / "cut.zip"
        cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(ExtractionFormatError):
            service.import_file(cut)
        after = service.info()
        assert after is not None and after.entries == info.entries
