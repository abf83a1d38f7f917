"""Stream the daily ``Extraction_Correspondance_MSSante`` file into DirectoryEntry values.

The ANS publishes every day a ZIP holding one ``Extraction_Correspondance_MSSante_<stamp>.txt``:
UTF-8, ``|``-separated, one header line, 31 columns, about 535,000 rows (MSSANTE.md §7). The file is
downloaded from the outside, so it is read as hostile input:

* columns are found **by header name** (reordered columns work, unknown extra columns are ignored,
  missing required columns stop the import with a French message naming them);
* memory stays constant: the member is decompressed and read line by line, each line capped at
  ``max_line_bytes`` (a 10 MB line is skipped and counted, never loaded whole);
* a bad row (wrong field count, empty or invalid address, unknown mailbox type, over-long line) is
  counted with its line number in the :class:`ExtractionReport` and skipped, never fatal;
* zip bombs are refused before decompression (declared size and compression ratio), and the
  declared size is enforced while reading (zipfile stops at it and checks the CRC);
* a truncated or damaged ZIP raises :class:`ExtractionFormatError` (when the damage is met in the
  middle of the data, after rows were yielded: callers import into a transaction that this error
  rolls back, so a refresh is all or nothing).

**Encoding decision**: the file is specified as UTF-8, but hand-made or re-saved copies are often
Windows-1252 ("Latin-1"). Such files are *accepted*, not refused: when the header line is not valid
UTF-8 the whole file is decoded as cp1252; when a single later line is not valid UTF-8, that line
alone is decoded as cp1252. Either way the report carries a French warning and the count of lines
concerned, so the user knows. Refusing would leave the user without a directory for a defect whose
repair is unambiguous (every byte sequence that is not UTF-8 in a French text is cp1252 in
practice).

Blocking I/O: services call this from an executor thread.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, NamedTuple, cast

from app.domain.address import parse_address
from app.domain.directory_entry import (
    DirectoryBoxType,
    DirectoryEntry,
    DirectorySource,
    department_from_postcode,
)
from app.errors import InvalidInputError

# The 31 columns of the published file, in the published order (MSSANTE.md §7).
COL_BOX_TYPE = "Type de BAL"
COL_ADDRESS = "Adresse BAL"
COL_PP_ID_TYPE = "Type Identifiant PP"
COL_PP_ID = "Identifiant PP"
COL_PP_NATIONAL_ID = "Identification nationale PP"
COL_STRUCTURE_ID_TYPE = "Type identifiant structure"
COL_STRUCTURE_ID = "Identification Structure"
COL_SERVICE = "Service de rattachement"
COL_CIVILITY = "Civilité d'exercice"
COL_FAMILY = "Nom d'exercice"
COL_GIVEN = "Prénom d'exercice"
COL_CATEGORY = "Catégorie profession"
COL_CATEGORY_LABEL = "Libellé de catégorie profession"
COL_PROFESSION_CODE = "Code Profession"
COL_PROFESSION = "Libellé Profession"
COL_SPECIALTY_CODE = "Code savoir-faire"
COL_SPECIALTY = "Libellé savoir-faire"
COL_PAPERLESS = "Dématérialisation"
COL_COMPANY = "Raison Sociale structure BAL"
COL_TRADE_NAME = "Enseigne commerciale structure BAL"
COL_L2 = "L2COMPLEMENTLOCALISATION structure BAL"
COL_L3 = "L3COMPLEMENTDISTRIBUTION structure BAL"
COL_L4_NUMBER = "L4NUMEROVOIE structure BAL"
COL_L4_NUMBER_EXT = "L4COMPLEMENTNUMEROVOIE structure BAL"
COL_L4_STREET_TYPE = "NL4TYPEVOIE structure BAL"
COL_L4_STREET = "L4LIBELLEVOIE structure BAL"
COL_L5 = "L5LIEUDITMENTION structure BAL"
COL_L6 = "L6LIGNEACHEMINEMENT structure BAL"
COL_POSTCODE = "Code postal structure BAL"
COL_DEPARTMENT = "Département structure BAL"
COL_COUNTRY = "Pays structure BAL"

COLUMNS: tuple[str, ...] = (
    COL_BOX_TYPE, COL_ADDRESS, COL_PP_ID_TYPE, COL_PP_ID, COL_PP_NATIONAL_ID,
    COL_STRUCTURE_ID_TYPE, COL_STRUCTURE_ID, COL_SERVICE, COL_CIVILITY, COL_FAMILY, COL_GIVEN,
    COL_CATEGORY, COL_CATEGORY_LABEL, COL_PROFESSION_CODE, COL_PROFESSION, COL_SPECIALTY_CODE,
    COL_SPECIALTY, COL_PAPERLESS, COL_COMPANY, COL_TRADE_NAME, COL_L2, COL_L3, COL_L4_NUMBER,
    COL_L4_NUMBER_EXT, COL_L4_STREET_TYPE, COL_L4_STREET, COL_L5, COL_L6, COL_POSTCODE,
    COL_DEPARTMENT, COL_COUNTRY,
)

# Without these the searches the extraction exists for (name, profession, specialty, structure,
# city, postcode, RPPS, type: issue #6) cannot work, so their absence stops the import. The others
# only enrich an entry; their absence is a warning.
REQUIRED_COLUMNS: tuple[str, ...] = (
    COL_BOX_TYPE, COL_ADDRESS, COL_PP_ID_TYPE, COL_PP_ID, COL_FAMILY, COL_GIVEN, COL_PROFESSION,
    COL_SPECIALTY, COL_COMPANY, COL_L6, COL_POSTCODE,
)

DEFAULT_MAX_LINE_BYTES = 64 * 1024
# The real file is ~160 MB uncompressed; 4 GiB leaves room for growth and stops a bomb.
DEFAULT_MAX_UNCOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
# Text like this compresses 5-15x; 200x only happens with crafted or degenerate content.
DEFAULT_MAX_RATIO = 200
# Ratios are only meaningful on members big enough to matter.
_RATIO_FLOOR_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_EXAMPLES = 20
_READ_BUFFER = 256 * 1024
_EXAMPLE_CHARS = 120

_MEMBER_NAME = re.compile(r"(?:^|/)Extraction_Correspondance_MSSante[^/]*\.txt$", re.IGNORECASE)
# A fast path for the common case (plain ASCII address); anything else goes through the full
# MSSanté parser of app.domain.address (IDNA, look-alikes), which is too slow for 535,000 rows.
_ASCII_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_ASCII_DOMAIN = (
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)+"
)
_ASCII_ADDRESS = re.compile(f"^{_ASCII_LOCAL}@{_ASCII_DOMAIN}$")
# The same check in two halves: a file holds a few hundred distinct domains, so each one is
# checked (and lower-cased, for the de-duplication key) once and remembered.
_ASCII_LOCAL_PART = re.compile(_ASCII_LOCAL)
_ASCII_DOMAIN_PART = re.compile(_ASCII_DOMAIN)
_DOMAIN_CACHE_MAX = 10_000
# What str.strip() removes from ASCII text; "\n" cannot occur inside a line.
_ASCII_CONTROL_SPACES = ("\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")

# Reason codes of ExtractionReport.bad_rows, with the French label the report shows.
REASON_FIELD_COUNT = "field_count"
REASON_EMPTY_ADDRESS = "empty_address"
REASON_INVALID_ADDRESS = "invalid_address"
REASON_BOX_TYPE = "box_type"
REASON_LINE_TOO_LONG = "line_too_long"
REASON_LABELS = {
    REASON_FIELD_COUNT: "nombre de colonnes incorrect",
    REASON_EMPTY_ADDRESS: "adresse BAL vide",
    REASON_INVALID_ADDRESS: "adresse BAL invalide",
    REASON_BOX_TYPE: "type de BAL inconnu",
    REASON_LINE_TOO_LONG: "ligne trop longue",
}


class ExtractionFormatError(InvalidInputError):
    """The file cannot be imported at all (not a ZIP/TXT extraction, damaged, bomb, no header)."""


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int  # 1-based line number in the text file (the header is line 1)
    reason: str  # one of the REASON_* codes
    excerpt: str  # the start of the line, for the user to find it


class ExtractionRecord(NamedTuple):
    """One imported row, flat and cheap (a tuple: ``executemany`` takes it as is).

    The store's fast path; :func:`entry_from_record` turns it into a DirectoryEntry. Every field
    is text, trimmed; ``street`` holds the address lines joined with newlines.
    """

    address: str
    box_type: str  # PER | ORG | APP | CAB
    civility: str
    family_name: str
    given_name: str
    profession_code: str
    profession: str
    specialty_code: str
    specialty: str
    structure: str
    service: str
    street: str
    postcode: str
    city: str
    department: str
    rpps: str
    adeli: str
    national_id: str
    id_type: str
    structure_id: str


_BOX_TYPES = {t.value: t for t in DirectoryBoxType}


def record_key(address: str) -> str:
    """The de-duplication key of an (already trimmed) address: as written, its domain
    lower-cased. The same rule as app.store.directory_store.address_key, which the store applies
    to records handed over without a key (tests/unit/test_directory_service.py checks that the
    two agree)."""
    at = address.rfind("@")
    return address[: at + 1] + address[at + 1 :].lower()


def entry_from_record(record: ExtractionRecord) -> DirectoryEntry:
    return DirectoryEntry(
        address=record.address,
        box_type=_BOX_TYPES[record.box_type],
        source=DirectorySource.EXTRACTION,
        civility=record.civility,
        family_name=record.family_name,
        given_name=record.given_name,
        profession_code=record.profession_code,
        profession=record.profession,
        specialty_code=record.specialty_code,
        specialty=record.specialty,
        structure=record.structure,
        service=record.service,
        street_lines=tuple(record.street.split("\n")) if record.street else (),
        postcode=record.postcode,
        city=record.city,
        department=record.department,
        rpps=record.rpps,
        adeli=record.adeli,
        national_id=record.national_id,
        id_type=record.id_type,
        structure_id=record.structure_id,
    )


@dataclass
class ExtractionReport:
    """What happened while reading: counts, skipped rows by reason, warnings (French)."""

    source_name: str = ""
    member_name: str = ""
    encoding: str = "utf-8"
    rows_read: int = 0  # data lines seen (header and blank lines excluded)
    imported: int = 0  # entries yielded
    red_listed: int = 0  # never present in the extraction today; kept for symmetry with FHIR
    bad_rows: dict[str, int] = field(default_factory=dict)
    examples: list[BadRow] = field(default_factory=list)
    recoded_lines: int = 0  # lines decoded as cp1252 because they were not UTF-8
    missing_optional_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    max_examples: int = DEFAULT_MAX_EXAMPLES

    @property
    def bad_total(self) -> int:
        return sum(self.bad_rows.values())

    def add_bad(self, line: int, reason: str, raw: str) -> None:
        self.bad_rows[reason] = self.bad_rows.get(reason, 0) + 1
        if len(self.examples) < self.max_examples:
            self.examples.append(BadRow(line, reason, raw[:_EXAMPLE_CHARS]))

    def summary(self) -> str:
        """One French paragraph for the CLI and the import dialog."""
        parts = [f"{self.imported} entrées importées sur {self.rows_read} lignes lues"]
        if self.bad_rows:
            detail = ", ".join(f"{REASON_LABELS.get(reason, reason)} : {count}"
                               for reason, count in sorted(self.bad_rows.items()))
            parts.append(f"{self.bad_total} lignes ignorées ({detail})")
        text = " ; ".join(parts) + "."
        if self.warnings:
            text += " " + " ".join(self.warnings)
        return text


def _normalise_header(name: str) -> str:
    """Header names compared loosely: case, accents' composition, apostrophe style, spaces."""
    text = unicodedata.normalize("NFC", name).replace("\u2019", "'").replace("\ufeff", "")
    return " ".join(text.split()).casefold()


