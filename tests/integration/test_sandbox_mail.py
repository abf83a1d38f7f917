"""The sandbox's mail servers behave as the client will rely on: Dovecot (IMAP STARTTLS/IMAPS,
extensions, the ORG box shared by ACL, the APP box's certificate) and Postfix (submission behind
STARTTLS and SASL, delivery to Dovecot by LMTP, nothing outside the sandbox's domains)."""

from __future__ import annotations

import base64
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.sandbox import demo_world

GP = demo_world.DR_MARTIN
COLLEAGUE = demo_world.DR_BERNARD
NURSES = demo_world.CARDIOLOGY_BOX.members
ORG = demo_world.CARDIOLOGY_BOX.address
LAB = demo_world.LAB_BOX.address
TIMEOUT = 10.0
# A generous bound on how long LMTP delivery may take before a test gives up waiting.
DELIVERY_WAIT = 15.0


def _tls(sandbox: dict[str, Any], cert: str | None = None,
         key: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


def _imaps(sandbox: dict[str, Any], cert: str | None = None, key: str | None = None) -> IMAPClient:
    endpoint = sandbox["imaps"]
    return IMAPClient(endpoint["host"], port=endpoint["port"], ssl=True,
                      ssl_context=_tls(sandbox, cert, key), timeout=TIMEOUT)


def _imap_login(sandbox: dict[str, Any], person: demo_world.Person) -> IMAPClient:
    client = _imaps(sandbox)
    client.login(person.login, person.password)
    return client


def _submission(sandbox: dict[str, Any]) -> smtplib.SMTP:
    endpoint = sandbox["submission"]
    smtp = smtplib.SMTP(endpoint["host"], endpoint["port"], timeout=TIMEOUT)
    smtp.ehlo("poste.estafette.test")
    return smtp


def _submit(sandbox: dict[str, Any], sender: demo_world.Person, to: str) -> str:
    """Send one message through submission (STARTTLS + AUTH PLAIN); returns its Message-ID."""
    message_id = f"<{uuid.uuid4()}@estafette.test>"
    msg = EmailMessage()
    msg["From"] = sender.login
    msg["To"] = to
    msg["Subject"] = "Test bac à sable"
    msg["Message-ID"] = message_id
    msg.set_content("Message de test du bac à sable.\n")
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox))
        smtp.ehlo("poste.estafette.test")
        smtp.auth("PLAIN", lambda challenge=None: f"\0{sender.login}\0{sender.password}",
                  initial_response_ok=True)
        smtp.send_message(msg)
    return message_id


def _wait_for(client: IMAPClient, folder: str, message_id: str) -> list[int]:
    """UIDs of the message with ``message_id`` in ``folder``, once LMTP has delivered it."""
    deadline = time.monotonic() + DELIVERY_WAIT
    while True:
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        if uids or time.monotonic() > deadline:
            return list(uids)
        time.sleep(0.1)


def _external(_challenge: bytes) -> bytes:
    return b""  # RFC 4422 EXTERNAL: empty authzid, the certificate names the box


# --- IMAP --------------------------------------------------------------------------------------

@pytest.mark.sandbox
def test_imap_starttls_then_password_login(sandbox: dict[str, Any]) -> None:
    endpoint = sandbox["imap"]
    assert endpoint["tls"] == "starttls"
    with IMAPClient(endpoint["host"], port=endpoint["port"], ssl=False, timeout=TIMEOUT) as client:
        assert b"STARTTLS" in client.capabilities()
        client.starttls(_tls(sandbox))
        client.login(GP.login, GP.password)
        assert client.select_folder("INBOX")[b"UIDVALIDITY"]


@pytest.mark.sandbox
def test_imap_password_refused_before_starttls(sandbox: dict[str, Any]) -> None:
    """Dovecot trusts loopback connections; the sandbox's passdb still wants TLS first, so a
    client that forgets STARTTLS fails here as it would at a real operator."""
    endpoint = sandbox["imap"]
    client = IMAPClient(endpoint["host"], port=endpoint["port"], ssl=False, timeout=TIMEOUT)
    with client, pytest.raises(LoginError):
        client.login(GP.login, GP.password)


