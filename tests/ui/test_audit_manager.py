"""The audit viewer is for an ORG box's manager (issue #7 item 7): against the sandbox Dovecot,
where nurse Moreau administers the cardiology box's ACL (RFC 4314 "a") and nurse Petit is a
plain member. The sync reads MYRIGHTS on the shared inbox; the window opens the box's trail for
Moreau only, and the viewer's "all boxes" never reaches a box its user does not manage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from app.domain.account import MailboxKind
from app.domain.audit import AuditAction, AuditActor
from tests.integration.sync_helpers import new_profile
from tests.sandbox import demo_world as world
from ui.windows.main_window import MainWindow

pytestmark = pytest.mark.sandbox
BOX = world.CARDIOLOGY_BOX
GUARD_MS = 45_000


def _window_for(qtbot: Any, sandbox: dict[str, Any], tmp_path: Path,
                nurse: world.Person) -> tuple[Any, MainWindow]:
    profile, account = new_profile(tmp_path, sandbox, nurse, address=BOX.address,
                                   kind=MailboxKind.ORG)
    profile.sync.sync_account(account)  # what the window's first pass does, waited for here
    # Someone else's box in the same trail (an earlier user of this workstation).
    profile.audit.record(mailbox="autre@ch-ailleurs.mssante.fr", actor=AuditActor("x.y"),
                         action=AuditAction.LOGIN, request="LOGIN", response="OK")
    window = MainWindow(profile.accounts.list(), profile=profile, use_tray=False)
    window.show()
    return profile, window


def _close(qtbot: Any, profile: Any, window: MainWindow) -> None:
    window.close()
    window.deleteLater()
    qtbot.wait(50)
    profile.close()


def test_the_box_manager_opens_the_box_s_trail_and_only_it(qtbot: Any,
                                                           sandbox: dict[str, Any],
                                                           tmp_path: Path) -> None:
    assert BOX.manager is not None
    profile, window = _window_for(qtbot, sandbox, tmp_path, BOX.manager)
    try:
        account_id = profile.messages.account_id(BOX.address, BOX.manager.login)
        assert "a" in (profile.messages.rights(account_id) or "")
        window.open_audit()
        qtbot.waitUntil(lambda: getattr(window, "audit_viewer", None) is not None,
                        timeout=GUARD_MS)
        viewer = window.audit_viewer
        boxes = [viewer.mailbox_box.itemData(i) for i in range(viewer.mailbox_box.count())]
        assert [b for b in boxes if b] == [BOX.address]
        qtbot.waitUntil(lambda: viewer.model.rowCount() > 0, timeout=GUARD_MS)
        shown = {viewer.model.index(r, 1).data() for r in range(viewer.model.rowCount())}
        assert shown == {BOX.address}  # the sync's login rows, not the other box's
        viewer.close()
    finally:
        _close(qtbot, profile, window)


def test_a_plain_member_is_told_the_trail_is_the_manager_s(qtbot: Any, sandbox: dict[str, Any],
                                                           tmp_path: Path) -> None:
    member = next(m for m in BOX.members if m != BOX.manager)
    profile, window = _window_for(qtbot, sandbox, tmp_path, member)
    try:
        account_id = profile.messages.account_id(BOX.address, member.login)
        rights = profile.messages.rights(account_id)
        assert rights is not None and "r" in rights and "a" not in rights
        window.open_audit()
        qtbot.waitUntil(lambda: getattr(window, "audit_refusal", None) is not None,
                        timeout=GUARD_MS)
        refusal = window.audit_refusal
        assert isinstance(refusal, QMessageBox)
        assert "réservé à son responsable" in refusal.text()
        assert getattr(window, "audit_viewer", None) is None
        refusal.close()
    finally:
        _close(qtbot, profile, window)
