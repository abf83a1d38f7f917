"""Client of the national FHIR directory API, Annuaire Santé v2 (MSSANTE.md §7; issue #6 item 1).

* Base ``https://gateway.api.esante.gouv.fr/fhir/v2``, key in the ``ESANTE-API-KEY`` header, GET
  searches only.
* **At most 17 requests per second**, enforced here by a sliding-window limiter shared by every
  request of a client (retries and page follow-ups included): never more than 17 request starts in
  any window of 1.1 s (a margin over the gateway's second for network jitter).
* Pages of 50, ``link[relation=next]`` followed until ``limit`` entries or ``max_pages`` pages.
  A next link pointing at another origin is refused: the API key is never sent elsewhere.
* 429 and 5xx (and transport failures) are retried with exponential backoff, honouring
  ``Retry-After`` (seconds or HTTP date), for at most ``max_attempts`` attempts.
* Errors become app.errors: wrong key -> AuthenticationError; network, timeout, persistent
  429/5xx -> ServerUnreachableError; HTML or other non-FHIR bodies, OperationOutcome errors ->
  FhirFormatError / InvalidInputError, in French.

httpx's *sync* client: services run :meth:`FhirDirectory.search` in an executor, never on the event
loop. ``clock`` and ``sleep`` are injectable so tests can check the limiter and the backoff
without waiting.
"""

from __future__ import annotations

import email.utils
import json
import math
import ssl
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app.domain.directory_entry import DirectoryEntry
from app.errors import (
    AuthenticationError,
    InvalidInputError,
    ServerUnreachableError,
)
from app.protocols.fhir.mapping import (
    IDNPS_SYSTEM,
    FhirFormatError,
    operation_outcome_text,
    parse_bundle,
)

