"""Issue #7 item 9, "every item model passes QAbstractItemModelTester": the models Qt's item
widgets hold (the composer's attachment list, the move dialog's folder list, the XDM preview's
document tree) are checked while the widgets fill, filter and empty them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from app.composition import Profile
from app.domain.xdm import XdmInputDocument
from app.protocols.xdm import pack_xdm
from tests.ui.test_composer import WAIT_MS, build_world
from tests.ui.test_previews import WHEN, _cda, _pdf
from ui.dialogs.composer import Composer
from ui.widgets.preview import XdmPreview
from ui.windows.message_actions import FolderEntry, MoveToFolderDialog

FATAL = QAbstractItemModelTester.FailureReportingMode.Fatal


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = build_world(tmp_path)
    yield opened
    opened.close()


def test_the_composer_s_attachment_list(qtbot: QtBot, profile: Profile, tmp_path: Path) -> None:
    composer = Composer(profile=profile, undo_seconds=60)
    qtbot.addWidget(composer)
    composer.show()
    QAbstractItemModelTester(composer.attachment_list.model(), FATAL)
    files = []
    for name in ("a.txt", "b.txt", "cr.xml"):
        path = tmp_path / name
        path.write_bytes(_cda() if name.endswith(".xml") else b"texte\n")
        files.append(path)
    composer.add_files(files)
    qtbot.waitUntil(lambda: composer._adds_running == 0 and not composer._runner.busy,
                    timeout=WAIT_MS)
    assert composer.attachment_list.count() >= 2
    composer.attachment_list.selectAll()
    composer.remove_selected_attachments()
    assert composer.attachment_list.count() == 0
    composer.close()
    qtbot.waitUntil(lambda: not composer._runner.busy, timeout=WAIT_MS)


def test_the_move_dialog_s_folder_list(qtbot: QtBot) -> None:
    entries = [FolderEntry(i, name, use, label, None) for i, (name, use, label) in enumerate([
        ("INBOX", "INBOX", "Boîte de réception"), ("Archives/2024", None, "Archives › 2024"),
        ("Trash", "\\Trash", "Corbeille")], start=1)]
    dialog = MoveToFolderDialog(entries, count=2)
    qtbot.addWidget(dialog)
    QAbstractItemModelTester(dialog.folder_list.model(), FATAL)
    dialog.filter_edit.setText("arch")
    dialog.filter_edit.setText("zzz")
    dialog.filter_edit.setText("")
    assert dialog.folder_list.count() == 3


def test_the_xdm_preview_s_document_tree(qtbot: QtBot) -> None:
    pdf = _pdf()
    package = pack_xdm([XdmInputDocument(cda=_cda(pdf), pdf=pdf)], submission_time=WHEN)
    executor = ThreadPoolExecutor(max_workers=1)
    try:
        widget = XdmPreview(package.zip_bytes, executor=executor)
        qtbot.addWidget(widget)
        QAbstractItemModelTester(widget.documents.model(), FATAL)
        with qtbot.waitSignal(widget.loaded, timeout=WAIT_MS):
            pass
        assert widget.document_count() == 2
        widget.documents.setCurrentItem(widget.documents.topLevelItem(1))
    finally:
        executor.shutdown(wait=True)
