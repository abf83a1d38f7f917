"""MSSanté e-mail addresses: parsing, normalisation and the look-alike checks.

An address decides where health data goes, so the parser is deliberately narrower than RFC 5322:
one bare ``local@domain`` (no display name, no quoted local part, no comments), an ASCII dot-atom
local part, and a domain checked with IDNA 2008 (UTS #46 mapping) whose Unicode labels must not
imitate Latin letters (spec §1: the whitelist is matched on exact domains, so a Cyrillic "а" in
"mssаnte.fr" must be refused here rather than merely "not found").

The domain is kept in both forms: the A-label (``xn--...``, lower case, what the whitelist and SMTP
use) and the U-label (what the user reads). The local part keeps its case for display but compares
case-insensitively, as MSSanté mailboxes do.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import idna

from app.domain.ins import PATIENT_DOMAIN, as_sentence, is_valid_ins
from app.errors import InvalidInputError

MSSANTE_SUFFIX = ".mssante.fr"

_MAX_LOCAL_LENGTH = 64
_MAX_DOMAIN_LENGTH = 253
_MAX_LABEL_LENGTH = 63
_MAX_INPUT_LENGTH = 1024

# RFC 5322 atext: the characters a dot-atom local part may use besides letters and digits.
_ATEXT_SPECIALS = frozenset("!#$%&'*+-/=?^_`{|}~")

# Label separators UTS #46 maps to "." (ideographic and halfwidth full stops; the fullwidth one is
# already a "." after NFKC).
_DOT_EQUIVALENTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\uff0e": "."})

# Non-Latin (or non-basic Latin) letters that render like a basic Latin letter or digit in common
# fonts. Not the full Unicode confusables table: the mixed-script rule below already catches a
# look-alike used beside Latin letters; this table catches whole labels written in another script
# that read as Latin ("асе" in Cyrillic reads "ace").
_LATIN_LOOKALIKES = frozenset(
    # Cyrillic
    "аеорсухѕіјһӏԁԛԝԍьгпкѵүɵ"
    # Greek
    "αοριυνκτχγεηωϲϳ"
    # Armenian
    "օոսհցզ"
    # Latin letters that read as another basic Latin letter
    "ıȷɑɡɩʏɪʀʙɢʜʟɴᴀᴄᴅᴇᴊᴋᴍᴏᴘᴛᴜᴠᴡᴢ"
    # Cherokee and others that NFKC keeps
    "ꭰꭱꭲꭳꭴꭵ"
)

# Scripts that legitimately share a label (Japanese and Korean writing mix Han with kana/hangul).
_COMPATIBLE_SCRIPTS = (
    frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
    frozenset({"CJK", "HANGUL"}),
)


class InvalidAddressError(InvalidInputError, ValueError):
    """A text that is not an acceptable MSSanté address; the message is French, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(as_sentence(message))


@dataclass(frozen=True, slots=True, eq=False)
class MssAddress:
    """A parsed address. Equality ignores the local part's case and the domain's form."""

    local_part: str
    domain: str  # IDNA A-label, lower case, no trailing dot
    domain_unicode: str  # U-label, what the user reads

    @property
    def ascii(self) -> str:
        """The form used on the wire (SMTP envelope, headers) and for storage."""
        return f"{self.local_part}@{self.domain}"

    @property
    def display(self) -> str:
        """The form shown to the user."""
        return f"{self.local_part}@{self.domain_unicode}"

    @property
    def comparison_key(self) -> str:
        return f"{self.local_part.casefold()}@{self.domain}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MssAddress):
            return NotImplemented
        return self.comparison_key == other.comparison_key

    def __hash__(self) -> int:
        return hash(self.comparison_key)

    def __str__(self) -> str:
        return self.display


def _describe(char: str) -> str:
    name = unicodedata.name(char, "caractère inconnu")
    return f"« {char} » (U+{ord(char):04X} {name})"