@pytest.mark.sandbox
def test_imaps_password_login(sandbox: dict[str, Any]) -> None:
    assert sandbox["imaps"]["tls"] == "implicit"
    with _imap_login(sandbox, COLLEAGUE) as client:
        assert "INBOX" in [name for _flags, _sep, name in client.list_folders()]


@pytest.mark.sandbox
def test_imap_wrong_password_refused(sandbox: dict[str, Any]) -> None:
    with _imaps(sandbox) as client, pytest.raises(LoginError):
        client.login(GP.login, GP.password + "x")


@pytest.mark.sandbox
def test_imap_unknown_user_refused(sandbox: dict[str, Any]) -> None:
    with _imaps(sandbox) as client, pytest.raises(LoginError):
        client.login(f"personne@{demo_world.PRACTICE_RIVOLI}", GP.password)


@pytest.mark.sandbox
def test_imap_server_certificate_checked_against_sandbox_ca(sandbox: dict[str, Any]) -> None:
    """A client trusting only the system CAs must refuse the sandbox server (no silent TLS)."""
    endpoint = sandbox["imaps"]
    system_only = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(endpoint["host"], port=endpoint["port"], ssl=True, ssl_context=system_only,
                   timeout=TIMEOUT)


@pytest.mark.sandbox
def test_imap_capabilities_after_login(sandbox: dict[str, Any]) -> None:
    with _imap_login(sandbox, GP) as client:
        capabilities = set(client.capabilities())
    wanted = {b"CONDSTORE", b"QRESYNC", b"IDLE", b"MOVE", b"SPECIAL-USE", b"QUOTA", b"ACL"}
    assert wanted <= capabilities, wanted - capabilities


@pytest.mark.sandbox
def test_imap_special_use_folders_exist_and_are_subscribed(sandbox: dict[str, Any]) -> None:
    with _imap_login(sandbox, GP) as client:
        uses = {flag for flags, _sep, _name in client.list_folders() for flag in flags}
        subscribed = {name for _flags, _sep, name in client.list_sub_folders()}
    assert {rb"\Sent", rb"\Drafts", rb"\Trash", rb"\Junk", rb"\Archive"} <= uses
    assert {"Sent", "Drafts", "Trash", "Junk", "Archive"} <= subscribed


@pytest.mark.sandbox
def test_imap_quota_root_has_a_storage_limit(sandbox: dict[str, Any]) -> None:
    with _imap_login(sandbox, GP) as client:
        _roots, quotas = client.get_quota_root("INBOX")
    storage = [quota for quota in quotas if quota.resource.upper() == "STORAGE"]
    assert storage and storage[0].limit == 1024 * 1024  # kibibytes: 1 GiB


# --- Submission and delivery -------------------------------------------------------------------

@pytest.mark.sandbox
def test_submission_delivers_by_lmtp_to_recipient_inbox(sandbox: dict[str, Any]) -> None:
    assert sandbox["submission"]["tls"] == "starttls"
    # The lab's APP box receives this module's messages: the seed tests count the INBOX of every
    # person and of the ORG box exactly, so delivering there would break them.
    message_id = _submit(sandbox, GP, LAB)
    pki = sandbox["pki"]
    with _imaps(sandbox, pki["app_cert"], pki["app_key"]) as client:
        client.sasl_login("EXTERNAL", _external)
        uids = _wait_for(client, "INBOX", message_id)
        assert len(uids) == 1
        fetched = client.fetch(uids, [b"ENVELOPE"])[uids[0]][b"ENVELOPE"]
    assert fetched.message_id.decode() == message_id
    assert fetched.from_[0].mailbox.decode() == GP.login.split("@")[0]


@pytest.mark.sandbox
def test_submission_refuses_auth_and_mail_before_starttls(sandbox: dict[str, Any]) -> None:
    with _submission(sandbox) as smtp:
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")
        token = base64.b64encode(f"\0{GP.login}\0{GP.password}".encode()).decode()
        code, _text = smtp.docmd("AUTH", f"PLAIN {token}")
        assert 500 <= code < 600
        code, _text = smtp.docmd("MAIL", f"FROM:<{GP.login}>")
        assert code == 530


