"""Filing a document into the patient folder (issue 7 item 3): name format, no overwrite, safe
names whatever the CDA says, atomic publication, and an audit row that names no file
(ECO.4.1.1–2: traces, never content)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.composition import Profile, open_profile
from app.domain.audit import AuditAction, AuditActor, AuditOutcome
from app.domain.cda import CdaError
from app.protocols.cda.header import read_cda_header
from app.services import document_filing
from app.services.document_filing import (
    DocumentFilingService,
    FiledDocument,
    FiledFormat,
    FilingError,
    candidate_names,
    document_date,
    filing_name,
    safe_part,
    type_slug,
)
from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world as world
from tests.sandbox.demo_world import Patient

MAILBOX = "secretariat@clinique.mssante.fr"
ACTOR = AuditActor("secretariat", "810000000001")
AUTHOR = docs.BIOLOGIST
WHEN = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _cda(patient: Patient = world.PATIENTS[1], *, pdf: bytes | None = None,
         display_name: str = "CR d'examens biologiques") -> bytes:
    return docs.make_cda_level1(
        patient, AUTHOR, code="11502-2", code_system=docs.LOINC, display_name=display_name,
        title="Compte rendu de biologie", effective_time=WHEN,
        pdf=pdf if pdf is not None else docs.make_pdf("Compte rendu", ["Glycémie : 5,1 mmol/L"]),
    )


def _level3_without_pdf() -> bytes:
    """The level-1 demo document turned into a level 3 one with a narrative section (no PDF)."""
    xml = _cda().decode()
    start = xml.index("<component>", xml.index("</componentOf>") if "</componentOf>" in xml
                      else 0)
    end = xml.rindex("</component>") + len("</component>")
    body = ("<component><structuredBody><component><section><title>Résultats</title>"
            "<text><paragraph>Glycémie normale.</paragraph></text></section></component>"
            "</structuredBody></component>")
    return (xml[:start] + body + xml[end:]).encode()


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


@pytest.fixture
def service(profile: Profile) -> DocumentFilingService:
    return DocumentFilingService(audit=profile.audit)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "Dossiers patients"
    target.mkdir()
    return target


def _file(service: DocumentFilingService, folder: Path, cda: bytes,
          pdf: bytes | None = None) -> FiledDocument:
    return service.file_document(cda, folder=folder, mailbox=MAILBOX, actor=ACTOR, pdf=pdf,
                                 message_ref=42, attachment_index=1)


# --- names ---------------------------------------------------------------------------------------


def test_name_format_date_type_family_given() -> None:
    header = read_cda_header(_cda())
    # Paul Lefèvre: accents transliterated (RNIV writes INS traits without diacritics).
    assert filing_name(header, "pdf") == "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul.pdf"
    assert filing_name(header, FiledFormat.XML).endswith("_LEFEVRE_Paul.xml")


def test_type_slug_is_short_and_cut_on_a_word() -> None:
    assert type_slug("Compte rendu d'hospitalisation (séjour)") == "compte-rendu-d-hospitalisation"
    long = type_slug("Synthèse médicale de sortie pour la médecine nucléaire et la radiologie")
    assert len(long) <= document_filing.TYPE_SLUG_MAX
    assert long == "synthese-medicale-de-sortie-pour"
    assert type_slug("") == "document"
    assert type_slug("///") == "document"


def test_document_date_from_effective_time() -> None:
    assert document_date("20240106113623+0100") == "2024-01-06"
    assert document_date("20240106") == "2024-01-06"
    assert document_date("2024") == document_filing.UNKNOWN_DATE
    assert document_date("20241399") == document_filing.UNKNOWN_DATE
    assert document_date(None) == document_filing.UNKNOWN_DATE


@pytest.mark.parametrize(
    ("family", "given", "expected"),
    [
        ("../../etc", "passwd", "_ETC_Passwd.pdf"),
        ("a/b\\c", "x\ty\n", "_A-B-C_X-Y.pdf"),
        ("..", "..", "_INCONNU_Inconnu.pdf"),
        ("Œuvray-Ménard", "jean pierre", "_OEUVRAY-MENARD_Jean-Pierre.pdf"),
        ("C:\\Windows", "CON", "_C-WINDOWS_Con.pdf"),
        ("X" * 300, "Y" * 300, "_" + "X" * 40 + "_Y" + "y" * 39 + ".pdf"),
    ],
)
def test_hostile_patient_names_are_sanitised(family: str, given: str, expected: str) -> None:
    patient = dataclasses.replace(world.PATIENTS[0], family_name=family, given_name=given)
    name = filing_name(read_cda_header(_cda(patient)), "pdf")
    assert name.endswith(expected), name
    assert "/" not in name and "\\" not in name and ".." not in name
    assert all(c.isascii() and c.isprintable() for c in name)


def test_safe_part_keeps_only_letters_digits_and_dashes() -> None:
    assert safe_part("Lefèvre / Œuvray\t\x7f") == "Lefevre-OEuvray"
    assert safe_part(None) == ""


def test_candidate_names_suffix() -> None:
    assert candidate_names("a_b.pdf")[:3] == ["a_b.pdf", "a_b-2.pdf", "a_b-3.pdf"]


# --- writing -------------------------------------------------------------------------------------


def test_files_the_pdf_with_the_expected_name(service: DocumentFilingService,
                                              folder: Path) -> None:
    pdf = docs.make_pdf("Compte rendu", ["Glycémie : 5,1 mmol/L"])
    filed = _file(service, folder, _cda(pdf=pdf))
    assert filed.format is FiledFormat.PDF
    assert filed.path == folder / "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul.pdf"
    assert filed.path.read_bytes() == pdf
    assert stat.S_IMODE(filed.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [filed.name]  # no temp file left


def test_explicit_pdf_wins_over_embedded(service: DocumentFilingService, folder: Path) -> None:
    rendering = docs.make_pdf("Rendu PDF/A", ["Autre rendu"])
    filed = _file(service, folder, _cda(), pdf=rendering)
    assert filed.path.read_bytes() == rendering


def test_without_pdf_the_cda_is_filed_as_xml(service: DocumentFilingService,
                                              folder: Path) -> None:
    cda = _level3_without_pdf()
    assert read_cda_header(cda).level == 3
    filed = _file(service, folder, cda)
    assert filed.format is FiledFormat.XML
    assert filed.name.endswith("_LEFEVRE_Paul.xml")
    assert filed.path.read_bytes() == cda


def test_never_overwrites(service: DocumentFilingService, folder: Path) -> None:
    existing = folder / "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul.pdf"
    existing.write_bytes(b"a colleague's file")
    first = _file(service, folder, _cda())
    second = _file(service, folder, _cda())
    assert existing.read_bytes() == b"a colleague's file"
    assert first.name == "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul-2.pdf"
    assert second.name == "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul-3.pdf"


def test_hostile_name_stays_inside_the_folder(service: DocumentFilingService,
                                              folder: Path) -> None:
    patient = dataclasses.replace(world.PATIENTS[0], family_name="../../etc", given_name="a/b")
    filed = _file(service, folder, _cda(patient))
    assert filed.path.parent == folder
    assert filed.name.endswith("_ETC_A-B.pdf")


def test_publication_is_atomic_when_the_write_fails(
    service: DocumentFilingService, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash while writing leaves neither a partial document nor a temporary file."""
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(document_filing.os, "fsync", failing_fsync)
    with pytest.raises(FilingError, match="Impossible d'écrire"):
        _file(service, folder, _cda())
    assert list(folder.iterdir()) == []


