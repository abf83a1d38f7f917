"""Read an IHE XDM package (IHE_XDM.ZIP) received from anyone, defensively.

Real packages are messy (extra root folder, ``__MACOSX``, subsets not named SUBSET01, no IHE_XDM
folder, stale hashes), so reading is lenient about layout and reports what it notices as French
warnings; it is strict about safety: path traversal, encrypted entries, zip bombs, oversized
entries and XML entity tricks are refused with an XdmError.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from app.domain.cda import CdaError, CdaHeader, CdaPatient
from app.domain.xdm import (
    CDA_MIME_TYPE,
    PDF_MIME_TYPE,
    XdmDocument,
    XdmError,
    XdmMetadata,
    XdmReadResult,
    XdsAuthor,
    XdsCode,
    XdsDocumentEntry,
    XdsSubmissionSet,
)
from app.protocols.cda.header import read_cda_header
from app.protocols.xdm import packer as ids
from app.protocols.xml_safety import UnsafeXmlError, parse_xml

_IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_NOT_DOCUMENTS = {"index.htm", "index.html", "readme.txt", "metadata.xml"}
_STYLESHEETS = (".xsl", ".xslt", ".css")
_MIME_BY_EXTENSION = {
    ".xml": CDA_MIME_TYPE,
    ".pdf": PDF_MIME_TYPE,
    ".txt": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


@dataclass(frozen=True)
class XdmLimits:
    """Defences against hostile archives; defaults fit any real MSSanté package."""

    max_entries: int = 1000
    max_entry_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 200 * 1024 * 1024
    # Compression ratio allowed for entries above ``ratio_floor_bytes`` (text compresses ~10:1).
    max_ratio: int = 100
    ratio_floor_bytes: int = 1024 * 1024


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _descendants(element: etree._Element, name: str) -> Iterable[etree._Element]:
    return (e for e in element.iter(etree.Element) if _local(e) == name)


def _slots(element: etree._Element) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for slot in _children(element, "Slot"):
        values = tuple(
            (value.text or "").strip()
            for value_list in _children(slot, "ValueList")
            for value in _children(value_list, "Value")
        )
        result[slot.get("name", "")] = values
    return result


def _name_of(element: etree._Element) -> str | None:
    for name in _children(element, "Name"):
        for localized in _children(name, "LocalizedString"):
            value = localized.get("value")
            if value:
                return str(value).strip()
    return None


def _first(values: tuple[str, ...] | None) -> str | None:
    return values[0] if values else None


def _author(classification: etree._Element) -> XdsAuthor:
    slots = _slots(classification)
    return XdsAuthor(
        person=_first(slots.get("authorPerson")),
        institutions=slots.get("authorInstitution", ()),
        roles=slots.get("authorRole", ()),
        specialties=slots.get("authorSpecialty", ()),
    )


def _code(classification: etree._Element) -> XdsCode:
    return XdsCode(
        code=classification.get("nodeRepresentation", ""),
        scheme=_first(_slots(classification).get("codingScheme")),
        display_name=_name_of(classification),
    )


def _external_ids(element: etree._Element) -> dict[str, str]:
    return {
        e.get("identificationScheme", ""): e.get("value", "")
        for e in _children(element, "ExternalIdentifier")
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _entry(element: etree._Element) -> XdsDocumentEntry:
    slots = _slots(element)
    by_scheme: dict[str, list[etree._Element]] = {}
    for classification in _children(element, "Classification"):
        by_scheme.setdefault(classification.get("classificationScheme", ""), []).append(
            classification
        )

    def one(scheme: str) -> XdsCode | None:
        found = by_scheme.get(scheme)
        return _code(found[0]) if found else None

    external = _external_ids(element)
    return XdsDocumentEntry(
        entry_id=element.get("id", ""),
        unique_id=external.get(ids.DE_UNIQUE_ID),
        patient_id=external.get(ids.DE_PATIENT_ID),
        mime_type=element.get("mimeType"),
        uri=_first(slots.get("URI")),
        hash=_first(slots.get("hash")),
        size=_int(_first(slots.get("size"))),
        creation_time=_first(slots.get("creationTime")),
        language_code=_first(slots.get("languageCode")),
        title=_name_of(element),
        source_patient_id=_first(slots.get("sourcePatientId")),
        source_patient_info=slots.get("sourcePatientInfo", ()),
        legal_authenticator=_first(slots.get("legalAuthenticator")),
        service_start=_first(slots.get("serviceStartTime")),
        service_stop=_first(slots.get("serviceStopTime")),
        class_code=one(ids.DE_CLASS),
        type_code=one(ids.DE_TYPE),
        format_code=one(ids.DE_FORMAT),
        confidentiality_codes=tuple(_code(c) for c in by_scheme.get(ids.DE_CONFIDENTIALITY, [])),
        healthcare_facility_type=one(ids.DE_FACILITY),
        practice_setting=one(ids.DE_PRACTICE),
        event_codes=tuple(_code(c) for c in by_scheme.get(ids.DE_EVENT, [])),
        authors=tuple(_author(c) for c in by_scheme.get(ids.DE_AUTHOR, [])),
    )


def _submission_set(root: etree._Element) -> XdsSubmissionSet | None:
    packages = list(_descendants(root, "RegistryPackage"))
    if not packages:
        return None
    flagged = {
        c.get("classifiedObject")
        for c in _descendants(root, "Classification")
        if c.get("classificationNode") == ids.SUBMISSION_SET_NODE
    }
    package = next((p for p in packages if p.get("id") in flagged), packages[0])
    package_id = package.get("id", "")
    external = _external_ids(package)
    members = tuple(
        a.get("targetObject", "")
        for a in _descendants(root, "Association")
        if a.get("sourceObject") == package_id
        and (a.get("associationType") or "").endswith("HasMember")
    )
    return XdsSubmissionSet(
        entry_id=package_id,
        unique_id=external.get(ids.SS_UNIQUE_ID),
        source_id=external.get(ids.SS_SOURCE_ID),
        patient_id=external.get(ids.SS_PATIENT_ID),
        submission_time=_first(_slots(package).get("submissionTime")),
        title=_name_of(package),
        authors=tuple(
            _author(c)
            for c in _children(package, "Classification")
            if c.get("classificationScheme") == ids.SS_AUTHOR
        ),
        members=members,
    )


def parse_metadata(xml: bytes) -> XdmMetadata:
    """Parse a METADATA.XML (ebRIM ``SubmitObjectsRequest``), leniently about namespaces."""
    try:
        root = parse_xml(xml)
    except UnsafeXmlError as exc:
        raise XdmError(f"METADATA.XML illisible : {exc}") from None
    if _local(root) != "SubmitObjectsRequest":
        raise XdmError("METADATA.XML n'est pas une requête ebRIM SubmitObjectsRequest.")
    entries = tuple(_entry(e) for e in _descendants(root, "ExtrinsicObject"))
    return XdmMetadata(_submission_set(root), entries)


def _safe_name(raw: str) -> str:
    """Normalise an entry name, refusing anything that could escape a destination folder."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\x00" in name:
        raise XdmError(f"Archive refusée : chemin absolu dans le ZIP ({raw!r}).")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise XdmError(f"Archive refusée : chemin remontant hors de l'archive ({raw!r}).")
    return "/".join(parts)


