"""What incoming mail says about the mail we sent, and the read receipts asked of us (issue 4,
items 5 and 6; ECO.2.3.1, ECO.3.1.6).

Subscribed to the sync engine's events: each stored incoming message is handled once, when its
bytes are in the store (``MessagesStored`` for messages that arrive whole, ``MessagesChanged`` when
the body comes after the headers):

- a DSN or an MDN is linked to the outbox item by its Original-Message-ID (or the fallbacks of
  ``app.protocols.mime.receipts``) and to the recipient it is about; the per-recipient status
  (delivered, failed, delayed, processed/displayed, integration error 900–906) is recorded;
- a message asking for a read receipt (``Disposition-Notification-To``) gets one per
  ``mdn_decision``: automatically from an APP box, by the account's policy for PER/ORG (setting
  ``account.<address>.<login>.mdn_policy``: always | ask | never; default ask, i.e. listed as
  pending and not sent by the command line). The MDN goes through the outbox (durable, audited);
- patient replies, closings and Mon espace santé bounces update the patient conversations.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime

from app.domain.account import Account, MailboxKind
from app.domain.message import ParsedMessage
from app.domain.receipt import Receipt, ReceiptKind, RecipientOutcome
from app.errors import UserFacingError
from app.events import EventBus, MessagesChanged, MessagesStored
from app.protocols.mime.builder import PRODUCT_REFERENCE, new_message_id
from app.protocols.mime.mdn_builder import MdnPolicy, MdnRequest, build_mdn, mdn_decision
from app.protocols.mime.parser import decode_header_text, parse_message
from app.protocols.mime.receipts import parse_receipt
from app.services.conversation_service import ConversationService
from app.services.outbox_service import OutboxService
from app.store.account_store import AccountStore
from app.store.message_store import MessageStore
from app.store.outbox_store import OutboxItem, OutboxStore, SettingStore
from app.store.receipt_store import MdnRequestRecord, ReceiptRecord, ReceiptStore

_log = logging.getLogger(__name__)

# When several receipts speak of one recipient, the strongest news wins (a read receipt says more
# than "delivered"; an integration error or a failure says most).
_RANK = {
    "integration_error": 60,
    "failed": 50,
    "deleted": 40,
    "processed": 30,
    "displayed": 30,
    "dispatched": 30,
    "read": 30,
    "delivered": 20,
    "delayed": 10,
    "unknown": 0,
}
_SENT_NAMES = ("sent", "envoy", "draft", "brouillon")


def mdn_policy_setting(account: Account) -> str:
    return f"account.{account.address.lower()}.{account.login}.mdn_policy"


def receipt_status(receipt: Receipt, outcome: RecipientOutcome) -> str:
    """The status word shown per recipient for one receipt line."""
    if receipt.kind is ReceiptKind.MDN:
        if receipt.integration_error is not None:
            return "integration_error"
        if receipt.disposition is not None and outcome is RecipientOutcome.READ:
            return receipt.disposition.type.value
    return outcome.value


def best_status(records: Sequence[ReceiptRecord]) -> ReceiptRecord | None:
    if not records:
        return None
    return max(records, key=lambda r: (_RANK.get(r.status, 0), r.received_at))



# Header words that make a stored message worth a full parse here: a report (DSN/MDN), a read
# receipt request, a patient's or Mon espace santé's message, a conversation's end. Anything else
# (most mail) is skipped on a cheap look at the raw header block, because parsing every message
# on the sync thread doubled the initial sync's time.
_RELEVANT_HEADER_WORDS = (b"multipart/report", b"disposition-notification", b"delivery-status",
                          b"patient.mssante.fr", b"mailer-daemon", b"x-mss-mes", b"[ko", b"[fin]")


def may_concern_receipts(raw: bytes) -> bool:
    """Whether ``raw`` might be a receipt, an MDN request or part of a patient conversation."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    header = (raw if end < 0 else raw[:end]).lower()
    if any(word in header for word in _RELEVANT_HEADER_WORDS):
        return True
    # An encoded subject may hide "[KO Intégration système]" or "[FIN]": decode that one header.
    for line in header.split(b"\n"):
        if line.startswith(b"subject:") and b"=?" in line:
            subject = decode_header_text(line[8:].decode("ascii", "replace")).lower()
            return "[ko" in subject or "[fin]" in subject
    return False

