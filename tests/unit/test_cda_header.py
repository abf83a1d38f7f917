"""CDA R2 header reading: patient, type code, level, auto-présentable unwrapping, hostile XML."""

from __future__ import annotations

import base64

import pytest

from app.domain.cda import CdaError, InstanceId
from app.protocols.cda import extract_clinical_document, extract_embedded_pdf, read_cda_header

PDF = b"%PDF-1.4\n% test\n"


def make_cda(
    *,
    ins: str = "279035121518989",
    ins_root: str = "1.2.250.1.213.1.4.10",
    family: str = "PAT-TROIS",
    given: str = "DOMINIQUE",
    birth: str = "19790328",
    code: str = "11502-2",
    display: str = "CR d'examens biologiques",
    doc_id: str = "1.2.250.1.999.1",
    body: str | None = None,
    with_patient: bool = True,
) -> bytes:
    if body is None:
        body = (
            "<structuredBody><component><section><text>ok</text></section></component>"
            "</structuredBody>"
        )
    patient = (
        f"""<recordTarget><patientRole>
          <id root="1.2.250.1.999.9" extension="IPP42"/>
          <id root="{ins_root}" extension="{ins}"/>
          <patient>
            <name><family qualifier="BR">{family}</family><given>{given} MARIE</given>
                  <given qualifier="BR">{given}</given></name>
            <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
            <birthTime value="{birth}"/>
          </patient></patientRole></recordTarget>"""
        if with_patient
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="{doc_id}"/>
  <code code="{code}" codeSystem="2.16.840.1.113883.6.1" displayName="{display}"/>
  <title>Titre</title>
  <effectiveTime value="20210409170000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <setId root="1.2.250.1.999.2"/>
  <versionNumber value="2"/>
  {patient}
  <author><time value="20210409170000+0100"/><assignedAuthor>
    <id root="1.2.250.1.71.4.2.1" extension="801234567897"/>
    <assignedPerson><name><family>MULLER</family><given>Charles</given></name></assignedPerson>
    <representedOrganization><id root="1.2.250.1.71.4.2.2" extension="1750803447"/>
      <name>Cabinet</name></representedOrganization>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization>
    <id root="1.2.250.1.71.4.2.2" extension="1750803447"/><name>Cabinet</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <component>{body}</component>
</ClinicalDocument>""".encode()


def test_header_fields_and_ins() -> None:
    header = read_cda_header(make_cda())
    assert header.document_id == InstanceId("1.2.250.1.999.1", None)
    assert (header.code.code, header.code.display_name) == ("11502-2", "CR d'examens biologiques")
    assert header.effective_time == "20210409170000+0100"
    assert header.confidentiality is not None and header.confidentiality.code == "N"
    assert header.version_number == 2 and header.language_code == "fr-FR"
    patient = header.patient
    assert patient.ins == InstanceId("1.2.250.1.213.1.4.10", "279035121518989")
    assert patient.ids[0] == InstanceId("1.2.250.1.999.9", "IPP42")
    # The BR-qualified given name (first prénom, an INS trait) comes first.
    assert patient.first_given_name == "DOMINIQUE"
    assert patient.family_name == "PAT-TROIS" and patient.gender == "F"
    assert patient.birth_date is not None and patient.birth_date.isoformat() == "1979-03-28"
    assert header.authors[0].id == InstanceId("1.2.250.1.71.4.2.1", "801234567897")
    assert header.authors[0].institution is not None
    assert header.authors[0].institution.name == "Cabinet"
    assert header.level == 3 and not header.has_embedded_pdf and not header.self_presenting


def test_level_one_pdf_is_detected_and_extracted() -> None:
    body = (
        '<nonXMLBody><text mediaType="application/pdf" representation="B64">'
        f"{base64.b64encode(PDF).decode()}</text></nonXMLBody>"
    )
    cda = make_cda(body=body)
    header = read_cda_header(cda)
    assert header.level == 1 and header.body_media_type == "application/pdf"
    assert header.has_embedded_pdf
    assert extract_embedded_pdf(cda) == PDF


def test_auto_presentable_document_is_unwrapped_without_running_xsl() -> None:
    inner = make_cda().split(b"?>", 1)[1].replace(b'xmlns="urn:hl7-org:v3"', b"")
    wrapped = (
        b'<?xml version="1.0"?><xsl:stylesheet version="1.0" '
        b'xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:data="urn:x" '
        b'xmlns="urn:hl7-org:v3"><data:Contenu>' + inner + b"</data:Contenu>"
        b'<xsl:template match="/"><xsl:message terminate="yes">ran</xsl:message></xsl:template>'
        b"</xsl:stylesheet>"
    )
    header = read_cda_header(wrapped)
    assert header.self_presenting and header.patient.ins is not None
    bare = extract_clinical_document(wrapped)
    assert b"stylesheet" not in bare
    assert read_cda_header(bare).document_id == header.document_id
    assert not read_cda_header(bare).self_presenting


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"not xml at all", "XML"),
        (b"<root/>", "CDA"),
        (make_cda(with_patient=False), "patient"),
    ],
)
def test_bad_documents_raise_clear_errors(data: bytes, fragment: str) -> None:
    with pytest.raises(CdaError) as info:
        read_cda_header(data)
    assert fragment in info.value.message


def test_billion_laughs_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE ClinicalDocument [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
        )
        + b']><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&j;</title></ClinicalDocument>'
    )
    with pytest.raises(CdaError) as info:
        read_cda_header(bomb)
    assert "DOCTYPE" in info.value.message or "entité" in info.value.message


def test_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>'
    )
    with pytest.raises(CdaError):
        read_cda_header(xxe)
