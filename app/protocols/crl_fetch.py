"""Download a certificate revocation list (CRL) and decide whether it may be kept (ECO.1.1.6–7).

What this module does, and nothing more:

- ``download_crl``: GET an ``http://`` or ``https://`` URL (CRL distribution points are usually
  plain HTTP: the CRL carries its issuer's signature, so the transport needs no trust), with a
  timeout per network operation and one for the whole transfer, a size cap checked both on
  ``Content-Length`` and while streaming, no proxy from the environment, and redirects followed
  only to another path of the same origin (scheme, host, port): a redirect to another server,
  or from https down to http, is refused. HTTPS uses the TLS policy of ``app.protocols.tls``,
  without CRLs (no circularity).
- ``parse_crl``: PEM (``-----BEGIN X509 CRL-----``) or DER; anything else is refused, and every
  revoked entry is read once, so that a truncated or malformed body fails here and not later in
  OpenSSL during a handshake.
- ``validate_crl``: the CRL is kept only if it names an issuer among the trusted certificates
  (the expected one when the caller knows it), carries that issuer's valid signature (the issuer
  may sign CRLs, when its key usage says so), is a complete CRL (no delta), has a next update
  that has not passed and a this-update that has come, and is not older than the CRL already kept
  for that issuer (this-update, then CRL number): a replayed old CRL — from before a certificate
  was revoked — is refused.

Every refusal is a ``CrlError`` with one clear French sentence (English variant alongside). The
caller (``app.services.crl_cache``) keeps the last CRL that passed; nothing here writes a file.
"""

from __future__ import annotations

import hashlib
import ssl
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.errors import EXIT_UNREACHABLE, InvalidInputError, UserFacingError
from app.protocols.tls import client_context

MAX_CRL_BYTES = 20 * 1024 * 1024  # the largest IGC-Santé CRLs are a few MB
DEFAULT_TIMEOUT = 15.0  # seconds, per network operation (connect, each read)
DEFAULT_TOTAL_TIMEOUT = 120.0  # seconds for the whole transfer (a server dripping bytes)
MAX_REDIRECTS = 3
_PEM_LABEL = b"-----BEGIN X509 CRL-----"
_REDIRECTS = (301, 302, 303, 307, 308)


class CrlError(UserFacingError):
    """A CRL that was not obtained or not accepted; the CRL kept before stays in use."""

    default_message = "La liste de révocation (CRL) a été refusée."
    default_message_en = "The revocation list (CRL) was refused."


class CrlDownloadError(CrlError):
    """The CRL could not be downloaded (HTTP error, too big, redirect elsewhere, network)."""


class CrlUnreachableError(CrlDownloadError):
    """The CRL server cannot be reached."""

    exit_code = EXIT_UNREACHABLE


class CrlValidationError(CrlError):
    """A body was received but it is not a CRL that may be kept."""


@dataclass(frozen=True)
class CrlFacts:
    """What the keeper compares between CRLs of one issuer."""

    issuer_name: str  # RFC 4514
    this_update: datetime  # aware, UTC
    next_update: datetime  # aware, UTC
    number: int | None  # the CRLNumber extension, when present

    def expired(self, now: datetime) -> bool:
        return now >= self.next_update


@dataclass(frozen=True)
class ValidatedCrl:
    """A CRL that passed ``validate_crl``: its DER bytes, its issuer's id and its facts."""

    der: bytes
    issuer_id: str
    facts: CrlFacts
    source: str

    def pem(self) -> bytes:
        return x509.load_der_x509_crl(self.der).public_bytes(Encoding.PEM)


