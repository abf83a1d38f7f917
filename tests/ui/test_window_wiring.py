"""What the main window connects (issue #7): the directory's results into the composer's To and
Cc, files dropped on the composer, "Classer dans le dossier patient" from the window into the
export folder with its audit row, an account added by the wizard appearing in the tree, logout.

The real MainWindow over a real encrypted profile with a directory and a whitelist; no server is
needed (the account points at a closed port, so its background sync fails and says so)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from app.composition import Profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction
from tests.ui.test_composer import SENDER, WAIT_MS, build_world
from tests.ui.test_previews import PATIENT, _cda, _pdf
from ui.dialogs.directory_dialog import Column as DirectoryColumn
from ui.widgets.preview import FilingRequest
from ui.windows.main_window import MainWindow


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = build_world(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, profile: Profile) -> Iterator[MainWindow]:
    # Not handed to qtbot.addWidget: pytest-qt closes those before fixtures are torn down, and
    # the composers must finish saving their drafts before the profile closes.
    shown = MainWindow(profile.accounts.list(), profile=profile, use_tray=False)
    shown.show()
    qtbot.waitUntil(lambda: SENDER in shown._account_ids, timeout=WAIT_MS)
    yield shown
    for composer in list(shown.composers):
        composer.close()
        qtbot.waitUntil(lambda c=composer: not c._runner.busy, timeout=WAIT_MS)
    shown.close()
    shown.deleteLater()


def _select_row(dialog: Any, address: str) -> None:
    row = next(r for r in range(dialog.proxy.rowCount())
               if dialog.proxy.index(r, DirectoryColumn.ADDRESS).data() == address)
    dialog.table.clearSelection()
    dialog.table.selectRow(row)


def test_directory_results_go_to_the_composer_s_to_then_cc(qtbot: QtBot,
                                                           window: MainWindow) -> None:
    window.open_directory()
    dialog = window.directory_dialog
    assert dialog is not None and dialog.isVisible()
    window.open_directory()  # a second request raises the same dialog, not a new one
    assert window.directory_dialog is dialog
    dialog.city_edit.setText("lyon")
    with qtbot.waitSignal(dialog.search_finished, timeout=WAIT_MS):
        dialog.search_button.click()
    _select_row(dialog, "jean.martin@medecin.mssante.fr")
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        dialog.add_to_button.click()
    composer = opened.args[0]
    assert composer.to_field.addresses() == ["jean.martin@medecin.mssante.fr"]
    assert composer.cc_field.addresses() == []
    # The composer being written receives the next one, in Cc; no second composer.
    _select_row(dialog, "cardiologie@ch-lyon.mssante.fr")
    dialog.add_cc_button.click()
    assert composer.cc_field.addresses() == ["cardiologie@ch-lyon.mssante.fr"]
    assert composer.to_field.addresses() == ["jean.martin@medecin.mssante.fr"]
    assert [c for c in window.composers if c.isVisible()] == [composer]


def _drop(target: Any, mime: QMimeData) -> QDropEvent:
    event = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    target.dropEvent(event)
    return event


def test_files_dropped_on_the_composer_become_attachments(qtbot: QtBot, window: MainWindow,
                                                          tmp_path: Path) -> None:
    with qtbot.waitSignal(window.composer_opened, timeout=WAIT_MS) as opened:
        window.new_message_action.trigger()
    composer = opened.args[0]
    letter = tmp_path / "courrier.txt"
    letter.write_text("Cher confrère,\n")
    cda = tmp_path / "cr-biologie.xml"
    cda.write_bytes(_cda())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(letter)), QUrl.fromLocalFile(str(cda)),
                  QUrl("https://exemple.fr/distant.pdf")])  # not a local file: ignored
    event = _drop(composer, mime)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: not composer._runner.busy and composer._adds_running == 0,
                    timeout=WAIT_MS)
    names = [a.filename for a in composer.attachments()]
    assert "courrier.txt" in names
    # The CDA went into the XDM package, with its patient, not as a loose file.
    assert "cr-biologie.xml" not in names
    assert PATIENT.family_name.upper() in composer.patient_label.text().upper()

    # Hostile drops: only remote URLs, a missing file, a folder — nothing crashes, nothing is
    # attached silently, and what could not be read is said.
    before = list(names)
    remote = QMimeData()
    remote.setUrls([QUrl("https://exemple.fr/a.pdf")])
    assert not _drop(composer, remote).isAccepted()
    broken = QMimeData()
    broken.setUrls([QUrl.fromLocalFile(str(tmp_path / "absent.pdf")),
                    QUrl.fromLocalFile(str(tmp_path))])
    _drop(composer, broken)
    qtbot.waitUntil(lambda: not composer._runner.busy and composer._adds_running == 0,
                    timeout=WAIT_MS)
    assert [a.filename for a in composer.attachments()] == before
    assert composer.error_banner.isVisible()


def test_filing_from_the_window_writes_the_document_and_audits_it(
        qtbot: QtBot, window: MainWindow, tmp_path: Path, profile: Profile) -> None:
    folder = tmp_path / "dossiers-patients"
    folder.mkdir()
    window.settings = window.settings.with_changes(export_folder=str(folder))
    window._select_account(SENDER, "jmartin", "professionals")
    pdf = _pdf()
    with qtbot.waitSignal(window.filed, timeout=WAIT_MS) as filed:
        window.file_document(FilingRequest(_cda(pdf), pdf), message_id=42, position=1)
    path = filed.args[0].path
    assert path.parent == folder and path.is_file()
    assert path.read_bytes() == pdf  # the PDF that travelled with the CDA
    # <date>_<type>_<NOM>_<prénom>.pdf (issue #7 item 3), accents dropped from the file name.
    assert path.name == "2026-11-02_cr-d-examens-biologiques_LEFEVRE_Paul.pdf"
    rows = [e for e in profile.audit.entries(mailbox=SENDER)
            if e.action is AuditAction.FILE_DOCUMENT]
    assert len(rows) == 1
    assert rows[0].message_ref == 42 and rows[0].attachment_index == 1
    # ECO.4.1.2: the trace names no patient and no file.
    for value in vars(rows[0]).values():
        for secret in ("LEFEVRE", "LEFÈVRE", "PAUL", path.stem.upper(), "BIOLOGI"):
            assert secret not in str(value).upper(), value


def test_an_account_added_by_the_wizard_appears_in_the_tree(
        qtbot: QtBot, window: MainWindow, profile: Profile) -> None:
    window.open_account_wizard()
    wizard = window.account_wizard
    assert wizard is not None
    added = Account(address="accueil@ch-lyon.mssante.fr", kind=MailboxKind.ORG,
                    login="sophie.martinez@infirmier.mssante.fr",
                    imap=Endpoint("127.0.0.1", 1, TlsMode.IMPLICIT),
                    smtp=Endpoint("127.0.0.1", 1, TlsMode.STARTTLS))
    profile.accounts.add(added, password="x")  # what the wizard's last page does
    wizard.account_added.emit(added)
    qtbot.waitUntil(lambda: window.account_model.rowCount() == 2, timeout=WAIT_MS)
    index = window.account_model.account_index("accueil@ch-lyon.mssante.fr")
    assert index.isValid()
    qtbot.waitUntil(lambda: "accueil@ch-lyon.mssante.fr" in window._account_ids,
                    timeout=WAIT_MS)
    assert window.account_count_label.text() == "2 comptes"


def test_logout_ends_the_sessions_and_closes_the_window(qtbot: QtBot, window: MainWindow,
                                                       profile: Profile) -> None:
    detached: list[str] = []
    original = profile.credentials.detach_session

    def spy(account: Any) -> None:
        detached.append(account.address)
        original(account)

    profile.credentials.detach_session = spy  # type: ignore[method-assign]
    with qtbot.waitSignal(window.logout_requested, timeout=WAIT_MS):
        window.logout()
    assert detached == [SENDER]
    assert not window.isVisible()


def test_crl_addresses_set_in_the_settings_are_kept(qtbot: QtBot, window: MainWindow,
                                                    profile: Profile) -> None:
    """Outils ▸ Paramètres ▸ Révocation reads the CRL addresses and what is kept, and the
    window writes the new addresses (as ``estafette crl set``) on the database thread."""
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "settings_dialog", None) is not None
                    and window.settings_dialog.isVisible(), timeout=WAIT_MS)
    dialog = window.settings_dialog
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Révocation" in tabs
    dialog.crl_urls.setPlainText("http://crl.igc-sante.example/ac-serveurs.crl")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: profile.crls.urls() == [
        "http://crl.igc-sante.example/ac-serveurs.crl"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Paramètres enregistrés.",
                    timeout=WAIT_MS)
