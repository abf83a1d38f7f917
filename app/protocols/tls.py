"""The TLS policy every connection of the client follows (ECO.1.1.1, ECO.1.1.5–7, ECO.1.1.10).

TLS 1.2 at least, host names verified, and trust limited to the IGC-Santé anchors shipped in
``resources/trust/`` plus, per account, one extra CA file (the sandbox's, or a structure's own).
Public web CAs are *not* trusted for MSSanté operators: IGC-Santé is the only accepted CA.

Expiry is checked by OpenSSL during the handshake (and reported clearly by ``describe_tls_error``);
revocation is checked against CRL files when some are given: ``app.services.crl_cache`` downloads
them (``app.protocols.crl_fetch``) and keeps the last valid one of each issuing CA; this module
only consumes PEM/DER files.

STARTTLS is mandatory when configured: ``require_starttls`` refuses a server that does not offer it,
and nothing authenticates before the upgrade (the IMAP/SMTP adapters call it before any AUTH).
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from app.errors import InvalidInputError, UserFacingError

TRUST_DIR = Path(__file__).resolve().parents[2] / "resources" / "trust"
MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class TlsPolicyError(UserFacingError):
    """A connection refused by the TLS policy (old protocol, untrusted or expired certificate...).

    Never followed by a plaintext fallback: the connection is dropped before any authentication.
    """

    default_message = "La connexion sécurisée (TLS) au serveur a été refusée."
    default_message_en = "The secure (TLS) connection to the server was refused."


@runtime_checkable
class CertificateLoader(Protocol):
    """Something that installs a client certificate and its key into an SSLContext.

    ``app.protocols.client_certificate.ClientCertificate`` is one: it keeps the private key in
    memory and loads it without writing it to disk in plaintext.
    """

    def load_into(self, context: ssl.SSLContext) -> None: ...


def trust_anchor_files(extra_ca_file: str | None = None) -> list[Path]:
    """The PEM files trusted for a connection: shipped anchors, then the account's own CA."""
    files = sorted(TRUST_DIR.glob("*.pem")) if TRUST_DIR.is_dir() else []
    if extra_ca_file:
        path = Path(extra_ca_file)
        if not path.is_file():
            raise InvalidInputError(
                f"Le fichier d'autorité de certification « {extra_ca_file} » est introuvable.",
                message_en=f"The certificate authority file '{extra_ca_file}' was not found.")
        files.append(path)
    return files


def _load_crls(context: ssl.SSLContext, crl_files: Iterable[str | Path]) -> int:
    """Add the CRLs to the context's store; returns how many files were loaded."""
    count = 0
    for crl in crl_files:
        path = Path(crl)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(
                f"La liste de révocation « {path} » est illisible.",
                message_en=f"The revocation list '{path}' cannot be read.") from exc
        try:
            if b"-----BEGIN X509 CRL-----" in data:
                context.load_verify_locations(cafile=str(path))
            else:
                # DER: ssl only reads PEM CRLs from a file; a CRL is public, a temp copy is fine.
                from cryptography import x509
                from cryptography.hazmat.primitives.serialization import Encoding

                pem = x509.load_der_x509_crl(data).public_bytes(Encoding.PEM)
                with tempfile.NamedTemporaryFile(suffix=".crl.pem") as handle:
                    handle.write(pem)
                    handle.flush()
                    context.load_verify_locations(cafile=handle.name)
        except (ssl.SSLError, ValueError, UnicodeDecodeError) as exc:
            raise InvalidInputError(
                f"La liste de révocation « {path} » n'est pas au bon format.",
                message_en=f"The revocation list '{path}' is malformed.") from exc
        count += 1
    return count


