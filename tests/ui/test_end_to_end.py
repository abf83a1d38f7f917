"""End to end against the sandbox (issue #7, item 9): the real main window over an encrypted
profile with two sandbox accounts logs in and syncs Dr Martin's inbox, opens the lab's XDM
message, previews the package (patient shown) and its CDA, writes to Dr Bernard through the
composer, sends through the real outbox (Postfix submission), and the message arrives in
Dr Bernard's inbox after a sync of that account.

The ``qtbot.waitUntil`` timeouts are failure guards only (generous), never measurements.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from tests.sandbox import demo_world as world
from tests.ui.test_composer import whitelist_xml
from ui.bridge import EventBridge
from ui.models.account_model import Roles as AccountRoles
from ui.models.message_list_model import Column
from ui.models.message_list_model import Roles as ListRoles
from ui.widgets.preview import CdaPreview, XdmPreview
from ui.windows.main_window import MainWindow

pytestmark = pytest.mark.sandbox
GUARD_MS = 45_000


def _account(sandbox: dict[str, Any], person: world.Person) -> Account:
    imap, smtp = sandbox["imap"], sandbox["submission"]
    return Account(
        address=person.login, kind=MailboxKind.PER, login=person.login,
        display_name=f"{person.title} {person.given_name} {person.family_name}",
        imap=Endpoint(imap["host"], int(imap["port"]), TlsMode(imap["tls"])),
        smtp=Endpoint(smtp["host"], int(smtp["port"]), TlsMode(smtp["tls"])),
        auth=AuthMethod.PASSWORD, ca_file=sandbox["ca_file"],
    )


@pytest.fixture
def profile(tmp_path: Path, sandbox: dict[str, Any]) -> Any:
    profile: Profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    for person in (world.DR_MARTIN, world.DR_BERNARD):
        profile.accounts.add(_account(sandbox, person), password=person.password)
    xml = whitelist_xml(*world.WHITELISTED_DOMAINS)
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    yield profile
    profile.close()


def _row_with(window: MainWindow, text: str, sender: str = "") -> int | None:
    """The row whose subject holds ``text`` (and whose sender holds ``sender``): other tests of
    the session send into the same sandbox mailboxes, so a subject alone is not unique."""
    model = window.message_model
    assert model is not None
    for row in range(model.rowCount()):
        subject = model.index(row, Column.SUBJECT).data() or ""
        sender_text = model.index(row, Column.SENDER).data() or ""
        if text in subject and sender in sender_text:
            return row
    return None


def _select_account(window: MainWindow, address: str) -> None:
    model = window.account_model
    account = model.account_index(address)
    professionals = model.index(0, 0, account)
    assert professionals.data(AccountRoles.ADDRESS) == address
    window.account_tree.setCurrentIndex(professionals)


def test_log_in_sync_open_preview_compose_send_receive(qtbot, profile: Any,
                                                      sandbox: dict[str, Any]) -> None:
    """ECO.2.1.x: the XDM package shows its patient and its CDA; the sent message waits in the
    outbox (the status bar counts it), is submitted once, and arrives in Dr Bernard's inbox only
    (on the server and in his account's INBOX of the store)."""
    bridge = EventBridge(profile.events)
    # The undo delay is long enough for the status bar to show the waiting message, short
    # enough for the test; the outbox does not submit before it ends.
    window = MainWindow(profile.accounts.list(), profile=profile, bridge=bridge,
                        undo_seconds=3.0, use_tray=False)
    qtbot.addWidget(window)
    window.show()
    martin, bernard = world.DR_MARTIN.login, world.DR_BERNARD.login
    try:
        # Log in (stored password) and sync both accounts in the background.
        qtbot.waitUntil(lambda: {martin, bernard} <= window._synced, timeout=GUARD_MS)
        _select_account(window, martin)
        assert window.message_model is not None
        qtbot.waitUntil(lambda: window.current_folder_id() is not None, timeout=GUARD_MS)
        # The list shows the seeded inbox, the lab's structured message among them.
        qtbot.waitUntil(lambda: _row_with(window, "biologiques DURAND", "Bioval") is not None,
                        timeout=GUARD_MS)
        assert window.message_model.rowCount() >= 5
        row = _row_with(window, "biologiques DURAND", "Bioval")
        assert row is not None
        assert window.message_model.index(row, 0).data(ListRoles.IS_XDM)

        # Open it: the reader shows it, the attachment bar lists IHE_XDM.ZIP.
        message_id = window.message_model.index(row, 0).data(ListRoles.MESSAGE_ID)
        with qtbot.waitSignal(window.message_shown, timeout=GUARD_MS):
            window.message_list.table.selectRow(row)  # type: ignore[union-attr]
        assert window._current_message == message_id
        assert "Laboratoire Bioval" in window.reader.body.toPlainText()
        names = [chip.text() for chip in window.attachment_bar.chips()]
        assert any("IHE_XDM.ZIP" in name for name in names), names

        # Preview the package: the XDM preview with the patient, then its CDA.
        position = next(i for i, a in enumerate(window.attachments())
                        if (a.name or "").upper() == "IHE_XDM.ZIP")
        with qtbot.waitSignal(window.preview_opened, timeout=GUARD_MS) as opened:
            window.preview_attachment(position)
        preview = opened.args[0]
        assert isinstance(preview, XdmPreview)
        qtbot.waitUntil(lambda: preview.result is not None, timeout=GUARD_MS)
        assert "DURAND" in preview.patient_label.text().upper()
        qtbot.waitUntil(lambda: isinstance(preview.document_preview, CdaPreview),
                        timeout=GUARD_MS)
        cda = preview.document_preview
        assert isinstance(cda, CdaPreview)
        qtbot.waitUntil(lambda: not cda.is_loading(), timeout=GUARD_MS)
        assert cda.error is None
        assert "DURAND" in cda.browser.toPlainText().upper()
        # In the preview pane of the window, beside the message (not a dialog).
        assert window.preview_panel.isVisible() and window.preview_panel.preview is preview
        assert preview.window() is window
        # Opening the attachment is traced (ECO.4.1.1), by ids only.
        from app.domain.audit import AuditAction

        def opened_rows() -> list[Any]:
            return [e for e in window.profile.audit.entries(mailbox=martin)
                    if e.action is AuditAction.OPEN_ATTACHMENT and e.message_ref == message_id]

        qtbot.waitUntil(lambda: bool(opened_rows()), timeout=GUARD_MS)
        assert opened_rows()[0].attachment_index == position
        window.close_preview()
        assert not window.preview_panel.isVisible()

        # Compose to Dr Bernard and send (the undo window is shortened).
        subject = f"Test de bout en bout {uuid.uuid4().hex[:8]}"
        with qtbot.waitSignal(window.composer_opened, timeout=GUARD_MS) as composed:
            window.new_message_action.trigger()
        composer = composed.args[0]
        assert composer.from_account() is None or composer.from_account()[0] == martin
        qtbot.waitUntil(lambda: composer.from_account() is not None, timeout=GUARD_MS)
        composer.to_field.add_addresses([bernard])
        composer.subject_edit.setText(subject)
        composer.body_edit.setPlainText("Bonjour Claire,\n\nMessage de test.\n")
        qtbot.waitUntil(lambda: not composer._runner.busy, timeout=GUARD_MS)
        assert window.status.outbox_label.text() == "Boîte d'envoi vide"
        with qtbot.waitSignal(composer.queued, timeout=GUARD_MS):
            composer.send()
        # Queued, inside its undo delay: counted in the status bar.
        qtbot.waitUntil(lambda: window.status.outbox_label.text() == "1 message à envoyer",
                        timeout=GUARD_MS)

        # Bernard's account receives it: sync it and find the message in its inbox.
        def bernard_copies() -> list[Any]:
            return [m for m in profile.messages.search(subject)
                    if m.subject == subject and m.account == bernard and m.folder == "INBOX"]

        def in_bernard_inbox() -> bool:
            window.sync_account(window.account(bernard))
            return bool(bernard_copies())

        qtbot.waitUntil(lambda: window._outbox_thread is not None, timeout=GUARD_MS)
        qtbot.waitUntil(in_bernard_inbox, timeout=GUARD_MS)
        qtbot.waitUntil(lambda: window.status.outbox_label.text() == "Boîte d'envoi vide",
                        timeout=GUARD_MS)
        assert len(bernard_copies()) == 1
        # Nowhere else among the received mail (Martin keeps his own copy in Sent, if any).
        assert not [m for m in profile.messages.search(subject)
                    if m.subject == subject and m.account == martin and m.folder == "INBOX"]
        from tests.integration.sync_helpers import imap_as

        client = imap_as(sandbox, world.DR_BERNARD)
        try:
            client.select_folder("INBOX", readonly=True)
            on_server = client.search(["SUBJECT", subject])
        finally:
            client.logout()
        assert len(on_server) == 1, "submitted once, delivered once"
        _select_account(window, bernard)
        qtbot.waitUntil(lambda: _row_with(window, subject) is not None, timeout=GUARD_MS)
        assert window.message_model.index(
            _row_with(window, subject) or 0, Column.SENDER).data() is not None
    finally:
        window.close()
        bridge.close()


def test_folder_tree_and_status_after_sync(qtbot, profile: Any, sandbox: dict[str, Any]) -> None:
    """The folder tree lists the inbox with its unread count; the status bar shows the sync and
    the quota the server reports (GETQUOTAROOT, read here straight from Dovecot)."""
    bridge = EventBridge(profile.events)
    window = MainWindow(profile.accounts.list(), profile=profile, bridge=bridge, use_tray=False)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: world.DR_MARTIN.login in window._synced, timeout=GUARD_MS)
        _select_account(window, world.DR_MARTIN.login)
        qtbot.waitUntil(lambda: window.folder_model.inbox_index().isValid(), timeout=GUARD_MS)
        inbox = window.folder_model.inbox_index()
        assert inbox.data() is not None and "Boîte de réception" in str(inbox.data())
        assert window.folder_tree.currentIndex() == inbox
        # The status bar says what the store holds: the outbox count, and the sync's end.
        from app.domain.outgoing import OutboxState

        waiting = sum(1 for item in profile.outbox.items() if item.state in
                      {OutboxState.QUEUED, OutboxState.SUBMITTING, OutboxState.RETRY_WAIT})
        expected = ("Boîte d'envoi vide" if waiting == 0 else "1 message à envoyer"
                    if waiting == 1 else f"{waiting} messages à envoyer")
        qtbot.waitUntil(lambda: window.status.outbox_label.text() == expected, timeout=GUARD_MS)
        # Both accounts synced against the live sandbox: the status bar says "connected", and
        # its tooltip names each account with its state (a lost one would say "Connexion perdue").
        def both_connected() -> bool:
            label = window.status.connection_label
            tooltip = label.toolTip()
            return (label.text() == "● Connecté" and world.DR_MARTIN.login in tooltip
                    and world.DR_BERNARD.login in tooltip)

        qtbot.waitUntil(both_connected, timeout=GUARD_MS)
        assert "disconnected" not in window.status.connection_label.toolTip()
        from PySide6.QtCore import QLocale

        from tests.integration.sync_helpers import imap_as

        client = imap_as(sandbox, world.DR_MARTIN)
        try:
            _roots, quotas = client.get_quota_root("INBOX")
        finally:
            client.logout()
        storage = next(q for q in quotas if q.resource.upper() == "STORAGE")
        used, limit = int(storage.usage) * 1024, int(storage.limit) * 1024
        percent = QLocale().toString(used / limit * 100, "f", 0)
        qtbot.waitUntil(lambda: window.status.quota_label.isVisible(), timeout=GUARD_MS)
        assert window.status.quota_label.text() == f"Quota : {percent} %"
        traditional = QLocale.DataSizeFormat.DataSizeTraditionalFormat
        size = QLocale().formattedDataSize(limit, 1, traditional)
        assert f"sur {size}" in window.status.quota_label.toolTip()
        assert window.account_tree.currentIndex() != QModelIndex()
        assert window.account_tree.currentIndex().data(Qt.ItemDataRole.DisplayRole)
    finally:
        window.close()
        bridge.close()


