"""Build an IHE XDM package (IHE_XDM.ZIP) from CDA R2 documents, as MSSanté expects.

Layout (ITI-32 media, ZIP): README.TXT, INDEX.HTM, IHE_XDM/SUBSET01/METADATA.XML (ebRIM 3.0
``lcm:SubmitObjectsRequest``), then DOC0001.XML (the CDA) and DOC0001.PDF (its PDF rendering, a
document entry of its own linked to the CDA by an XFRM association). XDS metadata are filled from
the CDA header following the ANS annex "Lien entre l'en-tête CDA et les métadonnées XDS".

The output is a pure function of the inputs and ``submission_time``: entry ids are UUIDv5 of the
content, ZIP timestamps are the submission time, so tests can compare bytes.
"""

from __future__ import annotations

import hashlib
import html
import io
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

from lxml import etree

from app.domain.cda import CdaError, CdaHeader, CdaOrganization, CdaPatient, CdaPerson, CodedValue
from app.domain.xdm import (
    CDA_MIME_TYPE,
    PDF_MIME_TYPE,
    SUBJECT_LABEL_MAX,
    SUBJECT_PREFIX,
    XdmError,
    XdmInputDocument,
    XdmMetadata,
    XdmPackage,
    XdmPackedFile,
    XdsAuthor,
    XdsCode,
    XdsDocumentEntry,
    XdsSubmissionSet,
)
from app.protocols.cda.header import extract_clinical_document, read_cda_header

LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
SUBSET = "IHE_XDM/SUBSET01"

# XDS identifiers (IHE ITI TF-3 4.2.5).
DOCUMENT_ENTRY_TYPE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_EVENT = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
CLASSIFICATION_TYPE = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
EXTERNAL_ID_TYPE = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"
ASSOCIATION_TYPE = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
TRANSFORM = "urn:ihe:iti:2007:AssociationType:XFRM"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"

RPPS_ADELI_OID = "1.2.250.1.71.4.2.1"
STRUCTURE_OID = "1.2.250.1.71.4.2.2"
CLASS_CODE_SYSTEM = "1.2.250.1.213.1.1.4.1"  # TRE_A03-ClasseDocument (CI-SIS)
IHE_FORMAT_SYSTEM = "1.3.6.1.4.1.19376.1.2.3"
CONFIDENTIALITY_SYSTEM = "2.16.840.1.113883.5.25"

PDF_IN_CDA_FORMAT = XdsCode(
    "urn:ihe:iti:xds-sd:pdf:2008", IHE_FORMAT_SYSTEM, "PDF intégré (XDS-SD)"
)
TEXT_IN_CDA_FORMAT = XdsCode("urn:ihe:iti:xds-sd:text:2008", IHE_FORMAT_SYSTEM, "Texte (XDS-SD)")
MIME_SUFFICIENT_FORMAT = XdsCode(
    "urn:ihe:iti:xds:2017:mimeTypeSufficient", IHE_FORMAT_SYSTEM, "Format défini par le type MIME"
)
NORMAL_CONFIDENTIALITY = XdsCode("N", CONFIDENTIALITY_SYSTEM, "Normal")

# Stable namespace for the UUIDv5 ids/OIDs this packer derives from content.
_ID_NAMESPACE = uuid.UUID("5b0f6a52-3c1e-4f55-9c2e-0e7a1b7d4c11")
SOURCE_ID = f"2.25.{uuid.uuid5(_ID_NAMESPACE, 'estafette-xdm-source').int}"


@dataclass(frozen=True)
class _Prepared:
    header: CdaHeader
    cda: bytes
    pdf: bytes | None
    source: XdmInputDocument


def _default_class(header: CdaHeader) -> XdsCode:
    """ANS class (TRE_A03) guessed from the type label; callers may pass the exact one."""
    label = f"{header.code.display_name or ''} {header.title or ''}".casefold()
    if "prescription" in label:
        return XdsCode("42", CLASS_CODE_SYSTEM, "Prescription")
    if "dispensation" in label:
        return XdsCode("43", CLASS_CODE_SYSTEM, "Dispensation")
    if "synthèse" in label or "synthese" in label:
        return XdsCode("11", CLASS_CODE_SYSTEM, "Synthèse")
    return XdsCode("10", CLASS_CODE_SYSTEM, "Compte rendu")


