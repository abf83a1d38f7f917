"""The seeded sandbox: what seed_messages delivered is what Dovecot serves, in MSSanté shape."""

from __future__ import annotations

import email
import functools
import io
import ssl
import zipfile
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from imapclient import IMAPClient
from lxml import etree

from tests.sandbox import demo_world as world
from tests.sandbox import seed_messages

pytestmark = pytest.mark.sandbox

MARTIN, PETIT, MOREAU = world.DR_MARTIN, world.NURSE_PETIT, world.NURSE_MOREAU


def _mid(value: object) -> str:
    """A message id as compared here: unfolded (a long one may be folded on the wire)."""
    return str(value).strip()


def _connect(sandbox: dict[str, Any], person: world.Person) -> IMAPClient:
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    imaps = sandbox["imaps"]
    client = IMAPClient(imaps["host"], imaps["port"], ssl=True, ssl_context=context, timeout=10)
    client.login(person.login, person.password)
    return client


def _messages(client: IMAPClient, folder: str) -> list[tuple[EmailMessage, tuple[bytes, ...]]]:
    client.select_folder(folder, readonly=True)
    fetched = client.fetch("1:*", ["BODY.PEEK[]", "FLAGS"])
    return [(email.message_from_bytes(data[b"BODY[]"], policy=policy.default),  # type: ignore[misc]
             tuple(data[b"FLAGS"])) for _uid, data in sorted(fetched.items())]


@pytest.fixture(scope="module")
def martin(sandbox: dict[str, Any]) -> Iterator[IMAPClient]:
    client = _connect(sandbox, MARTIN)
    yield client
    client.logout()


@pytest.fixture(scope="module")
def martin_inbox(martin: IMAPClient) -> list[tuple[EmailMessage, tuple[bytes, ...]]]:
    return _messages(martin, "INBOX")


@functools.cache
def _seeds() -> tuple[seed_messages.Seed, ...]:
    return tuple(seed_messages.build())  # deterministic: the same messages as were delivered


def _expected_ids(address: str) -> set[str]:
    return {s.message_id for s in _seeds() if address in s.recipients}


Fetched = list[tuple[EmailMessage, tuple[bytes, ...]]]


def test_martin_inbox_holds_exactly_the_seeded_messages(
        sandbox: dict[str, Any], martin_inbox: Fetched) -> None:
    """Every seeded message has Message-ID, Date and X-MSS-NIL (ECO.2.2.1, MSSANTE.md §6)."""
    ids = {_mid(msg["Message-ID"]) for msg, _flags in martin_inbox}
    assert ids == _expected_ids(MARTIN.login)
    assert len(martin_inbox) == sandbox["seeded"]["by_mailbox"][MARTIN.login]
    for msg, _flags in martin_inbox:
        assert msg["Date"] is not None and msg["X-MSS-NIL"]


def test_martin_inbox_has_read_unread_and_flagged(
        martin_inbox: list[tuple[EmailMessage, tuple[bytes, ...]]]) -> None:
    flags = [f for _msg, f in martin_inbox]
    assert any(b"\\Seen" in f for f in flags)
    assert any(b"\\Seen" not in f for f in flags)
    assert any(b"\\Flagged" in f for f in flags)


def test_structured_lab_result_carries_xdm_and_mss_headers(
        martin_inbox: list[tuple[EmailMessage, tuple[bytes, ...]]]) -> None:
    """IHE_XDM.ZIP with the CDA and its PDF, X-MSS-CODECDA / X-MSS-INS, XDM subject (ECO.2.1.x)."""
    lab = [m for m, _f in martin_inbox
           if m["From"].addresses[0].addr_spec == world.LAB_BOX.address and m["X-MSS-CODECDA"]]
    assert len(lab) == 1
    msg = lab[0]
    durand = world.PATIENTS[0]
    assert msg["X-MSS-CODECDA"] == "11502-2"
    assert msg["X-MSS-INS"] == "O"
    assert str(msg["Subject"]).startswith("XDM/1.0/DDM+CR d'examens biologiques DURAND")
    attachments = {part.get_filename(): part for part in msg.iter_attachments()}
    assert "IHE_XDM.ZIP" in attachments
    assert any(name and name.endswith(".pdf") for name in attachments)
    archive = zipfile.ZipFile(io.BytesIO(attachments["IHE_XDM.ZIP"].get_content()))
    names = archive.namelist()
    assert "IHE_XDM/SUBSET01/METADATA.XML" in names
    cda = etree.fromstring(archive.read("IHE_XDM/SUBSET01/DOC0001.XML"))
    patient_id = cda.find("{urn:hl7-org:v3}recordTarget/{urn:hl7-org:v3}patientRole"
                          "/{urn:hl7-org:v3}id")
    assert (patient_id.get("root"), patient_id.get("extension")) == (durand.oid, durand.ins)
    assert durand.ins.encode() in archive.read("IHE_XDM/SUBSET01/METADATA.XML")


