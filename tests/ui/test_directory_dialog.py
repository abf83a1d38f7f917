"""The directory dialog (issue #7, item 5): multi-criteria search off the UI thread over the
offline directory of a real encrypted profile, and the addresses it hands to the composer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from app.composition import Profile
from app.domain.directory_entry import DirectoryBoxType, DirectoryEntry, DirectorySource
from tests.ui.test_composer import WAIT_MS, build_world
from ui.dialogs import BackgroundRunner
from ui.dialogs.directory_dialog import DirectoryDialog
from ui.models.directory_results_model import Column, DirectoryResultsModel, Roles


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = build_world(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def dialog(qtbot: QtBot, profile: Profile) -> Iterator[DirectoryDialog]:
    runner = BackgroundRunner(profile.executors.cpu)
    window = DirectoryDialog(runner=runner, search=profile.directory.search)
    qtbot.addWidget(window)
    window.show()
    yield window
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    runner.close()


def _search(qtbot: QtBot, dialog: DirectoryDialog) -> int:
    with qtbot.waitSignal(dialog.search_finished, timeout=WAIT_MS) as finished:
        dialog.search_button.click()
    return int(finished.args[0])


def test_search_by_city_and_add_to(qtbot: QtBot, dialog: DirectoryDialog) -> None:
    """MSSANTE.md §7: the city is searched in the offline extraction (the API cannot)."""
    dialog.city_edit.setText("lyon")
    assert _search(qtbot, dialog) == 2
    found = {dialog.model.entry(r).address for r in range(dialog.model.rowCount())}
    assert found == {"jean.martin@medecin.mssante.fr", "cardiologie@ch-lyon.mssante.fr"}
    assert dialog.status_label.text() == "2 résultats"

    row = next(r for r in range(dialog.proxy.rowCount())
               if dialog.proxy.index(r, Column.ADDRESS).data() == "jean.martin@medecin.mssante.fr")
    dialog.table.selectRow(row)
    with qtbot.waitSignal(dialog.add_to, timeout=WAIT_MS) as added:
        dialog.add_to_button.click()
    assert added.args == [["jean.martin@medecin.mssante.fr"]]


def test_type_and_profession_criteria_combine(qtbot: QtBot, dialog: DirectoryDialog) -> None:
    dialog.city_edit.setText("lyon")
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("ORG"))
    assert _search(qtbot, dialog) == 1
    assert dialog.model.entry(0).address == "cardiologie@ch-lyon.mssante.fr"
    dialog.clear_criteria()
    dialog.profession_edit.setText("infirmier")
    assert _search(qtbot, dialog) == 1
    entry_row = dialog.proxy.index(0, Column.NAME)
    assert entry_row.data() == "Mme Sophie MARTINEZ"
    with qtbot.waitSignal(dialog.add_cc, timeout=WAIT_MS) as added:
        dialog.add_cc_button.click()  # the first result is selected after a search
    assert added.args == [["sophie.martinez@infirmier.mssante.fr"]]


def test_the_sorted_view_passes_the_model_tester_through_searches(
        qtbot: QtBot, dialog: DirectoryDialog) -> None:
    """The stock sort proxy between the results and the table, checked while results are
    replaced, sorted both ways and emptied."""
    QAbstractItemModelTester(dialog.proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    dialog.city_edit.setText("lyon")
    assert _search(qtbot, dialog) == 2
    dialog.table.sortByColumn(Column.NAME, Qt.SortOrder.DescendingOrder)
    names = [dialog.proxy.index(r, Column.NAME).data() for r in range(dialog.proxy.rowCount())]
    assert names == sorted(names, reverse=True)
    dialog.table.sortByColumn(Column.CITY, Qt.SortOrder.AscendingOrder)
    dialog.clear_criteria()
    dialog.name_edit.setText("zzzz")
    assert _search(qtbot, dialog) == 0
    assert dialog.proxy.rowCount() == 0


def test_no_criteria_and_no_result_are_explained(qtbot: QtBot, dialog: DirectoryDialog) -> None:
    dialog.search_button.click()
    assert "au moins un critère" in dialog.status_label.text()
    dialog.name_edit.setText("zzzz")
    assert _search(qtbot, dialog) == 0
    assert "Aucune boîte" in dialog.status_label.text()
    assert not dialog.add_to_button.isEnabled()


def test_accessible_names(dialog: DirectoryDialog) -> None:
    for widget in (dialog.name_edit, dialog.first_name_edit, dialog.profession_edit,
                   dialog.specialty_edit, dialog.city_edit, dialog.postcode_edit,
                   dialog.type_combo, dialog.table):
        assert widget.accessibleName(), widget.objectName()


def _entry(address: str, kind: DirectoryBoxType = DirectoryBoxType.PER) -> DirectoryEntry:
    return DirectoryEntry(address=address, box_type=kind, source=DirectorySource.EXTRACTION,
                          family_name="NOM", given_name="Prénom", profession="Médecin",
                          specialty="Cardiologie", structure="CH", service="Urgences",
                          postcode="69003", city="LYON")


def test_results_model_passes_the_model_tester(qtbot: QtBot) -> None:
    model = DirectoryResultsModel()
    tester = QAbstractItemModelTester(
        model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert model.rowCount() == 0 and model.columnCount() == len(Column)
    model.set_entries([_entry("a@x.mssante.fr"), _entry("b@y.mssante.fr", DirectoryBoxType.ORG)])
    assert model.rowCount() == 2
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children
    index = model.index(1, Column.TYPE)
    assert index.data() == "ORG"
    assert "organisationnelle" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, Column.PROFESSION).data() == "Médecin — Cardiologie"
    assert model.index(0, Column.STRUCTURE).data() == "CH — Urgences"
    assert model.index(0, Column.CITY).data() == "69003 LYON"
    assert model.index(0, Column.ADDRESS).data(Roles.ADDRESS) == "a@x.mssante.fr"
    assert model.headerData(Column.NAME, Qt.Orientation.Horizontal) == "Nom"
    assert model.data(QModelIndex()) is None
    model.set_entries([_entry("c@z.mssante.fr")])
    model.clear()
    assert model.rowCount() == 0
    del tester
