"""The receipt column of the message list (issue #7 item 1): a sent message shows the strongest
news heard about its recipients — delayed, delivered, read, or a problem — from the DSN/MDN
receipts the store holds, as an icon with a French tooltip. Real encrypted store; the receipts are
recorded through the store's own API, as the receipt runner does after a sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.composition import Profile, open_profile
from app.domain.outgoing import RecipientKind
from app.store.message_queries import ListQuery, ReceiptState
from app.store.outbox_store import OutboxStore
from app.store.receipt_store import ReceiptRecord, ReceiptStore
from tests.ui.test_message_list_model import ACCOUNT, header, inbox, make_model, wait_loaded
from ui.models.message_list_model import Column, Roles, receipt_label

SENT_ID = "<envoi-1@estafette.mssante.fr>"
OTHER_ID = "<envoi-2@estafette.mssante.fr>"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def _enqueue(profile: Profile, message_id: str) -> int:
    now = time.time()
    return OutboxStore(database=profile.database).enqueue(
        account_address=ACCOUNT.address, account_login=ACCOUNT.login, message_id=message_id,
        envelope_from=ACCOUNT.address, subject="Courrier", raw=b"Subject: x\r\n\r\nx\r\n",
        recipients=[("a@x.mssante.fr", RecipientKind.TO), ("b@y.mssante.fr", RecipientKind.TO)],
        not_before=now, now=now)


def _receipt(profile: Profile, item: int, recipient: str, kind: str, status: str) -> None:
    ReceiptStore(database=profile.database).add_receipt(ReceiptRecord(
        item_id=item, recipient=recipient, kind=kind, status=status, received_at=time.time()))


def test_the_receipt_column_shows_the_strongest_news(qtbot: Any, profile: Profile) -> None:
    folder = inbox(profile)
    profile.messages.store_headers(folder, [
        header(1, message_id=SENT_ID, subject="envoyé"),
        header(2, message_id=OTHER_ID, subject="autre envoi"),
        header(3, subject="reçu")])
    item, other = _enqueue(profile, SENT_ID), _enqueue(profile, OTHER_ID)
    model, _source = make_model(profile)

    def states() -> dict[str, Any]:
        with qtbot.waitSignal(model.loaded, timeout=10_000):
            model.set_query(ListQuery(folder_id=folder))
        wait_loaded(qtbot, model)
        found = {}
        for row in range(model.rowCount()):
            subject = model.index(row, Column.SUBJECT).data()
            found[subject] = (model.index(row, Column.RECEIPT).data(Roles.RECEIPT),
                              model.index(row, Column.RECEIPT).data(
                                  Qt.ItemDataRole.ToolTipRole),
                              model.index(row, Column.RECEIPT).data(
                                  Qt.ItemDataRole.DecorationRole))
        return found

    # Nothing heard yet: no icon, no tooltip.
    now = states()
    assert now["envoyé"][0] == ReceiptState.NONE and now["envoyé"][2] is None
    assert now["reçu"][0] == ReceiptState.NONE
    # A DSN "delayed" for one recipient, then "delivered" for the other: delivered wins.
    _receipt(profile, item, "a@x.mssante.fr", "dsn", "delayed")
    assert states()["envoyé"][0] == ReceiptState.DELAYED
    _receipt(profile, item, "b@y.mssante.fr", "dsn", "delivered")
    now = states()
    assert now["envoyé"][0] == ReceiptState.DELIVERED
    assert now["envoyé"][1] == receipt_label(ReceiptState.DELIVERED) == "Distribué"
    assert now["envoyé"][2] is not None  # an icon
    # A read receipt (MDN displayed).
    _receipt(profile, item, "a@x.mssante.fr", "mdn", "displayed")
    now = states()
    assert now["envoyé"][0] == ReceiptState.READ
    assert now["envoyé"][1] == "Lu par le destinataire"
    # A failure for any recipient is what the sender must see first.
    _receipt(profile, item, "b@y.mssante.fr", "mdn", "deleted")
    now = states()
    assert now["envoyé"][0] == ReceiptState.PROBLEM
    assert now["envoyé"][1] == "Problème de remise"
    # Receipts of one sent message never colour another, nor a received one.
    assert now["autre envoi"][0] == ReceiptState.NONE
    assert now["reçu"][0] == ReceiptState.NONE
    _receipt(profile, other, "a@x.mssante.fr", "dsn", "unknown-status-from-a-server")
    assert states()["autre envoi"][0] == ReceiptState.NONE  # an unknown status means nothing
