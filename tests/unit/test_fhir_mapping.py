"""FHIR bundle mapping and the API client's own logic, without a server (MSSANTE.md §7).

Bundles are built here in the shape of the ANS implementation guide (ansforge/IG-fhir-annuaire:
FR Core email-type extension, ``as-ext-mailbox-mss-metadata``), then broken on purpose. The client
part uses httpx.MockTransport and an injected clock/sleep: no network, no waiting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from app.domain.directory_entry import DirectoryBoxType, DirectorySource
from app.errors import AuthenticationError, InvalidInputError, ServerUnreachableError
from app.protocols.fhir import (
    EMAIL_TYPE_EXTENSION,
    MAILBOX_METADATA_EXTENSION,
    FhirDirectory,
    FhirDirectoryConfig,
    FhirFormatError,
    RateLimiter,
    parse_bundle,
)
from app.protocols.fhir.client import _parse_retry_after
from app.protocols.fhir.mapping import LEGACY_MAILBOX_EXTENSION

IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
R38 = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"


def box(address: str, kind: str | None = "PER", *, red: Any = None, service: str = "",
        description: str = "", email_type: str | None = "MSSANTE") -> dict[str, Any]:
    meta: list[dict[str, Any]] = []
    if kind:
        meta.append({"url": "type", "valueCodeableConcept": {"coding": [{"code": kind}]}})
    if service:
        meta.append({"url": "service", "valueString": service})
    if description:
        meta.append({"url": "description", "valueString": description})
    if red is not None:
        meta.append({"url": "listeRouge", **red})
    ext: list[dict[str, Any]] = []
    if email_type:
        ext.append({"url": EMAIL_TYPE_EXTENSION, "valueCoding": {"code": email_type}})
    if meta:
        ext.append({"url": MAILBOX_METADATA_EXTENSION, "extension": meta})
    return {"extension": ext, "system": "email", "value": address}


def practitioner(pid: str = "p1", telecom: Any = None, **extra: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Practitioner", "id": pid,
        "identifier": [{"system": IDNPS, "value": "810102727017"},
                       {"system": "https://rpps.esante.gouv.fr", "value": "10102727017"}],
        "name": [{"use": "usual", "family": "CHATELIER", "given": ["David"], "prefix": ["M"]}],
        "telecom": telecom if telecom is not None else [box("davidchatelier@pro.mssante.fr")],
        "address": [{"city": "58400 LA-CHARITE-SUR-LOIRE", "postalCode": "58400"}],
        "qualification": [{"code": {"coding": [{"system": G15, "code": "21"}]}}],
    }
    resource.update(extra)
    return resource


def bundle(*resources: Any, include: tuple[Any, ...] = (), **extra: Any) -> dict[str, Any]:
    entries = [{"resource": r, "search": {"mode": "match"}} for r in resources]
    entries += [{"resource": r, "search": {"mode": "include"}} for r in include]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "link": [{"relation": "self", "url": "https://x/fhir/v2/Practitioner?name=a"}],
            "entry": entries, **extra}


# -- mapping ----------------------------------------------------------------------------------

def test_practitioner_in_the_ig_shape() -> None:
    page = parse_bundle(bundle(practitioner()))
    [entry] = page.entries
    assert entry.address == "davidchatelier@pro.mssante.fr"
    assert entry.box_type is DirectoryBoxType.PER
    assert entry.source is DirectorySource.FHIR
    assert (entry.given_name, entry.family_name) == ("David", "CHATELIER")
    assert entry.rpps == "10102727017"
    assert entry.national_id == "810102727017"
    assert entry.profession == "Pharmacien"  # code 21 without display: TRE_G15 label
    assert (entry.city, entry.postcode, entry.department) == ("LA-CHARITE-SUR-LOIRE", "58400",
                                                              "58")
    assert page.total == 1 and page.next_url is None


def test_non_mssante_emails_are_ignored() -> None:
    telecom = [box("perso@orange.fr", None, email_type=None),
               box("x@apicrypt.org", None, email_type="APICRYPT"),
               {"system": "phone", "value": "0102030405"},
               box("dr@medecin.mssante.fr", None, email_type=None)]  # no extension, .mssante.fr
    page = parse_bundle(bundle(practitioner(telecom=telecom)))
    assert [e.address for e in page.entries] == ["dr@medecin.mssante.fr"]


@pytest.mark.parametrize(("flag", "hidden"), [
    ({"valueBoolean": True}, True),
    ({"valueBoolean": False}, False),
    ({"valueString": "true"}, True),
    ({"valueString": "false"}, False),
    ({"valueInteger": 0}, True),  # unreadable flag: hidden, on the safe side
    ({"valueBoolean": None}, True),
])
def test_red_listed_boxes_are_hidden_and_counted(flag: dict[str, Any], hidden: bool) -> None:
    telecom = [box("visible@pro.mssante.fr"), box("secret@pro.mssante.fr", red=flag)]
    page = parse_bundle(bundle(practitioner(telecom=telecom)))
    addresses = [e.address for e in page.entries]
    assert ("secret@pro.mssante.fr" in addresses) is not hidden
    assert page.hidden_red_listed == (1 if hidden else 0)
    assert "visible@pro.mssante.fr" in addresses


def test_legacy_mailbox_extension_publication_flag_hides_too() -> None:
    telecom = [{"system": "email", "value": "old@pro.mssante.fr", "extension": [
        {"url": LEGACY_MAILBOX_EXTENSION, "extension": [
            {"url": "type", "valueCodeableConcept": {"coding": [{"code": "PER"}]}},
            {"url": "publication", "valueBoolean": True}]}]}]
    page = parse_bundle(bundle(practitioner(telecom=telecom)))
    assert page.entries == []
    assert page.hidden_red_listed == 1


def test_organization_boxes_with_type_service_description() -> None:
    org = {"resourceType": "Organization", "id": "o1", "name": "CH de Test",
           "identifier": [{"value": "010000001"}],
           "address": [{"city": "20000 AJACCIO", "postalCode": "20000"}],
           "telecom": [box("cardio@ch-test.mssante.fr", "ORG", service="Cardiologie"),
                       box("labo@ch-test.mssante.fr", "APP", description="Résultats"),
                       box("cab@ch-test.mssante.fr", "CAB")]}
    entries = {e.address: e for e in parse_bundle(bundle(org)).entries}
    cardio = entries["cardio@ch-test.mssante.fr"]
    assert cardio.box_type is DirectoryBoxType.ORG
    assert cardio.name == "CH de Test — Cardiologie"
    assert cardio.department == "2A"
    assert cardio.structure_id == "010000001"
    assert entries["labo@ch-test.mssante.fr"].box_type is DirectoryBoxType.APP
    assert entries["labo@ch-test.mssante.fr"].description == "Résultats"
    assert entries["cab@ch-test.mssante.fr"].box_type is DirectoryBoxType.CAB


def test_practitioner_role_resolves_included_practitioner_and_organization() -> None:
    role = {"resourceType": "PractitionerRole", "id": "r1",
            "practitioner": {"reference": "Practitioner/p1"},
            "organization": {"reference": "https://x/fhir/v2/Organization/o1"},
            "code": [{"coding": [{"system": G15, "code": "10"}]}],
            "specialty": [{"coding": [{"system": R38, "code": "SM54",
                                       "display": "Médecine générale"}]}],
            "telecom": [box("role@pro.mssante.fr")]}
    org = {"resourceType": "Organization", "id": "o1", "name": "Cabinet Test",
           "address": [{"city": "LYON", "postalCode": "69003"}]}
    [entry] = parse_bundle(bundle(role, include=(practitioner(telecom=[]), org))).entries
    assert entry.family_name == "CHATELIER"
    assert entry.profession == "Médecin"
    assert entry.specialty == "Médecine générale"
    assert entry.structure == "Cabinet Test"
    assert entry.postcode == "69003"


def test_same_address_on_practitioner_and_role_gives_one_entry() -> None:
    role = {"resourceType": "PractitionerRole", "id": "r1",
            "practitioner": {"reference": "Practitioner/p1"},
            "telecom": [box("davidchatelier@pro.mssante.fr", service="Officine")]}
    entries = parse_bundle(bundle(practitioner(), role)).entries
    assert len(entries) == 1
    assert entries[0].family_name == "CHATELIER"


@pytest.mark.parametrize("broken", [
    practitioner(telecom="not a list"),
    practitioner(name="CHATELIER", identifier=[1, None, "x"], address="Lyon",
                 qualification={"code": 3}),
    practitioner(telecom=[None, 3, "x", {"system": "email", "value": 42},
                          {"system": "email", "value": "a b@c.mssante.fr"},
                          {"system": "email", "value": "no-at-sign.mssante.fr"},
                          {"system": "email", "value": "ok@pro.mssante.fr", "extension": "bad"}]),
    {"resourceType": "Practitioner"},
    {"resourceType": "Patient", "id": "x", "telecom": [box("p@pro.mssante.fr")]},
])
def test_hostile_resources_never_crash(broken: dict[str, Any]) -> None:
    page = parse_bundle(bundle(broken))
    for entry in page.entries:
        assert "@" in entry.address and " " not in entry.address


def test_wrong_shapes_of_the_bundle_itself() -> None:
    page = parse_bundle({"resourceType": "Bundle", "entry": "x", "link": [None, {"relation":
                         "next", "url": 3}], "total": True})
    assert (page.entries, page.next_url, page.total) == ([], None, None)
    page = parse_bundle({"resourceType": "Bundle", "entry": [None, "x", {"resource": []}],
                         "link": [{"relation": "next", "url": "https://x/fhir/v2?_getpages=1"}],
                         "total": "12"})
    assert page.next_url == "https://x/fhir/v2?_getpages=1"
    assert page.total is None


@pytest.mark.parametrize("body", ["<html><body>Maintenance</body></html>", None, [], 42,
                                  {"resourceType": "Patient"}])
def test_non_bundles_are_format_errors(body: Any) -> None:
    with pytest.raises(FhirFormatError) as info:
        parse_bundle(body)
    assert "résultat de recherche FHIR" in info.value.message


def test_operation_outcome_text_reaches_the_user() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "processing", "diagnostics": "Paramètre inconnu : city"}]}
    with pytest.raises(FhirFormatError, match="Paramètre inconnu : city"):
        parse_bundle(outcome)


# -- rate limiter and Retry-After -------------------------------------------------------------

class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)


def _max_in_window(times: list[float], window: float) -> int:
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t - start < window))
    return best


def test_rate_limiter_never_exceeds_17_in_any_second() -> None:
    fake = FakeTime()
    limiter = RateLimiter(17, 1.0, clock=fake.clock, sleep=fake.sleep)
    starts = [limiter.acquire() for _ in range(100)]
    assert _max_in_window(starts, 1.0) == 17
    assert starts[17] - starts[0] >= 1.0  # the 18th waited for the window to move
    assert starts[16] == starts[0]  # but a burst of 17 was allowed at once


def test_rate_limiter_with_spread_requests_does_not_wait() -> None:
    fake = FakeTime()
    limiter = RateLimiter(17, 1.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(50):
        limiter.acquire()
        fake.now += 0.1
    assert fake.sleeps == []


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert _parse_retry_after("3") == 3.0
    assert _parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True),
                              now) == pytest.approx(7.0)
    assert _parse_retry_after("-5") == 0.0
    assert _parse_retry_after("soon") is None
    assert _parse_retry_after("nan") is None
    assert _parse_retry_after(None) is None


# -- client over a mock transport -------------------------------------------------------------

BASE = "https://api.test/fhir/v2"


def _client(handler: Callable[[httpx.Request], httpx.Response], fake: FakeTime,
            **config: Any) -> FhirDirectory:
    cfg = FhirDirectoryConfig(base_url=BASE, api_key="k", **config)
    return FhirDirectory(cfg, transport=httpx.MockTransport(handler), clock=fake.clock,
                         sleep=fake.sleep)


def _json(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"Content-Type": "application/fhir+json", **headers})


def test_client_sends_key_and_exact_parameters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _json(bundle(practitioner()))

    fake = FakeTime()
    result = _client(handler, fake).search_practitioners(rpps="10102727017",
                                                         mailbox_contains="chatelier")
    assert [e.rpps for e in result.entries] == ["10102727017"]
    request = seen[0]
    assert request.headers["ESANTE-API-KEY"] == "k"
    assert request.url.path == "/fhir/v2/Practitioner"
    params = list(request.url.params.multi_items())
    assert ("identifier", f"{IDNPS}|810102727017") in params
    assert ("mailbox-mss:contains", "chatelier") in params
    assert ("_count", "50") in params


def test_429_storm_is_retried_with_retry_after_then_succeeds() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= 3:
            return _json({"resourceType": "OperationOutcome"}, 429, **{"Retry-After": "2"})
        return _json(bundle(practitioner()))

    fake = FakeTime()
    result = _client(handler, fake, max_attempts=4).search_practitioners(name="chat")
    assert len(result.entries) == 1
    assert [s for s in fake.sleeps if s >= 2.0] == [2.0, 2.0, 2.0]


def test_persistent_5xx_is_server_unreachable_after_bounded_attempts() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return _json({"resourceType": "OperationOutcome"}, 503)

    fake = FakeTime()
    with pytest.raises(ServerUnreachableError) as info:
        _client(handler, fake, max_attempts=3).search_practitioners(name="x")
    assert calls["n"] == 3
    assert "503" in info.value.message and "3 tentatives" in info.value.message
    assert fake.sleeps == [0.5, 1.0]  # exponential backoff between the attempts


def test_excessive_retry_after_fails_at_once() -> None:
    fake = FakeTime()
    client = _client(lambda r: _json({}, 429, **{"Retry-After": "3600"}), fake)
    with pytest.raises(ServerUnreachableError, match="3600 s"):
        client.search_practitioners(name="x")


def test_html_answer_and_wrong_key_and_bad_request() -> None:
    fake = FakeTime()
    html = _client(lambda r: httpx.Response(200, content=b"<html>Portail captif</html>",
                                            headers={"Content-Type": "text/html"}), fake)
    with pytest.raises(FhirFormatError, match=r"non JSON.*text/html"):
        html.search_practitioners(name="x")
    refused = _client(lambda r: _json({"resourceType": "OperationOutcome", "issue": [
        {"diagnostics": "Invalid API key"}]}, 401), fake)
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        refused.search_practitioners(name="x")
    bad = _client(lambda r: _json({"resourceType": "OperationOutcome", "issue": [
        {"diagnostics": "Unknown search parameter city"}]}, 400), fake)
    with pytest.raises(InvalidInputError, match="Unknown search parameter city"):
        bad.search("Practitioner", {"city": "Lyon"})


def test_transport_errors_and_timeouts_are_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    fake = FakeTime()
    with pytest.raises(ServerUnreachableError, match="délai"):
        _client(handler, fake, max_attempts=2).search_practitioners(name="x")


def test_next_link_to_another_origin_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _json(bundle(practitioner(), link=[
            {"relation": "next", "url": "https://evil.example/fhir/v2?_getpages=1"}]))

    fake = FakeTime()
    with pytest.raises(FhirFormatError, match="autre serveur"):
        _client(handler, fake).search_practitioners(name="x", limit=500)


def test_paging_follows_next_until_limit() -> None:
    pages = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        pages["n"] += 1
        n = pages["n"]
        telecom = [box(f"p{n}-{i}@pro.mssante.fr") for i in range(3)]
        link = [{"relation": "next", "url": f"{BASE}?_getpages=s&_getpagesoffset={n * 3}"}]
        return _json(bundle(practitioner(f"p{n}", telecom=telecom), link=link))

    fake = FakeTime()
    result = _client(handler, fake).search_practitioners(name="x", limit=7)
    assert len(result.entries) == 7
    assert result.pages == 3 and result.truncated


@pytest.mark.parametrize("bad", [{"base_url": "http://api.test/fhir"}, {"api_key": " "},
                                 {"max_requests_per_second": 50}])
def test_config_is_checked(bad: dict[str, Any]) -> None:
    values: dict[str, Any] = {"base_url": BASE, "api_key": "k", **bad}
    with pytest.raises(InvalidInputError):
        FhirDirectoryConfig(**values)


def test_search_criteria_are_checked() -> None:
    fake = FakeTime()
    client = _client(lambda r: _json(bundle()), fake)
    with pytest.raises(InvalidInputError, match="RPPS"):
        client.search_practitioners(rpps="12ab")
    with pytest.raises(InvalidInputError):
        client.search_practitioners()
    with pytest.raises(InvalidInputError):
        client.search_practitioners(name="a\x00b")
