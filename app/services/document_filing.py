"""File a clinical document into the patient folder: a user-chosen export, audited.

The user configures one folder (the practice's patient records, often a network share); "Classer
dans le dossier patient" writes the document there as ``<date>_<type>_<NOM>_<prénom>.pdf`` — or
``.xml`` when the CDA carries no PDF — so the folder sorts by date and reads at a glance.

Decisions:
- **Names are transliterated to ASCII** (``Lefèvre`` → ``LEFEVRE``, ``Œ`` → ``OE``): the INS
  identity traits are themselves written without diacritics (RNIV), and ASCII names survive every
  share, archive and practice software the folder may meet (SMB, FAT USB keys, macOS NFD). The
  document itself keeps the exact identity.
- Each part is reduced to letters, digits and ``-``: no separator, dot, control character or
  reserved character can reach the file system, whatever a hostile CDA puts in its header, and the
  fixed ``<date>_`` prefix means no part can form a reserved Windows name (``CON``, ``NUL``…).
- **Never overwrite**: an existing name gets ``-2``, ``-3``… The content is first written to a
  hidden temporary file in the same folder, synced, then published with ``os.link`` (atomic and
  refuses an existing name) — or, where hard links are not supported (FAT, some SMB mounts), by
  reserving the name with ``O_EXCL`` and renaming over the reservation.
- The file is created owner-only (0600): it is health data, and a wider sharing is the user's
  decision on the folder, not ours.
- The original CDA bytes are written for ``.xml`` (a faithful copy of what was received).
- **Audit** (ECO.4.1.1): ``FILE_DOCUMENT`` with ``LOCAL EXPORT``, the message and attachment
  references — never the file name (it holds the patient's name). If the audit cannot be written,
  the filed copy is removed: no export without its trace. Failures are audited too.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import logging
import os
import re
import secrets
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.domain.audit import AuditAction, AuditActor
from app.domain.cda import CdaError, CdaHeader
from app.errors import InvalidInputError, UserFacingError
from app.protocols.cda.header import extract_embedded_pdf, read_cda_header
from app.services.audit_service import AuditService, failure_from_exception
from app.store.durable_files import fsync_directory

_log = logging.getLogger(__name__)

TYPE_SLUG_MAX = 32
NAME_PART_MAX = 40
MAX_COLLISIONS = 999
UNKNOWN_DATE = "sans-date"
UNKNOWN_FAMILY = "INCONNU"
UNKNOWN_GIVEN = "Inconnu"
_TEMP_PREFIX = ".estafette-"
_TEMP_SUFFIX = ".part"

# Letters NFKD does not decompose into ASCII.
_TRANSLITERATION = str.maketrans(
    {
        "Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "Ø": "O", "ø": "o",
        "Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Þ": "TH", "þ": "th", "ı": "i",
    }
)
_NOT_SAFE = re.compile(r"[^A-Za-z0-9]+")


class FiledFormat(enum.StrEnum):
    PDF = "pdf"
    XML = "xml"


@dataclass(frozen=True)
class FiledDocument:
    """Where the document was written, and in which form."""

    path: Path
    format: FiledFormat

    @property
    def name(self) -> str:
        return self.path.name


class FilingError(InvalidInputError):
    """The document could not be filed (French message, safe to show)."""

    default_message = "Le document n'a pas pu être classé dans le dossier patient."
    default_message_en = "The document could not be filed into the patient folder."


def ascii_fold(text: str) -> str:
    """``text`` without diacritics or ligatures (``Hélène Œuvray`` → ``Helene OEuvray``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c.isascii())


def safe_part(text: str | None, *, limit: int = NAME_PART_MAX) -> str:
    """Letters and digits of ``text`` (ASCII-folded), runs of anything else as one ``-``."""
    folded = _NOT_SAFE.sub("-", ascii_fold(text or "")).strip("-")
    if len(folded) > limit:
        folded = folded[:limit].rstrip("-")
    return folded


def type_slug(label: str | None) -> str:
    """A short lower-case slug of the document type label, cut at a word boundary."""
    slug = safe_part(label, limit=10_000).lower()
    if len(slug) <= TYPE_SLUG_MAX:
        return slug or "document"
    # Keep whole words: cut at the last "-" that still fits (one extra character tells whether
    # the limit falls exactly at the end of a word).
    cut = slug[: TYPE_SLUG_MAX + 1]
    head = cut.rsplit("-", 1)[0] if "-" in cut else slug[:TYPE_SLUG_MAX]
    return head.rstrip("-") or "document"


def document_date(effective_time: str | None) -> str:
    """``YYYY-MM-DD`` from an HL7 TS (``20240106113623+0100``), ``sans-date`` when unreadable."""
    digits = (effective_time or "").strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        return UNKNOWN_DATE
    year, month, day = digits[:4], digits[4:6], digits[6:8]
    if not ("01" <= month <= "12" and "01" <= day <= "31"):
        return UNKNOWN_DATE
    return f"{year}-{month}-{day}"


def _given(text: str | None) -> str:
    """A first name as ``Jean-Pierre``: each hyphen-separated part capitalised."""
    part = safe_part(text)
    return "-".join(p[:1].upper() + p[1:].lower() for p in part.split("-") if p)


