"""The reading workflow of a demanding GP (issue #7): reply / reply all / forward with correct
threading headers (checked in the bytes the outbox would send), previews in a pane of the
window (closable, detachable, keyboard reachable), printing the message or the previewed
document (to a test-only PDF printer, deleted at once) with a content-free ``print`` audit entry,
and the ORG box shared by IMAP ACL opened on its own inbox.

A real encrypted profile, no server: the parent message is stored as the sync would store it.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtTest import QTest

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction
from app.store.message_store import AttachmentInfo, BodyRecord, FolderInfo, HeaderRecord
from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world as world
from tests.ui.test_composer import whitelist_xml
from ui.models.account_model import Roles as AccountRoles
from ui.models.folder_model import Roles as FolderRoles
from ui.widgets.preview import PdfPreview, PreviewWindow
from ui.windows.main_window import MainWindow

WAIT_MS = 20_000
MARTIN = world.DR_MARTIN.login
BERNARD = world.DR_BERNARD.login
NURSE = world.NURSE_PETIT.login
ORG_BOX = world.CARDIOLOGY_BOX.address
SUBJECT = "RE: Avis cardiologique Mme DURAND"
BODY = "Bonjour Jean,\n\nVoici le compte rendu de l'échographie.\n\nClaire"
PDF_LINE = "Fraction d'éjection 62 %"


def _account(address: str, login: str, kind: MailboxKind = MailboxKind.PER) -> Account:
    return Account(address=address, kind=kind, login=login, auth=AuthMethod.PASSWORD,
                   display_name="Dr Jean MARTIN",
                   imap=Endpoint("127.0.0.1", 9, TlsMode.IMPLICIT),
                   smtp=Endpoint("127.0.0.1", 9, TlsMode.STARTTLS))


def _parent_message(pdf: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = f"Dr Claire BERNARD <{BERNARD}>"
    message["To"] = f"Dr Jean MARTIN <{MARTIN}>, Secrétariat <secretariat@{world.HOSPITAL}>"
    message["Cc"] = f"{MARTIN.upper()}, Dr Paul ROUX <paul.roux@{world.HOSPITAL}>"
    message["Subject"] = SUBJECT
    message["Date"] = "Tue, 03 Nov 2026 10:15:00 +0100"
    message["Message-ID"] = "<parent@croix-rousse.example>"
    message["In-Reply-To"] = "<second@rivoli.example>"
    message["References"] = "<root@rivoli.example> <second@rivoli.example>"
    message.set_content(BODY)
    message.add_attachment(pdf, maintype="application", subtype="pdf",
                           filename="echographie.pdf")
    return message.as_bytes(policy=email.policy.SMTP)


def _store(profile: Profile, address: str, login: str, folders: list[FolderInfo],
           folder_name: str, raw: bytes) -> int:
    """Store ``raw`` in ``folder_name`` as the sync's header then body passes would."""
    messages = profile.messages
    account_id = messages.account_id(address, login)
    stored = messages.replace_folders(account_id, folders)
    folder = next(f.id for f in stored if f.name == folder_name)
    messages.store_headers(folder, [HeaderRecord(
        uid=1, message_id="<parent@croix-rousse.example>", date=1_793_700_000,
        internaldate=None, from_name="Dr Claire BERNARD", from_addr=BERNARD,
        to_display=MARTIN, to_addrs=MARTIN, cc_display="", cc_addrs="", subject=SUBJECT,
        flags=frozenset(), size=len(raw), has_attachments=True, is_xdm=False)])
    messages.store_bodies(folder, [BodyRecord(
        uid=1, raw=raw, text=BODY, has_attachments=True,
        attachments=(AttachmentInfo("echographie.pdf", "application/pdf", 100),))])
    return folder


@pytest.fixture
def pdf() -> bytes:
    return docs.make_pdf("Échographie cardiaque", [PDF_LINE, "Conclusion : normale"])


@pytest.fixture
def profile(tmp_path: Path, pdf: bytes) -> Iterator[Profile]:
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    profile.accounts.add(_account(MARTIN, MARTIN), password="secret")
    xml = whitelist_xml(*world.WHITELISTED_DOMAINS)
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    _store(profile, MARTIN, MARTIN, [FolderInfo("INBOX", "/", None),
                                     FolderInfo("Sent", "/", "\\Sent")], "INBOX",
           _parent_message(pdf))
    yield profile
    profile.close()


