"""Client authentication to Pro Santé Connect against the sandbox's stand-in, end to end.

Besides ``client_secret_basic`` (test_psc_login.py), the desktop client must authenticate with a
signed client assertion (``private_key_jwt``, RFC 7523) and with a TLS client certificate
(``tls_client_auth``, RFC 8705) — the latter is the mandatory way in the ANS "Espace de Confiance"
(MSSANTE §4). Each mode runs a full CIBA login approved through the control API, and each has its
refusals: another key, no certificate, a certificate from another CA, a certificate of the right
CA for someone else.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.domain.session import CibaChannel
from app.events import Event
from app.protocols.client_certificate import ClientCertificate, load_pkcs12_file
from app.protocols.oidc import ciba
from app.protocols.oidc.client import OidcClient, OidcSettings, TokenEndpointError
from app.protocols.oidc.client_auth import ClientAuth, PrivateKeyJwt, TlsClientAuth
from app.services.auth_events import Approved, LoginFailed, WaitingForApproval
from app.services.auth_service import AuthService
from tests.integration.psc_helpers import Control, run
from tests.sandbox import demo_world

pytestmark = pytest.mark.sandbox

T = TypeVar("T")


class Recorder:
    """Collects the service's events and approves the CIBA request as soon as it is shown."""

    def __init__(self, control: Control, sub: str) -> None:
        self.events: list[Event] = []
        self.approved: list[dict[str, Any]] = []
        self.control = control
        self.sub = sub

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, WaitingForApproval):
            self.approved.append(self.control.approve(self.sub, event.binding_code))


def settings(sandbox: dict[str, Any], oidc: dict[str, Any], auth: ClientAuth) -> OidcSettings:
    return OidcSettings(issuer=oidc["issuer"], client_auth=auth, extra_ca_file=sandbox["ca_file"])


def jwt_auth(oidc: dict[str, Any], key_pem: bytes | None = None) -> PrivateKeyJwt:
    client = oidc["clients"]["ciba_jwt"]
    pem = key_pem if key_pem is not None else Path(client["private_key_file"]).read_bytes()
    return PrivateKeyJwt(client["client_id"], pem, kid=client["kid"],
                         algorithm=client["algorithm"])


def mtls_auth(oidc: dict[str, Any], p12: str | None = None) -> TlsClientAuth:
    client = oidc["clients"]["ciba_mtls"]
    certificate = load_pkcs12_file(p12 or client["p12_file"], client["p12_password"])
    return TlsClientAuth(client["client_id"], certificate)


class NoCertificate:
    """A CertificateLoader that installs nothing: the TLS handshake carries no certificate."""

    def load_into(self, context: ssl.SSLContext) -> None:
        return None


def thumbprint(certificate: ClientCertificate) -> str:
    der = certificate.certificate.public_bytes(serialization.Encoding.DER)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def ciba_login(sandbox: dict[str, Any], oidc: dict[str, Any], control: Control,
               auth: ClientAuth, person: demo_world.Person) -> tuple[Recorder, dict[str, Any]]:
    """A full CIBA login approved through the control API; returns the events and facts seen."""
    recorder = Recorder(control, person.login)

    async def scenario() -> dict[str, Any]:
        service = AuthService(settings(sandbox, oidc, auth), publish=recorder)
        try:
            session = await service.login_ciba(person.national_id, channel=CibaChannel.MOBILE)
            first = await session.access_token()
            # Refresh goes through the same client authentication (and, for mTLS, the same
            # certificate the tokens are bound to).
            session.invalidate()
            await session.refresh()
            renewed = await session.access_token()
            facts = {"subject": session.subject, "claims": dict(session.claims),
                     "first": first, "renewed": renewed, "refreshes": session.refresh_count,
                     "introspection": control.introspect(renewed)}
            await session.close()
            return facts
        finally:
            await service.aclose()

    return recorder, run(scenario())