def _default_format(header: CdaHeader) -> XdsCode:
    if header.level == 1:
        return PDF_IN_CDA_FORMAT if header.body_media_type == PDF_MIME_TYPE else TEXT_IN_CDA_FORMAT
    return MIME_SUFFICIENT_FORMAT


def _hl7(value: str | None) -> str:
    """Drop HL7 v2 delimiters from a free-text component (names, institutions)."""
    if not value:
        return ""
    return "".join(" " if ch in "^&~\\|" else ch for ch in value).strip()


def _patient_cx(root: str, extension: str | None) -> str:
    return f"{_hl7(extension)}^^^&{root}&ISO"


def _xcn(person: CdaPerson) -> str | None:
    if person.id is None and person.family_name is None:
        return None
    ident = person.id
    given = person.given_names[0] if person.given_names else ""
    fields = [
        _hl7(ident.extension) if ident else "",
        _hl7(person.family_name),
        _hl7(given),
        "",
        "",
        _hl7(person.prefix),
        "",
        "",
        f"&{ident.root}&ISO" if ident else "",
    ]
    if ident is not None:
        fields += ["D", "", "", "IDNPS" if ident.root == RPPS_ADELI_OID else ""]
    return "^".join(fields).rstrip("^")


def _xon(organization: CdaOrganization | None) -> str | None:
    if organization is None or organization.name is None:
        return None
    name = _hl7(organization.name)
    ident = organization.id
    if ident is None or not ident.extension:
        return name
    kind = "IDNST" if ident.root == STRUCTURE_OID else ""
    return f"{name}^^^^^&{ident.root}&ISO^{kind}^^^{_hl7(ident.extension)}"


def _coded(value: CodedValue | None) -> XdsCode | None:
    if value is None:
        return None
    return XdsCode(value.code, value.code_system, value.display_name)


def _cne(value: CodedValue) -> str:
    return f"{value.code}^{_hl7(value.display_name)}^{value.code_system or ''}"


def _author(person: CdaPerson) -> XdsAuthor:
    institution = _xon(person.institution)
    specialty = person.specialty
    return XdsAuthor(
        person=_xcn(person),
        institutions=(institution,) if institution else (),
        roles=(_cne(person.function),) if person.function else (),
        specialties=(_cne(specialty),) if specialty else (),
    )


def to_xds_time(value: str | None) -> str | None:
    """CDA TS (``YYYYMMDD[hhmm[ss]][.f][+-ZZZZ]``) to the XDS UTC DTM form."""
    if not value:
        return None
    text = value.strip()
    offset: timedelta | None = None
    for sign in ("+", "-"):
        if sign in text[8:]:
            base, _, zone = text.rpartition(sign)
            if len(zone) == 4 and zone.isdigit():
                minutes = int(zone[:2]) * 60 + int(zone[2:])
                offset = timedelta(minutes=minutes if sign == "+" else -minutes)
                text = base
            break
    text = text.split(".", 1)[0]
    if not text.isdigit() or len(text) < 4:
        return None
    if offset is None or len(text) < 12:
        # Without a time of day (or a zone) there is nothing to shift; keep the given precision.
        return text[:14]
    padded = text[:14].ljust(14, "0")
    try:
        local = datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=timezone(offset))
    except ValueError:
        return text[:14]
    return local.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _same_patient(a: CdaPatient, b: CdaPatient) -> bool:
    if a.ins is not None and b.ins is not None:
        return a.ins == b.ins
    return bool(set(a.ids) & set(b.ids))


def _rim(tag: str) -> str:
    return f"{{{RIM}}}{tag}"


