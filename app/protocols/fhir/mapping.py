"""FHIR R4 search bundles of the Annuaire Santé API -> DirectoryEntry values (MSSANTE.md §7).

MSSanté boxes are ``telecom`` entries (``system = email``) of Practitioner, PractitionerRole and
Organization resources, marked by two extensions (IG "Annuaire Santé", ansforge/IG-fhir-annuaire):

* ``fr-core-contact-point-email-type`` (FR Core): ``valueCoding.code = MSSANTE``;
* ``as-ext-mailbox-mss-metadata``: sub-extensions ``type`` (CodeableConcept, PER|ORG|APP|CAB),
  ``description``, ``responsible``, ``service``, ``phone`` (strings), ``listeRouge`` (boolean).
  Older publications used ``as-ext-mailbox-mss`` with ``publication`` as the red-list flag; it is
  read too.

**Red-listed boxes are never returned** (``listeRouge`` true): they are counted, so the caller can
say "n hidden" without showing them. A red-list flag of the wrong type is read on the safe side
(hidden) unless it is plainly false.

Bundles come from the network: every field is type-checked; a resource that does not have the
expected shape is skipped and counted, never a crash. A body that is not a Bundle is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain.directory_entry import (
    DirectoryBoxType,
    DirectoryEntry,
    DirectorySource,
    department_from_postcode,
)
from app.errors import UserFacingError

EMAIL_TYPE_EXTENSION = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
MAILBOX_METADATA_EXTENSION = (
    "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata")
LEGACY_MAILBOX_EXTENSION = (
    "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss")
EMAIL_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
BOX_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL"
# National identifier of health professionals (IDNPS: "8" + RPPS, or "0" + ADELI).
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
PROFESSION_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
SPECIALTY_SYSTEM = ("https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/"
                    "TRE-R38-SpecialiteOrdinale")
MSSANTE_SUFFIX = ".mssante.fr"

# TRE_G15 labels for the codes the API sends without a display.
PROFESSION_LABELS: Mapping[str, str] = {
    "10": "Médecin", "21": "Pharmacien", "26": "Audioprothésiste", "28": "Opticien-Lunetier",
    "31": "Assistant dentaire", "40": "Chirurgien-Dentiste", "50": "Sage-Femme",
    "60": "Infirmier", "69": "Infirmier psychiatrique", "70": "Masseur-Kinésithérapeute",
    "80": "Pédicure-Podologue", "81": "Orthoprothésiste", "82": "Podo-Orthésiste",
    "83": "Orthopédiste-Orthésiste", "84": "Oculariste", "85": "Epithésiste",
    "86": "Technicien de laboratoire médical", "91": "Orthophoniste", "92": "Orthoptiste",
    "94": "Ergothérapeute", "95": "Diététicien", "96": "Psychomotricien",
    "98": "Manipulateur ERM",
}

_RESOURCE_TYPES = ("Practitioner", "PractitionerRole", "Organization")
_DEFAULT_TYPE = {"Practitioner": DirectoryBoxType.PER, "PractitionerRole": DirectoryBoxType.PER,
                 "Organization": DirectoryBoxType.ORG}


class FhirFormatError(UserFacingError):
    """The API answered something that is not a FHIR search result."""

    default_message = "L'annuaire santé a renvoyé une réponse illisible."
    default_message_en = "The health directory returned an unreadable answer."


@dataclass
class BundlePage:
    """What one search page gave: entries (red-listed removed) and how to get the next page."""

    entries: list[DirectoryEntry] = field(default_factory=list)
    hidden_red_listed: int = 0
    skipped_resources: int = 0  # resources whose shape was unusable
    next_url: str | None = None
    total: int | None = None


# -- defensive accessors (the JSON is untrusted) --------------------------------------------------

def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _extensions(element: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in (_dict(x) for x in _list(element.get("extension"))) if e.get("url") == url]


def _codings(concept: Any) -> list[dict[str, Any]]:
    return [c for c in (_dict(x) for x in _list(_dict(concept).get("coding"))) if c]


def _first_code(concept: Any, system: str | None = None) -> tuple[str, str]:
    """(code, display) of the first coding (of ``system`` when given)."""
    for coding in _codings(concept):
        if system is None or coding.get("system") == system:
            code = _str(coding.get("code"))
            if code:
                return code, _str(coding.get("display"))
    return "", ""


def operation_outcome_text(body: Any) -> str:
    """The diagnostics of an OperationOutcome, joined (empty when ``body`` is not one)."""
    data = _dict(body)
    if data.get("resourceType") != "OperationOutcome":
        return ""
    parts: list[str] = []
    for issue in (_dict(i) for i in _list(data.get("issue"))):
        text = _str(issue.get("diagnostics")) or _str(_dict(issue.get("details")).get("text"))
        if text:
            parts.append(text)
    return " ; ".join(parts)[:300]


# -- mailbox telecoms -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Mailbox:
    address: str
    box_type: DirectoryBoxType | None
    description: str
    service: str
    red_listed: bool


def _red_flag(value: Mapping[str, Any]) -> bool:
    """A red-list sub-extension's value; anything but an explicit false counts as red-listed."""
    if "valueBoolean" in value:
        flag = value["valueBoolean"]
        return flag is not False
    for key in ("valueString", "valueCode"):
        if key in value:
            return _str(value[key]).lower() not in ("false", "n", "non", "0")
    return True


