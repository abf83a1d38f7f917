"""The TLS policy (ECO.1.1.1, ECO.1.1.5–7, ECO.1.1.10), client certificates kept in memory, and the
pure login rules (national identifiers, CPS certificate names)."""

from __future__ import annotations

import datetime as dt
import os
import ssl
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    pkcs12,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.domain.session import card_holder_from_cn, national_id_from, new_binding_code
from app.errors import InvalidInputError
from app.protocols import client_certificate, tls
from app.protocols.client_certificate import CertificateError, load_pkcs12, load_pkcs12_file

NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_leaf(ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, cn: str, *,
              days: int = 30, start_days: int = -1
              ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW + dt.timedelta(days=start_days))
            .not_valid_after(NOW + dt.timedelta(days=days))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


@pytest.fixture(scope="module")
def ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    return make_ca()


@pytest.fixture
def ca_file(tmp_path: Path, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> str:
    path = tmp_path / "ca.pem"
    path.write_bytes(ca[0].public_bytes(Encoding.PEM))
    return str(path)


# --- the context -------------------------------------------------------------------------------

def test_context_requires_tls12_verification_and_host_names(ca_file: str) -> None:
    """ECO.1.1.1: TLS ≥ 1.2; certificates and host names always verified."""
    context = tls.client_context(ca_file)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert not context.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF


def test_public_web_cas_are_not_trusted(ca_file: str) -> None:
    """ECO.1.1.10: only IGC-Santé (shipped) and the account's CA; no system store."""
    context = tls.client_context(ca_file)
    subjects = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
    shipped = len(list(tls.TRUST_DIR.glob("*.pem"))) if tls.TRUST_DIR.is_dir() else 0
    assert len(subjects) == shipped + 1
    assert {"commonName": "Test CA"} in subjects


def test_a_missing_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="introuvable"):
        tls.client_context(str(tmp_path / "nope.pem"))


@pytest.mark.parametrize("encoding", [Encoding.PEM, Encoding.DER])
def test_a_crl_switches_on_revocation_checking(tmp_path: Path, ca_file: str, encoding: Encoding,
                                               ca: tuple[x509.Certificate,
                                                         ec.EllipticCurvePrivateKey]) -> None:
    """ECO.1.1.6: with a CRL, the server's certificate is checked against it."""
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca[0].subject)
           .last_update(NOW).next_update(NOW + dt.timedelta(days=7)).sign(ca[1], hashes.SHA256()))
    path = tmp_path / "ca.crl"
    path.write_bytes(crl.public_bytes(encoding))
    context = tls.client_context(ca_file, crl_files=[path])
    assert context.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF


def test_a_malformed_crl_is_refused(tmp_path: Path, ca_file: str) -> None:
    """ECO.1.1.6: an unreadable CRL is refused, never silently skipped."""
    path = tmp_path / "bad.crl"
    path.write_bytes(b"not a crl")
    with pytest.raises(InvalidInputError, match="révocation"):
        tls.client_context(ca_file, crl_files=[path])


# --- clear messages -------------------------------------------------------------------------------

def _verify_error(code: int) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code = code
    error.verify_message = "x"
    return error


@pytest.mark.parametrize(("exc", "expected"), [
    (_verify_error(10), "a expiré"),
    (_verify_error(18), "auto-signé"),
    (_verify_error(20), "autorité de confiance"),
    (_verify_error(23), "révoqué"),
    (_verify_error(62), "ne correspond pas au nom"),
    (_verify_error(3), "révocation (CRL)"),
    (ssl.SSLError(1, "[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol"), "TLS 1.2"),
    (ssl.SSLError(1, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version"),
     "TLS 1.2"),
    (ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] certificate required"),
     "certificat client"),
    (ssl.SSLError(1, "[SSL] something else"), "négociation TLS"),
])
def test_tls_failures_become_one_clear_sentence(exc: BaseException, expected: str) -> None:
    error = tls.describe_tls_error(exc, "imap.example.mssante.fr:993")
    assert expected in error.message
    assert "imap.example.mssante.fr:993" in error.message
    assert error.message_en and error.message_en != error.message


