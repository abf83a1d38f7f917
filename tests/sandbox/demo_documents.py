"""Documents of the demo world, generated here (never copied from the corpus): PDF, CDA R2 level 1.

Everything is deterministic: the same arguments give the same bytes, so seeded mailboxes and the
tests that read them are reproducible. Identifiers are UUID-derived OIDs (``2.25.<uuid>``), unique
by construction, so no demo identifier squats a real French OID arc.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import textwrap
import uuid
from dataclasses import dataclass

from lxml import etree

from . import demo_world
from .demo_world import Patient, Person

HL7_NS = "urn:hl7-org:v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
LOINC = "2.16.840.1.113883.6.1"
RPPS_OID = "1.2.250.1.71.4.2.1"  # national id of a professional: "8" + RPPS
STRUCTURE_OID = "1.2.250.1.71.4.2.2"  # national id of a structure: "1" + FINESS, "3" + SIRET...
PROFESSION_OID = "1.2.250.1.213.1.1.4.5"  # TRE_G15 profession / savoir-faire
FACILITY_TYPE_OID = "1.2.250.1.71.4.2.4"  # healthcareFacilityTypeCode
PRACTICE_SETTING_OID = "1.2.250.1.213.1.1.4.9"  # practiceSettingCode
CONFIDENTIALITY_OID = "2.16.840.1.113883.5.25"
GENDER_OID = "2.16.840.1.113883.5.1"
# HL7 France, CI-SIS, IHE XDS-SD (a PDF wrapped in a level 1 document).
LEVEL1_TEMPLATE_IDS = ("2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1",
                       "1.3.6.1.4.1.19376.1.2.20")

# The lab's biologist: the author of the lab's documents; not a sandbox login.
BIOLOGIST = Person(
    login=f"biologiste@{demo_world.LAB}", password="", given_name="Nadia", family_name="Roussel",
    title="Dr", profession="Médecin", specialty="Biologie médicale", rpps="10007770003",
    structure="Laboratoire Bioval", city="Lyon", postcode="69003")


# --------------------------------------------------------------------------------------------- PDF

_PAGE_WIDTH, _PAGE_HEIGHT = 595, 842  # A4 in points
_MARGIN = 56
_LEADING = 14
_WRAP = 92  # characters of Helvetica 10 pt that fit between the margins, roughly


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi: parentheses/backslash escaped, non-ASCII as octal."""
    out = bytearray(b"(")
    for byte in text.encode("cp1252", errors="replace"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif byte < 32 or byte > 126:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b")")