def provider_refusals(sandbox: dict[str, Any]) -> list[str]:
    """The provider's logged client-authentication refusals of CIBA requests, oldest first."""
    log = Path(sandbox["base_dir"]) / "logs" / "oidc.log"
    return [line for line in log.read_text(encoding="utf-8").splitlines()
            if "backchannel_authentication.error invalid_client" in line]


def assert_refused_invalid_client(sandbox: dict[str, Any], oidc: dict[str, Any],
                                  auth: ClientAuth, reason: str) -> None:
    """The backchannel request itself must be refused, for ``reason`` (the provider's detail):
    the answer is the same opaque invalid_client whatever failed, so the log tells which check
    did it and a refusal for the wrong reason cannot pass."""
    before = len(provider_refusals(sandbox))
    async def scenario() -> None:
        async with OidcClient(settings(sandbox, oidc, auth)) as client:
            with pytest.raises(TokenEndpointError) as caught:
                await ciba.start(client, demo_world.DR_MARTIN.national_id,
                                 channel=CibaChannel.CARD)
            assert caught.value.error == "invalid_client"
            assert caught.value.status == 401

    run(scenario())
    refusals = provider_refusals(sandbox)[before:]
    assert len(refusals) == 1 and refusals[0].endswith(reason), refusals


# --- private_key_jwt (RFC 7523) -------------------------------------------------------------------

def test_private_key_jwt_ciba_login(sandbox: dict[str, Any], oidc: dict[str, Any],
                                    control: Control) -> None:
    """CIBA login and refresh with a client assertion signed by the registered key (MSSANTE §4)."""
    person = demo_world.DR_MARTIN
    recorder, facts = ciba_login(sandbox, oidc, control, jwt_auth(oidc), person)
    assert recorder.approved and recorder.approved[0]["client_id"] == \
        oidc["clients"]["ciba_jwt"]["client_id"]
    assert facts["subject"] == person.login
    assert facts["claims"]["SubjectNameID"] == person.national_id
    assert facts["refreshes"] == 1 and facts["renewed"] != facts["first"]
    assert facts["introspection"]["active"] is True
    assert facts["introspection"]["client_id"] == oidc["clients"]["ciba_jwt"]["client_id"]
    approved = [e for e in recorder.events if isinstance(e, Approved)]
    assert approved and approved[0].subject == person.login


def test_private_key_jwt_signed_by_another_key_is_refused(sandbox: dict[str, Any],
                                                          oidc: dict[str, Any]) -> None:
    """An assertion with the right client id and kid but another key is not the client."""
    other = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    assert_refused_invalid_client(sandbox, oidc, jwt_auth(oidc, other),
                                  "signature verification failed")


def test_private_key_jwt_refusal_is_reported_by_the_service(sandbox: dict[str, Any],
                                                            oidc: dict[str, Any],
                                                            control: Control) -> None:
    """The service turns the refusal into one LoginFailed event, no approval is ever asked."""
    other = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    recorder = Recorder(control, demo_world.DR_BERNARD.login)

    async def scenario() -> None:
        service = AuthService(settings(sandbox, oidc, jwt_auth(oidc, other)), publish=recorder)
        try:
            with pytest.raises(TokenEndpointError):
                await service.login_ciba(demo_world.DR_BERNARD.national_id)
        finally:
            await service.aclose()

    run(scenario())
    failed = recorder.events[0]
    assert isinstance(failed, LoginFailed) and len(recorder.events) == 1
    assert "invalid_client" in failed.reason


# --- tls_client_auth (RFC 8705) -------------------------------------------------------------------

