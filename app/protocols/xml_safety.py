"""Safe XML parsing for third-party documents (CDA, XDM metadata).

Every XML we parse comes from another system (a sender's CDA, a package's METADATA.XML), so the
parser never resolves entities, never touches the network and refuses any DTD: CDA R2 and ebRIM 3.0
never need one, and a DTD is the vector of XXE and "billion laughs" attacks.
"""

from __future__ import annotations

from lxml import etree

# A CDA with an embedded PDF or images reaches a few MB; 50 MB leaves room without letting a
# hostile document exhaust memory.
DEFAULT_MAX_XML_BYTES = 50 * 1024 * 1024


_DOCTYPE_MARKERS = tuple(
    "<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be")
)


class UnsafeXmlError(ValueError):
    """The bytes are not well-formed XML, or use a construct we refuse (DTD, entities, size)."""


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=False,
        remove_pis=False,
    )


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> etree._Element:
    """Parse ``data`` and return the root element, refusing anything unsafe."""
    if len(data) > max_bytes:
        raise UnsafeXmlError(
            f"document XML trop volumineux ({len(data)} octets, maximum {max_bytes})"
        )
    if not data.strip():
        raise UnsafeXmlError("document XML vide")
    # Refuse a DOCTYPE before libxml2 sees it, so no entity is ever declared, let alone expanded.
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise UnsafeXmlError("XML refusé : déclaration DOCTYPE/DTD interdite")
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"XML mal formé : {exc}") from None
    docinfo = tree.docinfo
    # Refuse any DOCTYPE, even an innocent-looking one: neither CDA nor ebRIM uses one, and an
    # internal subset is where entity bombs and external entities live.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError("XML refusé : déclaration DOCTYPE/DTD interdite")
    for node in tree.iter():
        if isinstance(node, etree._Entity):
            raise UnsafeXmlError("XML refusé : référence d'entité interdite")
    return tree.getroot()
