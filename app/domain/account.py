"""A mailbox account: who it is (address, kind), how to reach it (IMAP/SMTP) and how to log in."""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from typing import TypeVar

from app.errors import InvalidInputError


class TlsMode(enum.Enum):
    STARTTLS = "starttls"
    IMPLICIT = "implicit"


class MailboxKind(enum.Enum):
    """MSSanté mailbox kinds: personal, organisational, applicative."""

    PER = "PER"
    ORG = "ORG"
    APP = "APP"


class AuthMethod(enum.Enum):
    PASSWORD = "password"
    PSC = "psc"
    CERTIFICATE = "certificate"


# Deliberately simple: app.domain.address holds the full MSSanté rules.
_FORBIDDEN = r"@\s<>(),;:\"\[\]\\"
_ADDRESS = re.compile(rf"^[^{_FORBIDDEN}]+@[^{_FORBIDDEN}.][^{_FORBIDDEN}]*\.[^{_FORBIDDEN}]+$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")

_E = TypeVar("_E", bound=enum.Enum)


def parse_choice(kind: type[_E], value: str | _E, what: str, what_en: str) -> _E:
    """``value`` as a member of ``kind``, by value or name, case-insensitive."""
    if isinstance(value, kind):
        return value
    text = str(value).strip()
    for member in kind:
        if text.lower() in (str(member.value).lower(), member.name.lower()):
            return member
    choices = ", ".join(str(m.value) for m in kind)
    raise InvalidInputError(
        f"{what} « {text} » inconnu ; valeurs possibles : {choices}.",
        message_en=f"Unknown {what_en} “{text}”; possible values: {choices}.",
    )


def check_address(address: str) -> str:
    """The address, trimmed, if it looks like an e-mail address; InvalidInputError otherwise."""
    text = address.strip()
    if not _ADDRESS.match(text) or ".." in text or text.endswith("."):
        raise InvalidInputError(
            f"L'adresse « {text} » n'est pas une adresse de messagerie valide.",
            message_en=f"“{text}” is not a valid e-mail address.",
        )
    return text


def check_host(host: str) -> str:
    """A DNS name or an IP address; rejects spaces, empty labels and the like."""
    text = host.strip()
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    labels = text.rstrip(".").split(".")
    if not text or len(text) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise InvalidInputError(
            f"Le nom de serveur « {text} » n'est pas valide.",
            message_en=f"The server name “{text}” is not valid.",
        )
    return text.lower()


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InvalidInputError(
            f"Le port {port} est hors de la plage 1 à 65535.",
            message_en=f"Port {port} is outside the range 1 to 65535.",
        )
    return port


@dataclass(frozen=True)
class Endpoint:
    """Where a server listens and how TLS starts there."""

    host: str
    port: int
    tls: TlsMode

    def __post_init__(self) -> None:
        check_host(self.host)
        check_port(self.port)

    @classmethod
    def parse(cls, text: str, tls: TlsMode | str) -> Endpoint:
        """Parse ``HOST:PORT`` (``[IPv6]:PORT`` for IPv6 literals)."""
        mode = parse_choice(TlsMode, tls, "Mode TLS", "TLS mode")
        raw = text.strip()
        if raw.startswith("["):
            host, sep, rest = raw[1:].partition("]")
            port_text = rest[1:] if rest.startswith(":") else ""
            ok = bool(sep) and rest.startswith(":")
        else:
            host, sep, port_text = raw.rpartition(":")
            ok = bool(sep) and ":" not in host
        if not ok or not host or not port_text.isdigit():
            raise InvalidInputError(
                f"« {raw} » n'a pas la forme HÔTE:PORT (par exemple imap.exemple.fr:993).",
                message_en=f"“{raw}” is not of the form HOST:PORT (e.g. imap.example.org:993).",
            )
        return cls(host=check_host(host), port=check_port(int(port_text)), tls=mode)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Account:
    """One mailbox the user reads or sends from. Holds no secret (passwords live elsewhere)."""

    address: str
    kind: MailboxKind
    login: str
    imap: Endpoint
    smtp: Endpoint
    auth: AuthMethod = AuthMethod.PASSWORD
    display_name: str | None = None
    ca_file: str | None = None
    certificate: str | None = None
    national_id: str | None = None

    def __post_init__(self) -> None:
        check_address(self.address)
        if self.address != self.address.strip():
            raise InvalidInputError(
                "L'adresse ne doit pas contenir d'espaces.",
                message_en="The address must not contain spaces.",
            )
        if not self.login.strip() or any(c.isspace() or ord(c) < 32 for c in self.login):
            raise InvalidInputError(
                "L'identifiant de connexion est vide ou contient des espaces.",
                message_en="The login is empty or contains spaces.",
            )
        if self.national_id is not None and not re.fullmatch(
            r"[0-9A-Za-z]{1,32}", self.national_id
        ):
            raise InvalidInputError(
                "L'identifiant national doit contenir uniquement des chiffres et des lettres.",
                message_en="The national identifier must contain only digits and letters.",
            )
