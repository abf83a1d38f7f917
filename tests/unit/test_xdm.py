"""IHE XDM packing and reading: round trip, one patient per package, subject line, hostile zips."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime

import pytest

from app.domain.xdm import XdmError, XdmInputDocument
from app.protocols.xdm import pack_xdm, read_xdm
from app.protocols.xdm.reader import XdmLimits
from tests.unit.test_cda_header import PDF, make_cda

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_round_trip_keeps_bytes_hashes_and_patient() -> None:
    cda = make_cda()
    package = pack_xdm([XdmInputDocument(cda, pdf=PDF, pdf_name="cr.pdf")], submission_time=WHEN)
    result = read_xdm(package.zip_bytes)
    assert result.warnings == ()
    by_mime = {d.mime_type: d for d in result.documents}
    assert by_mime["text/xml"].data == cda and by_mime["application/pdf"].data == PDF
    for document in result.documents:
        assert document.hash_ok and document.size_ok
        assert document.entry is not None
        assert document.entry.hash == hashlib.sha1(document.data).hexdigest()
    assert result.patient_id == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO"
    assert result.patient is not None and result.patient.ins == package.patient.ins
    assert by_mime["text/xml"].cda is not None
    assert by_mime["text/xml"].entry.type_code.code == "11502-2"  # type: ignore[union-attr]
    assert result.submission_set is not None
    assert set(result.submission_set.members) == {e.entry_id for e in package.metadata.entries}
    names = zipfile.ZipFile(io.BytesIO(package.zip_bytes)).namelist()
    assert names[:3] == ["README.TXT", "INDEX.HTM", "IHE_XDM/SUBSET01/METADATA.XML"]


def test_packing_is_deterministic() -> None:
    docs = [XdmInputDocument(make_cda())]
    assert (
        pack_xdm(docs, submission_time=WHEN).zip_bytes
        == pack_xdm(docs, submission_time=WHEN).zip_bytes
    )
    later = datetime(2026, 3, 1, 9, 31, tzinfo=UTC)
    assert (
        pack_xdm(docs, submission_time=WHEN).zip_bytes
        != pack_xdm(docs, submission_time=later).zip_bytes
    )


def test_two_patients_are_refused() -> None:
    """ECO.2.1: one MSSanté message carries the documents of one patient."""
    other = make_cda(ins="180017505600103", doc_id="1.2.250.1.999.77")
    with pytest.raises(XdmError) as info:
        pack_xdm([XdmInputDocument(make_cda()), XdmInputDocument(other)], submission_time=WHEN)
    assert "patient" in info.value.message


def test_empty_and_non_cda_inputs_are_refused() -> None:
    with pytest.raises(XdmError):
        pack_xdm([])
    with pytest.raises(XdmError) as info:
        pack_xdm([XdmInputDocument(b"<html/>")])
    assert "Document n°1" in info.value.message


def test_subject_headers_and_label_cut() -> None:
    long_label = "Compte rendu d'examens de biologie médicale très détaillé"
    package = pack_xdm([XdmInputDocument(make_cda(display=long_label))], submission_time=WHEN)
    assert package.subject == (
        f"XDM/1.0/DDM+{long_label[:40].rstrip()} PAT-TROIS DOMINIQUE 28/03/1979"
    )
    assert package.codes == "11502-2" and package.ins_qualified == "O"


def test_subject_with_several_documents_and_codes() -> None:
    second = make_cda(code="11369-6", display="Historique de vaccinations", doc_id="1.2.3.4")
    package = pack_xdm(
        [XdmInputDocument(make_cda()), XdmInputDocument(second)], submission_time=WHEN
    )
    assert package.subject == "XDM/1.0/DDM+2 documents PAT-TROIS DOMINIQUE 28/03/1979"
    assert package.codes == "11502-2,11369-6"


def test_without_ins_the_package_says_n() -> None:
    cda = make_cda(ins_root="1.2.250.1.999.5", ins="LOCAL1")
    assert pack_xdm([XdmInputDocument(cda)], submission_time=WHEN).ins_qualified == "N"


def test_tampered_document_is_reported() -> None:
    package = pack_xdm([XdmInputDocument(make_cda())], submission_time=WHEN)
    source = zipfile.ZipFile(io.BytesIO(package.zip_bytes))
    members = [
        (n, source.read(n) + (b"<!-- x -->" if n.endswith("DOC0001.XML") else b""))
        for n in source.namelist()
    ]
    result = read_xdm(_zip(members))
    assert result.documents[0].hash_ok is False and result.documents[0].size_ok is False
    assert any("SHA-1" in w for w in result.warnings)


def test_messy_layout_is_read() -> None:
    """Extra root folder, __MACOSX, another subset name, lowercase file names."""
    package = pack_xdm([XdmInputDocument(make_cda())], submission_time=WHEN)
    source = zipfile.ZipFile(io.BytesIO(package.zip_bytes))
    members = [
        ("export/" + n.replace("SUBSET01", "SUBSET_A").lower(), source.read(n))
        for n in source.namelist()
    ]
    members.append(("__MACOSX/export/._index.htm", b"\x00\x05junk"))
    result = read_xdm(_zip(members))
    assert [d.path for d in result.documents] == ["export/ihe_xdm/subset_a/doc0001.xml"]
    assert result.documents[0].hash_ok and result.documents[0].cda is not None


def test_no_metadata_falls_back_to_listing() -> None:
    result = read_xdm(_zip([("IHE_XDM/A/DOC.XML", make_cda()), ("INDEX.HTM", b"<html/>")]))
    assert len(result.documents) == 1 and result.documents[0].entry is None
    assert result.documents[0].cda is not None
    assert any("METADATA.XML absent" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/evil.xml", "IHE_XDM\\..\\..\\evil.xml"])
def test_path_traversal_is_refused(name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("ok.xml"), make_cda())
        info = zipfile.ZipInfo("placeholder")
        info.filename = name  # ZipInfo normalises some names; force the raw one
        archive.writestr(info, b"x")
    with pytest.raises(XdmError) as info_:
        read_xdm(buffer.getvalue())
    assert "chemin" in info_.value.message


def test_zip_bomb_is_refused_by_ratio() -> None:
    buffer = io.BytesIO()
    # Streamed: 64 MiB of zeros never sit in memory at once.
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("IHE_XDM/SUBSET01/DOC0001.XML", "w") as stream,
    ):
        chunk = b"\x00" * (1024 * 1024)
        for _ in range(64):
            stream.write(chunk)
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(XdmError) as info:
        read_xdm(buffer.getvalue())
    assert "compression" in info.value.message


def test_total_size_limit_is_enforced() -> None:
    data = _zip([(f"IHE_XDM/S/D{i}.XML", make_cda()) for i in range(3)])
    with pytest.raises(XdmError):
        read_xdm(data, limits=XdmLimits(max_total_bytes=2 * len(make_cda())))
    with pytest.raises(XdmError):
        read_xdm(data, limits=XdmLimits(max_entries=2))


def test_encrypted_entry_is_refused() -> None:
    data = bytearray(_zip([("IHE_XDM/SUBSET01/DOC0001.XML", make_cda())]))
    # Set the "encrypted" general-purpose flag in both the local and the central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.index(signature) + offset
        data[position] |= 0x01
    with pytest.raises(XdmError) as info:
        read_xdm(bytes(data))
    assert "chiffré" in info.value.message


def test_xxe_in_metadata_is_not_resolved() -> None:
    package = pack_xdm([XdmInputDocument(make_cda())], submission_time=WHEN)
    source = zipfile.ZipFile(io.BytesIO(package.zip_bytes))
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<SubmitObjectsRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">&x;'
        b"</SubmitObjectsRequest>"
    )
    members = [
        (n, evil if n.endswith("METADATA.XML") else source.read(n)) for n in source.namelist()
    ]
    result = read_xdm(_zip(members))
    assert result.metadata is None
    assert any("DOCTYPE" in w for w in result.warnings)
    assert all(b"root:" not in d.data for d in result.documents)


def test_not_a_zip() -> None:
    with pytest.raises(XdmError):
        read_xdm(b"definitely not a zip")


def test_receivers_show_the_subject_without_the_xdm_prefix() -> None:
    """MSSANTE §6: the subject is shown without ``XDM/1.0/DDM+``, tags in front kept."""
    from app.domain.xdm import display_subject

    assert display_subject("XDM/1.0/DDM+CR d'examens biologiques DURAND MARIE 14/03/1975") == (
        "CR d'examens biologiques DURAND MARIE 14/03/1975")
    assert display_subject("[KO Intégration système !][902] XDM/1.0/DDM+Note X") == (
        "[KO Intégration système !][902] Note X")
    assert display_subject("Re: résultats") == "Re: résultats"
    assert display_subject("Voir XDM/1.0/DDM+ plus loin") == "Voir XDM/1.0/DDM+ plus loin"
