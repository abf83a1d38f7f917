"""The offline directory in the encrypted store (issue #6, item 2; MSSANTE.md §7).

Rows are given to the store as plain tuples in RECORD_FIELDS order, as the extraction reader
yields them; the reader itself is exercised through the service (test_directory_service.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain.directory_entry import DirectoryBoxType, DirectorySource
from app.errors import InvalidInputError
from app.executors import Executors
from app.store import directory_store
from app.store.database import Database
from app.store.directory_store import (
    RECORD_FIELDS,
    DirectoryCriteria,
    DirectoryImportError,
    DirectoryStore,
    address_key,
)

ROOT = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))


def rec(address: str, box_type: str = "PER", **fields: str) -> tuple[str, ...]:
    values = dict.fromkeys(RECORD_FIELDS, "")
    values.update(address=address, box_type=box_type, **fields)
    return tuple(values[name] for name in RECORD_FIELDS)


def person(address: str, family: str, given: str, **fields: str) -> tuple[str, ...]:
    defaults = {"civility": "DR", "profession": "Médecin", "profession_code": "10",
                "postcode": "69003", "city": "LYON", "department": "69",
                "structure": "Cabinet médical"}
    defaults.update(fields)
    return rec(address, "PER", family_name=family, given_name=given, **defaults)


BASE = [
    person("helene.durand@medecin.mssante.fr", "DURAND", "Hélène", rpps="10000000001",
           specialty="Cardiologie et maladies vasculaires"),
    person("jean.martin@medecin.mssante.fr", "MARTIN", "Jean", rpps="10000000002"),
    person("paul.martine@medecin.mssante.fr", "Martine", "Paul", postcode="75012", city="PARIS",
           department="75", rpps="10000000003"),
    person("anne.martinez@infirmier.mssante.fr", "MARTINEZ", "Anne", profession="Infirmier",
           profession_code="60", postcode="20000", city="AJACCIO", department="2A",
           rpps="10000000004"),
    person("luc.petit@kine.mssante.fr", "PETIT", "Luc", profession="Masseur-Kinésithérapeute",
           postcode="01000", city="BOURG-EN-BRESSE", department="01", rpps="",
           adeli="019876543"),
    rec("cardiologie@ch-lyon.mssante.fr", "ORG", structure="Centre hospitalier de Lyon",
        service="Cardiologie", postcode="69003", city="LYON", department="69"),
    rec("secretariat@cabinet-rivoli.mssante.fr", "CAB", structure="Cabinet médical Rivoli",
        postcode="69001", city="LYON", department="69"),
    rec("resultats-labo@ch-lyon.mssante.fr", "APP", structure="Centre hospitalier de Lyon",
        service="Laboratoire", postcode="69003", city="LYON", department="69"),
]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    executors = Executors.create()
    db = Database.open(tmp_path / "store.db", KEY, executor=executors.db)
    yield db
    db.close()
    executors.shutdown()


@pytest.fixture
def store(database: Database) -> DirectoryStore:
    store = DirectoryStore(database=database, batch_rows=3, transaction_rows=4)
    store.import_records(BASE, source_name="base.txt")
    return store


def addresses(store: DirectoryStore, **criteria: str) -> list[str]:
    return [e.address for e in store.search(DirectoryCriteria(**criteria))]


def test_import_counts_and_maps_entries(store: DirectoryStore) -> None:
    assert store.count() == len(BASE)
    info = store.info()
    assert info is not None
    assert (info.source_name, info.entries, info.merged, info.rows_read) == (
        "base.txt", len(BASE), 0, len(BASE))
    [entry] = store.search(DirectoryCriteria(rpps="10000000001"))
    assert entry.source is DirectorySource.EXTRACTION
    assert entry.box_type is DirectoryBoxType.PER
    assert entry.name == "Dr Hélène DURAND"
    assert (entry.profession, entry.specialty) == ("Médecin", "Cardiologie et maladies vasculaires")
    assert (entry.city, entry.postcode, entry.department) == ("LYON", "69003", "69")


@pytest.mark.parametrize("typed", ["Hélène", "helene", "HELENE", "hélene", "Helène Durand"])
def test_names_are_accent_and_case_insensitive(store: DirectoryStore, typed: str) -> None:
    assert addresses(store, name=typed) == ["helene.durand@medecin.mssante.fr"]


def test_exact_name_ranks_before_names_that_start_with_it(store: DirectoryStore) -> None:
    found = addresses(store, name="martin")
    assert found[0] == "jean.martin@medecin.mssante.fr"
    assert set(found[1:]) == {"paul.martine@medecin.mssante.fr",
                              "anne.martinez@infirmier.mssante.fr"}


def test_city_postcode_and_department(store: DirectoryStore) -> None:
    """The searches the national API cannot do (MSSANTE.md §7)."""
    assert set(addresses(store, city="paris")) == {"paul.martine@medecin.mssante.fr"}
    assert set(addresses(store, city="bourg en bresse")) == {"luc.petit@kine.mssante.fr"}
    assert set(addresses(store, postcode="69001")) == {"secretariat@cabinet-rivoli.mssante.fr"}
    assert len(addresses(store, postcode="69")) == 5  # a beginning: the whole Rhône
    assert len(addresses(store, postcode="6900")) == 5
    assert len(addresses(store, postcode="69003")) == 4
    assert len(addresses(store, postcode="6")) == 5
    assert addresses(store, postcode="cp69") == []  # the internal token is not a postcode
    assert set(addresses(store, department="2A")) == {"anne.martinez@infirmier.mssante.fr"}
    assert set(addresses(store, department="2a")) == {"anne.martinez@infirmier.mssante.fr"}
    assert set(addresses(store, department="1")) == {"luc.petit@kine.mssante.fr"}
    assert addresses(store, city="lyon", name="martin") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, postcode="99999") == []


def test_profession_specialty_structure(store: DirectoryStore) -> None:
    assert addresses(store, profession="infirmier") == ["anne.martinez@infirmier.mssante.fr"]
    # A beginning works too ("kiné" -> Masseur-Kinésithérapeute), accents ignored.
    assert addresses(store, profession="kine") == ["luc.petit@kine.mssante.fr"]
    assert addresses(store, specialty="cardio") == ["helene.durand@medecin.mssante.fr"]
    assert set(addresses(store, structure="centre hospitalier lyon")) == {
        "cardiologie@ch-lyon.mssante.fr", "resultats-labo@ch-lyon.mssante.fr"}
    # The service is part of the structure's words.
    assert addresses(store, structure="laboratoire") == ["resultats-labo@ch-lyon.mssante.fr"]


def test_profession_beginnings_expand_to_whole_words(store: DirectoryStore) -> None:
    assert addresses(store, profession="infirm") == ["anne.martinez@infirmier.mssante.fr"]
    assert addresses(store, profession="masseur kin") == ["luc.petit@kine.mssante.fr"]
    assert addresses(store, profession="zzz") == []
    assert addresses(store, specialty="vasc") == ["helene.durand@medecin.mssante.fr"]


def test_single_letters_filter_without_prefix_expansion(store: DirectoryStore) -> None:
    assert addresses(store, name="martin j") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, name="j martin") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, text="Hélène D") == ["helene.durand@medecin.mssante.fr"]
    assert addresses(store, name="p") == ["paul.martine@medecin.mssante.fr",
                                          "luc.petit@kine.mssante.fr"]
    assert addresses(store, name="martin x") == []
    assert [e.address for e in store.autocomplete("martin j")] == [
        "jean.martin@medecin.mssante.fr"]


def test_type_filter(store: DirectoryStore) -> None:
    assert set(addresses(store, city="lyon", box_type="ORG")) == {
        "cardiologie@ch-lyon.mssante.fr", "secretariat@cabinet-rivoli.mssante.fr"}  # CAB is ORG
    assert addresses(store, city="lyon", box_type="APP") == ["resultats-labo@ch-lyon.mssante.fr"]
    assert set(addresses(store, box_type="PER")) == {
        r[0] for r in BASE if r[1] == "PER"}
    with pytest.raises(InvalidInputError):
        store.search(DirectoryCriteria(box_type="XYZ"))


def test_rpps_adeli_and_national_id(store: DirectoryStore) -> None:
    assert addresses(store, rpps="10000000002") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, rpps="810000000002") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, rpps="019876543") == ["luc.petit@kine.mssante.fr"]
    assert addresses(store, rpps="10000000009") == []


def test_free_text_and_addresses(store: DirectoryStore) -> None:
    assert addresses(store, text="jean.martin@MEDECIN.mssante.fr") == [
        "jean.martin@medecin.mssante.fr"]
    assert addresses(store, text="cardiologie@") == ["cardiologie@ch-lyon.mssante.fr"]
    found = addresses(store, text="cardiologie")
    # Names first (none here), then any column: specialty and service both match.
    assert set(found) == {"helene.durand@medecin.mssante.fr", "cardiologie@ch-lyon.mssante.fr"}
    assert addresses(store, text="jean.mar")[0] == "jean.martin@medecin.mssante.fr"


@pytest.mark.parametrize("hostile", ['"', "*", "NEAR(a b)", "a OR b", "x AND", "{family}:x",
                                     "^martin", "'", "-", "martin\"*", "()"])
def test_fts_syntax_in_user_text_is_data(store: DirectoryStore, hostile: str) -> None:
    store.search(DirectoryCriteria(name=hostile))  # never an FTS syntax error
    store.search(DirectoryCriteria(text=hostile))
    store.autocomplete(hostile)


def test_empty_and_oversized_criteria_are_refused(store: DirectoryStore) -> None:
    with pytest.raises(InvalidInputError):
        store.search(DirectoryCriteria())
    with pytest.raises(InvalidInputError):
        store.search(DirectoryCriteria(name="x" * 500))
    with pytest.raises(InvalidInputError):
        store.search(DirectoryCriteria(city="lyon\x00"))


def test_duplicate_addresses_are_merged(database: Database) -> None:
    store = DirectoryStore(database=database)
    rows = [
        person("jean.martin@medecin.mssante.fr", "MARTIN", "Jean", rpps=""),
        # Same box (domain case differs), another place of practice; it knows the RPPS.
        person("jean.martin@MEDECIN.mssante.fr", "MARTIN", "Jean", rpps="10000000002",
               postcode="13005", city="MARSEILLE", department="13",
               structure="Cabinet secondaire de Marseille"),
        person("claire.roux@medecin.mssante.fr", "ROUX", "Claire"),
    ]
    outcome = store.import_records(rows, source_name="dups.txt")
    assert (outcome.rows, outcome.entries, outcome.merged) == (3, 2, 1)
    assert store.count() == 2
    [entry] = store.search(DirectoryCriteria(name="martin"))
    assert entry.address == "jean.martin@medecin.mssante.fr"  # the first row is kept
    assert entry.rpps == "10000000002"  # its empty field filled from the later row
    assert entry.city == "LYON"
    # Every place finds the address.
    for criteria in (DirectoryCriteria(city="marseille"), DirectoryCriteria(postcode="13005"),
                     DirectoryCriteria(department="13"),
                     DirectoryCriteria(structure="secondaire"),
                     DirectoryCriteria(city="lyon", name="martin")):
        assert [e.address for e in store.search(criteria)] == [entry.address], criteria
    info = store.info()
    assert info is not None and info.merged == 1


def _indexed_words(database: Database, table: str, row_id: int) -> list[tuple[str, str]]:
    """(column, word) of every word instance the FTS table ``table`` holds for one row."""
    def run(conn: Any) -> list[tuple[str, str]]:
        conn.execute(f"CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, {table}, instance)")
        try:
            return sorted((str(r[1]), str(r[0])) for r in conn.execute(
                "SELECT term, col FROM temp.words WHERE doc = ?", (row_id,)).fetchall())
        finally:
            conn.execute("DROP TABLE temp.words")
    return database.call(run)


PARIS = {"postcode": "75012", "city": "PARIS", "department": "75"}


def test_a_duplicate_in_a_later_transaction_is_indexed_merged(database: Database) -> None:
    """A repeated address met in a later load transaction updates a row committed earlier; the
    word indexes, built after the load, hold its merged values once: both places, and the names
    and RPPS learnt from the later row, find it."""
    store = DirectoryStore(database=database, batch_rows=1, transaction_rows=2)
    rows = [
        rec("contact@cabinet.mssante.fr", "PER", postcode="69003", city="LYON",
            department="69", structure="Cabinet Lyon"),  # no name yet
        person("claire.roux@medecin.mssante.fr", "ROUX", "Claire", **PARIS),
        person("zoe.blanc@medecin.mssante.fr", "BLANC", "Zoé", **PARIS),
        # Same box, in the second transaction: the names, an RPPS, another place.
        person("contact@CABINET.mssante.fr", "MARTIN", "Jean", rpps="10000000002",
               postcode="13005", city="MARSEILLE", department="13", structure="Cabinet Sud"),
        person("luc.petit@kine.mssante.fr", "PETIT", "Luc", **PARIS),
    ]
    outcome = store.import_records(rows, source_name="dups.txt")
    assert (outcome.rows, outcome.entries, outcome.merged) == (5, 4, 1)
    for criteria in ({"name": "martin"}, {"first_name": "jean"}, {"city": "lyon"},
                     {"city": "marseille"}, {"postcode": "13005"}, {"department": "69"},
                     {"rpps": "10000000002"}, {"structure": "sud"}, {"name": "martin",
                     "city": "lyon"}):
        assert addresses(store, **criteria) == ["contact@cabinet.mssante.fr"], criteria
    assert store.autocomplete("mart") and store.autocomplete("mart")[0].family_name == "MARTIN"
    [entry] = store.search(DirectoryCriteria(name="martin"))
    assert entry.rpps == "10000000002" and entry.city == "LYON"
    row_id = database.query("SELECT id FROM directory_b_entry WHERE address_key = ?",
                            ("contact@cabinet.mssante.fr",))[0][0]
    assert _indexed_words(database, "directory_b_names", row_id) == [
        ("family", "martin"), ("given", "jean")]
    assert _indexed_words(database, "directory_b_fts", row_id) == sorted([
        ("family", "martin"), ("given", "jean"), ("profession", "medecin"),
        ("structure", "cabinet"),
        ("structure", "lyon"), ("structure", "cabinet"), ("structure", "sud"),
        ("city", "lyon"), ("city", "marseille"), ("postcode", "69003"), ("postcode", "13005"),
        ("postcode", "cp69"), ("department", "69"), ("department", "13"),
        ("ids", "10000000002")])


def test_rpps_searches_on_a_set_imported_before_the_ids_column(database: Database) -> None:
    """A directory imported by an earlier version (word index as created by migration 0006,
    without the ``ids`` column) is still searched by RPPS/ADELI until the next import."""
    columns = ", ".join(("address_key", *RECORD_FIELDS))
    marks = ", ".join("?" for _ in range(len(RECORD_FIELDS) + 1))

    def legacy(conn: Any) -> None:
        for row in BASE:
            conn.execute(f"INSERT INTO directory_a_entry ({columns}) VALUES ({marks})",
                         (address_key(row[0]), *row))
        conn.execute("CREATE INDEX directory_a_entry_rpps ON directory_a_entry (rpps)")
    database.write(legacy)
    store = DirectoryStore(database=database)
    assert addresses(store, rpps="10000000002") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, rpps="019876543") == ["luc.petit@kine.mssante.fr"]
    assert addresses(store, rpps="10000000009") == []
    # The next import replaces the legacy set's definition when it empties it.
    store.import_records(BASE, source_name="new.txt")
    store.import_records(BASE, source_name="again.txt")
    assert "ids" in database.query("SELECT sql FROM sqlite_master WHERE name = ?",
                                   ("directory_a_fts",))[0][0]
    assert database.query("SELECT count(*) FROM sqlite_master WHERE name = ?",
                          ("directory_a_entry_rpps",))[0][0] == 0
    assert addresses(store, rpps="10000000002") == ["jean.martin@medecin.mssante.fr"]
    assert addresses(store, rpps="10000000002", city="lyon") == [
        "jean.martin@medecin.mssante.fr"]
    assert addresses(store, rpps="10000000002", city="paris") == []
    assert addresses(store, rpps="--") == []


def test_refresh_replaces_the_previous_import(store: DirectoryStore) -> None:
    new = [person("zoe.blanc@medecin.mssante.fr", "BLANC", "Zoé")]
    store.import_records(new, source_name="new.txt", rows_read=lambda: 3, bad_rows=lambda: 2,
                         details=lambda: {"summary": "ok"})
    assert store.count() == 1
    assert addresses(store, name="martin") == []
    assert addresses(store, name="zoe") == ["zoe.blanc@medecin.mssante.fr"]
    info = store.info()
    assert info is not None
    assert (info.source_name, info.rows_read, info.bad_rows, info.entries) == ("new.txt", 3, 2, 1)
    assert info.report == {"summary": "ok"}
    # And back again: the two table sets alternate without leftovers.
    store.import_records(BASE, source_name="base.txt")
    assert store.count() == len(BASE)
    assert addresses(store, name="zoe") == []


class ReaderBroke(Exception):
    pass


def _breaking(rows: list[tuple[str, ...]], after: int) -> Iterator[tuple[str, ...]]:
    for index, row in enumerate(rows):
        if index == after:
            raise ReaderBroke("damaged halfway")
        yield row


@pytest.mark.parametrize("reader_thread", [False, True])
def test_a_reader_failure_halfway_keeps_the_previous_directory(
        store: DirectoryStore, database: Database, reader_thread: bool) -> None:
    before = store.info()
    many = [person(f"p{i}@medecin.mssante.fr", f"NOM{i}", "Zoé") for i in range(40)]
    importer = DirectoryStore(database=database, batch_rows=3, transaction_rows=4,
                              reader_thread=reader_thread)
    # transaction_rows=4: several transactions of the new import were committed already.
    with pytest.raises(ReaderBroke):
        importer.import_records(_breaking(many, 30), source_name="broken.txt")
    assert store.count() == len(BASE)
    assert addresses(store, name="zoe") == []
    assert addresses(store, name="martin")[0] == "jean.martin@medecin.mssante.fr"
    assert store.info() == before
    # The next import starts clean.
    importer.import_records(many[:5], source_name="ok.txt")
    assert store.count() == 5


def test_a_record_of_the_wrong_shape_aborts_the_import(store: DirectoryStore) -> None:
    with pytest.raises(ValueError):
        store.import_records([("only", "three", "fields")], source_name="bad")
    assert store.count() == len(BASE)


def test_one_import_at_a_time(store: DirectoryStore) -> None:
    seen: list[BaseException] = []

    def rows() -> Iterator[tuple[str, ...]]:
        yield BASE[0]
        try:
            store.import_records(BASE, source_name="second")
        except DirectoryImportError as exc:
            seen.append(exc)
        yield BASE[1]

    store.import_records(rows(), source_name="first")
    assert len(seen) == 1 and "déjà en cours" in str(seen[0])
    assert store.count() == 2


def test_autocomplete(store: DirectoryStore) -> None:
    def auto(prefix: str, limit: int = 10) -> list[str]:
        return [e.address for e in store.autocomplete(prefix, limit=limit)]

    assert auto("jean.ma") == ["jean.martin@medecin.mssante.fr"]
    assert auto("JEAN.MA") == ["jean.martin@medecin.mssante.fr"]
    assert auto("hél")[0] == "helene.durand@medecin.mssante.fr"
    assert auto("hel") == ["helene.durand@medecin.mssante.fr"]
    # Whole name words first, then beginnings.
    assert auto("martin")[0] == "jean.martin@medecin.mssante.fr"
    assert set(auto("martin")) == {"jean.martin@medecin.mssante.fr",
                                   "paul.martine@medecin.mssante.fr",
                                   "anne.martinez@infirmier.mssante.fr"}
    assert auto("durand hel") == ["helene.durand@medecin.mssante.fr"]
    assert auto("martin", limit=1) == ["jean.martin@medecin.mssante.fr"]
    # One letter: address beginnings only, not every name holding an "a".
    assert auto("a") == ["anne.martinez@infirmier.mssante.fr"]
    assert auto("   ") == []
    assert auto("zzz") == []


def test_large_match_sets_are_returned_unranked(store: DirectoryStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the ranking cap a tier comes back in storage order, still complete up to limit."""
    monkeypatch.setattr(directory_store, "_RANK_CAP", 1)
    found = [e.address for e in store.search(DirectoryCriteria(city="lyon"), limit=3)]
    assert len(found) == 3
    assert found == [r[0] for r in BASE if r[13] == "LYON"][:3]


