"""The sync engine against the sandbox's real Dovecot: local state must equal the server's."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from app.cli import main
from app.composition import Profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.errors import EXIT_UNREACHABLE, AuthenticationError, ServerUnreachableError
from app.events import FolderSyncProgress, MessagesStored
from app.services.sync_engine import CancelToken, SyncEngine
from app.store.message_store import FLAGGED, SEEN
from tests.integration.sync_helpers import (
    imap_as,
    local_folder,
    new_profile,
    scratch_folder,
    selectable_folders,
    server_folder,
    simple_message,
)
from tests.sandbox import demo_world as world
from tests.sandbox import seed_messages

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bernard(sandbox: dict[str, Any], tmp_path: Path) -> Iterator[tuple[Profile, Account]]:
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        yield profile, account


@pytest.fixture
def bernard_imap(sandbox: dict[str, Any]) -> Iterator[IMAPClient]:
    client = imap_as(sandbox, world.DR_BERNARD)
    yield client
    client.logout()


def _assert_mirror(profile: Profile, account: Account, client: IMAPClient) -> None:
    for folder in selectable_folders(client):
        assert local_folder(profile, account, folder) == server_folder(client, folder), folder


def test_no_message_content_in_the_imap_library_debug_log(
        bernard: tuple[Profile, Account], bernard_imap: IMAPClient,
        caplog: pytest.LogCaptureFixture) -> None:
    """imapclient turns imaplib's protocol trace on (level 5, every response formatted for its
    logger): the connection turns it off, so a DEBUG log never holds message content (and the
    sync does not spend its time formatting what is then dropped)."""
    profile, account = bernard
    folder = scratch_folder(bernard_imap, "Trace")
    marker = f"Secret{uuid.uuid4().hex[:12]}"
    bernard_imap.append(folder, simple_message(f"Objet {marker}", body=f"Contenu {marker}"))
    with caplog.at_level(logging.DEBUG, logger="imapclient"):
        profile.sync.sync_account(account)
    assert [m.subject for m in profile.messages.search(marker.lower())] == [f"Objet {marker}"]
    assert any(r.name.startswith("imapclient") for r in caplog.records)  # the log was on
    assert not [r.name for r in caplog.records if marker in r.getMessage()]


def test_initial_sync_of_the_seeded_mailbox_then_nothing_to_do(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    profile, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    stored: list[MessagesStored] = []
    progress: list[FolderSyncProgress] = []
    profile.events.subscribe(MessagesStored, stored.append)
    profile.events.subscribe(FolderSyncProgress, progress.append)
    with profile:
        report = profile.sync.sync_account(account)
        assert report.new > 0 and report.bodies == report.new
        client = imap_as(sandbox, world.DR_MARTIN)
        try:
            _assert_mirror(profile, account, client)
        finally:
            client.logout()
        account_id = profile.messages.account_id(account.address, account.login)
        messages = profile.messages.all_messages(account_id)
        expected = {s.message_id for s in seed_messages.build() if account.address in s.recipients}
        assert expected <= {m.message_id for m in messages if m.folder == "INBOX"}
        assert all(m.state in ("complete", "broken") for m in messages)
        assert sum(len(e.message_ids) for e in stored) == report.new
        assert {e.phase for e in progress} == {"headers", "bodies"}
        # Searchable by subject word, accents folded.
        hits = profile.messages.search("adressage durand resistante")
        assert any("HTA résistante" in h.subject for h in hits)
        again = profile.sync.sync_account(account)
        assert (again.new, again.changed, again.removed, again.bodies) == (0, 0, 0, 0)


def test_implicit_tls_and_starttls_both_sync(sandbox: dict[str, Any], tmp_path: Path) -> None:
    profile, account = new_profile(tmp_path, sandbox, world.NURSE_MOREAU, tls="imaps")
    with profile:
        assert profile.sync.sync_account(account).folders >= 6


def test_incremental_flags_and_deletions_both_ways(
        bernard: tuple[Profile, Account], bernard_imap: IMAPClient) -> None:
    profile, account = bernard
    folder = scratch_folder(bernard_imap)
    for i in range(3):
        bernard_imap.append(folder, simple_message(f"Échographie numéro{i}"))
    profile.sync.sync_account(account)
    assert len(local_folder(profile, account, folder)) == 3

    # Incremental: a new message appears on the server.
    bernard_imap.append(folder, simple_message("Nouveau compte rendu radiologie"))
    report = profile.sync.sync_account(account)
    assert report.new == 1
    assert profile.messages.search("radiologie")

    # Server -> local: a flag and an expunge.
    bernard_imap.select_folder(folder)
    uids = sorted(bernard_imap.search(["ALL"]))
    bernard_imap.add_flags([uids[0]], [b"\\Flagged"])
    bernard_imap.delete_messages([uids[1]])
    bernard_imap.expunge()
    report = profile.sync.sync_account(account)
    assert report.changed >= 1 and report.removed == 1
    assert local_folder(profile, account, folder) == server_folder(bernard_imap, folder)

    # Local -> server: read, unflag, delete.
    account_id = profile.messages.account_id(account.address, account.login)
    state = profile.messages.folder(account_id, folder)
    assert state is not None
    by_uid = {m.uid: m.id for m in profile.messages.list_folder(state.id)}
    profile.messages.mark_read([by_uid[uids[0]]])
    profile.messages.mark_flagged([by_uid[uids[0]]], flagged=False)
    profile.messages.delete([by_uid[uids[2]]])
    profile.sync.sync_account(account)
    server = server_folder(bernard_imap, folder)
    assert server[uids[0]] == frozenset({SEEN})
    assert uids[2] not in server
    assert local_folder(profile, account, folder) == server
    assert profile.messages.pending_changes(account_id) == []


def test_uidvalidity_reset_leaves_local_equal_to_server(
        bernard: tuple[Profile, Account], bernard_imap: IMAPClient) -> None:
    profile, account = bernard
    folder = scratch_folder(bernard_imap, "Reset")
    bernard_imap.append(folder, simple_message("Ancien message un"))
    bernard_imap.append(folder, simple_message("Ancien message deux"))
    profile.sync.sync_account(account)
    account_id = profile.messages.account_id(account.address, account.login)
    before = profile.messages.folder(account_id, folder)
    assert before is not None and len(local_folder(profile, account, folder)) == 2

    bernard_imap.delete_folder(folder)
    bernard_imap.create_folder(folder)
    bernard_imap.append(folder, simple_message("Nouveau contenu après recréation"))
    profile.sync.sync_account(account)
    after = profile.messages.folder(account_id, folder)
    assert after is not None and after.uidvalidity != before.uidvalidity
    assert local_folder(profile, account, folder) == server_folder(bernard_imap, folder)
    assert profile.messages.search("ancien") == []
    assert profile.messages.search("recreation")


def test_offline_changes_are_queued_then_replayed(
        sandbox: dict[str, Any], bernard: tuple[Profile, Account],
        bernard_imap: IMAPClient) -> None:
    profile, account = bernard
    source = scratch_folder(bernard_imap, "Source")
    target = scratch_folder(bernard_imap, "Cible")
    mid = "<offline-move@test.estafette-demo.mssante.fr>"
    bernard_imap.append(source, simple_message("Courrier à classer", message_id=mid))
    bernard_imap.append(source, simple_message("Courrier à lire"))
    profile.sync.sync_account(account)
    account_id = profile.messages.account_id(account.address, account.login)
    src = profile.messages.folder(account_id, source)
    assert src is not None
    by_subject = {m.subject: m.id for m in profile.messages.list_folder(src.id)}

    # Offline: the server cannot be reached; the changes stay queued.
    profile.messages.mark_flagged([by_subject["Courrier à lire"]])
    profile.messages.move([by_subject["Courrier à classer"]], target)
    unreachable = Account(
        address=account.address, kind=account.kind, login=account.login,
        imap=Endpoint("127.0.0.1", 1, TlsMode.IMPLICIT), smtp=account.smtp,
        ca_file=account.ca_file)
    offline = SyncEngine(store=profile.messages, events=profile.events,
                         password_for=lambda _a: world.DR_BERNARD.password,
                         connection_factory=lambda _a: _connection_for(unreachable))
    with pytest.raises(ServerUnreachableError) as caught:
        offline.sync_account(account)
    assert caught.value.exit_code == EXIT_UNREACHABLE
    assert len(profile.messages.pending_changes(account_id)) == 2

    profile.sync.sync_account(account)
    assert profile.messages.pending_changes(account_id) == []
    server_src = server_folder(bernard_imap, source)
    server_dst = server_folder(bernard_imap, target)
    assert len(server_src) == 1 and list(server_src.values()) == [frozenset({FLAGGED})]
    assert len(server_dst) == 1
    assert local_folder(profile, account, source) == server_src
    assert local_folder(profile, account, target) == server_dst
    # The moved copy was adopted, not duplicated.
    dst = profile.messages.folder(account_id, target)
    assert dst is not None and len(profile.messages.list_folder(dst.id)) == 1


def _server_message_ids(client: IMAPClient, folder: str) -> dict[str, frozenset[str]]:
    """Message-ID -> flags of a server folder."""
    client.select_folder(folder, readonly=True)
    if not client.search(["ALL"]):
        return {}
    fetched = client.fetch("1:*", ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    return {data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().partition(":")[2].strip():
            frozenset(f.decode() for f in data[b"FLAGS"]) - {"\\Recent"}
            for data in fetched.values()}


def test_a_message_moved_offline_then_changed_again_ends_as_the_last_change_said(
        bernard: tuple[Profile, Account], bernard_imap: IMAPClient) -> None:
    """Offline, a moved message has no server uid yet: deleting it, moving it on, moving it
    back, or flagging it must reach the server from where the server still has it — never a
    deleted message coming back, a second move lost, or a flag dropped."""
    profile, account = bernard
    source = scratch_folder(bernard_imap, "Depart")
    target = scratch_folder(bernard_imap, "Arrivee")
    onward = scratch_folder(bernard_imap, "Ailleurs")
    mids = {name: f"<{name}-{uuid.uuid4().hex[:8]}@test.estafette-demo.mssante.fr>"
            for name in ("deleted", "onward", "back", "flagged")}
    for name, mid in mids.items():
        bernard_imap.append(source, simple_message(f"Courrier {name}", message_id=mid))
    profile.sync.sync_account(account)
    account_id = profile.messages.account_id(account.address, account.login)
    src = profile.messages.folder(account_id, source)
    assert src is not None
    ids = {m.message_id: m.id for m in profile.messages.list_folder(src.id)}

    for mid in mids.values():  # all moved to the target first, nothing sent yet
        profile.messages.move([ids[mid]], target)
    profile.messages.delete([ids[mids["deleted"]]])
    profile.messages.move([ids[mids["onward"]]], onward)
    profile.messages.move([ids[mids["back"]]], source)
    profile.messages.mark_read([ids[mids["flagged"]]])
    profile.messages.mark_flagged([ids[mids["flagged"]]])

    profile.sync.sync_account(account)
    assert profile.messages.pending_changes(account_id) == []
    on_source = _server_message_ids(bernard_imap, source)
    on_target = _server_message_ids(bernard_imap, target)
    on_onward = _server_message_ids(bernard_imap, onward)
    assert set(on_source) == {mids["back"]}
    assert set(on_target) == {mids["flagged"]}
    assert {"\\Seen", "\\Flagged"} <= on_target[mids["flagged"]]
    assert set(on_onward) == {mids["onward"]}
    # Local equals server, one copy each, and the deleted one is nowhere.
    for folder in (source, target, onward):
        assert local_folder(profile, account, folder) == server_folder(bernard_imap, folder)
    assert not [m for m in profile.messages.search("deleted")
                if m.message_id == mids["deleted"]]
    profile.sync.sync_account(account)  # and it stays so
    assert mids["deleted"] not in _server_message_ids(bernard_imap, target)


def _connection_for(account: Account) -> Any:
    from app.services.sync_engine import default_connection

    return default_connection(account)


def test_nurse_syncs_the_org_shared_box(sandbox: dict[str, Any], tmp_path: Path) -> None:
    """The ORG box is opened with the nurse's own login (shared namespace, RFC 4314 ACL): its
    folders are mirrored, the nurse's own are not (both nurses, more cases:
    tests/integration/test_sync_namespaces.py)."""
    box = world.CARDIOLOGY_BOX
    profile, account = new_profile(tmp_path, sandbox, world.NURSE_PETIT, address=box.address,
                                   kind=MailboxKind.ORG)
    with profile:
        profile.sync.sync_account(account)
        client = imap_as(sandbox, world.NURSE_PETIT)
        try:
            root = f"{sandbox.get('shared_prefix', 'Partagé/')}{box.address}"
            shared = [f for f in selectable_folders(client)
                      if f == root or f.startswith(root + "/")]
            assert root in shared, "the nurse does not see the ORG box"
            assert server_folder(client, root), "the ORG box's inbox is empty on the server"
            for folder in shared:
                assert local_folder(profile, account, folder) == server_folder(client, folder)
            account_id = profile.messages.account_id(account.address, account.login)
            assert {f.name for f in profile.messages.folders(account_id)} == set(shared)
        finally:
            client.logout()


def test_wrong_password_is_an_authentication_error(sandbox: dict[str, Any],
                                                   tmp_path: Path) -> None:
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        profile.accounts.remove(account.address)
        profile.accounts.add(account, password="mauvais")
        with pytest.raises(AuthenticationError):
            profile.sync.sync_account(account)


def test_cancelled_sync_stops_and_resumes(bernard: tuple[Profile, Account],
                                          bernard_imap: IMAPClient) -> None:
    profile, account = bernard
    token = CancelToken()
    seen: list[FolderSyncProgress] = []

    def on_progress(event: FolderSyncProgress) -> None:
        seen.append(event)
        token.cancel()

    unsubscribe = profile.events.subscribe(FolderSyncProgress, on_progress)
    from app.errors import UserCancelled

    with pytest.raises(UserCancelled):
        profile.sync.sync_account(account, cancel=token)
    unsubscribe()
    assert len(seen) == 1
    profile.sync.sync_account(account)
    _assert_mirror(profile, account, bernard_imap)


def test_cli_sync_search_show(sandbox: dict[str, Any], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    imap = sandbox["imap"]
    monkeypatch.setenv("ESTAFETTE_PASSWORD", world.DR_MARTIN.password)
    assert main([*base, "account", "add", "--address", world.DR_MARTIN.login, "--kind", "PER",
                 "--imap", f"{imap['host']}:{imap['port']}", "--imap-tls", "starttls",
                 "--smtp", "127.0.0.1:25", "--smtp-tls", "starttls", "--auth", "password",
                 "--login", world.DR_MARTIN.login, "--ca-file", sandbox["ca_file"]]) == 0
    assert main([*base, "sync", "--once"]) == 0
    capsys.readouterr()
    assert main([*base, "search", "durand", "--json", "--limit", "5"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert 0 < len(results) <= 5
    assert {"id", "account", "folder", "uid", "date", "from", "subject"} <= set(results[0])
    dates = [r["date"] for r in results]
    assert dates == sorted(dates, reverse=True)
    # Other tests of the session send into Martin's mailbox too: show one the seed wrote (the
    # lab's report, whose body is known) rather than whatever is newest.
    assert main([*base, "search", "durand", "--json", "--limit", "100"]) == 0
    seeded = [r for r in json.loads(capsys.readouterr().out) if "labo-bioval" in r["from"]]
    assert seeded
    assert main([*base, "show", str(seeded[0]["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {"to", "cc", "text", "attachments", "documents"} <= set(shown)
    assert "Bioval" in shown["text"]
    assert main([*base, "show", "999999"]) == 1
    capsys.readouterr()


def test_cli_sync_unreachable_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      sandbox: dict[str, Any]) -> None:
    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "x")
    assert main([*base, "account", "add", "--address", "a@exemple.mssante.fr", "--kind", "PER",
                 "--imap", "127.0.0.1:1", "--imap-tls", "implicit", "--smtp", "127.0.0.1:1",
                 "--smtp-tls", "implicit", "--auth", "password", "--login", "a",
                 "--ca-file", sandbox["ca_file"]]) == 0
    assert main([*base, "sync", "--once"]) == EXIT_UNREACHABLE


def _secrets_of(person: world.Person) -> set[bytes]:
    """Seeded subjects, distinctive body words and every patient INS of ``person``'s mail."""
    words: set[bytes] = {p.ins.encode() for p in world.PATIENTS}
    for seed in seed_messages.build():
        if person.login not in seed.recipients and seed.sent_copy != person.login:
            continue
        words.add(str(seed.message["Subject"]).encode())
        body = seed.message.get_body(preferencelist=("plain",))
        if body is not None:
            text = body.get_content()
            words.update(w.encode() for w in text.split() if len(w) >= 12 and w.isalpha())
    return words


