"""One directory search over every source: the offline national extraction, the organisation's
LDAP, the national FHIR API (issue #6).

* The offline extraction (app.store.directory_store) is always there and answers everything,
  including what the API cannot do (city, postcode, département). The remote sources are optional
  and injected (configured from the profile's settings by default); they run concurrently with
  the offline search, each in a worker thread with a deadline, and **a remote failure never
  breaks the search**: the offline results come back with a French warning naming the source.
* Results are merged and de-duplicated by address (domain lower-cased): the first source's entry
  is kept (offline first), its empty fields filled from the others'; a red-listed box is dropped
  whoever reports it (MSSANTE.md §7).
* Ranking: the exact address first, then entries whose name holds every searched word whole, then
  those whose name words start with them, then the rest — each tier keeping the source's own
  relevance order (bm25 for the offline store).
* Remote results are filtered here against every criterion, so a criterion a source cannot
  express (city for the API, profession for LDAP) still holds for the merged list.

Blocking calls (file import, searches): the window runs them off the UI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.domain.directory_entry import (
    DirectoryBoxType,
    DirectoryEntry,
    department_from_postcode,
)
from app.errors import InvalidInputError, UserFacingError
from app.protocols.directory_extraction import (
    ExtractionReader,
    ExtractionRecord,
    ExtractionReport,
)
from app.protocols.directory_extraction.process_reader import (
    ProcessExtractionReader,
    extraction_reader,
)
from app.protocols.fhir import FhirDirectory, FhirDirectoryConfig
from app.protocols.ldap import LdapDirectory, LdapDirectoryConfig
from app.store.account_store import SecretStore
from app.store.database import DatabaseError
from app.store.directory_store import (
    RECORD_FIELDS,
    DirectoryCriteria,
    DirectoryImportError,
    DirectoryImportInfo,
    DirectoryStore,
    ImportOutcome,
    address_key,
    fold,
)
from app.store.outbox_store import SettingStore

__all__ = [
    "DirectoryCriteria",
    "DirectoryImportResult",
    "DirectorySearchResult",
    "DirectoryService",
    "FhirRemote",
    "LdapRemote",
    "RemoteDirectory",
    "configured_remotes",
    "fold",
]

_log = logging.getLogger(__name__)

DEFAULT_REMOTE_TIMEOUT = 8.0  # seconds for all remote sources together, per search

if ExtractionRecord._fields != RECORD_FIELDS:  # the store takes the reader's tuples as they are
    raise RuntimeError("ExtractionRecord and directory_store.RECORD_FIELDS disagree")


# --- text folding ------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    folded = fold(text)
    return "".join(c if c.isalnum() else " " for c in folded).split()


def _all_words_start(query: Sequence[str], words: Sequence[str]) -> bool:
    return all(any(w.startswith(q) for w in words) for q in query)


def _all_words_equal(query: Sequence[str], words: Sequence[str]) -> bool:
    return all(q in words for q in query)


# --- remote sources ----------------------------------------------------------------------------


class RemoteDirectory(Protocol):
    """A directory reached over the network. ``search`` returns None when the criteria are
    nothing it can search for (e.g. a city for the API); it raises app.errors on failure."""

    label: str

    def search(self, criteria: DirectoryCriteria, limit: int) -> list[DirectoryEntry] | None: ...


def _name_query(c: DirectoryCriteria) -> str:
    for value in (c.text, c.name, c.first_name):
        if value.strip():
            return value.strip()
    return ""


class LdapRemote:
    """The organisation's LDAP (hospital, group): searched by name or address beginning."""

    label = "annuaire LDAP de l'établissement"

    def __init__(self, directory: LdapDirectory) -> None:
        self._directory = directory

    def search(self, criteria: DirectoryCriteria, limit: int) -> list[DirectoryEntry] | None:
        query = _name_query(criteria)
        if not query:
            return None
        return self._directory.search(query, limit=limit)