@pytest.fixture
def window(qtbot: Any, profile: Profile) -> Iterator[MainWindow]:
    window = MainWindow(profile.accounts.list(), profile=profile, sync_on_start=False,
                        undo_seconds=600, use_tray=False)
    qtbot.addWidget(window)
    window.show()
    yield window
    for composer in list(window.composers):
        composer._finished = True  # no draft left behind by the test
        if composer.toast is not None:
            composer.toast.close()
        composer.close()
    window.close()


def _open_first_message(qtbot: Any, window: MainWindow) -> int:
    qtbot.waitUntil(lambda: window.current_folder_id() is not None, timeout=WAIT_MS)
    assert window.message_model is not None and window.message_list is not None
    qtbot.waitUntil(lambda: window.message_model.rowCount() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.message_shown, timeout=WAIT_MS) as shown:
        window.message_list.table.selectRow(0)
    return int(shown.args[0])


def _queue(qtbot: Any, composer: Any) -> bytes:
    """Send from the composer into the outbox (long undo window: nothing leaves) and return
    the exact bytes queued for submission."""
    qtbot.waitUntil(lambda: composer.from_account() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not composer._runner.busy, timeout=WAIT_MS)
    with qtbot.waitSignal(composer.queued, timeout=WAIT_MS) as queued:
        composer.send()
    return bytes(composer._profile.outbox.store.raw(int(queued.args[0])))


def _addresses(value: str | None) -> list[str]:
    return [address.casefold() for _name, address in email.utils.getaddresses([value or ""])]


def test_reply_sends_in_reply_to_and_references_in_the_message_bytes(
        qtbot: Any, window: MainWindow) -> None:
    """ECO.2.2.2: the reply carries In-Reply-To (the parent's Message-ID) and References (the
    parent's, then its Message-ID), as queued for submission; Re: once, the original quoted."""
    _open_first_message(qtbot, window)
    assert window.reply_action.isEnabled()
    assert window.reply_action.shortcut().toString() == "Ctrl+R"
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        window.reply_action.trigger()
    composer = opened.args[0]
    assert composer.subject_edit.text() == "Re: Avis cardiologique Mme DURAND"  # not "RE: RE:"
    assert composer.to_field.addresses() == [BERNARD]
    assert composer.cc_field.addresses() == []
    text = composer.body_edit.toPlainText()
    assert "> Voici le compte rendu de l'échographie." in text
    assert "\n>\n" in text  # the empty line of the original, quoted
    draft = composer.draft_payload()  # a draft keeps the thread too
    assert draft["in_reply_to"] == "<parent@croix-rousse.example>"
    assert draft["references"][-1] == "<parent@croix-rousse.example>"

    sent = email.message_from_bytes(_queue(qtbot, composer), policy=email.policy.default)
    assert sent["In-Reply-To"] == "<parent@croix-rousse.example>"
    assert str(sent["References"]).split() == [
        "<root@rivoli.example>", "<second@rivoli.example>", "<parent@croix-rousse.example>"]
    assert sent["Subject"] == "Re: Avis cardiologique Mme DURAND"
    assert _addresses(sent["To"]) == [BERNARD.casefold()]
    assert "> Voici le compte rendu" in sent.get_body(("plain",)).get_content()


def test_reply_all_leaves_out_our_own_address(qtbot: Any, window: MainWindow) -> None:
    """ECO.2.2.2: Reply all keeps the thread headers; the other recipients in Cc, not us."""
    _open_first_message(qtbot, window)
    assert window.reply_all_action.shortcut().toString() == "Ctrl+Shift+R"
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        window.reply_all_action.trigger()
    composer = opened.args[0]
    raw = _queue(qtbot, composer)
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert _addresses(sent["To"]) == [BERNARD.casefold()]
    assert _addresses(sent["Cc"]) == [f"secretariat@{world.HOSPITAL}",
                                      f"paul.roux@{world.HOSPITAL}"]
    assert MARTIN.casefold() not in _addresses(sent["To"]) + _addresses(sent["Cc"])
    assert _addresses(sent["From"]) == [MARTIN.casefold()]
    assert sent["In-Reply-To"] == "<parent@croix-rousse.example>"