_KNOWN = {_normalise_header(c): c for c in COLUMNS}


def _is_valid_address(address: str) -> bool:
    if address.isascii():
        return bool(_ASCII_ADDRESS.match(address))
    try:
        parse_address(address)
    except InvalidInputError:
        return False
    return True


def _city_from_l6(l6: str, postcode: str) -> str:
    """``69003 LYON`` -> ``LYON`` (the routing line starts with the postcode, usually)."""
    text = l6.strip()
    if postcode and text.startswith(postcode):
        text = text[len(postcode):].strip()
    elif len(text) > 6 and text[:5].isdigit() and text[5] == " ":
        text = text[6:].strip()
    return text


class ExtractionReader:
    """Iterate over the entries of one extraction file; ``report`` fills in as it goes.

        reader = ExtractionReader(Path("Extraction_Correspondance_MSSante.zip"))
        for entry in reader: ...            # DirectoryEntry values
        for record in reader.records(): ...  # or flat tuples, for a bulk insert
        for row in reader.keyed_records(): ...  # (key, *record): the store's fast path
        reader.report.summary()

    Iterating twice reads the file twice (and resets the report). ExtractionFormatError (a
    UserFacingError) is raised for a file that cannot be imported at all, possibly after rows were
    yielded (damaged ZIP data): import inside a transaction and roll back on it.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
        max_ratio: float = DEFAULT_MAX_RATIO,
        max_examples: int = DEFAULT_MAX_EXAMPLES,
    ) -> None:
        self.path = Path(path)
        self.max_line_bytes = max_line_bytes
        self.max_uncompressed_bytes = max_uncompressed_bytes
        self.max_ratio = max_ratio
        self.report = ExtractionReport(source_name=self.path.name, max_examples=max_examples)

    # -- opening ---------------------------------------------------------------------------------

    def _is_zip(self) -> bool:
        try:
            with open(self.path, "rb") as handle:
                magic = handle.read(4)
        except FileNotFoundError:
            raise ExtractionFormatError(
                f"Le fichier « {self.path} » est introuvable.",
                message_en=f"The file “{self.path}” does not exist.") from None
        except OSError as exc:
            raise ExtractionFormatError(
                f"Le fichier « {self.path} » ne peut pas être lu : {exc.strerror or exc}.",
                message_en=f"The file “{self.path}” cannot be read: {exc}.") from None
        # Local file header, or the end-of-central-directory record of an empty archive.
        return magic in (b"PK\x03\x04", b"PK\x05\x06")

    def _damaged(self, detail: str = "") -> ExtractionFormatError:
        suffix = f" ({detail})" if detail else ""
        return ExtractionFormatError(
            f"Le fichier ZIP « {self.path.name} » est tronqué ou endommagé{suffix} ; "
            "téléchargez à nouveau l'extraction.",
            message_en=f"The ZIP file “{self.path.name}” is truncated or damaged{suffix}; "
                       "download the extraction again.")

    def _pick_member(self, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
        members = [i for i in archive.infolist() if not i.is_dir()]
        matching = [i for i in members if _MEMBER_NAME.search(i.filename)]
        if not matching:
            matching = [i for i in members if i.filename.lower().endswith(".txt")]
        if not matching:
            raise ExtractionFormatError(
                f"Le fichier ZIP « {self.path.name} » ne contient pas de fichier "
                "Extraction_Correspondance_MSSante_….txt.",
                message_en=f"The ZIP file “{self.path.name}” holds no "
                           "Extraction_Correspondance_MSSante_….txt file.")
        if len(matching) > 1:
            names = ", ".join(i.filename for i in matching[:5])
            raise ExtractionFormatError(
                f"Le fichier ZIP « {self.path.name} » contient plusieurs extractions ({names}) ; "
                "une seule est attendue.",
                message_en=f"The ZIP file “{self.path.name}” holds several extractions ({names}); "
                           "exactly one is expected.")
        info = matching[0]
        if info.file_size > self.max_uncompressed_bytes:
            raise ExtractionFormatError(
                f"Le fichier « {info.filename} » décompressé ferait {info.file_size} octets, "
                f"au-delà de la limite de {self.max_uncompressed_bytes} octets : refusé.",
                message_en=f"“{info.filename}” would be {info.file_size} bytes uncompressed, "
                           f"over the {self.max_uncompressed_bytes}-byte limit: refused.")
        if info.file_size > _RATIO_FLOOR_BYTES and (
                info.compress_size == 0 or info.file_size / info.compress_size > self.max_ratio):
            raise ExtractionFormatError(
                f"Le fichier ZIP « {self.path.name} » a un taux de compression anormal "
                "(bombe de décompression probable) : refusé.",
                message_en=f"The ZIP file “{self.path.name}” has an abnormal compression ratio "
                           "(probable zip bomb): refused.")
        return info

    # -- reading ---------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[DirectoryEntry]:
        """The entries, as DirectoryEntry values (see :meth:`records` for the fast path)."""
        for record in self.records():
            yield entry_from_record(record)

    def records(self) -> Iterator[ExtractionRecord]:
        """The entries as flat tuples: what a bulk import should consume (no object per field)."""
        for row in self.keyed_records():
            yield ExtractionRecord._make(row[1:])

    def keyed_records(self) -> Iterator[tuple[str, ...]]:
        """The fastest form, for the store's bulk import: plain tuples ``(key, *record)``, the
        fields of an :class:`ExtractionRecord` preceded by the address's de-duplication key
        (:func:`record_key`), computed here where the address is already at hand."""
        self.report = ExtractionReport(source_name=self.path.name,
                                       max_examples=self.report.max_examples)
        if self._is_zip():
            try:
                archive = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise self._damaged(str(exc)) from None
            with archive:
                info = self._pick_member(archive)
                self.report.member_name = info.filename
                try:
                    member = archive.open(info)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
                    raise self._damaged(str(exc)) from None
                with member:
                    yield from self._read_checked(member)
        else:
            self.report.member_name = self.path.name
            with open(self.path, "rb") as handle:
                yield from self._read_checked(handle)

    def _read_checked(self, raw: IO[bytes]) -> Iterator[tuple[str, ...]]:
        try:
            yield from self._read(raw)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            # Damage in the compressed data, or a CRC mismatch at its end.
            raise self._damaged(str(exc)) from None

    @staticmethod
    def _drain(stream: IO[bytes]) -> None:
        """Skip the rest of an over-long line, in bounded pieces."""
        while True:
            more = stream.readline(_READ_BUFFER)
            if not more or more.endswith(b"\n"):
                return

    def _lines(self, stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
        """(line number, bytes without EOL) — None for a line over the cap, drained unread."""
        number = 0
        limit = self.max_line_bytes
        while True:
            chunk = stream.readline(limit + 1)
            if not chunk:
                return
            number += 1
            if len(chunk) > limit and not chunk.endswith(b"\n"):
                self._drain(stream)
                yield number, None
                continue
            yield number, chunk.rstrip(b"\r\n")

    def _read(self, raw: IO[bytes]) -> Iterator[tuple[str, ...]]:
        # zipfile hands out a BufferedIOBase whose readline(limit) is slow; a BufferedReader on top
        # gives the C fast path.
        stream: IO[bytes] = io.BufferedReader(cast(io.RawIOBase, raw), buffer_size=_READ_BUFFER)
        lines = self._lines(stream)
        report = self.report
        header: list[str] | None = None
        cp1252 = False
        number = 0  # line number of the header, then of each data line
        for number, data in lines:  # noqa: B007 (number is used after the loop)
            if data is None:
                raise ExtractionFormatError(
                    "La ligne d'en-tête de l'extraction est démesurément longue : ce n'est pas "
                    "un fichier Extraction_Correspondance_MSSante.",
                    message_en="The extraction's header line is absurdly long: this is not an "
                               "Extraction_Correspondance_MSSante file.")
            if not data.strip():
                continue
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                cp1252 = True
                report.encoding = "cp1252"
                text = data.decode("cp1252", errors="replace")
                report.warnings.append(
                    "Le fichier n'est pas encodé en UTF-8 comme l'extraction officielle ; il a "
                    "été lu comme Windows-1252 (Latin-1). Vérifiez les accents des noms.")
            header = text.split("|")
            break
        if header is None:
            raise ExtractionFormatError(
                f"Le fichier « {self.path.name} » est vide : aucune ligne d'en-tête.",
                message_en=f"The file “{self.path.name}” is empty: no header line.")
        index = self._map_header(header)
        width = len(header)
        # One C-level call picks every column in COLUMNS order; a missing optional column points
        # at an empty field appended to each row (position ``width``).
        pick = itemgetter(*(index.get(name, width) for name in COLUMNS))
        strip = str.strip
        add_bad = report.add_bad
        local_part = _ASCII_LOCAL_PART.fullmatch
        domain_part = _ASCII_DOMAIN_PART.fullmatch
        domains: dict[str, str | None] = {}  # domain -> lower-cased, None when invalid
        box_types = {t.value: t.value for t in DirectoryBoxType}
        derive_department = department_from_postcode
        # When no field starts or ends with whitespace (what strip() removes), the 31 strip()
        # calls are skipped. Every whitespace character but " " is unprintable (checked over all
        # of Unicode), so a printable line needs stripping only around " ". For ASCII text
        # (str.isascii() costs nothing) the few ASCII control characters strip() removes are
        # looked for instead: much cheaper than isprintable() over the whole line.
        printable = str.isprintable
        controls = _ASCII_CONTROL_SPACES

        recoded_before = report.recoded_lines
        # The data lines are read here rather than through _lines(): one generator step and one
        # tuple less per row (same cap, same numbering).
        limit = self.max_line_bytes
        readline = stream.readline
        while chunk := readline(limit + 1):
            number += 1
            if len(chunk) > limit and not chunk.endswith(b"\n"):
                self._drain(stream)
                report.rows_read += 1
                add_bad(number, REASON_LINE_TOO_LONG, "")
                continue
            data = chunk.rstrip(b"\r\n")
            if not data or data.isspace():
                continue
            report.rows_read += 1
            if cp1252:
                text = data.decode("cp1252", errors="replace")
            else:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    report.recoded_lines += 1
                    text = data.decode("cp1252", errors="replace")
            fields = text.split("|")
            if len(fields) != width:
                # A trailing separator on data lines but not on the header is harmless.
                if len(fields) == width + 1 and not fields[-1].strip():
                    fields.pop()
                else:
                    add_bad(number, REASON_FIELD_COUNT, text)
                    continue
            fields.append("")
            (type_text, address, id_type, pp_id, national, _sid_type, structure_id, service,
             civility, family, given, _category, _category_label, profession_code, profession,
             specialty_code, specialty, _paperless, company, trade_name, l2, l3, l4_number,
             l4_number_ext, l4_street_type, l4_street, l5, l6, postcode, department,
             _country) = (
                pick(fields)
                if "| " not in text and " |" not in text and text[:1] != " "
                and text[-1:] != " "
                and (not any(c in text for c in controls) if text.isascii() else printable(text))
                else map(strip, pick(fields))
            )
            if not address:
                add_bad(number, REASON_EMPTY_ADDRESS, text)
                continue
            if address.isascii():
                local, _at, domain = address.rpartition("@")
                lowered = domains.get(domain, "")
                if lowered == "":
                    lowered = domain.lower() if domain_part(domain) else None
                    if len(domains) < _DOMAIN_CACHE_MAX:
                        domains[domain] = lowered
                if lowered is None or not _at or not local_part(local):
                    add_bad(number, REASON_INVALID_ADDRESS, text)
                    continue
                key = local + "@" + lowered
            elif _is_valid_address(address):
                key = record_key(address)
            else:
                add_bad(number, REASON_INVALID_ADDRESS, text)
                continue
            box_type = box_types.get(type_text)
            if box_type is None:
                parsed = DirectoryBoxType.parse(type_text)
                if parsed is None and type_text:
                    add_bad(number, REASON_BOX_TYPE, text)
                    continue
                box_type = parsed.value if parsed else ("PER" if pp_id else "ORG")
            street = " ".join(filter(None, (l4_number, l4_number_ext, l4_street_type,
                                            l4_street)))
            if l2 or l3 or l5:
                street = "\n".join(filter(None, (l2, l3, street, l5)))
            if postcode and l6.startswith(postcode):
                city = l6[len(postcode):].strip()
            else:
                city = _city_from_l6(l6, postcode)
            report.imported += 1
            # Type 8 is RPPS, 0 ADELI (the national id repeats the type digit in front).
            yield (
                key, address, box_type, civility, family, given, profession_code, profession,
                specialty_code, specialty, company or trade_name, service, street, postcode, city,
                department or derive_department(postcode),
                pp_id if id_type == "8" or (not id_type and len(pp_id) == 11) else "",
                pp_id if id_type == "0" else "", national, id_type, structure_id)
        if report.recoded_lines > recoded_before and not cp1252:
            report.warnings.append(
                f"{report.recoded_lines} ligne(s) n'étaient pas en UTF-8 et ont été lues comme "
                "Windows-1252 (Latin-1).")

    def _map_header(self, header: list[str]) -> dict[str, int]:
        index: dict[str, int] = {}
        for position, raw_name in enumerate(header):
            key = _normalise_header(raw_name)
            if not key:
                continue  # trailing separator
            canonical = _KNOWN.get(key)
            if canonical is None:
                self.report.ignored_columns.append(raw_name.strip())
            elif canonical not in index:
                index[canonical] = position
        missing = [c for c in REQUIRED_COLUMNS if c not in index]
        if missing:
            names = ", ".join(f"« {c} »" for c in missing)
            raise ExtractionFormatError(
                f"Colonnes obligatoires absentes de l'en-tête de l'extraction : {names}. "
                "Ce fichier n'est pas une extraction Extraction_Correspondance_MSSante complète.",
                message_en="Required columns missing from the extraction's header: "
                           + ", ".join(missing) + ".")
        self.report.missing_optional_columns = [c for c in COLUMNS if c not in index]
        if self.report.missing_optional_columns:
            self.report.warnings.append(
                "Colonnes absentes (ignorées) : "
                + ", ".join(self.report.missing_optional_columns) + ".")
        return index
