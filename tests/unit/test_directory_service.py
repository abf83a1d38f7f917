"""The directory service: extraction import, merged/ranked search over injected sources, CLI.

Remote sources here are in-process fakes (the real LDAP and FHIR clients are exercised against
the sandbox in tests/integration/test_directory_search.py). Issue #6 items 2, 4, 5 and 6.
"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.cli import main
from app.composition import Profile, open_profile
from app.domain.directory_entry import DirectoryBoxType, DirectoryEntry, DirectorySource
from app.errors import InvalidInputError, ServerUnreachableError
from app.protocols.directory_extraction import ExtractionFormatError, ExtractionReader
from app.services.directory_service import (
    DirectoryCriteria,
    DirectoryService,
    FhirRemote,
    LdapRemote,
    configured_remotes,
    fold,
)
from app.store.directory_store import DirectoryStore, address_key
from app.store.outbox_store import SettingStore
from tests.benchmarks import extraction_generator as gen

HEADER = list(gen.HEADER)
COL = {name: i for i, name in enumerate(HEADER)}


def row(address: str, box_type: str = "PER", **values: str) -> list[str]:
    """One extraction line (31 columns) with sensible defaults."""
    fields = [""] * len(HEADER)
    defaults = {
        "Type de BAL": box_type, "Adresse BAL": address, "Type Identifiant PP": "8",
        "Civilité d'exercice": "DR", "Libellé Profession": "Médecin", "Code Profession": "10",
        "Raison Sociale structure BAL": "Cabinet médical", "L6LIGNEACHEMINEMENT structure BAL":
        "69003 LYON", "Code postal structure BAL": "69003", "Département structure BAL": "69",
        "Pays structure BAL": "FRANCE",
    }  # fmt: skip
    if box_type != "PER":
        defaults.update({"Type Identifiant PP": "", "Civilité d'exercice": "",
                         "Libellé Profession": "", "Code Profession": ""})
    defaults.update(values)
    for name, value in defaults.items():
        fields[COL[name]] = value
    return fields


def doctor(address: str, family: str, given: str, rpps: str, **values: str) -> list[str]:
    return row(address, "PER", **{"Nom d'exercice": family, "Prénom d'exercice": given,
                                  "Identifiant PP": rpps, **values})


ROWS = [
    doctor("helene.durand@medecin.mssante.fr", "DURAND", "Hélène", "10000000001"),
    doctor("jean.martin@medecin.mssante.fr", "MARTIN", "Jean", "10000000002"),
    doctor("paul.martine@medecin.mssante.fr", "MARTINE", "Paul", "10000000003",
           **{"L6LIGNEACHEMINEMENT structure BAL": "75012 PARIS",
              "Code postal structure BAL": "75012", "Département structure BAL": "75"}),
    row("cardiologie@ch-lyon.mssante.fr", "ORG",
        **{"Raison Sociale structure BAL": "Centre hospitalier de Lyon",
           "Service de rattachement": "Cardiologie"}),
    row("secretariat@cabinet-rivoli.mssante.fr", "CAB",
        **{"Raison Sociale structure BAL": "Cabinet Rivoli"}),
]


def write_txt(path: Path, rows: list[list[str]], header: list[str] | None = None, *,
              encoding: str = "utf-8", extra_lines: list[bytes] = ()) -> Path:  # type: ignore[assignment]
    lines = ["|".join(header or HEADER), *("|".join(r) for r in rows)]
    data = "\r\n".join(lines).encode(encoding) + b"\r\n"
    path.write_bytes(data + b"".join(extra_lines))
    return path


def write_zip(path: Path, rows: list[list[str]]) -> Path:
    txt = write_txt(path.with_suffix(".txt"), rows)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(txt, gen.member_name())
    txt.unlink()
    return path


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "profile", key_file=tmp_path / "store.key") as opened:
        yield opened


@pytest.fixture
def store(profile: Profile) -> DirectoryStore:
    return DirectoryStore(database=profile.database)


@pytest.fixture
def imported(store: DirectoryStore, tmp_path: Path) -> DirectoryStore:
    DirectoryService(store=store).import_file(write_txt(tmp_path / "base.txt", ROWS))
    return store


class FakeRemote:
    def __init__(self, label: str, entries: list[DirectoryEntry] | None = None, *,
                 error: Exception | None = None, delay: float = 0.0) -> None:
        self.label = label
        self.entries = entries
        self.error = error
        self.delay = delay
        self.calls: list[DirectoryCriteria] = []
        self.release = threading.Event()

    def search(self, criteria: DirectoryCriteria, limit: int) -> list[DirectoryEntry] | None:
        self.calls.append(criteria)
        if self.delay:
            self.release.wait(self.delay)
        if self.error is not None:
            raise self.error
        return self.entries


def ldap_entry(address: str, family: str = "", given: str = "", **values: Any) -> DirectoryEntry:
    return DirectoryEntry(address=address, box_type=values.pop("box_type", DirectoryBoxType.PER),
                          source=DirectorySource.LDAP, family_name=family, given_name=given,
                          **values)


# --- import through the reader -----------------------------------------------------------------


def test_import_zip_and_search(imported: DirectoryStore) -> None:
    service = DirectoryService(store=imported)
    info = service.info()
    assert info is not None and info.entries == len(ROWS) and info.bad_rows == 0
    result = service.search(DirectoryCriteria(name="helene"))
    assert [e.address for e in result.entries] == ["helene.durand@medecin.mssante.fr"]
    assert result.warnings == [] and result.sources == ["extraction"]


def test_bad_rows_are_counted_not_fatal(store: DirectoryStore, tmp_path: Path) -> None:
    bad = [*ROWS, row("not-an-address", "PER"), row("", "PER"), row("x@y.mssante.fr", "XYZ"),
           ["too", "few", "columns"]]
    result = DirectoryService(store=store).import_file(write_txt(tmp_path / "bad.txt", bad))
    assert result.outcome.entries == len(ROWS)
    assert result.report.bad_total == 4
    assert "4 lignes ignorées" in result.summary()
    info = store.info()
    assert info is not None
    assert (info.rows_read, info.bad_rows, info.entries) == (len(bad), 4, len(ROWS))
    assert info.report["bad_rows"] == {"invalid_address": 1, "empty_address": 1, "box_type": 1,
                                       "field_count": 1}


def test_duplicates_merged_through_the_service(store: DirectoryStore, tmp_path: Path) -> None:
    second_place = doctor("jean.martin@medecin.mssante.fr", "MARTIN", "Jean", "10000000002", **{
        "L6LIGNEACHEMINEMENT structure BAL": "13005 MARSEILLE",
        "Code postal structure BAL": "13005", "Département structure BAL": "13"})
    result = DirectoryService(store=store).import_file(
        write_txt(tmp_path / "d.txt", [*ROWS, second_place]))
    assert result.outcome.merged == 1
    assert "1 adresse(s) en double fusionnée(s)" in result.summary()
    service = DirectoryService(store=store)
    assert [e.address for e in service.search(DirectoryCriteria(city="marseille")).entries] == [
        "jean.martin@medecin.mssante.fr"]


def test_the_reader_computes_the_store_s_address_key(store: DirectoryStore,
                                                      tmp_path: Path) -> None:
    """The service hands the store keyed rows (the reader computes the key where the address is
    at hand): the same key as the store's own address_key, ASCII or not, and a box repeated
    with another domain case is merged."""
    rows = [
        doctor("Jean.Martin@Medecin.MSSANTE.fr", "MARTIN", "Jean", "10000000002"),
        doctor("jean@HÔPITAL.mssante.fr", "DUPONT", "Jean", "10000000005"),
        doctor("Jean.Martin@medecin.mssante.FR", "MARTIN", "Jean", "10000000002"),
        doctor("jean@Hôpital.MSSANTE.fr", "DUPONT", "Jean", "10000000005"),
    ]
    path = write_txt(tmp_path / "k.txt", rows)
    keyed = list(ExtractionReader(path).keyed_records())
    assert [k[0] for k in keyed] == [address_key(k[1]) for k in keyed]
    assert [k[0] for k in keyed] == ["Jean.Martin@medecin.mssante.fr", "jean@hôpital.mssante.fr",
                                     "Jean.Martin@medecin.mssante.fr", "jean@hôpital.mssante.fr"]
    result = DirectoryService(store=store).import_file(path)
    assert (result.outcome.entries, result.outcome.merged) == (2, 2)
    assert [e.address for e in store.search(DirectoryCriteria(text="jean@hôpital.mssante.fr"))
            ] == ["jean@HÔPITAL.mssante.fr"]


def test_latin1_file_is_accepted_with_a_warning(store: DirectoryStore, tmp_path: Path) -> None:
    path = write_txt(tmp_path / "latin1.txt", ROWS, encoding="cp1252")
    result = DirectoryService(store=store).import_file(path)
    assert result.report.encoding == "cp1252"
    assert any("Windows-1252" in w for w in result.report.warnings)
    found = DirectoryService(store=store).search(DirectoryCriteria(name="Hélène")).entries
    assert [e.given_name for e in found] == ["Hélène"]


def test_reordered_columns_are_read_by_name(store: DirectoryStore, tmp_path: Path) -> None:
    order = list(reversed(range(len(HEADER))))
    header = [HEADER[i] for i in order]
    rows = [[r[i] for i in order] for r in ROWS]
    DirectoryService(store=store).import_file(write_txt(tmp_path / "rev.txt", rows, header))
    [entry] = DirectoryService(store=store).search(DirectoryCriteria(rpps="10000000002")).entries
    assert (entry.address, entry.family_name, entry.city) == (
        "jean.martin@medecin.mssante.fr", "MARTIN", "LYON")


def test_missing_required_column_keeps_the_previous_directory(
        imported: DirectoryStore, tmp_path: Path) -> None:
    drop = COL["Code postal structure BAL"]
    header = [h for i, h in enumerate(HEADER) if i != drop]
    rows = [[v for i, v in enumerate(r) if i != drop] for r in ROWS[:1]]
    with pytest.raises(ExtractionFormatError, match="Code postal"):
        DirectoryService(store=imported).import_file(write_txt(tmp_path / "m.txt", rows, header))
    assert imported.count() == len(ROWS)


def test_truncated_zip_keeps_the_previous_directory(imported: DirectoryStore,
                                                    tmp_path: Path) -> None:
    """A ZIP cut in the middle of its data fails after rows were read: nothing is switched."""
    big = tmp_path / "big.zip"
    gen.write(big, 30_000, seed=1)
    data = big.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInputError):
        DirectoryService(store=imported).import_file(truncated)
    assert imported.count() == len(ROWS)
    assert imported.info() is not None and imported.info().source_name == "base.txt"  # type: ignore[union-attr]


def test_corrupt_data_inside_a_complete_zip_keeps_the_previous_directory(
        imported: DirectoryStore, tmp_path: Path) -> None:
    big = tmp_path / "big.zip"
    gen.write(big, 30_000, seed=2)
    data = bytearray(big.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)  # the central directory is intact, the stream is not
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ExtractionFormatError):
        DirectoryService(store=imported).import_file(damaged)
    assert imported.count() == len(ROWS)


def test_a_10_mb_line_is_skipped_and_counted(store: DirectoryStore, tmp_path: Path) -> None:
    huge = b"PER|" + b"x" * (10 * 1024 * 1024) + b"\r\n"
    path = write_txt(tmp_path / "huge.txt", ROWS, extra_lines=[huge, ("|".join(ROWS[0])).encode()])
    result = DirectoryService(store=store).import_file(path)
    assert result.report.bad_rows == {"line_too_long": 1}
    assert result.outcome.entries == len(ROWS)  # the repeated row after it was merged
    assert result.outcome.merged == 1


def test_not_an_extraction(store: DirectoryStore, tmp_path: Path) -> None:
    path = tmp_path / "random.txt"
    path.write_text("hello|world\r\n1|2\r\n")
    with pytest.raises(ExtractionFormatError):
        DirectoryService(store=store).import_file(path)
    assert store.info() is None


# --- merging remote sources --------------------------------------------------------------------


def test_remote_entries_are_merged_by_address(imported: DirectoryStore) -> None:
    ldap = FakeRemote("LDAP", [
        # Same box as the extraction's (domain case differs): one entry, gaps filled.
        ldap_entry("jean.martin@MEDECIN.mssante.fr", "Martin", "Jean", service="Consultations"),
        ldap_entry("jeanne.martin@chu.fr", "Martin", "Jeanne", city="Lyon"),
    ])
    service = DirectoryService(store=imported, remotes=[ldap])
    result = service.search(DirectoryCriteria(name="martin"))
    found = [e.address for e in result.entries]
    assert found.count("jean.martin@medecin.mssante.fr") == 1
    assert "jean.martin@MEDECIN.mssante.fr" not in found
    martin = next(e for e in result.entries if e.address == "jean.martin@medecin.mssante.fr")
    assert martin.source is DirectorySource.EXTRACTION
    assert martin.service == "Consultations"
    assert martin.rpps == "10000000002"
    assert result.sources == ["extraction", "LDAP"]
    # Ranked: whole name words first (both Martins), then MARTINE.
    assert found[-1] == "paul.martine@medecin.mssante.fr"
    assert set(found[:2]) == {"jean.martin@medecin.mssante.fr", "jeanne.martin@chu.fr"}


def test_remote_entries_must_match_every_criterion(imported: DirectoryStore) -> None:
    """LDAP matches on the name only; the city criterion still holds for its entries."""
    ldap = FakeRemote("LDAP", [ldap_entry("j.martin@chu-nantes.fr", "Martin", "J", city="Nantes"),
                               ldap_entry("k.martin@chu-lyon.fr", "Martin", "K", city="Lyon")])
    result = DirectoryService(store=imported, remotes=[ldap]).search(
        DirectoryCriteria(name="martin", city="lyon"))
    assert [e.address for e in result.entries] == ["jean.martin@medecin.mssante.fr",
                                                   "k.martin@chu-lyon.fr"]


def test_red_listed_box_is_hidden_whoever_reports_it(imported: DirectoryStore) -> None:
    """MSSANTE.md §7: a red-listed box must not be shown."""
    red = FakeRemote("FHIR", [ldap_entry("jean.martin@medecin.mssante.fr", "Martin", "Jean",
                                         red_listed=True)])
    result = DirectoryService(store=imported, remotes=[red]).search(DirectoryCriteria(name="jean"))
    assert "jean.martin@medecin.mssante.fr" not in [e.address for e in result.entries]


def test_exact_address_ranks_first(imported: DirectoryStore) -> None:
    ldap = FakeRemote("LDAP", [ldap_entry("cardiologie@ch-lyon.mssante.fr.example", "", ""),
                               ldap_entry("cardiologie@ch-lyon.mssante.fr", "", "",
                                          box_type=DirectoryBoxType.ORG)])
    result = DirectoryService(store=imported, remotes=[ldap]).search(
        DirectoryCriteria(text="Cardiologie@CH-Lyon.mssante.fr"))
    # The exact box once (extraction and LDAP merged), then a box that merely starts like it.
    assert [e.address for e in result.entries] == ["cardiologie@ch-lyon.mssante.fr",
                                                   "cardiologie@ch-lyon.mssante.fr.example"]


def test_a_failing_remote_leaves_offline_results_and_a_warning(imported: DirectoryStore) -> None:
    down = FakeRemote("annuaire LDAP de l'établissement",
                      error=ServerUnreachableError("L'annuaire LDAP est injoignable."))
    broken = FakeRemote("API", error=RuntimeError("bug"))
    result = DirectoryService(store=imported, remotes=[down, broken]).search(
        DirectoryCriteria(name="helene"))
    assert [e.address for e in result.entries] == ["helene.durand@medecin.mssante.fr"]
    assert len(result.warnings) == 2
    assert "annuaire LDAP de l'établissement indisponible" in result.warnings[0]
    assert "injoignable" in result.warnings[0]
    assert "RuntimeError" in result.warnings[1]
    assert result.sources == ["extraction"]


def test_a_slow_remote_is_abandoned_at_the_deadline(imported: DirectoryStore) -> None:
    slow = FakeRemote("API Annuaire Santé", [ldap_entry("late@x.fr", "Helene", "Late")],
                      delay=30)
    service = DirectoryService(store=imported, remotes=[slow], remote_timeout=0.2)
    started = time.monotonic()
    result = service.search(DirectoryCriteria(name="helene"))
    elapsed = time.monotonic() - started
    slow.release.set()
    assert [e.address for e in result.entries] == ["helene.durand@medecin.mssante.fr"]
    assert "pas de réponse" in result.warnings[0]
    assert elapsed < 20  # abandoned, not waited for (30 s)


def test_not_applicable_remote_is_silent(imported: DirectoryStore) -> None:
    none = FakeRemote("API", None)
    result = DirectoryService(store=imported, remotes=[none]).search(
        DirectoryCriteria(city="paris"))
    assert [e.address for e in result.entries] == ["paul.martine@medecin.mssante.fr"]
    assert (result.warnings, result.sources) == ([], ["extraction"])


def test_offline_only_search_skips_remotes(imported: DirectoryStore) -> None:
    remote = FakeRemote("LDAP", [])
    DirectoryService(store=imported, remotes=[remote]).search(
        DirectoryCriteria(name="x"), remote=False)
    assert remote.calls == []


def test_type_filter_applies_to_remote_entries(imported: DirectoryStore) -> None:
    ldap = FakeRemote("LDAP", [ldap_entry("cab@x.fr", "", "", structure="Cabinet Rivoli",
                                          box_type=DirectoryBoxType.CAB, city="Lyon"),
                               ldap_entry("per@x.fr", "Rivoli", "A", city="Lyon")])
    result = DirectoryService(store=imported, remotes=[ldap]).search(
        DirectoryCriteria(text="rivoli", box_type="ORG"))
    assert {e.address for e in result.entries} == {"secretariat@cabinet-rivoli.mssante.fr",
                                                   "cab@x.fr"}


def test_autocomplete_is_offline_by_default(imported: DirectoryStore) -> None:
    remote = FakeRemote("LDAP", [ldap_entry("jean.marchand@chu.fr", "Marchand", "Jean")])
    service = DirectoryService(store=imported, remotes=[remote])
    assert [e.address for e in service.autocomplete("jean.ma").entries] == [
        "jean.martin@medecin.mssante.fr"]
    assert remote.calls == []
    both = service.autocomplete("jean.ma", remote=True)
    assert [e.address for e in both.entries] == ["jean.martin@medecin.mssante.fr",
                                                 "jean.marchand@chu.fr"]
    assert both.sources == ["extraction", "LDAP"]
    # By name words: "jean" whole, "ma" a beginning.
    assert [e.address for e in service.autocomplete("jean ma", remote=True).entries] == [
        "jean.martin@medecin.mssante.fr", "jean.marchand@chu.fr"]
    assert service.autocomplete("durand", remote=True).entries[0].family_name == "DURAND"
    assert service.autocomplete("  ").entries == []


def test_empty_criteria_refused(imported: DirectoryStore) -> None:
    with pytest.raises(InvalidInputError):
        DirectoryService(store=imported).search(DirectoryCriteria())


def test_fold() -> None:
    assert fold("Hélène Lefèvre-Œuvray") == "helene lefevre-œuvray"


# --- remote adapters ---------------------------------------------------------------------------


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __enter__(self) -> FakeApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("closed", {}))

    def _result(self, kind: str, **kwargs: Any) -> Any:
        self.calls.append((kind, kwargs))
        return SimpleNamespace(entries=[ldap_entry(f"{kind}@x.fr")])

    def search_practitioners(self, **kwargs: Any) -> Any:
        return self._result("practitioners", **kwargs)

    def search_organizations(self, **kwargs: Any) -> Any:
        return self._result("organizations", **kwargs)


def test_fhir_remote_maps_criteria_to_api_searches() -> None:
    api = FakeApi()
    remote = FhirRemote(lambda: api)  # type: ignore[arg-type, return-value]
    assert remote.search(DirectoryCriteria(city="lyon"), 10) is None  # the API cannot do it
    remote.search(DirectoryCriteria(rpps="10000000002"), 10)
    remote.search(DirectoryCriteria(text="cardio@chu"), 10)
    remote.search(DirectoryCriteria(name="martin", box_type="PER"), 10)
    remote.search(DirectoryCriteria(name="chu", box_type="ORG"), 10)
    kinds = [(k, {a: v for a, v in kw.items() if v and a != "limit"}) for k, kw in api.calls
             if k != "closed"]
    assert kinds == [
        ("practitioners", {"rpps": "10000000002"}),
        ("practitioners", {"mailbox_contains": "cardio@chu"}),
        ("organizations", {"mailbox_contains": "cardio@chu"}),
        ("practitioners", {"name": "martin"}),
        ("organizations", {"name": "chu"}),
    ]
    assert remote.search(DirectoryCriteria(rpps="019876543"), 10) is None  # ADELI: not there


def test_ldap_remote_searches_by_name_or_address() -> None:
    class Directory:
        def __init__(self) -> None:
            self.queries: list[str] = []

        def search(self, query: str, limit: int = 50) -> list[DirectoryEntry]:
            self.queries.append(query)
            return []

    directory = Directory()
    remote = LdapRemote(directory)  # type: ignore[arg-type]
    assert remote.search(DirectoryCriteria(city="lyon"), 5) is None
    remote.search(DirectoryCriteria(name="Martin", city="lyon"), 5)
    remote.search(DirectoryCriteria(text="jean.martin@"), 5)
    assert directory.queries == ["Martin", "jean.martin@"]


def test_configured_remotes_from_settings(profile: Profile) -> None:
    settings = SettingStore(database=profile.database)
    assert configured_remotes(settings) == ([], [])
    settings.set("directory.ldap.uri", "http://not-ldap")
    remotes, warnings = configured_remotes(settings)
    assert remotes == [] and "ldap://" in warnings[0]
    settings.set("directory.ldap.uri", "ldaps://127.0.0.1:1")
    settings.set("directory.ldap.base_dn", "dc=x")
    settings.set("directory.fhir.base_url", "https://127.0.0.1:1/fhir/v2")
    remotes, warnings = configured_remotes(settings, profile.secrets)
    assert [type(r) for r in remotes] == [LdapRemote] and warnings == []  # no API key yet
    # The key is a secret (the settings dialog keeps it in the SecretStore).
    profile.secrets.set("directory.fhir.api_key", "k")
    remotes, warnings = configured_remotes(settings, profile.secrets)
    assert [type(r) for r in remotes] == [LdapRemote, FhirRemote] and warnings == []


def test_profile_exposes_the_service_with_configured_sources(profile: Profile,
                                                             tmp_path: Path) -> None:
    """A configured but unreachable LDAP: offline results and a warning (issue #6 item 6)."""
    profile.directory.import_file(write_txt(tmp_path / "p.txt", ROWS))
    settings = SettingStore(database=profile.database)
    settings.set("directory.ldap.uri", "ldap://127.0.0.1:1")
    settings.set("directory.ldap.base_dn", "dc=x")
    settings.set("directory.ldap.timeout", "2")
    result = profile.directory.search(DirectoryCriteria(name="helene"))
    assert [e.address for e in result.entries] == ["helene.durand@medecin.mssante.fr"]
    assert len(result.warnings) == 1 and "LDAP" in result.warnings[0]


# --- command line ------------------------------------------------------------------------------


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    base = ["--profile", str(tmp_path / "cli-profile"), "--key-file", str(tmp_path / "cli.key")]

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main([*base, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def test_cli_import_and_search_json(cli: Any, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "Extraction.zip", [*ROWS, row("bad", "PER")])
    imported = cli("directory", "import", str(path))
    assert imported.code == 0, imported.err
    assert "5 entrées importées sur 6 lignes lues" in imported.out
    assert "1 lignes ignorées" in imported.out
    assert "Ligne 7 ignorée (adresse BAL invalide) : PER|bad|" in imported.err
    found = cli("directory", "search", "--name", "HELENE", "--json")
    assert found.code == 0, found.err
    [entry] = json.loads(found.out)
    assert {k: entry[k] for k in ("address", "type", "name", "profession", "specialty",
                                  "structure", "city", "postcode", "rpps")} == {
        "address": "helene.durand@medecin.mssante.fr", "type": "PER",
        "name": "Dr Hélène DURAND", "profession": "Médecin", "specialty": "",
        "structure": "Cabinet médical", "city": "LYON", "postcode": "69003",
        "rpps": "10000000001"}
    by_type = cli("directory", "search", "--city", "lyon", "--type", "org", "--json")
    assert {e["address"] for e in json.loads(by_type.out)} == {
        "cardiologie@ch-lyon.mssante.fr", "secretariat@cabinet-rivoli.mssante.fr"}
    human = cli("directory", "search", "--postcode", "75012")
    assert human.code == 0
    assert human.out.startswith("paul.martine@medecin.mssante.fr (PER) — Dr Paul MARTINE")
    rpps = cli("directory", "search", "--rpps", "10000000002", "--json")
    assert [e["address"] for e in json.loads(rpps.out)] == ["jean.martin@medecin.mssante.fr"]
    none = cli("directory", "search", "--name", "personne")
    assert (none.code, none.out.strip()) == (0, "Aucune boîte trouvée.")


def test_cli_errors_are_one_sentence(cli: Any, tmp_path: Path) -> None:
    missing = cli("directory", "import", str(tmp_path / "absent.zip"))
    assert missing.code == 1 and "Traceback" not in missing.err
    no_profile = cli("directory", "search", "--name", "x")
    assert no_profile.code == 1 and "Aucun profil" in no_profile.err
    assert not (tmp_path / "cli-profile").exists()
    open_profile(tmp_path / "cli-profile", key_file=tmp_path / "cli.key").close()
    empty = cli("directory", "search", "--name", "x")
    assert empty.code == 0 and "aucun annuaire hors ligne n'a été importé" in empty.err
    truncated = tmp_path / "t.zip"
    gen.write(truncated, 20_000, seed=3)
    truncated.write_bytes(truncated.read_bytes()[:-5000])
    bad = cli("directory", "import", str(truncated))
    assert bad.code == 1
    assert "tronqué ou endommagé" in bad.err and "Traceback" not in bad.err
    usage = cli("directory", "search")
    assert usage.code == 2 and "au moins un critère" in usage.err
    wrong_type = cli("directory", "search", "--type", "XYZ")
    assert wrong_type.code == 2