@pytest.mark.sandbox
def test_submission_offers_auth_and_dsn_after_starttls(sandbox: dict[str, Any]) -> None:
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox))
        smtp.ehlo("poste.estafette.test")
        mechanisms = set(smtp.esmtp_features.get("auth", "").upper().split())
        assert {"PLAIN", "XOAUTH2", "OAUTHBEARER"} <= mechanisms
        assert "EXTERNAL" not in mechanisms
        assert smtp.has_extn("dsn")


@pytest.mark.sandbox
def test_submission_wrong_password_refused(sandbox: dict[str, Any]) -> None:
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox))
        smtp.ehlo("poste.estafette.test")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login(GP.login, GP.password + "x")


@pytest.mark.sandbox
def test_submission_unauthenticated_sender_refused(sandbox: dict[str, Any]) -> None:
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox))
        smtp.ehlo("poste.estafette.test")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(GP.login, [COLLEAGUE.login], b"Subject: x\r\n\r\nx\r\n")


@pytest.mark.sandbox
@pytest.mark.parametrize("recipient", ["someone@example.org", "docteur@gmail.com",
                                       f"inconnu@{demo_world.HOSPITAL}"])
def test_submission_refuses_recipients_outside_the_sandbox(sandbox: dict[str, Any],
                                                           recipient: str) -> None:
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox))
        smtp.ehlo("poste.estafette.test")
        smtp.login(GP.login, GP.password)
        smtp.mail(GP.login)
        code, _text = smtp.rcpt(recipient)
        assert 500 <= code < 600


@pytest.mark.sandbox
def test_submission_accepts_patient_addresses(sandbox: dict[str, Any]) -> None:
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox))
        smtp.ehlo("poste.estafette.test")
        smtp.login(GP.login, GP.password)
        smtp.mail(GP.login)
        for patient in demo_world.PATIENTS:
            code, text = smtp.rcpt(patient.address, options=["NOTIFY=SUCCESS,FAILURE"])
            assert code == 250, text
        smtp.rset()


# --- ORG box shared by ACL ---------------------------------------------------------------------

def _shared_name(sandbox: dict[str, Any]) -> str:
    return f"{sandbox['shared_prefix']}{ORG}"


def _org_box_uid(client: IMAPClient, sandbox: dict[str, Any]) -> int:
    """A message of the ORG box: a seeded one (the seed tests count that box's messages, so add
    none to it), or one delivered now when the sandbox runs unseeded."""
    name = _shared_name(sandbox)
    if sandbox.get("seeded"):
        client.select_folder(name, readonly=True)
        uids = list(client.search(["ALL"]))
    else:
        uids = _wait_for(client, name, _submit(sandbox, GP, ORG))
    assert uids
    return int(min(uids))


