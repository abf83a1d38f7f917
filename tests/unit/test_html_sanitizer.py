"""Mail HTML sanitising: safe subset, no script, no remote fetch, cid: images kept, inert links.
(MSSanté §8: sanitise everything that comes from outside; issue 7 item 2.)"""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from app.protocols.html_sanitizer import (
    SanitizedHtml,
    sanitize_email_html,
    sanitize_rendered_fragment,
)

PNG = "data:image/png;base64,iVBORw0KGgo="


def _clean(html: str) -> SanitizedHtml:
    return sanitize_email_html(html, cid_resolver=lambda cid: PNG if cid == "logo@x" else None)


def _assert_inert(html: str) -> None:
    """Parse the output as a browser would and check nothing in it can run or fetch."""
    root = lxml_html.fragment_fromstring(html or "<div></div>", create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions are not rendered
        assert element.tag not in FORBIDDEN_TAGS, html
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), html
            assert name.lower() not in {"href", "action", "formaction", "data", "background",
                                        "srcset", "poster", "content"}, html  # fmt: skip
            if name.lower() == "src":
                assert value.startswith(("data:image/png", "cid:")), html
            if name.lower() == "style":
                assert not re.search(r"url\(|expression|@import|\\", value, re.I), html


FORBIDDEN_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "form", "input",
                  "button", "meta", "base", "link", "svg", "math", "body", "html"}  # fmt: skip


