"""The window traces a read when it shows a message (ECO.4.1.1), even one already \\Seen — on an
ORG box the flag is shared, so the second nurse's reading used to leave no trace — stamped with
the moment it was shown, for the nurse logged in, by reference only (ECO.4.1.2).

A real encrypted profile, no server: the message is stored as the sync would store it
(tests/unit/test_audit_reads.py holds the store and CLI side, and the offline replay).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile, open_profile
from app.domain.audit import AuditAction
from tests.unit.test_audit_reads import (
    NURSE,
    ORG,
    ORG_BOX,
    SUBJECT,
    assert_no_content,
    reads,
    store_message,
)
from ui.windows.main_window import MainWindow

WAIT_MS = 20_000


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    """Nurse Petit's workstation: the cardiology ORG box; a lab result another nurse read."""
    opened = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    opened.accounts.add(ORG, password="secret")
    yield opened
    opened.close()


def test_opening_an_already_seen_message_traces_a_read(qtbot: Any, profile: Profile) -> None:
    message_id, _folder = store_message(profile, folder="INBOX", seen=True)
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.current_folder_id() is not None, timeout=WAIT_MS)
        assert window.message_model is not None and window.message_list is not None
        qtbot.waitUntil(lambda: window.message_model.rowCount() == 1, timeout=WAIT_MS)
        assert reads(profile) == []
        now = datetime.now().astimezone()
        before = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the trail keeps ms
        with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as shown:
            window.message_list.table.selectRow(0)
        after = datetime.now().astimezone()
        assert shown.args == [message_id]
        assert window.reader.header_labels["subject"].text() == SUBJECT  # shown to the nurse
        qtbot.waitUntil(lambda: len(reads(profile)) == 1, timeout=WAIT_MS)
        (entry,) = reads(profile)
        assert entry.action is AuditAction.READ
        assert entry.mailbox == ORG_BOX and entry.actor.login == NURSE  # the nurse, not the box
        assert entry.message_ref == message_id
        assert entry.request == "LOCAL READ \\Inbox UID 7"
        assert before <= entry.occurred_at <= after  # when it was shown
        # Already \Seen: nothing to send to the server — the read is traced all the same.
        account_id = profile.messages.account_id(ORG_BOX, NURSE)
        assert profile.messages.pending_changes(account_id) == []
        assert_no_content(profile)

        # Each showing is a reading: shown again, traced again.
        with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS):
            window.open_message(message_id)
        qtbot.waitUntil(lambda: len(reads(profile)) == 2, timeout=WAIT_MS)
        assert [e.message_ref for e in reads(profile)] == [message_id, message_id]
    finally:
        window.close()
