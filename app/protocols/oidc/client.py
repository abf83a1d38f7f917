"""The OpenID Connect client for Pro Santé Connect (httpx, TLS policy of ``app.protocols.tls``).

Tokens only ever live in ``TokenSet`` objects in memory (ECO.1.2.5): nothing here writes, logs or
caches them anywhere else; their ``repr`` hides them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx

from app.protocols.oidc.client_auth import BACKCHANNEL, REVOCATION, TOKEN, ClientAuth
from app.protocols.oidc.discovery import ProviderMetadata, discover
from app.protocols.oidc.errors import (
    IdTokenError,
    OidcError,
    ProviderUnreachableError,
    SessionEndedError,
)
from app.protocols.oidc.id_token import UnknownKeyError, validate_id_token
from app.protocols.tls import client_context

_log = logging.getLogger(__name__)

DEFAULT_SCOPE = "openid scope_all"
DEFAULT_ACR = "eidas1"
# Errors of the token endpoint after which a refresh token is dead for good (ECO.1.2.6).
DEAD_REFRESH_ERRORS = frozenset({"invalid_grant", "invalid_token", "unauthorized_client",
                                 "invalid_client"})


@dataclass(frozen=True)
class OidcSettings:
    """What configures the login of one account (no secret here except inside ``client_auth``)."""

    issuer: str
    client_auth: ClientAuth
    discovery_url: str | None = None
    extra_ca_file: str | None = None
    crl_files: tuple[str, ...] = ()
    scope: str = DEFAULT_SCOPE
    acr_values: str | None = DEFAULT_ACR
    # Registered loopback redirect; the port is chosen at run time (RFC 8252 §7.3).
    redirect_uri: str = "http://127.0.0.1/callback"
    post_logout_redirect_uri: str | None = None
    timeout: float = 20.0

    @property
    def client_id(self) -> str:
        return self.client_auth.client_id


@dataclass
class TokenSet:
    """Tokens of one PSC session, in memory only. ``expires_at`` is on the ``time.time`` clock."""

    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None
    scope: str = ""
    claims: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def subject(self) -> str:
        return str(self.claims.get("sub", ""))

    def lifetime_left(self, now: float | None = None) -> float:
        return self.expires_at - (time.time() if now is None else now)


class TokenEndpointError(OidcError):
    """An OAuth error answer (RFC 6749 §5.2) from the token or CIBA endpoint."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(
            f"Pro Santé Connect a refusé la demande ({error}).",
            message_en=f"Pro Santé Connect refused the request ({error}).", error=error)
        self.description = description
        self.status = status


