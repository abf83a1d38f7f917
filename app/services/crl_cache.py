"""The last valid CRL of each issuing CA, kept in the profile directory (ECO.1.1.6–7).

- Sources: the CRL URLs of the setting ``tls.crl.urls`` (whitespace- or comma-separated; the
  distribution points of the CAs that issue the operators' server certificates). No URL: no
  revocation checking, as before. The issuer of each CRL is found among the trusted certificates
  (the shipped anchors and every account's CA file) and its signature checked
  (``app.protocols.crl_fetch``).
- Kept: one file per issuing CA, ``<profile>/crl/<issuer id>.crl.pem``, replaced only by a CRL
  that validated and is not older; ``sources.json`` beside it says which issuer each URL gave.
- Refreshed when due: no CRL kept yet for the URL, the kept one older than ``tls.crl.refresh_hours``
  (24 h by default), or its next update less than two hours away. A failed refresh is retried
  after five minutes at the earliest, and never touches the kept file.
- Used by connections: ``files()`` (no network) or ``connection_files()`` (refresh when due,
  then ``files()``) give the kept CRL of each configured URL. An expired kept CRL is still handed
  over: OpenSSL then refuses the handshake (X509 code 12), which ``app.protocols.tls`` words as
  "La liste de révocation (CRL) de l'autorité du serveur a expiré" — fail closed. With URLs
  configured and no CRL kept at all, ``files()`` refuses likewise (the code 3 sentence): without
  it the connection would silently go unchecked.

Once revocation checking is on, OpenSSL checks the server certificate of *every* IMAP/SMTP
connection against these CRLs (``VERIFY_CRL_CHECK_LEAF``): a server whose issuer has no CRL among
them is refused (code 3), which is the point — configure the URLs of every issuing CA in use.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.errors import InvalidInputError, UserFacingError
from app.protocols import tls
from app.protocols.crl_fetch import (
    DEFAULT_TIMEOUT,
    MAX_CRL_BYTES,
    CrlError,
    CrlFacts,
    ValidatedCrl,
    check_crl_url,
    crl_facts,
    fetch_crl,
    load_ca_certificates,
    parse_crl,
)
from app.store.durable_files import write_atomically
from app.store.outbox_store import SettingStore

_log = logging.getLogger(__name__)

URLS_SETTING = "tls.crl.urls"
REFRESH_HOURS_SETTING = "tls.crl.refresh_hours"
DEFAULT_REFRESH_HOURS = 24
MAX_REFRESH_HOURS = 24 * 7
REFRESH_MARGIN = timedelta(hours=2)  # refresh this long before the kept CRL's next update
RETRY_AFTER = timedelta(minutes=5)  # after a failed download, at the earliest
CRL_DIR_NAME = "crl"
INDEX_NAME = "sources.json"
_SUFFIX = ".crl.pem"
_ISSUER_ID = re.compile(r"^[0-9a-f]{32}$")

Fetcher = Callable[..., ValidatedCrl]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CrlUnavailableError(tls.TlsPolicyError):
    """Revocation checking is configured but no CRL could ever be obtained: connections are
    refused rather than left unchecked (the sentence of X509 code 3 in ``app.protocols.tls``)."""

    default_message = "La liste de révocation (CRL) de l'autorité du serveur est introuvable."
    default_message_en = "The revocation list (CRL) of the server's authority is missing."


@dataclass(frozen=True)
class KeptCrl:
    """The CRL kept for one issuing CA."""

    issuer_id: str
    path: Path
    facts: CrlFacts


@dataclass(frozen=True)
class RefreshOutcome:
    """What one refresh did for one URL: ``updated``, ``unchanged`` or ``failed``."""

    url: str
    status: str
    kept: KeptCrl | None = None
    error: UserFacingError | None = None


@dataclass(frozen=True)
class SourceStatus:
    """For a window or a command: each configured URL, its kept CRL, its last failure."""

    url: str
    kept: KeptCrl | None
    last_error: UserFacingError | None


def _openssl_reads(path: Path) -> None:
    """The connection code loads kept CRLs with OpenSSL: make sure it can, before keeping one."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError) as exc:
        raise CrlError(
            "La liste de révocation (CRL) reçue ne peut pas être lue par la bibliothèque TLS : "
            "liste refusée.",
            message_en="The revocation list (CRL) received cannot be read by the TLS library: "
            "refused.") from exc


