"""The store-backed patient conversations, and the outbox consulting them before sending
(spec §5, ECO.2.2.6, ECO.2.2.8); receipts linked to outbox items."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.conversation import (
    BlockReason,
    ConversationError,
    ConversationState,
    block,
)
from app.domain.ins import InsMatricule
from app.executors import database_executor
from app.protocols.mime.index_text import extract
from app.protocols.mime.parser import parse_message
from app.services.conversation_service import ConversationService
from app.services.receipt_service import ReceiptService
from app.store.conversation_store import ConversationStore
from app.store.database import Database
from app.store.message_store import BodyRecord, FolderInfo, HeaderRecord, MessageStore
from app.store.outbox_store import SettingStore
from app.store.receipt_store import ReceiptStore
from tests.unit.test_outbox_store import (  # noqa: F401  (the ``world`` fixture)
    BERNARD,
    PATIENT,
    SENDER,
    World,
    _request,
    world,
)

OTHER_PATIENT = "158016938811296@patient.mssante.fr"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    executor = database_executor()
    database = Database.open(tmp_path / "c.db", os.urandom(32), executor=executor)
    yield database
    database.close()
    executor.shutdown()


def _service(store: ConversationStore) -> ConversationService:
    counter = itertools.count(1)
    return ConversationService(
        repository=store, new_id=lambda: f"c{next(counter)}", is_opposed=store.is_opposed
    )


def test_the_store_keeps_conversations_and_their_messages(db: Database) -> None:
    store = ConversationStore(database=db)
    service = _service(store)
    opened = service.start("275036912304584", ins_qualified=True, mailbox=SENDER)
    service.record_sent(opened.conversation_id, "<a@x>")
    service.record_sent(opened.conversation_id, "<b@x>")
    again = ConversationStore(database=db)  # nothing kept in memory
    found = again.find_by_message_ids(SENDER.upper(), ("<zz@x>", "<b@x>"))
    assert found is not None and found.message_ids == ("<a@x>", "<b@x>")
    assert again.find_open(SENDER, PATIENT.upper()) == found
    again.save(block(found, BlockReason.ACCOUNT_CLOSED))
    assert again.find_open(SENDER, PATIENT) is None
    latest = again.find_latest(SENDER, PATIENT)
    assert latest is not None and latest.state is ConversationState.BLOCKED
    assert latest.block_reason is BlockReason.ACCOUNT_CLOSED
    assert again.find_by_message_ids("autre@x.fr", ("<a@x>",)) is None


def _with_conversations(w: World) -> ConversationStore:
    store = ConversationStore(database=w.db)
    # The fixture's outbox is built without conversations; give it the store-backed ones.
    w.outbox._conversations = _service(store)
    return store


def test_outbox_opens_records_and_closes_the_conversation(world: World) -> None:  # noqa: F811
    """ECO.2.2.8: the closing message carries X-MSS-MES: FIN and closes the conversation."""
    store = _with_conversations(world)
    first = world.outbox.queue(_request(to=(PATIENT,)), undo_seconds=0)
    first_id = world.store.get(first).message_id
    conversation = store.find_open(SENDER, PATIENT)
    assert conversation is not None and conversation.message_ids == (first_id,)
    closing = world.outbox.queue(
        _request(to=(PATIENT,), end_conversation=True, in_reply_to=first_id), undo_seconds=0
    )
    assert b"X-MSS-MES: FIN" in world.store.raw(closing)
    closed = store.get(conversation.conversation_id)
    assert closed is not None and closed.state is ConversationState.CLOSED
    # Replying inside the closed conversation is refused; a new message opens a new one.
    with pytest.raises(ConversationError, match="close"):
        world.outbox.queue(_request(to=(PATIENT,), in_reply_to=first_id), undo_seconds=0)
    world.outbox.queue(_request(to=(PATIENT,)), undo_seconds=0)
    reopened = store.find_open(SENDER, PATIENT)
    assert reopened is not None and reopened.conversation_id != conversation.conversation_id


def test_opposition_and_blocked_conversations_refuse_before_queueing(world: World) -> None:  # noqa: F811
    store = _with_conversations(world)
    store.set_opposed(InsMatricule(PATIENT.split("@")[0]), True, now=0.0)
    with pytest.raises(ConversationError, match="opposé"):
        world.outbox.queue(_request(to=(BERNARD, PATIENT)), undo_seconds=0)
    world.outbox.queue(_request(to=(OTHER_PATIENT,)), undo_seconds=0)
    latest = store.find_latest(SENDER, OTHER_PATIENT)
    assert latest is not None
    store.save(block(latest, BlockReason.UNKNOWN_PATIENT))
    with pytest.raises(ConversationError, match="ne connaît pas ce patient"):
        world.outbox.queue(_request(to=(OTHER_PATIENT,)), undo_seconds=0)
    assert len(world.store.items()) == 1  # nothing refused was queued


def _mdn(original_id: str, reporter: str, disposition: str) -> bytes:
    return (
        f"From: {reporter}\r\nTo: {SENDER}\r\nSubject: Accuse\r\nMessage-ID: <mdn.1@x.fr>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n'
        "\r\n--b\r\nContent-Type: text/plain\r\n\r\nLu.\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Final-Recipient: rfc822; {reporter}\r\nOriginal-Message-ID: {original_id}\r\n"
        f"Disposition: {disposition}\r\n\r\n--b--\r\n"
    ).encode()


def _stored_incoming(db: Database, account: str, raw: bytes) -> tuple[MessageStore, int]:
    """``raw`` stored in the account's INBOX as the sync stores it: headers, then body."""
    messages = MessageStore(database=db)
    account_id = messages.account_id(account, account)
    folder_id = messages.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])[0].id
    extracted = extract(raw)
    header = HeaderRecord(
        uid=1, message_id=extracted.headers.message_id, date=1_700_000_000, internaldate=None,
        from_name="", from_addr=BERNARD, to_display="", to_addrs=account, cc_display="",
        cc_addrs="", subject=extracted.headers.subject, flags=frozenset(), size=len(raw),
        has_attachments=False, is_xdm=False)
    (message_id,) = messages.store_headers(folder_id, [header]).new_ids
    messages.store_bodies(folder_id, [BodyRecord(uid=1, raw=raw, text=extracted.text,
                                                 attachments=(), has_attachments=False)])
    return messages, message_id