class FhirRemote:
    """The national Annuaire Santé FHIR API: by RPPS, name, first name or address."""

    label = "API Annuaire Santé"

    def __init__(self, factory: Callable[[], FhirDirectory]) -> None:
        self._factory = factory  # one client (one HTTP connection pool) per search

    def search(self, criteria: DirectoryCriteria, limit: int) -> list[DirectoryEntry] | None:
        kind = criteria.box_type.strip().upper()
        people = kind in ("", "PER")
        structures = kind in ("", "ORG", "APP", "CAB")
        rpps = criteria.rpps.strip()
        text = criteria.text.strip()
        found: list[DirectoryEntry] = []
        with self._factory() as api:
            if rpps:
                if not (rpps.isdigit() and len(rpps) in (11, 12)) or not people:
                    return None  # ADELI numbers are not searchable there
                return api.search_practitioners(rpps=rpps, limit=limit).entries
            if "@" in text:
                if people:
                    found += api.search_practitioners(mailbox_contains=text, limit=limit).entries
                if structures:
                    found += api.search_organizations(mailbox_contains=text, limit=limit).entries
                return found
            name = text or criteria.name.strip()
            given = criteria.first_name.strip()
            if not name and not given:
                return None  # city, postcode, profession only: the API cannot search them
            if people:
                if name:
                    result = api.search_practitioners(name=name, given=given or None, limit=limit)
                else:
                    result = api.search_practitioners(given=given, limit=limit)
                found += result.entries
            if structures and name and not given:
                found += api.search_organizations(name=name, limit=limit).entries
        return found


# Names shared with app.store.settings_store (the settings dialog writes them).
FHIR_API_KEY_SECRET = "directory.fhir.api_key"
LDAP_PASSWORD_SECRET = "directory.ldap.bind_password"


def configured_remotes(
    settings: SettingStore, secrets: SecretStore | None = None
) -> tuple[list[RemoteDirectory], list[str]]:
    """The remote sources the profile's settings describe, and warnings for broken settings.

    Settings: ``directory.ldap.uri`` / ``.base_dn`` / ``.starttls`` (1|0) / ``.ca_file`` /
    ``.bind_dn`` / ``.filter`` / ``.timeout``; ``directory.fhir.base_url`` / ``.ca_file`` /
    ``.timeout``. Secrets (SecretStore; the setting table as a fallback for scripted set-ups):
    ``directory.fhir.api_key`` — the FHIR API is used only when there is one — and
    ``directory.ldap.bind_password``.
    """
    remotes: list[RemoteDirectory] = []
    warnings: list[str] = []

    def get(name: str) -> str:
        return (settings.get(name) or "").strip()

    def secret(name: str) -> str | None:
        value = secrets.get(name) if secrets is not None else None
        return value if value else settings.get(name)

    uri = get("directory.ldap.uri")
    if uri:
        try:
            values: dict[str, Any] = {
                "uri": uri,
                "base_dn": get("directory.ldap.base_dn"),
                "starttls": get("directory.ldap.starttls") not in ("0", "false", "non"),
                "ca_file": get("directory.ldap.ca_file") or None,
                "bind_dn": get("directory.ldap.bind_dn") or None,
                "bind_password": secret(LDAP_PASSWORD_SECRET),
            }
            if get("directory.ldap.filter"):
                values["filter_template"] = get("directory.ldap.filter")
            if get("directory.ldap.timeout"):
                values["timeout"] = float(get("directory.ldap.timeout"))
            remotes.append(LdapRemote(LdapDirectory(LdapDirectoryConfig(**values))))
        except (UserFacingError, ValueError) as exc:
            warnings.append(f"{LdapRemote.label} non utilisé : {_reason(exc)}")
    api_key = (secret(FHIR_API_KEY_SECRET) or "").strip()
    if api_key:
        try:
            fhir_values: dict[str, Any] = {"api_key": api_key}
            if get("directory.fhir.base_url"):
                fhir_values["base_url"] = get("directory.fhir.base_url")
            if get("directory.fhir.ca_file"):
                fhir_values["ca_file"] = get("directory.fhir.ca_file")
            if get("directory.fhir.timeout"):
                fhir_values["timeout"] = float(get("directory.fhir.timeout"))
            config = FhirDirectoryConfig(**fhir_values)
            remotes.append(FhirRemote(lambda: FhirDirectory(config)))
        except (UserFacingError, ValueError) as exc:
            warnings.append(f"{FhirRemote.label} non utilisée : {_reason(exc)}")
    return remotes, warnings


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UserFacingError):
        return exc.text("fr")
    return f"erreur inattendue ({type(exc).__name__})"


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectorySearchResult:
    entries: list[DirectoryEntry]
    warnings: list[str] = field(default_factory=list)  # French, one sentence each
    sources: list[str] = field(default_factory=list)  # the sources that answered


