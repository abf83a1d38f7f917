"""APP box: PKCS#12 import (password asked once, kept in the SecretStore), TLS client
authentication to IMAP (SASL EXTERNAL) and SMTP submission (Postfix trusts the certificate); the
lab certificate is accepted, a certificate from another CA refused. The key stays in memory."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest

from app.errors import AuthenticationError
from app.protocols import sasl
from app.protocols.client_certificate import (
    CertificateError,
    ClientCertificate,
    load_pkcs12_file,
    pkcs12_password_secret_name,
)
from app.protocols.oidc.client import OidcSettings
from app.protocols.oidc.client_auth import PublicClient
from app.protocols.tls import client_context
from app.services.auth_service import AuthService
from app.store.account_store import InMemorySecretStore
from tests.sandbox import demo_world

pytestmark = pytest.mark.sandbox

LAB = demo_world.LAB_BOX.address


def app_account(sandbox: dict[str, Any]) -> dict[str, Any]:
    account: dict[str, Any] = next(a for a in sandbox["accounts"] if a["kind"] == "APP")
    return account


def service_with(secrets: InMemorySecretStore, sandbox: dict[str, Any]) -> AuthService:
    settings = OidcSettings(issuer=sandbox["oidc"]["issuer"], client_auth=PublicClient("unused"),
                            extra_ca_file=sandbox["ca_file"])
    return AuthService(settings, secrets=secrets)


def test_pkcs12_password_is_asked_once_then_kept(sandbox: dict[str, Any]) -> None:
    account = app_account(sandbox)
    secrets = InMemorySecretStore()
    asked: list[int] = []

    def ask() -> str:
        asked.append(1)
        return str(account["certificate_password"])

    service = service_with(secrets, sandbox)
    first = service.app_certificate(LAB, account["certificate"], ask_password=ask)
    second = service.app_certificate(LAB, account["certificate"], ask_password=ask)
    asyncio.run(service.aclose())
    assert len(asked) == 1
    assert first.subject_cn == second.subject_cn == LAB
    assert secrets.get(pkcs12_password_secret_name(LAB)) == account["certificate_password"]


def test_a_wrong_pkcs12_password_is_refused_and_not_kept(sandbox: dict[str, Any]) -> None:
    account = app_account(sandbox)
    secrets = InMemorySecretStore()
    service = service_with(secrets, sandbox)
    with pytest.raises(CertificateError, match="mot de passe"):
        service.app_certificate(LAB, account["certificate"], password="wrong")
    asyncio.run(service.aclose())
    assert secrets.get(pkcs12_password_secret_name(LAB)) is None


def lab_certificate(sandbox: dict[str, Any]) -> ClientCertificate:
    account = app_account(sandbox)
    return load_pkcs12_file(account["certificate"], account["certificate_password"])


def imaps(sandbox: dict[str, Any], context: ssl.SSLContext) -> Any:
    from imapclient import IMAPClient

    endpoint = sandbox["imaps"]
    return IMAPClient(endpoint["host"], port=endpoint["port"], ssl=True, ssl_context=context,
                      timeout=15)


def test_lab_certificate_opens_the_app_box_over_imap(sandbox: dict[str, Any]) -> None:
    """TLS client authentication from the PKCS#12, key in memory; SASL EXTERNAL."""
    context = client_context(sandbox["ca_file"], client_cert=lab_certificate(sandbox))
    with imaps(sandbox, context) as client:
        sasl.imap_external_login(client)
        assert client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]


def test_no_certificate_does_not_open_the_app_box(sandbox: dict[str, Any]) -> None:
    with imaps(sandbox, client_context(sandbox["ca_file"])) as client, \
            pytest.raises(AuthenticationError, match="certificat"):
        sasl.imap_external_login(client)


def test_a_rogue_certificate_is_refused_over_imap(sandbox: dict[str, Any]) -> None:
    """Same box name, another CA: refused (during the handshake or at EXTERNAL)."""
    pki = sandbox["pki"]
    context = client_context(sandbox["ca_file"],
                             client_cert=(pki["rogue_client_cert"], pki["rogue_client_key"]))
    try:
        client = imaps(sandbox, context)
    except (ssl.SSLError, ConnectionError):
        return  # a refusal during the handshake is a refusal too
    with client, pytest.raises(AuthenticationError):
        sasl.imap_external_login(client)


async def _submit(sandbox: dict[str, Any], context: ssl.SSLContext) -> int:
    import aiosmtplib

    endpoint = sandbox["submission"]
    smtp = aiosmtplib.SMTP(hostname=endpoint["host"], port=endpoint["port"], start_tls=True,
                           tls_context=context, timeout=15)
    await smtp.connect()
    try:
        await smtp.mail(LAB)
        try:
            reply = await smtp.rcpt(LAB)
        except aiosmtplib.SMTPRecipientRefused as exc:
            return exc.code
        return reply.code
    finally:
        await smtp.quit()


def test_lab_certificate_sends_over_smtp_and_rogue_is_refused(sandbox: dict[str, Any]) -> None:
    """Postfix relays for the APP box's certificate without any password."""
    pki = sandbox["pki"]
    good = client_context(sandbox["ca_file"], client_cert=lab_certificate(sandbox))
    assert asyncio.run(_submit(sandbox, good)) == 250
    rogue = client_context(sandbox["ca_file"],
                           client_cert=(pki["rogue_client_cert"], pki["rogue_client_key"]))
    assert 500 <= asyncio.run(_submit(sandbox, rogue)) < 600


def test_the_decrypted_key_never_reaches_the_disk(sandbox: dict[str, Any], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the certificate writes nothing in the temp directory (memory file only)."""
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    context = client_context(sandbox["ca_file"], client_cert=lab_certificate(sandbox))
    with imaps(sandbox, context) as client:
        sasl.imap_external_login(client)
    assert list(temp.iterdir()) == []