class CrlCache:
    """The kept CRLs of one profile; thread-safe (connections are opened on several threads)."""

    def __init__(
        self,
        *,
        directory: Path,
        settings: SettingStore | None = None,
        urls: Sequence[str] = (),
        trusted_files: Callable[[], Sequence[str | Path]] = tls.trust_anchor_files,
        clock: Callable[[], datetime] = _utcnow,
        fetch: Fetcher = fetch_crl,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_CRL_BYTES,
    ) -> None:
        self._directory = directory
        self._settings = settings
        self._extra_urls = [check_crl_url(u) for u in urls]
        self._trusted_files = trusted_files
        self._clock = clock
        self._fetch = fetch
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._lock = threading.RLock()  # the in-memory state and the files; held briefly
        self._refresh_lock = threading.Lock()  # one refresh (network) at a time
        self._kept: dict[str, KeptCrl] | None = None
        self._sources: dict[str, str] | None = None
        self._failures: dict[str, tuple[datetime, UserFacingError]] = {}

    @property
    def directory(self) -> Path:
        return self._directory

    # --- settings --------------------------------------------------------------------------

    def urls(self) -> list[str]:
        """The configured CRL URLs (setting, then those given to the constructor), deduplicated;
        a malformed entry of the setting is skipped with a warning."""
        found: list[str] = []
        text = self._settings.get(URLS_SETTING) if self._settings is not None else None
        for word in re.split(r"[\s,]+", text or ""):
            if not word:
                continue
            try:
                url = check_crl_url(word)
            except InvalidInputError:
                _log.warning("ignoring a malformed CRL URL in %s: %r", URLS_SETTING, word)
                continue
            if url not in found:
                found.append(url)
        found += [u for u in self._extra_urls if u not in found]
        return found

    def set_urls(self, urls: Sequence[str]) -> None:
        """Administrator setting: the CRL URLs to keep (checked; empty switches checking off)."""
        if self._settings is None:
            raise InvalidInputError("Aucun réglage n'est disponible.",
                                    message_en="No settings are available.")
        checked = [check_crl_url(u) for u in urls if u.strip()]
        if checked:
            self._settings.set(URLS_SETTING, "\n".join(checked))
        else:
            self._settings.delete(URLS_SETTING)

    def enabled(self) -> bool:
        return bool(self.urls())

    def refresh_interval(self) -> timedelta:
        text = self._settings.get(REFRESH_HOURS_SETTING) if self._settings is not None else None
        try:
            hours = int(text) if text and text.strip() else DEFAULT_REFRESH_HOURS
        except ValueError:
            hours = DEFAULT_REFRESH_HOURS
        return timedelta(hours=max(1, min(MAX_REFRESH_HOURS, hours)))

    # --- what is kept -------------------------------------------------------------------------

    def _load_kept(self) -> dict[str, KeptCrl]:
        if self._kept is None:
            kept: dict[str, KeptCrl] = {}
            if self._directory.is_dir():
                for path in sorted(self._directory.glob(f"*{_SUFFIX}")):
                    identifier = path.name[: -len(_SUFFIX)]
                    if not _ISSUER_ID.match(identifier):
                        continue
                    try:
                        facts = crl_facts(parse_crl(path.read_bytes()))
                    except (OSError, CrlError) as exc:
                        # Left where it is; the next good CRL of that issuer replaces it.
                        _log.warning("kept CRL %s is unreadable: %s", path.name, exc)
                        continue
                    kept[identifier] = KeptCrl(identifier, path, facts)
            self._kept = kept
        return self._kept

    def _load_sources(self) -> dict[str, str]:
        if self._sources is None:
            sources: dict[str, str] = {}
            try:
                raw: Any = json.loads((self._directory / INDEX_NAME).read_text("utf-8"))
            except (OSError, ValueError):
                raw = {}
            entries = raw.get("sources") if isinstance(raw, dict) else None
            if isinstance(entries, dict):
                sources = {str(url): str(ident) for url, ident in entries.items()
                           if isinstance(ident, str) and _ISSUER_ID.match(ident)}
            self._sources = sources
        return self._sources

    def _kept_for(self, url: str) -> KeptCrl | None:
        identifier = self._load_sources().get(url)
        return self._load_kept().get(identifier) if identifier else None

    def kept(self) -> list[KeptCrl]:
        """The kept CRL of each configured URL (one per issuer)."""
        with self._lock:
            found: dict[str, KeptCrl] = {}
            for url in self.urls():
                current = self._kept_for(url)
                if current is not None:
                    found[current.issuer_id] = current
            return [found[k] for k in sorted(found)]

    def status(self) -> list[SourceStatus]:
        with self._lock:
            return [SourceStatus(url, self._kept_for(url),
                                 self._failures[url][1] if url in self._failures else None)
                    for url in self.urls()]

    # --- refresh ------------------------------------------------------------------------------

    def is_due(self, url: str, now: datetime | None = None) -> bool:
        with self._lock:
            now = now or self._clock()
            failure = self._failures.get(url)
            if failure is not None and now < failure[0] + RETRY_AFTER:
                return False
            current = self._kept_for(url)
            if current is None:
                return True
            facts = current.facts
            return (now >= facts.this_update + self.refresh_interval()
                    or now >= facts.next_update - REFRESH_MARGIN)

    def refresh(self, *, force: bool = False) -> list[RefreshOutcome]:
        """Download the CRL of each URL that is due (every URL with ``force``); never raises for
        a bad download — a failure is in the outcome and the kept CRL stays as it was.

        One refresh at a time; the downloads run without the state lock, so that ``files()``
        (called on the event loop for SMTP) never waits for the network."""
        urls = self.urls()
        outcomes: list[RefreshOutcome] = []
        if not urls:
            return outcomes
        with self._refresh_lock:
            now = self._clock()
            due = [url for url in urls if force or self.is_due(url, now)]
            if not due:
                return outcomes
            ca_files = list(self._trusted_files())
            issuers = load_ca_certificates(ca_files)
            for url in due:
                with self._lock:
                    kept = {k: v.facts for k, v in self._load_kept().items()}
                try:
                    validated = self._fetch(
                        url, issuers=issuers, now=now, kept=kept, ca_files=ca_files,
                        timeout=self._timeout, max_bytes=self._max_bytes)
                    with self._lock:
                        outcome = self._keep(url, validated)
                        self._failures.pop(url, None)
                except UserFacingError as exc:
                    _log.warning("CRL refresh from %s failed: %s", url, exc.message_en)
                    with self._lock:
                        self._failures[url] = (now, exc)
                        outcome = RefreshOutcome(url, "failed", self._kept_for(url), exc)
                outcomes.append(outcome)
        return outcomes

    def _keep(self, url: str, validated: ValidatedCrl) -> RefreshOutcome:
        kept = self._load_kept()
        path = self._directory / f"{validated.issuer_id}{_SUFFIX}"
        pem = validated.pem()
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            unchanged = (validated.issuer_id in kept and path.is_file()
                         and path.read_bytes() == pem)
            if not unchanged:
                # Public data (the CA publishes it for anyone), not health data: a plain file in
                # the profile is acceptable here, unlike the messages in the encrypted store.
                write_atomically(path, pem, check=_openssl_reads)
                kept[validated.issuer_id] = KeptCrl(validated.issuer_id, path, validated.facts)
            sources = self._load_sources()
            if sources.get(url) != validated.issuer_id:
                updated = {**sources, url: validated.issuer_id}
                write_atomically(self._directory / INDEX_NAME, json.dumps(
                    {"version": 1, "sources": updated}, indent=1, sort_keys=True).encode())
                self._sources = updated
        except OSError as exc:
            raise CrlError(
                f"La liste de révocation reçue de {url} n'a pas pu être enregistrée dans le profil "
                f"({type(exc).__name__}).",
                message_en=f"The revocation list from {url} could not be saved in the profile "
                f"({type(exc).__name__}).") from exc
        return RefreshOutcome(url, "unchanged" if unchanged else "updated",
                              kept[validated.issuer_id])

    # --- what connections use -------------------------------------------------------------------

    def files(self) -> list[Path]:
        """The kept CRL files for a TLS context (``app.protocols.tls.client_context``), without
        network; empty when no URL is configured. Expired ones included (OpenSSL refuses then)."""
        if not self.enabled():
            return []
        kept = self.kept()
        if not kept:
            with self._lock:
                errors = [e for _t, e in self._failures.values()]
            hint = hint_en = None
            if errors:
                hint = (f"Aucune liste n'a pu être obtenue ({errors[-1].message}) ; la connexion "
                        "est refusée tant que la révocation ne peut pas être vérifiée.")
                hint_en = (f"No list could be obtained ({errors[-1].message_en}); connections "
                           "are refused until revocation can be checked.")
            raise CrlUnavailableError(hint=hint, hint_en=hint_en)
        return [k.path for k in kept]

    def connection_files(self) -> list[Path]:
        """``files()`` after a refresh of what is due (blocking: call it off any event loop)."""
        if self.enabled():
            self.refresh()
        return self.files()