def _info_string(text: str) -> bytes:
    """A text string for the Info dictionary: UTF-16BE with BOM, hex (any character survives)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _page_streams(title: str, lines: list[str]) -> list[bytes]:
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, _WRAP) or [""])
    per_page = (_PAGE_HEIGHT - 2 * _MARGIN - 40) // _LEADING
    chunks = [wrapped[i:i + per_page] for i in range(0, len(wrapped), per_page)] or [[]]
    streams: list[bytes] = []
    for number, chunk in enumerate(chunks, start=1):
        top = _PAGE_HEIGHT - _MARGIN
        ops = [b"BT", b"/F2 14 Tf", b"%d %d Td" % (_MARGIN, top), _pdf_string(title) + b" Tj",
               b"/F1 10 Tf", b"%d TL" % _LEADING, b"0 -28 Td"]
        for line in chunk:
            ops.append(_pdf_string(line) + b" Tj T*")
        ops.append(b"ET")
        footer = f"Page {number}/{len(chunks)}"
        ops += [b"BT", b"/F1 8 Tf", b"%d %d Td" % (_MARGIN, _MARGIN // 2),
                _pdf_string(footer) + b" Tj", b"ET"]
        streams.append(b"\n".join(ops) + b"\n")
    return streams


def make_pdf(title: str, lines: list[str]) -> bytes:
    """A small valid PDF 1.4 (Helvetica, WinAnsi), one page per ~50 lines, exact xref offsets.

    Characters outside Windows-1252 become ``?``. No timestamp is written, so equal inputs give
    equal bytes.
    """
    streams = _page_streams(title, lines)
    n_pages = len(streams)
    # Object numbers: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info,
    # then for each page i: 6 + 2i page, 7 + 2i its content stream.
    page_ids = [6 + 2 * i for i in range(n_pages)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % p for p in page_ids)
           + b"] /Count %d >>" % n_pages,
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
           b"/Encoding /WinAnsiEncoding >>",
        5: b"<< /Title " + _info_string(title) + b" /Producer " + _info_string(
            "Estafette sandbox") + b" >>",
    }
    for page_id, stream in zip(page_ids, streams, strict=True):
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % (_PAGE_WIDTH, _PAGE_HEIGHT)
            + b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (page_id + 1))
        objects[page_id + 1] = (b"<< /Length %d >>\nstream\n" % len(stream) + stream
                                + b"endstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number]
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, xref_at))
    return bytes(out)


# --------------------------------------------------------------------------------------------- CDA


@dataclass(frozen=True)
class Coded:
    code: str
    display_name: str
    code_system: str


def luhn_key(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def structure_id(person: Person) -> str:
    """A stable demo FINESS (department + 6 digits + Luhn key) for the person's structure,
    prefixed ``1`` as the national structure identifier requires."""
    digest = int(hashlib.sha256(person.structure.encode()).hexdigest(), 16)
    body = person.postcode[:2] + f"{digest % 1_000_000:06d}"
    return "1" + body + luhn_key(body)


def _profession(person: Person) -> Coded:
    if person.profession == "Infirmier":
        return Coded("G15_60", "Infirmier", PROFESSION_OID)
    if person.specialty == "Biologie médicale":
        return Coded("G15_10/SM03", "Médecin - Biologie médicale (SM)", PROFESSION_OID)
    return Coded("G15_10/SM54", "Médecin - Médecine générale (SM)", PROFESSION_OID)


def _facility(person: Person) -> Coded:
    if person.structure.startswith("CHU"):
        return Coded("SA01", "Etablissement Public de santé", FACILITY_TYPE_OID)
    if person.structure.startswith("Laboratoire"):
        return Coded("SA29", "Laboratoire de biologie médicale", FACILITY_TYPE_OID)
    if person.structure.startswith("Maison"):
        return Coded("SA08", "Cabinet de groupe", FACILITY_TYPE_OID)
    return Coded("SA07", "Cabinet individuel", FACILITY_TYPE_OID)


def _practice_setting(person: Person) -> Coded:
    if person.structure.startswith("CHU"):
        return Coded("ETABLISSEMENT", "Etablissement de santé", PRACTICE_SETTING_OID)
    return Coded("AMBULATOIRE", "Ambulatoire", PRACTICE_SETTING_OID)


def hl7_time(moment: dt.datetime) -> str:
    """HL7 TS with seconds and offset (``20260301093000+0100``); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.strftime("%Y%m%d%H%M%S%z")


def demo_oid(*parts: str) -> str:
    """A deterministic UUID-derived OID (ITU-T X.667 ``2.25`` arc) for the given parts."""
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_URL, "estafette-demo:" + "|".join(parts)).int)


class _Builder:
    def __init__(self) -> None:
        self.root = etree.Element(f"{{{HL7_NS}}}ClinicalDocument", nsmap={None: HL7_NS,
                                                                           "xsi": XSI_NS})

    @staticmethod
    def add(parent: etree._Element, tag: str, text: str | None = None,
            **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{HL7_NS}}}{tag}",
                                   {k.rstrip("_"): v for k, v in attrs.items()})
        if text is not None:
            element.text = text
        return element


def _add_address(b: _Builder, parent: etree._Element, person: Person) -> None:
    addr = b.add(parent, "addr")
    b.add(addr, "postalCode", person.postcode)
    b.add(addr, "city", person.city.upper())
    b.add(addr, "country", "FRANCE")


def _add_person_name(b: _Builder, parent: etree._Element, person: Person) -> None:
    name = b.add(parent, "name")
    b.add(name, "given", person.given_name)
    b.add(name, "family", person.family_name.upper())
    if person.title == "Dr":
        b.add(name, "suffix", "DR")


def _add_organization(b: _Builder, parent: etree._Element, tag: str, person: Person) -> None:
    org = b.add(parent, tag)
    b.add(org, "id", root=STRUCTURE_OID, extension=structure_id(person))
    b.add(org, "name", person.structure)
    _add_address(b, org, person)


