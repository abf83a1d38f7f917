"""Sort keys for the message list: French order for names and subjects.

``fold("Éric LEFÈVRE") == "eric lefevre"``: trimmed, case-folded, accents and other combining marks
removed, ligatures spelt out. SQLite has no accent folding (``NOCASE`` is ASCII only: "Éric" sorted
after "Z"), so :func:`register` makes ``estafette_fold(text)`` available on every connection the
store opens (``app.store.database``), and migration 0012 indexes the folded sender and subject
with the folder and the date, so that a list page sorted by sender or subject is an index walk
(``app.store.message_queries``).

Index expressions rather than key columns filled by triggers: a trigger on ``message`` is
compiled into every INSERT statement, and the store's inserts are prepared again row after row —
the initial sync was 2–5 times slower; an expression index adds one function call per insert. (A
generated column folding in SQL, ~70 nested ``replace()`` calls, was worse still.)

**Never change what ``fold`` returns for a given text**: the indexes hold its results, and SQLite
would find them out of order (``PRAGMA integrity_check`` reports it, lookups go wrong). A new
folding needs a new function name and a migration that rebuilds the two indexes. A connection
without the function cannot write messages (``no such function``); reading works.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

SQL_FUNCTION = "estafette_fold"

# Letters that do not decompose into a base letter and a combining mark.
_SPELT_OUT = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ħ": "h",
                            "ı": "i", "þ": "th", "ð": "d"})


@lru_cache(maxsize=8192)  # senders and subjects repeat a lot within a mailbox
def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold().translate(_SPELT_OUT))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _sql_fold(value: Any) -> str:
    return fold(value) if isinstance(value, str) else ""


def register(conn: Any) -> None:
    """Make ``estafette_fold(text)`` available on ``conn`` (before any write to ``message``)."""
    conn.create_function(SQL_FUNCTION, 1, _sql_fold, deterministic=True)
