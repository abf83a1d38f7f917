"""Every ANS CDA example gets a preview (issue 7 item 3; MSSanté §6): the dispatcher recognises it
as a CDA (auto-présentable ones included) whatever it is called, and the preview's render runs off
the UI thread without error; the real XDM samples are recognised as packages."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.protocols.cda.renderer import render_cda
from ui.widgets.preview.cda_preview import render_for_qt
from ui.widgets.preview.dispatcher import PreviewKind, choose_preview

pytestmark = pytest.mark.corpus

CDA_DIR = "cda/ans-testcontenucda-3.0"


def test_every_ans_example_is_previewed_as_a_cda(corpus: Path) -> None:
    files = sorted((corpus / CDA_DIR).glob("*.xml"))
    assert len(files) == 60, "the ANS example set has 60 documents"

    def render(path: Path) -> tuple[str, str, int, bool]:
        result = render_for_qt(render_cda, path.read_bytes())
        return (path.name, threading.current_thread().name, len(result.html),
                result.embedded_pdf is not None)

    for path in files:
        data = path.read_bytes()
        for name, mime in ((path.name, "text/xml"), (None, None), ("document", "text/plain")):
            choice = choose_preview(data, filename=name, mime_type=mime)
            assert choice.kind is PreviewKind.CDA, (path.name, name, mime, choice)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cpu") as pool:
        outcomes = list(pool.map(render, files))
    for name, thread, size, _pdf in outcomes:
        assert thread.startswith("cpu") and thread != threading.main_thread().name, name
        assert size > 500, name
    assert sum(pdf for *_rest, pdf in outcomes) >= 25  # PDFs shown first in those


def test_real_xdm_samples_are_recognised(corpus: Path) -> None:
    samples = sorted(p for p in (corpus / "xdm").rglob("*") if p.suffix.lower() == ".zip")
    assert samples, "the corpus has XDM samples"
    for path in samples:
        # Named as a user would find them (not IHE_XDM.ZIP): recognised by their METADATA.XML.
        choice = choose_preview(path.read_bytes(), filename=path.name, mime_type="application/zip")
        assert choice.kind is PreviewKind.XDM, (path.name, choice)
