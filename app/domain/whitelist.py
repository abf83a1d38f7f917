"""The MSSanté whitelist ("liste blanche") and the recipient check (spec §1).

A domain is allowed only when it is listed exactly: the list names operator domains, not zones, so
``x.cabinet.mssante.fr`` is not covered by ``cabinet.mssante.fr``. Names are compared on their
IDNA A-label, so case, a trailing dot and the Unicode/``xn--`` spellings do not matter.
Patient addresses (``@patient.mssante.fr``) are not in the list: they are allowed when their local
part is a valid INS matricule (spec §5, ECO.2.2.6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from app.domain.address import (
    MSSANTE_SUFFIX,
    InvalidAddressError,
    MssAddress,
    normalize_domain,
    parse_address,
)
from app.domain.ins import PATIENT_DOMAIN, InsError, parse_ins


@dataclass(frozen=True, slots=True)
class WhitelistEntry:
    """One ``Domaine`` element of the published list."""

    domain: str  # A-label
    domain_unicode: str
    description: str = ""
    operator_certificate_dn: str = ""  # DNCertificatOperateur
    responsible_contact: str = ""  # ResponsableContact
    support_contact: str = ""  # SupportContact
    updated_at: datetime | None = None  # DateMAJ


@dataclass(frozen=True, slots=True)
class WhitelistDecision:
    """Whether a recipient may be written to, and why (French, shown to the user and audited)."""

    address: str  # the normalised address when it parsed, else the text as given
    allowed: bool
    reason: str
    parsed: MssAddress | None = None


@dataclass(frozen=True, slots=True)
class Whitelist:
    """A parsed list. ``entries`` keeps every element (the ANS list repeats some names, one per
    operator certificate); ``domains`` is the set of distinct A-labels."""

    generated_at: datetime
    entries: tuple[WhitelistEntry, ...]
    # French notes about how the published file was read (e.g. a repaired end tag), for the audit.
    warnings: tuple[str, ...] = ()
    domains: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", frozenset(e.domain for e in self.entries))

    @classmethod
    def from_domains(cls, generated_at: datetime, names: Iterable[str]) -> Whitelist:
        """A list built from bare names (tests, administrator additions)."""
        entries = []
        for name in names:
            a_label, u_label = normalize_domain(name, check_lookalikes=False)
            entries.append(WhitelistEntry(a_label, u_label))
        return cls(generated_at, tuple(entries))

    def __len__(self) -> int:
        return len(self.domains)

    def __contains__(self, domain: object) -> bool:
        if not isinstance(domain, str):
            return False
        try:
            a_label, _ = normalize_domain(domain, check_lookalikes=False)
        except InvalidAddressError:
            return False
        return a_label in self.domains

    def entries_for(self, domain: str) -> tuple[WhitelistEntry, ...]:
        """Every entry for ``domain`` (any spelling); empty when it is not listed."""
        try:
            a_label, _ = normalize_domain(domain, check_lookalikes=False)
        except InvalidAddressError:
            return ()
        return tuple(e for e in self.entries if e.domain == a_label)

    def check(self, address: MssAddress | str) -> WhitelistDecision:
        """Decide whether ``address`` may receive MSSanté mail."""
        if isinstance(address, MssAddress):
            parsed = address
        else:
            try:
                parsed = parse_address(address)
            except InvalidAddressError as exc:
                return WhitelistDecision(str(address), False, exc.message)
        shown = parsed.display
        if parsed.domain == PATIENT_DOMAIN:
            try:
                parse_ins(parsed.local_part)
            except InsError as exc:
                return WhitelistDecision(
                    parsed.ascii,
                    False,
                    "Adresse patient refusée : la partie avant @ doit être un matricule INS "
                    f"valide. {exc.message}",
                    parsed,
                )
            return WhitelistDecision(
                parsed.ascii,
                True,
                "Adresse de messagerie citoyenne d'un patient (matricule INS valide).",
                parsed,
            )
        if parsed.domain in self.domains:
            return WhitelistDecision(
                parsed.ascii,
                True,
                f"Le domaine {parsed.domain_unicode} figure dans la liste blanche MSSanté "
                f"du {self.generated_at:%d/%m/%Y}.",
                parsed,
            )
        parent = self._listed_parent(parsed.domain)
        if parent is not None:
            reason = (
                f"Le domaine {parsed.domain_unicode} n'est pas dans la liste blanche MSSanté : "
                f"seul {parent} y figure, et ses sous-domaines ne sont pas autorisés."
            )
        elif not parsed.domain.endswith(MSSANTE_SUFFIX):
            reason = (
                f"{shown} n'est pas une adresse MSSanté : seuls les domaines en .mssante.fr "
                "de la liste blanche peuvent recevoir des données de santé."
            )
        else:
            reason = (
                f"Le domaine {parsed.domain_unicode} n'est pas dans la liste blanche MSSanté "
                f"du {self.generated_at:%d/%m/%Y}."
            )
        return WhitelistDecision(parsed.ascii, False, reason, parsed)

    def _listed_parent(self, a_label: str) -> str | None:
        labels = a_label.split(".")
        for start in range(1, len(labels) - 1):
            candidate = ".".join(labels[start:])
            if candidate in self.domains:
                return next(e.domain_unicode for e in self.entries if e.domain == candidate)
        return None
