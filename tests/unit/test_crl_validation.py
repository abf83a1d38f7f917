"""The rules a downloaded CRL must pass before it may replace the kept one
(``app.protocols.crl_fetch``): format, issuer, signature, dates, replay, and the download's own
limits (HTTP status, size, redirects) against a real local HTTP server."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from app.errors import InvalidInputError
from app.protocols import crl_fetch
from app.protocols.crl_fetch import (
    CrlDownloadError,
    CrlFacts,
    CrlUnreachableError,
    CrlValidationError,
    crl_facts,
    download_crl,
    issuer_id,
    parse_crl,
    validate_crl,
)

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Authority:
    def __init__(self, cn: str = "AC Test IGC-Santé", *, crl_sign: bool = True,
                 ca: bool = True) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(cn)
        self.cert = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - 365 * DAY).not_valid_after(NOW + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                crl_sign=crl_sign, encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256()))

    def crl(self, *, this_update: dt.datetime = NOW - HOUR,
            next_update: dt.datetime = NOW + 7 * DAY, number: int | None = None,
            revoked: tuple[int, ...] = (), delta: int | None = None,
            key: ec.EllipticCurvePrivateKey | None = None,
            issuer: x509.Name | None = None) -> x509.CertificateRevocationList:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer or self.name)
                   .last_update(this_update).next_update(next_update))
        if number is not None:
            builder = builder.add_extension(x509.CRLNumber(number), critical=False)
        if delta is not None:
            builder = builder.add_extension(x509.DeltaCRLIndicator(delta), critical=True)
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(this_update).build())
        return builder.sign(key or self.key, hashes.SHA256())


@pytest.fixture(scope="module")
def ca() -> Authority:
    return Authority()


def check(crl: x509.CertificateRevocationList, ca: Authority, *,
          kept: dict[str, CrlFacts] | None = None, now: dt.datetime = NOW,
          issuers: list[x509.Certificate] | None = None,
          expected: x509.Certificate | None = None) -> crl_fetch.ValidatedCrl:
    der = crl.public_bytes(Encoding.DER)
    return validate_crl(parse_crl(der, source="http://crl.test/ac.crl"),
                        issuers=issuers if issuers is not None else [ca.cert], now=now,
                        kept=kept or {}, source="http://crl.test/ac.crl",
                        expected_issuer=expected)


# --- format ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", [Encoding.PEM, Encoding.DER])
def test_a_pem_or_der_crl_of_a_trusted_issuer_is_accepted(ca: Authority,
                                                          encoding: Encoding) -> None:
    """ECO.1.1.7: a CRL (PEM or DER) signed by its trusted issuer, current, is accepted to be kept,
    with its dates and number, under its issuer's id."""
    crl = ca.crl(number=7, revoked=(1234,))
    parsed = parse_crl(crl.public_bytes(encoding))
    validated = validate_crl(parsed, issuers=[ca.cert], now=NOW, kept={})
    assert validated.issuer_id == issuer_id(ca.cert)
    assert validated.facts == CrlFacts(ca.name.rfc4514_string(), NOW - HOUR, NOW + 7 * DAY, 7)
    assert x509.load_pem_x509_crl(validated.pem()).get_revoked_certificate_by_serial_number(1234)


@pytest.mark.parametrize("body", [
    b"",
    b"<html>502 Bad Gateway</html>",
    b"\x30\x82\xff\xff\x00",
    b"-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n",
], ids=["empty", "html", "bogus-der", "bogus-pem"])
def test_garbage_is_not_a_crl(body: bytes) -> None:
    """ECO.1.1.7: garbage in place of a CRL is refused with a clear French error."""
    with pytest.raises(CrlValidationError, match="illisible"):
        parse_crl(body, source="http://crl.test/ac.crl")


def test_a_truncated_der_crl_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: a CRL cut short in transit (truncated DER) is refused, never half-read."""
    der = ca.crl(revoked=tuple(range(1, 50))).public_bytes(Encoding.DER)
    for cut in (len(der) // 2, len(der) - 1):
        with pytest.raises(CrlValidationError, match="illisible"):
            parse_crl(der[:cut])


def test_another_pem_object_is_not_a_crl(ca: Authority) -> None:
    """ECO.1.1.7: a certificate served in place of the CRL is refused."""
    with pytest.raises(CrlValidationError, match="PEM ou DER"):
        parse_crl(ca.cert.public_bytes(Encoding.PEM))


# --- issuer and signature -------------------------------------------------------------------------

def test_a_crl_signed_by_another_key_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: a CRL bearing the CA's name but signed by another key is refused (signature
    checked with the issuer's public key)."""
    forger = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(CrlValidationError, match="signature") as raised:
        check(ca.crl(key=forger), ca)
    assert "refusée" in raised.value.message and raised.value.message_en


