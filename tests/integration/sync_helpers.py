"""Helpers for the sync tests: a fresh key-file profile with a sandbox account, server snapshots."""

from __future__ import annotations

import queue
import ssl
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.events import Event, MessagesStored, WatchStateChanged
from app.services.sync_engine import CancelToken
from tests.sandbox import demo_world as world


def account_for(sandbox: dict[str, Any], person: world.Person, *, address: str | None = None,
                kind: MailboxKind = MailboxKind.PER, tls: str = "imap") -> Account:
    imap = sandbox[tls]
    return Account(
        address=address or person.login,
        kind=kind,
        login=person.login,
        imap=Endpoint(imap["host"], int(imap["port"]), TlsMode(imap["tls"])),
        smtp=Endpoint("127.0.0.1", 25, TlsMode.STARTTLS),
        auth=AuthMethod.PASSWORD,
        ca_file=sandbox["ca_file"],
    )


def new_profile(tmp_path: Path, sandbox: dict[str, Any], person: world.Person,
                **account_options: Any) -> tuple[Profile, Account]:
    profile = open_profile(tmp_path / f"profile-{uuid.uuid4().hex[:6]}",
                           key_file=tmp_path / f"key-{uuid.uuid4().hex[:6]}")
    account = account_for(sandbox, person, **account_options)
    profile.accounts.add(account, password=person.password)
    return profile, account


def imap_as(sandbox: dict[str, Any], person: world.Person) -> IMAPClient:
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    imaps = sandbox["imaps"]
    client = IMAPClient(imaps["host"], imaps["port"], ssl=True, ssl_context=context, timeout=20)
    client.login(person.login, person.password)
    return client


def server_folder(client: IMAPClient, folder: str) -> dict[int, frozenset[str]]:
    """uid -> flags (without \\Recent) of a server folder."""
    client.select_folder(folder, readonly=True)
    fetched = client.fetch("1:*", ["FLAGS"]) if client.search(["ALL"]) else {}
    return {int(uid): frozenset(f.decode() for f in data[b"FLAGS"]) - {"\\Recent"}
            for uid, data in fetched.items()}


def local_folder(profile: Profile, account: Account, folder: str) -> dict[int, frozenset[str]]:
    account_id = profile.messages.account_id(account.address, account.login)
    state = profile.messages.folder(account_id, folder)
    assert state is not None, f"folder {folder!r} not synced"
    return profile.messages.server_uids(state.id)


def selectable_folders(client: IMAPClient) -> list[str]:
    return [name for flags, _d, name in client.list_folders()
            if b"\\Noselect" not in flags and b"\\NonExistent" not in flags]


def scratch_folder(client: IMAPClient, prefix: str = "Test") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client.create_folder(name)
    return name


def simple_message(subject: str, body: str = "Texte du message.", *,
                   message_id: str | None = None) -> bytes:
    mid = message_id or f"<{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    return (
        f"From: Test <test@exemple.mssante.fr>\r\nTo: dest@exemple.mssante.fr\r\n"
        f"Subject: {subject}\r\nDate: Fri, 20 Nov 2026 10:00:00 +0100\r\nMessage-ID: {mid}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    ).encode()


class WatchInThread:
    """``profile.sync.watch(account)`` (IDLE push) on a thread of its own, with short backoffs;
    its state changes and stored messages queued for the test to wait on."""

    def __init__(self, profile: Profile, account: Account, *, name: str = "watch",
                 guard: float = 20.0) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        profile.events.subscribe(WatchStateChanged, self.events.put)
        profile.events.subscribe(MessagesStored, self.events.put)
        self.token = CancelToken()
        self.failure: list[BaseException] = []
        self.guard = guard
        self.thread = threading.Thread(target=self._run, args=(profile, account), name=name)

    def _run(self, profile: Profile, account: Account) -> None:
        try:
            profile.sync.watch(account, cancel=self.token, backoff_base=0.05, backoff_max=0.5)
        except BaseException as exc:  # reported by the test's assertion on ``failure``
            self.failure.append(exc)

    def start(self) -> None:
        self.thread.start()

    def wait_for(self, predicate: Callable[[Event], bool], *, limit: int = 200) -> int:
        """Consume events until ``predicate`` holds; returns how many were consumed."""
        for count in range(1, limit + 1):
            if predicate(self.events.get(timeout=self.guard)):
                return count
        raise AssertionError(f"no matching event among {limit}")

    def wait_state(self, state: str) -> int:
        return self.wait_for(lambda e: isinstance(e, WatchStateChanged) and e.state == state)

    def stop(self) -> None:
        self.token.cancel()
        self.thread.join(timeout=self.guard)

