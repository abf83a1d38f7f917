"""Sanitising HTML that comes from outside (mail bodies, and our own CDA rendering) with nh3.

Mail HTML is shown without any network access: nothing in the output may make the viewer fetch
anything. So, on top of nh3's (ammonia's) removal of scripts, event handlers, forms, frames and
objects:

- every remote resource (``http:``, ``https:``, ``ftp:``, protocol-relative ``//host``) in ``src``,
  ``background``, ``srcset`` or a CSS ``url()`` is removed, and reported so the reader can show
  its "images bloquées" banner;
- ``cid:`` images (parts of the same message) are kept, rewritten by the caller's resolver;
  ``data:`` images are kept for raster types only (an SVG can carry script);
- links are made inert: the target moves to a ``title`` (visible on hover), no ``href`` is left.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3

CidResolver = Callable[[str], str | None]

# A readable subset for mail: structure, text styling, lists, tables, images.
MAIL_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite",
        "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# Removed together with everything inside them (a script's text is not for reading either).
_DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script", "style", "template", "iframe", "frame", "frameset", "object", "embed",
        "applet", "noscript", "noembed", "noframes", "svg", "math", "title", "textarea",
        "select", "option", "button", "head", "xmp", "plaintext", "audio", "video", "canvas",
    }
)  # fmt: skip
_COMMON_ATTRIBUTES: frozenset[str] = frozenset(
    {"align", "valign", "dir", "lang", "title", "style", "width", "height", "bgcolor", "color"}
)
_MAIL_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(_COMMON_ATTRIBUTES),
    "a": {"href"},
    "img": {"src", "alt", "border", "srcset"},
    "td": {"colspan", "rowspan", "background", "nowrap"},
    "th": {"colspan", "rowspan", "background", "nowrap", "scope"},
    "table": {"border", "cellpadding", "cellspacing", "summary", "background"},
    "tr": {"background"},
    "div": {"background"},
    "font": {"face", "size"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "col": {"span"},
    "colgroup": {"span"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
}
# CSS properties that only change how text and boxes look (no url() can be meaningful here).
SAFE_STYLE_PROPERTIES: frozenset[str] = frozenset(
    {
        "color", "background-color", "font", "font-family", "font-size", "font-style",
        "font-weight", "font-variant", "line-height", "letter-spacing", "word-spacing",
        "text-align", "text-decoration", "text-indent", "text-transform", "vertical-align",
        "white-space", "direction", "margin", "margin-top", "margin-right", "margin-bottom",
        "margin-left", "padding", "padding-top", "padding-right", "padding-bottom",
        "padding-left", "border", "border-top", "border-right", "border-bottom", "border-left",
        "border-color", "border-style", "border-width", "border-collapse", "border-spacing",
        "border-radius", "width", "height", "max-width", "min-width", "list-style-type",
        "display", "table-layout",
    }
)  # fmt: skip
# nh3 checks URL schemes before our filter sees the value: let through the ones we want to
# *report* (remote) or *keep* (cid, data), and decide in the filter.
_URL_SCHEMES = {"http", "https", "ftp", "ftps", "mailto", "tel", "cid", "data"}

_REMOTE = re.compile(r"^(?:https?:|ftps?:|//|\\\\)", re.IGNORECASE)
_RASTER_DATA_URL = re.compile(
    r"^data:image/(?:png|jpeg|jpg|gif|webp|bmp)(?:;[a-z0-9=.+-]+)*;base64,[A-Za-z0-9+/=\s]*$",
    re.IGNORECASE,
)
# Bounded, backtracking-free patterns: hostile input must not make these quadratic.
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]{1,2048})", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", re.IGNORECASE)
_CSS_DANGER = re.compile(r"url\(|expression|@import|behavior|-moz-binding|javascript:|\\",
                         re.IGNORECASE)  # fmt: skip
_STYLE_OPEN = re.compile(r"<style\b[^>]*>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
# On nh3's own serialisation: attribute values are double-quoted with " escaped as &quot;.
_HREF = re.compile(r'(<a\s[^>]*?)\bhref="([^"]*)"')
_MAX_LINK = 2048


@dataclass(frozen=True)
class SanitizedHtml:
    """Safe HTML to display, and what was taken out of it for the reader's banner."""

    html: str
    blocked_resources: tuple[str, ...]  # remote URLs not fetched ("images bloquées")
    inert_links: tuple[str, ...]  # link targets, shown as titles, never followed
    cid_images: tuple[str, ...]  # content ids of the inline images kept

    @property
    def has_blocked_content(self) -> bool:
        return bool(self.blocked_resources)


def _normalized_url(value: str) -> str:
    # Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
    return _CONTROL.sub("", value)