def _slot(parent: etree._Element, name: str, values: Sequence[str]) -> None:
    slot = etree.SubElement(parent, _rim("Slot"), name=name)
    value_list = etree.SubElement(slot, _rim("ValueList"))
    for value in values:
        etree.SubElement(value_list, _rim("Value")).text = value


def _name(parent: etree._Element, value: str) -> None:
    name = etree.SubElement(parent, _rim("Name"))
    etree.SubElement(name, _rim("LocalizedString"), value=value)


class _Ids:
    def __init__(self, seed: str) -> None:
        self._seed = seed

    def uuid(self, key: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{self._seed}/{key}')}"

    def oid(self, key: str) -> str:
        return f"2.25.{uuid.uuid5(_ID_NAMESPACE, f'{self._seed}/{key}').int}"


def _classification_element(
    parent: etree._Element, ids: _Ids, key: str, scheme: str, classified: str, node: str
) -> etree._Element:
    return etree.SubElement(
        parent,
        _rim("Classification"),
        id=ids.uuid(key),
        objectType=CLASSIFICATION_TYPE,
        classificationScheme=scheme,
        classifiedObject=classified,
        nodeRepresentation=node,
    )


def _classification(
    parent: etree._Element,
    ids: _Ids,
    key: str,
    scheme: str,
    classified: str,
    code: XdsCode,
) -> None:
    element = _classification_element(parent, ids, key, scheme, classified, code.code)
    _slot(element, "codingScheme", [code.scheme or ""])
    _name(element, code.display_name or code.code)


def _author_classification(
    parent: etree._Element, ids: _Ids, key: str, scheme: str, classified: str, author: XdsAuthor
) -> None:
    # An author classification carries slots only: its node representation is empty.
    element = _classification_element(parent, ids, key, scheme, classified, "")
    if author.person:
        _slot(element, "authorPerson", [author.person])
    if author.institutions:
        _slot(element, "authorInstitution", list(author.institutions))
    if author.roles:
        _slot(element, "authorRole", list(author.roles))
    if author.specialties:
        _slot(element, "authorSpecialty", list(author.specialties))


def _external_id(
    parent: etree._Element, ids: _Ids, key: str, scheme: str, owner: str, value: str, label: str
) -> None:
    element = etree.SubElement(
        parent,
        _rim("ExternalIdentifier"),
        id=ids.uuid(key),
        objectType=EXTERNAL_ID_TYPE,
        registryObject=owner,
        identificationScheme=scheme,
        value=value,
    )
    _name(element, label)


def _entry_xml(parent: etree._Element, ids: _Ids, entry: XdsDocumentEntry) -> None:
    eo = etree.SubElement(
        parent,
        _rim("ExtrinsicObject"),
        id=entry.entry_id,
        mimeType=entry.mime_type or CDA_MIME_TYPE,
        objectType=DOCUMENT_ENTRY_TYPE,
        status=APPROVED,
    )
    slots: list[tuple[str, list[str]]] = [
        ("creationTime", [entry.creation_time] if entry.creation_time else []),
        ("hash", [entry.hash or ""]),
        ("languageCode", [entry.language_code] if entry.language_code else []),
        ("legalAuthenticator", [entry.legal_authenticator] if entry.legal_authenticator else []),
        ("serviceStartTime", [entry.service_start] if entry.service_start else []),
        ("serviceStopTime", [entry.service_stop] if entry.service_stop else []),
        ("size", [str(entry.size)]),
        ("sourcePatientId", [entry.source_patient_id] if entry.source_patient_id else []),
        ("sourcePatientInfo", list(entry.source_patient_info)),
        ("URI", [entry.uri or ""]),
    ]
    for name, values in slots:
        if values:
            _slot(eo, name, values)
    if entry.title:
        _name(eo, entry.title)
    key = entry.entry_id
    for index, author in enumerate(entry.authors):
        _author_classification(eo, ids, f"{key}/author/{index}", DE_AUTHOR, key, author)
    coded: list[tuple[str, str, XdsCode | None]] = [
        ("class", DE_CLASS, entry.class_code),
        *[
            (f"confidentiality/{i}", DE_CONFIDENTIALITY, c)
            for i, c in enumerate(entry.confidentiality_codes)
        ],
        *[(f"event/{i}", DE_EVENT, c) for i, c in enumerate(entry.event_codes)],
        ("format", DE_FORMAT, entry.format_code),
        ("facility", DE_FACILITY, entry.healthcare_facility_type),
        ("practice", DE_PRACTICE, entry.practice_setting),
        ("type", DE_TYPE, entry.type_code),
    ]
    for name, scheme, code in coded:
        if code is not None:
            _classification(eo, ids, f"{key}/{name}", scheme, key, code)
    if entry.patient_id:
        _external_id(
            eo,
            ids,
            f"{key}/patientId",
            DE_PATIENT_ID,
            key,
            entry.patient_id,
            "XDSDocumentEntry.patientId",
        )
    if entry.unique_id:
        _external_id(
            eo,
            ids,
            f"{key}/uniqueId",
            DE_UNIQUE_ID,
            key,
            entry.unique_id,
            "XDSDocumentEntry.uniqueId",
        )


def _metadata_xml(ids: _Ids, metadata: XdmMetadata, transforms: Sequence[tuple[str, str]]) -> bytes:
    root = etree.Element(f"{{{LCM}}}SubmitObjectsRequest", nsmap={None: LCM, "rim": RIM})
    objects = etree.SubElement(root, _rim("RegistryObjectList"))
    for entry in metadata.entries:
        _entry_xml(objects, ids, entry)
    ss = metadata.submission_set
    assert ss is not None
    package = etree.SubElement(objects, _rim("RegistryPackage"), id=ss.entry_id, status=APPROVED)
    if ss.submission_time:
        _slot(package, "submissionTime", [ss.submission_time])
    _name(package, ss.title or "Documents")
    for index, author in enumerate(ss.authors):
        _author_classification(package, ids, f"ss/author/{index}", SS_AUTHOR, ss.entry_id, author)
    for key, scheme, value, label in (
        ("patientId", SS_PATIENT_ID, ss.patient_id, "XDSSubmissionSet.patientId"),
        ("sourceId", SS_SOURCE_ID, ss.source_id, "XDSSubmissionSet.sourceId"),
        ("uniqueId", SS_UNIQUE_ID, ss.unique_id, "XDSSubmissionSet.uniqueId"),
    ):
        if value:
            _external_id(package, ids, f"ss/{key}", scheme, ss.entry_id, value, label)
    etree.SubElement(
        objects,
        _rim("Classification"),
        id=ids.uuid("ss/node"),
        objectType=CLASSIFICATION_TYPE,
        classifiedObject=ss.entry_id,
        classificationNode=SUBMISSION_SET_NODE,
    )
    for member in ss.members:
        association = etree.SubElement(
            objects,
            _rim("Association"),
            id=ids.uuid(f"ss/member/{member}"),
            objectType=ASSOCIATION_TYPE,
            associationType=HAS_MEMBER,
            sourceObject=ss.entry_id,
            targetObject=member,
        )
        _slot(association, "SubmissionSetStatus", ["Original"])
    for source, target in transforms:
        etree.SubElement(
            objects,
            _rim("Association"),
            id=ids.uuid(f"xfrm/{source}"),
            objectType=ASSOCIATION_TYPE,
            associationType=TRANSFORM,
            sourceObject=source,
            targetObject=target,
        )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _subject(headers: Sequence[CdaHeader], patient: CdaPatient) -> str:
    if len(headers) == 1:
        label = headers[0].type_label.strip()[:SUBJECT_LABEL_MAX].rstrip()
    else:
        label = f"{len(headers)} documents"
    birth = patient.birth_date
    parts = [
        label,
        (patient.family_name or "").upper(),
        patient.first_given_name or "",
        birth.strftime("%d/%m/%Y") if birth else "",
    ]
    return SUBJECT_PREFIX + " ".join(p for p in parts if p)


def _index_htm(files: Sequence[XdmPackedFile], titles: dict[str, str]) -> bytes:
    rows = "\n".join(
        f'<li><a href="{html.escape(f.path)}">{html.escape(titles.get(f.path, f.path))}</a></li>'
        for f in files
    )
    # ITI-32 requires XHTML: well-formed XML, no DOCTYPE needed.
    page = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="fr" xml:lang="fr">\n'
        "<head><title>Documents IHE XDM</title></head>\n<body>\n<h1>Documents</h1>\n<ul>\n"
        f'{rows}\n</ul>\n<p>Métadonnées : <a href="{SUBSET}/METADATA.XML">METADATA.XML</a></p>\n'
        "</body></html>\n"
    )
    return page.encode("utf-8")


