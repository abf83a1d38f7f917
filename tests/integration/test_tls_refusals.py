"""The TLS policy against real handshakes: TLS 1.1 only, self-signed, expired, revoked, and a
STARTTLS-stripping proxy in front of the sandbox's Dovecot (ECO.1.0.1, ECO.1.1.1, ECO.1.1.5–7,
ECO.1.1.10). Every case is refused with a clear sentence, and no credential is ever sent.

Each bad server is first shown to be reachable by a permissive client, so that the refusal is
the policy's doing and not a broken test server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.domain.account import Endpoint, TlsMode
from app.errors import UserFacingError
from app.protocols import tls

# Old protocol versions are set on purpose to build the bad servers.
pytestmark = [pytest.mark.sandbox,
              pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")]

HOST = "127.0.0.1"
NOW = dt.datetime.now(dt.UTC)


# --- a tiny TLS server ---------------------------------------------------------------------------

class TlsServer:
    """Accepts connections in a thread; greets like IMAP after a successful handshake."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.sock = socket.create_server((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.handshakes: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls_conn:
                    self.handshakes.append(str(tls_conn.version()))
                    tls_conn.sendall(b"* OK test server ready\r\n")
                    with contextlib.suppress(OSError):
                        tls_conn.recv(1024)
            except (ssl.SSLError, OSError):
                conn.close()

    def close(self) -> None:
        self.sock.close()


def connect(port: int, context: ssl.SSLContext) -> str:
    with socket.create_connection((HOST, port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=HOST) as conn:
        return str(conn.version())


def refused(port: int, context: ssl.SSLContext) -> tls.TlsPolicyError:
    """Connect with the policy's context; return the clear error it gives."""
    with pytest.raises(ssl.SSLError) as raised:
        connect(port, context)
    return tls.describe_tls_error(raised.value, f"{HOST}:{port}")


def permissive() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


@pytest.fixture
def serve() -> Iterator[Callable[[ssl.SSLContext], TlsServer]]:
    servers: list[TlsServer] = []

    def start(context: ssl.SSLContext) -> TlsServer:
        server = TlsServer(context)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def server_context(pki: dict[str, str], cert: str | None = None, key: str | None = None,
                   ) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert or pki["server_chain"], key or pki["server_key"])
    return context