class ReceiptService:
    def __init__(
        self,
        *,
        store: ReceiptStore,
        messages: MessageStore,
        outbox: OutboxService,
        outbox_store: OutboxStore,
        accounts: AccountStore,
        settings: SettingStore,
        conversations: ConversationService | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._messages = messages
        self._outbox = outbox
        self._outbox_store = outbox_store
        self._accounts = accounts
        self._settings = settings
        self._conversations = conversations
        self._clock = clock

    @property
    def store(self) -> ReceiptStore:
        return self._store

    def subscribe(self, events: EventBus) -> Callable[[], None]:
        def stored(event: MessagesStored) -> None:
            self.handle(event.account, event.folder, event.message_ids)

        def changed(event: MessagesChanged) -> None:
            if event.changed_ids:
                self.handle(event.account, event.folder, event.changed_ids)

        unsubscribers = [
            events.subscribe(MessagesStored, stored),
            events.subscribe(MessagesChanged, changed),
        ]

        def unsubscribe() -> None:
            for undo in unsubscribers:
                undo()

        return unsubscribe

    # --- settings ---------------------------------------------------------------------------

    def mdn_policy(self, account: Account) -> MdnPolicy:
        value = self._settings.get(mdn_policy_setting(account))
        try:
            return MdnPolicy(value) if value else MdnPolicy.ASK
        except ValueError:
            return MdnPolicy.ASK

    def set_mdn_policy(self, account: Account, policy: MdnPolicy) -> None:
        self._settings.set(mdn_policy_setting(account), policy.value)

    # --- incoming ---------------------------------------------------------------------------

    def _account(self, address: str) -> Account | None:
        wanted = address.strip().lower()
        return next((a for a in self._accounts.list() if a.address.lower() == wanted), None)

    def handle(self, account_address: str, folder: str, message_refs: Sequence[int], *,
               stop: threading.Event | None = None, ordinary: Collection[int] = ()) -> int:
        """Handle the stored messages whose bytes are there; returns how many were handled.
        ``stop`` (set from another thread) ends it after the message in hand. ``ordinary``: ids
        whose header block the caller has checked with ``may_concern_receipts`` (False): they
        are recorded handled without being read back."""
        account = self._account(account_address)
        if account is None:
            return 0
        handled = 0
        # One look at the store for the whole batch rather than one per message, and the
        # ordinary messages (most mail) recorded handled together at the end: one write.
        done = self._store.handled_among(message_refs)
        with_body = self._store.with_body_among(message_refs)
        plain: list[int] = []
        try:
            for ref in message_refs:
                if stop is not None and stop.is_set():
                    break
                if ref in done or ref not in with_body:
                    continue  # handled already, or headers only: handled when the body comes
                if ref in ordinary:
                    plain.append(ref)
                    handled += 1
                    continue
                try:
                    if self._handle_one(account, folder, ref, plain):
                        handled += 1
                except UserFacingError as exc:
                    _log.warning("incoming message %d not handled: %s", ref,
                                 type(exc).__name__)
        finally:
            if plain:
                # Nothing to do for these: were this write lost, they would only be looked at
                # again.
                self._store.claim_many(plain, now=self._clock())
        return handled

    def _handle_one(self, account: Account, folder: str, ref: int,
                    ordinary: list[int] | None = None) -> bool:
        if ordinary is None and self._store.is_handled(ref):
            return False  # (``handle`` asked for its whole batch at once)
        raw = self._messages.raw(ref)
        if raw is None:
            return False  # headers only: handled when the body arrives
        if ordinary is not None and not may_concern_receipts(raw):
            ordinary.append(ref)
            return True
        if not self._store.claim_incoming(ref, now=self._clock()):
            return False
        if not may_concern_receipts(raw):
            return True  # an ordinary message: no full MIME parse on the sync thread
        message = parse_message(raw)
        receipt = parse_receipt(message)
        if receipt is not None:
            self._record_receipt(receipt)
        if self._conversations is not None:
            if self._is_own_sent(account, folder, message):
                # The professional's own message to a patient opens/joins/closes a conversation.
                self._conversations.on_sent(message, mailbox=account.address)
            else:
                self._conversations.on_incoming(message, mailbox=account.address)
        if receipt is None and message.disposition_notification_to:
            self._mdn_request(account, folder, ref, message, raw)
        return True

    def _is_own_sent(self, account: Account, folder: str, message: ParsedMessage) -> bool:
        """A copy in the account's Sent folder (special use \\Sent, else by name) written
        from the account's own address."""
        if (message.from_address or "").strip().lower() != account.address.lower():
            return False
        try:
            state = self._messages.folder(
                self._messages.account_id(account.address, account.login), folder)
        except UserFacingError:
            state = None
        if state is not None and state.special_use:
            return state.special_use.lower() == "\\sent"
        lowered = folder.lower()
        return "sent" in lowered or "envoy" in lowered

    # --- receipts ---------------------------------------------------------------------------

    def _record_receipt(self, receipt: Receipt) -> None:
        if receipt.original_message_id is None:
            return
        item = self._outbox_store.find_by_message_id(receipt.original_message_id)
        if item is None:
            return
        now = self._clock()
        for line in receipt.recipients:
            recipient = self._match(item, line.original_recipient, line.final_recipient)
            if recipient is None and receipt.kind is ReceiptKind.MDN:
                recipient = self._match(item, receipt.from_address, None)
            if recipient is None:
                _log.info("receipt for outbox item %d names no recipient of it", item.id)
                continue
            error = receipt.integration_error if receipt.kind is ReceiptKind.MDN else None
            outcome = receipt.outcome() if receipt.kind is ReceiptKind.MDN else line.outcome
            self._store.add_receipt(
                ReceiptRecord(
                    item_id=item.id,
                    recipient=recipient,
                    kind=receipt.kind.value,
                    status=receipt_status(receipt, outcome),
                    received_at=now,
                    rfc_status=line.status,
                    error_code=error.code if error else None,
                    error_label=(error.label or error.ans_label) if error else None,
                    receipt_message_id=receipt.receipt_message_id,
                )
            )

    @staticmethod
    def _match(item: OutboxItem, *candidates: str | None) -> str | None:
        addresses = {r.address.lower(): r.address for r in item.recipients}
        for candidate in candidates:
            if candidate and candidate.strip().lower() in addresses:
                return addresses[candidate.strip().lower()]
        if len(item.recipients) == 1 and any(candidates):
            return item.recipients[0].address
        return None

    def recipient_status(self, item_id: int) -> dict[str, ReceiptRecord]:
        """The strongest receipt per recipient of an outbox item."""
        by_recipient: dict[str, list[ReceiptRecord]] = {}
        for record in self._store.receipts(item_id):
            by_recipient.setdefault(record.recipient.lower(), []).append(record)
        result: dict[str, ReceiptRecord] = {}
        for key, records in by_recipient.items():
            best = best_status(records)
            if best is not None:
                result[key] = best
        return result

    # --- read receipts asked of us ----------------------------------------------------------

    def _mdn_request(
        self, account: Account, folder: str, ref: int, message: ParsedMessage, raw: bytes
    ) -> None:
        if any(word in folder.lower() for word in _SENT_NAMES):
            return  # our own copies
        sender = (message.from_address or "").lower()
        if sender == account.address.lower() or message.message_id is None:
            return
        notify = message.disposition_notification_to[0][1]
        return_path = (message.return_path or "").strip().strip("<>").lower()
        decision = mdn_decision(
            account.kind,
            self.mdn_policy(account),
            True,
            return_path_matches=bool(return_path) and return_path == notify.lower(),
        )
        state = "queued" if decision.send else ("pending" if decision.ask_user else "declined")
        request_id = self._store.add_mdn_request(
            account_address=account.address,
            account_login=account.login,
            message_ref=ref,
            original_message_id=message.message_id,
            notify_address=notify,
            state=state,
            reason=decision.reason,
            now=self._clock(),
        )
        if request_id is None or not decision.send:
            return
        self._queue_mdn(account, request_id, message, raw, notify, automatic=decision.automatic)

    def _queue_mdn(
        self,
        account: Account,
        request_id: int,
        message: ParsedMessage,
        raw: bytes,
        notify: str,
        *,
        automatic: bool,
    ) -> int | None:
        assert message.message_id is not None
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        mdn_id = new_message_id(account.address)
        request = MdnRequest(
            original_message_id=message.message_id,
            original_subject=message.subject,
            to_address=notify,
            from_address=account.address,
            from_name=account.display_name,
            final_recipient=account.address,
            original_recipient=message.original_recipient,
            original_references=message.references,
            reporting_ua=f"{socket.gethostname()}; {PRODUCT_REFERENCE}",
            nil=PRODUCT_REFERENCE,
            automatic=automatic,
            original_headers=head.decode("ascii", "replace"),
            original_message=raw,
        )
        data = build_mdn(request, message_id=mdn_id, date=datetime.now(UTC))
        try:
            item_id = self._outbox.queue_raw(
                account=account,
                message_id=mdn_id,
                raw=data,
                recipients=[notify],
                subject=f"Accusé de lecture : {message.subject}"[:200],
            )
        except UserFacingError as exc:
            self._store.set_mdn_state(request_id, "failed", reason=exc.message)
            return None
        self._store.set_mdn_state(
            request_id, "queued", reason="accusé de lecture placé dans la boîte d'envoi",
            outbox_item_id=item_id,
        )
        return item_id

    def send_pending(self, request_id: int) -> int | None:
        """The user chose to answer a pending request: queue the MDN (manual-action)."""
        record = next((r for r in self._store.mdn_requests() if r.id == request_id), None)
        if record is None or record.state != "pending" or record.message_ref is None:
            return None
        account = self._account(record.account_address)
        raw = self._messages.raw(record.message_ref)
        if account is None or raw is None:
            return None
        message = parse_message(raw)
        return self._queue_mdn(
            account, request_id, message, raw, record.notify_address, automatic=False
        )

    def pending_mdns(self, account_address: str | None = None) -> list[MdnRequestRecord]:
        """Requests left to the user's choice (policy "ask" of a PER/ORG box), optionally of one
        account."""
        pending = self._store.mdn_requests("pending")
        if account_address is None:
            return pending
        wanted = account_address.strip().lower()
        return [r for r in pending if r.account_address.lower() == wanted]

    def pending_for_message(self, message_ref: int) -> MdnRequestRecord | None:
        """The request awaiting the user's choice for a stored message, else None. An APP box's
        request is never pending (answered automatically), so the reader never asks for one."""
        record = self._store.mdn_request_for_message(message_ref)
        if record is None or record.state != "pending":
            return None
        account = self._account(record.account_address)
        if account is None or account.kind is MailboxKind.APP:
            return None
        return record

    def decline(self, request_id: int) -> bool:
        """The user refused to answer a pending request: recorded, so it is not asked again.
        False when there is no such pending request."""
        record = next((r for r in self._store.mdn_requests("pending") if r.id == request_id),
                      None)
        if record is None:
            return False
        self._store.set_mdn_state(request_id, "declined", reason="refusé par l'utilisateur")
        return True


__all__ = ["ReceiptService", "best_status", "mdn_policy_setting"]