def test_forward_attaches_the_original_documents(qtbot: Any, window: MainWindow,
                                                 pdf: bytes) -> None:
    _open_first_message(qtbot, window)
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        window.forward_action.trigger()
    composer = opened.args[0]
    assert composer.subject_edit.text() == "TR: RE: Avis cardiologique Mme DURAND"
    assert composer.to_field.addresses() == []
    qtbot.waitUntil(lambda: len(composer.attachments()) == 1, timeout=WAIT_MS)
    assert composer.attachments()[0].filename == "echographie.pdf"
    assert composer.attachments()[0].data == pdf
    assert "Voici le compte rendu" in composer.body_edit.toPlainText()
    composer.to_field.add_addresses([f"paul.roux@{world.HOSPITAL}"])
    sent = email.message_from_bytes(_queue(qtbot, composer), policy=email.policy.default)
    assert sent["In-Reply-To"] is None  # a forward starts a thread of its own
    parts = [p for p in sent.iter_attachments() if p.get_filename() == "echographie.pdf"]
    assert len(parts) == 1 and parts[0].get_content() == pdf


def test_preview_opens_in_a_pane_closes_with_escape_and_detaches(
        qtbot: Any, window: MainWindow) -> None:
    _open_first_message(qtbot, window)
    panel = window.preview_panel
    assert not panel.isVisible()
    with qtbot.waitSignal(window.preview_opened, timeout=WAIT_MS) as opened:
        window.preview_attachment(0)
    preview = opened.args[0]
    assert isinstance(preview, PdfPreview)
    assert panel.isVisible() and panel.preview is preview
    assert preview.window() is window  # in the main window, not a dialog
    assert window.preview_dialog is None
    assert panel.accessibleName() and panel.header.title.text() == "echographie.pdf"
    for button in (panel.header.print_button, panel.header.detach_button,
                   panel.header.close_button):
        assert button.accessibleName()
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    qtbot.waitUntil(lambda: not preview.is_loading(), timeout=WAIT_MS)

    # Échap inside the pane closes it; the message stays.
    panel.header.close_button.setFocus()
    QTest.keyClick(panel.header.close_button, Qt.Key.Key_Escape)
    assert not panel.isVisible() and panel.preview is None
    assert window.reader_stack.currentIndex() == 1

    with qtbot.waitSignal(window.preview_opened, timeout=WAIT_MS) as opened:
        window.preview_attachment(0)
    again = opened.args[0]
    qtbot.waitUntil(lambda: not again.is_loading(), timeout=WAIT_MS)
    panel.header.detach_button.click()
    dialog = window.preview_dialog
    assert isinstance(dialog, PreviewWindow)
    assert dialog.preview is again and again.window() is dialog  # the same widget, moved
    assert not panel.isVisible()
    dialog.close()


def _pdf_text(path: Path) -> str:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    document.close()
    return text


def _inked_pages(path: Path) -> list[bool]:
    """For each page of a printed PDF: whether something dark was drawn on it."""
    from PySide6.QtCore import QSize

    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    inked = []
    for page in range(document.pageCount()):
        image = document.render(page, QSize(300, 420))
        dark = sum(1 for y in range(0, image.height(), 3) for x in range(0, image.width(), 3)
                   if image.pixelColor(x, y).lightness() < 128)
        inked.append(dark > 20)
    document.close()
    return inked


def _print_entries(profile: Profile) -> list[Any]:
    return [e for e in profile.audit.entries(mailbox=MARTIN) if e.action is AuditAction.PRINT]


