"""The profile's settings as typed values with their rules and defaults.

- Inactivity lock: 15 minutes by default, never longer than 2 hours (MSSANTE §8: "automatic lock
  after inactivity, 2 h at most"); a value out of range is clamped rather than refused, so that an
  old or hand-edited profile still opens with a safe delay.
- Language: ``fr`` (default) or ``en``; applied at the next start.
- Paths must be absolute (they are used from several working directories); URLs of remote sources
  must use TLS (``https://``, ``ldaps://`` or ``ldap://`` with STARTTLS, which the LDAP adapter
  enforces).
- CPS card: the PKCS#11 module (the CPS middleware, ``libcps3_pkcs11_lin.so``; SoftHSM2 in tests)
  as an absolute path — a bare name would make the loader search the library path, and loading a
  module runs its code. Empty means "no card reader configured". An optional token label (32 bytes
  at most, as PKCS#11 stores it) and slot id narrow the watch to one card or one reader. Whether
  the file really is a PKCS#11 module is found out when it is loaded (``app.protocols.pkcs11``),
  not here: the settings of a profile must open on a workstation where the module is missing.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from app.errors import InvalidInputError

DEFAULT_LOCK_MINUTES = 15
MIN_LOCK_MINUTES = 1
MAX_LOCK_MINUTES = 120
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
TOKEN_LABEL_MAX_BYTES = 32  # CK_TOKEN_INFO.label: 32 bytes, blank-padded
MAX_SLOT_ID = 2**64 - 1  # CK_SLOT_ID is a CK_ULONG


def clamp_lock_minutes(value: int | str | None) -> int:
    """The lock delay in minutes, clamped to [1, 120]; ``None``/empty gives the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_LOCK_MINUTES
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"Le délai de verrouillage « {value} » n'est pas un nombre de minutes.",
            message_en=f"The lock delay “{value}” is not a number of minutes.",
        ) from None
    return max(MIN_LOCK_MINUTES, min(MAX_LOCK_MINUTES, minutes))