def test_tls_client_auth_ciba_login(sandbox: dict[str, Any], oidc: dict[str, Any],
                                    control: Control) -> None:
    """mTLS client authentication, mandatory in the Espace de Confiance (MSSANTE §4, no ECO id):
    CIBA login and refresh with the certificate from a PKCS#12 held in memory; the access token
    is bound to that certificate (RFC 8705 §3, ``cnf.x5t#S256``)."""
    person = demo_world.NURSE_PETIT
    client = oidc["clients"]["ciba_mtls"]
    certificate = load_pkcs12_file(client["p12_file"], client["p12_password"])
    recorder, facts = ciba_login(sandbox, oidc, control,
                                 TlsClientAuth(client["client_id"], certificate), person)
    assert recorder.approved[0]["client_id"] == oidc["clients"]["ciba_mtls"]["client_id"]
    assert facts["subject"] == person.login
    assert facts["refreshes"] == 1
    # userinfo (a bound token, used over the same mTLS connection) gave the name.
    approved = [e for e in recorder.events if isinstance(e, Approved)]
    assert approved and approved[0].display_name == f"{person.given_name} {person.family_name}"
    introspection = facts["introspection"]
    assert introspection["active"] is True
    assert introspection["cnf"] == {"x5t#S256": thumbprint(certificate)}


def test_tls_client_auth_bound_token_is_useless_without_the_certificate(
        sandbox: dict[str, Any], oidc: dict[str, Any], control: Control) -> None:
    """A certificate-bound access token stolen from the client is refused without the key."""
    person = demo_world.DR_BERNARD
    recorder = Recorder(control, person.login)

    async def scenario() -> tuple[int, int]:
        service = AuthService(settings(sandbox, oidc, mtls_auth(oidc)), publish=recorder)
        try:
            session = await service.login_ciba(person.national_id)
            token = await session.access_token()
            meta = await service.client.metadata()
            assert meta.userinfo_endpoint
            headers = {"Authorization": f"Bearer {token}"}
            with_cert = await service.client.http.get(meta.userinfo_endpoint, headers=headers)
            context = ssl.create_default_context(cafile=sandbox["ca_file"])
            async with httpx.AsyncClient(verify=context, trust_env=False) as bare:
                without = await bare.get(meta.userinfo_endpoint, headers=headers)
            await session.close()
            return with_cert.status_code, without.status_code
        finally:
            await service.aclose()

    with_cert, without = run(scenario())
    assert with_cert == 200
    assert without == 401


def test_tls_client_auth_without_certificate_is_refused(sandbox: dict[str, Any],
                                                        oidc: dict[str, Any]) -> None:
    """No certificate in the handshake: invalid_client (RFC 8705 §2; MSSANTE §4)."""
    client_id = oidc["clients"]["ciba_mtls"]["client_id"]
    assert_refused_invalid_client(sandbox, oidc, TlsClientAuth(client_id, NoCertificate()),
                                  "client certificate was not provided")


def test_tls_client_auth_certificate_from_another_ca_is_refused(sandbox: dict[str, Any],
                                                                oidc: dict[str, Any]) -> None:
    """Same subject DN as the registered client, issued by an unknown CA: the chain decides."""
    assert_refused_invalid_client(sandbox, oidc,
                                  mtls_auth(oidc, sandbox["pki"]["rogue_oidc_client_p12"]),
                                  "client certificate was not verified")


def test_tls_client_auth_rogue_client_certificate_is_refused(sandbox: dict[str, Any],
                                                             oidc: dict[str, Any]) -> None:
    """The sandbox's rogue client certificate (unknown CA, other subject) is refused."""
    assert_refused_invalid_client(sandbox, oidc,
                                  mtls_auth(oidc, sandbox["pki"]["rogue_client_p12"]),
                                  "client certificate was not verified")


def test_tls_client_auth_trusted_certificate_of_someone_else_is_refused(
        sandbox: dict[str, Any], oidc: dict[str, Any]) -> None:
    """A valid certificate of the sandbox CA (the lab's APP box) is not this client's: the
    registered tls_client_auth_subject_dn must match (RFC 8705 §2.1.2)."""
    client = oidc["clients"]["ciba_mtls"]
    lab = load_pkcs12_file(sandbox["pki"]["app_p12"], demo_world.LAB_CERTIFICATE_PASSWORD)
    assert_refused_invalid_client(sandbox, oidc, TlsClientAuth(client["client_id"], lab),
                                  "certificate subject value does not match the registered one")
