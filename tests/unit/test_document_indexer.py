"""The background document indexer (issue 3 item 1): text of PDF/CDA/XDM attachments joins the
message's full-text row; each message is looked at once (done or failed); broken documents are
skipped without harm."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.events import MessagesChanged, SyncFinished
from app.protocols.mime.index_text import extract
from app.services.document_indexer import DocumentIndexer
from app.store.message_store import AttachmentInfo, BodyRecord, FolderInfo, HeaderRecord
from tests.sandbox import demo_documents as docs

ACCOUNT = Account(
    address="jean.martin@rivoli.mssante.fr",
    kind=MailboxKind.PER,
    login="jmartin",
    imap=Endpoint("imap.rivoli.fr", 993, TlsMode.IMPLICIT),
    smtp=Endpoint("smtp.rivoli.fr", 587, TlsMode.STARTTLS),
)


class InlineExecutor:
    """Runs the submitted work at once (the profile's CPU pool in production)."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def _raw(subject: str, *attachments: tuple[bytes, str, str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "labo@bioval.mssante.fr"
    msg["To"] = ACCOUNT.address
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash(subject))}@bioval.mssante.fr>"
    msg.set_content("Veuillez trouver ci-joint le compte rendu.")
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _store_message(profile: Profile, uid: int, raw: bytes) -> int:
    store = profile.messages
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    folder = store.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])[0].id
    extracted = extract(raw)
    header = HeaderRecord(
        uid=uid, message_id=extracted.headers.message_id, date=1_700_000_000 + uid,
        internaldate=None, from_name="", from_addr="labo@bioval.mssante.fr", to_display="",
        to_addrs=ACCOUNT.address, cc_display="", cc_addrs="", subject=extracted.headers.subject,
        flags=frozenset(), size=len(raw), has_attachments=True, is_xdm=False)
    (message_id,) = store.store_headers(folder, [header]).new_ids
    store.store_bodies(folder, [BodyRecord(
        uid=uid, raw=raw, text=extracted.text,
        attachments=tuple(AttachmentInfo(a.name, a.type, a.size) for a in extracted.attachments),
        has_attachments=True)])
    return message_id


def _pdf(*lines: str) -> bytes:
    return docs.make_pdf("Laboratoire — Compte rendu", list(lines))


def test_pdf_text_becomes_searchable_and_is_done_once(profile: Profile) -> None:
    store = profile.messages
    good = _store_message(profile, 1, _raw("Résultats", (
        _pdf("Créatinine 74 µmol/L"), "application", "pdf", "cr.pdf")))
    assert store.search("creatinine") == []
    assert store.messages_needing_documents() == [good]
    indexer = DocumentIndexer(store=store, executor=InlineExecutor())
    report = indexer.index_pending()
    assert (report.done, report.failed, report.with_text) == (1, 0, 1)
    assert [m.id for m in store.search("créatinine")] == [good]
    # What the body pass indexed is still found (the row was rewritten whole).
    assert [m.id for m in store.search("ci-joint")] == [good]
    assert [m.id for m in store.search("Résultats")] == [good]
    assert [m.id for m in store.search("cr.pdf")] == [good]
    assert store.document_index_state(good) == "done"
    assert store.messages_needing_documents() == []
    assert indexer.index_pending().done == 0


def test_broken_documents_are_skipped_and_recorded(profile: Profile) -> None:
    store = profile.messages
    broken = _store_message(profile, 2, _raw("Archive abîmée",
                                              (b"PK\x03\x04 nope", "application", "zip",
                                               "IHE_XDM.ZIP"),
                                              (b"%PDF-1.4 nope", "application", "pdf", "x.pdf")))
    fine = _store_message(profile, 3, _raw("Bilan", (_pdf("Natrémie 141"), "application",
                                                      "pdf", "bilan.pdf")))
    indexer = DocumentIndexer(store=store, executor=InlineExecutor())
    report = indexer.index_pending()
    assert report.done == 2 and report.failed == 0 and report.with_text == 1
    assert [m.id for m in store.search("natremie")] == [fine]
    assert [m.id for m in store.search("abîmée")] == [broken]


def test_a_failing_message_is_marked_failed_not_retried(profile: Profile,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = profile.messages
    ref = _store_message(profile, 4, _raw("Bilan", (_pdf("Natrémie"), "application", "pdf",
                                                    "b.pdf")))

    def explode(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("app.services.document_indexer.message_document_text", explode)
    indexer = DocumentIndexer(store=store, executor=InlineExecutor())
    assert indexer.index_pending().failed == 1
    assert store.document_index_state(ref) == "failed"
    assert store.messages_needing_documents() == []


def test_events_schedule_a_drain_on_the_executor(profile: Profile) -> None:
    store = profile.messages
    ref = _store_message(profile, 5, _raw("Bilan", (_pdf("Phosphatémie"), "application", "pdf",
                                                    "b.pdf")))
    executor = InlineExecutor()
    indexer = DocumentIndexer(store=store, executor=executor)
    undo = indexer.subscribe(profile.events)
    profile.events.publish(MessagesChanged(ACCOUNT.address, "INBOX", changed_ids=(ref,)))
    profile.events.publish(MessagesChanged(ACCOUNT.address, "INBOX", removed_ids=(ref,)))
    undo()
    indexer.wait_idle()
    assert executor.submitted == 1  # a flag change or an expunge schedules nothing
    assert [m.id for m in store.search("phosphatemie")] == [ref]
    indexer.stop()
    assert indexer.schedule() is None


def test_a_new_body_is_looked_at_again(profile: Profile) -> None:
    """The body pass rewrites the FTS row: its document row is dropped with it."""
    store = profile.messages
    ref = _store_message(profile, 6, _raw("Bilan", (_pdf("Calcémie"), "application", "pdf",
                                                    "b.pdf")))
    DocumentIndexer(store=store, executor=InlineExecutor()).index_pending()
    assert store.document_index_state(ref) == "done"
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    folder = store.folder(account_id, "INBOX")
    assert folder is not None
    store.reset_folder(folder.id, 99)  # UIDVALIDITY change: the copy is dropped, cascade
    assert store.document_index_state(ref) is None


def test_the_profile_wires_an_indexer_on_the_cpu_pool(profile: Profile) -> None:
    ref = _store_message(profile, 7, _raw("Bilan", (_pdf("Magnésémie"), "application", "pdf",
                                                    "b.pdf")))
    # Not during the sync pass (it would compete with it for the CPU and the database)...
    profile.events.publish(MessagesChanged(ACCOUNT.address, "INBOX", changed_ids=(ref,)))
    profile.documents.wait_idle(timeout=60)
    assert profile.messages.search("magnesemie") == []
    # ...but once it has ended: every document of the pass is then found.
    profile.events.publish(SyncFinished(ACCOUNT.address, 1, 0, 0))
    profile.documents.wait_idle(timeout=60)
    assert [m.id for m in profile.messages.search("magnesemie")] == [ref]
