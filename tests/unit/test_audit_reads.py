"""Reads in the audit trail (ECO.4.1.1–2): traced when a message is shown to a person — by
``estafette show`` or the window — with the workstation's time of the reading, the person
logged in to the mailbox (an ORG box: the nurse, not the box) and a reference to the message
that is not content (store id, folder as special use or ``#id``, UID). Setting ``\\Seen`` on the
server is a separate exchange, traced when the offline queue is replayed, without re-dating the
read. (The window's side: tests/ui/test_read_audit.py.)"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app import cli
from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.domain.audit import (
    AuditAction,
    AuditActor,
    AuditEntry,
    MessageLocation,
    check_request,
    folder_ref,
)
from app.services.audit_service import AuditService
from app.services.sync_engine import SyncEngine
from app.store.audit_store import AuditStore
from app.store.message_store import SEEN, BodyRecord, FolderInfo, HeaderRecord

HOSPITAL = "chu-lumiere.mssante.fr"
ORG_BOX = f"cardiologie@{HOSPITAL}"
NURSE = f"sophie.petit@{HOSPITAL}"
ORG = Account(address=ORG_BOX, kind=MailboxKind.ORG, login=NURSE, national_id="600001234567",
              imap=Endpoint("imap.chu-lumiere.fr", 993, TlsMode.IMPLICIT),
              smtp=Endpoint("smtp.chu-lumiere.fr", 587, TlsMode.STARTTLS))
PATIENT_FOLDER = "Patients/DUPONT Jeanne"
SUBJECT = "Résultats troponine DUPONT Jeanne"
SENDER = f"labo@{HOSPITAL}"
ATTACHMENT = "troponine-dupont.pdf"
# Everything of the message that is content: none of it may reach any column of the trail.
CONTENT = (SUBJECT, "DUPONT", "Jeanne", "troponine", SENDER, ATTACHMENT, "Patients")
PARIS = timezone(timedelta(hours=1))
READ_AT = datetime(2026, 11, 3, 22, 47, 12, 345000, tzinfo=PARIS)
REPLAYED_AT = datetime(2026, 11, 4, 8, 5, 0, tzinfo=PARIS)


def _raw() -> bytes:
    return (f"From: Laboratoire <{SENDER}>\r\nTo: {ORG_BOX}\r\nSubject: {SUBJECT}\r\n"
            "Message-ID: <tropo-1@chu-lumiere.example>\r\nContent-Type: text/plain; "
            "charset=utf-8\r\n\r\nTroponine 12 ng/L pour DUPONT Jeanne.\r\n").encode()


def store_message(profile: Profile, *, folder: str = PATIENT_FOLDER, seen: bool = True,
                  uid: int = 7) -> tuple[int, int]:
    """One message of the ORG box, as the sync's two passes store it; (message id, folder id).
    ``seen``: another nurse read it already (the box's \\Seen flag is shared)."""
    messages = profile.messages
    account_id = messages.account_id(ORG.address, ORG.login)
    folders = {f.name: f for f in messages.replace_folders(account_id, [
        FolderInfo("INBOX", "/", None), FolderInfo("Sent", "/", "\\Sent"),
        FolderInfo(PATIENT_FOLDER, "/", None)])}
    folder_id = folders[folder].id
    messages.set_folder_state(folder_id, uidvalidity=1, uidnext=uid + 1, highestmodseq=None,
                              sync_state="complete")
    raw = _raw()
    stored = messages.store_headers(folder_id, [HeaderRecord(
        uid=uid, message_id="<tropo-1@chu-lumiere.example>", date=1_793_700_000,
        internaldate=None, from_name="Laboratoire", from_addr=SENDER, to_display=ORG_BOX,
        to_addrs=ORG_BOX, cc_display="", cc_addrs="", subject=SUBJECT,
        flags=frozenset({SEEN}) if seen else frozenset(), size=len(raw),
        has_attachments=False, is_xdm=False)])
    messages.store_bodies(folder_id, [BodyRecord(uid=uid, raw=raw, text="Troponine 12 ng/L")])
    return stored.new_ids[0], folder_id


def columns(entry: AuditEntry) -> list[str]:
    """Every stored column of ``entry``, as text."""
    return [str(v) for v in (entry.occurred_at, entry.mailbox, entry.actor.login,
                             entry.actor.national_id, entry.action, entry.outcome, entry.failure,
                             entry.request, entry.response, entry.message_ref,
                             entry.attachment_index, entry.recipient_count,
                             ",".join(entry.recipient_domains))]


def assert_no_content(profile: Profile) -> None:
    """No column of any entry, nor the CSV export, holds anything of the message."""
    out = io.StringIO()
    profile.audit.export_csv(out)
    texts = [out.getvalue().casefold()] + [c.casefold() for e in profile.audit.entries()
                                           for c in columns(e)]
    for piece in CONTENT:
        assert not any(piece.casefold() in text for text in texts), piece


def reads(profile: Profile) -> list[AuditEntry]:
    return [e for e in profile.audit.entries() if e.action is AuditAction.READ]


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ORG, password="x")
        yield opened