class OidcClient:
    """Talks to one provider: discovery, token requests, JWKS, revocation, end-session URL."""

    def __init__(self, settings: OidcSettings, *, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        if http is None:
            context = client_context(settings.extra_ca_file,
                                     client_cert=settings.client_auth.certificate(),
                                     crl_files=settings.crl_files)
            http = httpx.AsyncClient(verify=context, timeout=settings.timeout,
                                     follow_redirects=False, trust_env=False)
            self._own_http = True
        else:
            self._own_http = False
        self.http = http
        self._metadata: ProviderMetadata | None = None
        self._jwks: dict[str, Any] | None = None

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def __aenter__(self) -> OidcClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    # --- metadata and keys ------------------------------------------------------------------

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            self._metadata = await discover(self.http, self.settings.issuer,
                                            self.settings.discovery_url)
        return self._metadata

    async def jwks(self, *, reload: bool = False) -> dict[str, Any]:
        if self._jwks is None or reload:
            meta = await self.metadata()
            try:
                response = await self.http.get(meta.jwks_uri)
            except httpx.HTTPError as exc:
                raise ProviderUnreachableError() from exc
            if response.status_code != 200:
                raise IdTokenError()
            try:
                keys = response.json()
            except ValueError as exc:
                raise IdTokenError() from exc
            if not isinstance(keys, dict):
                raise IdTokenError()
            self._jwks = keys
        return self._jwks

    async def validate_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        meta = await self.metadata()
        kwargs: dict[str, Any] = {"issuer": meta.issuer, "client_id": self.settings.client_id,
                                  "nonce": nonce}
        try:
            return validate_id_token(id_token, await self.jwks(), **kwargs)
        except UnknownKeyError:
            # Key rotation at the provider: fetch the JWKS once more, then give up.
            return validate_id_token(id_token, await self.jwks(reload=True), **kwargs)

    # --- requests -----------------------------------------------------------------------------

    async def endpoint(self, kind: str) -> str:
        meta = await self.metadata()
        default = {TOKEN: meta.token_endpoint,
                   BACKCHANNEL: meta.backchannel_authentication_endpoint,
                   REVOCATION: meta.revocation_endpoint}.get(kind)
        url = self.settings.client_auth.endpoint(kind, default or "")
        if not url:
            raise OidcError(
                "Pro Santé Connect ne propose pas ce mode de connexion.",
                message_en="Pro Santé Connect does not offer this login method.")
        return url

    async def post_form(self, kind: str, data: dict[str, str]) -> dict[str, Any]:
        """POST an authenticated form to ``kind``'s endpoint; the JSON answer, or an error."""
        url = await self.endpoint(kind)
        form = dict(data)
        headers = {"Accept": "application/json"}
        self.settings.client_auth.apply(form, headers, url)
        try:
            response = await self.http.post(url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnreachableError() from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict):
            return body
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            raise TokenEndpointError(body["error"], str(body.get("error_description", "")),
                                     response.status_code)
        if response.status_code >= 500:
            raise ProviderUnreachableError(
                f"Pro Santé Connect est en erreur (HTTP {response.status_code}).",
                message_en=f"Pro Santé Connect failed (HTTP {response.status_code}).")
        raise TokenEndpointError("invalid_response", "", response.status_code)

    async def token_set(self, body: dict[str, Any], *, nonce: str | None,
                        previous: TokenSet | None = None) -> TokenSet:
        """Build a TokenSet from a token response, validating its ID token."""
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise OidcError("Pro Santé Connect n'a pas fourni de jeton d'accès.",
                            message_en="Pro Santé Connect returned no access token.")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise OidcError("Type de jeton inattendu.", message_en="Unexpected token type.")
        now = time.time()
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        refresh_expires = body.get("refresh_expires_in")
        id_token = body.get("id_token") if isinstance(body.get("id_token"), str) else None
        claims: dict[str, Any] = dict(previous.claims) if previous else {}
        if id_token:
            new_claims = await self.validate_id_token(id_token, nonce=nonce)
            if previous is not None and previous.subject and \
                    new_claims.get("sub") != previous.subject:
                raise IdTokenError()
            claims = new_claims
        elif previous is None:
            raise IdTokenError(
                "Pro Santé Connect n'a pas fourni de jeton d'identité ; la connexion est refusée.",
                message_en="Pro Santé Connect returned no ID token; the login is refused.")
        refresh = body.get("refresh_token")
        return TokenSet(
            access_token=access,
            expires_at=now + lifetime,
            refresh_token=refresh if isinstance(refresh, str) else (
                previous.refresh_token if previous else None),
            id_token=id_token or (previous.id_token if previous else None),
            refresh_expires_at=now + float(refresh_expires)
            if isinstance(refresh_expires, int | float) and refresh_expires > 0 else None,
            scope=str(body.get("scope", previous.scope if previous else "")),
            claims=claims,
        )

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """A new TokenSet from the refresh token; ``SessionEndedError`` when it is dead."""
        if not tokens.refresh_token:
            raise SessionEndedError()
        try:
            body = await self.post_form(TOKEN, {"grant_type": "refresh_token",
                                                "refresh_token": tokens.refresh_token})
        except TokenEndpointError as exc:
            if exc.error in DEAD_REFRESH_ERRORS:
                raise SessionEndedError() from exc
            raise
        return await self.token_set(body, nonce=None, previous=tokens)

    async def userinfo(self, tokens: TokenSet) -> dict[str, Any]:
        """The userinfo claims (name, SubjectNameID...); they must be about the same subject."""
        meta = await self.metadata()
        if not meta.userinfo_endpoint:
            return {}
        try:
            response = await self.http.get(
                meta.userinfo_endpoint,
                headers={"Authorization": f"Bearer {tokens.access_token}",
                         "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnreachableError() from exc
        if response.status_code != 200:
            return {}
        try:
            claims = response.json()
        except ValueError:
            return {}
        if not isinstance(claims, dict) or claims.get("sub") != tokens.subject:
            return {}  # OIDC Core §5.3.2: a userinfo answer about someone else is ignored
        return claims

    async def revoke(self, token: str, hint: str = "refresh_token") -> bool:
        """RFC 7009 revocation; False when the provider has no revocation endpoint."""
        meta = await self.metadata()
        if not meta.revocation_endpoint:
            return False
        try:
            await self.post_form(REVOCATION, {"token": token, "token_type_hint": hint})
        except TokenEndpointError as exc:
            _log.info("revocation refused: %s", exc.error)
            return False
        return True

    async def end_session_url(self, tokens: TokenSet, state: str | None = None) -> str | None:
        """The RP-initiated logout URL (to open in the browser), or None when not offered."""
        meta = await self.metadata()
        if not meta.end_session_endpoint:
            return None
        params: dict[str, str] = {"client_id": self.settings.client_id}
        if tokens.id_token:
            params["id_token_hint"] = tokens.id_token
        if self.settings.post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = self.settings.post_logout_redirect_uri
        if state:
            params["state"] = state
        separator = "&" if "?" in meta.end_session_endpoint else "?"
        return f"{meta.end_session_endpoint}{separator}{urlencode(params)}"