def test_a_crl_of_an_unknown_issuer_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: a CRL whose issuer is not among the trusted certificates is refused."""
    stranger = Authority("AC Inconnue")
    with pytest.raises(CrlValidationError, match="pas une autorité de confiance"):
        check(stranger.crl(), ca)


def test_the_expected_issuer_must_match(ca: Authority) -> None:
    """ECO.1.1.7: when the source names its issuer, a CRL of another (even trusted) CA is
    refused."""
    other = Authority("AC Autre")
    with pytest.raises(CrlValidationError, match="au lieu de"):
        check(other.crl(), ca, issuers=[ca.cert, other.cert], expected=ca.cert)
    assert check(ca.crl(), ca, expected=ca.cert).issuer_id == issuer_id(ca.cert)


def test_an_issuer_not_allowed_to_sign_crls_is_refused() -> None:
    """ECO.1.1.7: the issuer's key usage must allow CRL signing."""
    no_crl_sign = Authority("AC Sans CRL", crl_sign=False)
    with pytest.raises(CrlValidationError, match="habilitée"):
        check(no_crl_sign.crl(), no_crl_sign)


def test_a_renewed_ca_key_signs_under_its_own_id(ca: Authority) -> None:
    """ECO.1.1.7: two keys under one CA name are two issuers; the CRL is kept under the key that
    really signed it."""
    renewed = Authority("AC Test IGC-Santé")
    validated = check(renewed.crl(), ca, issuers=[ca.cert, renewed.cert])
    assert validated.issuer_id == issuer_id(renewed.cert) != issuer_id(ca.cert)


# --- dates and replay -----------------------------------------------------------------------------

def test_an_expired_crl_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: a CRL whose next update has passed is refused."""
    with pytest.raises(CrlValidationError, match="a expiré"):
        check(ca.crl(this_update=NOW - 8 * DAY, next_update=NOW - DAY), ca)
    with pytest.raises(CrlValidationError, match="a expiré"):
        check(ca.crl(this_update=NOW - DAY, next_update=NOW), ca)  # the very moment it expires


def test_a_crl_from_the_future_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: a CRL not valid yet (clock skew, forged date) is refused, not kept to make
    every handshake fail."""
    with pytest.raises(CrlValidationError, match="horloge"):
        check(ca.crl(this_update=NOW + HOUR), ca)


def test_an_older_crl_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: an older CRL replayed (published before the kept one) is refused."""
    kept = {issuer_id(ca.cert): crl_facts(ca.crl(this_update=NOW - HOUR))}
    with pytest.raises(CrlValidationError, match="plus ancienne"):
        check(ca.crl(this_update=NOW - 2 * HOUR), ca, kept=kept)


def test_a_lower_crl_number_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: a CRL with a lower CRL number than the kept one is refused, whatever its date."""
    kept = {issuer_id(ca.cert): crl_facts(ca.crl(this_update=NOW - 2 * HOUR, number=12))}
    with pytest.raises(CrlValidationError, match="numéro 11"):
        check(ca.crl(this_update=NOW - HOUR, number=11), ca, kept=kept)


def test_the_same_or_a_newer_crl_is_accepted(ca: Authority) -> None:
    """ECO.1.1.7: the same CRL again, or a newer one, may replace the kept one."""
    kept = {issuer_id(ca.cert): crl_facts(ca.crl(this_update=NOW - 2 * HOUR, number=12))}
    assert check(ca.crl(this_update=NOW - 2 * HOUR, number=12), ca, kept=kept)
    assert check(ca.crl(this_update=NOW - HOUR, number=13), ca, kept=kept).facts.number == 13
    # Another issuer's kept CRL says nothing about this one.
    other = {"0" * 32: crl_facts(ca.crl(this_update=NOW - HOUR / 2, number=99))}
    assert check(ca.crl(this_update=NOW - HOUR, number=1), ca, kept=other)