HOSTILE = [
    "<script>alert(1)</script>",
    "<ScRiPt >alert(1)</sCrIpT>",
    "<scr<script>ipt>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript&#58;alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:text/html;base64,PHNjcmlwdD4=">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<img src=x onerror=alert(1)>",
    '<img src="http://tracker.example/p.gif" width=1 height=1>',
    '<img src="//tracker.example/p.gif">',
    '<img src="&#104;ttps://tracker.example/p.gif">',
    '<img srcset="https://a.example/1.png 1x, https://a.example/2.png 2x">',
    '<table background="http://a.example/bg.png"><tr><td>x</td></tr></table>',
    '<div style="background:url(http://a.example/bg.png)">x</div>',
    '<div style="background-image: URL( \'https://a.example/bg.png\' )">x</div>',
    '<div style="width:expression(alert(1))">x</div>',
    "<style>@import url(http://a.example/x.css);</style>",
    '<style>body{background:url("https://a.example/b.png")}</style>',
    '<meta http-equiv="refresh" content="0;url=http://a.example/">',
    '<base href="http://a.example/"><a href="x">rel</a>',
    '<link rel="stylesheet" href="http://a.example/x.css">',
    '<iframe src="http://a.example/"></iframe>',
    '<object data="http://a.example/x.swf"></object><embed src="http://a.example/x">',
    '<form action="http://a.example/"><input name="q"><button>ok</button></form>',
    "<!--<img src=http://a.example/c.png>-->",
    "<!--[if gte mso 9]><script>alert(1)</script><![endif]-->",
    '<p title="&quot;><script>alert(1)</script>">t</p>',
    '<a href="https://a.example/&quot;><img src=x onerror=alert(1)>">q</a>',
    "<body onload=alert(1)>x</body>",
    '<div onclick="alert(1)" onmouseover="alert(1)">x</div>',
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_html_comes_out_inert(html: str) -> None:
    result = _clean(html)
    _assert_inert(result.html)
    # Idempotent: cleaning the output again changes nothing dangerous and stays inert.
    _assert_inert(_clean(result.html).html)


def test_remote_resources_are_reported_for_the_banner() -> None:
    result = _clean(
        '<img src="https://a.example/1.png"><img src="//b.example/2.png">'
        '<table><tr><td background="http://c.example/3.png"></td></tr></table>'
        '<div style="background:url(http://d.example/4.png)"></div>'
        "<style>@import url(http://e.example/5.css);</style>"
        '<img src="ftp://f.example/6.png">'
    )
    assert set(result.blocked_resources) == {
        "https://a.example/1.png",
        "//b.example/2.png",
        "http://c.example/3.png",
        "http://d.example/4.png",
        "http://e.example/5.css",
        "ftp://f.example/6.png",
    }
    assert result.has_blocked_content
    assert "example" not in result.html


def test_cid_images_are_rewritten_and_unknown_ones_dropped() -> None:
    result = _clean('<p><img src="cid:logo@x" alt="logo"><img src="cid:missing@x"></p>')
    assert f'<img src="{PNG}" alt="logo">' in result.html
    assert result.html.count("<img") == 2 and result.html.count("src=") == 1
    assert result.cid_images == ("logo@x",)
    assert not result.has_blocked_content


def test_cid_urls_kept_without_resolver_and_bad_resolutions_refused() -> None:
    assert 'src="cid:a@b"' in sanitize_email_html('<img src="cid:a@b">').html
    evil = sanitize_email_html('<img src="cid:a@b">', cid_resolver=lambda c: "https://x/y.png")
    assert "src=" not in evil.html


def test_links_are_inert_with_their_target_as_title() -> None:
    result = _clean(
        '<a href="https://www.ameli.fr/?a=1&b=2" title="ignored">Ameli</a> '
        '<a href="mailto:dr.martin@hopital.mssante.fr">écrire</a>'
    )
    assert "href" not in result.html
    assert '<a title="https://www.ameli.fr/?a=1&amp;b=2">Ameli</a>' in result.html
    assert result.inert_links == (
        "https://www.ameli.fr/?a=1&b=2",
        "mailto:dr.martin@hopital.mssante.fr",
    )


def test_a_readable_subset_survives() -> None:
    html = (
        '<h2>Compte rendu</h2><p style="color:#333;font-weight:bold">Texte <b>gras</b> '
        "<i>italique</i> <u>souligné</u></p><ul><li>un</li></ul>"
        '<table border="1"><thead><tr><th colspan="2">Examen</th></tr></thead>'
        '<tbody><tr><td rowspan="2">Hb</td><td>13,5</td></tr></tbody></table>'
        "<blockquote>cité</blockquote><pre>  espacé</pre>"
    )
    out = _clean(html).html
    for kept in ("<h2>", "<b>gras</b>", "<i>", "<u>", "<li>un</li>", 'colspan="2"',
                 'rowspan="2"', "<blockquote>", "<pre>  espacé</pre>", "color:#333"):  # fmt: skip
        assert kept in out, kept


def test_text_is_escaped_not_interpreted() -> None:
    out = _clean("<p>1 &lt; 2 &amp;&amp; &lt;script&gt;</p>").html
    assert out == "<p>1 &lt; 2 &amp;&amp; &lt;script&gt;</p>"


def test_rendered_fragment_pass_keeps_raster_data_images_only() -> None:
    out = sanitize_rendered_fragment(
        f'<section class="s"><img src="{PNG}" alt="a"><img src="https://x/y.png">'
        '<img src="data:image/svg+xml;base64,AAAA"><script>x</script></section>'
    )
    assert out.count("src=") == 1 and PNG in out and "<script" not in out


@pytest.mark.parametrize(
    "raw",
    ["<img src=x onerror=alert(1)>", "<script>x</script>", '<a href="https://a.example/">x</a>',
     '<div style="background:url(http://a.example/)">x</div>'],
)
def test_the_inertness_check_catches_raw_hostile_html(raw: str) -> None:
    with pytest.raises(AssertionError):
        _assert_inert(raw)


def test_pathological_input_is_handled() -> None:
    """Many unclosed <style> and url( openings: the scans stay linear, the result inert."""
    hostile = "<style>" * 20_000 + "url(" * 20_000 + '<p style="' + "url(" * 20_000 + '">x</p>'
    result = _clean(hostile)
    _assert_inert(result.html)
    nested = "<div>" * 5_000 + "fond" + "</div>" * 5_000
    assert "fond" in _clean(nested).html
