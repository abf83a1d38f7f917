"""The recipients field: whitelist badges (MSSANTE.md §1) and directory autocomplete, against a
real encrypted profile; the field's calls run on the profile's CPU pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.composition import Profile
from tests.ui.test_composer import ALLOWED, BLOCKED, WAIT_MS, build_world
from ui.dialogs import BackgroundRunner
from ui.widgets.recipient_field import ChipState, RecipientField, split_addresses


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = build_world(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def field(qtbot: QtBot, profile: Profile) -> Iterator[RecipientField]:
    runner = BackgroundRunner(profile.executors.cpu)
    directory = profile.directory
    widget = RecipientField(
        runner=runner,
        check=profile.whitelist.check,
        autocomplete=lambda prefix: directory.autocomplete(prefix, limit=10).entries,
        accessible_name="Destinataires (À)",
    )
    qtbot.addWidget(widget)
    widget.resize(600, 60)
    widget.show()
    widget.line_edit.setFocus()
    yield widget
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    runner.close()


def _type(qtbot: QtBot, field: RecipientField, text: str) -> None:
    qtbot.keyClicks(field.line_edit, text)
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Return)


def test_blocked_address_gets_the_cross_and_the_reason(qtbot: QtBot,
                                                       field: RecipientField) -> None:
    """MSSANTE.md §1: outside the list -> blocked; the reason is the tooltip and the
    accessible description (a screen reader says why)."""
    _type(qtbot, field, BLOCKED)
    chip = field.chip(BLOCKED)
    assert chip is not None
    qtbot.waitUntil(lambda: chip.state is not ChipState.PENDING, timeout=WAIT_MS)
    assert chip.state is ChipState.BLOCKED and chip.badge.text() == "✗"
    assert "seuls les domaines en .mssante.fr" in chip.reason
    assert chip.reason in chip.toolTip()
    assert chip.accessibleDescription() == chip.reason
    assert "bloqué" in chip.accessibleName()
    assert field.blocked() == [chip]


def test_allowed_address_gets_the_tick(qtbot: QtBot, field: RecipientField) -> None:
    _type(qtbot, field, ALLOWED)
    chip = field.chip(ALLOWED)
    assert chip is not None
    qtbot.waitUntil(lambda: chip.state is not ChipState.PENDING, timeout=WAIT_MS)
    assert chip.state is ChipState.ALLOWED and chip.badge.text() == "✓"
    assert "autorisé" in chip.accessibleName()
    assert "liste blanche" in chip.accessibleDescription()
    assert field.blocked() == []


def test_separators_make_chips_and_duplicates_are_ignored(qtbot: QtBot,
                                                          field: RecipientField) -> None:
    qtbot.keyClicks(field.line_edit, "a@ch-lyon.mssante.fr;b@ch-lyon.mssante.fr,")
    assert field.addresses() == ["a@ch-lyon.mssante.fr", "b@ch-lyon.mssante.fr"]
    _type(qtbot, field, "A@ch-lyon.mssante.fr")
    assert field.addresses() == ["a@ch-lyon.mssante.fr", "b@ch-lyon.mssante.fr"]
    # Backspace on an empty entry takes the last address back for editing.
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Backspace)
    assert field.addresses() == ["a@ch-lyon.mssante.fr"]
    assert field.line_edit.text() == "b@ch-lyon.mssante.fr"


def test_split_addresses() -> None:
    assert split_addresses("Dr A <a@x.mssante.fr>; b@y.mssante.fr,\n c@z.fr ") == [
        "a@x.mssante.fr", "b@y.mssante.fr", "c@z.fr"]
    assert split_addresses(" ; , ") == []


def test_autocomplete_proposes_directory_entries(qtbot: QtBot, field: RecipientField) -> None:
    """Typing "mart" offers the MARTIN and MARTINEZ boxes of the directory; picking one makes
    a chip with its address."""
    qtbot.keyClicks(field.line_edit, "mart")
    qtbot.waitUntil(lambda: len(field.suggestions()) >= 2, timeout=WAIT_MS)
    suggestions = field.suggestions()
    assert any("jean.martin@medecin.mssante.fr" in s and "MARTIN" in s for s in suggestions)
    assert any("sophie.martinez@infirmier.mssante.fr" in s for s in suggestions)
    assert not any("petit" in s for s in suggestions)
    assert field.completer.popup().isVisible()

    model = field.completion_model
    row = next(r for r in range(model.rowCount())
               if "jean.martin@" in str(model.index(r, 0).data()))
    field.completer.activated[type(model.index(0, 0))].emit(model.index(row, 0))
    assert field.addresses() == ["jean.martin@medecin.mssante.fr"]
    assert field.line_edit.text() == ""


def test_the_completion_model_passes_the_model_tester(qtbot: QtBot,
                                                      field: RecipientField) -> None:
    """The stock item model behind the completer, checked while suggestions come and go."""
    from PySide6.QtTest import QAbstractItemModelTester

    QAbstractItemModelTester(field.completion_model,
                             QAbstractItemModelTester.FailureReportingMode.Fatal)
    qtbot.keyClicks(field.line_edit, "mart")
    qtbot.waitUntil(lambda: len(field.suggestions()) >= 2, timeout=WAIT_MS)
    qtbot.keyClicks(field.line_edit, "inez")
    qtbot.waitUntil(lambda: len(field.suggestions()) == 1, timeout=WAIT_MS)
    field.line_edit.clear()
    qtbot.keyClicks(field.line_edit, "zzzz")
    qtbot.waitUntil(lambda: len(field.suggestions()) == 0, timeout=WAIT_MS)


def test_a_stale_autocomplete_answer_is_dropped(qtbot: QtBot, field: RecipientField) -> None:
    qtbot.keyClicks(field.line_edit, "pet")
    qtbot.waitUntil(lambda: len(field.suggestions()) == 1, timeout=WAIT_MS)
    field.line_edit.clear()
    qtbot.keyClicks(field.line_edit, "zz")
    # An answer for "pet" arriving now must not replace what "zz" will show.
    field._show_completions(field._query_serial - 1, "pet", [])
    assert len(field.suggestions()) == 1
