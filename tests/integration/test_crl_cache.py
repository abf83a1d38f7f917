"""The last valid CRL kept and used against real servers: CRLs signed by the sandbox CA, published
on the sandbox's HTTPS server, fetched and kept by ``CrlCache``, and handed to real handshakes
with the sandbox's Dovecot and Postfix (whose certificate the CRLs revoke or not).

The CRLs here are the tests' own (the sandbox CA's key signs them); nothing in the sandbox itself
is revoked, so the other tests are not affected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from app.domain.account import Endpoint, TlsMode
from app.protocols import tls
from app.protocols.imap.authenticated import AuthenticatedImapConnection
from app.services.crl_cache import URLS_SETTING, CrlCache, CrlUnavailableError
from tests.integration.sync_helpers import new_profile
from tests.sandbox import demo_world as world

pytestmark = pytest.mark.sandbox

NOW = dt.datetime.now(dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _sentence(code: int) -> str:
    """The TLS policy's sentence for an OpenSSL verify code, without its final period."""
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code = code
    return tls.describe_tls_error(error).message[:-1]


REVOKED = _sentence(23)  # "Le certificat du serveur a été révoqué"
CRL_EXPIRED = _sentence(12)  # "La liste de révocation (CRL) de l'autorité du serveur a expiré"
CRL_MISSING = _sentence(3)


class Publisher:
    """A folder of the sandbox's HTTPS server where the test publishes CRLs, signed by the
    sandbox CA (or by another key, to forge one)."""

    def __init__(self, sandbox: dict[str, Any]) -> None:
        pki = sandbox["pki"]
        self.ca_file = sandbox["ca_file"]
        self.ca = x509.load_pem_x509_certificate(Path(pki["ca_file"]).read_bytes())
        key = serialization.load_pem_private_key(Path(pki["ca_key"]).read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        self.key = key
        self.server_serial = x509.load_pem_x509_certificate(
            Path(pki["server_cert"]).read_bytes()).serial_number
        folder = f"crl-{uuid.uuid4().hex[:8]}"
        self.root = Path(sandbox["https"]["root"]) / folder
        self.root.mkdir()
        self.base = f"{sandbox['https']['base_url']}/{folder}"

    def crl(self, *, number: int, revoked: bool, this_update: dt.datetime = NOW - HOUR,
            next_update: dt.datetime = NOW + 7 * DAY,
            key: ec.EllipticCurvePrivateKey | None = None, encoding: Encoding = Encoding.DER,
            ) -> bytes:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.ca.subject)
                   .last_update(this_update).next_update(next_update)
                   .add_extension(x509.CRLNumber(number), critical=False))
        if revoked:  # the certificate Dovecot and Postfix present
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(self.server_serial)
                .revocation_date(this_update).build())
        return builder.sign(key or self.key, hashes.SHA256()).public_bytes(encoding)

    def publish(self, body: bytes | None, name: str = "ac.crl") -> str:
        """Serve ``body`` at the returned URL (``None``: nothing there, the server says 404)."""
        path = self.root / name
        if body is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(body)
        return f"{self.base}/{name}"


@pytest.fixture
def publisher(sandbox: dict[str, Any]) -> Publisher:
    return Publisher(sandbox)


class Clock:
    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now or dt.datetime.now(dt.UTC)


def imap(sandbox: dict[str, Any], crl_files: Callable[[], Any]) -> AuthenticatedImapConnection:
    endpoint = sandbox["imap"]
    return AuthenticatedImapConnection(
        endpoint=Endpoint(endpoint["host"], int(endpoint["port"]), TlsMode.STARTTLS),
        ca_file=sandbox["ca_file"], crl_files=crl_files, timeout=10)


def handshake(sandbox: dict[str, Any], crl_files: Callable[[], Any]) -> None:
    """Connect to Dovecot (STARTTLS) through the IMAP adapter, then hang up."""
    connection = imap(sandbox, crl_files)
    try:
        connection.connect()
    finally:
        connection.close()


def refused(sandbox: dict[str, Any], crl_files: Callable[[], Any]) -> tls.TlsPolicyError:
    with pytest.raises(tls.TlsPolicyError) as raised:
        handshake(sandbox, crl_files)
    return raised.value


# --- through the profile: what the sync really uses ----------------------------------------------