def _optional(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def check_absolute_path(text: str | None, what: str, what_en: str) -> str | None:
    value = _optional(text)
    if value is None:
        return None
    if "\x00" in value or not (PurePosixPath(value).is_absolute()
                               or PureWindowsPath(value).is_absolute()):
        raise InvalidInputError(
            f"{what} doit être un chemin absolu (« {value} »).",
            message_en=f"{what_en} must be an absolute path (“{value}”).",
        )
    return str(PurePath(value))


def check_url(text: str | None, schemes: tuple[str, ...], what: str, what_en: str) -> str | None:
    value = _optional(text)
    if value is None:
        return None
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in schemes or not rest or re.search(r"\s", value):
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise InvalidInputError(
            f"{what} « {value} » doit commencer par {allowed}.",
            message_en=f"{what_en} “{value}” must start with {allowed}.",
        )
    return value


def check_base_dn(text: str | None) -> str | None:
    value = _optional(text)
    if value is None:
        return None
    if "=" not in value:
        raise InvalidInputError(
            f"La base LDAP « {value} » n'a pas la forme attendue (par exemple "
            "ou=annuaire,dc=exemple,dc=fr).",
            message_en=f"The LDAP base DN “{value}” is malformed (e.g. ou=dir,dc=example,dc=org).",
        )
    return value


def check_token_label(text: str | None) -> str | None:
    """A PKCS#11 token label: at most 32 bytes of UTF-8, no control character; empty is None."""
    value = _optional(text)
    if value is None:
        return None
    if len(value.encode("utf-8")) > TOKEN_LABEL_MAX_BYTES or any(
            ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInputError(
            f"Le libellé de carte « {value} » n'est pas valide (32 caractères au plus, sans "
            "caractère de contrôle).",
            message_en=f"The card label “{value}” is not valid (32 characters at most, no "
            "control character).",
        )
    return value


def parse_slot(value: int | str | None) -> int | None:
    """A PKCS#11 slot id, decimal or ``0x`` hexadecimal as ``pkcs11-tool -L`` prints it;
    ``None`` or empty is None."""
    if value is None:
        return None
    slot: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        slot = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        with contextlib.suppress(ValueError):
            slot = int(text, 16) if text.startswith("0x") else int(text, 10)
    if slot is None or not 0 <= slot <= MAX_SLOT_ID:
        raise InvalidInputError(
            f"L'emplacement de lecteur « {value} » n'est pas un numéro d'emplacement PKCS#11 "
            "(nombre entier positif, ou hexadécimal commençant par 0x).",
            message_en=f"The reader slot “{value}” is not a PKCS#11 slot id (a non-negative "
            "integer, or hexadecimal starting with 0x).",
        )
    return slot


@dataclass(frozen=True)
class CardReaderSettings:
    """What the CPS card watcher needs: the module, and optionally one token label or slot."""

    module: str
    token_label: str | None = None
    slot: int | None = None


@dataclass(frozen=True)
class AppSettings:
    """Settings of the whole profile (per-account ones, such as the MDN policy, live apart)."""

    lock_minutes: int = DEFAULT_LOCK_MINUTES
    lock_on_card_removal: bool = True
    language: str = DEFAULT_LANGUAGE
    export_folder: str | None = None
    whitelist_url: str | None = None
    whitelist_ca_file: str | None = None
    directory_extraction_file: str | None = None
    ldap_uri: str | None = None
    ldap_base_dn: str | None = None
    fhir_base_url: str | None = None
    pkcs11_module: str | None = None
    pkcs11_token_label: str | None = None
    pkcs11_slot: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lock_minutes", clamp_lock_minutes(self.lock_minutes))
        language = self.language.strip().lower()
        if language not in LANGUAGES:
            raise InvalidInputError(
                f"Langue « {self.language} » inconnue ; valeurs possibles : fr, en.",
                message_en=f"Unknown language “{self.language}”; possible values: fr, en.",
            )
        object.__setattr__(self, "language", language)
        checks = {
            "export_folder": check_absolute_path(
                self.export_folder, "Le dossier d'export", "The export folder"),
            "whitelist_url": check_url(
                self.whitelist_url, ("https",), "L'adresse de la liste blanche",
                "The whitelist URL"),
            "whitelist_ca_file": check_absolute_path(
                self.whitelist_ca_file, "Le certificat d'autorité de la liste blanche",
                "The whitelist CA file"),
            "directory_extraction_file": check_absolute_path(
                self.directory_extraction_file, "Le fichier d'extraction de l'annuaire",
                "The directory extraction file"),
            "ldap_uri": check_url(
                self.ldap_uri, ("ldap", "ldaps"), "L'adresse de l'annuaire LDAP",
                "The LDAP URI"),
            "ldap_base_dn": check_base_dn(self.ldap_base_dn),
            "fhir_base_url": check_url(
                self.fhir_base_url, ("https",), "L'adresse de l'API Annuaire Santé",
                "The directory API URL"),
            "pkcs11_module": check_absolute_path(
                self.pkcs11_module, "Le module PKCS#11 de la carte CPS",
                "The CPS card's PKCS#11 module"),
            "pkcs11_token_label": check_token_label(self.pkcs11_token_label),
            "pkcs11_slot": parse_slot(self.pkcs11_slot),
        }
        for name, value in checks.items():
            object.__setattr__(self, name, value)
        if self.ldap_uri is not None and self.ldap_base_dn is None:
            raise InvalidInputError(
                "Indiquez la base de recherche de l'annuaire LDAP.",
                message_en="Give the LDAP search base.",
            )

    @property
    def lock_seconds(self) -> int:
        return self.lock_minutes * 60

    @property
    def card_reader(self) -> CardReaderSettings | None:
        """The card watcher's settings; None when no PKCS#11 module is configured."""
        if self.pkcs11_module is None:
            return None
        return CardReaderSettings(module=self.pkcs11_module, token_label=self.pkcs11_token_label,
                                  slot=self.pkcs11_slot)

    def with_changes(self, **changes: object) -> AppSettings:
        """A validated copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]


__all__ = [
    "DEFAULT_LOCK_MINUTES",
    "MAX_LOCK_MINUTES",
    "MIN_LOCK_MINUTES",
    "AppSettings",
    "CardReaderSettings",
    "check_token_label",
    "clamp_lock_minutes",
    "parse_slot",
]
