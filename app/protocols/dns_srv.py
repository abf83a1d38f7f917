"""Account set-up by DNS SRV records (RFC 6186, ECO.1.1.9): where a domain's IMAP and submission
servers are.

Looks up ``_submission._tcp``, ``_imap._tcp`` and ``_imaps._tcp`` under the address's domain with
dnspython. The resolver is configurable (name server and port) so that tests can point it at a
local DNS server, and every query has a deadline: a DNS that does not answer must not hold the
account wizard. Results are ordered as RFC 2782 asks clients to try them (priority ascending,
then weight descending), and a target of ``.`` ("service decidedly not available", RFC 2782) is
dropped. The wizard falls back to manual host/port entry whatever happens here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from dns.rdtypes.IN.SRV import SRV

from app.domain.account import Endpoint, TlsMode, check_address
from app.errors import InvalidInputError, ServerUnreachableError

DEFAULT_TIMEOUT = 5.0  # seconds for one whole lookup (all three names)


class SrvService(enum.Enum):
    """The RFC 6186 service labels a mail client looks up."""

    SUBMISSION = "_submission._tcp"  # SMTP submission, STARTTLS (RFC 6409)
    IMAP = "_imap._tcp"  # IMAP, STARTTLS
    IMAPS = "_imaps._tcp"  # IMAP over implicit TLS

    @property
    def tls(self) -> TlsMode:
        return TlsMode.IMPLICIT if self is SrvService.IMAPS else TlsMode.STARTTLS


@dataclass(frozen=True)
class SrvRecord:
    service: SrvService
    priority: int
    weight: int
    port: int
    target: str  # host name without the trailing dot

    def endpoint(self) -> Endpoint:
        return Endpoint(host=self.target, port=self.port, tls=self.service.tls)


@dataclass(frozen=True)
class SrvConfiguration:
    """What the DNS says about a domain; each list is in the order a client should try."""

    domain: str
    imap: tuple[SrvRecord, ...] = ()
    imaps: tuple[SrvRecord, ...] = ()
    submission: tuple[SrvRecord, ...] = ()
    missing: tuple[SrvService, ...] = field(default=())

    @property
    def found(self) -> bool:
        return bool(self.imap or self.imaps or self.submission)

    def best_imap(self) -> Endpoint | None:
        """The preferred IMAP endpoint: implicit TLS and STARTTLS records compete on priority
        (RFC 6186 §3.4); at equal priority the implicit-TLS one wins (no plaintext phase)."""
        candidates = sorted(
            (*self.imaps, *self.imap),
            key=lambda r: (r.priority, r.service is not SrvService.IMAPS, -r.weight),
        )
        return candidates[0].endpoint() if candidates else None

    def best_submission(self) -> Endpoint | None:
        return self.submission[0].endpoint() if self.submission else None


@dataclass(frozen=True)
class ResolverConfig:
    """Which DNS server to ask: the system's (``nameservers`` empty) or the ones given."""

    nameservers: tuple[str, ...] = ()
    port: int = 53
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise InvalidInputError(
                f"Le port DNS {self.port} est hors de la plage 1 à 65535.",
                message_en=f"DNS port {self.port} is outside the range 1 to 65535.",
            )
        if self.timeout <= 0:
            raise InvalidInputError(
                "Le délai d'attente DNS doit être positif.",
                message_en="The DNS timeout must be positive.",
            )


class DnsLookupError(ServerUnreachableError):
    default_message = (
        "Le serveur DNS n'a pas répondu ; la configuration automatique est impossible."
    )
    default_message_en = "The DNS server did not answer; automatic configuration is impossible."
    default_hint = "Saisissez les serveurs IMAP et SMTP à la main."
    default_hint_en = "Enter the IMAP and SMTP servers by hand."


def domain_of(address_or_domain: str) -> str:
    """The domain part of an address (or the domain itself), as an IDNA-checked DNS name."""
    text = address_or_domain.strip()
    if "@" in text:
        text = check_address(text).rpartition("@")[2]
    text = text.rstrip(".").lower()
    try:
        name = dns.name.from_text(text)
    except (dns.exception.DNSException, UnicodeError, ValueError):
        name = None
    if not text or name is None or len(name.labels) < 3:  # at least "example.fr" + root
        raise InvalidInputError(
            f"« {address_or_domain.strip()} » n'est pas un nom de domaine valide.",
            message_en=f"“{address_or_domain.strip()}” is not a valid domain name.",
        )
    return text


def _resolver(config: ResolverConfig) -> dns.resolver.Resolver:
    if config.nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(config.nameservers)
        resolver.port = config.port
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = config.timeout
    resolver.lifetime = config.timeout
    return resolver


def _records(service: SrvService, answer: dns.resolver.Answer) -> tuple[SrvRecord, ...]:
    records: list[SrvRecord] = []
    for rdata in answer:
        if not isinstance(rdata, SRV):
            continue
        target = rdata.target.to_text(omit_final_dot=True)
        if not target or target == "." or rdata.port == 0:
            continue  # RFC 2782: "." means the service is decidedly not offered here
        records.append(SrvRecord(service=service, priority=int(rdata.priority),
                                 weight=int(rdata.weight), port=int(rdata.port),
                                 target=target.lower()))
    return tuple(sorted(records, key=lambda r: (r.priority, -r.weight, r.target)))


def lookup(address_or_domain: str, config: ResolverConfig | None = None) -> SrvConfiguration:
    """Query the three RFC 6186 names (blocking: the wizard runs it off the UI thread).

    A name without records is listed in ``missing``; a DNS that does not answer (timeout, refused,
    no server) raises ``DnsLookupError``.
    """
    domain = domain_of(address_or_domain)
    resolver = _resolver(config or ResolverConfig())
    found: dict[SrvService, tuple[SrvRecord, ...]] = {}
    missing: list[SrvService] = []
    for service in SrvService:
        qname = f"{service.value}.{domain}."
        try:
            answer = resolver.resolve(qname, dns.rdatatype.SRV, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            missing.append(service)
            continue
        except dns.resolver.NoNameservers as exc:
            raise DnsLookupError(
                f"Le serveur DNS a refusé la requête pour {domain}.",
                message_en=f"The DNS server refused the query for {domain}.",
            ) from exc
        except (dns.exception.Timeout, dns.resolver.LifetimeTimeout) as exc:
            raise DnsLookupError() from exc
        except dns.exception.DNSException as exc:
            raise DnsLookupError(
                f"La recherche DNS pour {domain} a échoué ({type(exc).__name__}).",
                message_en=f"The DNS lookup for {domain} failed ({type(exc).__name__}).",
            ) from exc
        records = _records(service, answer)
        if records:
            found[service] = records
        else:
            missing.append(service)
    return SrvConfiguration(
        domain=domain,
        imap=found.get(SrvService.IMAP, ()),
        imaps=found.get(SrvService.IMAPS, ()),
        submission=found.get(SrvService.SUBMISSION, ()),
        missing=tuple(missing),
    )


__all__ = [
    "DnsLookupError",
    "ResolverConfig",
    "SrvConfiguration",
    "SrvRecord",
    "SrvService",
    "domain_of",
    "lookup",
]
