"""How the desktop client authenticates to PSC's token and CIBA endpoints (MSSANTE §4).

- ``PublicClient``: no secret (native app, code + PKCE);
- ``ClientSecretBasic``: RFC 6749 §2.3.1 HTTP basic (the sandbox's CIBA client);
- ``PrivateKeyJwt``: RFC 7523 signed client assertion (key from the structure);
- ``TlsClientAuth``: RFC 8705 mutual TLS with a certificate from a PKCS#12 (the PSC "Espace de
  Confiance" way); the certificate is loaded in memory into the HTTPS client;
- ``StructureTokenEndpoint``: the structure runs the confidential part; the client talks to its URL
  (token and CIBA requests), which adds the credentials the workstation cannot keep safely.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from app.protocols.tls import CertificateLoader

TOKEN = "token_endpoint"
BACKCHANNEL = "backchannel_authentication_endpoint"
REVOCATION = "revocation_endpoint"


class ClientAuth(Protocol):
    # Read-only in the protocol so that frozen dataclasses satisfy it.
    @property
    def client_id(self) -> str:
        """The client identifier registered at the provider."""

    def apply(self, data: dict[str, str], headers: dict[str, str], endpoint: str) -> None:
        """Add the client's credentials to a form POST to ``endpoint``."""

    def endpoint(self, kind: str, default: str) -> str:
        """The URL to use for ``kind`` (TOKEN, BACKCHANNEL...): the provider's, or an override."""

    def certificate(self) -> CertificateLoader | None:
        """A TLS client certificate for the HTTPS connection, if this method uses one."""


@dataclass(frozen=True)
class PublicClient:
    client_id: str

    def apply(self, data: dict[str, str], headers: dict[str, str], endpoint: str) -> None:
        data["client_id"] = self.client_id

    def endpoint(self, kind: str, default: str) -> str:
        return default

    def certificate(self) -> CertificateLoader | None:
        return None


@dataclass(frozen=True)
class ClientSecretBasic:
    client_id: str
    client_secret: str = field(repr=False)

    def apply(self, data: dict[str, str], headers: dict[str, str], endpoint: str) -> None:
        # RFC 6749 §2.3.1: form-urlencode both parts before the base64.
        pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def endpoint(self, kind: str, default: str) -> str:
        return default

    def certificate(self) -> CertificateLoader | None:
        return None


CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class PrivateKeyJwt:
    """RFC 7523 §2.2: a short-lived JWT signed with the client's private key.

    ``audience`` defaults to the endpoint URL; Keycloak (PSC) also accepts the issuer, which the
    caller can set explicitly.
    """

    client_id: str
    private_key_pem: bytes = field(repr=False)
    kid: str | None = None
    algorithm: str = "RS256"
    audience: str | None = None
    lifetime: int = 60

    def assertion(self, endpoint: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        key: RSAKey | ECKey
        key = (ECKey.import_key(self.private_key_pem) if self.algorithm.startswith("ES")
               else RSAKey.import_key(self.private_key_pem))
        header: dict[str, str] = {"alg": self.algorithm, "typ": "JWT"}
        if self.kid:
            header["kid"] = self.kid
        claims = {"iss": self.client_id, "sub": self.client_id,
                  "aud": self.audience or endpoint, "jti": uuid.uuid4().hex,
                  "iat": issued, "exp": issued + self.lifetime}
        return jwt.encode(header, claims, key, algorithms=[self.algorithm])

    def apply(self, data: dict[str, str], headers: dict[str, str], endpoint: str) -> None:
        data["client_id"] = self.client_id
        data["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        data["client_assertion"] = self.assertion(endpoint)

    def endpoint(self, kind: str, default: str) -> str:
        return default

    def certificate(self) -> CertificateLoader | None:
        return None


@dataclass(frozen=True)
class TlsClientAuth:
    """RFC 8705 §2.1: the client certificate presented in the TLS handshake is the credential."""

    client_id: str
    client_certificate: CertificateLoader = field(repr=False)
    mtls_aliases: dict[str, str] = field(default_factory=dict)

    def apply(self, data: dict[str, str], headers: dict[str, str], endpoint: str) -> None:
        data["client_id"] = self.client_id

    def endpoint(self, kind: str, default: str) -> str:
        return self.mtls_aliases.get(kind, default)

    def certificate(self) -> CertificateLoader | None:
        return self.client_certificate


@dataclass(frozen=True)
class StructureTokenEndpoint:
    """Token (and CIBA) requests go to the structure's own service, which holds the credential."""

    client_id: str
    token_url: str
    backchannel_url: str | None = None

    def apply(self, data: dict[str, str], headers: dict[str, str], endpoint: str) -> None:
        data["client_id"] = self.client_id

    def endpoint(self, kind: str, default: str) -> str:
        if kind == TOKEN:
            return self.token_url
        if kind == BACKCHANNEL and self.backchannel_url:
            return self.backchannel_url
        return default

    def certificate(self) -> CertificateLoader | None:
        return None