def test_mdn_with_an_integration_error_is_linked_to_its_recipient(world: World) -> None:  # noqa: F811
    """ANS error codes 900-906 travel in the MDN's Disposition (ECO.3.1.6)."""
    item_id = world.outbox.queue(_request(to=(BERNARD,)), undo_seconds=0)
    asyncio.run(world.outbox.process(item_id))
    message_id = world.store.get(item_id).message_id
    raw = _mdn(message_id, BERNARD, "automatic-action/MDN-sent-automatically; "
                                    "processed/Error: 902^Identifiant patient inconnu")
    assert parse_message(raw).report is not None
    from app.store.account_store import AccountStore, InMemorySecretStore

    messages, stored_id = _stored_incoming(world.db, SENDER, raw)
    service = ReceiptService(
        store=ReceiptStore(database=world.db),
        messages=messages,
        outbox=world.outbox,
        outbox_store=world.store,
        accounts=AccountStore(database=world.db, secrets=InMemorySecretStore()),
        settings=SettingStore(database=world.db),
    )
    assert service.handle(SENDER, "INBOX", [stored_id, stored_id]) == 1  # handled once
    status = service.recipient_status(item_id)[BERNARD.lower()]
    assert (status.kind, status.status, status.error_code) == ("mdn", "integration_error", 902)
    assert status.error_label == "Identifiant patient inconnu"