class _Collector:
    def __init__(self, cid_resolver: CidResolver | None) -> None:
        self.cid_resolver = cid_resolver
        self.blocked: list[str] = []
        self.links: list[str] = []
        self.cids: list[str] = []

    def block(self, url: str) -> None:
        url = url.strip()
        if url and url not in self.blocked:
            self.blocked.append(url)

    def css_remote_urls(self, css: str) -> None:
        for url in _CSS_URL.findall(css):
            if _REMOTE.match(_normalized_url(url)):
                self.block(url)
        for url in _CSS_IMPORT.findall(css):
            if _REMOTE.match(_normalized_url(url)):
                self.block(url)

    def image_source(self, value: str) -> str | None:
        url = _normalized_url(value)
        lowered = url.lower()
        if lowered.startswith("cid:"):
            content_id = url[4:].strip("<>")
            if not content_id:
                return None
            resolved = self.cid_resolver(content_id) if self.cid_resolver else url
            if resolved is None or not (
                resolved.lower().startswith("cid:") or _RASTER_DATA_URL.match(resolved)
            ):
                return None
            self.cids.append(content_id)
            return resolved
        if _RASTER_DATA_URL.match(url):
            return url
        if _REMOTE.match(url):
            self.block(value)
        return None

    def link(self, value: str) -> str | None:
        url = _normalized_url(value)[:_MAX_LINK]
        if not url:
            return None
        self.links.append(url)
        # Percent-encode what could end the attribute or the tag in the rewrite below.
        return url.replace("%", "%25").replace('"', "%22").replace("<", "%3C").replace(">", "%3E")

    def __call__(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute == "src" and tag == "img":
            return self.image_source(value)
        if attribute in ("background", "srcset"):
            for candidate in value.split(","):
                url = candidate.strip().split(" ")[0]
                if _REMOTE.match(_normalized_url(url)):
                    self.block(url)
            return None
        if attribute == "style":
            if _CSS_DANGER.search(value):
                self.css_remote_urls(value)
                return None
            return value
        if tag == "a" and attribute == "href":
            return self.link(value)
        if tag == "a" and attribute == "title":
            return None  # the link's target takes this place
        if attribute == "cite":
            return None  # a URL the viewer might resolve; of no use to a reader
        return value


def _style_blocks(html: str) -> list[str]:
    """The text of each ``<style>`` element (to report its remote URLs), in one linear scan."""
    lowered = html.lower()
    blocks: list[str] = []
    position = 0
    while True:
        opening = _STYLE_OPEN.search(html, position)
        if opening is None:
            return blocks
        end = lowered.find("</style", opening.end())
        if end < 0:
            blocks.append(html[opening.end() :])
            return blocks
        blocks.append(html[opening.end() : end])
        position = end


def _inert_links(html: str) -> str:
    return _HREF.sub(r'\1title="\2"', html)


def sanitize_email_html(html: str, *, cid_resolver: CidResolver | None = None) -> SanitizedHtml:
    """Clean ``html`` (a mail body) for display without network access.

    ``cid_resolver(content_id)`` returns what an inline image's ``src`` becomes (a ``data:image``
    URL, or a ``cid:`` URL the viewer resolves itself), or None to drop the image; without a
    resolver, ``cid:`` URLs are kept as they are.
    """
    collector = _Collector(cid_resolver)
    for css in _style_blocks(html):
        collector.css_remote_urls(css)
    cleaned = nh3.clean(
        html,
        tags=set(MAIL_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in _MAIL_ATTRIBUTES.items()},
        attribute_filter=collector,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(_URL_SCHEMES),
        filter_style_properties=set(SAFE_STYLE_PROPERTIES),
    )
    return SanitizedHtml(
        html=_inert_links(cleaned),
        blocked_resources=tuple(collector.blocked),
        inert_links=tuple(collector.links),
        cid_images=tuple(dict.fromkeys(collector.cids)),
    )


# --- the CDA renderer's output --------------------------------------------------------------------

# What app.protocols.cda.renderer emits; anything else is dropped.
RENDERED_TAGS: frozenset[str] = frozenset(
    {
        "article", "b", "br", "caption", "col", "colgroup", "dd", "div", "dl", "dt", "em",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "i", "img", "li", "ol", "p",
        "pre", "section", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "u", "ul", "figure", "figcaption", "s",
    }
)  # fmt: skip
_RENDERED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "title", "lang"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "img": {"src", "alt"},
    "ol": {"start"},
}


def _rendered_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src":
        return value if tag == "img" and _RASTER_DATA_URL.match(value) else None
    return value


def sanitize_rendered_fragment(html: str) -> str:
    """The last pass over HTML the project rendered itself (CDA): the same rules as for mail —
    no script, no handler, no URL but raster ``data:`` images — on a narrower tag set."""
    return str(
        nh3.clean(
            html,
            tags=set(RENDERED_TAGS),
            clean_content_tags=set(_DROP_WITH_CONTENT),
            attributes={k: set(v) for k, v in _RENDERED_ATTRIBUTES.items()},
            attribute_filter=_rendered_filter,
            strip_comments=True,
            link_rel=None,
            url_schemes={"data"},
        )
    )