def test_print_message_and_document_audited_without_content(
        qtbot: Any, window: MainWindow, profile: Profile, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """ECO.4.1.1: Ctrl+P prints the message (the printer the user picks: here a test PDF
    printer, whose file is deleted at once), the pane's Imprimer… the document; both are
    audited by ids."""
    from ui import printing

    message_id = _open_first_message(qtbot, window)
    out = tmp_path / "printed.pdf"
    chosen: list[Any] = []

    def choose(parent: Any, callback: Any, **_kw: Any) -> None:
        chosen.append(parent)
        callback(printing.pdf_printer(str(out)))

    monkeypatch.setattr(printing, "choose_printer", choose)
    assert window.print_action.shortcut().toString() == "Ctrl+P"
    try:
        with qtbot.waitSignal(window.printed, timeout=WAIT_MS) as printed:
            window.print_action.trigger()
        assert printed.args == [message_id, -1]
        assert chosen == [window]
        text = _pdf_text(out)
        assert "Avis cardiologique" in text and "Voici le compte rendu" in text
        assert "claire.bernard@" in text  # the headers (a line break may split the domain)
    finally:
        out.unlink(missing_ok=True)

    with qtbot.waitSignal(window.preview_opened, timeout=WAIT_MS) as opened:
        window.preview_attachment(0)
    preview = opened.args[0]
    qtbot.waitUntil(preview.can_print, timeout=WAIT_MS)
    try:
        with qtbot.waitSignal(window.printed, timeout=WAIT_MS) as printed:
            window.preview_panel.header.print_button.click()
        assert printed.args == [message_id, 0]
        assert _inked_pages(out) == [True]  # the PDF's one page, drawn (as an image)
    finally:
        out.unlink(missing_ok=True)
    # Ctrl+P with the focus in the preview pane prints the document, not the message.
    window.preview_panel.header.close_button.setFocus()
    qtbot.waitUntil(window.preview_panel.contains_focus, timeout=WAIT_MS)
    try:
        with qtbot.waitSignal(window.printed, timeout=WAIT_MS) as printed:
            window.print_action.trigger()
        assert printed.args == [message_id, 0]
    finally:
        out.unlink(missing_ok=True)

    qtbot.waitUntil(lambda: len(_print_entries(profile)) == 3, timeout=WAIT_MS)
    message_entry, document_entry, _again = sorted(_print_entries(profile),
                                                   key=lambda e: e.id or 0)
    assert (message_entry.message_ref, message_entry.attachment_index) == (message_id, None)
    assert (document_entry.message_ref, document_entry.attachment_index) == (message_id, 0)
    for entry in (message_entry, document_entry):
        assert entry.request == "LOCAL PRINT"
        trace = repr(entry)
        assert "Avis" not in trace and "echographie" not in trace and "DURAND" not in trace


def test_the_print_dialog_never_offers_a_file(qtbot: Any, window: MainWindow,
                                              tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QAbstractPrintDialog
    from PySide6.QtWidgets import QDialog

    from ui.printing import choose_printer, pdf_printer, printer_is_a_file

    calls: list[Any] = []
    dialog = choose_printer(window, calls.append)
    try:
        assert not dialog.testOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile)
        # A printer that would write a file is refused even if the dialog was accepted.
        dialog.printer().setOutputFileName(str(tmp_path / "x.pdf"))
        dialog.finished.emit(QDialog.DialogCode.Accepted.value)
        assert calls == []
        dialog.printer().setOutputFileName("")
        dialog.finished.emit(QDialog.DialogCode.Rejected.value)
        assert calls == []  # cancelled
    finally:
        dialog.close()
    assert printer_is_a_file(pdf_printer(str(tmp_path / "y.pdf")))
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


# --- the ORG box shared by IMAP ACL -------------------------------------------------------------


@pytest.fixture
def org_profile(tmp_path: Path, pdf: bytes) -> Iterator[Profile]:
    """Nurse Petit's workstation: the cardiology ORG box, opened with her own login."""
    profile = open_profile(tmp_path / "org", key_file=tmp_path / "org-key")
    profile.accounts.add(_account(ORG_BOX, NURSE, MailboxKind.ORG), password="secret")
    shared = f"Partagé/{ORG_BOX}"
    _store(profile, ORG_BOX, NURSE, [
        FolderInfo("INBOX", "/", None), FolderInfo("Sent", "/", "\\Sent"),
        FolderInfo(shared, "/", None), FolderInfo(f"{shared}/Archives", "/", None)],
        shared, _parent_message(pdf))
    yield profile
    profile.close()


def test_org_account_opens_the_shared_box_inbox(qtbot: Any, org_profile: Profile) -> None:
    window = MainWindow(org_profile.accounts.list(), profile=org_profile, sync_on_start=False,
                        use_tray=False)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.current_folder_id() is not None, timeout=WAIT_MS)
        current = window.folder_tree.currentIndex()
        assert current.data(FolderRoles.FULL_NAME) == f"Partagé/{ORG_BOX}"
        assert current.data(FolderRoles.SPECIAL_USE) == "INBOX"
        group = window.folder_model.shared_index()
        assert group.data() == ORG_BOX and group.data(FolderRoles.KIND) == "ORG"
        assert current.parent() == group
        assert window.folder_model.rowCount() == 2  # the ORG box, then the personal folders
        assert not window.folder_tree.isExpanded(window.folder_model.personal_index())
        assert window.account_tree.currentIndex().data(AccountRoles.ADDRESS) == ORG_BOX
        assert window.message_model is not None
        qtbot.waitUntil(lambda: window.message_model.rowCount() == 1, timeout=WAIT_MS)
    finally:
        window.close()