def test_no_link_support_falls_back_to_reserve_and_replace(
    service: DocumentFilingService, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT and some SMB mounts have no hard links: the O_EXCL reservation still never
    overwrites, and the content is complete."""

    def no_link(src: object, dst: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(document_filing.os, "link", no_link)
    (folder / "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul.pdf").write_bytes(b"old")
    filed = _file(service, folder, _cda())
    assert filed.name.endswith("_Paul-2.pdf")
    assert filed.path.read_bytes().startswith(b"%PDF")
    assert (folder / "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul.pdf").read_bytes() == b"old"
    assert len(list(folder.iterdir())) == 2


def test_missing_folder_is_a_clear_error(service: DocumentFilingService, tmp_path: Path) -> None:
    with pytest.raises(FilingError, match="n'existe pas"):
        _file(service, tmp_path / "absent", _cda())


def test_not_a_cda_is_a_clear_error(service: DocumentFilingService, folder: Path) -> None:
    with pytest.raises(CdaError):
        _file(service, folder, b"<html><body>pas un CDA</body></html>")
    assert list(folder.iterdir()) == []


# --- audit ---------------------------------------------------------------------------------------


def test_audit_row_names_no_file(service: DocumentFilingService, folder: Path,
                                 profile: Profile) -> None:
    """ECO.4.1.1: filing is traced (who, when, which message and attachment) — the file name,
    which holds the patient's name, is not (ECO.4.1.2)."""
    filed = _file(service, folder, _cda())
    (entry,) = profile.audit.entries()
    assert entry.action is AuditAction.FILE_DOCUMENT
    assert entry.outcome is AuditOutcome.SUCCESS
    assert entry.request == "LOCAL EXPORT"
    assert (entry.message_ref, entry.attachment_index) == (42, 1)
    assert entry.mailbox == MAILBOX and entry.actor == ACTOR
    row_text = repr(dataclasses.astuple(entry))
    for fragment in (filed.name, "LEFEVRE", "Lefèvre", "Paul", str(folder)):
        assert fragment not in row_text


def test_failure_is_audited(service: DocumentFilingService, tmp_path: Path,
                            profile: Profile) -> None:
    """ECO.4.1.1: a failed filing is traced too, as a failure with its reason."""
    with pytest.raises(FilingError):
        _file(service, tmp_path / "absent", _cda())
    (entry,) = profile.audit.entries()
    assert entry.action is AuditAction.FILE_DOCUMENT
    assert entry.outcome is AuditOutcome.FAILURE
    assert entry.failure is not None


def test_no_filed_copy_without_its_trace(folder: Path, profile: Profile) -> None:
    """ECO.4.1.1: when the trace cannot be written, no copy is filed."""
    class BrokenAudit:
        def record(self, **kwargs: object) -> None:
            raise RuntimeError("database gone")

    service = DocumentFilingService(audit=BrokenAudit())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        _file(service, folder, _cda())
    assert list(folder.iterdir()) == []