def _mailbox(telecom: Mapping[str, Any]) -> _Mailbox | None:
    if telecom.get("system") != "email":
        return None
    address = _str(telecom.get("value"))
    if "@" not in address or any(c.isspace() for c in address):
        return None
    email_type = ""
    for ext in _extensions(telecom, EMAIL_TYPE_EXTENSION):
        email_type = _str(_dict(ext.get("valueCoding")).get("code")).upper() or email_type
    metadata = _extensions(telecom, MAILBOX_METADATA_EXTENSION)
    legacy = _extensions(telecom, LEGACY_MAILBOX_EXTENSION)
    is_mss = (email_type == "MSSANTE" or bool(metadata) or bool(legacy)
              or (not email_type and address.lower().endswith(MSSANTE_SUFFIX)))
    if not is_mss:
        return None  # a personal or other messaging address (APICRYPT, plain e-mail)
    box_type: DirectoryBoxType | None = None
    description = service = ""
    red_listed = False
    for ext, red_key in [(m, "listeRouge") for m in metadata] + [(g, "publication")
                                                                 for g in legacy]:
        for sub in (_dict(x) for x in _list(ext.get("extension"))):
            key = sub.get("url")
            if key == "type":
                code, _display = _first_code(sub.get("valueCodeableConcept"))
                box_type = DirectoryBoxType.parse(code) or box_type
            elif key == "description":
                description = _str(sub.get("valueString")) or description
            elif key == "service":
                service = _str(sub.get("valueString")) or service
            elif key == red_key:
                red_listed = red_listed or _red_flag(sub)
    return _Mailbox(address, box_type, description, service, red_listed)


# -- resources --------------------------------------------------------------------------------

@dataclass
class _Facts:
    """What a resource says about the box holder (merged from referenced resources)."""

    civility: str = ""
    family_name: str = ""
    given_name: str = ""
    profession_code: str = ""
    profession: str = ""
    specialty_code: str = ""
    specialty: str = ""
    structure: str = ""
    structure_id: str = ""
    street_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    rpps: str = ""
    adeli: str = ""
    national_id: str = ""

    def fill_from(self, other: _Facts) -> None:
        for name in self.__dataclass_fields__:
            if not getattr(self, name):
                setattr(self, name, getattr(other, name))