def test_receipts_refer_to_messages_in_sent(
        martin: IMAPClient, martin_inbox: list[tuple[EmailMessage, tuple[bytes, ...]]]) -> None:
    """A DSN for the unknown patient; MDNs per the ANS profile, one with error 902 (ECO.3.1.6)."""
    sent_ids = {_mid(m["Message-ID"]) for m, _f in _messages(martin, "Sent")}
    reports = [m for m, _f in martin_inbox if m.get_content_type() == "multipart/report"]
    kinds = sorted(str(m.get_param("report-type")) for m in reports)
    assert kinds == ["delivery-status", "disposition-notification", "disposition-notification"]
    dispositions = []
    for report in reports:
        assert _mid(report["In-Reply-To"]) in sent_ids
        parts = list(report.iter_parts())
        if report.get_param("report-type") == "delivery-status":
            status = parts[1].as_string()
            assert "Status: 5.1.1" in status and "Action: failed" in status
            continue
        # The parser reads message/disposition-notification as one block of fields.
        fields = parts[1].get_payload()[0]
        assert _mid(fields["Original-Message-ID"]) in sent_ids
        assert str(fields["Final-Recipient"]).endswith(world.CARDIOLOGY_BOX.address)
        dispositions.append(str(fields["Disposition"]))
    assert "automatic-action/MDN-sent-automatically; processed" in dispositions
    assert any(d.startswith("automatic-action/MDN-sent-automatically; processed/Error: 902^")
               for d in dispositions)


def test_patient_conversation_is_closed_by_the_professional(martin: IMAPClient) -> None:
    """Only the professional closes: X-MSS-MES: FIN on his last message (ECO.2.2.8)."""
    durand = world.PATIENTS[0].address
    sent = [m for m, _f in _messages(martin, "Sent")
            if durand in [a.addr_spec for a in m["To"].addresses]]
    assert len(sent) == 2
    assert sent[-1]["X-MSS-MES"] == "FIN" and sent[0]["X-MSS-MES"] is None
    assert _mid(sent[0]["Message-ID"]) in str(sent[-1]["References"])


def test_sent_folders_match_the_summary(sandbox: dict[str, Any]) -> None:
    people = {p.login: p for p in world.PEOPLE}
    assert sandbox["seeded"]["sent"]
    for login, count in sandbox["seeded"]["sent"].items():
        client = _connect(sandbox, people[login])
        try:
            assert client.select_folder("Sent", readonly=True)[b"EXISTS"] == count
            assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == (
                sandbox["seeded"]["by_mailbox"].get(login, 0))
        finally:
            client.logout()


@pytest.mark.parametrize("nurse", [PETIT, MOREAU], ids=["petit", "moreau"])
def test_nurses_see_the_cardiology_box(sandbox: dict[str, Any], nurse: world.Person) -> None:
    """The ORG box is opened with each member's own login (MSSANTE.md §2)."""
    box = world.CARDIOLOGY_BOX.address
    client = _connect(sandbox, nurse)
    try:
        folders = [name for flags, _sep, name in client.list_folders(sandbox["shared_prefix"], "*")
                   if box in name and b"\\Noselect" not in flags]
        assert folders, client.list_folders()
        messages = _messages(client, folders[0])
    finally:
        client.logout()
    assert {_mid(m["Message-ID"]) for m, _f in messages} == _expected_ids(box)
    assert len(messages) == sandbox["seeded"]["by_mailbox"][box]
    assert any(m["X-MSS-CODECDA"] == "11488-4" for m, _f in messages)
