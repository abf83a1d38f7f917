"""The daily Extraction_Correspondance_MSSante reader (MSSANTE.md §7, issue #6 bad-input list).

Files are written by tests/benchmarks/extraction_generator.py (the real format, its own copy of
the 31 column names) and then damaged on purpose.
"""

from __future__ import annotations

import io
import random
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from app.domain.directory_entry import (
    DirectoryBoxType,
    DirectoryEntry,
    DirectorySource,
    department_from_postcode,
)
from app.protocols.directory_extraction import (
    ExtractionFormatError,
    ExtractionReader,
    ExtractionRecord,
    entry_from_record,
    record_key,
)
from app.protocols.directory_extraction import reader as reader_module
from tests.benchmarks import extraction_generator as gen

HEADER = list(gen.HEADER)


def _write_txt(path: Path, header: list[str], rows: list[list[str]], *,
               encoding: str = "utf-8") -> Path:
    text = "\r\n".join(["|".join(header), *("|".join(r) for r in rows)]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def _zip(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return path


def _read(path: Path) -> tuple[list[DirectoryEntry], ExtractionReader]:
    reader = ExtractionReader(path)
    return list(reader), reader


def _row(**overrides: str) -> list[str]:
    """One PER row in HEADER order, with named overrides (keys are header names)."""
    values = dict(zip(HEADER, next(gen.rows(1, seed=1)), strict=True))
    values.update(overrides)
    return [values[h] for h in HEADER]


def test_generated_zip_is_read_completely_with_fields_by_name(tmp_path: Path) -> None:
    out = gen.write(tmp_path / "Extraction_Correspondance_MSSante.zip", 300, seed=3)
    expected = list(gen.rows(300, seed=3))
    entries, reader = _read(out)
    assert reader.report.rows_read == 300
    assert reader.report.imported == len(entries) == 300
    assert reader.report.bad_total == 0
    assert reader.report.member_name.startswith("Extraction_Correspondance_MSSante_")
    first = dict(zip(HEADER, expected[0], strict=True))
    entry = entries[0]
    assert entry.address == first["Adresse BAL"]
    assert entry.box_type is DirectoryBoxType(first["Type de BAL"])
    assert entry.source is DirectorySource.EXTRACTION
    assert entry.family_name == first["Nom d'exercice"]
    assert entry.given_name == first["Prénom d'exercice"]
    assert entry.profession == first["Libellé Profession"]
    assert entry.postcode == first["Code postal structure BAL"]
    assert entry.city == first["L6LIGNEACHEMINEMENT structure BAL"].split(" ", 1)[1]
    assert entry.rpps == first["Identifiant PP"]
    kinds = {e.box_type for e in entries}
    assert {DirectoryBoxType.PER, DirectoryBoxType.ORG} <= kinds


def test_records_are_the_flat_form_of_the_entries(tmp_path: Path) -> None:
    """The store's fast path (tuples for executemany) says exactly what the entries say."""
    path = gen.write(tmp_path / "e.zip", 400, seed=21)
    reader = ExtractionReader(path)
    records = list(reader.records())
    assert all(isinstance(r, tuple) and len(r) == len(ExtractionRecord._fields) for r in records)
    assert [entry_from_record(r) for r in records] == list(reader)
    with_lines = next(e for e in reader if e.street_lines)
    assert with_lines.street_lines[-1]


def test_bare_txt_gives_the_same_entries_as_the_zip(tmp_path: Path) -> None:
    zipped = gen.write(tmp_path / "e.zip", 120, seed=4)
    bare = gen.write(tmp_path / "e.txt", 120, seed=4)
    assert _read(zipped)[0] == _read(bare)[0]


def test_reordered_columns_and_unknown_extra_columns(tmp_path: Path) -> None:
    rows = list(gen.rows(80, seed=5))
    order = list(range(len(HEADER)))
    random.Random(1).shuffle(order)
    header = [HEADER[i] for i in order] + ["Colonne future"]
    shuffled = [[r[i] for i in order] + ["x"] for r in rows]
    reordered, reader = _read(_write_txt(tmp_path / "r.txt", header, shuffled))
    original, _ = _read(_write_txt(tmp_path / "o.txt", HEADER, rows))
    assert reordered == original
    assert reader.report.ignored_columns == ["Colonne future"]


def test_missing_required_columns_are_named_in_french(tmp_path: Path) -> None:
    dropped = ("Adresse BAL", "Code postal structure BAL")
    keep = [i for i, h in enumerate(HEADER) if h not in dropped]
    rows = [[r[i] for i in keep] for r in gen.rows(5)]
    path = _write_txt(tmp_path / "m.txt", [HEADER[i] for i in keep], rows)
    with pytest.raises(ExtractionFormatError) as info:
        list(ExtractionReader(path))
    assert "« Adresse BAL »" in info.value.message
    assert "« Code postal structure BAL »" in info.value.message
    assert "obligatoires" in info.value.message


def test_missing_optional_column_is_a_warning_only(tmp_path: Path) -> None:
    keep = [i for i, h in enumerate(HEADER) if h != "Enseigne commerciale structure BAL"]
    rows = [[r[i] for i in keep] for r in gen.rows(10)]
    entries, reader = _read(_write_txt(tmp_path / "o.txt", [HEADER[i] for i in keep], rows))
    assert len(entries) == 10
    assert reader.report.missing_optional_columns == ["Enseigne commerciale structure BAL"]
    assert any("Enseigne commerciale" in w for w in reader.report.warnings)


def test_bad_rows_are_counted_with_line_numbers_and_never_fatal(tmp_path: Path) -> None:
    good = list(gen.rows(6, seed=8))
    rows = [
        good[0],
        good[1][:-3],  # line 3: too few fields
        _row(**{"Adresse BAL": ""}),  # line 4
        _row(**{"Adresse BAL": "pas une adresse"}),  # line 5
        _row(**{"Adresse BAL": "a@b@c.mssante.fr"}),  # line 6
        _row(**{"Type de BAL": "XYZ"}),  # line 7
        good[2],
    ]
    entries, reader = _read(_write_txt(tmp_path / "b.txt", HEADER, rows))
    report = reader.report
    assert [e.address for e in entries] == [good[0][1], good[2][1]]
    assert report.rows_read == 7
    assert report.imported == 2
    assert report.bad_rows == {"field_count": 1, "empty_address": 1, "invalid_address": 2,
                               "box_type": 1}
    assert [(b.line, b.reason) for b in report.examples] == [
        (3, "field_count"), (4, "empty_address"), (5, "invalid_address"),
        (6, "invalid_address"), (7, "box_type")]
    assert "5 lignes ignorées" in report.summary()


ADDRESS_CASES = [
    "Jean.Martin@Medecin.MSSANTE.fr", "jean.martin@medecin.mssante.fr", "a+b=c@x-y.mssante.fr",
    "a..b@medecin.mssante.fr", ".a@medecin.mssante.fr", "a.@medecin.mssante.fr", "@medecin.fr",
    "a@", "a@localhost", "a@-x.mssante.fr", "a@x-.mssante.fr", "a@x..fr", "a@x.fr.",
    "a b@medecin.mssante.fr", "a@b@medecin.mssante.fr", "a@" + "x" * 64 + ".fr",
    "a@" + "x" * 63 + ".fr", "b@x-.mssante.fr", "b@-x.mssante.fr",  # invalid domains, twice
]


def test_address_check_split_at_the_domain_matches_the_whole_address_pattern(
        tmp_path: Path) -> None:
    """The reader checks the part before @ and the domain separately (each domain once, then
    remembered): exactly the addresses the whole-address pattern accepts are imported, with the
    domain lower-cased in the de-duplication key."""
    rows = [_row(**{"Adresse BAL": address}) for address in ADDRESS_CASES]
    reader = ExtractionReader(_write_txt(tmp_path / "a.txt", HEADER, rows))
    keyed = list(reader.keyed_records())
    expected = [a for a in ADDRESS_CASES if reader_module._ASCII_ADDRESS.match(a)]
    assert [row[1] for row in keyed] == expected
    assert len(expected) == 4  # the pattern itself still does what it says
    assert keyed[0][0] == "Jean.Martin@medecin.mssante.fr"
    assert all(row[0] == record_key(row[1]) for row in keyed)
    assert reader.report.bad_rows == {"invalid_address": len(ADDRESS_CASES) - len(expected)}


def test_keyed_records_are_the_records_after_their_key(tmp_path: Path) -> None:
    path = gen.write(tmp_path / "k.zip", 300, seed=12)
    keyed = list(ExtractionReader(path).keyed_records())
    records = list(ExtractionReader(path).records())
    assert [row[1:] for row in keyed] == [tuple(r) for r in records]
    assert [row[0] for row in keyed] == [record_key(r.address) for r in records]


def test_a_10_mb_line_is_skipped_without_loading_it(tmp_path: Path) -> None:
    rows = list(gen.rows(3, seed=9))
    huge = _row(**{"Raison Sociale structure BAL": "X" * (10 * 1024 * 1024)})
    path = _write_txt(tmp_path / "h.txt", HEADER, [rows[0], huge, rows[1], rows[2]])
    tracemalloc.start()
    try:
        entries, reader = _read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [e.address for e in entries] == [r[1] for r in rows]
    assert reader.report.bad_rows == {"line_too_long": 1}
    assert reader.report.examples[0].line == 3
    assert peak < 5 * 1024 * 1024  # the 10 MB line was never held whole


def test_latin1_file_is_read_as_cp1252_with_a_warning(tmp_path: Path) -> None:
    rows = [_row(**{"Nom d'exercice": "Lefèvre", "Prénom d'exercice": "Hélène"})]
    entries, reader = _read(_write_txt(tmp_path / "l.txt", HEADER, rows, encoding="cp1252"))
    assert entries[0].family_name == "Lefèvre"
    assert entries[0].given_name == "Hélène"
    assert reader.report.encoding == "cp1252"
    assert any("Windows-1252" in w for w in reader.report.warnings)


def test_one_latin1_line_in_a_utf8_file_is_recoded_and_reported(tmp_path: Path) -> None:
    path = _write_txt(tmp_path / "u.txt", HEADER, list(gen.rows(2, seed=2)))
    bad = "|".join(_row(**{"Nom d'exercice": "Gaëlle"})).encode("cp1252")
    path.write_bytes(path.read_bytes() + bad + b"\r\n")
    entries, reader = _read(path)
    assert entries[-1].family_name == "Gaëlle"
    assert reader.report.recoded_lines == 1
    assert reader.report.encoding == "utf-8"
    assert any("1 ligne(s)" in w for w in reader.report.warnings)


def test_truncated_zip_is_a_clear_error(tmp_path: Path) -> None:
    full = gen.write(tmp_path / "full.zip", 2000, seed=1).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(ExtractionFormatError) as info:
        list(ExtractionReader(cut))
    assert "tronqué ou endommagé" in info.value.message


def test_corrupted_zip_data_fails_mid_stream_with_the_same_error(tmp_path: Path) -> None:
    path = gen.write(tmp_path / "c.zip", 3000, seed=1)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    middle = info.header_offset + 100 + info.compress_size // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(ExtractionFormatError) as info_error:
        list(ExtractionReader(path))
    assert "tronqué ou endommagé" in info_error.value.message


def test_zip_bomb_is_refused_before_decompression(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with (zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
          archive.open("Extraction_Correspondance_MSSante_1.txt", "w") as member):
        member.write(("|".join(HEADER) + "\r\n").encode())
        block = b"\0" * (1024 * 1024)
        for _ in range(40):
            member.write(block)
    with pytest.raises(ExtractionFormatError) as info:
        list(ExtractionReader(bomb))
    assert "bombe" in info.value.message
    with pytest.raises(ExtractionFormatError) as too_big:
        list(ExtractionReader(bomb, max_uncompressed_bytes=1024 * 1024))
    assert "limite" in too_big.value.message


@pytest.mark.parametrize(("members", "expected"), [
    ({"notes.csv": b"x"}, "ne contient pas"),
    ({"Extraction_Correspondance_MSSante_1.txt": b"a", "Extraction_Correspondance_MSSante_2.txt":
      b"b"}, "plusieurs extractions"),
])
def test_zip_without_exactly_one_extraction(tmp_path: Path, members: dict[str, bytes],
                                            expected: str) -> None:
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ExtractionFormatError) as info:
        list(ExtractionReader(path))
    assert expected in info.value.message


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(ExtractionFormatError, match="vide"):
        list(ExtractionReader(empty))
    with pytest.raises(ExtractionFormatError, match="introuvable"):
        list(ExtractionReader(tmp_path / "absent.zip"))


def test_department_is_derived_from_the_postcode_when_empty(tmp_path: Path) -> None:
    rows = [
        _row(**{"Code postal structure BAL": pc, "Département structure BAL": "",
                "Adresse BAL": f"p{pc}@medecin.mssante.fr",
                "L6LIGNEACHEMINEMENT structure BAL": f"{pc} VILLE"})
        for pc in ("20000", "20167", "20200", "97400", "69003", "01000")
    ]
    entries, _ = _read(_write_txt(tmp_path / "d.txt", HEADER, rows))
    assert [e.department for e in entries] == ["2A", "2A", "2B", "974", "69", "01"]
    assert department_from_postcode("7500") == ""
    assert entries[0].city == "VILLE"


def test_org_rows_are_named_after_structure_and_service(tmp_path: Path) -> None:
    org = next(h for h in gen.rows(400, seed=11) if h[0] == "ORG")
    entries, _ = _read(_write_txt(tmp_path / "g.txt", HEADER, [org]))
    entry = entries[0]
    assert entry.box_type is DirectoryBoxType.ORG
    assert entry.rpps == ""
    assert entry.name == f"{org[18]} — {org[7]}"
    assert entry.to_json()["type"] == "ORG"


def test_trailing_separator_on_rows_is_tolerated(tmp_path: Path) -> None:
    rows = [[*r, ""] for r in gen.rows(3, seed=12)]
    entries, reader = _read(_write_txt(tmp_path / "t.txt", HEADER, rows))
    assert len(entries) == 3
    assert reader.report.bad_total == 0


def _peak_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in ExtractionReader(path).records())
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_while_streaming(tmp_path: Path) -> None:
    """Four times the rows, the same peak: nothing grows with the file (buffers only)."""
    small_count, small_peak = _peak_reading(gen.write(tmp_path / "s.zip", 5_000, seed=13))
    big_count, big_peak = _peak_reading(gen.write(tmp_path / "b.zip", 20_000, seed=13))
    assert (small_count, big_count) == (5_000, 20_000)
    assert big_peak < small_peak * 1.25


def test_duplicated_addresses_are_all_yielded_for_the_store_to_merge(tmp_path: Path) -> None:
    entries, _ = _read(gen.write(tmp_path / "dup.zip", 3000, seed=14))
    addresses = [e.address for e in entries]
    assert len(set(addresses)) < len(addresses)


def test_bom_on_header_is_ignored(tmp_path: Path) -> None:
    path = _write_txt(tmp_path / "bom.txt", HEADER, list(gen.rows(2)))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(_read(path)[0]) == 2


def test_text_io_stream_sanity() -> None:
    """The generator writes CRLF lines with exactly 31 fields (the reader's contract)."""
    data = "".join(gen.lines(5))
    lines = io.StringIO(data).read().split("\r\n")
    assert all(len(line.split("|")) == 31 for line in lines if line)
