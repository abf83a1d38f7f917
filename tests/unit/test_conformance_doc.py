"""docs/conformance.md must say exactly which tests cite which ECO requirement."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests import conformance


def test_conformance_matrix_is_current() -> None:
    assert conformance.DOC.read_text() == conformance.render(), (
        "docs/conformance.md is stale: run `python -m tests.conformance`")


def test_ranges_and_wildcards_are_expanded() -> None:
    assert conformance._cited_ids("see ECO.4.1.1–2 and ECO.2.1.x") == {
        "ECO.4.1.1", "ECO.4.1.2", "ECO.2.1.x"}


def test_only_a_test_or_its_class_docstring_credits_it(tmp_path: Path) -> None:
    """A module docstring describes the module: citing an id there credits none of its tests."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sample.py").write_text(textwrap.dedent('''
        """The TLS policy (ECO.1.1.5-7)."""

        def test_uncommented() -> None:
            pass

        def test_documented() -> None:
            """Says what it does, cites nothing."""

        def test_revocation() -> None:
            """ECO.1.1.6: a revoked certificate is refused."""

        class TestMessageId:
            """ECO.2.2.1: every message has a Message-ID."""

            def test_generated(self) -> None:
                pass

            def test_kept(self) -> None:
                """ECO.2.2.2: replies carry References."""
        '''))
    cited = conformance.collect(tmp_path)
    assert cited["ECO.1.1.5"] == cited["ECO.1.1.7"] == []
    assert cited["ECO.1.1.6"] == ["tests/test_sample.py::test_revocation"]
    assert cited["ECO.2.2.1"] == ["tests/test_sample.py::TestMessageId::test_generated",
                                  "tests/test_sample.py::TestMessageId::test_kept"]
    assert cited["ECO.2.2.2"] == ["tests/test_sample.py::TestMessageId::test_kept"]
    assert "ECO.1.1.7" in conformance.render(tmp_path).split("## Gaps")[1]