def issue(pki: dict[str, str], tmp_path: Path, name: str, *, expired: bool = False,
          self_signed: bool = False) -> tuple[str, str, x509.Certificate]:
    """A server certificate for 127.0.0.1: from the sandbox CA (maybe expired) or self-signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    if self_signed:
        issuer_name, signing_key = subject, key
    else:
        ca_cert = x509.load_pem_x509_certificate(Path(pki["ca_file"]).read_bytes())
        ca_key = serialization.load_pem_private_key(Path(pki["ca_key"]).read_bytes(), None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        issuer_name, signing_key = ca_cert.subject, ca_key
    start, end = (NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1)) if expired else (
        NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=30))
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.SubjectAlternativeName(
                   [x509.IPAddress(__import__("ipaddress").ip_address(HOST))]), critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                              critical=False))
    if not self_signed:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            signing_key.public_key()), critical=False)  # type: ignore[arg-type]
    cert = builder.sign(signing_key, hashes.SHA256())
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path), cert


def crl(pki: dict[str, str], tmp_path: Path, revoked: list[x509.Certificate]) -> Path:
    ca_cert = x509.load_pem_x509_certificate(Path(pki["ca_file"]).read_bytes())
    ca_key = serialization.load_pem_private_key(Path(pki["ca_key"]).read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(NOW - dt.timedelta(hours=1)).next_update(NOW + dt.timedelta(days=7)))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(NOW - dt.timedelta(minutes=5)).build())
    path = tmp_path / f"ca-{len(revoked)}.crl"
    path.write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM))
    return path


# --- protocol version, self-signed, expired, revoked --------------------------------------------

def test_a_server_offering_only_tls11_is_refused(sandbox: dict[str, Any],
                                                 serve: Callable[[ssl.SSLContext], TlsServer]
                                                 ) -> None:
    """ECO.1.1.1: TLS 1.2 at least."""
    context = server_context(sandbox["pki"])
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    server = serve(context)
    try:
        assert connect(server.port, permissive()) == "TLSv1.1"
    except ssl.SSLError:
        pytest.skip("this OpenSSL build cannot speak TLS 1.1 at all, even to a permissive client")
    error = refused(server.port, tls.client_context(sandbox["ca_file"]))
    assert "TLS 1.2" in error.message
    assert server.handshakes == ["TLSv1.1"]  # only the permissive client got through


def test_a_self_signed_server_is_refused(sandbox: dict[str, Any], tmp_path: Path,
                                         serve: Callable[[ssl.SSLContext], TlsServer]) -> None:
    """ECO.1.1.10: only the trust anchors (IGC-Santé, the sandbox CA) are accepted."""
    cert, key, _ = issue(sandbox["pki"], tmp_path, "self", self_signed=True)
    server = serve(server_context(sandbox["pki"], cert, key))
    assert connect(server.port, permissive()).startswith("TLSv1.")
    error = refused(server.port, tls.client_context(sandbox["ca_file"]))
    assert "auto-signé" in error.message


def test_an_expired_server_certificate_is_refused(sandbox: dict[str, Any], tmp_path: Path,
                                                  serve: Callable[[ssl.SSLContext], TlsServer]
                                                  ) -> None:
    """ECO.1.1.5: certificate expiry is checked."""
    cert, key, _ = issue(sandbox["pki"], tmp_path, "expired", expired=True)
    server = serve(server_context(sandbox["pki"], cert, key))
    assert connect(server.port, permissive()).startswith("TLSv1.")
    error = refused(server.port, tls.client_context(sandbox["ca_file"]))
    assert "a expiré" in error.message


def test_a_revoked_server_certificate_is_refused_when_a_crl_is_given(
        sandbox: dict[str, Any], tmp_path: Path,
        serve: Callable[[ssl.SSLContext], TlsServer]) -> None:
    """ECO.1.1.6: revocation checked against the CRL; a CRL not listing it lets it through."""
    cert, key, certificate = issue(sandbox["pki"], tmp_path, "revoked")
    server = serve(server_context(sandbox["pki"], cert, key))
    assert connect(server.port, tls.client_context(sandbox["ca_file"])) in ("TLSv1.2", "TLSv1.3")
    clean = crl(sandbox["pki"], tmp_path, [])
    assert connect(server.port, tls.client_context(sandbox["ca_file"], crl_files=[clean]))
    listed = crl(sandbox["pki"], tmp_path, [certificate])
    error = refused(server.port, tls.client_context(sandbox["ca_file"], crl_files=[listed]))
    assert "révoqué" in error.message


# --- STARTTLS stripping --------------------------------------------------------------------------

class LineProxy:
    """A man in the middle before a real server's plaintext port, line by line: ``server_line``
    may drop or rewrite what the server says, ``client_line`` may answer a command itself
    (returning the answer) instead of passing it on. Every client line is recorded."""

    def __init__(self, upstream: tuple[str, int], mode: str) -> None:
        self.upstream = upstream
        self.mode = mode
        self.commands: list[bytes] = []
        self.sock = socket.create_server((HOST, 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def server_line(self, line: bytes) -> bytes | None:
        return line

    def client_line(self, line: bytes) -> bytes | None:
        return None

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream, timeout=10)
            threading.Thread(target=self._down, args=(server, client), daemon=True).start()
            threading.Thread(target=self._up, args=(client, server), daemon=True).start()

    def _down(self, server: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError), server.makefile("rb") as lines:
            for line in lines:
                passed = self.server_line(line)
                if passed is not None:
                    client.sendall(passed)
        with contextlib.suppress(OSError):
            client.close()

    def _up(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError), client.makefile("rb") as lines:
            for line in lines:
                self.commands.append(line)
                answer = self.client_line(line)
                if answer is not None:
                    client.sendall(answer)
                    continue
                server.sendall(line)
        with contextlib.suppress(OSError):
            server.close()

    def close(self) -> None:
        self.sock.close()


class StrippingProxy(LineProxy):
    """Before Dovecot's STARTTLS port. ``mode="hide"`` removes STARTTLS from every capability
    list; ``mode="bad"`` keeps it advertised but answers BAD to the STARTTLS command."""

    def server_line(self, line: bytes) -> bytes | None:
        return line.replace(b" STARTTLS", b"") if self.mode == "hide" else line

    def client_line(self, line: bytes) -> bytes | None:
        parts = line.split()
        if len(parts) >= 2 and parts[1].upper() == b"STARTTLS":
            return parts[0] + b" BAD STARTTLS is not available here\r\n"
        return None

    def credentials_sent(self) -> bool:
        words = (b"LOGIN", b"AUTHENTICATE")
        return any(len(c.split()) >= 2 and c.split()[1].upper() in words for c in self.commands)


@pytest.fixture
def proxy(sandbox: dict[str, Any]) -> Iterator[Callable[[str], StrippingProxy]]:
    made: list[StrippingProxy] = []

    def make(mode: str) -> StrippingProxy:
        endpoint = sandbox["imap"]
        made.append(StrippingProxy((endpoint["host"], endpoint["port"]), mode))
        return made[-1]

    yield make
    for item in made:
        item.close()


def test_the_proxy_really_strips_starttls(sandbox: dict[str, Any],
                                          proxy: Callable[[str], StrippingProxy]) -> None:
    from imapclient import IMAPClient

    hidden = proxy("hide")
    client = IMAPClient(HOST, port=hidden.port, ssl=False, timeout=10)
    capabilities = client.capabilities()
    client.shutdown()
    assert b"STARTTLS" not in capabilities
    assert b"AUTH=PLAIN" in capabilities  # Dovecot would take a password in plaintext here


def test_policy_refuses_a_server_without_starttls(sandbox: dict[str, Any],
                                                  proxy: Callable[[str], StrippingProxy]) -> None:
    """ECO.1.0.1: STARTTLS mandatory; never a plaintext fallback nor credentials before TLS."""
    from imapclient import IMAPClient

    hidden = proxy("hide")
    client = IMAPClient(HOST, port=hidden.port, ssl=False, timeout=10)
    try:
        with pytest.raises(tls.TlsPolicyError, match="STARTTLS"):
            tls.require_starttls(client.capabilities(), f"{HOST}:{hidden.port}")
    finally:
        client.shutdown()
    assert not hidden.credentials_sent()


@pytest.mark.parametrize("mode", ["hide", "bad"])
def test_the_imap_adapter_refuses_a_stripped_or_failed_starttls(
        sandbox: dict[str, Any], proxy: Callable[[str], StrippingProxy], mode: str) -> None:
    """ECO.1.0.1: through the IMAP adapter, a stripped or failed STARTTLS is refused with a
    clear error, and no LOGIN is ever sent."""
    connection_module = pytest.importorskip("app.protocols.imap.connection")
    stripped = proxy(mode)
    connection = connection_module.ImapConnection(
        endpoint=Endpoint(host=HOST, port=stripped.port, tls=TlsMode.STARTTLS),
        ca_file=sandbox["ca_file"], timeout=10)
    try:
        with pytest.raises(UserFacingError) as error:
            connection.connect()
            connection.login("jean.martin@x", "not-sent")
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    assert error.value.message
    assert not stripped.credentials_sent()
    if mode == "bad":
        assert any(c.split()[1:2] == [b"STARTTLS"] for c in stripped.commands)


def test_the_sandbox_dovecot_through_the_policy_context(sandbox: dict[str, Any]) -> None:
    """Control case: the real server passes the same policy (STARTTLS, then TLS ≥ 1.2)."""
    from imapclient import IMAPClient

    endpoint = sandbox["imap"]
    client = IMAPClient(endpoint["host"], port=endpoint["port"], ssl=False, timeout=10)
    try:
        tls.require_starttls(client.capabilities())
        client.starttls(tls.client_context(sandbox["ca_file"]))
        assert client._imap.sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        client.shutdown()


# --- SMTP submission (ECO.1.0.2) ------------------------------------------------------------------


class SmtpStrippingProxy(LineProxy):
    """Before Postfix's submission port. ``mode="hide"`` drops the ``250-STARTTLS`` line of
    every EHLO answer; ``mode="bad"`` keeps it advertised but answers ``454`` to STARTTLS."""

    def server_line(self, line: bytes) -> bytes | None:
        if self.mode == "hide" and line.upper().startswith(b"250-STARTTLS"):
            return None
        return line

    def client_line(self, line: bytes) -> bytes | None:
        if self.mode == "bad" and line.strip().upper() == b"STARTTLS":
            return b"454 4.7.0 TLS not available due to local problem\r\n"
        return None

    def verbs(self) -> list[bytes]:
        return [c.split()[0].upper() for c in self.commands if c.split()]


@pytest.mark.parametrize("mode", ["hide", "bad"])
def test_submission_refuses_a_stripped_or_failed_starttls(sandbox: dict[str, Any],
                                                          mode: str) -> None:
    """ECO.1.0.2: SMTP submission over STARTTLS only. When STARTTLS is stripped from the EHLO
    answer or refused, the submitter stops with a clear French error: no AUTH, no MAIL FROM, no
    message content ever leaves in plaintext."""
    import asyncio

    from app.protocols.smtp.submission import SmtpAccount, SmtpError, SmtpSubmitter

    endpoint = sandbox["submission"]
    proxy = SmtpStrippingProxy((endpoint["host"], int(endpoint["port"])), mode)
    submitter = SmtpSubmitter(account=SmtpAccount(
        host=HOST, port=proxy.port, implicit_tls=False, login="jean.martin@x",
        password="jamais-envoye", ca_file=sandbox["ca_file"], timeout=10))
    data = b"Subject: secret\r\nMessage-ID: <t@x>\r\n\r\nCompte rendu confidentiel\r\n"
    try:
        with pytest.raises(SmtpError) as error:
            asyncio.run(submitter.submit(envelope_from="jean.martin@x",
                                         recipients=["claire.bernard@x"], data=data,
                                         message_id="<t@x>"))
    finally:
        proxy.close()
    assert error.value.message  # French, for the user
    verbs = proxy.verbs()
    assert verbs and verbs[0] in (b"EHLO", b"HELO")
    for forbidden in (b"AUTH", b"MAIL", b"RCPT", b"DATA"):
        assert forbidden not in verbs, verbs
    assert not any(b"confidentiel" in c or b"jamais" in c for c in proxy.commands)
    if mode == "bad":
        assert b"STARTTLS" in verbs
    else:
        assert b"STARTTLS" not in verbs
        assert "STARTTLS" in error.value.message


def test_the_smtp_proxy_really_strips_starttls(sandbox: dict[str, Any]) -> None:
    """The test above would prove nothing if Postfix's EHLO answer still reached the client
    with STARTTLS in it."""
    import smtplib

    endpoint = sandbox["submission"]
    proxy = SmtpStrippingProxy((endpoint["host"], int(endpoint["port"])), "hide")
    try:
        client = smtplib.SMTP(HOST, proxy.port, timeout=10)
        client.ehlo("test")
        assert not client.has_extn("starttls")
        assert client.esmtp_features  # the rest of the answer still arrives
        client.quit()
        direct = smtplib.SMTP(endpoint["host"], int(endpoint["port"]), timeout=10)
        direct.ehlo("test")
        assert direct.has_extn("starttls")
        direct.quit()
    finally:
        proxy.close()
