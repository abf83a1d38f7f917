"""QRESYNC resync, QUOTA, IDLE push with reconnection, and a link cut in the middle of a FETCH —
against the sandbox's real Dovecot (through ``tcp_proxy.CuttableProxy`` where a failure is
scripted)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from app.cli import main
from app.composition import Profile
from app.domain.account import Account, Endpoint, TlsMode
from app.errors import ServerUnreachableError
from app.events import Event, FolderSyncProgress, MessagesStored, WatchStateChanged
from app.protocols.imap.connection import ImapConnection, QresyncSelect
from app.services.sync_engine import SyncEngine
from tests.integration.sync_helpers import (
    WatchInThread,
    imap_as,
    local_folder,
    new_profile,
    scratch_folder,
    server_folder,
    simple_message,
)
from tests.integration.tcp_proxy import CuttableProxy
from tests.sandbox import demo_world as world

pytestmark = pytest.mark.sandbox
GUARD = 90.0  # seconds: a failure guard for waits on events, never a speed assertion


class SpyConnection(ImapConnection):
    """Records which resync path ran."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qresync_selects: list[str] = []
        self.searches: list[list[Any]] = []

    def select_qresync(self, folder: str, *, uidvalidity: int, modseq: int,
                       known_uids: Any) -> QresyncSelect:
        self.qresync_selects.append(folder)
        return super().select_qresync(folder, uidvalidity=uidvalidity, modseq=modseq,
                                      known_uids=known_uids)

    def search_uids(self, criteria: Sequence[Any]) -> list[int]:
        self.searches.append(list(criteria))
        return super().search_uids(criteria)


@pytest.fixture
def bernard_imap(sandbox: dict[str, Any]) -> Iterator[IMAPClient]:
    client = imap_as(sandbox, world.DR_BERNARD)
    yield client
    client.logout()


def _engine(profile: Profile, spies: list[SpyConnection], **options: Any) -> SyncEngine:
    def factory(account: Account) -> ImapConnection:
        spy = SpyConnection(endpoint=account.imap, ca_file=account.ca_file, name="spy")
        spies.append(spy)
        return spy

    return SyncEngine(store=profile.messages, events=profile.events,
                      password_for=profile.accounts.password, connection_factory=factory,
                      **options)


@pytest.mark.parametrize("use_qresync", [True, False], ids=["qresync", "fallback"])
def test_resync_paths_keep_the_mirror_and_cost_at_most_two_round_trips_per_folder(
        sandbox: dict[str, Any], tmp_path: Path, bernard_imap: IMAPClient,
        use_qresync: bool) -> None:
    """QRESYNC (SELECT ... (QRESYNC ...)) and the CONDSTORE/UID-diff fallback give the same state;
    a resync with nothing changed costs ≤ 2 round trips per folder."""
    folder = scratch_folder(bernard_imap, "Qresync")
    for i in range(6):
        bernard_imap.append(folder, simple_message(f"Bilan sanguin numéro {i}"))
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    spies: list[SpyConnection] = []
    engine = _engine(profile, spies, use_qresync=use_qresync)
    with profile:
        engine.sync_account(account)
        # Nothing changed.
        quiet = engine.sync_account(account)
        assert (quiet.new, quiet.changed, quiet.removed, quiet.bodies) == (0, 0, 0, 0)
        # LIST and GETQUOTAROOT are per pass, not per folder.
        assert quiet.round_trips - 2 <= 2 * quiet.folders
        assert bool(spies[-1].qresync_selects) is use_qresync

        # Server-side changes: a flag, an expunge, a new message, in one resync.
        bernard_imap.select_folder(folder)
        uids = sorted(bernard_imap.search(["ALL"]))
        bernard_imap.add_flags([uids[0]], [b"\\Flagged"])
        bernard_imap.remove_flags([uids[2]], [b"\\Seen"])
        bernard_imap.add_flags([uids[3]], [b"\\Seen"])
        bernard_imap.delete_messages([uids[1]])
        bernard_imap.expunge()
        bernard_imap.append(folder, simple_message("Résultat tardif hématologie"))
        report = engine.sync_account(account)
        assert (report.new, report.removed) == (1, 1)
        assert report.changed >= 2
        assert local_folder(profile, account, folder) == server_folder(bernard_imap, folder)
        assert profile.messages.search("hematologie")
        spy = spies[-1]
        if use_qresync:
            assert folder in spy.qresync_selects
            assert ["ALL"] not in spy.searches  # no UID diff needed
        else:
            assert spy.qresync_selects == []
            assert ["ALL"] in spy.searches
    bernard_imap.delete_folder(folder)


