"""Every ANS CDA R2 example renders with the project's own renderer (issue 7 item 3; MSSanté §6):
patient name and document title shown, nothing that runs or fetches, embedded PDFs reported."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
from lxml import html as lxml_html

from app.protocols.cda import extract_embedded_pdf, read_cda_header
from app.protocols.cda.renderer import render_cda

pytestmark = pytest.mark.corpus

CDA_DIR = "cda/ans-testcontenucda-3.0"
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=]+$")


def _documents(corpus: Path) -> list[Path]:
    files = sorted((corpus / CDA_DIR).glob("*.xml"))
    assert len(files) == 60, "the ANS example set has 60 documents"
    return files


def test_every_ans_example_renders_safely(corpus: Path) -> None:
    with_pdf = 0
    with_images = 0
    for path in _documents(corpus):
        data = path.read_bytes()
        header = read_cda_header(data)
        result = render_cda(data)
        page = result.html
        assert header.patient.family_name and header.patient.family_name in page, path.name
        assert result.title == (header.title or header.type_label), path.name
        assert f"<title>{escape(result.title, quote=False)}</title>" in page, path.name
        assert "<script" not in page.lower(), path.name
        assert not re.search(r"""src\s*=\s*["']?\s*(https?:)?//""", page, re.I), path.name
        root = lxml_html.document_fromstring(page)
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for name, value in element.attrib.items():
                assert not name.startswith("on"), (path.name, element.tag, name)
                assert name != "href", path.name
                if name == "src":
                    assert _DATA_IMAGE.match(value), path.name
            with_images += element.tag == "img"
        expected_pdf = extract_embedded_pdf(data)
        assert result.embedded_pdf == expected_pdf, path.name
        if expected_pdf is not None:
            assert result.embedded_pdf is not None and result.embedded_pdf.startswith(b"%PDF")
            with_pdf += 1
    # The set has level 1 PDFs and level 3 documents carrying a PDF copy, and a few images.
    assert with_pdf >= 25
    assert with_images >= 5


def test_level_one_example_shows_its_pdf_first(corpus: Path) -> None:
    result = render_cda((corpus / CDA_DIR / "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml").read_bytes())
    assert result.embedded_pdf is not None and result.embedded_pdf.startswith(b"%PDF")
    assert "visionneuse PDF" in result.html


def test_auto_presentable_examples_render_without_their_stylesheet(corpus: Path) -> None:
    for name in (
        "BIO-CR-BIO_2021.01_Auto-Presentable.xml",
        "BIO-CR-BIO_2021.01_Auto-Presentable_avec-image.xml",
    ):
        result = render_cda((corpus / CDA_DIR / name).read_bytes())
        assert "auto-présentable" in result.warnings[0], name
        assert "xsl:" not in result.html, name
