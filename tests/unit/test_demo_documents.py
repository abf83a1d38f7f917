"""The sandbox's generated documents: a structurally valid PDF, a CI-SIS shaped CDA R2 level 1."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world as world

H = {"h": docs.HL7_NS}
WHEN = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def _pdf(lines: int = 5) -> bytes:
    return docs.make_pdf("Compte rendu d'examens (été) \\ test",
                         ["Hémoglobine : 13,2 g/dL (normes 12-16)"] * lines)


def _cda(pdf: bytes | None = None) -> bytes:
    return docs.make_cda_level1(
        world.PATIENTS[0], docs.BIOLOGIST, code="11502-2", code_system=docs.LOINC,
        display_name="CR d'examens biologiques", title="Compte rendu d'examens biologiques",
        effective_time=WHEN, pdf=pdf if pdf is not None else _pdf())


def _xref(pdf: bytes) -> tuple[int, dict[int, int]]:
    """Parse the classic xref table the trailer points at: (size, {object: offset})."""
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[start:start + 4] == b"xref"
    lines = pdf[start:].split(b"\n")
    first, count = (int(x) for x in lines[1].split())
    assert first == 0
    offsets = {}
    for number, row in enumerate(lines[2:2 + count]):
        offset, _generation, kind = row.split()
        if kind == b"n":
            offsets[number] = int(offset)
    return count, offsets


def test_pdf_xref_offsets_point_at_their_objects() -> None:
    pdf = _pdf()
    assert pdf.startswith(b"%PDF-1.4\n")
    size, offsets = _xref(pdf)
    assert sorted(offsets) == list(range(1, size))
    for number, offset in offsets.items():
        assert pdf[offset:].startswith(b"%d 0 obj" % number), number
    trailer = pdf[pdf.rindex(b"trailer"):]
    assert b"/Size %d" % size in trailer and b"/Root 1 0 R" in trailer


def test_pdf_stream_lengths_are_exact() -> None:
    pdf = _pdf(120)  # several pages
    streams = re.findall(rb"<< /Length (\d+) >>\nstream\n", pdf)
    assert len(streams) >= 2
    for match in re.finditer(rb"<< /Length (\d+) >>\nstream\n", pdf):
        end = match.end() + int(match.group(1))
        assert pdf[end:end + 9] == b"endstream"
    assert b"/Count %d" % len(streams) in pdf


def test_pdf_text_is_winansi_and_escaped() -> None:
    pdf = _pdf()
    assert b"/Encoding /WinAnsiEncoding" in pdf
    # é is 0xE9 in Windows-1252, written as an octal escape; ( ) and \ are escaped.
    assert b"H\\351moglobine" in pdf
    assert b"\\(\\351t\\351\\) \\\\ test" in pdf


def test_pdf_is_deterministic_and_depends_on_content() -> None:
    assert _pdf() == _pdf()
    assert _pdf(4) != _pdf(5)


def test_pdf_opens_in_qtpdf(qapp: object, tmp_path: Path) -> None:
    qtpdf = pytest.importorskip("PySide6.QtPdf")
    path = tmp_path / "demo.pdf"
    path.write_bytes(_pdf(120))
    document = qtpdf.QPdfDocument()
    assert document.load(str(path)) == qtpdf.QPdfDocument.Error.None_
    assert document.pageCount() == 3
    assert "Hémoglobine : 13,2 g/dL" in document.getAllText(0).text()
    title = document.metaData(qtpdf.QPdfDocument.MetaDataField.Title)
    assert title == "Compte rendu d'examens (été) \\ test"


def test_cda_header_carries_patient_author_and_type() -> None:
    """The INS (root OID + matricule) and RPPS identify patient and author (MSSANTE.md §6)."""
    pdf = _pdf()
    root = etree.fromstring(_cda(pdf))
    assert root.tag == f"{{{docs.HL7_NS}}}ClinicalDocument"
    assert root.find("h:realmCode", H).get("code") == "FR"
    assert [t.get("root") for t in root.findall("h:templateId", H)] == list(
        docs.LEVEL1_TEMPLATE_IDS)
    code = root.find("h:code", H)
    assert (code.get("code"), code.get("codeSystem")) == ("11502-2", docs.LOINC)
    assert root.find("h:effectiveTime", H).get("value") == "20261103093000+0100"
    patient_id = root.find("h:recordTarget/h:patientRole/h:id", H)
    assert patient_id.get("root") == world.INS_NIR_OID
    assert patient_id.get("extension") == world.PATIENTS[0].ins
    assert root.find("h:recordTarget/h:patientRole/h:patient/h:birthTime",
                     H).get("value") == "19750314"
    author_id = root.find("h:author/h:assignedAuthor/h:id", H)
    assert author_id.get("root") == docs.RPPS_OID
    assert author_id.get("extension") == "8" + docs.BIOLOGIST.rpps
    text = root.find("h:component/h:nonXMLBody/h:text", H)
    assert text.get("mediaType") == "application/pdf"
    assert base64.b64decode(text.text) == pdf


@pytest.mark.parametrize("path", [
    "h:id", "h:title", "h:confidentialityCode", "h:languageCode", "h:setId",
    "h:author/h:time", "h:author/h:assignedAuthor/h:code",
    "h:author/h:assignedAuthor/h:representedOrganization/h:id",
    "h:custodian/h:assignedCustodian/h:representedCustodianOrganization/h:id",
    "h:legalAuthenticator/h:assignedEntity/h:id",
    "h:documentationOf/h:serviceEvent/h:code",
    "h:documentationOf/h:serviceEvent/h:effectiveTime/h:low",
    "h:documentationOf/h:serviceEvent/h:performer/h:assignedEntity/h:representedOrganization"
    "/h:standardIndustryClassCode",
    "h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/h:code",
])
def test_cda_header_has_what_xds_metadata_needs(path: str) -> None:
    """Every header field the ANS CDA → XDS mapping reads is present and not empty."""
    element = etree.fromstring(_cda()).find(path, H)
    assert element is not None
    assert element.text or element.get("code") or element.get("root") or element.get("value")


def test_cda_is_deterministic() -> None:
    assert _cda() == _cda()


def test_structure_id_is_a_finess_with_a_valid_key() -> None:
    ident = docs.structure_id(docs.BIOLOGIST)
    assert len(ident) == 10 and ident.startswith("1") and ident[1:3] == "69"
    assert docs.luhn_key(ident[1:-1]) == ident[-1]
    assert docs.luhn_key("7992739871") == "3"  # the textbook Luhn example


def test_cda_reads_back_with_the_project_reader() -> None:
    reader = pytest.importorskip("app.protocols.cda.header")
    pdf = _pdf()
    header = reader.read_cda_header(_cda(pdf))
    assert header.level == 1 and header.has_embedded_pdf
    assert header.code.code == "11502-2"
    assert header.patient.ins is not None
    assert header.patient.ins.root == world.INS_NIR_OID
    assert header.patient.ins.extension == world.PATIENTS[0].ins
    assert header.authors and header.authors[0].time == "20261103093000+0100"
    assert header.practice_setting is not None and header.practice_setting.code == "AMBULATOIRE"
    assert header.healthcare_facility_type is not None
    assert header.healthcare_facility_type.code == "SA29"
    assert reader.extract_embedded_pdf(_cda(pdf)) == pdf


# ------------------------------------------------------------------ the seeded messages (no server)


@pytest.fixture(scope="module")
def seeds() -> list[Any]:
    from tests.sandbox import seed_messages

    return seed_messages.build()


def test_seeded_messages_are_deterministic(seeds: list[Any]) -> None:
    from tests.sandbox import seed_messages

    again = seed_messages.build()
    assert [seed_messages._wire(s.message) for s in seeds] == [
        seed_messages._wire(s.message) for s in again]


def test_every_seeded_message_has_id_date_and_nil(seeds: list[Any]) -> None:
    """Message-ID (ECO.2.2.1), UTF-8 text, X-MSS-NIL on every message (MSSANTE.md §6)."""
    ids = [s.message_id for s in seeds]
    assert len(set(ids)) == len(ids) >= 24
    for seed in seeds:
        msg = seed.message
        assert msg["Date"] is not None and msg["X-MSS-NIL"], seed.key
        assert all(ord(c) < 128 for c in str(msg["Message-ID"])), seed.key
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None and body.get_content_charset() in ("utf-8", "us-ascii"), seed.key


def test_replies_thread_to_seeded_messages(seeds: list[Any]) -> None:
    """In-Reply-To / References point at messages of the seed (ECO.2.2.2)."""
    ids = {s.message_id for s in seeds}
    replies = [s for s in seeds if s.message["In-Reply-To"]]
    assert len(replies) >= 8
    for seed in replies:
        assert str(seed.message["In-Reply-To"]) in ids, seed.key
        assert str(seed.message["In-Reply-To"]) in str(seed.message["References"]).split()


def test_xdm_messages_match_their_cda(seeds: list[Any]) -> None:
    """X-MSS-CODECDA is the CDA code, X-MSS-INS says O, the subject follows ECO.2.1 rules."""
    import io
    import zipfile

    xdm = [s for s in seeds if s.message["X-MSS-CODECDA"]]
    if not xdm:
        pytest.skip("the project's XDM packer is not importable")
    assert len(xdm) == 5
    for seed in xdm:
        msg = seed.message
        assert str(msg["Subject"]).startswith("XDM/1.0/DDM+")
        assert msg["X-MSS-INS"] == "O"
        zips = [p for p in msg.iter_attachments() if p.get_filename() == "IHE_XDM.ZIP"]
        assert len(zips) == 1
        archive = zipfile.ZipFile(io.BytesIO(zips[0].get_content()))
        cda = etree.fromstring(archive.read("IHE_XDM/SUBSET01/DOC0001.XML"))
        assert cda.find("h:code", H).get("code") == msg["X-MSS-CODECDA"]
        ins = cda.find("h:recordTarget/h:patientRole/h:id", H).get("extension")
        family = cda.find("h:recordTarget/h:patientRole/h:patient/h:name/h:family", H).text
        assert family in str(msg["Subject"])
        assert any(p.get_content_type() == "application/pdf" for p in msg.iter_attachments())
        assert ins


def test_patient_conversation_closes_with_fin(seeds: list[Any]) -> None:
    """The professional closes the conversation with X-MSS-MES: FIN (ECO.2.2.8)."""
    durand = world.PATIENTS[0].address
    conversation = [s for s in seeds
                    if durand in s.recipients or s.envelope_from == durand]
    assert [s.message["X-MSS-MES"] for s in conversation] == [None, None, "FIN"]
    assert conversation[1].envelope_from == durand
