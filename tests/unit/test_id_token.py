"""ID token validation (OIDC Core §3.1.3.7) and the private_key_jwt client assertion (RFC 7523)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from app.protocols.oidc.client_auth import (
    CLIENT_ASSERTION_TYPE,
    ClientSecretBasic,
    PrivateKeyJwt,
    StructureTokenEndpoint,
)
from app.protocols.oidc.errors import IdTokenError
from app.protocols.oidc.id_token import UnknownKeyError, validate_id_token

ISSUER = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet"
CLIENT = "estafette"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict[str, Any]:
    return KeySet([key]).as_dict(private=False)


def make(key: RSAKey, **overrides: Any) -> str:
    claims: dict[str, Any] = {"iss": ISSUER, "aud": CLIENT, "sub": "jean.martin@x.mssante.fr",
                              "iat": NOW, "exp": NOW + 300, "nonce": "n0nce"}
    claims.update(overrides)
    for name in [k for k, v in claims.items() if v is None]:
        del claims[name]
    return jwt.encode({"alg": "RS256", "kid": key.kid or "k1"}, claims, key)


def check(token: str, jwks: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"issuer": ISSUER, "client_id": CLIENT, "nonce": "n0nce",
                               "now": NOW + 10}
    options.update(kwargs)
    return validate_id_token(token, jwks, **options)


def test_a_good_token_gives_its_claims(key: RSAKey, jwks: dict[str, Any]) -> None:
    claims = check(make(key), jwks)
    assert claims["sub"] == "jean.martin@x.mssante.fr"


@pytest.mark.parametrize(("overrides", "options", "reason"), [
    ({"iss": "https://evil.example"}, {}, "émetteur"),
    ({"aud": "another-client"}, {}, "destinataire"),
    ({"aud": [CLIENT, "other"]}, {}, "partie autorisée"),
    ({"nonce": "replayed"}, {}, "nonce"),
    ({"nonce": None}, {}, "nonce"),
    ({"exp": NOW - 3600}, {}, "expiré"),
    ({"iat": NOW + 3600, "exp": NOW + 7200}, {}, "émission"),
    ({"sub": ""}, {}, "sujet"),
], ids=["issuer", "audience", "azp", "nonce", "no-nonce", "expired", "future-iat", "no-sub"])
def test_bad_claims_are_refused(key: RSAKey, jwks: dict[str, Any], overrides: dict[str, Any],
                                options: dict[str, Any], reason: str) -> None:
    with pytest.raises(IdTokenError) as error:
        check(make(key, **overrides), jwks, **options)
    assert reason in error.value.message


def test_several_audiences_need_the_azp(key: RSAKey, jwks: dict[str, Any]) -> None:
    assert check(make(key, aud=[CLIENT, "other"], azp=CLIENT), jwks)["azp"] == CLIENT


def test_ciba_tokens_have_no_nonce(key: RSAKey, jwks: dict[str, Any]) -> None:
    assert check(make(key, nonce=None), jwks, nonce=None)["sub"]


def test_expiry_leeway(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = make(key, exp=NOW)
    assert check(token, jwks, now=NOW + 30)
    with pytest.raises(IdTokenError):
        check(token, jwks, now=NOW + 30, leeway=0)


def test_a_forged_signature_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(IdTokenError, match="signature"):
        check(make(other), jwks)


def test_a_tampered_payload_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    header, payload, signature = make(key).split(".")
    evil = make(key, sub="someone.else@x.mssante.fr").split(".")[1]
    with pytest.raises(IdTokenError):
        check(f"{header}.{evil[:-2]}{payload[-2:]}.{signature}", jwks)


def test_alg_none_is_refused(jwks: dict[str, Any]) -> None:
    import base64
    import json

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = b64({"alg": "none"}) + "." + b64({"iss": ISSUER, "aud": CLIENT, "sub": "x",
                                              "iat": NOW, "exp": NOW + 60}) + "."
    with pytest.raises(IdTokenError):
        check(token, jwks, nonce=None)


def test_an_unknown_key_id_asks_for_a_jwks_reload(key: RSAKey, jwks: dict[str, Any]) -> None:
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    with pytest.raises(UnknownKeyError):
        check(make(rotated), jwks)


def test_garbage_is_refused(jwks: dict[str, Any]) -> None:
    with pytest.raises(IdTokenError):
        check("not.a.token", jwks)


# --- client authentication ----------------------------------------------------------------------

def test_private_key_jwt_assertion_is_signed_and_scoped() -> None:
    """RFC 7523 §3: iss = sub = client_id, aud = the endpoint, short exp, unique jti."""
    private = rsa.generate_private_key(65537, 2048)
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    auth = PrivateKeyJwt(CLIENT, pem, kid="structure-1")
    data: dict[str, str] = {}
    headers: dict[str, str] = {}
    endpoint = ISSUER + "/protocol/openid-connect/token"
    auth.apply(data, headers, endpoint)
    assert data["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    assert data["client_id"] == CLIENT and "Authorization" not in headers
    public = RSAKey.import_key(private.public_key().public_bytes(
        Encoding.PEM, __import__("cryptography.hazmat.primitives.serialization",
                                 fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo))
    token = jwt.decode(data["client_assertion"], public, algorithms=["RS256"])
    assert token.header["kid"] == "structure-1"
    claims = token.claims
    assert claims["iss"] == claims["sub"] == CLIENT
    assert claims["aud"] == endpoint
    assert 0 < claims["exp"] - claims["iat"] <= 60
    assert abs(claims["iat"] - time.time()) < 300
    again: dict[str, str] = {}
    auth.apply(again, {}, endpoint)
    second = jwt.decode(again["client_assertion"], public, algorithms=["RS256"])
    assert second.claims["jti"] != claims["jti"]
    # A different key cannot have produced it.
    with pytest.raises(Exception):  # noqa: B017 - joserfc's BadSignatureError
        jwt.decode(data["client_assertion"], RSAKey.generate_key(2048), algorithms=["RS256"])


def test_client_secret_basic_encodes_per_rfc6749() -> None:
    headers: dict[str, str] = {}
    ClientSecretBasic("a:b", "s%c r").apply({}, headers, "https://x")
    import base64

    assert base64.b64decode(headers["Authorization"].split()[1]) == b"a%3Ab:s%25c%20r"


def test_structure_endpoint_overrides_token_and_ciba_urls() -> None:
    auth = StructureTokenEndpoint(CLIENT, token_url="https://structure/token",
                                  backchannel_url="https://structure/ciba")
    assert auth.endpoint("token_endpoint", "https://psc/token") == "https://structure/token"
    assert auth.endpoint("backchannel_authentication_endpoint", "x") == "https://structure/ciba"
    assert auth.endpoint("revocation_endpoint", "https://psc/revoke") == "https://psc/revoke"
    data: dict[str, str] = {}
    headers: dict[str, str] = {}
    auth.apply(data, headers, "https://structure/token")
    assert data == {"client_id": CLIENT} and headers == {}
