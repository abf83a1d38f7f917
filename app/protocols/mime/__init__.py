"""MIME: text extraction for indexing (``index_text``); the full parser comes in ``parser.py``."""
