"""An organisation's own LDAP directory (python-ldap): configured search for MSSanté boxes."""

from app.protocols.ldap.client import (
    DEFAULT_ATTRIBUTE_MAP,
    DEFAULT_FILTER,
    LdapDirectory,
    LdapDirectoryConfig,
    LdapDirectoryError,
    build_filter,
    entry_from_attributes,
)

__all__ = [
    "DEFAULT_ATTRIBUTE_MAP",
    "DEFAULT_FILTER",
    "LdapDirectory",
    "LdapDirectoryConfig",
    "LdapDirectoryError",
    "build_filter",
    "entry_from_attributes",
]
