"""Pure rules of a Pro Santé Connect login: national identifiers, login hints, binding codes.

A professional is identified at PSC by the national identifier: ``8`` + RPPS (11 digits) or
``0`` + ADELI (9 digits) (MSSANTE §4). The CPS card's authentication certificate carries it in its
common name, as ``810001234567/Jean MARTIN``.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

from app.errors import InvalidInputError

_RPPS_ID = re.compile(r"8\d{11}")
_ADELI_ID = re.compile(r"0\d{9}")


class CibaChannel(enum.Enum):
    """Where PSC asks the professional to approve: the CPS card reader or the e-CPS app."""

    CARD = "CARD"
    MOBILE = "MOBILE"


def is_national_id(value: str) -> bool:
    return bool(_RPPS_ID.fullmatch(value) or _ADELI_ID.fullmatch(value))


def national_id_from(value: str) -> str:
    """A national identifier from what the user typed: the national id itself, or an RPPS/ADELI.

    ``"10001234567"`` (RPPS, 11 digits) gives ``"810001234567"``; ``"123456789"`` (ADELI) gives
    ``"0123456789"``. Spaces are ignored.
    """
    text = re.sub(r"\s+", "", value or "")
    if is_national_id(text):
        return text
    if re.fullmatch(r"\d{11}", text):
        return "8" + text
    if re.fullmatch(r"\d{9}", text):
        return "0" + text
    raise InvalidInputError(
        f"« {value} » n'est pas un identifiant national de professionnel de santé "
        "(8 + RPPS sur 11 chiffres, ou 0 + ADELI sur 9 chiffres).",
        message_en=f"'{value}' is not a health professional's national identifier "
        "(8 + 11-digit RPPS, or 0 + 9-digit ADELI).")


@dataclass(frozen=True)
class CardHolder:
    """Who a CPS card belongs to, as read from its authentication certificate."""

    national_id: str
    display_name: str
    given_name: str = ""
    family_name: str = ""


def card_holder_from_cn(common_name: str, *, given_name: str = "",
                        family_name: str = "") -> CardHolder:
    """Parse a CPS certificate CN, ``810001234567/Jean MARTIN``, into the holder."""
    ident, sep, name = common_name.partition("/")
    ident = ident.strip()
    if not sep or not is_national_id(ident):
        raise InvalidInputError(
            "Le certificat de la carte ne contient pas d'identifiant national reconnu.",
            message_en="The card's certificate holds no recognised national identifier.")
    return CardHolder(national_id=ident, display_name=name.strip(), given_name=given_name,
                      family_name=family_name)


def new_binding_code() -> str:
    """Two random digits the user compares on the card reader / phone (CIBA binding_message)."""
    return f"{secrets.randbelow(100):02d}"
