"""Search an organisation's own LDAP directory (hospital, group, AD) for MSSanté mailboxes.

Hospitals and groups publish their internal MSSanté addresses in their own LDAP (MSSANTE.md §7).
This adapter is configured, not hard-coded: URI, StartTLS or LDAPS, anonymous or simple bind, base
DN, a filter template and the mapping of LDAP attributes onto DirectoryEntry fields.

* The user's text is escaped with ``ldap.filter.escape_filter_chars`` before it enters the filter
  template: ``*)(uid=*`` searches for those characters, it cannot widen the filter.
* Results are fetched with the Simple Paged Results control (RFC 2696), so directories that cap
  result sizes (Active Directory: 1000) still answer, and a search stops asking for pages once
  ``limit`` entries are in hand.
* TLS is mandatory unless the configuration says ``allow_insecure`` (a lab setting): LDAPS or
  StartTLS, certificate verified (DEMAND) against ``ca_file`` or the system store.
* Every python-ldap exception is translated into the project's errors (app.errors).

python-ldap is blocking: services run :meth:`LdapDirectory.search` in an executor
(app.executors), never on the event loop. Each search opens its own connection and closes it, so
a directory that restarts between two searches is simply reached again.
"""

from __future__ import annotations

import contextlib
import socket
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import ldap
from ldap.controls import SimplePagedResultsControl
from ldap.filter import escape_filter_chars

from app.domain.directory_entry import (
    DirectoryBoxType,
    DirectoryEntry,
    DirectorySource,
    department_from_postcode,
)
from app.errors import (
    AuthenticationError,
    InvalidInputError,
    ServerUnreachableError,
    UserFacingError,
)

# Works with inetOrgPerson directories (OpenLDAP) and, for most attributes, Active Directory.
DEFAULT_FILTER = "(&(mail=*)(|(cn={q}*)(sn={q}*)(givenName={q}*)(mail={q}*)))"
DEFAULT_ATTRIBUTE_MAP: Mapping[str, str] = {
    "mail": "address",
    "employeeType": "box_type",
    "title": "civility",
    "sn": "family_name",
    "givenName": "given_name",
    "o": "structure",
    "ou": "service",
    "description": "description",
    "street": "street_lines",
    "postalCode": "postcode",
    "l": "city",
    "employeeNumber": "rpps",
}
# DirectoryEntry fields an attribute may feed (everything a directory can say about a box).
_MAPPABLE = frozenset({
    "address", "box_type", "civility", "family_name", "given_name", "profession_code",
    "profession", "specialty_code", "specialty", "structure", "service", "description",
    "street_lines", "postcode", "city", "department", "rpps", "adeli", "national_id",
    "structure_id",
})
MAX_QUERY_LENGTH = 256


class LdapDirectoryError(UserFacingError):
    """The LDAP server answered with an error that is neither unreachable nor authentication."""

    default_message = "L'annuaire LDAP a renvoyé une erreur."
    default_message_en = "The LDAP directory returned an error."


@dataclass(frozen=True)
class LdapDirectoryConfig:
    """How to reach and read one LDAP directory. ``bind_dn`` None means an anonymous search."""

    uri: str
    base_dn: str
    starttls: bool = True  # ignored for ldaps:// URIs (TLS from the first byte)
    ca_file: str | None = None  # None: the system's trust store
    bind_dn: str | None = None
    bind_password: str | None = field(default=None, repr=False)
    filter_template: str = DEFAULT_FILTER  # "{q}" is replaced by the escaped user text
    attribute_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTE_MAP))
    page_size: int = 100
    timeout: float = 10.0  # seconds: connection, then each operation
    allow_insecure: bool = False  # plain ldap:// without StartTLS: for labs only

    def __post_init__(self) -> None:
        scheme = self.uri.split("://", 1)[0].lower() if "://" in self.uri else ""
        if scheme not in ("ldap", "ldaps"):
            raise InvalidInputError(
                f"L'adresse de l'annuaire « {self.uri} » doit commencer par ldap:// ou ldaps://.",
                message_en=f"The directory URI “{self.uri}” must start with ldap:// or ldaps://.")
        if scheme == "ldap" and not self.starttls and not self.allow_insecure:
            raise InvalidInputError(
                "Connexion à l'annuaire sans chiffrement refusée : utilisez ldaps:// ou StartTLS.",
                message_en="Unencrypted directory connection refused: use ldaps:// or StartTLS.")
        if "{q}" not in self.filter_template:
            raise InvalidInputError(
                "Le modèle de filtre LDAP doit contenir {q} (le texte recherché).",
                message_en="The LDAP filter template must contain {q} (the searched text).")
        if not self.filter_template.startswith("(") or not self.filter_template.endswith(")"):
            raise InvalidInputError(
                "Le modèle de filtre LDAP doit être entre parenthèses, par exemple (mail={q}*).",
                message_en="The LDAP filter template must be parenthesised, e.g. (mail={q}*).")
        unknown = sorted(set(self.attribute_map.values()) - _MAPPABLE)
        if unknown:
            raise InvalidInputError(
                "Correspondance d'attributs LDAP invalide : champ(s) inconnu(s) "
                + ", ".join(unknown) + ".",
                message_en="Invalid LDAP attribute mapping: unknown field(s) "
                           + ", ".join(unknown) + ".")
        if "address" not in self.attribute_map.values():
            raise InvalidInputError(
                "La correspondance d'attributs LDAP doit indiquer l'attribut de l'adresse "
                "(par exemple mail).",
                message_en="The LDAP attribute mapping must name the address attribute "
                           "(e.g. mail).")
        if not 1 <= self.page_size <= 10_000:
            raise InvalidInputError("La taille de page LDAP doit être comprise entre 1 et 10000.",
                                    message_en="The LDAP page size must be between 1 and 10000.")
        if self.timeout <= 0:
            raise InvalidInputError("Le délai d'attente LDAP doit être positif.",
                                    message_en="The LDAP timeout must be positive.")

    @property
    def implicit_tls(self) -> bool:
        return self.uri.lower().startswith("ldaps://")


