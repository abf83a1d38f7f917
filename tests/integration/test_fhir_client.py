"""The Annuaire Santé FHIR client against the sandbox's FHIR server (issue #6, item 1).

The server is a STAND-IN (tests/sandbox/fhir_server.py): the real API needs an ANS key and the
internet. It answers in the API's shape (bundles, HAPI paging links, MSSanté telecom extensions,
OperationOutcome errors) and can be told to misbehave (429 storms, 503, HTML pages).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from app.domain.directory_entry import DirectoryBoxType, DirectorySource
from app.errors import AuthenticationError, InvalidInputError, ServerUnreachableError
from app.protocols.fhir import FhirDirectory, FhirDirectoryConfig, FhirFormatError
from tests.sandbox import demo_world, fhir_server

pytestmark = pytest.mark.sandbox


def _control(sandbox: dict[str, Any], path: str = "", **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"{sandbox['fhir']['control_url']}{path}" + (f"?{query}" if query else "")
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def fhir(sandbox: dict[str, Any]) -> Iterator[dict[str, Any]]:
    _control(sandbox, "/reset")
    yield sandbox["fhir"]
    _control(sandbox, "/reset")


def _directory(sandbox: dict[str, Any], **overrides: Any) -> FhirDirectory:
    values: dict[str, Any] = {"base_url": sandbox["fhir"]["base_url"],
                              "api_key": sandbox["fhir"]["api_key"],
                              "ca_file": sandbox["ca_file"]}
    values.update(overrides)
    sleep = values.pop("sleep", time.sleep)
    return FhirDirectory(FhirDirectoryConfig(**values), sleep=sleep)


def test_search_by_name(sandbox: dict[str, Any], fhir: dict[str, Any]) -> None:
    with _directory(sandbox) as directory:
        result = directory.search_practitioners(name="martin")
    [entry] = result.entries
    assert entry.address == demo_world.DR_MARTIN.login  # the personal e-mail is not MSSanté
    assert entry.source is DirectorySource.FHIR
    assert entry.box_type is DirectoryBoxType.PER
    assert entry.name == "Dr Jean MARTIN"
    assert (entry.profession, entry.specialty) == ("Médecin", "Médecine générale")
    assert entry.rpps == demo_world.DR_MARTIN.rpps
    assert entry.postcode == "69001"


def test_search_by_rpps_on_practitioner_and_role(sandbox: dict[str, Any],
                                                 fhir: dict[str, Any]) -> None:
    with _directory(sandbox) as directory:
        practitioners = directory.search_practitioners(rpps=demo_world.NURSE_PETIT.rpps)
        roles = directory.search_practitioner_roles(rpps=demo_world.NURSE_PETIT.rpps)
    assert [e.address for e in practitioners.entries] == [demo_world.NURSE_PETIT.login]
    [role] = roles.entries
    assert role.address == demo_world.NURSE_PETIT.login
    assert role.structure == "CHU Lumière"  # from the included Organization
    assert role.family_name == "PETIT"  # from the included Practitioner


def test_search_by_mailbox_contains_and_organizations(sandbox: dict[str, Any],
                                                      fhir: dict[str, Any]) -> None:
    with _directory(sandbox) as directory:
        orgs = directory.search_organizations(mailbox_contains="cardiologie@")
        lab = directory.search_organizations(name="Bioval")
    [cardio] = orgs.entries
    assert cardio.address == demo_world.CARDIOLOGY_BOX.address
    assert cardio.box_type is DirectoryBoxType.ORG
    assert cardio.name == "CHU Lumière — Cardiologie"
    assert [(e.address, e.box_type) for e in lab.entries] == [
        (demo_world.LAB_BOX.address, DirectoryBoxType.APP)]


def test_paging_is_followed(sandbox: dict[str, Any], fhir: dict[str, Any]) -> None:
    """Nurses (code 60) span two pages of 50; every one comes back once."""
    with _directory(sandbox) as directory:
        result = directory.search_practitioners(qualification_code="60", limit=1000)
    addresses = [e.address for e in result.entries]
    assert result.pages == 2
    assert result.total == len(addresses) > 50
    assert len(set(addresses)) == len(addresses)
    assert demo_world.NURSE_MOREAU.login in addresses
    assert not result.truncated
    log = _control(sandbox, "/log")["requests"]
    assert any("_getpages=" in r["path"] for r in log)


def test_red_listed_boxes_are_hidden(sandbox: dict[str, Any], fhir: dict[str, Any]) -> None:
    """MSSANTE.md §7: a box with listeRouge=true must not be shown."""
    with _directory(sandbox) as directory:
        bernard = directory.search_practitioners(name="Bernard")
        discreet = directory.search_practitioners(rpps=fhir_server.DISCREET_RPPS)
        by_box = directory.search_practitioners(mailbox_contains="confidentiel")
    assert [e.address for e in bernard.entries] == [demo_world.DR_BERNARD.login]
    assert bernard.hidden_red_listed == 1
    assert discreet.entries == [] and discreet.hidden_red_listed == 1
    assert by_box.entries == []
    everything = [e.address for r in (bernard, discreet, by_box) for e in r.entries]
    assert fhir_server.RED_LISTED_SECOND_BOX not in everything
    assert fhir_server.DISCREET_BOX not in everything


def test_429_storm_is_retried_then_succeeds(sandbox: dict[str, Any],
                                            fhir: dict[str, Any]) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(min(seconds, 0.05))  # honour the order of events, not the full delay

    _control(sandbox, mode="429", count="3", retry_after="1")
    with _directory(sandbox, sleep=sleep, max_attempts=5) as directory:
        result = directory.search_practitioners(name="martin")
    assert [e.address for e in result.entries] == [demo_world.DR_MARTIN.login]
    assert len([w for w in waits if w >= 1.0]) == 3  # Retry-After: 1 honoured each time
    assert len(_control(sandbox, "/log")["requests"]) == 4


def test_persistent_503_is_a_clear_error(sandbox: dict[str, Any], fhir: dict[str, Any]) -> None:
    _control(sandbox, mode="503", count="10")
    with (_directory(sandbox, sleep=lambda s: None, max_attempts=3) as directory,
          pytest.raises(ServerUnreachableError) as info):
        directory.search_practitioners(name="martin")
    assert "injoignable" in info.value.message and "503" in info.value.message
    assert info.value.exit_code == 3
    assert len(_control(sandbox, "/log")["requests"]) == 3


def test_html_instead_of_json_is_a_clear_error(sandbox: dict[str, Any],
                                               fhir: dict[str, Any]) -> None:
    _control(sandbox, mode="html", count="1")
    with _directory(sandbox) as directory, pytest.raises(FhirFormatError) as info:
        directory.search_practitioners(name="martin")
    assert "non JSON" in info.value.message and "text/html" in info.value.message


def test_wrong_api_key_is_an_authentication_error(sandbox: dict[str, Any],
                                                  fhir: dict[str, Any]) -> None:
    with _directory(sandbox, api_key="not-the-key") as directory, \
            pytest.raises(AuthenticationError) as info:
        directory.search_practitioners(name="martin")
    assert "clé d'API" in info.value.message
    assert "Unauthorized" in info.value.message  # the OperationOutcome's diagnostics


def test_city_search_does_not_exist_in_the_api(sandbox: dict[str, Any],
                                               fhir: dict[str, Any]) -> None:
    """The API has no city search (MSSANTE.md §7): its 400 OperationOutcome reaches the user."""
    with _directory(sandbox) as directory, pytest.raises(InvalidInputError) as info:
        directory.search("Practitioner", {"address-city": "Lyon"})
    assert "address-city" in info.value.message


def test_untrusted_certificate_is_refused(sandbox: dict[str, Any], fhir: dict[str, Any]) -> None:
    with _directory(sandbox, ca_file=None) as directory, \
            pytest.raises(ServerUnreachableError, match="certificat"):
        directory.search_practitioners(name="martin")


def test_rate_limit_is_never_exceeded_at_the_server(sandbox: dict[str, Any],
                                                    fhir: dict[str, Any]) -> None:
    """≤ 17 requests in any one-second window, counted on the server's own clock.

    Four threads share one client and fire 45 searches: unthrottled they would arrive far faster
    than 17 per second.
    """
    directory = _directory(sandbox)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(45 // 3):
                directory.search_practitioners(name="moreau")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    directory.close()
    assert not errors
    times = sorted(r["t"] for r in _control(sandbox, "/log")["requests"])
    assert len(times) == 45
    worst = max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))
    assert worst <= 17
    assert worst >= 10  # the limiter was actually under pressure, not idle