@pytest.mark.sandbox
@pytest.mark.parametrize("nurse", NURSES, ids=[n.login.split("@")[0] for n in NURSES])
def test_nurse_sees_and_reads_the_org_box(sandbox: dict[str, Any],
                                          nurse: demo_world.Person) -> None:
    """The ORG box is opened with each member's own login, shared by IMAP ACL (RFC 4314)."""
    with _imap_login(sandbox, nurse) as client:
        listed = {name: flags for flags, _sep, name in client.list_folders()}
        assert _shared_name(sandbox) in listed
        assert rb"\Noselect" not in listed[_shared_name(sandbox)]
        uid = _org_box_uid(client, sandbox)
        fetched = client.fetch([uid], [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]", b"RFC822.SIZE"])
    assert b"message-id:" in fetched[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].lower()
    assert fetched[uid][b"RFC822.SIZE"] > 0


@pytest.mark.sandbox
def test_member_flags_are_shared_in_the_org_box(sandbox: dict[str, Any]) -> None:
    """The members work the ORG box together: a flag one sets is seen by the other."""
    first, second = NURSES
    keyword = b"$EstafetteSandboxTest"
    with _imap_login(sandbox, first) as writer:
        uid = _org_box_uid(writer, sandbox)
        writer.select_folder(_shared_name(sandbox))
        writer.add_flags([uid], [keyword])
        try:
            with _imap_login(sandbox, second) as reader:
                reader.select_folder(_shared_name(sandbox), readonly=True)
                flags = reader.get_flags([uid])[uid]
        finally:
            writer.remove_flags([uid], [keyword])  # leave the seeded message as it was
    assert keyword in flags


@pytest.mark.sandbox
def test_non_member_does_not_see_the_org_box(sandbox: dict[str, Any]) -> None:
    with _imap_login(sandbox, GP) as client:
        names = [name for _flags, _sep, name in client.list_folders()]
        assert _shared_name(sandbox) not in names
        with pytest.raises(IMAPClient.Error):
            client.select_folder(_shared_name(sandbox))


# --- APP box: TLS client certificate -----------------------------------------------------------

@pytest.mark.sandbox
def test_app_box_logs_in_with_its_certificate(sandbox: dict[str, Any]) -> None:
    pki = sandbox["pki"]
    with _imaps(sandbox, pki["app_cert"], pki["app_key"]) as client:
        client.sasl_login("EXTERNAL", _external)
        assert client.select_folder("INBOX")[b"UIDVALIDITY"]
        # The session is the lab box's: its own INBOX receives mail addressed to it.
        message_id = _submit(sandbox, GP, LAB)
        assert len(_wait_for(client, "INBOX", message_id)) == 1


@pytest.mark.sandbox
def test_app_box_refuses_its_password_without_certificate(sandbox: dict[str, Any]) -> None:
    with _imaps(sandbox) as client, pytest.raises(LoginError):
        client.login(LAB, demo_world.LAB_INTERNAL_PASSWORD)


@pytest.mark.sandbox
def test_app_box_refuses_external_without_certificate(sandbox: dict[str, Any]) -> None:
    with _imaps(sandbox) as client, pytest.raises(LoginError):
        client.sasl_login("EXTERNAL", _external)


@pytest.mark.sandbox
def test_app_box_refuses_a_rogue_certificate(sandbox: dict[str, Any]) -> None:
    """A certificate naming the box but issued by another CA opens nothing."""
    pki = sandbox["pki"]
    try:
        client = _imaps(sandbox, pki["rogue_client_cert"], pki["rogue_client_key"])
    except (ssl.SSLError, ConnectionError):
        return  # refused during the handshake: that is a refusal too
    with client, pytest.raises((LoginError, ssl.SSLError, ConnectionError)):
        client.sasl_login("EXTERNAL", _external)


def _submit_with_certificate(sandbox: dict[str, Any], cert: str, key: str,
                             message_id: str) -> tuple[int, bytes]:
    """Submission without SASL, the TLS client certificate as credential; the RCPT reply."""
    with _submission(sandbox) as smtp:
        smtp.starttls(context=_tls(sandbox, cert, key))
        smtp.ehlo("automate.labo-bioval.test")
        smtp.mail(LAB)
        code, text = smtp.rcpt(LAB)
        if code == 250:
            smtp.data(f"From: {LAB}\r\nTo: {LAB}\r\nSubject: CR\r\nMessage-ID: {message_id}\r\n"
                      "\r\nCompte rendu.\r\n".encode())
        return code, text


@pytest.mark.sandbox
def test_app_box_submits_with_its_certificate(sandbox: dict[str, Any]) -> None:
    """The APP box sends without any password: Postfix trusts its certificate."""
    pki = sandbox["pki"]
    message_id = f"<{uuid.uuid4()}@estafette.test>"
    code, text = _submit_with_certificate(sandbox, pki["app_cert"], pki["app_key"], message_id)
    assert code == 250, text
    with _imaps(sandbox, pki["app_cert"], pki["app_key"]) as client:
        client.sasl_login("EXTERNAL", _external)
        assert len(_wait_for(client, "INBOX", message_id)) == 1


@pytest.mark.sandbox
def test_submission_refuses_a_rogue_certificate(sandbox: dict[str, Any]) -> None:
    pki = sandbox["pki"]
    code, _text = _submit_with_certificate(
        sandbox, pki["rogue_client_cert"], pki["rogue_client_key"], "<unused@estafette.test>")
    assert 500 <= code < 600
