"""Read the header of a CDA R2 document (HL7 France / ANS CI-SIS flavour).

Only the header is interpreted; the body is inspected just enough to tell level 1 (``nonXMLBody``)
from level 3 (``structuredBody``) and to find an embedded PDF. "Auto-présentable" documents (root
``xsl:stylesheet`` that carries the ``ClinicalDocument`` as data) are unwrapped without ever running
the sender's stylesheet.
"""

from __future__ import annotations

import base64
import binascii
import copy

from lxml import etree

from app.domain.cda import (
    CdaError,
    CdaHeader,
    CdaOrganization,
    CdaPatient,
    CdaPerson,
    CodedValue,
    InstanceId,
)
from app.protocols.xml_safety import UnsafeXmlError, parse_xml

HL7 = "urn:hl7-org:v3"
NS = {"h": HL7}
_CLINICAL_DOCUMENT = f"{{{HL7}}}ClinicalDocument"
PDF_MEDIA_TYPE = "application/pdf"


def _locate(xml: bytes) -> tuple[etree._Element, bool]:
    """Return the ClinicalDocument element and whether it was wrapped (auto-présentable)."""
    try:
        root = parse_xml(xml)
    except UnsafeXmlError as exc:
        raise CdaError(f"Ce document n'est pas un XML lisible : {exc}") from None
    if root.tag == _CLINICAL_DOCUMENT:
        return root, False
    # An auto-présentable document keeps the CDA as data inside the stylesheet; we only look for
    # the element, the XSL around it is never executed.
    for element in root.iter(_CLINICAL_DOCUMENT):
        return element, True
    raise CdaError(
        "Ce document XML n'est pas un document CDA R2 (élément ClinicalDocument absent)."
    )


def extract_clinical_document(xml: bytes) -> bytes:
    """The bare ClinicalDocument: ``xml`` itself, or the one inside an auto-présentable file."""
    element, wrapped = _locate(xml)
    if not wrapped:
        return xml
    standalone = copy.deepcopy(element)
    etree.cleanup_namespaces(standalone)
    return bytes(etree.tostring(standalone, xml_declaration=True, encoding="UTF-8"))


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return " ".join(value.split()) or None


def _attr(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name)
    return value.strip() if value and value.strip() else None


def _ii(element: etree._Element | None) -> InstanceId | None:
    root = _attr(element, "root")
    if root is None:
        return None
    return InstanceId(root, _attr(element, "extension"))


def _cd(element: etree._Element | None) -> CodedValue | None:
    code = _attr(element, "code")
    if code is None:
        return None
    return CodedValue(
        code=code,
        code_system=_attr(element, "codeSystem"),
        display_name=_attr(element, "displayName"),
        code_system_name=_attr(element, "codeSystemName"),
    )


def _ordered_by_qualifier(elements: list[etree._Element]) -> tuple[str, ...]:
    """Names with the birth ('BR') qualifier first, then unqualified, then the rest; no repeats.

    ANS documents list the birth name and first given name (INS traits) with qualifier BR and the
    used name with CL; the INS traits are what the MSSanté subject line wants.
    """

    def rank(element: etree._Element) -> int:
        qualifier = (element.get("qualifier") or "").split()
        if "BR" in qualifier:
            return 0
        return 1 if not qualifier else 2

    seen: list[str] = []
    for element in sorted(elements, key=rank):
        value = _text(element)
        if value and value not in seen:
            seen.append(value)
    return tuple(seen)


def _names(name: etree._Element | None) -> tuple[str | None, tuple[str, ...], str | None]:
    if name is None:
        return None, (), None
    families = _ordered_by_qualifier(name.findall("h:family", NS))
    givens = _ordered_by_qualifier(name.findall("h:given", NS))
    prefix = _text(name.find("h:prefix", NS))
    if not families and not givens:
        # Some senders write the whole name as text content of <name>.
        whole = _text(name)
        return whole, (), prefix
    return (families[0] if families else None), givens, prefix


def _organization(element: etree._Element | None) -> CdaOrganization | None:
    if element is None:
        return None
    ident = _ii(element.find("h:id", NS))
    name = _text(element.find("h:name", NS))
    if ident is None and name is None:
        return None
    return CdaOrganization(ident, name)


def _person(
    role: etree._Element | None, time: str | None, function: CodedValue | None
) -> CdaPerson:
    assert role is not None
    person = role.find("h:assignedPerson", NS)
    family, givens, prefix = _names(person.find("h:name", NS) if person is not None else None)
    device = role.find("h:assignedAuthoringDevice", NS)
    organization = role.find("h:representedOrganization", NS)
    return CdaPerson(
        id=_ii(role.find("h:id", NS)),
        family_name=family,
        given_names=givens,
        prefix=prefix,
        specialty=_cd(role.find("h:code", NS)),
        function=function,
        institution=_organization(organization),
        time=time,
        device_name=_text(device.find("h:softwareName", NS)) if device is not None else None,
    )


