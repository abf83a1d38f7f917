"""Text of attached documents for full-text search (issue 3 item 1): PDF with limits, CDA R2
(narrative, title, patient; never the sender's XSL), IHE_XDM.ZIP through the reader's guards.
Nothing here may raise on a broken document."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from email.message import EmailMessage

from app.domain.xdm import XdmInputDocument
from app.protocols.mime.document_text import (
    DocumentTextLimits,
    cda_text,
    document_kind,
    message_document_text,
    pdf_text,
    xdm_text,
)
from app.protocols.xdm.packer import pack_xdm
from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world as world

DURAND = world.PATIENTS[0]
WHEN = dt.datetime(2026, 11, 3, 7, 30, tzinfo=dt.UTC)
LINES = ["Kaliémie de contrôle ........ 3,6 mmol/L", "Aldostérone couché .......... 388 pmol/L"]


def _pdf(lines: list[str] = LINES) -> bytes:
    return docs.make_pdf("Compte rendu d'examens biologiques", lines)


def _cda(pdf: bytes) -> bytes:
    return docs.make_cda_level1(
        DURAND, docs.BIOLOGIST, code="11502-2", code_system=docs.LOINC,
        display_name="CR d'examens biologiques", title="Compte rendu d'examens biologiques",
        effective_time=WHEN, pdf=pdf)


def _level3() -> bytes:
    return """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="hostile.xsl"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="1.2.250.1.999.1" extension="DOC-3"/>
  <code code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="Note de consultation"/>
  <title>Consultation de néphrologie</title>
  <effectiveTime value="20240106113623+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="279035121518989"/>
    <patient><name><given>Jeanne</given><family>DUPONT-TEST</family></name>
    <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
    <birthTime value="19790315"/></patient></patientRole></recordTarget>
  <author><time value="20240106110000+0100"/><assignedAuthor>
    <id root="1.2.250.1.71.4.2.1" extension="810000000001"/>
    <assignedPerson><name><given>Paul</given><family>MARTIN</family></name></assignedPerson>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization>
    <id root="1.2.250.1.71.4.2.2" extension="1234"/><name>Hôpital de Test</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <component><structuredBody><component><section><title>Conclusion</title>
    <text><paragraph>Glomérulonéphrite probable, biopsie proposée.</paragraph></text>
  </section></component></structuredBody></component>
</ClinicalDocument>""".encode()


def test_pdf_text_finds_the_words_of_a_generated_pdf() -> None:
    text = pdf_text(_pdf())
    assert "Kaliémie" in text and "Aldostérone" in text


def test_broken_pdfs_give_no_text_and_never_raise() -> None:
    whole = _pdf()
    for broken in (b"", b"%PDF-1.4\n garbage", whole[: len(whole) // 2], b"not a pdf at all",
                   whole.replace(b"/Page", b"/Pag\x00")):
        assert isinstance(pdf_text(broken), str)
    assert pdf_text(b"%PDF-1.4\n\x00\x01\x02 trailer <<>>") == ""


def test_pdf_limits_pages_bytes_and_time() -> None:
    many = _pdf([f"ligne {i} Natrémie" for i in range(400)])  # several pages
    assert "Natrémie" in pdf_text(many)
    assert pdf_text(many, DocumentTextLimits(max_pages=0)) == ""
    assert pdf_text(many, DocumentTextLimits(max_document_bytes=100)) == ""
    assert len(pdf_text(many, DocumentTextLimits(max_chars=50))) <= 50
    ticks = iter(range(0, 1000, 100))  # every clock reading is 100 s later: out of time at once
    assert pdf_text(many, DocumentTextLimits(max_seconds=1), clock=lambda: next(ticks)) == ""


def test_cda_level1_text_has_title_patient_and_the_embedded_pdf() -> None:
    text = cda_text(_cda(_pdf()))
    assert "Compte rendu d'examens biologiques" in text
    assert "DURAND" in text.upper()
    assert "Kaliémie" in text  # from the PDF inside nonXMLBody


def test_cda_level3_narrative_is_indexed_without_running_its_stylesheet() -> None:
    text = cda_text(_level3())
    assert "Glomérulonéphrite" in text
    assert "Consultation de néphrologie" in text and "DUPONT-TEST" in text
    assert "hostile.xsl" not in text


def test_cda_not_a_cda_gives_no_text() -> None:
    assert cda_text(b"<html/>") == ""
    assert cda_text(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>") == ""
    assert cda_text(b"\xff\xfe garbage") == ""


def _xdm() -> bytes:
    pdf = _pdf()
    package = pack_xdm([XdmInputDocument(_cda(pdf), pdf=pdf, pdf_name="cr.pdf")],
                       submission_time=WHEN)
    return package.zip_bytes


def test_xdm_package_text_comes_from_its_cda_and_pdf() -> None:
    text = xdm_text(_xdm())
    assert "Kaliémie" in text and "Compte rendu d'examens biologiques" in text
    # The PDF is both embedded in the CDA and beside it in the package: read once.
    assert text.count("Aldostérone") == 1


def test_corrupt_or_hostile_zip_gives_no_text() -> None:
    assert xdm_text(b"PK\x03\x04 not really a zip") == ""
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../../etc/passwd.xml", "<x/>")
    assert xdm_text(traversal.getvalue()) == ""


def _message(*attachments: tuple[bytes, str, str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "labo@bioval.mssante.fr"
    msg["To"] = "jean.martin@rivoli.mssante.fr"
    msg["Subject"] = "Résultats"
    msg.set_content("Veuillez trouver ci-joint le compte rendu.")
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_message_with_xdm_and_pdf_and_broken_parts() -> None:
    raw = _message((_xdm(), "application", "zip", "IHE_XDM.ZIP"),
                   (_pdf(), "application", "pdf", "cr.pdf"),
                   (b"%PDF-1.7 broken", "application", "pdf", "casse.pdf"),
                   (b"PK\x03\x04 broken", "application", "zip", "IHE_XDM.ZIP"))
    found = message_document_text(raw)
    assert "Kaliémie" in found.text
    assert found.text.count("Aldostérone") == 1  # the PDF beside the package is the same one
    assert "pdf-unreadable" in found.notes or "pdf-not-a-pdf" in found.notes
    assert "xdm-refused" in found.notes


def test_message_without_documents_and_unparsable_bytes() -> None:
    assert message_document_text(_message()).text == ""
    assert message_document_text(b"\x00\xff" * 100).text == ""


def test_document_kind() -> None:
    assert document_kind("IHE_XDM.ZIP", "application/octet-stream") == "xdm"
    assert document_kind("cr.PDF", "application/octet-stream") == "pdf"
    assert document_kind(None, "application/pdf") == "pdf"
    assert document_kind("cda.xml", "text/xml") == "cda"
    assert document_kind("photo.jpg", "image/jpeg") is None
