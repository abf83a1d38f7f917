"""The TLS policy every connection of the client follows (ECO.1.1.1, ECO.1.1.10).

TLS 1.2 at least, host names verified, and trust limited to the IGC-Santé anchors shipped in
``resources/trust/`` plus, per account, one extra CA file (the sandbox's, or a structure's own).
Public web CAs are *not* trusted for MSSanté operators: IGC-Santé is the only accepted CA.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from app.errors import InvalidInputError

TRUST_DIR = Path(__file__).resolve().parents[2] / "resources" / "trust"


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


def client_context(
    extra_ca_file: str | None = None,
    *,
    client_cert: tuple[str, str] | None = None,
) -> ssl.SSLContext:
    """An SSLContext for connecting to an operator (IMAP, SMTP, LDAP over TLS, HTTPS).

    ``client_cert`` is ``(certificate PEM path, key PEM path)`` for TLS client authentication
    (APP boxes). The key material should live in memory-backed files only (see the login issue).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
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
    if client_cert is not None:
        context.load_cert_chain(certfile=client_cert[0], keyfile=client_cert[1])
    return context
