"""The published MSSanté whitelist: parsing and checksum verification."""

from app.protocols.whitelist.parser import (
    MAX_WHITELIST_BYTES,
    NAMESPACE,
    WhitelistChecksumError,
    WhitelistFormatError,
    parse_whitelist,
    verify_checksum,
)

__all__ = [
    "MAX_WHITELIST_BYTES",
    "NAMESPACE",
    "WhitelistChecksumError",
    "WhitelistFormatError",
    "parse_whitelist",
    "verify_checksum",
]