def test_no_health_data_in_plaintext_after_a_sync(sandbox: dict[str, Any],
                                                  tmp_path: Path) -> None:
    """After a CLI sync (its own TMPDIR), no subject, body word or INS is readable on disk."""
    profile_dir, private_tmp = tmp_path / "p", tmp_path / "tmp"
    private_tmp.mkdir()
    key = tmp_path / "k"
    imap = sandbox["imap"]
    env = {**os.environ, "TMPDIR": str(private_tmp), "ESTAFETTE_PASSWORD": world.DR_MARTIN.password,
           "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "app", "--profile", str(profile_dir), "--key-file", str(key)]
    subprocess.run([*base, "account", "add", "--address", world.DR_MARTIN.login, "--kind", "PER",
                    "--imap", f"{imap['host']}:{imap['port']}", "--imap-tls", "starttls",
                    "--smtp", "127.0.0.1:25", "--smtp-tls", "starttls", "--auth", "password",
                    "--login", world.DR_MARTIN.login, "--ca-file", sandbox["ca_file"]],
                   env=env, check=True, cwd=ROOT, capture_output=True)
    done = subprocess.run([*base, "sync", "--once"], env=env, cwd=ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr
    secrets = _secrets_of(world.DR_MARTIN)
    assert len(secrets) > 10
    files = [p for d in (profile_dir, private_tmp) for p in d.rglob("*") if p.is_file()]
    assert any(p.name == "estafette.db" for p in files)
    # The raw messages are in the encrypted pack files beside the database: scanned too.
    assert any(p.suffix == ".pack" and p.stat().st_size > 0 for p in files)
    for path in files:
        data = path.read_bytes()
        leaked = sorted(w.decode() for w in secrets if w in data)
        assert leaked == [], f"{path.name} holds {leaked[:3]} in plaintext"


def _indexed(profile: Profile, account: Account) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Per (folder, uid): what the body pass stored for search and display."""
    account_id = profile.messages.account_id(account.address, account.login)
    found: dict[tuple[str, int], tuple[Any, ...]] = {}
    for summary in profile.messages.all_messages(account_id):
        detail = profile.messages.get(summary.id)
        assert detail is not None and summary.uid is not None
        [fts] = profile.database.query(
            "SELECT f.body, f.attachments FROM message_fts f JOIN message m "
            "ON m.fts_rowid = f.rowid WHERE m.id = ?", (summary.id,))
        found[(summary.folder, summary.uid)] = (
            summary.state, summary.has_attachments, summary.is_xdm, detail.broken_reason,
            detail.attachments, fts[0], fts[1], profile.messages.raw(summary.id))
    return found


def test_a_bulk_body_pass_extracts_in_the_child_exactly_as_in_process(
        sandbox: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An initial sync of thousands of messages runs in bulk mode, its text extracted by a child
    process. The threshold is lowered here so the seeded mailbox (PDFs, XDMs, broken mail) takes
    that path; the result must equal an in-process sync of the same mailbox."""
    from app.protocols.mime import extraction_process
    from app.services import sync_engine

    batches: list[int] = []
    begin = extraction_process.ExtractionProcess.begin

    def counting(self: extraction_process.ExtractionProcess, raws: Any, *,
                 headers: bool = False) -> extraction_process.PendingExtraction:
        batches.append(len(raws))
        assert not self.failed
        return begin(self, raws, headers=headers)

    in_process, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    with in_process:
        in_process.sync.sync_account(account)
        want = _indexed(in_process, account)
    assert batches == []
    monkeypatch.setattr(extraction_process.ExtractionProcess, "begin", counting)
    monkeypatch.setattr(sync_engine, "BULK_MESSAGES", 1)
    bulk, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    with bulk:
        cache_size = bulk.database.query("PRAGMA cache_size")[0][0]
        bulk.sync.sync_account(account)
        got = _indexed(bulk, account)
        assert bulk.database.query("PRAGMA cache_size")[0][0] == cache_size  # bulk mode ended
    assert sum(batches) == len(want) > 10
    assert got == want
    assert any(row[2] for row in got.values()) and any(row[4] for row in got.values())



_ROW_COLUMNS = ("message_id, date, internaldate, from_name, from_addr, to_display, to_addrs, "
                "cc_display, cc_addrs, subject, flags, size, has_attachments, is_xdm, modseq, "
                "state, broken_reason, patient_addr")


def _rows(profile: Profile) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Per (folder, uid): every column of the row that does not depend on insertion order."""
    return {(str(r[0]), int(r[1])): tuple(r[2:]) for r in profile.database.query(
        f"SELECT f.name, m.uid, {_ROW_COLUMNS} FROM message m JOIN folder f "
        "ON f.id = m.folder_id WHERE m.uid IS NOT NULL")}


def _search_hits(profile: Profile, account: Account,
                 queries: list[str]) -> dict[str, set[tuple[str, int | None]]]:
    account_id = profile.messages.account_id(account.address, account.login)
    return {q: {(m.folder, m.uid) for m in profile.messages.search(q, account_id=account_id,
                                                                     limit=10_000)}
            for q in queries}


@pytest.mark.parametrize("child", [True, False], ids=["extraction-child", "in-process"])
def test_the_single_pass_stores_what_the_header_then_body_passes_store(
        sandbox: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        child: bool) -> None:
    """An initial sync fetches the headers of a big folder's newest messages first, then the
    older ones whole: headers and body in one FETCH, one row written complete. Forced here for
    all but the newest message of each folder of the seeded mailbox (PDFs, XDMs, broken mail):
    rows, attachments, index and raw bytes must equal those of the two passes."""
    from app.services import sync_engine

    two_passes, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    with two_passes:
        two_passes.sync.sync_account(account)
        want = (_rows(two_passes), _indexed(two_passes, account))
        subjects = {str(r[9]) for r in want[0].values()}
        words = sorted({w for s in subjects for w in s.split() if len(w) > 4})[:40]
        queries = [*words, "pdf", "xdm", "martin", "bernard", "cda"]
        want_hits = _search_hits(two_passes, account, queries)
    monkeypatch.setattr(sync_engine, "HEADERS_FIRST", 1)
    if child:
        monkeypatch.setattr(sync_engine, "BULK_MESSAGES", 1)
    progress: list[str] = []
    single, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    with single:
        single.events.subscribe(FolderSyncProgress, lambda e: progress.append(e.phase))
        report = single.sync.sync_account(account)
        got = (_rows(single), _indexed(single, account))
        got_hits = _search_hits(single, account, queries)
    assert "messages" in progress  # the single pass did run
    assert report.new == report.bodies == len(want[0]) > 10
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got_hits == want_hits
    assert sum(len(hits) for hits in want_hits.values()) > len(queries)


def test_the_single_pass_of_a_folder_with_gaps_bounds_its_batches_by_size(
        bernard: tuple[Profile, Account], bernard_imap: IMAPClient) -> None:
    """The older messages of a big folder come whole, in batches bounded by bytes: their sizes
    are asked beforehand, over one uid range (a mailbox with many expunged uids would otherwise
    make a command line longer than the server accepts). Every third message is expunged here,
    two are flagged: the folder still mirrors the server, every body stored and searchable."""
    from app.services.sync_engine import SyncEngine

    profile, account = bernard
    folder = scratch_folder(bernard_imap, "Gaps")
    for i in range(45):
        bernard_imap.append(folder, simple_message(f"Bilan lacunaire {i}", f"mot{i}x " * 50))
    bernard_imap.select_folder(folder)
    uids = sorted(bernard_imap.search(["ALL"]))
    bernard_imap.delete_messages(uids[::3])
    bernard_imap.expunge()
    bernard_imap.add_flags(uids[1:3], [b"\\Flagged"])
    engine = SyncEngine(store=profile.messages, events=profile.events,
                        password_for=profile.accounts.password, headers_first=5,
                        body_batch_bytes=1)  # every message over the bound: one per batch
    batches: list[tuple[int, int]] = []
    profile.events.subscribe(FolderSyncProgress, lambda e: batches.append((e.done, e.total))
                             if e.folder == folder and e.phase == "messages" else None)
    report = engine.sync_account(account)
    assert folder not in report.skipped_folders
    server = server_folder(bernard_imap, folder)
    assert len(server) == 30
    assert local_folder(profile, account, folder) == server
    # 30 messages: 5 by the header pass, 25 whole, each in a batch of its own.
    assert [done for done, _total in batches] == list(range(6, 31))
    account_id = profile.messages.account_id(account.address, account.login)
    state = profile.messages.folder(account_id, folder)
    assert state is not None and state.sync_state == "complete"
    stored = profile.messages.list_folder(state.id, limit=100)
    assert {m.state for m in stored} == {"complete"}
    kept = [i for i in range(45) if i % 3]
    for i in (kept[0], kept[-1]):
        assert [m.subject for m in profile.messages.search(f"mot{i}x")] == \
            [f"Bilan lacunaire {i}"]
    bernard_imap.delete_folder(folder)
