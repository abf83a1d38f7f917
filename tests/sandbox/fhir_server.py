"""A STAND-IN for the Annuaire Santé FHIR API v2 (the real one needs an ANS key and the internet).

It answers like ``https://gateway.api.esante.gouv.fr/fhir/v2``: FHIR R4 JSON search bundles
(``type = searchset``, ``total``, ``link`` self/next in HAPI's ``_getpages`` style, pages of 50),
Practitioner / PractitionerRole / Organization resources whose MSSanté boxes are ``telecom``
entries with the FR Core email-type extension (``MSSANTE``) and the IG's
``as-ext-mailbox-mss-metadata`` (type, description, service, listeRouge), the ``ESANTE-API-KEY``
header required (401 OperationOutcome otherwise), unknown search parameters refused (400
OperationOutcome). Shapes follow the ANS implementation guide (ansforge/IG-fhir-annuaire).

Data: the demo world's people and boxes, the CHU crowd of the sandbox LDAP, a crowd of nurses so
that searches need two pages or more, and red-listed boxes (which a client must hide).

Test controls (no key needed, not counted as API requests):
  GET /_control?mode=429&count=3&retry_after=1   the next 3 API requests answer 429 + Retry-After
  GET /_control?mode=503&count=N                 ... answer 503 (OperationOutcome)
  GET /_control?mode=html&count=N                ... answer 200 with an HTML maintenance page
  GET /_control/log                              {"requests": [{"t": monotonic, "path": ...}]}
  GET /_control/reset                            clear the log and any pending failure

``start(ctx)`` runs ``python -m tests.sandbox.fhir_server`` on 127.0.0.1 (TLS, sandbox certificate)
and publishes ``ctx.endpoints["fhir"] = {"base_url", "api_key", "control_url"}``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import threading
import time
import unicodedata
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import demo_world, slapd
from .common import HOST, SandboxContext
from .static_https import tls_context

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
BASE_PATH = "/fhir/v2"
API_KEY_HEADER = "ESANTE-API-KEY"
PAGE_SIZE = 50
CROWD = 60  # nurses of the CHU, so that "qualification-code=60" spans two pages

EMAIL_TYPE_EXT = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
EMAIL_TYPE_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie")
METADATA_EXT = (
    "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata")
BOX_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL"
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
PROFESSION_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante")
SPECIALTY_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale")
FINESS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"

PROFESSION_CODES = {"Médecin": "10", "Pharmacien": "21", "Chirurgien-dentiste": "40",
                    "Sage-femme": "50", "Infirmier": "60", "Masseur-kinésithérapeute": "70"}
SPECIALTY_CODES = {"Médecine générale": "SM54", "Cardiologie": "SM04", "Pédiatrie": "SM40",
                   "Radiodiagnostic et imagerie médicale": "SM44",
                   "Anesthésie-réanimation": "SM02", "Pharmacie hospitalière": "SP01",
                   "Chirurgie orale": "SCD02"}
CIVILITIES = {"Dr": "DR", "Pr": "PR", "Mme": "MME", "M.": "M"}

# Red-listed boxes: present in the data, never to be shown by a client.
RED_LISTED_SECOND_BOX = f"c.bernard.confidentiel@{demo_world.PRACTICE_CROIX_ROUSSE}"
DISCREET_BOX = f"sylvain.discret@{demo_world.PRACTICE_RIVOLI}"
DISCREET_RPPS = "10009990001"


# -- resources ------------------------------------------------------------------------------------

def _mailbox(address: str, kind: str, *, description: str = "", service: str = "",
             red_listed: bool = False) -> dict[str, Any]:
    meta: list[dict[str, Any]] = [{"url": "type", "valueCodeableConcept": {
        "coding": [{"system": BOX_TYPE_SYSTEM, "code": kind}]}}]
    if description:
        meta.append({"url": "description", "valueString": description})
    if service:
        meta.append({"url": "service", "valueString": service})
    meta.append({"url": "listeRouge", "valueBoolean": red_listed})
    return {
        "extension": [
            {"url": EMAIL_TYPE_EXT,
             "valueCoding": {"system": EMAIL_TYPE_SYSTEM, "code": "MSSANTE"}},
            {"extension": meta, "url": METADATA_EXT},
        ],
        "system": "email",
        "value": address,
    }


def _address(city: str, postcode: str, street: str = "") -> dict[str, Any]:
    address: dict[str, Any] = {"use": "work", "city": f"{postcode} {city.upper()}",
                               "postalCode": postcode, "country": "99100"}
    if street:
        address["line"] = [street]
    return address


def _organization(oid: str, name: str, finess: str, city: str, postcode: str,
                  boxes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Organization", "id": oid,
        "meta": {"profile": ["https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/"
                             "as-organization"]},
        "identifier": [{"use": "official", "system": FINESS_SYSTEM, "value": finess}],
        "active": True, "name": name, "telecom": boxes,
        "address": [_address(city, postcode, "1 RUE DE LA DEMO")],
    }


def _practitioner(pid: str, *, given: str, family: str, title: str, profession: str,
                  specialty: str | None, rpps: str, boxes: list[dict[str, Any]],
                  city: str, postcode: str) -> dict[str, Any]:
    qualification: list[dict[str, Any]] = [{"code": {"coding": [
        {"system": PROFESSION_SYSTEM, "code": PROFESSION_CODES.get(profession, "10")}]}}]
    if specialty:
        qualification.append({"code": {"coding": [
            {"system": SPECIALTY_SYSTEM, "code": SPECIALTY_CODES.get(specialty, "SM99"),
             "display": specialty}]}})
    return {
        "resourceType": "Practitioner", "id": pid,
        "meta": {"profile": ["https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/"
                             "as-practitioner"]},
        "identifier": [
            {"use": "official", "type": {"coding": [{
                "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203",
                "code": "IDNPS"}]}, "system": IDNPS_SYSTEM, "value": "8" + rpps},
            {"use": "official", "type": {"coding": [{
                "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203",
                "code": "RPPS"}]}, "system": RPPS_SYSTEM, "value": rpps},
        ],
        "active": True,
        "name": [{"use": "usual", "family": family.upper(), "given": [given],
                  "prefix": [CIVILITIES.get(title, title.upper())]}],
        "telecom": boxes,
        "address": [_address(city, postcode)],
        "qualification": qualification,
    }


def _role(rid: str, practitioner: dict[str, Any], org_id: str) -> dict[str, Any]:
    codes = [q["code"] for q in practitioner["qualification"]]
    return {
        "resourceType": "PractitionerRole", "id": rid,
        "meta": {"profile": ["https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/"
                             "as-practitionerrole"]},
        "active": True,
        "practitioner": {"reference": f"Practitioner/{practitioner['id']}"},
        "organization": {"reference": f"Organization/{org_id}"},
        "code": codes[:1],
        "specialty": codes[1:],
        "telecom": practitioner["telecom"],
    }


def build_resources() -> dict[str, list[dict[str, Any]]]:
    """Every resource the stand-in serves, by type (deterministic)."""
    chu_services = [("cardiologie", "Cardiologie"), ("urgences", "Urgences"),
                    ("pediatrie", "Pédiatrie"), ("imagerie", "Imagerie")]
    orgs = [
        _organization("org-rivoli", "Cabinet médical Rivoli", "690000101", "Lyon", "69001", []),
        _organization("org-croix-rousse", "Maison de santé Croix-Rousse", "690000102", "Lyon",
                      "69004", []),
        _organization("org-chu", "CHU Lumière", "690000103", "Villeurbanne", "69100", [
            _mailbox(f"{local}@{demo_world.HOSPITAL}", "ORG", service=service,
                     description=f"Secrétariat — {service}") for local, service in chu_services]),
        _organization("org-bioval", "Laboratoire Bioval", "690000104", "Lyon", "69007", [
            _mailbox(demo_world.LAB_BOX.address, "APP",
                     description="Résultats d'analyses (envoi automatique)")]),
    ]
    org_of = {demo_world.PRACTICE_RIVOLI: "org-rivoli",
              demo_world.PRACTICE_CROIX_ROUSSE: "org-croix-rousse",
              demo_world.HOSPITAL: "org-chu"}
    practitioners: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []

    def add(given: str, family: str, title: str, profession: str, specialty: str | None,
            rpps: str, boxes: list[dict[str, Any]], city: str, postcode: str, org: str) -> None:
        pid = f"pp-{rpps}"
        practitioner = _practitioner(pid, given=given, family=family, title=title,
                                     profession=profession, specialty=specialty, rpps=rpps,
                                     boxes=boxes, city=city, postcode=postcode)
        practitioners.append(practitioner)
        roles.append(_role(f"role-{rpps}", practitioner, org))

    for person in demo_world.PEOPLE:
        boxes = [_mailbox(person.login, "PER")]
        if person is demo_world.DR_MARTIN:
            boxes.append({"system": "email", "value": "jean.martin@example.org"})  # not MSSanté
        if person is demo_world.DR_BERNARD:
            boxes.append(_mailbox(RED_LISTED_SECOND_BOX, "PER", red_listed=True))
        domain = person.login.split("@", 1)[1]
        add(person.given_name, person.family_name, person.title, person.profession,
            person.specialty, person.rpps, boxes, person.city, person.postcode, org_of[domain])
    add("Sylvain", "Discret", "Dr", "Médecin", "Médecine générale", DISCREET_RPPS,
        [_mailbox(DISCREET_BOX, "PER", red_listed=True)], "Lyon", "69001", "org-rivoli")
    for extra in slapd.extra_people():
        add(extra["given"], extra["family"], extra["title"], extra["profession"],
            extra["specialty"] or None, extra["rpps"], [_mailbox(extra["address"], "PER")],
            extra["city"], extra["postcode"], "org-chu")
    for i in range(CROWD):
        given = slapd._GIVEN[(i * 5 + 3) % len(slapd._GIVEN)]
        family = slapd._FAMILY[(i * 11 + 7) % len(slapd._FAMILY)]
        local = f"{slapd._ascii(given)}.{slapd._ascii(family)}.{i:02d}"
        add(given, family, "Mme" if i % 2 else "M.", "Infirmier", None, f"1000700{i:04d}",
            [_mailbox(f"{local}@{demo_world.HOSPITAL}", "PER", service="Pool infirmier")],
            "Villeurbanne", "69100", "org-chu")
    return {"Practitioner": practitioners, "PractitionerRole": roles, "Organization": orgs}


# -- search ---------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _emails(resource: dict[str, Any]) -> list[str]:
    return [t.get("value", "") for t in resource.get("telecom", []) if t.get("system") == "email"]


def _identifier_matches(resource: dict[str, Any], wanted: str) -> bool:
    system, _, value = wanted.rpartition("|")
    return any(i.get("value") == value and (not system or i.get("system") == system)
               for i in resource.get("identifier", []))


def _names(resource: dict[str, Any]) -> tuple[list[str], list[str]]:
    families, givens = [], []
    for name in resource.get("name", []):
        families.append(name.get("family", ""))
        givens.extend(name.get("given", []))
    return families, givens


class SearchError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


_COMMON = {"_count", "_include", "_pretty", "_total", "_format"}
_ALLOWED = {
    "Practitioner": {"name", "family", "given", "identifier", "qualification-code",
                     "mailbox-mss", "mailbox-mss:contains", "_id"},
    "PractitionerRole": {"practitioner.identifier", "role", "mailbox-mss",
                         "mailbox-mss:contains", "organization", "practitioner", "_id"},
    "Organization": {"name", "identifier", "mailbox-mss", "mailbox-mss:contains", "_id"},
}


def search(data: dict[str, list[dict[str, Any]]], resource_type: str,
           params: list[tuple[str, str]]) -> list[dict[str, Any]]:
    if resource_type not in _ALLOWED:
        raise SearchError(404, f"Unknown resource type '{resource_type}'")
    for key, _value in params:
        if key not in _ALLOWED[resource_type] and key not in _COMMON:
            raise SearchError(400, f"Unknown search parameter \"{key}\" for resource type "
                                   f"\"{resource_type}\"")
    by_id = {f"{r['resourceType']}/{r['id']}": r for rs in data.values() for r in rs}
    results = []
    for resource in data[resource_type]:
        if all(_matches(resource, key, value, by_id) for key, value in params
               if not key.startswith("_") or key == "_id"):
            results.append(resource)
    return results


def _matches(resource: dict[str, Any], key: str, value: str, by_id: dict[str, Any]) -> bool:
    wanted = _fold(value)
    if key == "_id":
        return bool(resource["id"] == value)
    if key in ("name", "family", "given"):
        if resource["resourceType"] == "Organization":
            return wanted in _fold(resource.get("name", ""))
        families, givens = _names(resource)
        pool = families if key == "family" else givens if key == "given" else families + givens
        # FHIR string search: case- and accent-insensitive "starts with", on any word too.
        return any(_fold(p).startswith(wanted) or any(w.startswith(wanted)
                                                      for w in _fold(p).split())
                   for p in pool)
    if key == "identifier":
        return _identifier_matches(resource, value)
    if key == "practitioner.identifier":
        target = by_id.get(resource.get("practitioner", {}).get("reference", ""), {})
        return _identifier_matches(target, value)
    if key in ("qualification-code", "role"):
        concepts = ([q["code"] for q in resource.get("qualification", [])]
                    if key == "qualification-code" else resource.get("code", []))
        return any(c.get("code") == value.rpartition("|")[2]
                   for concept in concepts for c in concept.get("coding", []))
    if key == "mailbox-mss":
        return any(e.casefold() == value.casefold() for e in _emails(resource))
    if key == "mailbox-mss:contains":
        return any(wanted in e.casefold() for e in _emails(resource))
    if key in ("organization", "practitioner"):
        return bool(resource.get(key, {}).get("reference", "").endswith(value))
    return False


# -- HTTP -----------------------------------------------------------------------------------------

def _outcome(code: str, text: str, severity: str = "error") -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": text}]}


class State:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.data = build_resources()
        self.lock = threading.Lock()
        self.log: list[dict[str, Any]] = []
        self.fail_mode = ""
        self.fail_count = 0
        self.retry_after = "1"
        self.searches: dict[str, tuple[list[dict[str, Any]], list[str], str]] = {}


class FhirHandler(BaseHTTPRequestHandler):
    server_version = "EstafetteFhirStandIn/1"
    sys_version = ""
    state: State  # set on the class by serve()

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _send(self, status: int, body: Any, *, content_type: str = "application/fhir+json",
              headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type};charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def _base_url(self) -> str:
        host = self.headers.get("Host", f"localhost:{self.server.server_address[1]}")
        return f"https://{host}{BASE_PATH}"

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if parts.path.startswith("/_control"):
            self._control(parts.path, dict(params))
            return
        state = self.state
        with state.lock:
            state.log.append({"t": time.monotonic(), "path": self.path})
            mode = ""
            if state.fail_count > 0:
                state.fail_count -= 1
                mode = state.fail_mode
        if self.headers.get(API_KEY_HEADER) != state.api_key:
            self._send(401, _outcome("security", "Unauthorized: missing or invalid API key "
                                                 f"({API_KEY_HEADER})"))
            return
        if mode == "429":
            self._send(429, _outcome("throttled", "Too many requests"),
                       headers={"Retry-After": state.retry_after})
            return
        if mode == "503":
            self._send(503, _outcome("transient", "Service temporarily unavailable"))
            return
        if mode == "html":
            self._send(200, b"<!DOCTYPE html><html><body><h1>Maintenance en cours</h1>"
                            b"</body></html>", content_type="text/html")
            return
        if not parts.path.startswith(BASE_PATH):
            self._send(404, _outcome("not-found", f"Unknown path {parts.path}"))
            return
        rest = parts.path[len(BASE_PATH):].strip("/")
        try:
            count = max(1, min(int(dict(params).get("_count", PAGE_SIZE)), 100))
        except ValueError:
            self._send(400, _outcome("invalid", "Invalid _count"))
            return
        if rest == "" and "_getpages" in dict(params):
            self._page(dict(params), count)
            return
        try:
            matches = search(state.data, rest, params)
        except SearchError as exc:
            self._send(exc.status, _outcome("not-supported" if exc.status == 400 else
                                            "not-found", str(exc)))
            return
        includes = [v for k, v in params if k == "_include"]
        search_id = str(uuid.UUID(int=len(state.searches) + 1))
        self_url = f"{self._base_url()}/{rest}?{parts.query}"
        with state.lock:
            state.searches[search_id] = (matches, includes, self_url)
        self._bundle(search_id, 0, count)

    def _page(self, params: dict[str, str], count: int) -> None:
        search_id = params["_getpages"]
        if search_id not in self.state.searches:
            self._send(410, _outcome("not-found", "Search expired or unknown"))
            return
        try:
            offset = max(0, int(params.get("_getpagesoffset", "0")))
        except ValueError:
            self._send(400, _outcome("invalid", "Invalid _getpagesoffset"))
            return
        self._bundle(search_id, offset, count)

    def _bundle(self, search_id: str, offset: int, count: int) -> None:
        matches, includes, self_url = self.state.searches[search_id]
        page = matches[offset:offset + count]
        base = self._base_url()
        entries = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                    "search": {"mode": "match"}} for r in page]
        by_id = {f"{r['resourceType']}/{r['id']}": r for rs in self.state.data.values()
                 for r in rs}
        included: dict[str, dict[str, Any]] = {}
        for include in includes:
            _source, _, field = include.partition(":")
            for resource in page:
                ref = resource.get(field, {}).get("reference", "")
                if ref in by_id:
                    included[ref] = by_id[ref]
        entries += [{"fullUrl": f"{base}/{ref}", "resource": r, "search": {"mode": "include"}}
                    for ref, r in included.items()]
        links = [{"relation": "self", "url": self_url}]
        if offset + count < len(matches):
            links.append({"relation": "next", "url": (
                f"{base}?_getpages={search_id}&_getpagesoffset={offset + count}&_count={count}"
                "&_pretty=true&_bundletype=searchset")})
        if offset > 0:
            links.append({"relation": "previous", "url": (
                f"{base}?_getpages={search_id}&_getpagesoffset={max(0, offset - count)}"
                f"&_count={count}&_pretty=true&_bundletype=searchset")})
        bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()),
                  "meta": {"lastUpdated": "2026-11-22T00:00:00.000+00:00"},
                  "type": "searchset", "total": len(matches), "link": links, "entry": entries}
        self._send(200, bundle)

    def _control(self, path: str, params: dict[str, str]) -> None:
        state = self.state
        with state.lock:
            if path == "/_control/log":
                body: Any = {"requests": list(state.log)}
            elif path == "/_control/reset":
                state.log.clear()
                state.fail_mode, state.fail_count = "", 0
                body = {"ok": True}
            else:
                state.fail_mode = params.get("mode", "")
                state.fail_count = int(params.get("count", "1"))
                state.retry_after = params.get("retry_after", "1")
                body = {"ok": True, "mode": state.fail_mode, "count": state.fail_count}
        self._send(200, body, content_type="application/json")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        print(f"{client_address[0]}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


def serve(port: int, cert: str, key: str, api_key: str) -> None:
    handler = type("Handler", (FhirHandler,), {"state": State(api_key)})
    httpd = _Server((HOST, port), handler)
    httpd.socket = tls_context(cert, key).wrap_socket(
        httpd.socket, server_side=True, do_handshake_on_connect=False)
    print(f"FHIR stand-in on https://{HOST}:{port}{BASE_PATH}", file=sys.stderr, flush=True)
    httpd.serve_forever()


def start(ctx: SandboxContext) -> None:
    """Run the stand-in and publish its base URL and API key."""
    port = ctx.port("fhir")
    api_key = secrets.token_urlsafe(24)
    key_file = ctx.dir("fhir") / "api_key"
    key_file.write_text(api_key)
    key_file.chmod(0o600)
    proc = ctx.spawn("fhir_server", [
        sys.executable, "-m", "tests.sandbox.fhir_server", "--port", str(port),
        "--cert", ctx.pki["server_chain"], "--key", ctx.pki["server_key"],
        "--api-key-file", str(key_file),
    ], cwd=PROJECT_ROOT)
    ctx.wait_tcp("fhir_server", port, proc=proc)
    ctx.endpoints["fhir"] = {
        "base_url": f"https://localhost:{port}{BASE_PATH}",
        "api_key": api_key,
        "control_url": f"https://localhost:{port}/_control",
        "stand_in": True,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox.fhir_server")
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--api-key-file", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.cert, args.key, args.api_key_file.read_text().strip())
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