def issuer_id(certificate: x509.Certificate) -> str:
    """A stable file-name-safe id for an issuing CA: its name *and* its key (a CA renewing its
    key under the same name signs CRLs that the old key's CRL must not be compared with)."""
    digest = hashlib.sha256()
    digest.update(certificate.subject.public_bytes())
    digest.update(certificate.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    return digest.hexdigest()[:32]


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "?"


# --- download ------------------------------------------------------------------------------------

def check_crl_url(url: str) -> str:
    """``url`` if it is a full http(s) URL, else a clear error."""
    value = url.strip()
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or any(
            c.isspace() for c in value):
        raise InvalidInputError(
            f"L'adresse de liste de révocation « {url} » doit être une URL http:// ou https:// "
            "complète.",
            message_en=f"The revocation list address “{url}” must be a full http:// or https:// "
            "URL.")
    return value


def _origin(url: str) -> tuple[str, str, int]:
    parsed = urllib.parse.urlsplit(url)
    default = 443 if parsed.scheme == "https" else 80
    return parsed.scheme, (parsed.hostname or "").lower(), parsed.port or default


def _redirect_target(url: str, location: str | None) -> str:
    """Where a redirect may lead: the same scheme, host and port (another path), nothing else."""
    if not location:
        raise CrlDownloadError(
            f"Le serveur de la liste de révocation ({url}) a répondu par une redirection sans "
            "destination.",
            message_en=f"The revocation list server ({url}) answered a redirect without a target.")
    target = urllib.parse.urljoin(url, location)
    scheme, host, port = _origin(url)
    new_scheme, new_host, new_port = _origin(target)
    if (new_scheme, new_host, new_port) != (scheme, host, port):
        raise CrlDownloadError(
            f"Le serveur de la liste de révocation ({url}) redirige vers une autre adresse "
            f"({target}) : redirection refusée.",
            message_en=f"The revocation list server ({url}) redirects elsewhere ({target}): "
            "redirect refused.")
    return target


def _tls_context(ca_files: Sequence[str | Path]) -> ssl.SSLContext:
    """The shared policy (IGC-Santé anchors plus the given CA files), without CRLs."""
    files = [str(f) for f in ca_files]
    context = client_context(files[0] if files else None)
    for extra in files[1:]:
        try:
            context.load_verify_locations(cafile=extra)
        except (ssl.SSLError, OSError) as exc:
            raise InvalidInputError(
                f"Le fichier d'autorité de certification « {extra} » est illisible.",
                message_en=f"The certificate authority file '{extra}' cannot be read.") from exc
    return context


def _unreachable(url: str, exc: BaseException) -> CrlError:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(exc, ssl.SSLError):
        return CrlDownloadError(
            f"Le certificat du serveur de la liste de révocation ({url}) n'est pas reconnu par "
            "les autorités de confiance : liste non téléchargée.",
            message_en=f"The revocation list server's certificate ({url}) is not trusted: list "
            "not downloaded.")
    return CrlUnreachableError(
        f"Le serveur de la liste de révocation est injoignable ({url}, {type(exc).__name__}).",
        message_en=f"The revocation list server cannot be reached ({url}, "
        f"{type(exc).__name__}).")


def _read(response: httpx.Response, url: str, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise CrlDownloadError(
            f"Liste de révocation refusée : {url} annonce {int(declared)} octets, plus que la "
            f"limite de {limit}.",
            message_en=f"Revocation list refused: {url} announces {int(declared)} bytes, over "
            f"the {limit} limit.")
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > limit:
            raise CrlDownloadError(
                f"Liste de révocation refusée : {url} dépasse {limit} octets.",
                message_en=f"Revocation list refused: {url} exceeds {limit} bytes.")
        if time.monotonic() > deadline:
            raise CrlUnreachableError(
                f"Le téléchargement de la liste de révocation ({url}) est trop lent : abandonné.",
                message_en=f"The revocation list download ({url}) is too slow: given up.")
        chunks.append(chunk)
    return b"".join(chunks)


def download_crl(
    url: str,
    *,
    ca_files: Sequence[str | Path] = (),
    timeout: float = DEFAULT_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    max_bytes: int = MAX_CRL_BYTES,
) -> bytes:
    """The body served at ``url`` (blocking; run it off any event loop). Nothing is parsed."""
    url = check_crl_url(url)
    verify: ssl.SSLContext | bool = (
        _tls_context(ca_files) if url.startswith("https:") else False)
    deadline = time.monotonic() + total_timeout
    try:
        with httpx.Client(verify=verify, timeout=timeout, follow_redirects=False,
                          trust_env=False) as client:
            current = url
            for _hop in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current) as response:
                    if response.status_code in _REDIRECTS:
                        current = _redirect_target(current, response.headers.get("location"))
                        continue
                    if response.status_code != 200:
                        raise CrlDownloadError(
                            f"Le serveur de la liste de révocation a répondu "
                            f"{response.status_code} pour {current}.",
                            message_en=f"The revocation list server answered "
                            f"{response.status_code} for {current}.")
                    return _read(response, current, max_bytes, deadline)
    except CrlError:
        raise
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        raise _unreachable(url, exc) from exc
    raise CrlDownloadError(
        f"Le serveur de la liste de révocation ({url}) redirige trop de fois : abandonné.",
        message_en=f"The revocation list server ({url}) redirects too many times: given up.")


# --- parse and validate --------------------------------------------------------------------------

def parse_crl(data: bytes, *, source: str = "") -> x509.CertificateRevocationList:
    """A CRL from PEM or DER bytes; every entry is read so that a damaged body fails here."""
    where = f" reçue de {source}" if source else ""
    where_en = f" received from {source}" if source else ""
    unreadable = CrlValidationError(
        f"La liste de révocation (CRL){where} est illisible : ce n'est pas une CRL au format "
        "PEM ou DER.",
        message_en=f"The revocation list (CRL){where_en} is unreadable: not a PEM or DER CRL.")
    try:
        if _PEM_LABEL in data:
            crl = x509.load_pem_x509_crl(data)
        elif data.lstrip().startswith(b"-----BEGIN"):
            raise unreadable  # another PEM object (a certificate, a key...)
        else:
            crl = x509.load_der_x509_crl(data)
        # Read everything once: the signature algorithm, the dates, each revoked entry.
        _ = crl.issuer, crl.last_update_utc, crl.next_update_utc, crl.signature_hash_algorithm
        for entry in crl:
            _ = entry.serial_number, entry.revocation_date_utc
        _ = list(crl.extensions)
    except CrlValidationError:
        raise
    except Exception as exc:  # ValueError mostly; the Rust parser may raise others on hostile input
        raise unreadable from exc
    return crl


def crl_facts(crl: x509.CertificateRevocationList, *, source: str = "") -> CrlFacts:
    where = f" reçue de {source}" if source else ""
    where_en = f" received from {source}" if source else ""
    next_update = crl.next_update_utc
    if next_update is None:
        raise CrlValidationError(
            f"La liste de révocation (CRL){where} n'a pas de date de prochaine mise à jour : "
            "liste refusée.",
            message_en=f"The revocation list (CRL){where_en} has no next update date: refused.")
    number: int | None
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = None
    return CrlFacts(issuer_name=_name(crl.issuer), this_update=crl.last_update_utc,
                    next_update=next_update, number=number)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return True  # an old v1 root: trusted as an anchor, so as an issuer too


def _may_sign_crls(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign)
    except x509.ExtensionNotFound:
        return True


def _signed_by(crl: x509.CertificateRevocationList, certificate: x509.Certificate) -> bool:
    try:
        return bool(crl.is_signature_valid(certificate.public_key()))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def validate_crl(
    crl: x509.CertificateRevocationList,
    *,
    issuers: Sequence[x509.Certificate],
    now: datetime,
    kept: Mapping[str, CrlFacts],
    source: str = "",
    expected_issuer: x509.Certificate | None = None,
) -> ValidatedCrl:
    """``crl`` as a ``ValidatedCrl`` if it may replace what is kept for its issuer.

    ``issuers``: the trusted CA certificates (anchors and account CAs); ``expected_issuer``, when
    the caller knows which CA the CRL belongs to; ``kept``: the facts of the CRLs already kept,
    by issuer id; ``now``: an aware datetime.
    """
    where = f" reçue de {source}" if source else ""
    where_en = f" received from {source}" if source else ""
    facts = crl_facts(crl, source=source)
    if crl.extensions and any(isinstance(ext.value, x509.DeltaCRLIndicator)
                              for ext in crl.extensions):
        raise CrlValidationError(
            f"La liste de révocation (CRL){where} est une CRL delta, non prise en charge : une "
            "liste complète est attendue.",
            message_en=f"The revocation list (CRL){where_en} is a delta CRL, not supported: a "
            "complete list is expected.")

    if expected_issuer is not None:
        if expected_issuer.subject != crl.issuer:
            raise CrlValidationError(
                f"La liste de révocation (CRL){where} est émise par « {facts.issuer_name} » au "
                f"lieu de « {_name(expected_issuer.subject)} » : liste refusée.",
                message_en=f"The revocation list (CRL){where_en} is issued by "
                f"“{facts.issuer_name}” instead of “{_name(expected_issuer.subject)}”: refused.")
        candidates = [expected_issuer]
    else:
        candidates = [c for c in issuers if c.subject == crl.issuer and _is_ca(c)]
        if not candidates:
            raise CrlValidationError(
                f"La liste de révocation (CRL){where} est émise par « {facts.issuer_name} », qui "
                "n'est pas une autorité de confiance : liste refusée.",
                message_en=f"The revocation list (CRL){where_en} is issued by "
                f"“{facts.issuer_name}”, not a trusted authority: refused.")
    signer = next((c for c in candidates if _signed_by(crl, c)), None)
    if signer is None:
        raise CrlValidationError(
            f"La signature de la liste de révocation (CRL){where} n'est pas celle de l'autorité "
            f"« {facts.issuer_name} » : liste refusée.",
            message_en=f"The signature of the revocation list (CRL){where_en} is not that of the "
            f"authority “{facts.issuer_name}”: refused.")
    if not _may_sign_crls(signer):
        raise CrlValidationError(
            f"L'autorité « {facts.issuer_name} » n'est pas habilitée à signer des listes de "
            "révocation : liste refusée.",
            message_en=f"The authority “{facts.issuer_name}” may not sign revocation lists: "
            "refused.")

    if facts.expired(now):
        raise CrlValidationError(
            f"La liste de révocation (CRL){where} a expiré le {_when(facts.next_update)} : liste "
            "refusée.",
            message_en=f"The revocation list (CRL){where_en} expired on "
            f"{_when(facts.next_update)}: refused.")
    if facts.this_update > now:
        raise CrlValidationError(
            f"La liste de révocation (CRL){where} n'est valable qu'à partir du "
            f"{_when(facts.this_update)} : liste refusée (vérifiez l'horloge de ce poste).",
            message_en=f"The revocation list (CRL){where_en} is only valid from "
            f"{_when(facts.this_update)}: refused (check this computer's clock).")

    identifier = issuer_id(signer)
    previous = kept.get(identifier)
    if previous is not None:
        if facts.this_update < previous.this_update:
            raise CrlValidationError(
                f"La liste de révocation (CRL){where}, publiée le {_when(facts.this_update)}, "
                f"est plus ancienne que celle déjà gardée (publiée le "
                f"{_when(previous.this_update)}) : liste refusée.",
                message_en=f"The revocation list (CRL){where_en}, published on "
                f"{_when(facts.this_update)}, is older than the one kept (published on "
                f"{_when(previous.this_update)}): refused.")
        if facts.number is not None and previous.number is not None \
                and facts.number < previous.number:
            raise CrlValidationError(
                f"La liste de révocation (CRL){where} porte le numéro {facts.number}, plus "
                f"ancien que celui de la liste déjà gardée ({previous.number}) : liste refusée.",
                message_en=f"The revocation list (CRL){where_en} has number {facts.number}, "
                f"older than the one kept ({previous.number}): refused.")
    return ValidatedCrl(der=crl.public_bytes(Encoding.DER), issuer_id=identifier, facts=facts,
                        source=source)


def fetch_crl(
    url: str,
    *,
    issuers: Sequence[x509.Certificate],
    now: datetime,
    kept: Mapping[str, CrlFacts],
    ca_files: Sequence[str | Path] = (),
    expected_issuer: x509.Certificate | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_CRL_BYTES,
) -> ValidatedCrl:
    """Download, parse and validate the CRL at ``url`` (blocking)."""
    data = download_crl(url, ca_files=ca_files, timeout=timeout, max_bytes=max_bytes)
    crl = parse_crl(data, source=url)
    return validate_crl(crl, issuers=issuers, now=now, kept=kept, source=url,
                        expected_issuer=expected_issuer)


def load_ca_certificates(files: Sequence[str | Path]) -> list[x509.Certificate]:
    """Every certificate of the PEM files (bundles included); unreadable files are skipped —
    the TLS context reports them clearly when a connection loads them."""
    found: list[x509.Certificate] = []
    for file in files:
        try:
            found.extend(x509.load_pem_x509_certificates(Path(file).read_bytes()))
        except (OSError, ValueError):
            continue
    return found
