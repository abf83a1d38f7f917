"""The OpenID provider standing in for Pro Santé Connect (npm ``oidc-provider`` under Node).

``start(ctx)`` writes ``<base>/oidc/config.json`` (port, certificate, accounts from demo_world,
client secrets drawn fresh for each run), starts ``node server.mjs CONFIG`` from
``tests/sandbox/oidc`` and publishes ``ctx.endpoints["oidc"]``:

- ``issuer``, ``discovery_url`` (PSC's ``/.well-known/wallet-openid-configuration``), and the
  endpoints the servers need without discovery: ``token_endpoint``, ``introspection_endpoint``,
  ``backchannel_authentication_endpoint``;
- ``control_url``: the test-control API (``/_sandbox``) that plays the user's phone or card:
  ``GET /ciba/requests``, ``POST /ciba/requests/{id}/approve|refuse|expire``,
  ``POST /ciba/requests/{id}/interval`` ``{"seconds": n}``,
  ``POST /revoke`` ``{"sub"|"token"|"grant_id": ...}``,
  ``GET|POST /settings`` (token lifetimes, CIBA interval), all relative to ``control_url``;
- ``clients``: ``native`` (public, code + PKCE, loopback redirect on any port), ``ciba``
  (confidential, client_secret_basic, CIBA poll), ``dovecot`` (introspection only), and two more
  CIBA poll clients: ``ciba_jwt`` (private_key_jwt, RFC 7523: ``private_key_file`` is a PEM RSA key
  drawn for this run, 0600 under ``<base>/oidc``, ``kid``, ``algorithm``) and ``ciba_mtls``
  (tls_client_auth, RFC 8705, certificate-bound access tokens: ``p12_file``/``p12_password`` from
  the sandbox PKI, ``subject_dn`` registered as ``tls_client_auth_subject_dn``).

The HTTPS server *requests* a client certificate on every connection but requires none; a
certificate only counts when it chains to the sandbox CA (``socket.authorized``), so a missing,
rogue or mismatching one makes tls_client_auth fail with ``invalid_client``.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import demo_world
from .common import HOST, SandboxContext, SandboxError, write_json

NAME = "oidc"
PACKAGE_DIR = Path(__file__).resolve().parent / "oidc"

NATIVE_CLIENT_ID = "estafette-desktop"
CIBA_CLIENT_ID = "estafette-ciba"
DOVECOT_CLIENT_ID = "dovecot"
CIBA_JWT_CLIENT_ID = "estafette-ciba-jwt"
CIBA_JWT_KID = "estafette-ciba-jwt-1"
CIBA_JWT_ALG = "RS256"
CIBA_MTLS_CLIENT_ID = "estafette-ciba-mtls"
NATIVE_REDIRECT_URI = f"http://{HOST}/callback"
NATIVE_POST_LOGOUT_REDIRECT_URI = f"http://{HOST}/logout"

# Short-lived access tokens, as at PSC ("access tokens live minutes"); tests needing shorter ones
# change them at run time through the control API's /settings.
DEFAULT_TTL = {"access_token": 300, "refresh_token": 8 * 3600, "id_token": 300,
               "ciba_request": 120}
DEFAULT_CIBA_INTERVAL = 1


def _accounts() -> list[dict[str, str]]:
    return [{"sub": person.login, "national_id": person.national_id,
             "given_name": person.given_name, "family_name": person.family_name}
            for person in demo_world.PEOPLE]


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _client_jwt_key(ctx: SandboxContext) -> tuple[str, dict[str, str]]:
    """A fresh RSA key for the private_key_jwt client: the PEM file (0600) and its public JWK."""
    key = rsa.generate_private_key(65537, 2048)
    path = ctx.dir(NAME) / "ciba-jwt.key"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e),
           "kid": CIBA_JWT_KID, "use": "sig", "alg": CIBA_JWT_ALG}
    return str(path), jwk


def build_config(ctx: SandboxContext) -> dict[str, Any]:
    port = ctx.port(NAME)
    # The server certificate names both localhost and 127.0.0.1; the IP keeps every client (Dovecot
    # included) off ::1, where nothing listens.
    issuer = f"https://{HOST}:{port}"
    jwt_key_file, jwt_public = _client_jwt_key(ctx)
    return {
        "host": HOST,
        "port": port,
        "issuer": issuer,
        "cert": ctx.pki["server_chain"],
        "key": ctx.pki["server_key"],
        # Client certificates (tls_client_auth) are verified against the sandbox CA only.
        "client_ca": ctx.pki["ca_file"],
        "cookie_keys": [secrets.token_urlsafe(32)],
        "ttl": dict(DEFAULT_TTL),
        "ciba": {"interval": DEFAULT_CIBA_INTERVAL},
        "accounts": _accounts(),
        "clients": {
            "native": {"client_id": NATIVE_CLIENT_ID, "redirect_uri": NATIVE_REDIRECT_URI,
                       "post_logout_redirect_uri": NATIVE_POST_LOGOUT_REDIRECT_URI},
            "ciba": {"client_id": CIBA_CLIENT_ID, "client_secret": secrets.token_urlsafe(32)},
            "dovecot": {"client_id": DOVECOT_CLIENT_ID,
                        "client_secret": secrets.token_urlsafe(32)},
            "ciba_jwt": {"client_id": CIBA_JWT_CLIENT_ID, "private_key_file": jwt_key_file,
                         "kid": CIBA_JWT_KID, "algorithm": CIBA_JWT_ALG,
                         "jwks": {"keys": [jwt_public]}},
            "ciba_mtls": {"client_id": CIBA_MTLS_CLIENT_ID,
                          "p12_file": ctx.pki["oidc_client_p12"],
                          "p12_password": ctx.pki["client_p12_password"],
                          "subject_dn": ctx.pki["oidc_client_subject_dn"]},
        },
    }


def start(ctx: SandboxContext) -> None:
    if not (PACKAGE_DIR / "node_modules" / "oidc-provider").is_dir():
        raise SandboxError(f"{NAME}: {PACKAGE_DIR / 'node_modules'} is missing; run `make setup` "
                           "(it runs `npm install` there)")
    config = build_config(ctx)
    config_path = ctx.dir(NAME) / "config.json"
    write_json(config_path, config)
    config_path.chmod(0o600)
    proc = ctx.spawn(NAME, ["node", str(PACKAGE_DIR / "server.mjs"), str(config_path)],
                     cwd=PACKAGE_DIR, env={"NODE_ENV": "production"})
    ctx.wait_tcp(NAME, config["port"], proc=proc)

    issuer = config["issuer"]
    clients = config["clients"]
    ctx.endpoints[NAME] = {
        "issuer": issuer,
        "discovery_url": f"{issuer}/.well-known/wallet-openid-configuration",
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "introspection_endpoint": f"{issuer}/protocol/openid-connect/token/introspect",
        "backchannel_authentication_endpoint": f"{issuer}/protocol/openid-connect/ext/ciba/auth",
        "control_url": f"{issuer}/_sandbox",
        "clients": {
            "native": {"client_id": clients["native"]["client_id"],
                       "redirect_uri": clients["native"]["redirect_uri"],
                       "post_logout_redirect_uri": clients["native"]["post_logout_redirect_uri"]},
            "ciba": dict(clients["ciba"]),
            "dovecot": dict(clients["dovecot"]),
            "ciba_jwt": {k: v for k, v in clients["ciba_jwt"].items() if k != "jwks"},
            "ciba_mtls": dict(clients["ciba_mtls"]),
        },
        "ciba_interval": config["ciba"]["interval"],
        "access_token_ttl": config["ttl"]["access_token"],
    }
