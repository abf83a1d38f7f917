"""The profile's settings as typed values with their rules and defaults.

- Inactivity lock: 15 minutes by default, never longer than 2 hours (MSSANTE §8: "automatic lock
  after inactivity, 2 h at most"); a value out of range is clamped rather than refused, so that an
  old or hand-edited profile still opens with a safe delay.
- Language: ``fr`` (default) or ``en``; applied at the next start.
- Paths must be absolute (they are used from several working directories); URLs of remote sources
  must use TLS (``https://``, ``ldaps://`` or ``ldap://`` with STARTTLS, which the LDAP adapter
  enforces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from app.errors import InvalidInputError

DEFAULT_LOCK_MINUTES = 15
MIN_LOCK_MINUTES = 1
MAX_LOCK_MINUTES = 120
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


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

    def with_changes(self, **changes: object) -> AppSettings:
        """A validated copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]


__all__ = [
    "DEFAULT_LOCK_MINUTES",
    "MAX_LOCK_MINUTES",
    "MIN_LOCK_MINUTES",
    "AppSettings",
    "clamp_lock_minutes",
]
