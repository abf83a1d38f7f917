"""One directory search over the three sources (issue #6, item 4): a small imported extraction,
the sandbox's real OpenLDAP slapd (the organisation directory) and the sandbox's FHIR server.

The FHIR server is a STAND-IN for the Annuaire Santé API (tests/sandbox/fhir_server.py): the real
one needs an ANS key and the internet. It answers in the API's shape and can misbehave on demand.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.composition import Profile, open_profile
from app.domain.directory_entry import DirectorySource
from app.protocols.fhir import FhirDirectory, FhirDirectoryConfig
from app.protocols.ldap import LdapDirectory, LdapDirectoryConfig
from app.services.directory_service import (
    DirectoryCriteria,
    DirectoryService,
    FhirRemote,
    LdapRemote,
)
from app.store.outbox_store import SettingStore
from tests.benchmarks import extraction_generator as gen
from tests.sandbox import demo_world, slapd
from tests.sandbox.common import free_port

pytestmark = pytest.mark.sandbox

HEADER = list(gen.HEADER)
COL = {name: i for i, name in enumerate(HEADER)}


def _row(address: str, family: str, given: str, rpps: str, postcode: str, city: str) -> str:
    fields = [""] * len(HEADER)
    for name, value in {
        "Type de BAL": "PER", "Adresse BAL": address, "Type Identifiant PP": "8",
        "Identifiant PP": rpps, "Civilité d'exercice": "DR", "Nom d'exercice": family,
        "Prénom d'exercice": given, "Code Profession": "10", "Libellé Profession": "Médecin",
        "Raison Sociale structure BAL": "Cabinet médical",
        "L6LIGNEACHEMINEMENT structure BAL": f"{postcode} {city}",
        "Code postal structure BAL": postcode, "Pays structure BAL": "FRANCE",
    }.items():  # fmt: skip
        fields[COL[name]] = value
    return "|".join(fields)


# Dr Martin of the demo world is in every source; Dr Martin of Marseille only in the extraction.
EXTRACTION = [
    _row(demo_world.DR_MARTIN.login, "MARTIN", "Jean", demo_world.DR_MARTIN.rpps, "69001", "LYON"),
    _row("paul.martin@medecin.mssante.fr", "MARTIN", "Paul", "10000000042", "13005", "MARSEILLE"),
]


def _write_extraction(path: Path) -> Path:
    path.write_text("\r\n".join(["|".join(HEADER), *EXTRACTION]) + "\r\n", encoding="utf-8")
    return path


def _ldap(sandbox: dict[str, Any], **overrides: Any) -> LdapRemote:
    values: dict[str, Any] = {"uri": sandbox["ldap"]["uri"], "base_dn": sandbox["ldap"]["base_dn"],
                              "starttls": True, "ca_file": sandbox["ca_file"]}
    values.update(overrides)
    return LdapRemote(LdapDirectory(LdapDirectoryConfig(**values)))


def _fhir(sandbox: dict[str, Any]) -> FhirRemote:
    config = FhirDirectoryConfig(base_url=sandbox["fhir"]["base_url"],
                                 api_key=sandbox["fhir"]["api_key"], ca_file=sandbox["ca_file"],
                                 max_attempts=1)
    return FhirRemote(lambda: FhirDirectory(config))


def _control(sandbox: dict[str, Any], path: str = "", **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"{sandbox['fhir']['control_url']}{path}" + (f"?{query}" if query else "")
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def fhir_ready(sandbox: dict[str, Any]) -> Iterator[None]:
    if "fhir" not in sandbox:
        pytest.skip("this sandbox has no FHIR stand-in (tests/sandbox/fhir_server.py)")
    _control(sandbox, "/reset")
    yield
    _control(sandbox, "/reset")


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "profile", key_file=tmp_path / "store.key") as opened:
        opened.directory.import_file(_write_extraction(tmp_path / "extraction.txt"))
        yield opened


def _service(profile: Profile, *remotes: Any, timeout: float = 20.0) -> DirectoryService:
    return DirectoryService(store=profile.directory.store, remotes=remotes,
                            remote_timeout=timeout)


def test_three_sources_merged_and_deduplicated(sandbox: dict[str, Any], fhir_ready: None,
                                               profile: Profile) -> None:
    service = _service(profile, _ldap(sandbox), _fhir(sandbox))
    result = service.search(DirectoryCriteria(name="martin"))
    assert result.warnings == []
    assert result.sources == ["extraction", LdapRemote.label, FhirRemote.label]
    addresses = [e.address.lower() for e in result.entries]
    assert addresses.count(demo_world.DR_MARTIN.login.lower()) == 1
    assert "paul.martin@medecin.mssante.fr" in addresses
    martin = next(e for e in result.entries
                  if e.address.lower() == demo_world.DR_MARTIN.login.lower())
    # The extraction's entry, completed by the others (the LDAP knows the practice's name).
    assert martin.source is DirectorySource.EXTRACTION
    assert (martin.city, martin.postcode) == ("LYON", "69001")
    assert martin.rpps == demo_world.DR_MARTIN.rpps
    # Whole-word "Martin" entries come before any other.
    assert all(e.family_name.casefold() == "martin" for e in result.entries[:2])


def test_ldap_only_colleagues_are_found(sandbox: dict[str, Any], profile: Profile) -> None:
    colleague = slapd.extra_people()[0]
    result = _service(profile, _ldap(sandbox)).search(
        DirectoryCriteria(name=colleague["family"]))
    assert colleague["address"] in [e.address for e in result.entries]
    found = next(e for e in result.entries if e.address == colleague["address"])
    assert found.source is DirectorySource.LDAP


def test_city_criterion_holds_for_remote_entries(sandbox: dict[str, Any], fhir_ready: None,
                                                 profile: Profile) -> None:
    """The API cannot search by city (MSSANTE.md §7): its entries are filtered here."""
    result = _service(profile, _ldap(sandbox), _fhir(sandbox)).search(
        DirectoryCriteria(name="martin", city="marseille"))
    assert [e.address for e in result.entries] == ["paul.martin@medecin.mssante.fr"]


def test_unreachable_slapd_gives_offline_results_and_a_warning(profile: Profile) -> None:
    gone = LdapRemote(LdapDirectory(LdapDirectoryConfig(
        uri=f"ldap://127.0.0.1:{free_port()}", base_dn="dc=x", starttls=True, timeout=3)))
    result = _service(profile, gone).search(DirectoryCriteria(name="martin"))
    assert {e.address for e in result.entries} == {demo_world.DR_MARTIN.login,
                                                   "paul.martin@medecin.mssante.fr"}
    assert len(result.warnings) == 1
    assert "injoignable" in result.warnings[0]
    assert result.sources == ["extraction"]


def test_fhir_outage_gives_offline_results_and_a_warning(sandbox: dict[str, Any],
                                                         fhir_ready: None,
                                                         profile: Profile) -> None:
    _control(sandbox, mode="html", count="10")
    result = _service(profile, _fhir(sandbox)).search(DirectoryCriteria(name="martin"))
    assert demo_world.DR_MARTIN.login in [e.address for e in result.entries]
    assert len(result.warnings) == 1 and FhirRemote.label in result.warnings[0]


def test_cli_search_uses_the_configured_ldap(sandbox: dict[str, Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    profile_dir, key = tmp_path / "cli", tmp_path / "cli.key"
    with open_profile(profile_dir, key_file=key) as opened:
        opened.directory.import_file(_write_extraction(tmp_path / "e.txt"))
        settings = SettingStore(database=opened.database)
        settings.set("directory.ldap.uri", sandbox["ldap"]["uri"])
        settings.set("directory.ldap.base_dn", sandbox["ldap"]["base_dn"])
        settings.set("directory.ldap.ca_file", sandbox["ca_file"])
    colleague = slapd.extra_people()[1]
    base = ["--profile", str(profile_dir), "--key-file", str(key)]
    capsys.readouterr()
    assert main([*base, "directory", "search", "--name", colleague["family"], "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert colleague["address"] in [e["address"] for e in found]
    entry = next(e for e in found if e["address"] == colleague["address"])
    assert entry["source"] == "LDAP" and entry["type"] == "PER"
    # --offline: the LDAP is not asked.
    assert main([*base, "directory", "search", "--name", colleague["family"], "--json",
                 "--offline"]) == 0
    assert colleague["address"] not in [e["address"]
                                        for e in json.loads(capsys.readouterr().out)]
