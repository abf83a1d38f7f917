"""The project's own CDA R2 renderer: a clinical document → one self-contained, safe HTML page.

A sender's XSL is never executed ("auto-présentable" documents are unwrapped by
``app.protocols.cda.header``). The page has a header block (patient, INS, birth date, sex,
authors, custodian, dates, document type) and the body: level 3 sections with their narrative
blocks (paragraphs, lists, tables, styled content, embedded raster images as ``data:`` URLs, inert
links), or a level 1 body (a PDF is reported in ``embedded_pdf`` for the viewer to show first; plain
text is shown escaped).

Safety: every text and attribute value is escaped as it is written, only known narrative elements
become tags, and the resulting fragment still goes through
``app.protocols.html_sanitizer.sanitize_rendered_fragment`` (no script, no URL but raster
``data:`` images). The page carries a Content-Security-Policy that forbids any fetch as well.

Speed: one lxml parse for the body (the header reader does its own), a single pass to index the
multimedia objects, and output gathered in a list joined once — no quadratic string building.
Rendering is CPU work: callers run it on the ``cpu`` executor, never on the UI thread.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from html import escape

from lxml import etree

from app.domain.cda import CdaError, CdaHeader, CdaOrganization, CdaPerson, CodedValue
from app.domain.ins import InsOid
from app.protocols.cda.header import HL7, PDF_MEDIA_TYPE, read_cda_header
from app.protocols.html_sanitizer import sanitize_email_html, sanitize_rendered_fragment
from app.protocols.xml_safety import UnsafeXmlError, parse_xml

_NS = f"{{{HL7}}}"
_CLINICAL_DOCUMENT = f"{_NS}ClinicalDocument"

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_IMAGE_BYTES = 32 * 1024 * 1024
_MAX_SPAN = 1000
_MAX_DEPTH = 200

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/gif"})

_INS_LABELS: dict[str, str] = {
    InsOid.INS_NIR.value: "INS-NIR",
    InsOid.INS_NIA.value: "INS-NIA",
    InsOid.TEST_NIR.value: "INS-NIR de test",
    InsOid.DEMO.value: "INS de démonstration",
}
_GENDERS = {"M": "Masculin", "F": "Féminin", "U": "Indéterminé", "UN": "Indéterminé"}

_CSS = """
body{font-family:sans-serif;font-size:10pt;color:#1a1a1a;margin:1em;line-height:1.35}
.cda-entete{border:1px solid #9aa7b4;background:#f3f6f9;padding:.6em .9em;margin-bottom:1em}
.cda-entete h1{font-size:14pt;margin:0 0 .4em 0}
.cda-entete dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:0}
.cda-entete dt{font-weight:bold}.cda-entete dd{margin:0}
.cda-section{margin:.8em 0 .8em 0}.cda-section .cda-section{margin-left:1em}
h2,h3,h4,h5,h6{color:#1f4e79;margin:.6em 0 .3em 0}
table.cda-table{border-collapse:collapse;margin:.4em 0;max-width:100%}
table.cda-table th,table.cda-table td{border:1px solid #9aa7b4;padding:2px 5px;vertical-align:top}
table.cda-table th{background:#e4ebf2}
.cda-caption{font-weight:bold}.cda-footnote{color:#555}.cda-link{text-decoration:underline dotted}
.cda-notice{border-left:4px solid #c08a00;background:#fff8e1;padding:.4em .8em}
img.cda-image{max-width:100%;height:auto}pre.cda-texte{white-space:pre-wrap}
""".strip()

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@dataclass
class RenderedCda:
    """The page to show, its title, the PDF to show first (if any) and what was left out."""

    html: str
    title: str
    embedded_pdf: bytes | None
    warnings: list[str] = field(default_factory=list)
    header: CdaHeader | None = None


def _esc(text: str) -> str:
    return escape(text, quote=False)


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _local(tag: object) -> str | None:
    """The local name of an HL7 element, None for comments, PIs and foreign elements."""
    if not isinstance(tag, str) or not tag.startswith(_NS):
        return None
    return tag[len(_NS) :]


def format_ts(value: str | None) -> str | None:
    """An HL7 TS (``20240106113623+0100``) as French text (``06/01/2024 11:36``)."""
    if not value:
        return None
    digits = value.split("+")[0].split("-")[0].split(".")[0]
    if not digits.isdigit() or len(digits) < 4:
        return value
    year, month, day = digits[:4], digits[4:6], digits[6:8]
    if not month:
        return year
    if not day:
        return f"{month}/{year}"
    text = f"{day}/{month}/{year}"
    if len(digits) >= 12:
        text += f" {digits[8:10]}:{digits[10:12]}"
    return text


def _person_name(person: CdaPerson) -> str:
    parts = [p for p in (person.prefix, " ".join(person.given_names), person.family_name) if p]
    name = " ".join(parts)
    return name or person.device_name or "—"


def _coded(value: CodedValue | None) -> str | None:
    if value is None:
        return None
    return value.display_name or value.code


def _organization(org: CdaOrganization | None) -> str | None:
    if org is None:
        return None
    return org.name or (org.id.as_xds() if org.id else None)


def _header_html(header: CdaHeader, title: str) -> str:
    patient = header.patient
    rows: list[tuple[str, str]] = []
    name = " ".join(p for p in (patient.family_name, " ".join(patient.given_names)) if p)
    rows.append(("Patient", name or "—"))
    ins = patient.ins
    if ins is not None and ins.extension:
        rows.append(("INS", f"{ins.extension} ({_INS_LABELS.get(ins.root, ins.root)})"))
    birth = patient.birth_date
    if birth is not None:
        rows.append(("Date de naissance", birth.strftime("%d/%m/%Y")))
    if patient.gender:
        rows.append(("Sexe", _GENDERS.get(patient.gender.upper(), patient.gender)))
    rows.append(("Type de document", header.type_label))
    effective = format_ts(header.effective_time)
    if effective:
        rows.append(("Date du document", effective))
    if header.service_start or header.service_stop:
        period = " – ".join(
            t for t in (format_ts(header.service_start), format_ts(header.service_stop)) if t
        )
        rows.append(("Date de l'acte", period))
    for author in header.authors:
        details = [
            d
            for d in (
                _coded(author.specialty),
                author.institution.name if author.institution else None,
                format_ts(author.time),
            )
            if d
        ]
        label = _person_name(author) + (f" ({', '.join(details)})" if details else "")
        rows.append(("Auteur", label))
    if header.legal_authenticator is not None:
        legal = header.legal_authenticator
        when = format_ts(legal.time)
        rows.append(("Validé par", _person_name(legal) + (f" le {when}" if when else "")))
    custodian = _organization(header.custodian)
    if custodian:
        rows.append(("Conservé par", custodian))
    if header.confidentiality is not None:
        rows.append(("Confidentialité", _coded(header.confidentiality) or "—"))
    out = ['<header class="cda-entete"><h1>', _esc(title), "</h1><dl>"]
    for label, value in rows:
        out += ["<dt>", _esc(label), "</dt><dd>", _esc(value), "</dd>"]
    out.append("</dl></header>")
    return "".join(out)


def _styled(style_code: str | None) -> tuple[str, str]:
    """Opening and closing tags for a narrative ``styleCode`` (``Bold Italics``; the ANS
    examples also write ``BoldItalics`` and ``bold``)."""
    if not style_code:
        return "", ""
    lowered = style_code.lower()
    tags = []
    if "bold" in lowered or "emphasis" in lowered:
        tags.append("b")
    if "italic" in lowered:
        tags.append("i")
    if "underline" in lowered:
        tags.append("u")
    return "".join(f"<{t}>" for t in tags), "".join(f"</{t}>" for t in reversed(tags))


def _span(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        number = int(value.strip())
        if 1 < number <= _MAX_SPAN:
            return number
    return None


@dataclass
class _Media:
    media_type: str
    payload: str  # base64, whitespace removed, not yet validated


class _Renderer:
    def __init__(self, document: etree._Element) -> None:
        self.document = document
        self.out: list[str] = []
        self.warnings: list[str] = []
        self._warned: set[str] = set()
        self.embedded_pdf: bytes | None = None
        self.media: dict[str, _Media] = {}
        self.image_bytes = 0
        self._index_media()

    # --- bookkeeping -------------------------------------------------------------------------

    def warn(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            self.warnings.append(text)

    def _index_media(self) -> None:
        """One pass: the observationMedia objects by ID, and the first embedded PDF."""
        for element in self.document.iter(f"{_NS}observationMedia", f"{_NS}value", f"{_NS}text"):
            if element.tag == f"{_NS}observationMedia":
                ident = element.get("ID")
                value = element.find(f"{_NS}value")
                if ident and value is not None and value.get("mediaType"):
                    self.media[ident] = _Media(
                        media_type=(value.get("mediaType") or "").strip().lower(),
                        payload="".join((value.text or "").split()),
                    )
                continue
            if element.get("mediaType") == PDF_MEDIA_TYPE and self.embedded_pdf is None:
                if (element.get("representation") or "B64").upper() != "B64":
                    continue
                payload = "".join((element.text or "").split())
                if not payload:
                    continue
                try:
                    self.embedded_pdf = base64.b64decode(payload, validate=True)
                except (binascii.Error, ValueError):
                    self.warn("Le PDF intégré au document est mal encodé ; il n'est pas affiché.")

    def image(self, media_type: str, payload: str, alt: str) -> bool:
        """Append an ``<img>`` for a base64 raster image; False (with a warning) if refused."""
        if media_type not in _RASTER_TYPES:
            self.warn(f"Objet intégré de type {media_type or 'inconnu'} non affiché.")
            return False
        if len(payload) * 3 // 4 > MAX_IMAGE_BYTES:
            self.warn("Image intégrée trop volumineuse ; elle n'est pas affichée.")
            return False
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            self.warn("Image intégrée mal encodée ; elle n'est pas affichée.")
            return False
        actual = next((kind for magic, kind in _IMAGE_MAGIC if data.startswith(magic)), None)
        if actual is None:
            self.warn("Image intégrée illisible (format non reconnu) ; elle n'est pas affichée.")
            return False
        if self.image_bytes + len(data) > MAX_TOTAL_IMAGE_BYTES:
            self.warn("Trop d'images intégrées ; les dernières ne sont pas affichées.")
            return False
        self.image_bytes += len(data)
        # The payload passed strict base64 validation: only [A-Za-z0-9+/=] can reach the page.
        self.out += [
            '<img class="cda-image" alt="',
            _attr(alt),
            '" src="data:',
            actual,
            ";base64,",
            payload,
            '">',
        ]
        return True

    # --- body --------------------------------------------------------------------------------

    def body(self) -> None:
        component = self.document.find(f"{_NS}component")
        if component is None:
            raise CdaError("Document CDA sans corps (élément component absent).")
        structured = component.find(f"{_NS}structuredBody")
        if structured is not None:
            self.out.append('<div class="cda-corps">')
            for section in structured.iterfind(f"{_NS}component/{_NS}section"):
                self.section(section, 2)
            self.out.append("</div>")
            return
        non_xml = component.find(f"{_NS}nonXMLBody")
        if non_xml is None:
            raise CdaError("Document CDA sans corps (ni structuredBody ni nonXMLBody).")
        self.non_xml_body(non_xml)

    def non_xml_body(self, body: etree._Element) -> None:
        text = body.find(f"{_NS}text")
        if text is None:
            self.notice("Le corps du document est vide.")
            return
        media_type = (text.get("mediaType") or "text/plain").strip().lower()
        representation = (text.get("representation") or "TXT").upper()
        raw = text.text or ""
        if media_type == PDF_MEDIA_TYPE:
            if self.embedded_pdf is not None:
                size = len(self.embedded_pdf) // 1024 or 1
                self.notice(f"Document PDF intégré ({size} Ko), affiché dans la visionneuse PDF.")
            else:
                self.notice("Le document PDF intégré n'a pas pu être lu.")
            return
        if representation == "B64":
            payload = "".join(raw.split())
            if media_type in _RASTER_TYPES:
                self.out.append('<div class="cda-corps">')
                self.image(media_type, payload, "Document")
                self.out.append("</div>")
                return
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                self.warn("Le corps du document est mal encodé (base64).")
                self.notice("Le corps du document n'a pas pu être lu.")
                return
            try:
                content = data.decode("utf-8")
            except UnicodeDecodeError:
                content = data.decode("latin-1")
        else:
            content = "".join(text.itertext())
        if media_type == "text/plain":
            self.out += ['<pre class="cda-texte">', _esc(content), "</pre>"]
        elif media_type == "text/html":
            self.out += ['<div class="cda-corps">', sanitize_email_html(content).html, "</div>"]
        else:
            self.warn(f"Corps de type {media_type} non affiché.")
            self.notice(f"Le corps de ce document ({media_type}) ne peut pas être affiché ici.")

    def notice(self, text: str) -> None:
        self.out += ['<p class="cda-notice">', _esc(text), "</p>"]

    def section(self, section: etree._Element, level: int) -> None:
        out = self.out
        out.append('<section class="cda-section">')
        title = section.find(f"{_NS}title")
        title_text = " ".join("".join(title.itertext()).split()) if title is not None else ""
        if not title_text:
            code = section.find(f"{_NS}code")
            title_text = (code.get("displayName") or "") if code is not None else ""
        if title_text:
            heading = f"h{min(level, 6)}"
            out += ["<", heading, ">", _esc(title_text), "</", heading, ">"]
        text = section.find(f"{_NS}text")
        if text is not None:
            out.append('<div class="cda-texte">')
            self.children(text, 0)
            out.append("</div>")
        for child in section.iterfind(f"{_NS}component/{_NS}section"):
            self.section(child, level + 1)
        out.append("</section>")

    # --- narrative block -----------------------------------------------------------------------

    def children(self, element: etree._Element, depth: int) -> None:
        out = self.out
        if element.text:
            out.append(_esc(element.text))
        for child in element:
            self.node(child, depth + 1)
            if child.tail:
                out.append(_esc(child.tail))

    def wrapped(self, element: etree._Element, tag: str, depth: int, attrs: str = "") -> None:
        self.out += ["<", tag, attrs, ">"]
        self.children(element, depth)
        self.out += ["</", tag, ">"]

    def node(self, element: etree._Element, depth: int) -> None:
        name = _local(element.tag)
        out = self.out
        if name is None:
            if isinstance(element.tag, str):  # a foreign element: keep its text only
                self.children(element, depth)
            return
        if depth > _MAX_DEPTH:
            out.append(_esc(" ".join("".join(element.itertext()).split())))
            return
        if element.get("revised") == "delete":
            return
        if name == "content":
            opening, closing = _styled(element.get("styleCode"))
            out.append(opening)
            self.children(element, depth)
            out.append(closing)
        elif name == "paragraph":
            opening, closing = _styled(element.get("styleCode"))
            out += ["<p>", opening]
            self.children(element, depth)
            out += [closing, "</p>"]
        elif name == "br":
            out.append("<br>")
        elif name in ("sub", "sup"):
            self.wrapped(element, name, depth)
        elif name == "list":
            self.list(element, depth)
        elif name == "item":
            self.wrapped(element, "li", depth)
        elif name == "table":
            self.table(element, depth)
        elif name in ("thead", "tbody", "tfoot", "tr"):
            self.table_part(element, name, depth)
        elif name in ("td", "th"):
            self.cell(element, name, depth)
        elif name == "caption":
            self.wrapped(element, "span", depth, ' class="cda-caption"')
        elif name == "footnote":
            out.append('<small class="cda-footnote">[')
            self.children(element, depth)
            out.append("]</small>")
        elif name == "footnoteRef":
            out.append("<sup>*</sup>")
        elif name == "linkHtml":
            href = " ".join((element.get("href") or "").split())[:2048]
            title = f' title="{_attr(href)}"' if href else ""
            self.wrapped(element, "span", depth, f' class="cda-link"{title}')
        elif name == "renderMultiMedia":
            self.multimedia(element, depth)
        elif name in ("col", "colgroup"):
            return
        else:
            self.warn(f"Élément narratif inconnu « {name} » affiché comme texte.")
            self.children(element, depth)

    def list(self, element: etree._Element, depth: int) -> None:
        caption = element.find(f"{_NS}caption")
        if caption is not None:
            self.wrapped(caption, "p", depth, ' class="cda-caption"')
        tag = "ol" if (element.get("listType") or "").lower() == "ordered" else "ul"
        self.out += ["<", tag, ">"]
        for item in element.iterfind(f"{_NS}item"):
            self.wrapped(item, "li", depth + 1)
        self.out += ["</", tag, ">"]

    def table(self, element: etree._Element, depth: int) -> None:
        out = self.out
        out.append('<table class="cda-table">')
        for child in element:
            name = _local(child.tag)
            if name == "caption":
                self.wrapped(child, "caption", depth + 1)
            elif name in ("thead", "tbody", "tfoot", "tr"):
                self.table_part(child, name, depth + 1)
            elif name in ("col", "colgroup") or name is None:
                continue
            else:
                self.warn(f"Élément « {name} » inattendu dans un tableau, ignoré.")
        out.append("</table>")

    def table_part(self, element: etree._Element, name: str, depth: int) -> None:
        # Text between rows or cells is indentation (HTML would move it out of the table).
        out = self.out
        out += ["<", name, ">"]
        for child in element:
            child_name = _local(child.tag)
            if name == "tr" and child_name in ("td", "th"):
                self.cell(child, child_name, depth + 1)
            elif name != "tr" and child_name == "tr":
                self.table_part(child, "tr", depth + 1)
        out += ["</", name, ">"]

    def cell(self, element: etree._Element, name: str, depth: int) -> None:
        attrs = ""
        colspan = _span(element.get("colspan"))
        rowspan = _span(element.get("rowspan"))
        if colspan:
            attrs += f' colspan="{colspan}"'
        if rowspan:
            attrs += f' rowspan="{rowspan}"'
        opening, closing = _styled(element.get("styleCode"))
        self.out += ["<", name, attrs, ">", opening]
        self.children(element, depth)
        self.out += [closing, "</", name, ">"]

    def multimedia(self, element: etree._Element, depth: int) -> None:
        caption = element.find(f"{_NS}caption")
        alt = " ".join("".join(caption.itertext()).split()) if caption is not None else ""
        self.out.append('<figure class="cda-figure">')
        for reference in (element.get("referencedObject") or "").split():
            media = self.media.get(reference)
            if media is None:
                self.warn("Un objet multimédia référencé est absent du document.")
                continue
            if media.media_type == PDF_MEDIA_TYPE:
                self.notice("Document PDF joint : affiché dans la visionneuse PDF.")
                continue
            self.image(media.media_type, media.payload, alt or "Image intégrée")
        if caption is not None:
            self.wrapped(caption, "figcaption", depth + 1)
        self.out.append("</figure>")


def _locate(xml: bytes) -> etree._Element:
    try:
        root = parse_xml(xml)
    except UnsafeXmlError as exc:
        raise CdaError(f"Ce document n'est pas un XML lisible : {exc}") from None
    if root.tag == _CLINICAL_DOCUMENT:
        return root
    for element in root.iter(_CLINICAL_DOCUMENT):
        return element
    raise CdaError(
        "Ce document XML n'est pas un document CDA R2 (élément ClinicalDocument absent)."
    )


def _page(title: str, fragment: str) -> str:
    return "".join(
        (
            '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            "<title>",
            _esc(title),
            "</title><style>",
            _CSS,
            "</style></head><body>",
            fragment,
            "</body></html>",
        )
    )


def render_cda(xml: bytes) -> RenderedCda:
    """Render a CDA R2 (plain or auto-présentable) as a safe, self-contained HTML page.

    Raises CdaError (French message) when the bytes are not a readable CDA R2; anything odd but
    survivable inside the document becomes an entry of ``warnings`` instead.
    """
    header = read_cda_header(xml)
    document = _locate(xml)
    title = header.title or header.type_label
    renderer = _Renderer(document)
    renderer.body()
    warnings = renderer.warnings
    if header.self_presenting:
        warnings.insert(
            0,
            "Document auto-présentable : sa feuille de style n'a pas été exécutée ; "
            "il est affiché par Estafette.",
        )
    fragment = '<article class="cda">' + _header_html(header, title) + "".join(renderer.out)
    fragment += "</article>"
    return RenderedCda(
        html=_page(title, sanitize_rendered_fragment(fragment)),
        title=title,
        embedded_pdf=renderer.embedded_pdf,
        warnings=warnings,
        header=header,
    )
