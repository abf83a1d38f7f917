"""CDA R2 reading (header, auto-présentable unwrapping, embedded PDF)."""

from app.protocols.cda.header import (
    extract_clinical_document,
    extract_embedded_pdf,
    read_cda_header,
)

__all__ = ["extract_clinical_document", "extract_embedded_pdf", "read_cda_header"]
