"""The project's own CDA R2 renderer (issue 7 item 3): header block, narrative block, images,
level 1 bodies, and hostile content that must come out inert (MSSanté §6, §8)."""

from __future__ import annotations

import base64
import re

import pytest
from lxml import html as lxml_html

from app.domain.cda import CdaError
from app.protocols.cda.renderer import RenderedCda, format_ts, render_cda

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _cda(body: str, *, title: str = "Compte rendu de consultation") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="1.2.250.1.999.1" extension="DOC-1"/>
  <code code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="Note de consultation"/>
  <title>{title}</title>
  <effectiveTime value="20240106113623+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25" displayName="Normal"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.8" extension="279035121518989"/>
    <patient>
      <name><given qualifier="BR">Jeanne</given><family qualifier="BR">DUPONT-TEST</family></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19790315"/>
    </patient>
  </patientRole></recordTarget>
  <author><time value="20240106110000+0100"/><assignedAuthor>
    <id root="1.2.250.1.71.4.2.1" extension="810000000001"/>
    <code code="SM26" displayName="Médecine générale"/>
    <assignedPerson><name><prefix>Dr</prefix><given>Paul</given><family>MARTIN</family></name>
    </assignedPerson>
    <representedOrganization><name>Cabinet du Parc</name></representedOrganization>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization>
    <id root="1.2.250.1.71.4.2.2" extension="1234"/><name>Hôpital de Test</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <component>{body}</component>