@dataclass(frozen=True)
class DirectoryImportResult:
    outcome: ImportOutcome
    report: ExtractionReport

    def summary(self) -> str:
        """French, for the CLI and the import dialog."""
        text = self.report.summary()
        if self.outcome.merged:
            text += (
                f" {self.outcome.merged} adresse(s) en double fusionnée(s) : l'annuaire compte "
                f"{self.outcome.entries} adresses."
            )
        else:
            text += f" L'annuaire compte {self.outcome.entries} adresses."
        return text


def _merge(base: DirectoryEntry, other: DirectoryEntry) -> DirectoryEntry:
    """``base`` with its empty fields taken from ``other``."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(base):
        if f.name in ("address", "box_type", "source", "red_listed"):
            continue
        mine, theirs = getattr(base, f.name), getattr(other, f.name)
        if not mine and theirs:
            changes[f.name] = theirs
    return dataclasses.replace(base, **changes) if changes else base


def _box_matches(entry: DirectoryEntry, kind: str) -> bool:
    if not kind:
        return True
    if kind == "ORG":
        return entry.box_type in (DirectoryBoxType.ORG, DirectoryBoxType.CAB)
    return entry.box_type.value == kind


def matches(entry: DirectoryEntry, c: DirectoryCriteria) -> bool:
    """Whether ``entry`` satisfies every criterion (the offline store's rules, in Python)."""
    if not _box_matches(entry, c.box_type.strip().upper()):
        return False
    names = _words(f"{entry.family_name} {entry.given_name}")
    text = c.text.strip()
    if text:
        if "@" in text:
            if not address_key(entry.address).lower().startswith(text.lower()):
                return False
        else:
            everything = _words(
                " ".join((entry.family_name, entry.given_name, entry.profession, entry.specialty,
                          entry.structure, entry.service, entry.city))
            )  # fmt: skip
            if not _all_words_start(_words(text), everything):
                return False
    if c.name.strip() and not _all_words_start(_words(c.name), names):
        return False
    given = _words(entry.given_name)
    if c.first_name.strip() and not _all_words_start(_words(c.first_name), given):
        return False
    for value, field_text in (
        (c.profession, entry.profession),
        (c.specialty, entry.specialty),
        (c.structure, f"{entry.structure} {entry.service}"),
        (c.city, entry.city),
    ):
        if value.strip() and not _all_words_start(_words(value), _words(field_text)):
            return False
    postcode = c.postcode.strip().replace(" ", "")
    if postcode and not entry.postcode.startswith(postcode):
        return False
    department = c.department.strip().upper()
    if department:
        if len(department) == 1 and department.isdigit():
            department = "0" + department
        if (entry.department or department_from_postcode(entry.postcode)).upper() != department:
            return False
    rpps = c.rpps.strip().replace(" ", "")
    if rpps:
        if len(rpps) == 12 and rpps.startswith(("8", "0")):
            rpps = rpps[1:]
        if rpps not in (entry.rpps, entry.adeli):
            return False
    return True


def _relevant(entries: Sequence[DirectoryEntry], c: DirectoryCriteria) -> list[DirectoryEntry]:
    """A remote source's entries that match ``c``; red-listed ones are kept, to hide the same
    address coming from another source (the merge drops them)."""
    return [e for e in entries if e.red_listed or matches(e, c)]


def _tier(entry: DirectoryEntry, c: DirectoryCriteria) -> int:
    """0 exact address, 1 address beginning, 2 every name word whole, 3 name beginnings,
    4 anything else."""
    text = c.text.strip()
    if "@" in text and address_key(entry.address) == address_key(text):
        return 0
    address_like = text and " " not in text and ("@" in text or "." in text)
    if address_like and entry.address.lower().startswith(text.lower()):
        return 1
    query = _words(" ".join(v for v in (text if "@" not in text else "", c.name, c.first_name)))
    if not query:
        return 4
    names = _words(f"{entry.family_name} {entry.given_name}")
    if _all_words_equal(query, names):
        return 2
    if _all_words_start(query, names):
        return 3
    return 4


# --- the service -------------------------------------------------------------------------------


class DirectoryService:
    """Import of the extraction; merged, ranked search and autocomplete over every source."""

    def __init__(
        self,
        *,
        store: DirectoryStore,
        remotes: Sequence[RemoteDirectory] = (),
        settings: SettingStore | None = None,
        secrets: SecretStore | None = None,
        remote_timeout: float = DEFAULT_REMOTE_TIMEOUT,
        reader_factory: Callable[[Path], ExtractionReader | ProcessExtractionReader] = (
            extraction_reader),
    ) -> None:
        self._store = store
        self._remotes = list(remotes)
        self._settings = settings
        self._secrets = secrets
        self._remote_timeout = remote_timeout
        self._reader_factory = reader_factory

    @property
    def store(self) -> DirectoryStore:
        return self._store

    # --- import ----------------------------------------------------------------------------------

    def import_file(self, path: Path) -> DirectoryImportResult:
        """Replace the offline directory by the extraction in ``path`` (ZIP or TXT).

        Bad rows are counted in the report, never fatal. A file that cannot be read at all, or
        breaks halfway (truncated ZIP), raises a UserFacingError and leaves the previous
        directory in force.
        """
        reader = self._reader_factory(path)

        def details() -> dict[str, Any]:
            report = reader.report
            return {
                "summary": report.summary(),
                "encoding": report.encoding,
                "member": report.member_name,
                "bad_rows": dict(report.bad_rows),
                "recoded_lines": report.recoded_lines,
                "warnings": list(report.warnings),
            }

        try:
            outcome = self._store.import_records(
                reader.keyed_records(),
                source_name=reader.report.source_name or path.name,
                details=details,
                rows_read=lambda: reader.report.rows_read,
                bad_rows=lambda: reader.report.bad_total,
                keyed=True,
            )
        except DatabaseError as exc:
            _log.error("directory import failed in the store: %s", exc)
            raise DirectoryImportError(
                "L'import de l'annuaire a échoué dans le magasin local (espace disque ?) ; "
                "l'annuaire précédent reste utilisé.",
                message_en="The directory import failed in the local store (disk space?); the "
                "previous directory is still in use.",
            ) from exc
        _log.info("directory imported: %s", outcome)
        return DirectoryImportResult(outcome=outcome, report=reader.report)

    def info(self) -> DirectoryImportInfo | None:
        return self._store.info()

    # --- search ----------------------------------------------------------------------------------

    def _sources(self) -> tuple[list[RemoteDirectory], list[str]]:
        remotes = list(self._remotes)
        warnings: list[str] = []
        if self._settings is not None:
            configured, warnings = configured_remotes(self._settings, self._secrets)
            remotes += configured
        return remotes, warnings

    def search(
        self, criteria: DirectoryCriteria, *, limit: int = 50, remote: bool = True
    ) -> DirectorySearchResult:
        """Every source's entries matching ``criteria``, merged, de-duplicated and ranked."""
        if criteria.is_empty():
            raise InvalidInputError(
                "Indiquez au moins un critère de recherche.",
                message_en="Give at least one search criterion.",
            )
        limit = max(1, min(int(limit), 1000))
        remotes, warnings = self._sources() if remote else ([], [])
        answers: list[list[DirectoryEntry]] = []
        sources: list[str] = []
        with _RemoteCalls(remotes, criteria, limit, self._remote_timeout) as calls:
            answers.append(self._store.search(criteria, limit=limit))  # meanwhile, locally
            sources.append("extraction")
            for label, entries, warning in calls.results():
                if warning:
                    warnings.append(warning)
                elif entries is not None:
                    sources.append(label)
                    answers.append(_relevant(entries, criteria))
        merged = _merge_all(answers)
        ranked = sorted(merged, key=lambda e: _tier(e, criteria))  # stable: sources' order kept
        return DirectorySearchResult(entries=ranked[:limit], warnings=warnings, sources=sources)

    def autocomplete(
        self, prefix: str, *, limit: int = 10, remote: bool = False
    ) -> DirectorySearchResult:
        """Entries whose address or name starts with ``prefix``, for the composer.

        Offline only by default (it runs at every keystroke); ``remote=True`` also asks the
        remote sources, with the same failure rules as :meth:`search`.
        """
        limit = max(1, min(int(limit), 100))
        text = prefix.strip()
        if not text:
            return DirectorySearchResult(entries=[])
        local = self._store.autocomplete(text, limit=limit)
        if not remote:
            return DirectorySearchResult(entries=local, sources=["extraction"])
        criteria = DirectoryCriteria(text=text)
        remotes, warnings = self._sources()
        answers = [local]
        sources = ["extraction"]
        with _RemoteCalls(remotes, criteria, limit, self._remote_timeout) as calls:
            for label, entries, warning in calls.results():
                if warning:
                    warnings.append(warning)
                elif entries is not None:
                    sources.append(label)
                    answers.append(_relevant(entries, criteria))
        merged = sorted(_merge_all(answers), key=lambda e: _tier(e, criteria))
        return DirectorySearchResult(entries=merged[:limit], warnings=warnings, sources=sources)


def _merge_all(answers: Sequence[Sequence[DirectoryEntry]]) -> list[DirectoryEntry]:
    by_key: dict[str, DirectoryEntry] = {}
    hidden: set[str] = set()
    for entries in answers:
        for entry in entries:
            key = address_key(entry.address)
            if entry.red_listed:
                hidden.add(key)
                continue
            if key in by_key:
                by_key[key] = _merge(by_key[key], entry)
            else:
                by_key[key] = entry
    return [e for k, e in by_key.items() if k not in hidden]


class _RemoteCalls:
    """The remote searches, started on entry, each in its own daemon-like worker thread."""

    def __init__(
        self,
        remotes: Sequence[RemoteDirectory],
        criteria: DirectoryCriteria,
        limit: int,
        timeout: float,
    ) -> None:
        self._remotes = remotes
        self._criteria = criteria
        self._limit = limit
        self._timeout = timeout
        self._pool: ThreadPoolExecutor | None = None
        self._deadline = 0.0
        self._futures: list[tuple[str, Future[list[DirectoryEntry] | None]]] = []

    def __enter__(self) -> _RemoteCalls:
        if self._remotes:
            self._pool = ThreadPoolExecutor(
                max_workers=len(self._remotes), thread_name_prefix="directory-remote"
            )
            self._deadline = time.monotonic() + self._timeout
            for remote in self._remotes:
                future = self._pool.submit(remote.search, self._criteria, self._limit)
                self._futures.append((remote.label, future))
        return self

    def results(self) -> Iterator[tuple[str, list[DirectoryEntry] | None, str]]:
        """(label, entries or None when not applicable, French warning or "")."""
        for label, future in self._futures:
            try:
                entries = future.result(timeout=max(0.0, self._deadline - time.monotonic()))
            except FutureTimeout:
                yield label, None, (
                    f"{label} : pas de réponse dans les {self._timeout:g} s ; résultats hors "
                    "ligne seulement pour cette source."
                )
                continue
            except UserFacingError as exc:
                _log.info("directory source %s failed: %s", label, exc)
                yield label, None, f"{label} indisponible : {exc.text('fr')}"
                continue
            except Exception as exc:  # a broken source must not break the search
                _log.warning("directory source %s failed", label, exc_info=True)
                yield label, None, f"{label} indisponible : {_reason(exc)}"
                continue
            yield label, entries, ""

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            # A source past its deadline is abandoned, not waited for.
            self._pool.shutdown(wait=False, cancel_futures=True)
