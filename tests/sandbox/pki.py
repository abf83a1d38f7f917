"""The sandbox's test PKI: a root CA standing in for IGC-Santé and every certificate the servers,
the APP box and the CPS card need. Everything is generated fresh under ``<base>/pki``."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import demo_world
from .common import SandboxContext

_ONE_DAY = dt.timedelta(days=1)
_PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
# The OIDC client certificate's common name, and the password of the sandbox's client PKCS#12
# files other than the lab box's (test data, like demo_world.LAB_CERTIFICATE_PASSWORD).
OIDC_CLIENT_CN = "estafette-ciba-mtls"
CLIENT_P12_PASSWORD = "oidc-client-sandbox"


def _name(**attrs: str) -> x509.Name:
    oids = {
        "C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "CN": NameOID.COMMON_NAME,
        "SN": NameOID.SURNAME, "GN": NameOID.GIVEN_NAME, "T": NameOID.TITLE,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs.items()])


def _write_key(path: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_p12(path: Path, name: bytes, key: _PrivateKey, cert: x509.Certificate,
               chain: list[x509.Certificate]) -> None:
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        name, key, cert, chain,
        serialization.BestAvailableEncryption(CLIENT_P12_PASSWORD.encode())))
    path.chmod(0o600)


class _Authority:
    def __init__(self, common_name: str, days: int = 3650) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = _name(C="FR", O="Estafette Sandbox", OU="IGC-Santé de test", CN=common_name)
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _ONE_DAY).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue(self, subject: x509.Name, *, server_names: tuple[str, ...] = (),
              client: bool = False, rsa_key: bool = False,
              days: int = 825) -> tuple[x509.Certificate, _PrivateKey]:
        key: _PrivateKey
        if rsa_key:
            key = rsa.generate_private_key(65537, 2048)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(self.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _ONE_DAY).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
        )
        if server_names:
            alt: list[x509.GeneralName] = []
            for host in server_names:
                try:
                    alt.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    alt.append(x509.DNSName(host))
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


def create(ctx: SandboxContext) -> None:
    """Generate the PKI under ``<base>/pki`` and record every path in ``ctx.pki``."""
    out = ctx.dir("pki")
    ca = _Authority("AC Racine Estafette Sandbox")
    _write_cert(out / "ca.pem", ca.cert)
    _write_key(out / "ca.key", ca.key)

    server, server_key = ca.issue(_name(C="FR", O="Estafette Sandbox", CN="localhost"),
                                  server_names=("localhost", "127.0.0.1"), rsa_key=True)
    _write_cert(out / "server.pem", server)
    _write_key(out / "server.key", server_key)
    (out / "server-chain.pem").write_bytes(
        server.public_bytes(serialization.Encoding.PEM)
        + ca.cert.public_bytes(serialization.Encoding.PEM))

    # The lab's APP box: a software certificate, as operators issue them, in a PKCS#12 file.
    lab = demo_world.LAB_BOX
    app_cert, app_key = ca.issue(
        _name(C="FR", O="Laboratoire Bioval", OU="MSSanté APP", CN=lab.address), client=True,
        rsa_key=True)
    _write_cert(out / "app-lab.pem", app_cert)
    _write_key(out / "app-lab.key", app_key)
    (out / "app-lab.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"app-lab", app_key, app_cert, [ca.cert],
        serialization.BestAvailableEncryption(demo_world.LAB_CERTIFICATE_PASSWORD.encode())))

    # A certificate for the same box from another CA: what a server must refuse.
    rogue = _Authority("AC Inconnue")
    rogue_cert, rogue_key = rogue.issue(_name(C="FR", O="Inconnu", CN=lab.address), client=True,
                                        rsa_key=True)
    _write_cert(out / "rogue-client.pem", rogue_cert)
    _write_key(out / "rogue-client.key", rogue_key)

    # The CPS card's authentication certificate: national id (8 + RPPS) and the holder's name.
    gp = demo_world.DR_MARTIN
    card_cert, card_key = ca.issue(
        _name(C="FR", O=gp.structure, OU="CPS", T=gp.profession, SN=gp.family_name.upper(),
              GN=gp.given_name, CN=f"{gp.national_id}/{gp.given_name} {gp.family_name.upper()}"),
        client=True, rsa_key=True)
    _write_cert(out / "card.pem", card_cert)
    _write_key(out / "card.key", card_key)
    card_der = card_cert.public_bytes(serialization.Encoding.DER)
    (out / "card.der").write_bytes(card_der)

    # The desktop client's certificate for Pro Santé Connect's tls_client_auth (RFC 8705, the
    # "Espace de Confiance" way), as a PKCS#12 the client loads into memory; ASCII-only DN so that
    # the provider can compare it with the registered tls_client_auth_subject_dn as a plain string.
    oidc_subject = _name(C="FR", O="Estafette Sandbox", OU="Pro Sante Connect client",
                         CN=OIDC_CLIENT_CN)
    oidc_cert, oidc_key = ca.issue(oidc_subject, client=True, rsa_key=True)
    _write_cert(out / "oidc-client.pem", oidc_cert)
    _write_key(out / "oidc-client.key", oidc_key)
    _write_p12(out / "oidc-client.p12", b"oidc-client", oidc_key, oidc_cert, [ca.cert])
    # The same subject DN from the unknown CA: the provider must refuse it on the chain alone.
    rogue_oidc_cert, rogue_oidc_key = rogue.issue(oidc_subject, client=True, rsa_key=True)
    _write_p12(out / "rogue-oidc-client.p12", b"rogue-oidc-client", rogue_oidc_key,
               rogue_oidc_cert, [rogue.cert])
    _write_p12(out / "rogue-client.p12", b"rogue-client", rogue_key, rogue_cert, [rogue.cert])

    ctx.pki.update({
        "oidc_client_cert": str(out / "oidc-client.pem"),
        "oidc_client_key": str(out / "oidc-client.key"),
        "oidc_client_p12": str(out / "oidc-client.p12"),
        "oidc_client_subject_dn": oidc_subject.rfc4514_string(),
        "rogue_oidc_client_p12": str(out / "rogue-oidc-client.p12"),
        "rogue_client_p12": str(out / "rogue-client.p12"),
        "client_p12_password": CLIENT_P12_PASSWORD,
    })
    ctx.pki.update({
        "ca_file": str(out / "ca.pem"), "ca_key": str(out / "ca.key"),
        "server_cert": str(out / "server.pem"), "server_key": str(out / "server.key"),
        "server_chain": str(out / "server-chain.pem"),
        "app_cert": str(out / "app-lab.pem"), "app_key": str(out / "app-lab.key"),
        "app_p12": str(out / "app-lab.p12"),
        "rogue_client_cert": str(out / "rogue-client.pem"),
        "rogue_client_key": str(out / "rogue-client.key"),
        "card_cert": str(out / "card.pem"), "card_cert_der": str(out / "card.der"),
        "card_key": str(out / "card.key"),
    })
