"""The folder tree of one account, with unread counts read from the encrypted store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont

from app.composition import Profile, open_profile
from app.store.message_queries import MessageQueries
from app.store.message_store import SEEN, FolderInfo
from tests.ui.test_message_list_model import ACCOUNT, header
from ui.models.folder_model import FolderModel, Roles


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def children(model: FolderModel, parent: QModelIndex = QModelIndex()) -> list[str]:  # noqa: B008
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def test_tree_with_unread_counts(qtmodeltester: Any, profile: Profile) -> None:
    store = profile.messages
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    folders = {f.name: f.id for f in store.replace_folders(account_id, [
        FolderInfo("Archives/2024", "/", None),
        FolderInfo("Trash", "/", "\\Trash"),
        FolderInfo("INBOX", "/", None),
        FolderInfo("Sent", "/", "\\Sent"),
        FolderInfo("Archives/2023", "/", None),
        FolderInfo("Patients/Dupont/Bilans", "/", None),
    ])}
    # INBOX: uids 1..6, unread when uid % 3 == 0 -> 2 unread.
    store.store_headers(folders["INBOX"], [header(uid) for uid in range(1, 7)])
    store.store_headers(folders["Archives/2024"],
                        [header(uid, flags=frozenset({SEEN})) for uid in range(1, 4)])
    queries = MessageQueries(database=profile.database)

    model = FolderModel()
    qtmodeltester.check(model)
    model.set_folders(queries.folder_counts(account_id))

    assert children(model) == ["Boîte de réception (2)", "Envoyés", "Corbeille", "Archives",
                               "Patients"]
    inbox = model.inbox_index()
    assert inbox.data(Roles.FOLDER_ID) == folders["INBOX"]
    assert inbox.data(Roles.UNREAD) == 2 and inbox.data(Roles.TOTAL) == 6
    assert inbox.data(Roles.LABEL) == "Boîte de réception"  # for the search field: no count
    font = inbox.data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert "2 non lus" in inbox.data(Qt.ItemDataRole.ToolTipRole)

    archives = model.index(3, 0)
    assert children(model, archives) == ["2023", "2024"]
    assert model.index(1, 0, archives).data(Roles.FULL_NAME) == "Archives/2024"
    assert model.index(1, 0, archives).data(Roles.TOTAL) == 3
    assert model.index(1, 0, archives).data(Qt.ItemDataRole.FontRole) is None
    # "Archives" itself was listed implicitly only: not selectable, no folder id.
    assert archives.data(Roles.FOLDER_ID) is None
    assert not (model.flags(archives) & Qt.ItemFlag.ItemIsSelectable)
    patients = model.index(4, 0)
    dupont = model.index(0, 0, patients)
    assert model.index(0, 0, dupont).data(Roles.FULL_NAME) == "Patients/Dupont/Bilans"
    assert model.parent(model.index(0, 0, dupont)) == dupont

    # New mail: counts change in place, without a reset.
    store.mark_read([m.id for m in store.all_messages(account_id)
                     if m.folder == "INBOX" and m.uid == 3])
    resets: list[bool] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(
        lambda top, _bottom, _roles: changed.append(top.data(Roles.FOLDER_ID)))
    model.update_counts(queries.folder_counts(account_id))
    assert resets == []
    assert changed == [folders["INBOX"]]
    assert model.inbox_index().data() == "Boîte de réception (1)"

    # A folder gone from the server: the tree is rebuilt.
    store.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])
    model.update_counts(queries.folder_counts(account_id))
    assert resets == [True]
    assert children(model) == ["Boîte de réception (1)"]
