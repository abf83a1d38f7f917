"""The sandbox's MSSanté whitelist, in the ANS publication's exact shape, and its ``checksum`` file.

Shape copied from the real publication (``../shared/corpus/whitelist``): UTF-8, the XML declaration
and the root start tag on the first line, four-space indentation, dates as ``YYYY-MM-DDTHH:MM:SSZ``;
``checksum`` is the SHA-256 of the XML bytes as 64 lowercase hex digits, with no file name and no
trailing newline. One difference: the real file (2025-03-13) lacks the closing
``</ListeBlancheMSSante>`` tag and is therefore not well-formed XML; ours is closed unless
``close_root=False`` asks for the same defect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from . import demo_world

NAMESPACE = "https://listeblanche.mssante.fr/schema"
XML_NAME = "listeblanchemssante.xml"
CHECKSUM_NAME = "checksum"


@dataclass(frozen=True)
class Domain:
    name: str
    description: str
    operator_dn: str
    responsible_contact: str
    support_contact: str
    updated: dt.datetime


_DESCRIPTIONS = {
    demo_world.PRACTICE_RIVOLI: "CABINET MEDICAL RIVOLI (BAC A SABLE ESTAFETTE)",
    demo_world.PRACTICE_CROIX_ROUSSE: "MAISON DE SANTE CROIX-ROUSSE (BAC A SABLE ESTAFETTE)",
    demo_world.HOSPITAL: "CHU LUMIERE (BAC A SABLE ESTAFETTE)",
    demo_world.LAB: "LABORATOIRE BIOVAL (BAC A SABLE ESTAFETTE)",
    demo_world.PATIENT_DOMAIN: "Messagerie citoyenne Mon espace santé (bac à sable Estafette)",
}


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sandbox_domains(operator_dn: str, updated: dt.datetime) -> list[Domain]:
    """demo_world's whitelisted domains, all run by the sandbox operator (its server cert)."""
    return [
        Domain(name=name, description=_DESCRIPTIONS.get(name, name.upper()),
               operator_dn=operator_dn,
               responsible_contact="04 00 00 00 00, responsable@estafette-demo.invalid",
               support_contact="04 00 00 00 01, support@estafette-demo.invalid", updated=updated)
        for name in demo_world.WHITELISTED_DOMAINS
    ]


def build_xml(domains: Iterable[Domain], generated: dt.datetime, *,
              close_root: bool = True) -> bytes:
    lines = [f'<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="{NAMESPACE}">',
             f"    <DateDeGeneration>{_stamp(generated)}</DateDeGeneration>",
             "    <ListeDomaines>"]
    for domain in domains:
        fields = (("Nom", domain.name), ("Description", domain.description),
                  ("DNCertificatOperateur", domain.operator_dn),
                  ("ResponsableContact", domain.responsible_contact),
                  ("SupportContact", domain.support_contact), ("DateMAJ", _stamp(domain.updated)))
        lines.append("        <Domaine>")
        lines += [f"            <{tag}>{escape(value)}</{tag}>" for tag, value in fields]
        lines.append("        </Domaine>")
    lines.append("    </ListeDomaines>")
    if close_root:
        lines.append("</ListeBlancheMSSante>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def checksum(xml: bytes) -> str:
    """The ``checksum`` file's content: SHA-256, lowercase hex, nothing else."""
    return hashlib.sha256(xml).hexdigest()


def write(directory: Path, operator_dn: str, *, generated: dt.datetime | None = None,
          close_root: bool = True) -> tuple[Path, Path]:
    """Write ``listeblanchemssante.xml`` and ``checksum`` into ``directory``; return both paths."""
    generated = generated or dt.datetime.now(dt.UTC).replace(microsecond=0)
    xml = build_xml(sandbox_domains(operator_dn, generated), generated, close_root=close_root)
    directory.mkdir(parents=True, exist_ok=True)
    xml_path, sum_path = directory / XML_NAME, directory / CHECKSUM_NAME
    xml_path.write_bytes(xml)
    sum_path.write_text(checksum(xml), encoding="ascii")
    return xml_path, sum_path
