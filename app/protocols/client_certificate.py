"""APP box software certificates: PKCS#12 import and TLS client authentication, key kept in memory.

The PKCS#12 file stays where the user keeps it; its password is asked once and stored by the
service in the keyring (``SecretStore``), never here. The decrypted private key never touches disk
in plaintext: ``ssl.SSLContext.load_cert_chain`` only reads paths, so on Linux the PEM is written to
an anonymous memory file (``memfd_create``, read through ``/proc/self/fd/N``) that vanishes when
closed; elsewhere the key is re-encrypted under a random one-time password in a private temporary
file, removed right after loading (the disk only ever sees ciphertext).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from app.errors import InvalidInputError, UserFacingError

MAX_PKCS12_BYTES = 1024 * 1024


class CertificateError(UserFacingError):
    """A client certificate that cannot be used (wrong password, expired, malformed...)."""

    default_message = "Le certificat de la boîte applicative est inutilisable."
    default_message_en = "The application mailbox certificate cannot be used."


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate and its private key, held in memory; a ``tls.CertificateLoader``."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    _key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def subject_cn(self) -> str:
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else ""

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    def check_validity(self, now: dt.datetime | None = None) -> None:
        """Refuse an expired or not yet valid certificate with a clear message."""
        moment = now or dt.datetime.now(dt.UTC)
        if moment > self.certificate.not_valid_after_utc:
            day = self.certificate.not_valid_after_utc.strftime("%d/%m/%Y")
            raise CertificateError(
                f"Le certificat « {self.subject_cn} » a expiré le {day}.",
                message_en=f"The certificate '{self.subject_cn}' expired on {day}.",
                hint="Demandez un nouveau certificat à votre opérateur.",
                hint_en="Ask your operator for a new certificate.")
        if moment < self.certificate.not_valid_before_utc:
            raise CertificateError(
                f"Le certificat « {self.subject_cn} » n'est pas encore valide.",
                message_en=f"The certificate '{self.subject_cn}' is not valid yet.")

    def _pem_chain(self) -> bytes:
        return b"".join(c.public_bytes(Encoding.PEM) for c in (self.certificate, *self.chain))

    def load_into(self, context: ssl.SSLContext) -> None:
        """Install certificate and key into ``context`` without a plaintext key on disk."""
        try:
            if hasattr(os, "memfd_create") and Path("/proc/self/fd").is_dir():
                key_pem = self._key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                  NoEncryption())
                with _memory_file(self._pem_chain() + key_pem) as path:
                    context.load_cert_chain(certfile=path)
            else:
                password = secrets.token_urlsafe(32)
                key_pem = self._key.private_bytes(
                    Encoding.PEM, PrivateFormat.PKCS8,
                    BestAvailableEncryption(password.encode("ascii")))
                with _private_temp_file(self._pem_chain() + key_pem) as path:
                    context.load_cert_chain(certfile=path, password=password)
        except (ssl.SSLError, OSError) as exc:
            raise CertificateError(
                "Le certificat client n'a pas pu être chargé pour la connexion.",
                message_en="The client certificate could not be loaded for the connection.",
            ) from exc


@contextlib.contextmanager
def _memory_file(data: bytes) -> Iterator[str]:
    fd = os.memfd_create("estafette-client-cert", getattr(os, "MFD_CLOEXEC", 0))
    try:
        os.write(fd, data)
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


@contextlib.contextmanager
def _private_temp_file(data: bytes) -> Iterator[str]:
    fd, name = tempfile.mkstemp(prefix="estafette-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield name
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def load_pkcs12(data: bytes, password: str | None) -> ClientCertificate:
    """Decrypt a PKCS#12 blob; wrong password and malformed files give clear errors."""
    secret = password.encode("utf-8") if password else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise CertificateError(
            "Le mot de passe du certificat est incorrect, ou le fichier n'est pas un PKCS#12.",
            message_en="The certificate password is wrong, or the file is not a PKCS#12.",
        ) from exc
    if cert is None or key is None:
        raise CertificateError(
            "Le fichier PKCS#12 ne contient pas de certificat avec sa clé privée.",
            message_en="The PKCS#12 file does not hold a certificate with its private key.")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateError(
            "Le type de clé de ce certificat n'est pas pris en charge (RSA ou EC attendu).",
            message_en="This certificate's key type is not supported (RSA or EC expected).")
    return ClientCertificate(certificate=cert, chain=tuple(extra), _key=key)


def load_pkcs12_file(path: str | Path, password: str | None) -> ClientCertificate:
    """Read and decrypt a PKCS#12 file (.p12/.pfx) and check that it is currently valid."""
    file = Path(path).expanduser()
    try:
        if file.stat().st_size > MAX_PKCS12_BYTES:
            raise InvalidInputError(
                f"Le fichier « {file} » est trop gros pour être un certificat.",
                message_en=f"The file '{file}' is too large to be a certificate.")
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            f"Le fichier de certificat « {file} » est introuvable ou illisible.",
            message_en=f"The certificate file '{file}' is missing or unreadable.") from exc
    certificate = load_pkcs12(data, password)
    certificate.check_validity()
    return certificate


def pkcs12_password_secret_name(address: str) -> str:
    """The SecretStore name under which the service keeps a box's PKCS#12 password."""
    return f"pkcs12-password:{address.lower()}"


__all__ = [
    "CertificateError",
    "ClientCertificate",
    "load_pkcs12",
    "load_pkcs12_file",
    "pkcs12_password_secret_name",
]