def client_context(
    extra_ca_file: str | None = None,
    *,
    client_cert: tuple[str, str] | CertificateLoader | None = None,
    crl_files: Sequence[str | Path] = (),
) -> ssl.SSLContext:
    """An SSLContext for connecting to an operator (IMAP, SMTP, LDAP over TLS, HTTPS).

    ``client_cert`` is either ``(certificate PEM path, key PEM path)`` or a ``CertificateLoader``
    (APP boxes: ``ClientCertificate`` from a PKCS#12, key kept in memory). ``crl_files`` (PEM or
    DER) switch on revocation checking of the server's certificate (ECO.1.1.6): a revoked
    certificate, or one whose issuer has no CRL among them, is then refused.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MINIMUM_VERSION
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    # Strict X.509 checks (no legacy quirks); OpenSSL always checks validity dates.
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    anchors = trust_anchor_files(extra_ca_file)
    if not anchors:
        raise InvalidInputError(
            "Aucune autorité de certification de confiance n'est configurée pour ce compte.",
            message_en="No trusted certificate authority is configured for this account.")
    for anchor in anchors:
        try:
            context.load_verify_locations(cafile=str(anchor))
        except (ssl.SSLError, OSError) as exc:
            raise InvalidInputError(
                f"Le fichier d'autorité de certification « {anchor} » est illisible.",
                message_en=f"The certificate authority file '{anchor}' cannot be read.") from exc
    if crl_files and _load_crls(context, crl_files):
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if client_cert is not None:
        if isinstance(client_cert, tuple):
            try:
                context.load_cert_chain(certfile=client_cert[0], keyfile=client_cert[1])
            except (ssl.SSLError, OSError) as exc:
                raise InvalidInputError(
                    "Le certificat client ou sa clé est illisible.",
                    message_en="The client certificate or its key cannot be read.") from exc
        else:
            client_cert.load_into(context)
    return context


# --- clear errors -------------------------------------------------------------------------------

# OpenSSL X509_V_ERR_* codes (stable across OpenSSL 1.1 and 3).
_VERIFY_MESSAGES: dict[int, tuple[str, str]] = {
    9: ("Le certificat du serveur n'est pas encore valide.",
        "The server's certificate is not valid yet."),
    10: ("Le certificat du serveur a expiré.", "The server's certificate has expired."),
    3: ("La liste de révocation (CRL) de l'autorité du serveur est introuvable.",
        "The revocation list (CRL) of the server's authority is missing."),
    11: ("La liste de révocation (CRL) de l'autorité du serveur n'est pas encore valide.",
         "The revocation list (CRL) of the server's authority is not valid yet."),
    12: ("La liste de révocation (CRL) de l'autorité du serveur a expiré.",
         "The revocation list (CRL) of the server's authority has expired."),
    18: ("Le certificat du serveur est auto-signé : il n'est pas émis par une autorité de "
         "confiance (IGC-Santé).",
         "The server's certificate is self-signed, not issued by a trusted authority."),
    19: ("Le certificat du serveur est émis par une autorité auto-signée qui n'est pas de "
         "confiance (IGC-Santé attendue).",
         "The server's certificate chain ends at an untrusted self-signed authority."),
    20: ("Le certificat du serveur n'est pas émis par une autorité de confiance (IGC-Santé).",
         "The server's certificate is not issued by a trusted authority."),
    21: ("Le certificat du serveur n'est pas émis par une autorité de confiance (IGC-Santé).",
         "The server's certificate is not issued by a trusted authority."),
    23: ("Le certificat du serveur a été révoqué.", "The server's certificate has been revoked."),
    62: ("Le certificat du serveur ne correspond pas au nom du serveur.",
         "The server's certificate does not match the server's name."),
}


def describe_tls_error(exc: BaseException, server: str = "") -> TlsPolicyError:
    """Turn an ``ssl`` failure into one clear sentence (French, with the English variant)."""
    where = f" ({server})" if server else ""
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        fr, en = _VERIFY_MESSAGES.get(code, (
            "Le certificat du serveur n'a pas pu être vérifié.",
            "The server's certificate could not be verified."))
        return TlsPolicyError(f"{fr[:-1]}{where}.", message_en=f"{en[:-1]}{where}.")
    text = str(exc).lower()
    if any(marker in text for marker in (
            "unsupported protocol", "protocol version", "no protocols available",
            "wrong version number", "version too low")):
        return TlsPolicyError(
            f"Le serveur{where} ne propose pas TLS 1.2 ou plus récent ; la connexion est refusée.",
            message_en=f"The server{where} does not offer TLS 1.2 or newer; connection refused.")
    if "certificate required" in text or "alert certificate" in text or "bad certificate" in text \
            or "unknown ca" in text:
        return TlsPolicyError(
            f"Le serveur{where} a refusé le certificat client présenté.",
            message_en=f"The server{where} refused the client certificate presented.")
    return TlsPolicyError(
        f"La négociation TLS avec le serveur{where} a échoué.",
        message_en=f"The TLS negotiation with the server{where} failed.")


def require_starttls(capabilities: Iterable[str | bytes], server: str = "") -> None:
    """Refuse a server that does not announce STARTTLS when the account requires it (ECO.1.0.1).

    Called *before* any authentication: a server hiding STARTTLS (or a proxy stripping it) must
    never get credentials in plaintext.
    """
    names = {(c.decode("ascii", "replace") if isinstance(c, bytes) else c).upper()
             for c in capabilities}
    if "STARTTLS" not in names:
        where = f" ({server})" if server else ""
        raise TlsPolicyError(
            f"Le serveur{where} ne propose pas STARTTLS : la connexion est refusée pour ne pas "
            "envoyer vos identifiants en clair.",
            message_en=f"The server{where} does not offer STARTTLS: the connection is refused so "
            "that your credentials are never sent in plaintext.")


def starttls_failed(server: str = "") -> TlsPolicyError:
    """The error for a STARTTLS command the server answered with anything but OK."""
    where = f" ({server})" if server else ""
    return TlsPolicyError(
        f"Le passage en connexion chiffrée (STARTTLS) a échoué sur le serveur{where} ; aucune "
        "donnée n'a été envoyée en clair.",
        message_en=f"The upgrade to an encrypted connection (STARTTLS) failed on the server{where};"
        " nothing was sent in plaintext.")
