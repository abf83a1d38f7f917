"""CDA R2 header model: what a client needs to file, show and forward a clinical document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from app.domain.ins import InsOid
from app.errors import UserFacingError

# INS (Identifiant National de Santé) assigning authorities: NIR, NIA, and the test and
# demonstration ranges used by the ANS examples.
INS_OIDS: frozenset[str] = frozenset(str(oid) for oid in InsOid)


class CdaError(UserFacingError, ValueError):
    """A document that cannot be read as a CDA R2 (message in French, shown to users)."""


class InstanceId(NamedTuple):
    """An HL7 ``II``: ``root`` OID (or UUID) and optional ``extension``."""

    root: str
    extension: str | None = None

    def as_xds(self) -> str:
        """The XDS uniqueId form: ``root^extension`` or ``root`` alone."""
        return f"{self.root}^{self.extension}" if self.extension else self.root


@dataclass(frozen=True)
class CodedValue:
    code: str
    code_system: str | None = None
    display_name: str | None = None
    code_system_name: str | None = None


@dataclass(frozen=True)
class CdaPatient:
    ids: tuple[InstanceId, ...]
    family_name: str | None
    given_names: tuple[str, ...]
    birth_time: str | None
    gender: str | None

    @property
    def ins(self) -> InstanceId | None:
        """The first identifier issued by an INS authority (NIR/NIA), if any."""
        for ident in self.ids:
            if ident.root in INS_OIDS and ident.extension:
                return ident
        return None

    @property
    def first_given_name(self) -> str | None:
        return self.given_names[0] if self.given_names else None

    @property
    def birth_date(self) -> date | None:
        value = self.birth_time or ""
        if len(value) < 8 or not value[:8].isdigit():
            return None
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            return None


@dataclass(frozen=True)
class CdaOrganization:
    id: InstanceId | None
    name: str | None


@dataclass(frozen=True)
class CdaPerson:
    """An author or legal authenticator (``assignedAuthor`` / ``assignedEntity``)."""

    id: InstanceId | None
    family_name: str | None
    given_names: tuple[str, ...]
    prefix: str | None
    specialty: CodedValue | None
    function: CodedValue | None
    institution: CdaOrganization | None
    time: str | None
    device_name: str | None = None


@dataclass(frozen=True)
class CdaHeader:
    document_id: InstanceId
    code: CodedValue
    title: str | None
    effective_time: str | None
    confidentiality: CodedValue | None
    language_code: str | None
    set_id: InstanceId | None
    version_number: int | None
    patient: CdaPatient
    authors: tuple[CdaPerson, ...]
    custodian: CdaOrganization | None
    legal_authenticator: CdaPerson | None
    # 1: unstructured body (nonXMLBody, e.g. a PDF); 3: structuredBody.
    level: int
    body_media_type: str | None
    has_embedded_pdf: bool
    template_ids: tuple[InstanceId, ...] = ()
    service_event: CodedValue | None = None
    service_start: str | None = None
    service_stop: str | None = None
    healthcare_facility_type: CodedValue | None = None
    practice_setting: CodedValue | None = None
    # True when the file was an "auto-présentable" xsl:stylesheet wrapping the ClinicalDocument.
    self_presenting: bool = False

    @property
    def type_label(self) -> str:
        """Human label of the document type: code/@displayName, else the title, else the code."""
        return self.code.display_name or self.title or self.code.code
