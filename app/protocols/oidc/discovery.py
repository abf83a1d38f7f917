"""Provider metadata: PSC's ``wallet-openid-configuration`` first, the standard name as fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from app.protocols.oidc.errors import OidcError, ProviderUnreachableError

WALLET_WELL_KNOWN = "/.well-known/wallet-openid-configuration"
STANDARD_WELL_KNOWN = "/.well-known/openid-configuration"
CIBA_GRANT = "urn:openid:params:grant-type:ciba"


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    token_endpoint: str
    jwks_uri: str
    authorization_endpoint: str | None = None
    backchannel_authentication_endpoint: str | None = None
    end_session_endpoint: str | None = None
    revocation_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    mtls_endpoint_aliases: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_document(cls, document: dict[str, Any],
                      expected_issuer: str | None) -> ProviderMetadata:
        def text(name: str, *, required: bool = False) -> str | None:
            value = document.get(name)
            if isinstance(value, str) and value.startswith("https://"):
                return value
            if required:
                raise OidcError(
                    f"La configuration de Pro Santé Connect n'indique pas « {name} ».",
                    message_en=f"The Pro Santé Connect configuration lacks '{name}'.")
            return None

        issuer = document.get("issuer")
        if not isinstance(issuer, str) or (
                expected_issuer is not None and issuer.rstrip("/") != expected_issuer.rstrip("/")):
            # OIDC Discovery §4.3: the issuer must be the one asked for (anti mix-up).
            raise OidcError(
                "La configuration publiée ne correspond pas au fournisseur d'identité attendu.",
                message_en="The published configuration does not match the expected provider.")
        aliases = document.get("mtls_endpoint_aliases")
        return cls(
            issuer=issuer,
            token_endpoint=text("token_endpoint", required=True) or "",
            jwks_uri=text("jwks_uri", required=True) or "",
            authorization_endpoint=text("authorization_endpoint"),
            backchannel_authentication_endpoint=text("backchannel_authentication_endpoint"),
            end_session_endpoint=text("end_session_endpoint"),
            revocation_endpoint=text("revocation_endpoint"),
            userinfo_endpoint=text("userinfo_endpoint"),
            mtls_endpoint_aliases={str(k): str(v) for k, v in aliases.items()}
            if isinstance(aliases, dict) else {},
            raw=document,
        )


def discovery_urls(issuer: str, discovery_url: str | None = None) -> list[str]:
    if discovery_url:
        return [discovery_url]
    base = issuer.rstrip("/")
    return [base + WALLET_WELL_KNOWN, base + STANDARD_WELL_KNOWN]


async def discover(http: httpx.AsyncClient, issuer: str,
                   discovery_url: str | None = None) -> ProviderMetadata:
    """Fetch the provider's metadata; the issuer in the document must be ``issuer``."""
    last: Exception | None = None
    for url in discovery_urls(issuer, discovery_url):
        try:
            response = await http.get(url)
        except httpx.HTTPError as exc:
            raise ProviderUnreachableError() from exc
        if response.status_code == 404:
            last = OidcError(f"HTTP 404 sur {url}")
            continue
        if response.status_code != 200:
            raise OidcError(
                f"Pro Santé Connect a répondu {response.status_code} à la demande de "
                "configuration.",
                message_en=f"Pro Santé Connect answered {response.status_code} to the "
                "configuration request.")
        try:
            document = response.json()
        except ValueError as exc:
            raise OidcError(
                "La configuration de Pro Santé Connect est illisible.",
                message_en="The Pro Santé Connect configuration is unreadable.") from exc
        if not isinstance(document, dict):
            raise OidcError("La configuration de Pro Santé Connect est illisible.",
                            message_en="The Pro Santé Connect configuration is unreadable.")
        return ProviderMetadata.from_document(document, issuer)
    raise OidcError("La configuration de Pro Santé Connect est introuvable.",
                    message_en="The Pro Santé Connect configuration was not found.") from last