def _patient(document: etree._Element) -> CdaPatient:
    role = document.find("h:recordTarget/h:patientRole", NS)
    if role is None:
        raise CdaError("Document CDA sans patient (recordTarget/patientRole absent).")
    ids = tuple(i for i in (_ii(e) for e in role.findall("h:id", NS)) if i is not None)
    patient = role.find("h:patient", NS)
    if not ids and patient is None:
        raise CdaError("Document CDA sans patient identifié (ni identifiant ni nom).")
    family, givens, _prefix = _names(patient.find("h:name", NS) if patient is not None else None)
    return CdaPatient(
        ids=ids,
        family_name=family,
        given_names=givens,
        birth_time=_attr(patient.find("h:birthTime", NS), "value") if patient is not None else None,
        gender=(
            _attr(patient.find("h:administrativeGenderCode", NS), "code")
            if patient is not None
            else None
        ),
    )


def _body(document: etree._Element) -> tuple[int, str | None, bool]:
    non_xml = document.find("h:component/h:nonXMLBody", NS)
    if non_xml is not None:
        media = _attr(non_xml.find("h:text", NS), "mediaType")
        return 1, media, media == PDF_MEDIA_TYPE
    structured = document.find("h:component/h:structuredBody", NS)
    if structured is None:
        raise CdaError("Document CDA sans corps (ni structuredBody ni nonXMLBody).")
    has_pdf = any(e.get("mediaType") == PDF_MEDIA_TYPE for e in structured.iter(etree.Element))
    return 3, None, has_pdf


def read_cda_header(xml: bytes) -> CdaHeader:
    """Parse ``xml`` (a CDA R2, possibly auto-présentable) and return its header.

    Raises CdaError (French message) for non-XML, non-CDA, or a document without patient, id
    or type code.
    """
    document, wrapped = _locate(xml)
    document_id = _ii(document.find("h:id", NS))
    if document_id is None:
        raise CdaError("Document CDA sans identifiant (élément id absent).")
    code = _cd(document.find("h:code", NS))
    if code is None:
        raise CdaError("Document CDA sans type de document (élément code absent).")
    version = _attr(document.find("h:versionNumber", NS), "value")
    authors = tuple(
        _person(
            author.find("h:assignedAuthor", NS),
            _attr(author.find("h:time", NS), "value"),
            _cd(author.find("h:functionCode", NS)),
        )
        for author in document.findall("h:author", NS)
        if author.find("h:assignedAuthor", NS) is not None
    )
    legal = document.find("h:legalAuthenticator", NS)
    legal_entity = legal.find("h:assignedEntity", NS) if legal is not None else None
    service = document.find("h:documentationOf/h:serviceEvent", NS)
    level, media_type, has_pdf = _body(document)
    return CdaHeader(
        document_id=document_id,
        code=code,
        title=_text(document.find("h:title", NS)),
        effective_time=_attr(document.find("h:effectiveTime", NS), "value"),
        confidentiality=_cd(document.find("h:confidentialityCode", NS)),
        language_code=_attr(document.find("h:languageCode", NS), "code"),
        set_id=_ii(document.find("h:setId", NS)),
        version_number=int(version) if version and version.isdigit() else None,
        patient=_patient(document),
        authors=authors,
        custodian=_organization(
            document.find("h:custodian/h:assignedCustodian/h:representedCustodianOrganization", NS)
        ),
        legal_authenticator=(
            _person(legal_entity, _attr(legal.find("h:time", NS), "value"), None)
            if legal is not None and legal_entity is not None
            else None
        ),
        level=level,
        body_media_type=media_type,
        has_embedded_pdf=has_pdf,
        template_ids=tuple(
            i for i in (_ii(e) for e in document.findall("h:templateId", NS)) if i is not None
        ),
        service_event=_cd(service.find("h:code", NS)) if service is not None else None,
        service_start=(
            _attr(service.find("h:effectiveTime/h:low", NS), "value")
            if service is not None
            else None
        ),
        service_stop=(
            _attr(service.find("h:effectiveTime/h:high", NS), "value")
            if service is not None
            else None
        ),
        healthcare_facility_type=_cd(
            document.find(
                "h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/h:code", NS
            )
        ),
        practice_setting=_cd(
            service.find(
                "h:performer/h:assignedEntity/h:representedOrganization/h:standardIndustryClassCode",
                NS,
            )
            if service is not None
            else None
        ),
        self_presenting=wrapped,
    )


def extract_embedded_pdf(xml: bytes) -> bytes | None:
    """The first base64 PDF carried by the document (level-1 body or an observationMedia)."""
    document, _wrapped = _locate(xml)
    for element in document.iter(etree.Element):
        if element.get("mediaType") != PDF_MEDIA_TYPE:
            continue
        if (element.get("representation") or "B64").upper() != "B64":
            continue
        payload = "".join((element.text or "").split())
        if not payload:
            continue
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise CdaError("Le PDF intégré au document CDA est mal encodé (base64).") from None
    return None
