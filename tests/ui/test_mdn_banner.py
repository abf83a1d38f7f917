"""The reader's read-receipt banner (issue 4 item 5, ECO.3.1.6): a PER/ORG box whose policy is
"ask" lets the user choose; an APP box answers automatically and never asks. Real encrypted
profile, a stored incoming message carrying Disposition-Notification-To, the real main window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile
from tests.unit.test_cli_outbox_mdn import (
    APP,
    PER,
    assert_is_mdn_to_requester,
    make_profile,
    mdn_items,
    store_incoming,
)
from ui.windows.main_window import MainWindow

WAIT_MS = 15_000  # failure guard only


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = make_profile(tmp_path)
    yield opened
    opened.close()


def _window(qtbot: Any, profile: Profile) -> MainWindow:
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    window.show()
    return window


def _select(qtbot: Any, window: MainWindow, address: str, ref: int) -> None:
    """Pick the account's Professionnels pane, then the message in its inbox list."""
    account = window.account_model.account_index(address)
    window.account_tree.setCurrentIndex(window.account_model.index(0, 0, account))
    model = window.message_model
    assert model is not None and window.message_list is not None
    qtbot.waitUntil(lambda: model.row_of(ref) is not None, timeout=WAIT_MS)
    row = model.row_of(ref)
    assert row is not None
    window.message_list.table.clearSelection()
    window.message_list.table.selectRow(row)


def _open_with_banner(qtbot: Any, window: MainWindow, address: str, ref: int) -> int:
    with qtbot.waitSignal(window.mdn_request_shown, timeout=WAIT_MS) as shown:
        _select(qtbot, window, address, ref)
    assert window.reader.mdn_banner.isVisible()
    assert window.reader.mdn_label.text() == "L'expéditeur demande un accusé de lecture."
    return int(shown.args[0])


def test_send_queues_an_mdn_to_the_requester(qtbot: Any, profile: Profile) -> None:
    """ECO.3.1.6: on the user's choice, an MDN per the ANS profile goes through the outbox."""
    ref = store_incoming(profile, PER, "martin")
    window = _window(qtbot, profile)
    request_id = _open_with_banner(qtbot, window, PER, ref)
    assert mdn_items(profile) == []
    with qtbot.waitSignal(window.mdn_answered, timeout=WAIT_MS):
        qtbot.mouseClick(window.reader.mdn_send_button, qtbot_left())
    assert not window.reader.mdn_banner.isVisible()
    items = mdn_items(profile)
    assert len(items) == 1 and items[0].account_address == PER
    assert_is_mdn_to_requester(profile, items[0])
    record = profile.receipts.store.mdn_request_for_message(ref)
    assert record is not None and record.id == request_id and record.state == "queued"
    assert record.outbox_item_id == items[0].id
    # Shown again: nothing left to ask.
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        window.open_message(ref)
    qtbot.wait(50)
    assert not window.reader.mdn_banner.isVisible()


def test_ignore_records_the_refusal(qtbot: Any, profile: Profile) -> None:
    ref = store_incoming(profile, PER, "martin")
    window = _window(qtbot, profile)
    _open_with_banner(qtbot, window, PER, ref)
    with qtbot.waitSignal(window.mdn_answered, timeout=WAIT_MS):
        qtbot.mouseClick(window.reader.mdn_ignore_button, qtbot_left())
    assert not window.reader.mdn_banner.isVisible()
    assert mdn_items(profile) == []
    record = profile.receipts.store.mdn_request_for_message(ref)
    assert record is not None and record.state == "declined"
    assert profile.receipts.pending_mdns() == []


def test_app_box_never_asks(qtbot: Any, profile: Profile) -> None:
    """ECO.3.1.6: an APP box answers automatically; the reader shows no banner."""
    app_ref = store_incoming(profile, APP, "labo", uid=2)
    record = profile.receipts.store.mdn_request_for_message(app_ref)
    assert record is not None and record.state == "queued"  # sent without asking
    per_ref = store_incoming(profile, PER, "martin", uid=3)
    window = _window(qtbot, profile)
    asked: list[int] = []
    window.mdn_request_shown.connect(asked.append)
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        _select(qtbot, window, APP, app_ref)
    # The PER message asks; once its banner is up, the APP message's answer has been delivered
    # before it (same database executor, answers in order) and asked for nothing.
    _open_with_banner(qtbot, window, PER, per_ref)
    assert len(asked) == 1
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
        _select(qtbot, window, APP, app_ref)
    assert not window.reader.mdn_banner.isVisible()  # hidden as soon as another message shows
    # A marker through the same one-thread database executor and runner: answered after the
    # APP message's request look-up, so that answer has been delivered by then.
    marker: list[bool] = []
    window._db(lambda: True, marker.append)
    qtbot.waitUntil(lambda: bool(marker), timeout=WAIT_MS)
    assert len(asked) == 1 and not window.reader.mdn_banner.isVisible()


def qtbot_left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
