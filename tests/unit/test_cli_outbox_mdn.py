"""``estafette outbox mdn``: the read-receipt requests left to the user (PER/ORG boxes, policy
"ask"), listed without subject, and answered from a script (ECO.3.1.6). Real encrypted profile,
real incoming message carrying Disposition-Notification-To, handled by the receipt service."""

from __future__ import annotations

import email
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.store.message_store import BodyRecord, FolderInfo, HeaderRecord

PER = "dr.martin@hopital.mssante.fr"
APP = "labo@biologie.mssante.fr"
REQUESTER = "secretariat@cabinet-rivoli.mssante.fr"
SUBJECT = "Résultats de Mme DURAND"
_NS = "https://listeblanche.mssante.fr/schema"


def whitelist_xml(*domains: str) -> bytes:
    body = "".join(
        f"<Domaine><Nom>{d}</Nom><Description>Test</Description>"
        "<DNCertificatOperateur>CN=op.example.fr,O=OP,C=FR</DNCertificatOperateur>"
        "<ResponsableContact>resp</ResponsableContact><SupportContact>support</SupportContact>"
        "<DateMAJ>2025-03-13T14:54:10Z</DateMAJ></Domaine>"
        for d in domains
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="{_NS}">'
        "<DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration>"
        f"<ListeDomaines>{body}</ListeDomaines></ListeBlancheMSSante>"
    ).encode()


def make_profile(path: Path) -> Profile:
    """A profile with a PER box (default MDN policy: ask), an APP box and a whitelist that
    allows the requester's domain."""
    profile = open_profile(path / "profile", key_file=path / "store.key")
    endpoint = Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT)
    profile.accounts.add(Account(address=PER, kind=MailboxKind.PER, login="martin",
                                 imap=endpoint, smtp=endpoint, display_name="Dr Jean MARTIN"),
                         password="x")
    profile.accounts.add(Account(address=APP, kind=MailboxKind.APP, login="labo",
                                 imap=endpoint, smtp=endpoint), password="x")
    xml = whitelist_xml("cabinet-rivoli.mssante.fr")
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    return profile


def mdn_asking_message(to: str, uid: int) -> bytes:
    return (
        f"Return-Path: <{REQUESTER}>\r\n"
        f"From: Secretariat Rivoli <{REQUESTER}>\r\n"
        f"To: <{to}>\r\n"
        f"Subject: {SUBJECT}\r\n"
        f"Message-ID: <ask.{uid}@cabinet-rivoli.mssante.fr>\r\n"
        "Date: Tue, 10 Nov 2026 09:00:00 +0100\r\n"
        f"Disposition-Notification-To: <{REQUESTER}>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Bonjour, voici les résultats.\r\n"
    ).encode()


def store_incoming(profile: Profile, address: str, login: str, uid: int = 1) -> int:
    """Store one whole incoming message in INBOX and let the receipt service handle it (as the
    sync engine's MessagesStored event does); returns the message's store id."""
    messages = profile.messages
    account_id = messages.account_id(address, login)
    folder = messages.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])[0].id
    raw = mdn_asking_message(address, uid)
    header = HeaderRecord(
        uid=uid, message_id=f"<ask.{uid}@cabinet-rivoli.mssante.fr>",
        date=1_794_297_600, internaldate=1_794_297_600, from_name="Secretariat Rivoli",
        from_addr=REQUESTER, to_display=address, to_addrs=address, cc_display="", cc_addrs="",
        subject=SUBJECT, flags=frozenset(), size=len(raw), has_attachments=False, is_xdm=False,
    )
    ref = messages.store_headers(folder, [header]).new_ids[0]
    messages.store_bodies(folder, [BodyRecord(uid=uid, raw=raw, text="Bonjour")])
    assert profile.receipts.handle(address, "INBOX", [ref]) == 1
    return ref


def mdn_items(profile: Profile) -> list[Any]:
    return [i for i in profile.outbox.items()
            if i.recipients and i.recipients[0].address == REQUESTER]