def _reject_controls(text: str) -> None:
    for char in text:
        # Cf covers zero-width joiners and bidi overrides: invisible, so never typed on purpose.
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise InvalidAddressError(
                f"l'adresse contient un caractère invisible ou de contrôle (U+{ord(char):04X})"
            )


def _reject_spaces(text: str) -> None:
    if any(char.isspace() or unicodedata.category(char).startswith("Z") for char in text):
        raise InvalidAddressError("l'adresse ne doit pas contenir d'espace")


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name; None for digits, hyphens and marks."""
    if not char.isalpha():
        return None
    first = unicodedata.name(char, "").split(" ", 1)[0]
    if first in ("", "MODIFIER", "COMBINING"):
        return None
    return first


def _check_label_scripts(label: str) -> None:
    """Refuse a Unicode label that could pass for another (mixed scripts, Latin look-alikes)."""
    if label.isascii():
        return
    scripts = {s for s in (_script(c) for c in label) if s is not None}
    if len(scripts) > 1 and not any(scripts <= group for group in _COMPATIBLE_SCRIPTS):
        names = ", ".join(sorted(scripts))
        raise InvalidAddressError(
            f"le domaine mélange plusieurs écritures dans « {label} » ({names}) : "
            "procédé typique des adresses qui imitent un domaine connu, adresse refusée"
        )
    for char in label:
        if char in _LATIN_LOOKALIKES:
            raise InvalidAddressError(
                f"le domaine contient {_describe(char)}, qui imite une lettre latine : "
                "adresse refusée par précaution (saisissez le domaine en lettres latines)"
            )


def normalize_domain(text: str, *, check_lookalikes: bool = True) -> tuple[str, str]:
    """Return ``(a_label, u_label)`` for a domain name, or raise InvalidAddressError.

    Case, a trailing dot, fullwidth forms and the A-/U-label spelling do not matter: the result
    is the same for every spelling of one name. ``check_lookalikes=False`` keeps the syntax checks
    only (used for names published by the ANS itself).
    """
    domain = unicodedata.normalize("NFKC", text.strip()).translate(_DOT_EQUIVALENTS)
    _reject_controls(domain)
    _reject_spaces(domain)
    if domain.endswith("."):
        domain = domain[:-1]
    if not domain:
        raise InvalidAddressError("le nom de domaine est vide")
    labels = domain.split(".")
    if any(not label for label in labels):
        raise InvalidAddressError(f"le nom de domaine « {text.strip()} » contient un point en trop")
    if len(labels) < 2:
        raise InvalidAddressError(
            f"le nom de domaine « {domain} » est incomplet (exemple : etablissement.mssante.fr)"
        )
    for label in labels:
        if label.startswith("-") or label.endswith("-"):
            raise InvalidAddressError(
                "un élément du nom de domaine ne peut ni commencer ni finir par un tiret : "
                f"« {label} »"
            )
        for char in label:
            if char.isascii() and not (char.isalnum() or char == "-"):
                raise InvalidAddressError(
                    f"caractère interdit dans le nom de domaine : {_describe(char)}"
                )
    if len(domain) > _MAX_DOMAIN_LENGTH or any(len(label) > _MAX_LABEL_LENGTH for label in labels):
        raise InvalidAddressError("le nom de domaine est trop long")
    try:
        a_label = idna.encode(domain, uts46=True, std3_rules=True, transitional=False).decode(
            "ascii"
        )
        u_label = idna.decode(a_label)
    except (idna.IDNAError, UnicodeError):
        raise InvalidAddressError(
            f"le nom de domaine « {domain} » n'est pas valide (caractère non autorisé, "
            "tirets en 3e et 4e position ou forme xn-- incorrecte)"
        ) from None
    if len(a_label) > _MAX_DOMAIN_LENGTH or any(
        len(label) > _MAX_LABEL_LENGTH for label in a_label.split(".")
    ):
        raise InvalidAddressError("le nom de domaine est trop long")
    if a_label.rsplit(".", 1)[-1].isdigit():
        raise InvalidAddressError("une adresse IP ne peut pas servir de domaine MSSanté")
    if check_lookalikes:
        # Checked on the decoded form so that typing the xn-- spelling does not bypass it.
        for label in u_label.split("."):
            _check_label_scripts(label)
    return a_label, u_label


def _check_local_part(local: str) -> None:
    if len(local) > _MAX_LOCAL_LENGTH:
        raise InvalidAddressError(f"la partie avant @ dépasse {_MAX_LOCAL_LENGTH} caractères")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddressError(
            "la partie avant @ ne peut ni commencer ni finir par un point, "
            "ni en contenir deux de suite"
        )
    for char in local:
        if char == "." or (char.isascii() and (char.isalnum() or char in _ATEXT_SPECIALS)):
            continue
        raise InvalidAddressError(f"caractère interdit avant @ : {_describe(char)}")


def parse_address(text: str) -> MssAddress:
    """Parse one bare address typed or pasted by the user, or raise InvalidAddressError."""
    if not isinstance(text, str):
        raise InvalidAddressError("l'adresse doit être un texte")
    if len(text) > _MAX_INPUT_LENGTH:
        raise InvalidAddressError("l'adresse est beaucoup trop longue")
    # NFKC first: a fullwidth "＠" or "ａ" typed with an Asian input method is the ASCII character.
    candidate = unicodedata.normalize("NFKC", text.strip())
    if not candidate:
        raise InvalidAddressError("l'adresse est vide")
    _reject_controls(candidate)
    # Display-name junk first: "Jean Dupont <j@x>" deserves this message, not "no spaces".
    if any(c in candidate for c in "<>"):
        raise InvalidAddressError(
            "saisissez l'adresse seule, sans nom ni chevrons (exemple : prenom.nom@ch-x.mssante.fr)"
        )
    if '"' in candidate:
        raise InvalidAddressError(
            "les guillemets ne sont pas acceptés : saisissez l'adresse seule, "
            "sans nom ni guillemets"
        )
    if any(c in candidate for c in ",;"):
        raise InvalidAddressError("une seule adresse à la fois (virgule ou point-virgule trouvé)")
    _reject_spaces(candidate)
    if any(c in candidate for c in "()[]\\:"):
        raise InvalidAddressError(
            "l'adresse contient des caractères réservés (parenthèses, crochets, deux-points)"
        )
    count = candidate.count("@")
    if count == 0:
        raise InvalidAddressError("il manque le @ dans l'adresse")
    if count > 1:
        raise InvalidAddressError("l'adresse contient plusieurs @")
    local, domain_text = candidate.split("@")
    if not local:
        raise InvalidAddressError("il manque la partie avant @ dans l'adresse")
    if not domain_text:
        raise InvalidAddressError("il manque le nom de domaine après @ dans l'adresse")
    _check_local_part(local)
    a_label, u_label = normalize_domain(domain_text)
    return MssAddress(local, a_label, u_label)


def _coerce(address: MssAddress | str) -> MssAddress | None:
    if isinstance(address, MssAddress):
        return address
    try:
        return parse_address(address)
    except InvalidAddressError:
        return None


def is_mssante(address: MssAddress | str) -> bool:
    """True when the domain is inside the MSSanté space (``*.mssante.fr``, on a label boundary)."""
    parsed = _coerce(address)
    return parsed is not None and parsed.domain.endswith(MSSANTE_SUFFIX)


def is_patient_address(address: MssAddress | str) -> bool:
    """True for ``<valid INS matricule>@patient.mssante.fr`` (spec §5, ECO.2.2.6)."""
    parsed = _coerce(address)
    return (
        parsed is not None and parsed.domain == PATIENT_DOMAIN and is_valid_ins(parsed.local_part)
    )