# --- the reference: ids, never a name ------------------------------------------------------------


def test_a_folder_is_named_by_its_use_or_its_id_never_by_its_name() -> None:
    assert folder_ref(3, name="INBOX", special_use=None) == "\\Inbox"
    assert folder_ref(3, name="inbox", special_use=None) == "\\Inbox"
    assert folder_ref(4, name="Éléments envoyés", special_use="\\Sent") == "\\Sent"
    assert folder_ref(5, name="Corbeille", special_use="\\trash") == "\\Trash"
    assert folder_ref(6, name="Patients/DUPONT Jeanne", special_use=None) == "#6"
    assert folder_ref(7, name="Important", special_use="\\Flagged") == "#7"
    actor = AuditActor(NURSE)
    assert MessageLocation(ORG_BOX, actor, "#6", 42).read_request() == "LOCAL READ #6 UID 42"
    assert MessageLocation(ORG_BOX, actor, "\\Inbox", None).read_request() == \
        "LOCAL READ \\Inbox"
    for request in ("LOCAL READ #6 UID 42", "LOCAL READ \\Sent UID 1", "LOCAL READ #12"):
        assert check_request(request) == request


def test_a_read_names_the_message_by_reference_and_the_nurse_not_the_box(
        profile: Profile) -> None:
    """ECO.4.1.1: per mailbox, the authenticated person, the workstation's time, the action;
    ECO.4.1.2: never content — not the subject, the sender, nor the patient's folder name."""
    message_id, folder_id = store_message(profile)
    service = AuditService(store=AuditStore(database=profile.database), clock=lambda: READ_AT)
    entry = service.record_read(message_id)
    assert entry is not None and entry.id is not None
    (stored,) = reads(profile)
    assert stored == entry
    assert stored.action is AuditAction.READ
    assert stored.mailbox == ORG_BOX
    assert stored.actor == AuditActor(NURSE, "600001234567")  # the nurse, not the ORG box
    assert stored.occurred_at == READ_AT and stored.utc_offset_minutes == 60
    assert stored.message_ref == message_id
    assert stored.request == f"LOCAL READ #{folder_id} UID 7"
    assert stored.response is None  # read on this workstation: no server answered anything
    assert_no_content(profile)


def test_a_read_at_a_given_moment_and_of_a_gone_message(profile: Profile) -> None:
    message_id, _folder = store_message(profile, folder="INBOX")
    entry = profile.audit.record_read(message_id, at=READ_AT)
    assert entry is not None and entry.occurred_at == READ_AT
    assert entry.request == "LOCAL READ \\Inbox UID 7"
    assert profile.audit.record_read(message_id + 1000) is None
    assert len(reads(profile)) == 1


# --- estafette show ----------------------------------------------------------------------------


