"""ID token validation (OIDC Core §3.1.3.7): signature through the JWKS, issuer, audience, nonce,
expiry. The token itself is never logged."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.protocols.oidc.errors import IdTokenError

ALLOWED_ALGORITHMS = ["RS256", "PS256", "ES256", "RS384", "RS512", "PS384", "PS512", "ES384"]
DEFAULT_LEEWAY = 60


class UnknownKeyError(IdTokenError):
    """The token names a key the JWKS lacks (the provider rotated its keys: fetch them again)."""


def _invalid(reason_fr: str, reason_en: str) -> IdTokenError:
    return IdTokenError(
        f"La réponse de Pro Santé Connect n'est pas valide ({reason_fr}) ; "
        "la connexion est refusée.",
        message_en=f"Pro Santé Connect's answer is not valid ({reason_en}); the login is refused.")


def _header(token: str) -> dict[str, Any]:
    """The JOSE header, unverified (only to pick the key)."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid("jeton illisible", "unreadable token") from exc
    if not isinstance(header, dict):
        raise _invalid("jeton illisible", "unreadable token")
    return header


def validate_id_token(
    id_token: str,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str | None = None,
    now: float | None = None,
    leeway: int = DEFAULT_LEEWAY,
    max_age: int | None = None,
) -> dict[str, Any]:
    """The claims of ``id_token`` once every check passed; ``IdTokenError`` otherwise.

    ``nonce``: the one sent in the authorization request (code flow); None skips the check (CIBA
    has no nonce). ``now`` lets tests pin the clock.
    """
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _invalid("clés de signature illisibles", "unreadable signing keys") from exc
    kid = _header(id_token).get("kid")
    known = {k.get("kid") for k in jwks.get("keys", []) if isinstance(k, dict)}
    if kid is not None and kid not in known:
        raise UnknownKeyError()
    try:
        token = jwt.decode(id_token, keys, algorithms=ALLOWED_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise _invalid("signature invalide", "bad signature") from exc
    claims: dict[str, Any] = dict(token.claims)
    moment = time.time() if now is None else now

    if claims.get("iss") != issuer:
        raise _invalid("émetteur inattendu", "unexpected issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else (
        list(audience) if isinstance(audience, list) else [])
    if client_id not in audiences:
        raise _invalid("destinataire inattendu", "unexpected audience")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise _invalid("partie autorisée inattendue", "unexpected authorized party")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or moment > exp + leeway:
        raise _invalid("jeton expiré", "token expired")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > moment + leeway:
        raise _invalid("date d'émission invalide", "bad issue time")
    if nonce is not None and claims.get("nonce") != nonce:
        raise _invalid("nonce différent de celui envoyé", "nonce mismatch")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _invalid("sujet absent", "no subject")
    if max_age is not None:
        auth_time = claims.get("auth_time")
        if not isinstance(auth_time, int | float) or moment > auth_time + max_age + leeway:
            raise _invalid("authentification trop ancienne", "authentication too old")
    return claims
