"""The 60 ANS CDA R2 examples: header read, packed into an XDM, read back (ECO.2.1.x)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from app.domain.xdm import XdmInputDocument
from app.protocols.cda import read_cda_header
from app.protocols.xdm import pack_xdm, read_xdm

pytestmark = pytest.mark.corpus

CDA_DIR = "cda/ans-testcontenucda-3.0"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _documents(corpus: Path) -> list[Path]:
    files = sorted((corpus / CDA_DIR).glob("*.xml"))
    assert len(files) == 60, "the ANS example set has 60 documents"
    return files


@pytest.fixture(scope="module")
def lcm_schema(corpus: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(corpus / "schemas/ebrim-3.0/lcm.xsd")))


def test_every_ans_example_has_patient_and_type(corpus: Path) -> None:
    """ECO.2.1.x: every ANS CDA R2 example (levels 1 and 3) gives its patient's INS and type."""
    wrapped = 0
    levels = set()
    for path in _documents(corpus):
        header = read_cda_header(path.read_bytes())
        assert header.patient.ins is not None, path.name
        assert header.patient.family_name, path.name
        assert header.code.code and header.code.code_system, path.name
        wrapped += header.self_presenting
        levels.add(header.level)
    # Two examples are auto-présentable stylesheets; both levels are represented.
    assert wrapped == 2
    assert levels == {1, 3}


def test_level_one_examples_carry_a_pdf(corpus: Path) -> None:
    header = read_cda_header(
        (corpus / CDA_DIR / "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml").read_bytes()
    )
    assert header.level == 1 and header.has_embedded_pdf


def test_every_example_packs_and_reads_back(corpus: Path, lcm_schema: etree.XMLSchema) -> None:
    """ECO.2.1.x: each example packed in an IHE_XDM.ZIP (schema-valid metadata) reads back with
    its patientId, type, hash and size."""
    for path in _documents(corpus):
        header = read_cda_header(path.read_bytes())
        package = pack_xdm([XdmInputDocument(path.read_bytes())], submission_time=WHEN)
        archive = zipfile.ZipFile(io.BytesIO(package.zip_bytes))
        metadata = etree.fromstring(archive.read("IHE_XDM/SUBSET01/METADATA.XML"))
        assert lcm_schema.validate(etree.ElementTree(metadata)), (path.name, lcm_schema.error_log)
        result = read_xdm(package.zip_bytes)
        assert result.warnings == (), path.name
        (document,) = result.documents
        assert document.cda is not None and document.hash_ok and document.size_ok
        assert document.cda.patient.ins == header.patient.ins
        assert document.cda.code.code == header.code.code == package.codes
        assert document.entry is not None and document.entry.type_code is not None
        assert document.entry.type_code.code == header.code.code
        ins = header.patient.ins
        assert ins is not None
        assert result.patient_id == f"{ins.extension}^^^&{ins.root}&ISO"
        assert package.subject.startswith("XDM/1.0/DDM+")


def test_one_package_with_all_documents_of_one_patient(
    corpus: Path, lcm_schema: etree.XMLSchema
) -> None:
    """ECO.2.1.x: ten CDA documents of one patient, each with its PDF, in one IHE_XDM.ZIP."""
    paths = [
        p
        for p in _documents(corpus)
        if read_cda_header(p.read_bytes()).patient.ins is not None
        and read_cda_header(p.read_bytes()).patient.ins.extension == "279035121518989"  # type: ignore[union-attr]
    ]
    assert len(paths) > 40
    docs = [XdmInputDocument(p.read_bytes(), pdf=b"%PDF-1.4\n") for p in paths[:10]]
    package = pack_xdm(docs, submission_time=WHEN)
    assert package.subject.startswith("XDM/1.0/DDM+10 documents ")
    archive = zipfile.ZipFile(io.BytesIO(package.zip_bytes))
    metadata = etree.fromstring(archive.read("IHE_XDM/SUBSET01/METADATA.XML"))
    assert lcm_schema.validate(etree.ElementTree(metadata)), lcm_schema.error_log
    result = read_xdm(package.zip_bytes)
    assert len(result.documents) == 20 and result.warnings == ()