def _ignored(name: str) -> bool:
    parts = name.split("/")
    return (
        any(p.casefold() == "__macosx" for p in parts)
        or parts[-1].startswith("._")
        or parts[-1].casefold() in _IGNORED_NAMES
    )


def _read_members(archive: zipfile.ZipFile, limits: XdmLimits) -> dict[str, bytes]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise XdmError(f"Archive refusée : trop de fichiers ({len(infos)}).")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = _safe_name(info.filename)
        if info.is_dir() or not name or _ignored(name):
            continue
        if info.flag_bits & 0x1:
            raise XdmError(f"Archive refusée : le fichier {name} est chiffré.")
        if info.file_size > limits.max_entry_bytes:
            raise XdmError(f"Archive refusée : le fichier {name} est trop volumineux.")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise XdmError(
                f"Archive refusée : taux de compression anormal pour {name} (bombe ZIP ?)."
            )
        # Declared sizes can lie: count what decompression really yields.
        budget = min(limits.max_entry_bytes, limits.max_total_bytes - total)
        chunks: list[bytes] = []
        size = 0
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(1024 * 1024):
                    size += len(chunk)
                    if size > budget:
                        raise XdmError("Archive refusée : contenu décompressé trop volumineux.")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
            raise XdmError(f"Archive ZIP corrompue ({name}) : {exc}") from None
        except NotImplementedError:
            raise XdmError(f"Méthode de compression non prise en charge pour {name}.") from None
        total += size
        if name.casefold() in {n.casefold() for n in files}:
            raise XdmError(f"Archive refusée : le fichier {name} apparaît deux fois.")
        files[name] = b"".join(chunks)
    return files