def filing_name(header: CdaHeader, extension: str | FiledFormat) -> str:
    """``<date>_<type>_<NOM>_<prénom>.<ext>`` for the document described by ``header``."""
    patient = header.patient
    family = safe_part(patient.family_name).upper() or UNKNOWN_FAMILY
    given = _given(patient.first_given_name) or UNKNOWN_GIVEN
    ext = FiledFormat(extension).value
    return (
        f"{document_date(header.effective_time)}_{type_slug(header.type_label)}_"
        f"{family}_{given}.{ext}"
    )


def candidate_names(name: str) -> list[str]:
    """``name``, then ``stem-2.ext``, ``stem-3.ext``…: the names tried, in order."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    return [name] + [f"{stem}-{n}{suffix}" for n in range(2, MAX_COLLISIONS + 2)]


def _write_temp(folder: Path, data: bytes) -> Path:
    temp = folder / f"{_TEMP_PREFIX}{secrets.token_hex(8)}{_TEMP_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def _publish(temp: Path, target: Path) -> bool:
    """Give ``temp`` the name ``target`` unless it exists; True when published."""
    if sys.platform == "win32":
        try:
            os.rename(temp, target)  # refuses an existing target on Windows
        except FileExistsError:
            return False
        return True
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links here: reserve the name, then atomically replace the empty reservation.
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        os.replace(temp, target)
        return True
    temp.unlink()
    return True


def write_new_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` atomically as ``folder/name`` (or ``name-2``…), never replacing a file."""
    temp = _write_temp(folder, data)
    try:
        for candidate in candidate_names(name):
            target = folder / candidate
            if _publish(temp, target):
                fsync_directory(folder)
                return target
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    raise FilingError(
        f"Trop de documents portent déjà le nom « {name} » dans le dossier patient.",
        message_en=f"Too many documents are already named “{name}” in the patient folder.",
    )


class DocumentFilingService:
    """Export a CDA document (its PDF when it has one) into the configured patient folder."""

    def __init__(self, *, audit: AuditService) -> None:
        self._audit = audit

    def file_document(
        self,
        cda: bytes,
        *,
        folder: Path,
        mailbox: str,
        actor: AuditActor,
        pdf: bytes | None = None,
        message_ref: int | None = None,
        attachment_index: int | None = None,
    ) -> FiledDocument:
        """Write the document into ``folder`` and trace it; blocking (run it off the UI thread).

        ``pdf`` is the PDF rendering that travelled with the CDA (an XDM package carries one);
        without it the PDF embedded in the CDA is used, and without either the CDA itself.
        Raises FilingError/CdaError (French) when the document or the folder is unusable.
        """
        try:
            filed = self._write(cda, folder=folder, pdf=pdf)
        except Exception as exc:
            try:
                self._audit.record(
                    mailbox=mailbox,
                    actor=actor,
                    action=AuditAction.FILE_DOCUMENT,
                    request="LOCAL EXPORT",
                    failure=failure_from_exception(exc),
                    message_ref=message_ref,
                    attachment_index=attachment_index,
                )
            except Exception:
                # The user must still learn why filing failed; the missing trace is logged.
                _log.exception("audit of a failed filing could not be written")
            raise
        try:
            self._audit.record(
                mailbox=mailbox,
                actor=actor,
                action=AuditAction.FILE_DOCUMENT,
                request="LOCAL EXPORT",
                message_ref=message_ref,
                attachment_index=attachment_index,
            )
        except BaseException:
            # No filed copy without its trace.
            with contextlib.suppress(OSError):
                filed.path.unlink()
            raise
        return filed

    def _write(self, cda: bytes, *, folder: Path, pdf: bytes | None) -> FiledDocument:
        header = read_cda_header(cda)
        document = pdf if pdf is not None else extract_embedded_pdf(cda)
        if document is not None and not document.lstrip()[:5].startswith(b"%PDF"):
            raise CdaError("Le PDF joint au document CDA n'est pas un PDF valide.")
        fmt = FiledFormat.PDF if document is not None else FiledFormat.XML
        target = folder.expanduser()
        if not target.is_dir():
            raise FilingError(
                f"Le dossier patient « {target} » n'existe pas ou n'est pas un dossier.",
                message_en=f"The patient folder “{target}” does not exist or is not a folder.",
                hint="Choisissez-le dans les paramètres (Dossier d'export).",
                hint_en="Choose it in the settings (Export folder).",
            )
        name = filing_name(header, fmt)
        try:
            path = write_new_file(target, name, document if document is not None else cda)
        except UserFacingError:
            raise
        except OSError as exc:
            raise FilingError(
                f"Impossible d'écrire dans le dossier patient « {target} » "
                f"({exc.strerror or exc}).",
                message_en=f"Cannot write into the patient folder “{target}” "
                f"({exc.strerror or exc}).",
            ) from exc
        return FiledDocument(path, fmt)


__all__ = [
    "DocumentFilingService",
    "FiledDocument",
    "FiledFormat",
    "FilingError",
    "candidate_names",
    "document_date",
    "filing_name",
    "safe_part",
    "type_slug",
    "write_new_file",
]