def test_the_sync_checks_dovecot_against_the_crl_kept_in_the_profile(
        sandbox: dict[str, Any], tmp_path: Path, publisher: Publisher) -> None:
    """ECO.1.1.7: a CRL fetched over HTTPS is kept in the profile directory and the sync's IMAP
    connections use it: Dovecot passes while its certificate is not listed, and is refused as
    revoked once a newer CRL lists it."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        url = publisher.publish(publisher.crl(number=1, revoked=False))
        profile.settings.set(URLS_SETTING, url)
        profile.sync.open_connection(account).close()  # fetched on the way, then used
        [kept] = profile.crls.kept()
        assert kept.path.parent == profile.profile_dir / "crl"
        assert kept.facts.number == 1

        publisher.publish(publisher.crl(number=2, revoked=True, this_update=NOW - HOUR / 2))
        [outcome] = profile.crls.refresh(force=True)
        assert outcome.status == "updated"
        with pytest.raises(tls.TlsPolicyError) as raised:
            profile.sync.open_connection(account)
        assert raised.value.message.startswith(REVOKED)


def test_configured_crls_never_obtained_fail_closed(sandbox: dict[str, Any], tmp_path: Path,
                                                   publisher: Publisher) -> None:
    """ECO.1.1.7: with a CRL URL configured and no CRL ever obtained (the server answers 404),
    the sync refuses to connect — revocation unchecked is not an option — with a clear error."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        profile.settings.set(URLS_SETTING, publisher.publish(None))
        with pytest.raises(CrlUnavailableError) as raised:
            profile.sync.open_connection(account)
        assert raised.value.message.startswith(CRL_MISSING)
        assert "404" in raised.value.text()


# --- the kept CRL survives what a hostile or broken server sends --------------------------------

@pytest.fixture
def revoking_cache(sandbox: dict[str, Any], tmp_path: Path,
                   publisher: Publisher) -> tuple[CrlCache, Path, bytes]:
    """A keeper holding a CRL (number 5) that revokes the sandbox server certificate."""
    url = publisher.publish(publisher.crl(number=5, revoked=True))
    cache = CrlCache(directory=tmp_path / "crl", urls=[url],
                     trusted_files=lambda: [sandbox["ca_file"]], max_bytes=4096)
    [outcome] = cache.refresh()
    assert outcome.status == "updated" and outcome.kept is not None
    return cache, outcome.kept.path, outcome.kept.path.read_bytes()


