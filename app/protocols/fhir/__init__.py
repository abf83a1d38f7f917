"""The national health directory's FHIR R4 API (Annuaire Santé v2): client and bundle mapping."""

from app.protocols.fhir.client import (
    API_KEY_HEADER,
    DEFAULT_BASE_URL,
    MAX_REQUESTS_PER_SECOND,
    FhirDirectory,
    FhirDirectoryConfig,
    FhirSearchResult,
    RateLimiter,
)
from app.protocols.fhir.mapping import (
    EMAIL_TYPE_EXTENSION,
    IDNPS_SYSTEM,
    MAILBOX_METADATA_EXTENSION,
    BundlePage,
    FhirFormatError,
    parse_bundle,
)

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "EMAIL_TYPE_EXTENSION",
    "IDNPS_SYSTEM",
    "MAILBOX_METADATA_EXTENSION",
    "MAX_REQUESTS_PER_SECOND",
    "BundlePage",
    "FhirDirectory",
    "FhirDirectoryConfig",
    "FhirFormatError",
    "FhirSearchResult",
    "RateLimiter",
    "parse_bundle",
]