def _human_name(resource: Mapping[str, Any], facts: _Facts) -> None:
    names = [_dict(n) for n in _list(resource.get("name"))]
    usual = next((n for n in names if n.get("use") == "usual"), names[0] if names else {})
    facts.family_name = _str(usual.get("family"))
    facts.given_name = " ".join(g for g in (_str(x) for x in _list(usual.get("given"))) if g)
    facts.civility = next((p for p in (_str(x) for x in _list(usual.get("prefix"))) if p), "")


def _address(resource: Mapping[str, Any], facts: _Facts) -> None:
    addresses = [_dict(a) for a in _list(resource.get("address"))]
    if not addresses:
        return
    address = next((a for a in addresses if a.get("use") == "work"), addresses[0])
    facts.postcode = _str(address.get("postalCode"))
    city = _str(address.get("city"))
    # The API writes the routing line ("58400 LA-CHARITE-SUR-LOIRE") in city.
    if facts.postcode and city.startswith(facts.postcode):
        city = city[len(facts.postcode):].strip()
    facts.city = city
    facts.street_lines = tuple(s for s in (_str(x) for x in _list(address.get("line"))) if s)


def _identifiers(resource: Mapping[str, Any], facts: _Facts) -> None:
    for ident in (_dict(i) for i in _list(resource.get("identifier"))):
        system, value = ident.get("system"), _str(ident.get("value"))
        if not value:
            continue
        if system == IDNPS_SYSTEM:
            facts.national_id = facts.national_id or value
            if value.startswith("8") and len(value) == 12:
                facts.rpps = facts.rpps or value[1:]
            elif value.startswith("0"):
                facts.adeli = facts.adeli or value[1:]
        elif system == RPPS_SYSTEM:
            facts.rpps = value


def _qualifications(concepts: Iterable[Any], facts: _Facts) -> None:
    for concept in concepts:
        if not facts.profession_code:
            code, display = _first_code(concept, PROFESSION_SYSTEM)
            if code:
                facts.profession_code = code
                facts.profession = display or PROFESSION_LABELS.get(code, code)
        if not facts.specialty_code:
            code, display = _first_code(concept, SPECIALTY_SYSTEM)
            if code:
                facts.specialty_code = code
                facts.specialty = display or code


def _organization_facts(resource: Mapping[str, Any]) -> _Facts:
    facts = _Facts(structure=_str(resource.get("name")))
    for ident in (_dict(i) for i in _list(resource.get("identifier"))):
        value = _str(ident.get("value"))
        if value:
            facts.structure_id = value
            break
    _address(resource, facts)
    return facts


def _practitioner_facts(resource: Mapping[str, Any]) -> _Facts:
    facts = _Facts()
    _human_name(resource, facts)
    _identifiers(resource, facts)
    _address(resource, facts)
    _qualifications((_dict(q).get("code") for q in _list(resource.get("qualification"))), facts)
    return facts


def _resolve(reference: Any, index: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    ref = _str(_dict(reference).get("reference"))
    if not ref:
        return {}
    # "Practitioner/123", or a full URL ending in it.
    parts = ref.rstrip("/").split("/")
    key = "/".join(parts[-2:]) if len(parts) >= 2 else ref
    return index.get(key, {})


def _role_facts(resource: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]) -> _Facts:
    facts = _Facts()
    _qualifications(_list(resource.get("code")), facts)
    _qualifications(_list(resource.get("specialty")), facts)
    practitioner = _resolve(resource.get("practitioner"), index)
    if practitioner:
        facts.fill_from(_practitioner_facts(practitioner))
    elif display := _str(_dict(resource.get("practitioner")).get("display")):
        facts.family_name = display
    organization = _resolve(resource.get("organization"), index)
    if organization:
        org = _organization_facts(organization)
        facts.structure, facts.structure_id = org.structure, org.structure_id
        if org.postcode or org.city:
            # A role is a place of practice: its address wins over the person's correspondence
            # address.
            facts.street_lines, facts.postcode, facts.city = (org.street_lines, org.postcode,
                                                              org.city)
    elif display := _str(_dict(resource.get("organization")).get("display")):
        facts.structure = display
    return facts