README = (
    "Support d'échange IHE XDM (ITI-32) produit par Estafette, client de messagerie MSSanté.\r\n"
    "Les documents et leurs métadonnées sont dans IHE_XDM/SUBSET01 ;\r\n"
    "INDEX.HTM en donne la liste.\r\n"
).encode()


def _zip(members: Sequence[tuple[str, bytes]], when: datetime) -> bytes:
    stamp = max(when, datetime(1980, 1, 1, tzinfo=UTC)).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data)
    return buffer.getvalue()


def _prepare(index: int, document: XdmInputDocument) -> _Prepared:
    try:
        cda = extract_clinical_document(document.cda)
        header = read_cda_header(cda)
    except CdaError as exc:
        raise XdmError(f"Document n°{index} : {exc.message}") from None
    return _Prepared(header, cda, document.pdf, document)


def pack_xdm(
    documents: Sequence[XdmInputDocument],
    *,
    submission_time: datetime | None = None,
    author_institution: str | None = None,
) -> XdmPackage:
    """Pack the CDA documents of one patient (and their PDF renderings) into an IHE XDM ZIP.

    Auto-présentable inputs are stored as their bare ClinicalDocument. Raises XdmError (French)
    when there is nothing to pack, a document is not a readable CDA, or the documents concern
    different patients (ECO.2.1: one message = one patient).
    """
    if not documents:
        raise XdmError("Aucun document CDA à joindre : le paquet IHE XDM serait vide.")
    prepared = [_prepare(i, d) for i, d in enumerate(documents, start=1)]
    patient = prepared[0].header.patient
    for index, item in enumerate(prepared[1:], start=2):
        if not _same_patient(patient, item.header.patient):
            raise XdmError(
                f"Le document n°{index} ne concerne pas le même patient que le premier : "
                "un message MSSanté ne peut transporter les documents que d'un seul patient."
            )
    when = submission_time or datetime.now(UTC)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    when = when.replace(microsecond=0)
    digest = hashlib.sha256(when.isoformat().encode())
    for item in prepared:
        digest.update(hashlib.sha256(item.cda).digest())
        digest.update(hashlib.sha256(item.pdf or b"").digest())
    ids = _Ids(digest.hexdigest())

    ins = patient.ins
    main_id = ins or (patient.ids[0] if patient.ids else None)
    patient_id = _patient_cx(main_id.root, main_id.extension) if main_id else None
    local_ids = [i for i in patient.ids if i != ins]
    source_patient = local_ids[0] if local_ids else main_id
    pid3 = "~".join(_patient_cx(i.root, i.extension) for i in patient.ids)
    pid5 = f"{_hl7(patient.family_name)}^{_hl7(patient.first_given_name)}^^^^^L"
    patient_info = tuple(
        v
        for v in (
            f"PID-3|{pid3}" if pid3 else "",
            f"PID-5|{pid5}",
            f"PID-7|{patient.birth_time[:8]}" if patient.birth_time else "",
            f"PID-8|{patient.gender}" if patient.gender else "",
        )
        if v
    )

    files: list[XdmPackedFile] = []
    entries: list[XdsDocumentEntry] = []
    transforms: list[tuple[str, str]] = []
    titles: dict[str, str] = {}
    for number, item in enumerate(prepared, start=1):
        header = item.header
        base = f"DOC{number:04d}"
        cda_path = f"{SUBSET}/{base}.XML"
        files.append(XdmPackedFile(cda_path, item.cda, CDA_MIME_TYPE))
        titles[cda_path] = header.title or header.type_label
        cda_entry_id = ids.uuid(f"entry/{number}/cda")
        cda_entry = XdsDocumentEntry(
            entry_id=cda_entry_id,
            unique_id=header.document_id.as_xds(),
            patient_id=patient_id,
            mime_type=CDA_MIME_TYPE,
            uri=f"{base}.XML",
            hash=hashlib.sha1(item.cda).hexdigest(),
            size=len(item.cda),
            creation_time=to_xds_time(header.effective_time),
            language_code=header.language_code or "fr-FR",
            title=header.title,
            source_patient_id=(
                _patient_cx(source_patient.root, source_patient.extension)
                if source_patient
                else None
            ),
            source_patient_info=patient_info,
            legal_authenticator=(
                _xcn(header.legal_authenticator) if header.legal_authenticator else None
            ),
            service_start=to_xds_time(header.service_start),
            service_stop=to_xds_time(header.service_stop),
            class_code=item.source.class_code or _default_class(header),
            type_code=_coded(header.code),
            format_code=item.source.format_code or _default_format(header),
            confidentiality_codes=(_coded(header.confidentiality) or NORMAL_CONFIDENTIALITY,),
            healthcare_facility_type=_coded(header.healthcare_facility_type),
            practice_setting=_coded(header.practice_setting),
            event_codes=tuple(c for c in (_coded(header.service_event),) if c is not None),
            authors=tuple(_author(a) for a in header.authors),
        )
        entries.append(cda_entry)
        if item.pdf is not None:
            pdf_path = f"{SUBSET}/{base}.PDF"
            files.append(XdmPackedFile(pdf_path, item.pdf, PDF_MIME_TYPE))
            titles[pdf_path] = item.source.pdf_name or f"{titles[cda_path]} (PDF)"
            pdf_entry_id = ids.uuid(f"entry/{number}/pdf")
            entries.append(
                replace(
                    cda_entry,
                    entry_id=pdf_entry_id,
                    unique_id=ids.oid(f"entry/{number}/pdf"),
                    mime_type=PDF_MIME_TYPE,
                    uri=f"{base}.PDF",
                    hash=hashlib.sha1(item.pdf).hexdigest(),
                    size=len(item.pdf),
                    title=item.source.pdf_name or header.title,
                    format_code=MIME_SUFFICIENT_FORMAT,
                )
            )
            transforms.append((pdf_entry_id, cda_entry_id))

    first = prepared[0].header
    institution = author_institution or next(
        (x for a in first.authors if (x := _xon(a.institution))), None
    )
    submission = XdsSubmissionSet(
        entry_id=ids.uuid("submission-set"),
        unique_id=ids.oid("submission-set"),
        source_id=SOURCE_ID,
        patient_id=patient_id,
        submission_time=when.strftime("%Y%m%d%H%M%S"),
        title=_subject([p.header for p in prepared], patient)[len(SUBJECT_PREFIX) :],
        authors=(XdsAuthor(institutions=(institution,)),) if institution else (),
        members=tuple(e.entry_id for e in entries),
    )
    metadata = XdmMetadata(submission, tuple(entries))
    metadata_bytes = _metadata_xml(ids, metadata, transforms)
    members = [
        ("README.TXT", README),
        ("INDEX.HTM", _index_htm(files, titles)),
        (f"{SUBSET}/METADATA.XML", metadata_bytes),
        *[(f.path, f.data) for f in files],
    ]
    headers = tuple(p.header for p in prepared)
    codes = list(dict.fromkeys(h.code.code for h in headers))
    return XdmPackage(
        zip_bytes=_zip(members, when),
        metadata=metadata,
        headers=headers,
        patient=patient,
        codes=",".join(codes),
        subject=_subject(headers, patient),
        ins_qualified="O" if patient.ins is not None else "N",
        files=tuple(files),
    )