def build_filter(template: str, query: str) -> str:
    """The search filter for ``query``: RFC 4515-escaped, then put in the template."""
    return template.replace("{q}", escape_filter_chars(query, escape_mode=0))


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace").strip()


def entry_from_attributes(attributes: Mapping[str, list[bytes]],
                          attribute_map: Mapping[str, str]) -> DirectoryEntry | None:
    """A DirectoryEntry from one LDAP entry's attributes, or None when it has no usable address."""
    lowered = {name.lower(): values for name, values in attributes.items()}
    fields: dict[str, Any] = {}
    for attribute, target in attribute_map.items():
        values = [_text(v) for v in lowered.get(attribute.lower(), []) if v]
        values = [v for v in values if v]
        if not values or target in fields:
            continue
        fields[target] = tuple(values) if target == "street_lines" else values[0]
    address = str(fields.pop("address", ""))
    if "@" not in address or any(c.isspace() for c in address):
        return None
    box_type = DirectoryBoxType.parse(str(fields.pop("box_type", "")))
    if box_type is None:
        box_type = (DirectoryBoxType.PER if fields.get("family_name") and fields.get("given_name")
                    else DirectoryBoxType.ORG)
    if "department" not in fields and "postcode" in fields:
        fields["department"] = department_from_postcode(str(fields["postcode"]))
    return DirectoryEntry(address=address, box_type=box_type, source=DirectorySource.LDAP,
                          **fields)