def test_nurse_opens_the_org_box_on_its_shared_inbox(qtbot, tmp_path: Path,
                                                     sandbox: dict[str, Any]) -> None:
    """The cardiology ORG box, opened with nurse Petit's own login (IMAP ACL): the window shows
    the shared box's inbox and its seeded mail, not the nurse's personal inbox."""
    nurse, box = world.NURSE_PETIT, world.CARDIOLOGY_BOX
    profile: Profile = open_profile(tmp_path / "org", key_file=tmp_path / "org-key")
    imap, smtp = sandbox["imap"], sandbox["submission"]
    profile.accounts.add(Account(
        address=box.address, kind=MailboxKind.ORG, login=nurse.login,
        display_name=box.display_name,
        imap=Endpoint(imap["host"], int(imap["port"]), TlsMode(imap["tls"])),
        smtp=Endpoint(smtp["host"], int(smtp["port"]), TlsMode(smtp["tls"])),
        auth=AuthMethod.PASSWORD, ca_file=sandbox["ca_file"]), password=nurse.password)
    bridge = EventBridge(profile.events)
    window = MainWindow(profile.accounts.list(), profile=profile, bridge=bridge, use_tray=False)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: box.address in window._synced, timeout=GUARD_MS)
        qtbot.waitUntil(lambda: window.folder_model.shared_mailbox == box.address,
                        timeout=GUARD_MS)
        from ui.models.folder_model import Roles as FolderRoles

        qtbot.waitUntil(lambda: window.folder_tree.currentIndex().parent()
                        == window.folder_model.shared_index(), timeout=GUARD_MS)
        current = window.folder_tree.currentIndex()
        assert current.data(FolderRoles.SPECIAL_USE) == "INBOX"
        assert box.address in str(current.data(FolderRoles.FULL_NAME))
        assert window.folder_model.shared_index().data(FolderRoles.KIND) == "ORG"
        assert window.message_model is not None
        if sandbox.get("seeded"):
            qtbot.waitUntil(lambda: window.message_model.rowCount() > 0, timeout=GUARD_MS)
    finally:
        window.close()
        bridge.close()
        profile.close()
