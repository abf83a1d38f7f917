"""The sandbox's supporting services work as the client will use them: the hospital LDAP (StartTLS,
LDAPS, anonymous, paged), the SoftHSM token standing in for the CPS card, and the whitelist
published over HTTPS in the ANS format."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ldap
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from ldap.controls import SimplePagedResultsControl

from tests.sandbox import demo_world, orchestrator, pki, static_https, whitelist_file
from tests.sandbox.common import SandboxContext
from tests.sandbox.slapd import EXTRA_PEOPLE

NS = {"lb": whitelist_file.NAMESPACE}
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PROFESSIONAL_DOMAINS = tuple(d for d in demo_world.SANDBOX_DOMAINS
                             if d != demo_world.PATIENT_DOMAIN)


# --- LDAP --------------------------------------------------------------------------------------

def _ldap(uri: str, ca_file: str) -> Any:
    conn = ldap.initialize(uri)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
    conn.set_option(ldap.OPT_X_TLS_CACERTFILE, ca_file)
    conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
    conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # apply the TLS options above to this connection
    return conn


def _find_by_mail(conn: Any, base_dn: str, mail: str) -> list[tuple[str, dict[str, list[bytes]]]]:
    from ldap.filter import escape_filter_chars

    found = conn.search_s(base_dn, ldap.SCOPE_SUBTREE, f"(mail={escape_filter_chars(mail)})")
    return [(dn, attrs) for dn, attrs in found if dn]


def _text(attrs: dict[str, list[bytes]], name: str) -> str:
    return attrs[name][0].decode("utf-8")


@pytest.mark.sandbox
def test_ldap_starttls_service_account_finds_dr_martin_by_mail(sandbox: dict[str, Any]) -> None:
    info = sandbox["ldap"]
    conn = _ldap(info["uri"], sandbox["ca_file"])
    conn.start_tls_s()
    conn.simple_bind_s(info["bind_dn"], info["bind_password"])
    gp = demo_world.DR_MARTIN
    entries = _find_by_mail(conn, info["base_dn"], gp.login)
    assert len(entries) == 1
    _, attrs = entries[0]
    assert _text(attrs, "sn") == gp.family_name
    assert _text(attrs, "givenName") == gp.given_name
    assert _text(attrs, "employeeNumber") == gp.rpps
    assert _text(attrs, "employeeType") == "PER"
    assert _text(attrs, "o") == gp.structure  # UTF-8 survives: "Cabinet médical Rivoli"
    assert _text(attrs, "postalCode") == gp.postcode
    assert gp.profession in _text(attrs, "description")
    conn.unbind_s()


@pytest.mark.sandbox
def test_ldaps_anonymous_search_finds_every_demo_mailbox(sandbox: dict[str, Any]) -> None:
    info = sandbox["ldap"]
    conn = _ldap(info["ldaps_uri"], sandbox["ca_file"])
    for box in demo_world.MAILBOXES:
        entries = _find_by_mail(conn, info["base_dn"], box.address)
        assert len(entries) == 1, box.address
        assert _text(entries[0][1], "employeeType") == box.kind
    conn.unbind_s()


@pytest.mark.sandbox
def test_ldap_anonymous_cannot_read_passwords_nor_write(sandbox: dict[str, Any]) -> None:
    info = sandbox["ldap"]
    conn = _ldap(info["uri"], sandbox["ca_file"])
    conn.start_tls_s()
    found = conn.search_s(info["bind_dn"], ldap.SCOPE_BASE, "(objectClass=*)", ["userPassword"])
    assert found and "userPassword" not in found[0][1]
    conn.simple_bind_s(info["bind_dn"], info["bind_password"])
    dn = _find_by_mail(conn, info["base_dn"], demo_world.DR_MARTIN.login)[0][0]
    with pytest.raises(ldap.INSUFFICIENT_ACCESS):  # the service account is read-only
        conn.modify_s(dn, [(ldap.MOD_REPLACE, "l", [b"Paris"])])
    conn.unbind_s()


@pytest.mark.sandbox
def test_ldap_bad_bind_is_refused(sandbox: dict[str, Any]) -> None:
    info = sandbox["ldap"]
    conn = _ldap(info["ldaps_uri"], sandbox["ca_file"])
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        conn.simple_bind_s(info["bind_dn"], info["bind_password"] + "x")
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        conn.simple_bind_s(f"uid={demo_world.DR_MARTIN.login},ou=people,{info['base_dn']}",
                           demo_world.DR_MARTIN.password)  # no userPassword: no bind as a person
    conn.unbind_s()


@pytest.mark.sandbox
def test_ldap_tls_refuses_a_server_outside_the_trusted_ca(sandbox: dict[str, Any]) -> None:
    """The TLS settings above really verify: with only the public CAs, the handshake fails."""
    info = sandbox["ldap"]
    conn = _ldap(info["ldaps_uri"], SYSTEM_CA_BUNDLE)
    with pytest.raises((ldap.SERVER_DOWN, ldap.CONNECT_ERROR)):
        conn.simple_bind_s("", "")


@pytest.mark.sandbox
def test_ldap_paged_search_pages_over_the_directory(sandbox: dict[str, Any]) -> None:
    info = sandbox["ldap"]
    conn = _ldap(info["uri"], sandbox["ca_file"])
    conn.start_tls_s()
    page = SimplePagedResultsControl(True, size=10, cookie=b"")
    mails: list[str] = []
    pages = 0
    while True:
        msgid = conn.search_ext(info["base_dn"], ldap.SCOPE_SUBTREE, "(employeeType=*)",
                                ["mail"], serverctrls=[page])
        _, data, _, controls = conn.result3(msgid)
        pages += 1
        mails += [attrs["mail"][0].decode() for dn, attrs in data if dn]
        cookie = next(c.cookie for c in controls
                      if c.controlType == SimplePagedResultsControl.controlType)
        if not cookie:
            break
        page.cookie = cookie
    assert len(mails) == len(set(mails)) >= len(demo_world.MAILBOXES) + EXTRA_PEOPLE
    assert pages >= 4
    assert all(m.endswith(".mssante.fr") for m in mails)


# --- SoftHSM: the CPS card -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def card_token(sandbox: dict[str, Any]) -> Any:
    import pkcs11

    info = sandbox["softhsm"]
    # SoftHSM reads its configuration when the module is initialised, i.e. in pkcs11.lib().
    os.environ["SOFTHSM2_CONF"] = info["conf"]
    lib = pkcs11.lib(info["module"])
    return lib.get_token(token_label=info["token_label"])


@pytest.mark.sandbox
def test_card_certificate_carries_the_national_id(sandbox: dict[str, Any], card_token: Any) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    gp = demo_world.DR_MARTIN
    # Reading the certificate needs no PIN, as with a real CPS card (identification first).
    with card_token.open() as session:
        certs = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
        assert len(certs) == 1
        cert = x509.load_der_x509_certificate(bytes(certs[0][Attribute.VALUE]))
        assert certs[0][Attribute.LABEL] == sandbox["softhsm"]["object_label"]
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert gp.national_id == "810001234567"
    assert str(cn).split("/")[0] == gp.national_id
    # With the PIN, the private key under the same id signs what the certificate verifies.
    with card_token.open(user_pin=sandbox["softhsm"]["pin"]) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY,
                              id=bytes.fromhex(sandbox["softhsm"]["object_id"]))
        signature = key.sign(b"estafette", mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS)
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"estafette", padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.sandbox
def test_card_wrong_pin_is_refused(sandbox: dict[str, Any], card_token: Any) -> None:
    import pkcs11

    pin = sandbox["softhsm"]["pin"]
    wrong = f"{(int(pin) + 1) % 10_000:04d}"
    with pytest.raises(pkcs11.PinIncorrect), card_token.open(user_pin=wrong):
        pass


# --- The whitelist over HTTPS --------------------------------------------------------------------

def _client(ca_file: str) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=ca_file), timeout=10)


@pytest.mark.sandbox
def test_whitelist_is_published_over_https_with_its_checksum(sandbox: dict[str, Any]) -> None:
    """MSSANTE.md §1: ANS format, SHA-256 ``checksum`` beside it."""
    with _client(sandbox["ca_file"]) as client:
        body = client.get(sandbox["whitelist_url"]).raise_for_status().content
        checksum = client.get(sandbox["whitelist_checksum_url"]).raise_for_status().text
    assert checksum == hashlib.sha256(body).hexdigest()
    root = ET.fromstring(body)
    assert root.tag == f"{{{whitelist_file.NAMESPACE}}}ListeBlancheMSSante"
    assert root.find("lb:DateDeGeneration", NS) is not None
    domains = root.findall("lb:ListeDomaines/lb:Domaine", NS)
    names = {d.findtext("lb:Nom", namespaces=NS) for d in domains}
    assert names == set(demo_world.WHITELISTED_DOMAINS)
    server = x509.load_pem_x509_certificate(Path(sandbox["pki"]["server_cert"]).read_bytes())
    for domain in domains:
        assert domain.findtext("lb:DNCertificatOperateur", namespaces=NS) == \
            server.subject.rfc4514_string()
        for tag in ("Description", "ResponsableContact", "SupportContact", "DateMAJ"):
            assert domain.findtext(f"lb:{tag}", namespaces=NS)


@pytest.mark.sandbox
def test_whitelist_server_is_not_trusted_without_the_sandbox_ca(sandbox: dict[str, Any]) -> None:
    with _client(SYSTEM_CA_BUNDLE) as client, pytest.raises(httpx.ConnectError):
        client.get(sandbox["whitelist_url"])


_NOM = re.compile(rb"<Nom>([^<]*)</Nom>")


@pytest.mark.corpus
def test_demo_professional_domains_are_not_in_the_real_whitelist(corpus: Path) -> None:
    """Sandbox addresses can never be mistaken for real ones (MSSANTE.md §1)."""
    real = (corpus / "whitelist" / "listeblanchemssante.xml").read_bytes()
    # The real file lacks its closing root tag (not well-formed), hence a scan instead of a parse.
    found = [m.group(1).decode().strip().lower() for m in _NOM.finditer(real)]
    assert len(found) == real.count(b"<Domaine>") > 600
    names = set(found)  # the real list repeats some domains (516 distinct of 619) and has capitals
    assert not names & set(PROFESSIONAL_DOMAINS)


@pytest.mark.corpus
def test_sandbox_whitelist_files_have_the_real_publication_shape(corpus: Path,
                                                                  tmp_path: Path) -> None:
    real_xml = (corpus / "whitelist" / "listeblanchemssante.xml").read_bytes()
    real_sum = (corpus / "whitelist" / "checksum").read_bytes()
    assert real_sum.decode() == hashlib.sha256(real_xml).hexdigest()  # no newline, no file name
    xml_path, sum_path = whitelist_file.write(tmp_path, "CN=localhost,O=Estafette Sandbox,C=FR")
    assert sum_path.read_bytes() == hashlib.sha256(xml_path.read_bytes()).hexdigest().encode()
    assert xml_path.read_bytes().splitlines()[0] == real_xml.splitlines()[0]
    real_domain = real_xml.split(b"<Domaine>")[1].split(b"</Domaine>")[0]
    ours = xml_path.read_bytes().split(b"<Domaine>")[1].split(b"</Domaine>")[0]
    tags = re.compile(rb"^\s*<(\w+)>", re.MULTILINE)
    assert tags.findall(ours) == tags.findall(real_domain)


# --- The static server stays inside its root -----------------------------------------------------

@pytest.fixture(scope="module")
def static_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A static server of its own, with a secret beside its root (what traversal would reach)."""
    base = tmp_path_factory.mktemp("static")
    ctx = SandboxContext(base)
    try:
        pki.create(ctx)
        (base / "secret.txt").write_text("SECRET-OUTSIDE-ROOT")
        static_https.start(ctx)
        yield {"port": ctx.ports["https"], "ca_file": ctx.pki["ca_file"]}
    finally:
        orchestrator.down(base)


def _raw_get(server: dict[str, Any], target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written (httpx would normalise the dots away)."""
    context = ssl.create_default_context(cafile=server["ca_file"])
    conn = http.client.HTTPSConnection("localhost", server["port"], context=context, timeout=10)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.sandbox
@pytest.mark.parametrize("target", [
    "/../secret.txt",
    "/listeblanche/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/listeblanche/%252e%252e/%252e%252e/secret.txt",
    "/listeblanche/..\\..\\secret.txt",
    "/../pki/server.key",
])
def test_static_server_refuses_traversal(static_server: dict[str, Any], target: str) -> None:
    status, body = _raw_get(static_server, target)
    assert status == 403
    assert b"SECRET-OUTSIDE-ROOT" not in body and b"PRIVATE KEY" not in body


@pytest.mark.sandbox
def test_static_server_serves_files_under_its_root(static_server: dict[str, Any]) -> None:
    status, body = _raw_get(static_server, "/listeblanche/checksum")
    assert status == 200 and re.fullmatch(rb"[0-9a-f]{64}", body)
    status, _ = _raw_get(static_server, "/listeblanche/")
    assert status == 404  # no directory listing
