"""Parse the published MSSanté whitelist and verify its SHA-256 checksum (spec §1).

The list is downloaded from the network, so it is parsed as hostile input: a size cap before
parsing, and no DTD at all (the official file has none; a DTD is where XXE and entity bombs live).
defusedxml refuses the DTD before expat reads any declaration, so no entity is ever expanded and no
external resource is ever opened.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from app.domain.address import InvalidAddressError, normalize_domain
from app.domain.whitelist import Whitelist, WhitelistEntry
from app.errors import UserFacingError

NAMESPACE = "https://listeblanche.mssante.fr/schema"
ROOT_TAG = "ListeBlancheMSSante"

# The real list (619 domains) weighs about 600 kB; 20 MB leaves decades of growth and still stops
# a hostile download from exhausting memory.
MAX_WHITELIST_BYTES = 20 * 1024 * 1024

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")

# The list published by the ANS (2025-03-13, checksum included) ends after </ListeDomaines>
# without closing its root element, so it is not well-formed XML. Only that exact defect is
# repaired: the qualified name of the root start tag, then the tail of the file.
_ROOT_START = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?" + ROOT_TAG.encode() + rb")[\s>]")
_LIST_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?ListeDomaines\s*>\s*\Z")

REPAIRED_ROOT_END_WARNING = (
    "La liste blanche publiée ne ferme pas son élément racine ListeBlancheMSSante ; "
    "la balise fermante manquante a été ajoutée avant la lecture."
)

# expat's XML_ERROR_NO_ELEMENTS: the document ended while an element was still open.
_EXPAT_NO_ELEMENTS = 3


class WhitelistFormatError(UserFacingError, ValueError):
    """The bytes are not a usable whitelist; the message is French, for the user and the audit."""


class WhitelistChecksumError(UserFacingError, ValueError):
    """The list does not match its published checksum (corrupted or tampered download)."""


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _text(parent: Element, name: str) -> str | None:
    child = parent.find(_q(name))
    if child is None:
        return None
    return (child.text or "").strip()


def _parse_date(value: str, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WhitelistFormatError(
            f"liste blanche invalide : date {what} illisible « {value[:40]} »"
        ) from None
    # The ANS writes UTC ("Z"); a date without zone is read as UTC rather than as local time.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _fromstring(data: bytes) -> Element:
    root: Element = defusedxml.ElementTree.fromstring(
        data, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    return root


def _repaired(data: bytes) -> bytes | None:
    """``data`` with the root end tag added, when only that is missing; else None."""
    start = _ROOT_START.search(data, 0, 4096)
    if start is None or not _LIST_END.search(data):
        return None
    return data.rstrip() + b"\n</" + start.group(1) + b">\n"


def _parse_root(xml_bytes: bytes) -> tuple[Element, tuple[str, ...]]:
    if not isinstance(xml_bytes, bytes | bytearray | memoryview):
        raise WhitelistFormatError("liste blanche invalide : des octets sont attendus")
    data = bytes(xml_bytes)
    if len(data) > MAX_WHITELIST_BYTES:
        raise WhitelistFormatError(
            f"liste blanche refusée : {len(data)} octets, plus que le maximum de "
            f"{MAX_WHITELIST_BYTES} octets"
        )
    if not data.strip():
        raise WhitelistFormatError("liste blanche invalide : le fichier est vide")
    try:
        try:
            return _fromstring(data), ()
        except ParseError as exc:
            fixed = _repaired(data) if exc.code == _EXPAT_NO_ELEMENTS else None
            if fixed is None:
                raise
            try:
                return _fromstring(fixed), (REPAIRED_ROOT_END_WARNING,)
            except ParseError:
                # Something else is wrong too: report the error of the file as published.
                raise exc from None
    except defusedxml.DefusedXmlException:
        raise WhitelistFormatError(
            "liste blanche refusée : elle contient une DTD ou des entités XML, "
            "interdites par sécurité"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise WhitelistFormatError(
            f"liste blanche invalide : ce n'est pas un XML bien formé (ligne {line}, "
            f"colonne {column})"
        ) from None


def parse_whitelist(xml_bytes: bytes) -> Whitelist:
    """Parse the bytes of ``listeblanchemssante.xml`` or raise WhitelistFormatError."""
    root, warnings = _parse_root(xml_bytes)
    if root.tag != _q(ROOT_TAG):
        local = root.tag.rsplit("}", 1)[-1]
        namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else "aucun"
        if local == ROOT_TAG:
            raise WhitelistFormatError(
                f"liste blanche invalide : espace de noms « {namespace} » "
                f"au lieu de « {NAMESPACE} »"
            )
        raise WhitelistFormatError(
            f"liste blanche invalide : élément racine « {local} » au lieu de « {ROOT_TAG} »"
        )
    generated_text = _text(root, "DateDeGeneration")
    if not generated_text:
        raise WhitelistFormatError("liste blanche invalide : DateDeGeneration manquante")
    generated_at = _parse_date(generated_text, "de génération")
    container = root.find(_q("ListeDomaines"))
    if container is None:
        raise WhitelistFormatError("liste blanche invalide : élément ListeDomaines manquant")
    entries: list[WhitelistEntry] = []
    for position, element in enumerate(container.findall(_q("Domaine")), start=1):
        entries.append(_parse_entry(element, position))
    if not entries:
        raise WhitelistFormatError("liste blanche invalide : elle ne contient aucun domaine")
    return Whitelist(generated_at, tuple(entries), warnings)


def _parse_entry(element: Element, position: int) -> WhitelistEntry:
    name = _text(element, "Nom")
    if not name:
        raise WhitelistFormatError(
            f"liste blanche invalide : le domaine n° {position} n'a pas de Nom"
        )
    try:
        # The ANS publishes these names; only their syntax is checked, not the look-alike policy
        # that protects what users type.
        a_label, u_label = normalize_domain(name, check_lookalikes=False)
    except InvalidAddressError as exc:
        raise WhitelistFormatError(
            f"liste blanche invalide : nom de domaine n° {position} incorrect ({exc})"
        ) from None
    updated_text = _text(element, "DateMAJ")
    updated_at = _parse_date(updated_text, f"de mise à jour de {name}") if updated_text else None
    return WhitelistEntry(
        domain=a_label,
        domain_unicode=u_label,
        description=_text(element, "Description") or "",
        operator_certificate_dn=_text(element, "DNCertificatOperateur") or "",
        responsible_contact=_text(element, "ResponsableContact") or "",
        support_contact=_text(element, "SupportContact") or "",
        updated_at=updated_at,
    )


def verify_checksum(xml_bytes: bytes, checksum_text: str | bytes) -> None:
    """Check ``xml_bytes`` against the published ``checksum`` file, or raise.

    The ANS file is the bare 64-digit hex SHA-256 without newline; the ``sha256sum`` format
    (``<hex>  <file name>``) and surrounding whitespace are accepted too.
    """
    if isinstance(checksum_text, bytes):
        try:
            checksum_text = checksum_text.decode("ascii")
        except UnicodeDecodeError:
            raise WhitelistChecksumError(
                "fichier de somme de contrôle illisible (caractères non ASCII)"
            ) from None
    fields = checksum_text.split()
    if not fields or not _HEX_SHA256.fullmatch(fields[0]):
        raise WhitelistChecksumError(
            "fichier de somme de contrôle illisible : une empreinte SHA-256 "
            "(64 caractères hexadécimaux) est attendue"
        )
    expected = fields[0].lower()
    actual = hashlib.sha256(bytes(xml_bytes)).hexdigest()
    if not hmac.compare_digest(expected, actual):
        raise WhitelistChecksumError(
            "la liste blanche ne correspond pas à sa somme de contrôle SHA-256 "
            "(téléchargement corrompu ou fichier modifié) : elle n'est pas utilisée"
        )
