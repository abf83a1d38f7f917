"""IHE XDM (ITI-32) package model: the ebRIM metadata of a submission set and its documents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.domain.cda import CdaHeader, CdaPatient
from app.errors import UserFacingError

CDA_MIME_TYPE = "text/xml"
PDF_MIME_TYPE = "application/pdf"
SUBJECT_PREFIX = "XDM/1.0/DDM+"
SUBJECT_LABEL_MAX = 40
# The prefix, after any bracketed tags a receiver or an MDN adds in front ("[KO …][902] ").
_SUBJECT_PREFIX_RE = re.compile(r"^((?:\s*\[[^\]]*\])*\s*)XDM/1\.0/DDM\+", re.IGNORECASE)


def display_subject(subject: str) -> str:
    """The subject as receivers show it: without the ``XDM/1.0/DDM+`` prefix (MSSANTE §6)."""
    return _SUBJECT_PREFIX_RE.sub(lambda m: m.group(1), subject, count=1)


class XdmError(UserFacingError, ValueError):
    """A package we refuse to build or to read (message in French, shown to users)."""


@dataclass(frozen=True)
class XdsCode:
    """A coded XDS classification: ``nodeRepresentation``, its ``codingScheme`` slot and name."""

    code: str
    scheme: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class XdsAuthor:
    person: str | None = None
    institutions: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()


@dataclass(frozen=True)
class XdsDocumentEntry:
    entry_id: str
    unique_id: str | None
    patient_id: str | None
    mime_type: str | None
    uri: str | None
    hash: str | None
    size: int | None
    creation_time: str | None = None
    language_code: str | None = None
    title: str | None = None
    source_patient_id: str | None = None
    source_patient_info: tuple[str, ...] = ()
    legal_authenticator: str | None = None
    service_start: str | None = None
    service_stop: str | None = None
    class_code: XdsCode | None = None
    type_code: XdsCode | None = None
    format_code: XdsCode | None = None
    confidentiality_codes: tuple[XdsCode, ...] = ()
    healthcare_facility_type: XdsCode | None = None
    practice_setting: XdsCode | None = None
    event_codes: tuple[XdsCode, ...] = ()
    authors: tuple[XdsAuthor, ...] = ()


@dataclass(frozen=True)
class XdsSubmissionSet:
    entry_id: str
    unique_id: str | None
    source_id: str | None
    patient_id: str | None
    submission_time: str | None
    title: str | None = None
    content_type: XdsCode | None = None
    authors: tuple[XdsAuthor, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class XdmMetadata:
    submission_set: XdsSubmissionSet | None
    entries: tuple[XdsDocumentEntry, ...]

    def entry_for_uri(self, uri: str) -> XdsDocumentEntry | None:
        """The entry whose URI names ``uri`` (case-insensitive: XDM media are often FAT/ISO)."""
        wanted = uri.replace("\\", "/").rsplit("/", 1)[-1].casefold()
        for entry in self.entries:
            if entry.uri and entry.uri.replace("\\", "/").rsplit("/", 1)[-1].casefold() == wanted:
                return entry
        return None


@dataclass(frozen=True)
class XdmInputDocument:
    """One document to pack: the CDA, optionally its PDF rendering (PDF/A) and overrides."""

    cda: bytes
    pdf: bytes | None = None
    pdf_name: str | None = None
    # XDS codes the CDA header cannot give; sensible ANS defaults are used when absent.
    class_code: XdsCode | None = None
    format_code: XdsCode | None = None


@dataclass(frozen=True)
class XdmPackedFile:
    path: str
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class XdmPackage:
    zip_bytes: bytes
    metadata: XdmMetadata
    headers: tuple[CdaHeader, ...]
    patient: CdaPatient
    # X-MSS-CODECDA: the CDA type codes, comma-joined, in document order.
    codes: str
    # Subject line per the ANS rule: XDM/1.0/DDM+<libellé> <NOM> <prénom> <date de naissance>.
    subject: str
    # X-MSS-INS: 'O' when the packed documents carry an INS, else 'N'.
    ins_qualified: str
    files: tuple[XdmPackedFile, ...]

    @property
    def pdfs(self) -> tuple[XdmPackedFile, ...]:
        """The PDF renderings, which MSSanté also attaches beside IHE_XDM.ZIP."""
        return tuple(f for f in self.files if f.mime_type == PDF_MIME_TYPE)


@dataclass(frozen=True)
class XdmDocument:
    """One document read out of a package."""

    path: str
    data: bytes
    mime_type: str
    entry: XdsDocumentEntry | None
    cda: CdaHeader | None
    hash_ok: bool | None
    size_ok: bool | None


@dataclass(frozen=True)
class XdmReadResult:
    documents: tuple[XdmDocument, ...]
    metadata: XdmMetadata | None
    metadata_path: str | None
    patient_id: str | None
    patient: CdaPatient | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def submission_set(self) -> XdsSubmissionSet | None:
        return self.metadata.submission_set if self.metadata else None
