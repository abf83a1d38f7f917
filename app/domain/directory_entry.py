"""One mailbox found in a directory (national extraction, FHIR API or an organisation's LDAP).

The three sources describe the same thing with different words (MSSANTE.md §7); readers in
``app.protocols`` translate each of them into this one value so that the store, the search service
and the CLI never see a source's own vocabulary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class DirectoryBoxType(enum.Enum):
    """Mailbox type as the directory publishes it (``typeBAL``, JDV J139).

    Broader than ``app.domain.account.MailboxKind``: the directory also knows ``CAB`` (the
    organisational box of a practice without a FINESS number), which is not an account kind.
    """

    PER = "PER"
    ORG = "ORG"
    APP = "APP"
    CAB = "CAB"

    @classmethod
    def parse(cls, text: str | None) -> DirectoryBoxType | None:
        """The type for ``text`` (case and spaces ignored), or None when it is not one of them."""
        if not text:
            return None
        value = text.strip().upper()
        return cls.__members__.get(value)


class DirectorySource(enum.Enum):
    EXTRACTION = "EXTRACTION"
    FHIR = "FHIR"
    LDAP = "LDAP"


# Civilités d'exercice as the extraction codes them -> as users write them.
_CIVILITY_DISPLAY = {"DR": "Dr", "PR": "Pr", "M": "M.", "MME": "Mme", "MLLE": "Mlle"}


def display_civility(code: str) -> str:
    """``DR`` -> ``Dr``; unknown values are returned trimmed, never dropped."""
    text = code.strip()
    return _CIVILITY_DISPLAY.get(text.upper().rstrip("."), text)


def department_from_postcode(postcode: str) -> str:
    """The French département of a postcode: ``69003`` -> ``69``, ``20100`` -> ``2A``,
    ``97411`` -> ``974``; empty when the postcode is not five digits."""
    code = postcode.strip()
    if len(code) != 5 or not code.isdigit():
        return ""
    if code.startswith("20"):
        # Corsica: 200xx-201xx are Corse-du-Sud, 202xx-206xx Haute-Corse.
        return "2A" if int(code) < 20200 else "2B"
    if code.startswith(("97", "98")):
        return code[:3]
    return code[:2]


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A published MSSanté mailbox and who or what stands behind it.

    Only ``address``, ``box_type`` and ``source`` are always set; every other field is empty text
    when the source does not say. ``red_listed`` entries are never shown to users (MSSANTE.md §7):
    readers drop them, the flag exists so that a source that must keep them (for de-duplication)
    can say so explicitly.
    """

    address: str
    box_type: DirectoryBoxType
    source: DirectorySource
    civility: str = ""
    family_name: str = ""
    given_name: str = ""
    profession_code: str = ""
    profession: str = ""
    specialty_code: str = ""
    specialty: str = ""
    structure: str = ""
    service: str = ""
    description: str = ""
    street_lines: tuple[str, ...] = field(default=())
    postcode: str = ""
    city: str = ""
    department: str = ""
    rpps: str = ""
    adeli: str = ""
    national_id: str = ""  # "Identification nationale PP": type digit + identifier (8 + RPPS)
    id_type: str = ""  # "Type Identifiant PP": 8 RPPS, 0 ADELI
    structure_id: str = ""
    red_listed: bool = False

    @property
    def name(self) -> str:
        """What a list shows: the person for PER boxes, structure and service otherwise."""
        if self.box_type is DirectoryBoxType.PER and (self.given_name or self.family_name):
            person = " ".join(p for p in (self.given_name, self.family_name.upper()) if p)
            civility = display_civility(self.civility) if self.civility else ""
            return f"{civility} {person}".strip()
        if self.structure and self.service and self.service != self.structure:
            return f"{self.structure} — {self.service}"
        for candidate in (self.structure, self.service, self.description):
            if candidate:
                return candidate
        return self.address

    def to_json(self) -> dict[str, Any]:
        """The object ``directory search --json`` prints (CLI.md), plus a few useful extras."""
        return {
            "address": self.address,
            "type": self.box_type.value,
            "name": self.name,
            "profession": self.profession,
            "specialty": self.specialty,
            "structure": self.structure,
            "service": self.service,
            "city": self.city,
            "postcode": self.postcode,
            "department": self.department,
            "rpps": self.rpps,
            "adeli": self.adeli,
            "source": self.source.value,
        }
