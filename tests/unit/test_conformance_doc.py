"""docs/conformance.md must say exactly which tests cite which ECO requirement."""

from __future__ import annotations

from tests import conformance


def test_conformance_matrix_is_current() -> None:
    assert conformance.DOC.read_text() == conformance.render(), (
        "docs/conformance.md is stale: run `python -m tests.conformance`")


def test_ranges_and_wildcards_are_expanded() -> None:
    assert conformance._cited_ids("see ECO.4.1.1–2 and ECO.2.1.x") == {
        "ECO.4.1.1", "ECO.4.1.2", "ECO.2.1.x"}