class LdapDirectory:
    """One configured LDAP directory; :meth:`search` is the whole public surface."""

    def __init__(self, config: LdapDirectoryConfig) -> None:
        self.config = config

    # -- errors ----------------------------------------------------------------------------------

    def _tcp_reachable(self) -> bool:
        """Whether the server's port accepts TCP: tells "no server" from "TLS refused"."""
        parts = urllib.parse.urlsplit(self.config.uri)
        default = 636 if self.config.implicit_tls else 389
        try:
            port = parts.port or default
        except ValueError:
            return False
        try:
            with socket.create_connection((parts.hostname or "localhost", port),
                                          timeout=min(self.config.timeout, 3.0)):
                return True
        except OSError:
            return False

    def _unreachable(self, exc: BaseException) -> ServerUnreachableError:
        detail = _ldap_detail(exc)
        uses_tls = self.config.implicit_tls or self.config.starttls
        tls_words = "certificate" in detail.lower() or "tls" in detail.lower()
        if uses_tls and (tls_words or self._tcp_reachable()):
            # libldap often reports a refused certificate as "Can't contact LDAP server"; the
            # port answering TCP means the server is there and TLS is what failed.
            return ServerUnreachableError(
                f"Connexion sécurisée à l'annuaire {self.config.uri} impossible : le certificat "
                f"du serveur n'est pas reconnu ou la négociation TLS a échoué ({detail}).",
                message_en=f"Secure connection to the directory {self.config.uri} failed: the "
                           f"server certificate is not trusted or TLS negotiation failed "
                           f"({detail}).",
                hint="Vérifiez le certificat de l'autorité (CA) configuré pour cet annuaire.",
                hint_en="Check the CA certificate configured for this directory.")
        return ServerUnreachableError(
            f"L'annuaire LDAP {self.config.uri} est injoignable ({detail}).",
            message_en=f"The LDAP directory {self.config.uri} cannot be reached ({detail}).",
            hint="Vérifiez l'adresse du serveur et votre connexion réseau.",
            hint_en="Check the server address and your network connection.")

    def _translate(self, exc: ldap.LDAPError) -> UserFacingError:
        if isinstance(exc, ldap.SERVER_DOWN | ldap.CONNECT_ERROR | ldap.TIMEOUT |
                      ldap.UNAVAILABLE | ldap.BUSY | ldap.TIMELIMIT_EXCEEDED):
            return self._unreachable(exc)
        if isinstance(exc, ldap.INVALID_CREDENTIALS | ldap.INAPPROPRIATE_AUTH |
                      ldap.STRONG_AUTH_REQUIRED | ldap.INSUFFICIENT_ACCESS |
                      ldap.UNWILLING_TO_PERFORM):
            return AuthenticationError(
                f"L'annuaire LDAP {self.config.uri} a refusé l'identification "
                f"({_ldap_detail(exc)}).",
                message_en=f"The LDAP directory {self.config.uri} refused the credentials "
                           f"({_ldap_detail(exc)}).",
                hint="Vérifiez le DN de connexion et le mot de passe.",
                hint_en="Check the bind DN and password.")
        if isinstance(exc, ldap.NO_SUCH_OBJECT | ldap.INVALID_DN_SYNTAX):
            return InvalidInputError(
                f"La base de recherche « {self.config.base_dn} » n'existe pas dans l'annuaire.",
                message_en=f"The search base “{self.config.base_dn}” does not exist in the "
                           "directory.")
        if isinstance(exc, ldap.FILTER_ERROR):
            return InvalidInputError(
                "Le modèle de filtre LDAP configuré est invalide.",
                message_en="The configured LDAP filter template is invalid.")
        return LdapDirectoryError(
            f"L'annuaire LDAP {self.config.uri} a renvoyé une erreur ({_ldap_detail(exc)}).",
            message_en=f"The LDAP directory {self.config.uri} returned an error "
                       f"({_ldap_detail(exc)}).")

    # -- connection ------------------------------------------------------------------------------

    def _connect(self) -> Any:
        cfg = self.config
        try:
            conn = ldap.initialize(cfg.uri)
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
            conn.set_option(ldap.OPT_REFERRALS, 0)  # never chase a referral to another server
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, cfg.timeout)
            conn.set_option(ldap.OPT_TIMEOUT, cfg.timeout)
            if cfg.implicit_tls or cfg.starttls:
                if cfg.ca_file:
                    conn.set_option(ldap.OPT_X_TLS_CACERTFILE, cfg.ca_file)
                conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
                conn.set_option(ldap.OPT_X_TLS_PROTOCOL_MIN, ldap.OPT_X_TLS_PROTOCOL_TLS1_2)
                # Must come last: builds the TLS context from the options above.
                conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        except ldap.LDAPError as exc:
            raise self._translate(exc) from None
        try:
            if cfg.starttls and not cfg.implicit_tls:
                conn.start_tls_s()
            if cfg.bind_dn:
                conn.simple_bind_s(cfg.bind_dn, cfg.bind_password or "")
        except ldap.LDAPError as exc:
            _unbind(conn)
            raise self._translate(exc) from None
        return conn

    # -- search ----------------------------------------------------------------------------------

    def iter_search(self, query: str, limit: int = 50) -> Iterator[DirectoryEntry]:
        """Entries matching ``query``, page by page (at most ``limit``); errors as app.errors."""
        text = query.strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise InvalidInputError(
                "La recherche contient des caractères de contrôle.",
                message_en="The search text contains control characters.")
        if len(text) > MAX_QUERY_LENGTH:
            raise InvalidInputError(
                f"Recherche trop longue ({len(text)} caractères, {MAX_QUERY_LENGTH} au plus).",
                message_en=f"Search text too long ({len(text)} characters, at most "
                           f"{MAX_QUERY_LENGTH}).")
        if limit <= 0:
            return
        cfg = self.config
        search_filter = build_filter(cfg.filter_template, text)
        attributes = sorted(cfg.attribute_map)
        conn = self._connect()
        try:
            page = SimplePagedResultsControl(True, size=min(cfg.page_size, limit), cookie="")
            produced = 0
            while True:
                try:
                    msgid = conn.search_ext(cfg.base_dn, ldap.SCOPE_SUBTREE, search_filter,
                                            attributes, serverctrls=[page],
                                            timeout=cfg.timeout)
                    _rtype, data, _msgid, controls = conn.result3(msgid, timeout=cfg.timeout)
                except ldap.LDAPError as exc:
                    raise self._translate(exc) from None
                for dn, attrs in data or ():
                    if dn is None or not isinstance(attrs, dict):
                        continue  # search references (referrals) are not followed
                    entry = entry_from_attributes(attrs, cfg.attribute_map)
                    if entry is None:
                        continue
                    yield entry
                    produced += 1
                    if produced >= limit:
                        return
                cookie = next((c.cookie for c in controls or ()
                               if c.controlType == SimplePagedResultsControl.controlType), b"")
                if not cookie:
                    return
                page.cookie = cookie
        finally:
            _unbind(conn)

    def search(self, query: str, limit: int = 50) -> list[DirectoryEntry]:
        """At most ``limit`` entries whose name or address starts with ``query``. Blocking."""
        return list(self.iter_search(query, limit))


def _unbind(conn: Any) -> None:
    # The server may be gone already: then there is nothing to release on its side.
    with contextlib.suppress(ldap.LDAPError):
        conn.unbind_s()


def _ldap_detail(exc: BaseException) -> str:
    """The most useful words python-ldap put in an exception (``desc`` and ``info``)."""
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], dict):
        info = args[0]
        parts = [str(info.get("desc", "")).strip(), str(info.get("info", "")).strip()]
        text = " : ".join(p for p in parts if p)
        if text:
            return text[:200]
    return (str(exc) or type(exc).__name__)[:200]