def _entries_of(resource: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]],
                page: BundlePage) -> list[DirectoryEntry]:
    kind = resource.get("resourceType")
    mailboxes = [m for m in (_mailbox(_dict(t)) for t in _list(resource.get("telecom"))) if m]
    if not mailboxes:
        return []
    if kind == "Practitioner":
        facts = _practitioner_facts(resource)
    elif kind == "PractitionerRole":
        facts = _role_facts(resource, index)
    else:
        facts = _organization_facts(resource)
    entries = []
    for box in mailboxes:
        if box.red_listed:
            page.hidden_red_listed += 1
            continue
        box_type = box.box_type or _DEFAULT_TYPE[str(kind)]
        entries.append(DirectoryEntry(
            address=box.address, box_type=box_type, source=DirectorySource.FHIR,
            civility=facts.civility, family_name=facts.family_name, given_name=facts.given_name,
            profession_code=facts.profession_code, profession=facts.profession,
            specialty_code=facts.specialty_code, specialty=facts.specialty,
            structure=facts.structure, service=box.service, description=box.description,
            street_lines=facts.street_lines, postcode=facts.postcode, city=facts.city,
            department=department_from_postcode(facts.postcode), rpps=facts.rpps,
            adeli=facts.adeli, national_id=facts.national_id, structure_id=facts.structure_id,
        ))
    return entries


def _richness(entry: DirectoryEntry) -> int:
    return sum(1 for v in (entry.family_name, entry.given_name, entry.profession, entry.specialty,
                           entry.structure, entry.city, entry.postcode, entry.rpps) if v)


def parse_bundle(body: Any) -> BundlePage:
    """One search page. Raises FhirFormatError when ``body`` is not a Bundle."""
    data = _dict(body)
    kind = data.get("resourceType")
    if kind != "Bundle":
        outcome = operation_outcome_text(body)
        if outcome:
            raise FhirFormatError(f"L'annuaire santé a répondu par une erreur : {outcome}.",
                                  message_en=f"The health directory answered with an error: "
                                             f"{outcome}.")
        raise FhirFormatError(
            "L'annuaire santé a renvoyé autre chose qu'un résultat de recherche FHIR.",
            message_en="The health directory returned something other than a FHIR search "
                       "result.")
    page = BundlePage()
    total = data.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        page.total = total
    for link in (_dict(x) for x in _list(data.get("link"))):
        if link.get("relation") == "next" and _str(link.get("url")):
            page.next_url = _str(link.get("url"))
    resources: list[dict[str, Any]] = []
    index: dict[str, Mapping[str, Any]] = {}
    for item in (_dict(x) for x in _list(data.get("entry"))):
        resource = _dict(item.get("resource"))
        kind = resource.get("resourceType")
        if kind not in _RESOURCE_TYPES:
            if resource or item:
                page.skipped_resources += 1
            continue
        rid = _str(resource.get("id"))
        if rid:
            index[f"{kind}/{rid}"] = resource
        mode = _dict(item.get("search")).get("mode")
        if mode != "include":
            resources.append(resource)
    by_address: dict[str, DirectoryEntry] = {}
    for resource in resources:
        try:
            found = _entries_of(resource, index, page)
        except (TypeError, ValueError, AttributeError, KeyError):
            # Defensive: a shape the accessors above did not foresee skips one resource only.
            page.skipped_resources += 1
            continue
        for entry in found:
            key = entry.address.casefold()
            kept = by_address.get(key)
            if kept is None or _richness(entry) > _richness(kept):
                by_address[key] = entry if kept is None else _merge(entry, kept)
    page.entries = list(by_address.values())
    return page


def _merge(best: DirectoryEntry, other: DirectoryEntry) -> DirectoryEntry:
    """``best`` with its empty text fields filled from ``other`` (same address)."""
    missing = {name: getattr(other, name) for name in ("service", "description", "structure",
                                                       "city", "postcode", "department")
               if not getattr(best, name) and getattr(other, name)}
    return replace(best, **missing) if missing else best