def assert_is_mdn_to_requester(profile: Profile, item: Any) -> None:
    raw = profile.outbox.store.raw(item.id)
    parsed = email.message_from_bytes(raw)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "disposition-notification"
    assert REQUESTER in str(parsed["To"])


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def world(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("ESTAFETTE_PASSPHRASE", raising=False)
    with make_profile(tmp_path) as profile:
        per_ref = store_incoming(profile, PER, "martin", uid=1)
        store_incoming(profile, APP, "labo", uid=2)
    base = ["--profile", str(tmp_path / "profile"), "--key-file", str(tmp_path / "store.key")]

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main([*base, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def reopen() -> Profile:
        return open_profile(tmp_path / "profile", key_file=tmp_path / "store.key",
                            create=False)

    return run, reopen, per_ref


def test_lists_pending_requests_without_subject(world: Any) -> None:
    """ECO.3.1.6: the PER box's request waits for the user; the APP box answered by itself."""
    run, reopen, _ref = world
    listed = run("outbox", "mdn", "--json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert len(rows) == 1
    assert set(rows[0]) == {"id", "account", "date", "requester_domain"}
    assert rows[0]["account"] == PER
    assert rows[0]["requester_domain"] == "cabinet-rivoli.mssante.fr"
    assert rows[0]["date"].endswith("Z")
    text = run("outbox", "mdn")
    assert text.code == 0 and PER in text.out
    assert "DURAND" not in text.out + listed.out  # no subject: it may name a patient
    assert json.loads(run("outbox", "mdn", "--account", APP, "--json").out) == []
    with reopen() as profile:  # the APP box's MDN was queued automatically
        assert len(mdn_items(profile)) == 1


def test_send_queues_the_mdn(world: Any) -> None:
    """ECO.3.1.6: answering the request queues one MDN to the requester, once only."""
    run, reopen, _ref = world
    request_id = json.loads(run("outbox", "mdn", "--json").out)[0]["id"]
    sent = run("outbox", "mdn", "--account", PER, "--send", str(request_id), "--json")
    assert sent.code == 0, sent.err
    answer = json.loads(sent.out)
    assert answer["state"] == "queued" and answer["outbox_item_id"] is not None
    with reopen() as profile:
        item = profile.outbox.store.get(answer["outbox_item_id"])
        assert item.account_address == PER
        assert_is_mdn_to_requester(profile, item)
        assert profile.receipts.pending_mdns() == []
    assert json.loads(run("outbox", "mdn", "--json").out) == []
    again = run("outbox", "mdn", "--send", str(request_id))
    assert again.code != 0 and "en attente" in again.err  # answered once only


def test_decline_records_the_refusal(world: Any) -> None:
    run, reopen, per_ref = world
    with reopen() as profile:
        before = len(profile.outbox.items())
    request_id = json.loads(run("outbox", "mdn", "--json").out)[0]["id"]
    declined = run("outbox", "mdn", "--decline", str(request_id))
    assert declined.code == 0, declined.err
    assert "refusée" in declined.out
    with reopen() as profile:
        assert len(profile.outbox.items()) == before
        record = profile.receipts.store.mdn_request_for_message(per_ref)
        assert record is not None and record.state == "declined"
        assert profile.receipts.pending_for_message(per_ref) is None
    assert "Aucune demande" in run("outbox", "mdn").out


def test_bad_ids_are_clear_errors(world: Any) -> None:
    run, _reopen, _ref = world
    request_id = json.loads(run("outbox", "mdn", "--json").out)[0]["id"]
    for args in (("--send", "abc"), ("--decline", "999"),
                 ("--account", APP, "--send", str(request_id))):
        result = run("outbox", "mdn", *args)
        assert result.code != 0
        assert "Traceback" not in result.err and "n'est pas une demande" in result.err
    both = run("outbox", "mdn", "--send", "1", "--decline", "1")
    assert both.code == 2