HOSTILE: dict[str, tuple[Callable[[Publisher], bytes | None], str]] = {
    "garbage": (lambda p: b"<html><body>502 Bad Gateway</body></html>", "illisible"),
    "truncated": (lambda p: p.crl(number=6, revoked=False)[:120], "illisible"),
    "wrongly-signed": (lambda p: p.crl(number=6, revoked=False,
                                       key=ec.generate_private_key(ec.SECP256R1())),
                       "signature"),
    "expired": (lambda p: p.crl(number=6, revoked=False, this_update=NOW - 10 * DAY,
                                next_update=NOW - DAY), "a expiré"),
    "older": (lambda p: p.crl(number=4, revoked=False, this_update=NOW - 3 * HOUR),
              "plus ancienne"),
    "lower-number": (lambda p: p.crl(number=4, revoked=False, this_update=NOW - HOUR / 2,
                                     encoding=Encoding.PEM), "numéro 4"),
    "oversized": (lambda p: b"\x30" * 10_000, "limite de 4096"),
    "missing": (lambda p: None, "a répondu 404"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_bad_crl_from_the_server_leaves_the_kept_one_in_use(
        sandbox: dict[str, Any], publisher: Publisher,
        revoking_cache: tuple[CrlCache, Path, bytes], case: str) -> None:
    """ECO.1.1.7: whatever the CRL server sends next — garbage, a truncated CRL, one signed by
    another key, an expired one, an older one replayed, a lower CRL number, an oversized body, a
    404 — it is refused with a clear French error, the kept file is left byte for byte, and
    Dovecot is still refused as revoked by it."""
    cache, path, kept = revoking_cache
    assert refused(sandbox, cache.connection_files).message.startswith(REVOKED)
    make, expected = HOSTILE[case]
    publisher.publish(make(publisher))
    [outcome] = cache.refresh(force=True)
    assert outcome.status == "failed"
    assert outcome.error is not None and expected in outcome.error.message
    assert path.read_bytes() == kept
    assert cache.files() == [path]
    assert refused(sandbox, cache.connection_files).message.startswith(REVOKED)


def test_submission_is_refused_by_the_kept_crl(sandbox: dict[str, Any],
                                               revoking_cache: tuple[CrlCache, Path, bytes]
                                               ) -> None:
    """ECO.1.1.7: the SMTP submission gets the kept CRL too: Postfix's revoked certificate stops
    the send at STARTTLS, with the TLS policy's sentence, before any AUTH."""
    from app.protocols.smtp.submission import SmtpAccount, SmtpError, SmtpSubmitter

    cache, _path, _kept = revoking_cache
    endpoint = sandbox["submission"]
    submitter = SmtpSubmitter(account=SmtpAccount(
        host=endpoint["host"], port=int(endpoint["port"]), implicit_tls=False,
        login=world.DR_BERNARD.login, password="jamais-envoye", ca_file=sandbox["ca_file"],
        timeout=10, crl_files=tuple(str(f) for f in cache.files())))
    with pytest.raises(SmtpError) as raised:
        asyncio.run(submitter.submit(envelope_from=world.DR_BERNARD.login,
                                     recipients=[world.DR_MARTIN.login],
                                     data=b"Subject: t\r\nMessage-ID: <crl@x>\r\n\r\nt\r\n",
                                     message_id="<crl@x>"))
    assert raised.value.message.startswith(REVOKED)
    assert not raised.value.transient


# --- the kept CRL expires -------------------------------------------------------------------------

def test_when_the_kept_crl_expires_connections_fail_closed(
        sandbox: dict[str, Any], tmp_path: Path, publisher: Publisher) -> None:
    """ECO.1.1.7: when the kept CRL has expired and no valid one can be fetched, it is still
    handed to the handshake, which fails closed with the TLS policy's "CRL expired" sentence;
    a valid CRL published again lets the connection through."""
    url = publisher.publish(publisher.crl(number=1, revoked=False, this_update=NOW - 3 * DAY,
                                          next_update=NOW - DAY))
    clock = Clock(NOW - 2 * DAY)  # the keeper fetched it two days ago, while it was valid
    cache = CrlCache(directory=tmp_path / "crl", urls=[url],
                     trusted_files=lambda: [sandbox["ca_file"]], clock=clock)
    [outcome] = cache.refresh()
    assert outcome.status == "updated" and outcome.kept is not None
    kept = outcome.kept.path.read_bytes()

    clock.now = None  # today: the kept CRL's next update has passed
    publisher.publish(b"garbage")
    error = refused(sandbox, cache.connection_files)
    assert error.message.startswith(CRL_EXPIRED)
    [status] = cache.status()
    assert status.last_error is not None and "illisible" in status.last_error.message
    assert outcome.kept.path.read_bytes() == kept

    publisher.publish(publisher.crl(number=2, revoked=False))
    [again] = cache.refresh(force=True)
    assert again.status == "updated"
    handshake(sandbox, cache.connection_files)


# --- the command line ----------------------------------------------------------------------------

def test_the_cli_sets_refreshes_and_shows_the_kept_crls(sandbox: dict[str, Any], tmp_path: Path,
                                                       publisher: Publisher) -> None:
    """ECO.1.1.7: `estafette crl set/refresh/status`: a CRL fetched is kept and shown; a bad one
    served later is refused, said (exit 1), and the kept one stays, still shown."""
    import json

    from tests.integration.test_send import make_profile

    profile = make_profile(tmp_path, sandbox)
    url = publisher.publish(publisher.crl(number=3, revoked=False))
    code, out, err = profile.cli("crl", "set", url)
    assert code == 0, err
    assert "1 adresse(s)" in out
    code, out, err = profile.cli("crl", "refresh")
    assert code == 0, err
    assert out.strip() == f"{url} : mise à jour"
    code, out, _err = profile.cli("crl", "status", "--json")
    [row] = json.loads(out)
    assert row["url"] == url and row["number"] == 3 and row["last_error"] is None
    assert row["issuer"] and "CN=" in row["issuer"]

    publisher.publish(b"\x30\x82garbage")
    code, out, err = profile.cli("crl", "refresh")
    assert code == 1
    assert "échec" in err and "la CRL gardée reste utilisée" in err
    code, out, _err = profile.cli("crl", "status", "--json")
    [row] = json.loads(out)
    assert row["number"] == 3  # the kept CRL (failures are said by the refresh that met them)

    code, _out, err = profile.cli("crl", "set", "ftp://ailleurs.example/ac.crl")
    assert code != 0 and err.strip()  # refused, with a sentence
    code, out, _err = profile.cli("crl", "status", "--json")
    assert [r["url"] for r in json.loads(out)] == [url]  # the setting did not change
    code, out, err = profile.cli("crl", "set")
    assert code == 0 and "Aucune adresse" in out
    code, out, _err = profile.cli("crl", "status", "--json")
    assert json.loads(out) == []