DEFAULT_BASE_URL = "https://gateway.api.esante.gouv.fr/fhir/v2"
API_KEY_HEADER = "ESANTE-API-KEY"
MAX_REQUESTS_PER_SECOND = 17
# The window the client counts in is a little longer than a second: the gateway counts arrival
# times, and network or scheduling jitter can bring two of our requests closer than we sent them.
RATE_WINDOW_SECONDS = 1.1
PAGE_SIZE = 50
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_BODY_BYTES = 20 * 1024 * 1024  # one page of 50 resources is ~100-300 kB
_MAX_QUERY_LENGTH = 200

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter:
    """At most ``max_requests`` acquisitions in any window of ``period`` seconds (thread-safe).

    A sliding window over the last ``max_requests`` start times rather than a token bucket with a
    burst allowance: a bucket of capacity 17 refilling at 17/s lets 34 requests through in one
    second, which is exactly what the gateway counts against us.
    """

    def __init__(self, max_requests: int = MAX_REQUESTS_PER_SECOND, period: float = 1.0, *,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if max_requests < 1 or period <= 0:
            raise ValueError("max_requests must be >= 1 and period > 0")
        self.max_requests = max_requests
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a slot; returns the (clock) time the request may start."""
        with self._lock:
            while True:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.period:
                    self._starts.popleft()
                if len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    return now
                self._sleep(self.period - (now - self._starts[0]))


@dataclass(frozen=True)
class FhirDirectoryConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str = field(default="", repr=False)
    ca_file: str | None = None  # None: the system's trust store
    timeout: float = 10.0
    max_requests_per_second: int = MAX_REQUESTS_PER_SECOND
    max_attempts: int = 4  # per request, first try included
    backoff_base: float = 0.5  # seconds; doubled at each retry
    backoff_max: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After fails at once rather than hang the UI
    max_pages: int = 10

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise InvalidInputError(
                f"L'adresse de l'API annuaire « {self.base_url} » doit être une URL https://.",
                message_en=f"The directory API address “{self.base_url}” must be an https:// "
                           "URL.")
        if not self.api_key.strip():
            raise InvalidInputError(
                "Aucune clé d'API Annuaire Santé (ESANTE-API-KEY) n'est configurée.",
                message_en="No Annuaire Santé API key (ESANTE-API-KEY) is configured.",
                hint="Demandez une clé sur le portail Gravitee de l'ANS et renseignez-la dans les "
                     "paramètres.",
                hint_en="Request a key on the ANS Gravitee portal and enter it in the settings.")
        if not 1 <= self.max_requests_per_second <= MAX_REQUESTS_PER_SECOND:
            raise InvalidInputError(
                f"Le débit de l'API annuaire doit être entre 1 et {MAX_REQUESTS_PER_SECOND} "
                "requêtes par seconde.",
                message_en=f"The directory API rate must be between 1 and "
                           f"{MAX_REQUESTS_PER_SECOND} requests per second.")
        if self.max_attempts < 1 or self.timeout <= 0 or self.max_pages < 1:
            raise InvalidInputError("Paramètres de l'API annuaire invalides.",
                                    message_en="Invalid directory API settings.")


@dataclass
class FhirSearchResult:
    entries: list[DirectoryEntry] = field(default_factory=list)
    hidden_red_listed: int = 0
    skipped_resources: int = 0
    pages: int = 0
    total: int | None = None  # as the server announced it, when it did
    truncated: bool = False  # more results exist than were fetched (limit or max_pages)


def _parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def _check_query(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInputError(f"Le critère « {what} » est vide.",
                                message_en=f"The “{what}” criterion is empty.")
    if len(text) > _MAX_QUERY_LENGTH or any(ord(c) < 32 for c in text):
        raise InvalidInputError(f"Le critère « {what} » n'est pas valide.",
                                message_en=f"The “{what}” criterion is not valid.")
    return text


class FhirDirectory:
    """Searches of the Annuaire Santé FHIR API. One instance per configuration; thread-safe."""

    def __init__(self, config: FhirDirectoryConfig, *,
                 transport: httpx.BaseTransport | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self.limiter = RateLimiter(config.max_requests_per_second, RATE_WINDOW_SECONDS,
                                   clock=clock, sleep=sleep)
        verify: ssl.SSLContext | bool = True
        if config.ca_file:
            verify = ssl.create_default_context(cafile=config.ca_file)
        self._origin = self._origin_of(config.base_url)
        self._client = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            headers={API_KEY_HEADER: config.api_key, "Accept": "application/fhir+json",
                     "User-Agent": "Estafette"},
            timeout=httpx.Timeout(config.timeout),
            verify=verify,
            transport=transport,
            follow_redirects=False,  # a redirect could carry the key to another host
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> FhirDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _origin_of(url: str) -> tuple[str, str, int | None]:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.scheme, (parts.hostname or "").lower(), port

    # -- one HTTP exchange -----------------------------------------------------------------------

    def _unreachable(self, detail: str) -> ServerUnreachableError:
        return ServerUnreachableError(
            f"L'annuaire santé (API FHIR) est injoignable : {detail}.",
            message_en=f"The health directory (FHIR API) cannot be reached: {detail}.",
            hint="Réessayez plus tard ; la recherche hors ligne reste disponible.",
            hint_en="Try again later; the offline search remains available.")

    def _get_json(self, url: str, params: Sequence[tuple[str, str]] | None) -> Any:
        """GET with the limiter, retries and error translation; the decoded JSON body."""
        cfg = self.config
        last = ""
        for attempt in range(1, cfg.max_attempts + 1):
            self.limiter.acquire()
            delay: float | None = None
            try:
                response = self._client.get(url, params=list(params) if params else None)
            except httpx.TimeoutException:
                last = f"délai de {cfg.timeout:g} s dépassé"
            except httpx.TransportError as exc:
                if isinstance(exc.__cause__ or exc.__context__, ssl.SSLError) or "CERTIFICATE" in \
                        str(exc).upper():
                    raise ServerUnreachableError(
                        "Connexion sécurisée à l'annuaire santé impossible : le certificat du "
                        "serveur n'est pas reconnu.",
                        message_en="Secure connection to the health directory failed: the "
                                   "server certificate is not trusted.") from None
                last = f"erreur réseau ({type(exc).__name__})"
            else:
                status = response.status_code
                if status not in _RETRY_STATUSES:
                    return self._decode(response)
                last = ("trop de requêtes (429)" if status == 429
                        else f"erreur du serveur ({status})")
                delay = _parse_retry_after(response.headers.get("Retry-After"))
                if delay is not None and delay > cfg.max_retry_after:
                    raise self._unreachable(
                        f"{last}, le service demande d'attendre {delay:.0f} s")
            if attempt == cfg.max_attempts:
                break
            backoff = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1))
            self._sleep(max(backoff, delay or 0.0))
        raise self._unreachable(f"{last} après {cfg.max_attempts} tentatives")

    def _decode(self, response: httpx.Response) -> Any:
        status = response.status_code
        content = response.content[:_MAX_BODY_BYTES + 1]
        if len(content) > _MAX_BODY_BYTES:
            raise FhirFormatError("La réponse de l'annuaire santé est anormalement volumineuse.",
                                  message_en="The health directory's answer is abnormally "
                                             "large.")
        body: Any = None
        try:
            body = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            body = None
        outcome = operation_outcome_text(body)
        if status in (401, 403):
            raise AuthenticationError(
                "L'annuaire santé a refusé la clé d'API (ESANTE-API-KEY)"
                + (f" : {outcome}" if outcome else "") + ".",
                message_en="The health directory refused the API key (ESANTE-API-KEY)"
                           + (f": {outcome}" if outcome else "") + ".",
                hint="Vérifiez la clé dans les paramètres de l'annuaire.",
                hint_en="Check the key in the directory settings.")
        if body is None:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "inconnu"
            raise FhirFormatError(
                f"L'annuaire santé a renvoyé une page non JSON (type {kind}, statut {status}) : "
                "service en maintenance ou intermédiaire réseau (proxy) ?",
                message_en=f"The health directory returned a non-JSON page (type {kind}, status "
                           f"{status}): service maintenance or a network proxy?")
        if status >= 400:
            detail = outcome or f"statut HTTP {status}"
            if 400 <= status < 500:
                raise InvalidInputError(
                    f"L'annuaire santé a refusé la recherche : {detail}.",
                    message_en=f"The health directory refused the search: {detail}.")
            raise FhirFormatError(f"L'annuaire santé a répondu par une erreur : {detail}.",
                                  message_en=f"The health directory answered with an error: "
                                             f"{detail}.")
        return body

    # -- searches --------------------------------------------------------------------------------

    def search(self, resource_type: str, params: Mapping[str, str] | Sequence[tuple[str, str]],
               *, limit: int = 50, address_contains: str | None = None) -> FhirSearchResult:
        """Run one search and follow its pages until ``limit`` entries. Blocking.

        ``address_contains``: keep only the boxes whose address contains it. A mailbox search
        matches *resources*; without this, a resource found through one box would bring its
        other boxes along (a hospital's every service for "cardiologie@").
        """
        wanted = address_contains.strip().casefold() if address_contains else None
        if resource_type not in ("Practitioner", "PractitionerRole", "Organization"):
            raise InvalidInputError(f"Type de ressource FHIR non pris en charge : {resource_type}.",
                                    message_en=f"Unsupported FHIR resource type: "
                                               f"{resource_type}.")
        query = list(params.items()) if isinstance(params, Mapping) else list(params)
        query.append(("_count", str(PAGE_SIZE)))
        result = FhirSearchResult()
        seen: set[str] = set()
        url: str = resource_type
        next_params: list[tuple[str, str]] | None = query
        while True:
            body = self._get_json(url, next_params)
            page = parse_bundle(body)
            result.pages += 1
            if result.total is None:
                result.total = page.total
            result.hidden_red_listed += page.hidden_red_listed
            result.skipped_resources += page.skipped_resources
            for entry in page.entries:
                key = entry.address.casefold()
                if wanted is not None and wanted not in key:
                    continue
                if key in seen:
                    continue
                seen.add(key)
                if len(result.entries) >= limit:
                    result.truncated = True
                    return result
                result.entries.append(entry)
            if not page.next_url:
                return result
            if len(result.entries) >= limit or result.pages >= self.config.max_pages:
                result.truncated = True
                return result
            absolute = urllib.parse.urljoin(str(self._client.base_url), page.next_url)
            if self._origin_of(absolute) != self._origin:
                raise FhirFormatError(
                    "L'annuaire santé a indiqué une page suivante sur un autre serveur : "
                    "ignorée par sécurité (la clé d'API n'y est pas envoyée).",
                    message_en="The health directory pointed the next page at another server: "
                               "ignored for safety (the API key is not sent there).")
            url, next_params = absolute, None

    def search_practitioners(self, *, name: str | None = None, family: str | None = None,
                             given: str | None = None, rpps: str | None = None,
                             qualification_code: str | None = None,
                             mailbox_contains: str | None = None,
                             limit: int = 50) -> FhirSearchResult:
        return self.search("Practitioner", self._params(
            name=name, family=family, given=given, rpps=rpps,
            qualification_code=qualification_code, mailbox_contains=mailbox_contains),
            limit=limit, address_contains=mailbox_contains)

    def search_practitioner_roles(self, *, rpps: str | None = None,
                                  mailbox_contains: str | None = None,
                                  role: str | None = None,
                                  limit: int = 50) -> FhirSearchResult:
        """Situations d'exercice, with their Practitioner and Organization included."""
        params = [("practitioner.identifier" if key == "identifier" else key, value)
                  for key, value in self._params(rpps=rpps, mailbox_contains=mailbox_contains,
                                                 allow_empty=True)]
        if role:
            params.append(("role", _check_query(role, "profession")))
        if not params:
            raise InvalidInputError("Indiquez au moins un critère de recherche.",
                                    message_en="Give at least one search criterion.")
        params += [("_include", "PractitionerRole:practitioner"),
                   ("_include", "PractitionerRole:organization")]
        return self.search("PractitionerRole", params, limit=limit,
                           address_contains=mailbox_contains)

    def search_organizations(self, *, name: str | None = None,
                             mailbox_contains: str | None = None,
                             identifier: str | None = None,
                             limit: int = 50) -> FhirSearchResult:
        params = self._params(name=name, mailbox_contains=mailbox_contains, allow_empty=True)
        if identifier:
            params.append(("identifier", _check_query(identifier, "identifiant")))
        if not params:
            raise InvalidInputError("Indiquez au moins un critère de recherche.",
                                    message_en="Give at least one search criterion.")
        return self.search("Organization", params, limit=limit,
                           address_contains=mailbox_contains)

    @staticmethod
    def _params(*, name: str | None = None, family: str | None = None, given: str | None = None,
                rpps: str | None = None, qualification_code: str | None = None,
                mailbox_contains: str | None = None,
                allow_empty: bool = False) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if name:
            params.append(("name", _check_query(name, "nom")))
        if family:
            params.append(("family", _check_query(family, "nom de famille")))
        if given:
            params.append(("given", _check_query(given, "prénom")))
        if rpps:
            digits = _check_query(rpps, "RPPS")
            if not digits.isdigit() or len(digits) not in (11, 12):
                raise InvalidInputError(
                    f"« {digits} » n'est pas un numéro RPPS (11 chiffres).",
                    message_en=f"“{digits}” is not an RPPS number (11 digits).")
            national = digits if len(digits) == 12 else "8" + digits
            params.append(("identifier", f"{IDNPS_SYSTEM}|{national}"))
        if qualification_code:
            params.append(("qualification-code", _check_query(qualification_code, "profession")))
        if mailbox_contains:
            params.append(("mailbox-mss:contains", _check_query(mailbox_contains, "adresse")))
        if not params and not allow_empty:
            raise InvalidInputError("Indiquez au moins un critère de recherche.",
                                    message_en="Give at least one search criterion.")
        return params


__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "MAX_REQUESTS_PER_SECOND",
    "FhirDirectory",
    "FhirDirectoryConfig",
    "FhirSearchResult",
    "RateLimiter",
]