def test_quota_is_read_stored_and_printed(sandbox: dict[str, Any], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """GETQUOTAROOT INBOX: the sandbox gives every user 1 GiB of storage."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    with profile:
        report = profile.sync.sync_account(account)
        assert report.quota is not None
        assert report.quota.storage_limit == 1024 ** 3
        assert report.quota.storage_used is not None and report.quota.storage_used > 0
        account_id = profile.messages.account_id(account.address, account.login)
        stored = profile.messages.quota(account_id)
        assert stored is not None and stored.storage_limit == 1024 ** 3
    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    imap = sandbox["imap"]
    monkeypatch.setenv("ESTAFETTE_PASSWORD", world.DR_MARTIN.password)
    assert main([*base, "account", "add", "--address", world.DR_MARTIN.login, "--kind", "PER",
                 "--imap", f"{imap['host']}:{imap['port']}", "--imap-tls", "starttls",
                 "--smtp", "127.0.0.1:25", "--smtp-tls", "starttls", "--auth", "password",
                 "--login", world.DR_MARTIN.login, "--ca-file", sandbox["ca_file"]]) == 0
    capsys.readouterr()
    assert main([*base, "sync", "--once"]) == 0
    lines = capsys.readouterr().out.splitlines()
    quota = [line for line in lines if line.startswith("Quota : ")]
    assert len(quota) == 1 and quota[0].endswith(" sur 1 Go"), lines


def _proxied(sandbox: dict[str, Any], tmp_path: Path, proxy: CuttableProxy
             ) -> tuple[Profile, Account]:
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD, tls="imaps")
    proxied = Account(address=account.address, kind=account.kind, login=account.login,
                      imap=Endpoint("127.0.0.1", proxy.port, TlsMode.IMPLICIT),
                      smtp=account.smtp, auth=account.auth, ca_file=account.ca_file)
    return profile, proxied


def test_link_cut_in_the_middle_of_a_body_fetch(sandbox: dict[str, Any], tmp_path: Path,
                                                bernard_imap: IMAPClient) -> None:
    """The link dies inside a BODY.PEEK[] response: a clear error, nothing half-stored (each
    message is headers only or complete with the server's exact bytes), the next pass completes
    (ECO.1.2.3: a connection error leaves the client usable)."""
    folder = scratch_folder(bernard_imap, "Coupure")
    filler = "Compte rendu opératoire détaillé, suites simples. " * 800  # ~40 KB per message
    for i in range(20):
        bernard_imap.append(folder, simple_message(f"Compte rendu {i}", filler))
    imaps = sandbox["imaps"]
    with CuttableProxy(imaps["host"], imaps["port"]) as proxy:
        profile, account = _proxied(sandbox, tmp_path, proxy)
        engine = SyncEngine(store=profile.messages, events=profile.events,
                            password_for=profile.accounts.password, body_batch=4)

        def arm(event: FolderSyncProgress) -> None:
            if event.folder == folder and event.phase == "bodies" and event.done == 4:
                proxy.cut_after(70_000)  # inside the next batch's ~160 KB answer

        unsubscribe = profile.events.subscribe(FolderSyncProgress, arm)
        with profile:
            with pytest.raises(ServerUnreachableError) as caught:
                engine.sync_account(account)
            assert proxy.cuts == 1
            assert "injoignable" in caught.value.text("fr")
            unsubscribe()
            account_id = profile.messages.account_id(account.address, account.login)
            state = profile.messages.folder(account_id, folder)
            assert state is not None
            stored = profile.messages.list_folder(state.id, limit=100)
            assert len(stored) == 20
            states = {m.state for m in stored}
            assert states == {"complete", "headers_only"}, states
            bernard_imap.select_folder(folder, readonly=True)
            server_raw = {uid: data[b"BODY[]"] for uid, data in
                          bernard_imap.fetch("1:*", ["BODY.PEEK[]"]).items()}
            for message in stored:
                raw = profile.messages.raw(message.id)
                if message.state == "headers_only":
                    assert raw is None
                else:
                    assert raw == server_raw[message.uid]

            report = engine.sync_account(account)
            assert report.bodies > 0
            assert {m.state for m in profile.messages.list_folder(state.id, limit=100)} == {
                "complete"}
            assert local_folder(profile, account, folder) == server_folder(bernard_imap, folder)
    bernard_imap.delete_folder(folder)


def test_watch_pushes_new_mail_and_reconnects(sandbox: dict[str, Any], tmp_path: Path,
                                             bernard_imap: IMAPClient) -> None:
    """IDLE push: a message APPENDed by another session is stored; the server link is cut, the
    watch reconnects by itself and goes on (ECO.1.2.3); cancellation stops it cleanly."""
    imaps = sandbox["imaps"]
    with CuttableProxy(imaps["host"], imaps["port"]) as proxy:
        profile, account = _proxied(sandbox, tmp_path, proxy)
        watch = WatchInThread(profile, account, guard=GUARD)
        with profile:
            watch.start()
            try:
                watch.wait_state("idle")
                account_id = profile.messages.account_id(account.address, account.login)

                def stored(subject: str) -> Any:
                    def check(event: Event) -> bool:
                        if not isinstance(event, MessagesStored) or event.folder != "INBOX":
                            return False
                        return any((d := profile.messages.get(i)) is not None
                                   and d.summary.subject == subject for i in event.message_ids)
                    return check

                first = f"Urgence poussée {uuid.uuid4().hex[:6]}"
                bernard_imap.append("INBOX", simple_message(first))
                # The push, one pass (syncing), then the message: a handful of events, no polling.
                assert watch.wait_for(stored(first)) <= 4

                proxy.cut_all()
                watch.wait_state("disconnected")
                # Meanwhile the rest of the client works from the store.
                assert profile.messages.search(first.split()[-1], account_id=account_id)
                watch.wait_state("idle")
                assert proxy.connections >= 2

                second = f"Après reconnexion {uuid.uuid4().hex[:6]}"
                bernard_imap.append("INBOX", simple_message(second))
                assert watch.wait_for(stored(second)) <= 4
            finally:
                watch.stop()
            assert not watch.thread.is_alive()
            assert watch.failure == []
            states = []
            while not watch.events.empty():
                event = watch.events.get_nowait()
                if isinstance(event, WatchStateChanged):
                    states.append(event.state)
            assert states[-1] == "stopped"
            for subject in (first, second):
                bernard_imap.select_folder("INBOX")
                uids = bernard_imap.search(["SUBJECT", subject.split()[-1]])
                bernard_imap.delete_messages(uids)
                bernard_imap.expunge()


def test_cli_sync_watch_waits_then_stops_on_ctrl_c(sandbox: dict[str, Any],
                                                   tmp_path: Path) -> None:
    """``estafette sync --watch``: one pass, then waits for push; Ctrl+C ends it cleanly."""
    import os
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "ESTAFETTE_PASSWORD": world.DR_MARTIN.password,
           "PYTHONPATH": str(root)}
    base = [sys.executable, "-m", "app", "--profile", str(tmp_path / "p"), "--key-file",
            str(tmp_path / "k")]
    imap = sandbox["imap"]
    subprocess.run([*base, "account", "add", "--address", world.DR_MARTIN.login, "--kind", "PER",
                    "--imap", f"{imap['host']}:{imap['port']}", "--imap-tls", "starttls",
                    "--smtp", "127.0.0.1:25", "--smtp-tls", "starttls", "--auth", "password",
                    "--login", world.DR_MARTIN.login, "--ca-file", sandbox["ca_file"]],
                   env=env, check=True, cwd=root, capture_output=True)
    child = subprocess.Popen([*base, "sync", "--watch"], env=env, cwd=root, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:  # ends at EOF if the watch dies: the assertion then fails
            lines.append(line)
            if "en attente de nouveaux messages" in line:
                break
        assert any("en attente de nouveaux messages" in line for line in lines), lines
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=GUARD)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert "Surveillance arrêtée." in err
    assert "Traceback" not in err