@pytest.fixture
def shown(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Any:
    """``estafette show`` on a profile holding one message of the ORG box, already \\Seen."""
    monkeypatch.delenv("ESTAFETTE_PASSPHRASE", raising=False)
    paths = {"profile": tmp_path / "cli-profile", "key": tmp_path / "cli.key"}
    with open_profile(paths["profile"], key_file=paths["key"]) as opened:
        opened.accounts.add(ORG, password="x")
        message_id, folder_id = store_message(opened)

    def show(*args: str) -> SimpleNamespace:
        capsys.readouterr()
        code = cli.main(["--profile", str(paths["profile"]), "--key-file", str(paths["key"]),
                         "show", *args])
        out = capsys.readouterr()
        return SimpleNamespace(code=code, out=out.out, err=out.err)

    return SimpleNamespace(show=show, message_id=message_id, folder_id=folder_id, **paths)


def test_cli_show_traces_the_read(shown: Any) -> None:
    """Before this, a message shown in the terminal left no trace at all (\\Seen set by
    another nurse, and ``show`` sends nothing to the server)."""
    now = datetime.now().astimezone()
    before = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the trail keeps ms
    result = shown.show(str(shown.message_id))
    after = datetime.now().astimezone()
    assert result.code == 0, result.err
    assert SUBJECT in result.out  # the message is shown to the person...
    with open_profile(shown.profile, key_file=shown.key) as profile:
        (entry,) = reads(profile)  # ...and its reading traced, by reference only
        assert entry.mailbox == ORG_BOX and entry.actor.login == NURSE
        assert entry.message_ref == shown.message_id
        assert entry.request == f"LOCAL READ #{shown.folder_id} UID 7"
        assert before <= entry.occurred_at <= after
        assert_no_content(profile)
        assert profile.messages.pending_changes(
            profile.messages.account_id(ORG_BOX, NURSE)) == []  # nothing asked of the server


def test_cli_show_json_raw_and_by_message_id_each_trace_a_read(shown: Any) -> None:
    for args in (["--json"], ["--raw"], ["<tropo-1@chu-lumiere.example>"]):
        ident = [] if args[0].startswith("<") else [str(shown.message_id)]
        result = shown.show(*ident, *args)
        assert result.code == 0, result.err
    missing = shown.show("999999")
    assert missing.code == 1
    with open_profile(shown.profile, key_file=shown.key) as profile:
        entries = reads(profile)
        assert [e.message_ref for e in entries] == [shown.message_id] * 3  # not the missing one
        assert_no_content(profile)
        exported = io.StringIO()
        profile.audit.export_csv(exported)
        rows = list(csv.reader(io.StringIO(exported.getvalue()), delimiter=";"))
        assert [r[6] for r in rows[1:]] == ["lecture"] * 3


# --- offline: the read keeps its time, the server's \Seen is traced apart ---------------------


class OfflineThenOnline:
    """Stands in for our ImapConnection: unreachable first, then answering the replay."""

    def __init__(self) -> None:
        self.online = False
        self.stored: list[tuple[list[int], list[str]]] = []

    def connect(self) -> None:
        if not self.online:
            raise ConnectionRefusedError("no network")

    def close(self) -> None:
        pass

    def has(self, _name: str) -> bool:
        return False

    def select(self, _name: str) -> SimpleNamespace:
        return SimpleNamespace(uidvalidity=1)

    def add_flags(self, uids: list[int], flags: list[str]) -> None:
        self.stored.append((list(uids), list(flags)))


@pytest.fixture
def offline(profile: Profile) -> SimpleNamespace:
    """A message not yet read, and a sync engine whose audit clock the test moves."""
    now = [READ_AT]
    audit = AuditService(store=AuditStore(database=profile.database), clock=lambda: now[0])
    conn = OfflineThenOnline()
    engine = SyncEngine(store=profile.messages, events=profile.events,
                        password_for=lambda _account: "x",
                        connection_factory=lambda _account: conn,  # type: ignore[arg-type,return-value]
                        audit=audit)
    message_id, _folder = store_message(profile, seen=False)
    return SimpleNamespace(now=now, audit=audit, conn=conn, engine=engine,
                           message_id=message_id,
                           account_id=profile.messages.account_id(ORG_BOX, NURSE))


def _read_offline_then_replay(profile: Profile, offline: SimpleNamespace) -> list[AuditEntry]:
    # Read while offline, as the window does: traced at once, \Seen queued for the server.
    offline.audit.record_read(offline.message_id)
    profile.messages.mark_read([offline.message_id])
    offline.now[0] = READ_AT + timedelta(minutes=5)
    with pytest.raises(ConnectionRefusedError):  # a sync attempt: the server is unreachable
        offline.engine.sync_account(ORG)
    assert len(profile.messages.pending_changes(offline.account_id)) == 1
    # Back online the next morning: the queue is replayed.
    offline.now[0] = REPLAYED_AT
    offline.conn.online = True
    assert offline.engine.replay_pending(offline.conn, offline.account_id, account=ORG) == 1
    assert offline.conn.stored == [([7], [SEEN])]
    return profile.audit.entries()


def test_a_read_offline_keeps_its_reading_time_and_the_replay_adds_the_server_request(
        profile: Profile, offline: SimpleNamespace) -> None:
    entries = _read_offline_then_replay(profile, offline)
    local = [e for e in entries if (e.request or "").startswith("LOCAL READ")]
    server = [e for e in entries if e.request == "UID STORE 7 +FLAGS.SILENT (\\Seen)"]
    (read,) = local
    assert read.occurred_at == READ_AT  # the reading time, not the replay's
    assert read.action is AuditAction.READ and read.actor.login == NURSE
    assert read.message_ref == offline.message_id
    (store,) = server  # the request sent to the server and its answer, when they happened
    assert store.occurred_at == REPLAYED_AT and store.response == "OK"
    assert store.mailbox == ORG_BOX and store.actor.login == NURSE
    failed_login = [e for e in entries if e.action is AuditAction.LOGIN]
    assert [e.failure.value if e.failure else None for e in failed_login] == ["network"]
    assert_no_content(profile)


def test_the_replayed_seen_request_is_not_a_second_read(
        profile: Profile, offline: SimpleNamespace) -> None:
    entries = _read_offline_then_replay(profile, offline)
    assert [e.occurred_at for e in entries if e.action is AuditAction.READ] == [READ_AT]
    (store,) = [e for e in entries if e.request == "UID STORE 7 +FLAGS.SILENT (\\Seen)"]
    assert store.action is AuditAction.FLAG