def test_a_delta_crl_is_refused(ca: Authority) -> None:
    """ECO.1.1.7: only complete CRLs are kept (a delta alone would drop earlier revocations)."""
    with pytest.raises(CrlValidationError, match="delta"):
        check(ca.crl(number=5, delta=4), ca)


# --- the download ---------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}  # noqa: RUF012

    def do_GET(self) -> None:
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http() -> Iterator[tuple[str, dict[str, Callable[[BaseHTTPRequestHandler], None]]]]:
    """A real HTTP server on 127.0.0.1; tests add routes (path -> handler function)."""
    routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", routes
    finally:
        server.shutdown()
        server.server_close()


def _body(data: bytes, *, length: bool = True) -> Callable[[BaseHTTPRequestHandler], None]:
    def send(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/pkix-crl")
        if length:
            request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
    return send


def _redirect(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def send(request: BaseHTTPRequestHandler) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()
    return send


def test_download_returns_the_body(http: Any, ca: Authority) -> None:
    """ECO.1.1.7: a CRL is downloaded over HTTP as is (its signature is what makes it trusted)."""
    base, routes = http
    der = ca.crl().public_bytes(Encoding.DER)
    routes["/ac.crl"] = _body(der)
    routes["/ac-chunked.crl"] = _body(der, length=False)
    assert download_crl(f"{base}/ac.crl") == der
    assert download_crl(f"{base}/ac-chunked.crl") == der


def test_an_http_error_is_a_clear_error(http: Any) -> None:
    """ECO.1.1.7: an HTTP error status is a clear French error (nothing to keep)."""
    base, _routes = http
    with pytest.raises(CrlDownloadError, match="a répondu 404"):
        download_crl(f"{base}/missing.crl")


def test_an_oversized_body_is_refused(http: Any) -> None:
    """ECO.1.1.7: a body over the size limit is refused, whether announced or streamed."""
    base, routes = http
    routes["/big.crl"] = _body(b"\x00" * 5000)
    routes["/big-chunked.crl"] = _body(b"\x00" * 5000, length=False)
    with pytest.raises(CrlDownloadError, match="annonce 5000 octets"):
        download_crl(f"{base}/big.crl", max_bytes=4096)
    with pytest.raises(CrlDownloadError, match="dépasse 4096 octets"):
        download_crl(f"{base}/big-chunked.crl", max_bytes=4096)


def test_a_redirect_elsewhere_is_refused(http: Any, ca: Authority) -> None:
    """ECO.1.1.7: a redirect to another server (or another scheme) is refused; one to another
    path of the same server is followed."""
    base, routes = http
    der = ca.crl().public_bytes(Encoding.DER)
    routes["/moved.crl"] = _redirect("/ac.crl")
    routes["/ac.crl"] = _body(der)
    routes["/away.crl"] = _redirect("http://crl.elsewhere.test/ac.crl")
    routes["/tls.crl"] = _redirect(base.replace("http:", "https:") + "/ac.crl")
    routes["/loop.crl"] = _redirect("/loop.crl")
    assert download_crl(f"{base}/moved.crl") == der
    with pytest.raises(CrlDownloadError, match="redirection refusée"):
        download_crl(f"{base}/away.crl")
    with pytest.raises(CrlDownloadError, match="redirection refusée"):
        download_crl(f"{base}/tls.crl")
    with pytest.raises(CrlDownloadError, match="trop de fois"):
        download_crl(f"{base}/loop.crl")


def test_an_unreachable_server_is_a_clear_error() -> None:
    """ECO.1.1.7: a server that cannot be reached is a clear French error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connection refused
        with pytest.raises(CrlUnreachableError, match="injoignable"):
            download_crl(f"http://127.0.0.1:{port}/ac.crl", timeout=5)


@pytest.mark.parametrize("url", ["ftp://crl.test/ac.crl", "file:///etc/passwd", "crl.test/ac.crl",
                                 "http:///ac.crl", "http://crl test/ac.crl"])
def test_only_http_urls_are_accepted(url: str) -> None:
    """ECO.1.1.7: only full http(s) URLs are fetched."""
    with pytest.raises(InvalidInputError, match="http:// ou https://"):
        download_crl(url)
