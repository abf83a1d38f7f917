"""Receipt and conversation handling off the sync's thread (issue 3, sync throughput): the sync's
events only queue message ids; a thread of its own hands them to the receipt service; what a run
left unhandled (killed, closed mid-sync) is caught up from the store at the next open, and an
upgraded profile's old mail is left alone."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.events import MessagesChanged, MessagesStored
from app.protocols.mime.index_text import extract
from app.services.receipt_runner import CATCH_UP_SETTING
from app.store.message_store import AttachmentInfo, BodyRecord, FolderInfo, HeaderRecord

ACCOUNT = Account(
    address="jean.martin@rivoli.mssante.fr",
    kind=MailboxKind.PER,
    login="jmartin",
    imap=Endpoint("imap.rivoli.fr", 993, TlsMode.IMPLICIT),
    smtp=Endpoint("smtp.rivoli.fr", 587, TlsMode.STARTTLS),
)
REQUESTER = "dr.durand@chu-lumiere.mssante.fr"


def _raw(uid: int, *, wants_receipt: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = REQUESTER
    msg["To"] = ACCOUNT.address
    msg["Subject"] = f"Courrier {uid}"
    msg["Message-ID"] = f"<m{uid}@chu-lumiere.mssante.fr>"
    if wants_receipt:
        msg["Disposition-Notification-To"] = REQUESTER
    msg.set_content("Veuillez trouver le compte rendu.")
    return msg.as_bytes()


def _store(profile: Profile, uid: int, *, wants_receipt: bool, body: bool = True) -> int:
    """Headers then body, as the sync stores them, without publishing any event."""
    store = profile.messages
    raw = _raw(uid, wants_receipt=wants_receipt)
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    folder = store.folder(account_id, "INBOX")
    folder_id = folder.id if folder is not None else store.replace_folders(
        account_id, [FolderInfo("INBOX", "/", None)])[0].id
    extracted = extract(raw)
    header = HeaderRecord(
        uid=uid, message_id=extracted.headers.message_id, date=1_700_000_000 + uid,
        internaldate=None, from_name="", from_addr=REQUESTER, to_display="",
        to_addrs=ACCOUNT.address, cc_display="", cc_addrs="", subject=extracted.headers.subject,
        flags=frozenset(), size=len(raw), has_attachments=False, is_xdm=False)
    (message_id,) = store.store_headers(folder_id, [header]).new_ids
    if body:
        _body(profile, uid, raw)
    return message_id


def _body(profile: Profile, uid: int, raw: bytes) -> None:
    store = profile.messages
    folder = store.folder(store.account_id(ACCOUNT.address, ACCOUNT.login), "INBOX")
    assert folder is not None
    folder_id = folder.id
    extracted = extract(raw)
    store.store_bodies(folder_id, [BodyRecord(
        uid=uid, raw=raw, text=extracted.text,
        attachments=tuple(AttachmentInfo(a.name, a.type, a.size) for a in extracted.attachments),
        has_attachments=False)])


def _open(tmp_path: Path) -> Profile:
    return open_profile(tmp_path / "p", key_file=tmp_path / "k")


def _requested(profile: Profile) -> list[int | None]:
    return sorted(r.message_ref or 0 for r in profile.receipts.pending_mdns(ACCOUNT.address))


def test_events_are_handled_on_the_runner_thread_not_the_publisher(tmp_path: Path) -> None:
    with _open(tmp_path) as profile:
        profile.accounts.add(ACCOUNT, password="x")
        asking = _store(profile, 1, wants_receipt=True)
        plain = _store(profile, 2, wants_receipt=False)
        threads: list[str] = []
        release = threading.Event()
        handle = profile.receipts.handle

        def observed(account: str, folder: str, refs: Sequence[int], **kw: Any) -> int:
            threads.append(threading.current_thread().name)
            release.wait(30)
            return handle(account, folder, refs, **kw)

        profile.receipts.handle = observed  # type: ignore[method-assign]
        # The publisher (the sync's thread) returns while the handling is still held back.
        profile.events.publish(MessagesStored(ACCOUNT.address, "INBOX", (asking,)))
        profile.events.publish(MessagesChanged(ACCOUNT.address, "INBOX", changed_ids=(plain,)))
        assert _requested(profile) == []
        release.set()
        profile.incoming.wait_idle(timeout=30)
        assert threads and all(name.startswith("receipts") for name in threads)
        assert _requested(profile) == [asking]
        # Both are recorded handled (the ordinary one in the batch's single write): once only.
        assert profile.receipts.store.handled_among([asking, plain]) == {asking, plain}


def test_messages_left_unhandled_are_caught_up_at_the_next_open(tmp_path: Path) -> None:
    with _open(tmp_path) as profile:
        profile.accounts.add(ACCOUNT, password="x")
        profile.incoming.wait_idle(timeout=30)
        # Stored, then the process ends before any handling (no event reached the runner).
        asking = _store(profile, 1, wants_receipt=True)
        plain = _store(profile, 2, wants_receipt=False)
        assert profile.receipts.store.handled_among([asking, plain]) == set()
    with _open(tmp_path) as profile:
        profile.incoming.wait_idle(timeout=30)
        assert _requested(profile) == [asking]
        assert profile.receipts.store.handled_among([asking, plain]) == {asking, plain}
    with _open(tmp_path) as profile:  # and only once
        profile.incoming.wait_idle(timeout=30)
        assert len(profile.receipts.store.mdn_requests()) == 1


def test_an_upgraded_profile_does_not_answer_its_old_mail(tmp_path: Path) -> None:
    with _open(tmp_path) as profile:
        profile.accounts.add(ACCOUNT, password="x")
        profile.incoming.wait_idle(timeout=30)
        old = _store(profile, 1, wants_receipt=True)
        # As a profile written before this runner existed: no catch-up mark.
        profile.incoming.stop(wait=True)
        profile.receipts._settings.delete(CATCH_UP_SETTING)
    with _open(tmp_path) as profile:
        profile.incoming.wait_idle(timeout=30)
        assert _requested(profile) == []
        assert profile.receipts.store.handled_among([old]) == set()
        new = _store(profile, 2, wants_receipt=True)
    with _open(tmp_path) as profile:
        profile.incoming.wait_idle(timeout=30)
        assert _requested(profile) == [new]


def test_bodies_seen_by_the_sync_are_not_read_back_unless_they_may_matter(tmp_path: Path) -> None:
    with _open(tmp_path) as profile:
        profile.accounts.add(ACCOUNT, password="x")
        asking = _store(profile, 1, wants_receipt=True)
        plain = _store(profile, 2, wants_receipt=False)
        read_back: list[int] = []
        raw = profile.messages.raw

        def counting(message_id: int) -> bytes | None:
            read_back.append(message_id)
            return raw(message_id)

        profile.messages.raw = counting  # type: ignore[method-assign]
        # What the sync engine hands its body observers, then its event.
        profile.incoming.observe(ACCOUNT.address, "INBOX", [
            (asking, _raw(1, wants_receipt=True)), (plain, _raw(2, wants_receipt=False))])
        profile.events.publish(MessagesChanged(ACCOUNT.address, "INBOX",
                                               changed_ids=(asking, plain)))
        profile.incoming.wait_idle(timeout=30)
        assert read_back == [asking]
        assert _requested(profile) == [asking]
        assert profile.receipts.store.handled_among([asking, plain]) == {asking, plain}


def test_the_catch_up_mark_moves_on_but_not_past_a_message_waiting_for_its_body(
        tmp_path: Path) -> None:
    with _open(tmp_path) as profile:
        profile.accounts.add(ACCOUNT, password="x")
        profile.incoming.wait_idle(timeout=30)
        first = _store(profile, 1, wants_receipt=False)
        waiting = _store(profile, 2, wants_receipt=True, body=False)
        _store(profile, 3, wants_receipt=False)
    with _open(tmp_path) as profile:
        profile.incoming.wait_idle(timeout=30)
        # Messages 1 and 3 handled; the next start begins at the one still without its body.
        assert profile.receipts._settings.get(CATCH_UP_SETTING) == str(waiting)
        assert waiting > first
        # Its body comes (the process then ends before any event is handled)...
        profile.incoming.stop(wait=True)
        _body(profile, 2, _raw(2, wants_receipt=True))
    with _open(tmp_path) as profile:
        profile.incoming.wait_idle(timeout=30)
        assert _requested(profile) == [waiting]  # ...and it is caught up
        mark = int(profile.receipts._settings.get(CATCH_UP_SETTING) or 0)
        assert mark > waiting
    with _open(tmp_path) as profile:  # nothing left: the mark stays where it is
        profile.incoming.wait_idle(timeout=30)
        assert profile.receipts._settings.get(CATCH_UP_SETTING) == str(mark)