</ClinicalDocument>""".encode()


def _structured(*sections: str) -> str:
    return "<structuredBody>" + "".join(
        f"<component>{s}</component>" for s in sections
    ) + "</structuredBody>"  # fmt: skip


def _section(text: str, title: str = "Motif", extra: str = "") -> str:
    return f"<section><title>{title}</title><text>{text}</text>{extra}</section>"


def _assert_safe(result: RenderedCda) -> None:
    """No script, no handler, no URL but raster data: images, anywhere in the page."""
    page = result.html
    assert "<script" not in page.lower()
    root = lxml_html.document_fromstring(page)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in {"script", "iframe", "object", "embed", "a", "link", "form"}
        for name, value in element.attrib.items():
            assert not name.startswith("on"), (element.tag, name)
            assert name not in {"href", "action", "background", "srcset"}, name
            if name == "src":
                assert re.match(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=]+$", value)


def test_header_block() -> None:
    result = render_cda(_cda(_structured(_section("RAS"))))
    assert result.title == "Compte rendu de consultation"
    page = result.html
    for expected in (
        "DUPONT-TEST Jeanne",
        "279035121518989 (INS-NIR)",
        "15/03/1979",
        "Féminin",
        "Dr Paul MARTIN (Médecine générale, Cabinet du Parc, 06/01/2024 11:00)",
        "Hôpital de Test",
        "06/01/2024 11:36",
        "Note de consultation",
    ):
        assert expected in page, expected
    assert result.embedded_pdf is None and result.warnings == []
    _assert_safe(result)


def test_narrative_block_elements() -> None:
    text = (
        '<paragraph>Tension <content styleCode="Bold">12/8</content>, '
        '<content styleCode="Italics Underline">stable</content>, '
        'SpO<sub>2</sub> 98 %, 10<sup>3</sup>/mm<sup>3</sup><br/>suite</paragraph>'
        '<list listType="ordered"><caption>Traitements</caption><item>Doliprane</item>'
        "<item>Repos</item></list>"
        '<table border="1"><caption>Bilan</caption><thead><tr><th colspan="2">Examen</th></tr>'
        '</thead><tbody><tr><td rowspan="2">Hb</td><td>13,5</td></tr><tr><td>g/dL</td></tr>'
        "</tbody></table>"
        '<paragraph>Note<footnote ID="f1">selon le patient</footnote></paragraph>'
        '<content revised="delete">texte supprimé</content>'
    )
    nested = _section("Sous-section", title="Détail")
    page = render_cda(_cda(_structured(_section(text, extra=f"<component>{nested}</component>"))))
    html = page.html
    assert "<b>12/8</b>" in html and "<i><u>stable</u></i>" in html
    assert "SpO<sub>2</sub>" in html and "<sup>3</sup>" in html and "<br>suite" in html
    assert '<p class="cda-caption">Traitements</p><ol><li>Doliprane</li><li>Repos</li></ol>' in html
    assert '<th colspan="2">Examen</th>' in html and '<td rowspan="2">Hb</td>' in html
    assert "<caption>Bilan</caption>" in html
    assert "[selon le patient]" in html
    assert "texte supprimé" not in html
    assert "<h2>Motif</h2>" in html and "<h3>Détail</h3>" in html
    _assert_safe(page)


def test_hostile_narrative_is_inert() -> None:
    text = (
        "<paragraph><![CDATA[<script>alert(1)</script>]]> &lt;img src=x onerror=alert(2)&gt;"
        "</paragraph>"
        '<paragraph><linkHtml href="javascript:alert(3)">cliquez</linkHtml> '
        '<linkHtml href="https://evil.example/x">site</linkHtml></paragraph>'
        '<table><tbody><tr><td colspan="2&quot; onmouseover=&quot;alert(4)">x</td>'
        '<td rowspan="99999">y</td></tr></tbody></table>'
        '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(5)</x:script>'
        '<content styleCode="&quot;&gt;&lt;script&gt;">z</content>'
    )
    hostile_title = "&lt;script&gt;alert(6)&lt;/script&gt;"
    result = render_cda(_cda(_structured(_section(text)), title=hostile_title))
    _assert_safe(result)
    html = result.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run
    assert "cliquez" in html and "site" in html
    assert 'title="https://evil.example/x"' in html  # inert: a hover title, nothing fetched
    assert result.title == "<script>alert(6)</script>"
    assert "<title>&lt;script&gt;alert(6)&lt;/script&gt;</title>" in html


def test_embedded_images_raster_only_and_size_capped() -> None:
    png = base64.b64encode(PNG_1PX).decode()
    svg = base64.b64encode(b"<svg onload='alert(1)'/>").decode()
    fake = base64.b64encode(b"<html><script>alert(1)</script></html>").decode()
    entries = "".join(
        f'<entry><observationMedia classCode="OBS" moodCode="EVN" ID="{ident}">'
        f'<value mediaType="{media}" representation="B64">{data}</value>'
        "</observationMedia></entry>"
        for ident, media, data in (
            ("img1", "image/png", png),
            ("img2", "image/svg+xml", svg),
            ("img3", "image/png", fake),
        )
    )
    text = (
        '<renderMultiMedia referencedObject="img1"><caption>Fond d\'oeil</caption>'
        '</renderMultiMedia><renderMultiMedia referencedObject="img2"/>'
        '<renderMultiMedia referencedObject="img3"/><renderMultiMedia referencedObject="nope"/>'
    )
    result = render_cda(_cda(_structured(_section(text, extra=entries))))
    _assert_safe(result)
    assert result.html.count("<img") == 1
    assert f"data:image/png;base64,{png}" in result.html
    assert "<figcaption>Fond d'oeil</figcaption>" in result.html
    assert len(result.warnings) == 3  # svg refused, fake png refused, missing reference


def test_level_one_pdf_is_reported_first() -> None:
    body = (
        '<nonXMLBody><text mediaType="application/pdf" representation="B64">'
        f"{base64.b64encode(PDF).decode()}</text></nonXMLBody>"
    )
    result = render_cda(_cda(body))
    assert result.embedded_pdf == PDF
    assert "visionneuse PDF" in result.html
    _assert_safe(result)


def test_level_one_plain_text_is_escaped() -> None:
    text = "Ligne 1 <script>alert(1)</script>\nLigne 2 é"
    body = (
        '<nonXMLBody><text mediaType="text/plain" representation="B64">'
        f"{base64.b64encode(text.encode()).decode()}</text></nonXMLBody>"
    )
    result = render_cda(_cda(body))
    assert "Ligne 1 &lt;script&gt;alert(1)&lt;/script&gt;\nLigne 2 é" in result.html
    _assert_safe(result)


def test_level_three_with_an_observation_media_pdf() -> None:
    entry = (
        '<entry><observationMedia classCode="OBS" moodCode="EVN" ID="pdf1">'
        f'<value mediaType="application/pdf" representation="B64">'
        f"{base64.b64encode(PDF).decode()}</value></observationMedia></entry>"
    )
    result = render_cda(
        _cda(_structured(_section('<renderMultiMedia referencedObject="pdf1"/>', extra=entry)))
    )
    assert result.embedded_pdf == PDF


def test_huge_table_renders_linearly() -> None:
    rows = "".join(f"<tr><td>ligne {i}</td><td>{i * 2}</td></tr>" for i in range(20_000))
    result = render_cda(_cda(_structured(_section(f"<table><tbody>{rows}</tbody></table>"))))
    assert result.html.count("<tr>") == 20_000
    assert "<td>ligne 19999</td><td>39998</td>" in result.html


def test_auto_presentable_document_is_unwrapped_without_running_the_xsl() -> None:
    inner = _cda(_structured(_section("RAS"))).decode().split("?>", 1)[1]
    wrapped = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><html><script>alert(1)</script></html></xsl:template>'
        f"<xsl:variable name='doc'>{inner}</xsl:variable></xsl:stylesheet>"
    ).encode()
    result = render_cda(wrapped)
    assert "DUPONT-TEST Jeanne" in result.html
    assert "auto-présentable" in result.warnings[0]
    _assert_safe(result)


@pytest.mark.parametrize(
    "data",
    [b"", b"pas du xml", b"<root/>", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
)
def test_bad_input_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(CdaError):
        render_cda(data)


def test_format_ts() -> None:
    assert format_ts("20240106113623+0100") == "06/01/2024 11:36"
    assert format_ts("19790315") == "15/03/1979"
    assert format_ts("197903") == "03/1979"
    assert format_ts(None) is None


@pytest.mark.parametrize("depth", [230, 5_000])
def test_deep_nesting_renders_or_is_refused_cleanly(depth: int) -> None:
    text = "<content>" * depth + "profond" + "</content>" * depth
    try:
        result = render_cda(_cda(_structured(_section(text))))
    except CdaError:
        assert depth > 256  # libxml2's own depth limit (huge_tree stays off)
    else:
        assert "profond" in result.html