def test_starttls_is_required_when_configured() -> None:
    """ECO.1.0.1: no STARTTLS offered -> refused before any authentication."""
    tls.require_starttls([b"IMAP4rev1", b"STARTTLS", b"AUTH=PLAIN"])
    tls.require_starttls(["starttls"])
    with pytest.raises(tls.TlsPolicyError, match="STARTTLS"):
        tls.require_starttls([b"IMAP4rev1", b"AUTH=PLAIN", b"LOGINDISABLED"])


# --- client certificates in memory ----------------------------------------------------------------

def _p12(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], password: str,
         **kwargs: int) -> bytes:
    cert, key = make_leaf(*ca, "resultats@labo.mssante.fr", **kwargs)
    return pkcs12.serialize_key_and_certificates(b"app", key, cert, [ca[0]],
                                                 BestAvailableEncryption(password.encode()))


def test_pkcs12_key_is_loaded_without_touching_the_disk(
        ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], ca_file: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The decrypted key goes through an anonymous memory file, never a path on disk."""
    certificate = load_pkcs12(_p12(ca, "s3cret"), "s3cret")
    assert certificate.subject_cn == "resultats@labo.mssante.fr"
    created: list[str] = []
    real = os.memfd_create
    monkeypatch.setattr(os, "memfd_create",
                        lambda name, flags=0: created.append(name) or real(name, flags))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    context = tls.client_context(ca_file, client_cert=certificate)
    assert isinstance(context, ssl.SSLContext)
    assert created == ["estafette-client-cert"]
    assert list(temp.iterdir()) == []


def test_pkcs12_fallback_keeps_only_ciphertext_on_disk(
        ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], ca_file: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Where memfd is missing: an encrypted key under a one-time password, removed at once."""
    certificate = load_pkcs12(_p12(ca, "pw"), "pw")
    monkeypatch.delattr(os, "memfd_create")
    written: list[bytes] = []
    real = client_certificate._private_temp_file

    def spy(data: bytes):  # type: ignore[no-untyped-def]
        written.append(data)
        return real(data)

    monkeypatch.setattr(client_certificate, "_private_temp_file", spy)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    tls.client_context(ca_file, client_cert=certificate)
    assert written and b"ENCRYPTED PRIVATE KEY" in written[0]
    assert b"BEGIN PRIVATE KEY" not in written[0]
    assert list(temp.iterdir()) == []


def test_pkcs12_wrong_password_is_a_clear_error(
        ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> None:
    with pytest.raises(CertificateError, match="mot de passe"):
        load_pkcs12(_p12(ca, "right"), "wrong")


def test_an_expired_pkcs12_is_refused(tmp_path: Path,
                                      ca: tuple[x509.Certificate,
                                                ec.EllipticCurvePrivateKey]) -> None:
    path = tmp_path / "old.p12"
    path.write_bytes(_p12(ca, "pw", days=-2, start_days=-30))
    with pytest.raises(CertificateError, match="a expiré"):
        load_pkcs12_file(path, "pw")


def test_a_missing_pkcs12_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="introuvable"):
        load_pkcs12_file(tmp_path / "none.p12", "pw")


# --- national identifiers and the CPS card's name -------------------------------------------------

@pytest.mark.parametrize(("typed", "expected"), [
    ("810001234567", "810001234567"), ("10001234567", "810001234567"),
    ("0123456789", "0123456789"), ("123456789", "0123456789"),
    (" 8 1000 1234 567 ", "810001234567"),
])
def test_national_ids(typed: str, expected: str) -> None:
    """PSC login_hint: 8 + RPPS or 0 + ADELI (MSSANTE §4)."""
    assert national_id_from(typed) == expected


@pytest.mark.parametrize("typed", ["", "12345", "910001234567", "abc", "81000123456x"])
def test_bad_national_ids(typed: str) -> None:
    with pytest.raises(InvalidInputError):
        national_id_from(typed)


def test_cps_common_name() -> None:
    holder = card_holder_from_cn("810001234567/Jean MARTIN")
    assert (holder.national_id, holder.display_name) == ("810001234567", "Jean MARTIN")
    with pytest.raises(InvalidInputError):
        card_holder_from_cn("Jean MARTIN")


def test_binding_codes_are_two_digits() -> None:
    codes = {new_binding_code() for _ in range(300)}
    assert all(len(c) == 2 and c.isdigit() for c in codes)
    assert len(codes) > 20  # random, not a constant