def test_address_key_lowercases_the_domain_only() -> None:
    assert address_key(" Jean.Martin@Medecin.MSSANTE.fr ") == "Jean.Martin@medecin.mssante.fr"


_KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from app.executors import Executors
    from app.store.database import Database
    from app.store.directory_store import DirectoryStore, RECORD_FIELDS

    def rec(i):
        values = dict.fromkeys(RECORD_FIELDS, "")
        values.update(address=f"new{i}@medecin.mssante.fr", box_type="PER",
                      family_name=f"NOUVEAU{i}", given_name="Zoé")
        return tuple(values[n] for n in RECORD_FIELDS)

    def rows():
        for i in range(100):
            if i == 60:
                print("committed-some", flush=True)
                time.sleep(60)  # killed here
            yield rec(i)

    executors = Executors.create()
    db = Database.open(Path(sys.argv[1]), bytes(range(32)), executor=executors.db)
    DirectoryStore(database=db, batch_rows=5, transaction_rows=20).import_records(
        rows(), source_name="killed")
""")


def test_a_killed_import_leaves_the_previous_directory(tmp_path: Path) -> None:
    """SIGKILL in the middle of an import (rows already committed into the other table set):
    the reopened store still serves the previous directory, and the next import works."""
    path = tmp_path / "store.db"
    executors = Executors.create()
    db = Database.open(path, KEY, executor=executors.db)
    DirectoryStore(database=db).import_records(BASE, source_name="base.txt")
    db.close()
    executors.shutdown()

    proc = subprocess.Popen([sys.executable, "-c", _KILLED_IMPORT, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "committed-some"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    executors = Executors.create()
    db = Database.open(path, KEY, executor=executors.db)
    try:
        store = DirectoryStore(database=db)
        assert store.count() == len(BASE)
        assert addresses(store, name="nouveau0") == []
        assert addresses(store, name="martin")[0] == "jean.martin@medecin.mssante.fr"
        info = store.info()
        assert info is not None and info.source_name == "base.txt"
        store.import_records(BASE[:2], source_name="after.txt")
        assert store.count() == 2
    finally:
        db.close()
        executors.shutdown()


def test_an_import_inside_a_sync_s_bulk_mode_leaves_the_settings_to_the_last_user(
        database: Database) -> None:
    """The import and a sync share the database's bulk mode: an import ending while a sync still
    runs keeps the bulk cache, and the sync's end restores what was there before either."""
    from app.store.database import BULK_CACHE_KIB

    def cache() -> int:
        return int(database.query("PRAGMA cache_size")[0][0])

    before = cache()
    store = DirectoryStore(database=database, batch_rows=3, transaction_rows=4)
    with database.bulk_writes():  # a sync's pass
        store.import_records(BASE, source_name="base.txt")
        assert cache() == -BULK_CACHE_KIB
    assert cache() == before != -BULK_CACHE_KIB
    store.import_records(BASE, source_name="again.txt")
    assert cache() == before