def make_cda_level1(patient: Patient, author: Person, *, code: str, code_system: str,
                    display_name: str, title: str, effective_time: dt.datetime, pdf: bytes,
                    service_event: Coded | None = None) -> bytes:
    """A CDA R2 level 1 document (CI-SIS header, PDF in ``nonXMLBody``), UTF-8 with declaration.

    The header carries what XDS metadata is derived from (CI-SIS annex "lien entre l'en-tête CDA et
    les métadonnées XDS"): uniqueId (id), typeCode (code), title, creationTime (effectiveTime),
    confidentialityCode, languageCode, patientId (INS in recordTarget), author with institution and
    specialty, legalAuthenticator, serviceStart/StopTime and eventCode (serviceEvent),
    practiceSettingCode (performer's organization), healthcareFacilityTypeCode (encompassing
    encounter), and the custodian.
    """
    when = hl7_time(effective_time)
    b = _Builder()
    doc = b.root
    b.add(doc, "realmCode", code="FR")
    b.add(doc, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    for template in LEVEL1_TEMPLATE_IDS:
        b.add(doc, "templateId", root=template)
    set_id = demo_oid("set", patient.ins, code, when, author.rpps)
    b.add(doc, "id", root=demo_oid("doc", patient.ins, code, when, author.rpps, "1"))
    b.add(doc, "code", code=code, displayName=display_name, codeSystem=code_system,
          **({"codeSystemName": "LOINC"} if code_system == LOINC else {}))
    b.add(doc, "title", title)
    b.add(doc, "effectiveTime", value=when)
    b.add(doc, "confidentialityCode", code="N", displayName="Normal",
          codeSystem=CONFIDENTIALITY_OID, codeSystemName="Confidentiality")
    b.add(doc, "languageCode", code="fr-FR")
    b.add(doc, "setId", root=set_id)
    b.add(doc, "versionNumber", value="1")

    role = b.add(b.add(doc, "recordTarget"), "patientRole")
    b.add(role, "id", root=patient.oid, extension=patient.ins)
    who = b.add(role, "patient", classCode="PSN")
    name = b.add(who, "name")
    b.add(name, "family", patient.family_name.upper(), qualifier="BR")
    b.add(name, "given", patient.given_name.upper())
    b.add(name, "given", patient.given_name.upper(), qualifier="BR")
    b.add(name, "family", patient.family_name.upper(), qualifier="CL")
    b.add(name, "given", patient.given_name.upper(), qualifier="CL")
    b.add(who, "administrativeGenderCode", code=patient.sex,
          displayName="Féminin" if patient.sex == "F" else "Masculin", codeSystem=GENDER_OID)
    b.add(who, "birthTime", value=patient.birth_date.replace("-", ""))

    profession = _profession(author)
    author_element = b.add(doc, "author")
    b.add(author_element, "time", value=when)
    assigned = b.add(author_element, "assignedAuthor")
    b.add(assigned, "id", root=RPPS_OID, extension=author.national_id)
    b.add(assigned, "code", code=profession.code, displayName=profession.display_name,
          codeSystem=profession.code_system)
    _add_address(b, assigned, author)
    b.add(assigned, "telecom", value=f"mailto:{author.login}", use="WP")
    _add_person_name(b, b.add(assigned, "assignedPerson"), author)
    _add_organization(b, assigned, "representedOrganization", author)

    custodian = b.add(b.add(b.add(doc, "custodian"), "assignedCustodian"),
                      "representedCustodianOrganization")
    b.add(custodian, "id", root=STRUCTURE_OID, extension=structure_id(author))
    b.add(custodian, "name", author.structure)
    _add_address(b, custodian, author)

    legal = b.add(doc, "legalAuthenticator")
    b.add(legal, "time", value=when)
    b.add(legal, "signatureCode", code="S")
    entity = b.add(legal, "assignedEntity")
    b.add(entity, "id", root=RPPS_OID, extension=author.national_id)
    _add_person_name(b, b.add(entity, "assignedPerson"), author)

    event = b.add(b.add(doc, "documentationOf"), "serviceEvent")
    event_code = service_event or Coded(code, display_name, code_system)
    b.add(event, "code", code=event_code.code, displayName=event_code.display_name,
          codeSystem=event_code.code_system)
    period = b.add(event, "effectiveTime")
    b.add(period, "low", value=when)
    b.add(period, "high", value=when)
    performer = b.add(b.add(event, "performer", typeCode="PRF"), "assignedEntity")
    b.add(performer, "id", root=RPPS_OID, extension=author.national_id)
    _add_person_name(b, b.add(performer, "assignedPerson"), author)
    org = b.add(performer, "representedOrganization")
    b.add(org, "id", root=STRUCTURE_OID, extension=structure_id(author))
    b.add(org, "name", author.structure)
    setting = _practice_setting(author)
    b.add(org, "standardIndustryClassCode", code=setting.code, displayName=setting.display_name,
          codeSystem=setting.code_system, codeSystemName="practiceSettingCode")

    encounter = b.add(b.add(doc, "componentOf"), "encompassingEncounter")
    b.add(b.add(encounter, "effectiveTime"), "low", value=when)
    facility = b.add(b.add(encounter, "location"), "healthCareFacility")
    b.add(facility, "id", root=STRUCTURE_OID, extension=structure_id(author))
    facility_type = _facility(author)
    b.add(facility, "code", code=facility_type.code, displayName=facility_type.display_name,
          codeSystem=facility_type.code_system)

    body = b.add(b.add(doc, "component"), "nonXMLBody")
    b.add(body, "text", base64.b64encode(pdf).decode("ascii"), mediaType="application/pdf",
          representation="B64")
    return bytes(etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True))