def test_folder_model_with_a_shared_box_passes_the_model_tester(qtbot: Any) -> None:
    from PySide6.QtTest import QAbstractItemModelTester

    from app.store.message_queries import FolderCount
    from ui.models.folder_model import FolderModel

    shared = f"Partagé/{ORG_BOX}"
    folders = [FolderCount(1, "INBOX", "/", None, 5, 2),
               FolderCount(2, "Sent", "/", "\\Sent", 1, 0),
               FolderCount(3, shared, "/", None, 9, 4),
               FolderCount(4, f"{shared}/Archives", "/", None, 3, 0),
               FolderCount(5, "Partagé/autre@x.mssante.fr", "/", None, 1, 1)]
    model = FolderModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_folders(folders, shared_mailbox=ORG_BOX.upper(), login=NURSE)
    assert model.shared_mailbox == ORG_BOX.upper()
    inbox = model.inbox_index()
    assert inbox.data(FolderRoles.FOLDER_ID) == 3 and inbox.data() == "Boîte de réception (4)"
    group = model.shared_index()
    assert [model.index(r, 0, group).data(FolderRoles.FOLDER_ID)
            for r in range(model.rowCount(group))] == [3, 4]
    assert group.data(Qt.ItemDataRole.DecorationRole) is not None  # the ORG badge
    assert "ORG" in group.data(Qt.ItemDataRole.AccessibleTextRole)
    personal = model.personal_index()
    assert NURSE in personal.data(Qt.ItemDataRole.ToolTipRole)
    ids = {model.index(r, 0, personal).data(FolderRoles.FOLDER_ID)
           for r in range(model.rowCount(personal))}
    assert {1, 2} <= ids  # the nurse's own inbox stays reachable, second
    assert not model.flags(group) & Qt.ItemFlag.ItemIsSelectable

    # New counts: in place; the shared layout survives a changed folder list too.
    model.update_counts([*folders[:2], FolderCount(3, shared, "/", None, 10, 5), *folders[3:]])
    assert model.inbox_index().data() == "Boîte de réception (5)"
    model.update_counts(folders[:4])
    assert model.inbox_index().data(FolderRoles.FOLDER_ID) == 3
    # Without the shared box among the folders, the login's inbox is the inbox.
    model.set_folders(folders[:2], shared_mailbox=ORG_BOX, login=NURSE)
    assert model.shared_mailbox is None and model.inbox_index().data(FolderRoles.FOLDER_ID) == 1


def test_cda_and_xdm_previews_print_the_tab_shown(qtbot: Any, tmp_path: Path, pdf: bytes) -> None:
    """A CDA prints its PDF rendering (first tab) or, on the other tab, the structured version
    as our renderer drew it; an XDM package prints its selected document."""
    from app.domain.xdm import XdmInputDocument
    from app.executors import cpu_executor
    from app.protocols.xdm import pack_xdm
    from tests.ui.test_previews import _cda
    from ui.printing import pdf_printer
    from ui.widgets.preview import CdaPreview, XdmPreview

    pool = cpu_executor()
    out = tmp_path / "cda.pdf"
    try:
        cda = CdaPreview(_cda(pdf), executor=pool)
        qtbot.addWidget(cda)
        assert not cda.can_print() and not cda.print_to(pdf_printer(str(out)))
        qtbot.waitUntil(cda.can_print, timeout=WAIT_MS)
        assert cda.tabs is not None and cda.tabs.currentWidget() is cda.pdf_preview
        qtbot.waitUntil(lambda: cda.pdf_preview is not None and cda.pdf_preview.can_print(),
                        timeout=WAIT_MS)
        assert cda.print_to(pdf_printer(str(out)))
        assert _inked_pages(out) == [True] and "Fraction" not in _pdf_text(out)  # an image
        out.unlink()
        cda.tabs.setCurrentIndex(1)
        assert cda.print_to(pdf_printer(str(out)))
        assert "Lefèvre".upper() in _pdf_text(out).upper()  # the structured version, as text
        out.unlink()

        package = pack_xdm([XdmInputDocument(cda=_cda(pdf))])
        xdm = XdmPreview(package.zip_bytes, executor=pool)
        qtbot.addWidget(xdm)
        qtbot.waitUntil(xdm.can_print, timeout=WAIT_MS)
        assert xdm.print_to(pdf_printer(str(out)))
        assert _inked_pages(out)
    finally:
        out.unlink(missing_ok=True)
        pool.shutdown(wait=True, cancel_futures=True)
