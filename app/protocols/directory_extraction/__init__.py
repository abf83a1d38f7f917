"""The ANS daily bulk extraction of MSSanté mailboxes (``Extraction_Correspondance_MSSante``)."""

from app.protocols.directory_extraction.reader import (
    COLUMNS,
    REASON_LABELS,
    REQUIRED_COLUMNS,
    BadRow,
    ExtractionFormatError,
    ExtractionReader,
    ExtractionRecord,
    ExtractionReport,
    entry_from_record,
    record_key,
)

__all__ = [
    "COLUMNS",
    "REASON_LABELS",
    "REQUIRED_COLUMNS",
    "BadRow",
    "ExtractionFormatError",
    "ExtractionReader",
    "ExtractionRecord",
    "ExtractionReport",
    "entry_from_record",
    "record_key",
]
