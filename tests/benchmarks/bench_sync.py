"""Store and sync figures: search latency over 100k stored messages, resync with nothing changed.

Search: the 100 most recent hits, warm, SQLCipher, FTS5 ``unicode61 remove_diacritics 2`` —
target p95 ≤ 15 ms (a naive "join then ORDER BY date" measures ~30 ms here). The naive query runs
on the same database in the same run, as the peer.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from app.composition import open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.store.message_store import FolderInfo, HeaderRecord, fts_query

from .harness import Result, benchmark

N_MESSAGES = 100_000
_SENTENCE = (
    "compte rendu hospitalisation biologie créatinine hémoglobine échographie cardiologie "
    "radiographie thorax ordonnance renouvellement traitement consultation urgences "
    "résultats examen sanguin glycémie cholestérol tension artérielle infirmier pansement "
    "kinésithérapie rééducation genou hanche épaule fracture allergie pénicilline vaccin "
    "grippe covid dossier patient courrier adressage confrère avis spécialisé"
)
_WORDS = _SENTENCE.split(" ")
_NAMES = ["Martin", "Bernard", "Durand", "Lefèvre", "Petit", "Moreau", "Roux", "Garnier"]
QUERIES = ["resultats", "creatinine", "durand", "echographie cardiologie", "lefevre",
           "compte rendu", "allergie", "hanche fracture", "patient", "zzzabsent"]


def _record(rng: random.Random, uid: int) -> HeaderRecord:
    name = rng.choice(_NAMES)
    subject = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8)))
    return HeaderRecord(
        uid=uid, message_id=f"<{uid}@bench>", date=1_600_000_000 + rng.randrange(200_000_000),
        internaldate=None, from_name=f"Dr {name}", from_addr=f"{name.lower()}@bench.mssante.fr",
        to_display="", to_addrs="moi@bench.mssante.fr", cc_display="", cc_addrs="",
        subject=subject, flags=frozenset(), size=2000, has_attachments=False, is_xdm=False)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


@benchmark("store")
def search_latency() -> list[Result]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        with open_profile(base / "p", key_file=base / "k") as profile:
            account = Account(address="moi@bench.mssante.fr", kind=MailboxKind.PER, login="moi",
                              imap=Endpoint("127.0.0.1", 993, TlsMode.IMPLICIT),
                              smtp=Endpoint("127.0.0.1", 465, TlsMode.IMPLICIT))
            profile.accounts.add(account, password="x")
            store = profile.messages
            account_id = store.account_id(account.address, account.login)
            folder = store.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])[0]
            for start in range(1, N_MESSAGES + 1, 5000):
                store.store_headers(folder.id, [_record(rng, u)
                                                for u in range(start, start + 5000)])
            for q in QUERIES:  # warm
                store.search(q)
            ours: list[float] = []
            naive: list[float] = []
            naive_sql = ("SELECT m.id, m.subject FROM message_fts JOIN message m "
                         "ON m.fts_rowid = message_fts.rowid WHERE message_fts MATCH ? "
                         "ORDER BY m.date DESC LIMIT 100")
            for _ in range(10):
                for q in QUERIES:
                    t0 = time.perf_counter()
                    store.search(q, limit=100)
                    ours.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    profile.database.query(naive_sql, (fts_query(q),))
                    naive.append(time.perf_counter() - t0)
    p50, p95 = _percentiles(ours)
    n50, n95 = _percentiles(naive)
    return [
        Result("search p95, top 100 by date, 100k messages", p95, "s",
               peer="naive FTS join + ORDER BY date", peer_value=n95, target="≤ 15 ms",
               extra={"p50": p50, "naive_p50": n50}),
        Result("search p50, top 100 by date, 100k messages", p50, "s",
               peer="naive FTS join + ORDER BY date", peer_value=n50),
    ]