def _guess_mime(name: str, data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return PDF_MIME_TYPE
    extension = posixpath.splitext(name)[1].casefold()
    return _MIME_BY_EXTENSION.get(extension, "application/octet-stream")


def read_xdm(zip_bytes: bytes, *, limits: XdmLimits | None = None) -> XdmReadResult:
    """Read an IHE XDM ZIP: documents, their metadata entries and CDA headers, the patient.

    Raises XdmError (French) for what is not a ZIP, for hostile archives, and for packages
    with no document at all; softer problems come back in ``warnings``.
    """
    limits = limits or XdmLimits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise XdmError("La pièce jointe n'est pas une archive ZIP IHE XDM lisible.") from None
    with archive:
        files = _read_members(archive, limits)
    by_folded = {name.casefold(): name for name in files}
    warnings: list[str] = []

    metadata_paths = sorted(
        (n for n in files if posixpath.basename(n).casefold() == "metadata.xml"),
        key=lambda n: ("ihe_xdm/" not in n.casefold(), n.count("/"), n),
    )
    metadata: XdmMetadata | None = None
    metadata_path: str | None = None
    located: list[tuple[str, XdsDocumentEntry | None]] = []
    used: set[str] = set()
    entries: list[XdsDocumentEntry] = []
    unlocated: list[tuple[str, XdsDocumentEntry]] = []
    submission: XdsSubmissionSet | None = None
    for path in metadata_paths:
        try:
            parsed = parse_metadata(files[path])
        except XdmError as exc:
            warnings.append(f"{path} : {exc.message}")
            continue
        metadata_path = metadata_path or path
        submission = submission or parsed.submission_set
        entries.extend(parsed.entries)
        folder = posixpath.dirname(path)
        for entry in parsed.entries:
            uri = (entry.uri or "").replace("\\", "/").lstrip("/")
            target = by_folded.get(posixpath.join(folder, uri).casefold()) if uri else None
            if target is None:
                unlocated.append((folder, entry))
                continue
            located.append((target, entry))
            used.add(target)
    if metadata_paths:
        metadata = XdmMetadata(submission, tuple(entries)) if metadata_path else None
    else:
        warnings.append("METADATA.XML absent : documents repérés d'après le contenu de l'archive.")
    metadata_folders = {posixpath.dirname(p) for p in metadata_paths}
    loose = [
        name
        for name in sorted(files)
        if name not in used
        and posixpath.basename(name).casefold() not in _NOT_DOCUMENTS
        and not name.casefold().endswith(_STYLESHEETS)
        and (not metadata_folders or posixpath.dirname(name) in metadata_folders)
    ]
    located.extend(_pair_unlocated(unlocated, loose, warnings))
    documents: list[XdmDocument] = []
    for name, found in located:
        data = files[name]
        mime = (found.mime_type if found and found.mime_type else None) or _guess_mime(name, data)
        header: CdaHeader | None = None
        if mime in (CDA_MIME_TYPE, "application/xml") or name.casefold().endswith(".xml"):
            try:
                header = read_cda_header(data)
            except CdaError as exc:
                warnings.append(f"{name} : {exc.message}")
        hash_ok = size_ok = None
        if found is not None:
            if found.hash:
                hash_ok = found.hash.strip().casefold() == hashlib.sha1(data).hexdigest()
                if not hash_ok:
                    warnings.append(
                        f"{name} : empreinte SHA-1 différente de celle des métadonnées."
                    )
            if found.size is not None:
                size_ok = found.size == len(data)
                if not size_ok:
                    warnings.append(
                        f"{name} : {len(data)} octets, les métadonnées en annoncent {found.size}."
                    )
        documents.append(XdmDocument(name, data, mime, found, header, hash_ok, size_ok))

    if not documents:
        raise XdmError("L'archive IHE XDM ne contient aucun document.")
    warnings.extend(_check_index(files))
    patients = [d.cda.patient for d in documents if d.cda is not None]
    patient: CdaPatient | None = patients[0] if patients else None
    if patient is not None and any(not _same(patient, other) for other in patients[1:]):
        warnings.append("Les documents de l'archive concernent plusieurs patients.")
    patient_id = (submission.patient_id if submission else None) or next(
        (e.patient_id for e in entries if e.patient_id), None
    )
    return XdmReadResult(
        documents=tuple(documents),
        metadata=metadata,
        metadata_path=metadata_path,
        patient_id=patient_id,
        patient=patient,
        warnings=tuple(warnings),
    )


def _same(a: CdaPatient, b: CdaPatient) -> bool:
    if a.ins is not None and b.ins is not None:
        return a.ins == b.ins
    return a.ids == b.ids or bool(set(a.ids) & set(b.ids))


def _pair_unlocated(
    unlocated: list[tuple[str, XdsDocumentEntry]], loose: list[str], warnings: list[str]
) -> list[tuple[str, XdsDocumentEntry | None]]:
    """Match entries whose URI is missing or wrong with the files nobody claimed.

    Some producers omit the URI slot; the entry id or, failing that, a lone leftover file in the
    same folder is then the only link (the hash check tells whether the guess holds).
    """
    pairs: list[tuple[str, XdsDocumentEntry | None]] = []
    remaining = list(loose)
    for folder, entry in unlocated:
        same_folder = [n for n in remaining if posixpath.dirname(n) == folder]
        by_id = [
            n
            for n in same_folder
            if posixpath.splitext(posixpath.basename(n))[0].casefold() == entry.entry_id.casefold()
        ]
        if by_id:
            match: str | None = by_id[0]
        elif len(same_folder) == 1 and len(unlocated) == 1:
            match = same_folder[0]
        else:
            match = None
        if match is None:
            warnings.append(
                f"Document décrit dans les métadonnées introuvable : {entry.uri or '?'}"
            )
            continue
        if entry.uri:
            warnings.append(f"{match} : l'URI des métadonnées ({entry.uri}) ne correspond pas.")
        remaining.remove(match)
        pairs.append((match, entry))
    pairs.extend((name, None) for name in remaining)
    return pairs


def _check_index(files: dict[str, bytes]) -> list[str]:
    """ITI-32 wants an XHTML INDEX.HTM; a broken one is harmless to us but worth reporting."""
    index = sorted((n for n in files if posixpath.basename(n).casefold() == "index.htm"), key=len)
    if not index:
        return ["INDEX.HTM absent de l'archive (exigé par IHE XDM)."]
    try:
        parse_xml(files[index[0]])
    except UnsafeXmlError:
        return [f"{index[0]} n'est pas du XHTML bien formé (non conforme IHE XDM)."]
    return []
