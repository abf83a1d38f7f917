"""The INS (Identifiant National de Santé) matricule and the patient's MSSanté address.

A patient is reached at ``<matricule INS>@patient.mssante.fr`` (spec §5, ECO.2.2.6). The matricule
is a NIR (or a NIA, same layout): 13 characters followed by a 2-digit key equal to
``97 - (number mod 97)``, where the Corsican departments ``2A``/``2B`` count as ``19``/``18``.

The checks are strict on the key (it is what catches a mistyped digit) and permissive on the
fields INSEE itself fills with conventional values (birth month 20-42 or 50-99 when the real month
is unknown), so that no real NIR is refused.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import InvalidInputError

if TYPE_CHECKING:
    from app.domain.address import MssAddress

PATIENT_DOMAIN = "patient.mssante.fr"

INS_LENGTH = 15
_BODY_LENGTH = 13

# Corsica's department codes are letters; for the key INSEE substitutes these numbers.
_CORSICA_SUBSTITUTES = {"2A": "19", "2B": "18"}


def as_sentence(message: str) -> str:
    """Capitalise and end with a full stop: these messages are shown to the user as they are."""
    message = message.strip()
    if message and not message.endswith((".", "!", "?")):
        message += "."
    return message[:1].upper() + message[1:]


class InsError(InvalidInputError, ValueError):
    """A text that is not a valid INS matricule; the message is French and shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(as_sentence(message))


class UnqualifiedInsError(InsError):
    """An address was requested from an INS whose identity has not been qualified (ECO.2.2.6)."""


class InsOid(enum.StrEnum):
    """The OIDs of the INS identifier systems (the ``root`` of the INS in a CDA or a DMP call)."""

    INS_NIR = "1.2.250.1.213.1.4.8"
    INS_NIA = "1.2.250.1.213.1.4.9"
    TEST_NIR = "1.2.250.1.213.1.4.10"
    DEMO = "1.2.250.1.213.1.4.11"

    @property
    def is_test(self) -> bool:
        """True for the test and demonstration systems, which never identify a real patient."""
        return self in (InsOid.TEST_NIR, InsOid.DEMO)


def compute_key(body: str) -> int:
    """Return the 2-digit key of a 13-character NIR body (``2A``/``2B`` allowed at 6-7)."""
    if len(body) != _BODY_LENGTH:
        raise InsError(
            f"le NIR doit compter {_BODY_LENGTH} caractères avant la clé (reçu : {len(body)})"
        )
    department = body[5:7].upper()
    numeric = body[:5] + _CORSICA_SUBSTITUTES.get(department, department) + body[7:]
    if not (numeric.isascii() and numeric.isdigit()):
        raise InsError("le NIR ne doit contenir que des chiffres (et 2A ou 2B pour la Corse)")
    return 97 - int(numeric) % 97


@dataclass(frozen=True, slots=True)
class InsMatricule:
    """A checked 15-character INS matricule (upper case, without spaces)."""

    value: str

    def __post_init__(self) -> None:
        # Keep the invariant even for direct construction: only parse_ins builds valid values.
        _validate(self.value)

    @property
    def body(self) -> str:
        """The 13 characters before the key."""
        return self.value[:_BODY_LENGTH]

    @property
    def key(self) -> int:
        return int(self.value[_BODY_LENGTH:])

    @property
    def is_corsica(self) -> bool:
        return self.value[5:7] in _CORSICA_SUBSTITUTES

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        # An INS identifies a patient: keep it out of logs and tracebacks by default.
        return f"InsMatricule('{self.value[:1]}{'*' * (INS_LENGTH - 3)}{self.value[-2:]}')"


def _validate(value: str) -> None:
    if len(value) != INS_LENGTH:
        raise InsError(
            f"un matricule INS compte {INS_LENGTH} caractères (13 + 2 de clé), "
            f"celui-ci en compte {len(value)}"
        )
    department = value[5:7]
    others = value[:5] + value[7:]
    if not (others.isascii() and others.isdigit()) or not (
        department in _CORSICA_SUBSTITUTES or (department.isascii() and department.isdigit())
    ):
        raise InsError(
            "un matricule INS ne contient que des chiffres, sauf 2A ou 2B (Corse) "
            "aux positions 6 et 7"
        )
    month = int(value[3:5])
    # INSEE uses 20-42 and 50-99 as conventional months when the birth month is unknown.
    if not (1 <= month <= 12 or 20 <= month <= 42 or month >= 50):
        raise InsError(f"mois de naissance impossible dans le matricule INS : {value[3:5]}")
    expected = compute_key(value[:_BODY_LENGTH])
    if int(value[_BODY_LENGTH:]) != expected:
        raise InsError(
            "la clé du matricule INS ne correspond pas au numéro "
            "(vérifiez qu'aucun chiffre n'a été mal saisi)"
        )


def parse_ins(text: str) -> InsMatricule:
    """Parse a matricule typed or read by the user (surrounding and inner spaces are ignored)."""
    if not isinstance(text, str):
        raise InsError("le matricule INS doit être un texte")
    # People copy matricules from cards as "1 84 12 2A 123 456 78"; spaces carry no meaning.
    compact = "".join(text.split()).upper()
    if not compact:
        raise InsError("le matricule INS est vide")
    return InsMatricule(compact)


def is_valid_ins(text: str) -> bool:
    try:
        parse_ins(text)
    except InsError:
        return False
    return True


def patient_address(ins: InsMatricule | str, qualified: bool) -> MssAddress:
    """Build ``<matricule>@patient.mssante.fr``, only from a qualified INS (ECO.2.2.6)."""
    if not qualified:
        raise UnqualifiedInsError(
            "l'INS de ce patient n'est pas qualifié : son adresse de messagerie citoyenne "
            "ne peut pas être utilisée (qualifiez d'abord l'identité)"
        )
    matricule = ins if isinstance(ins, InsMatricule) else parse_ins(ins)
    # Imported here: address.py depends on this module for is_patient_address.
    from app.domain.address import MssAddress

    return MssAddress(matricule.value, PATIENT_DOMAIN, PATIENT_DOMAIN)
