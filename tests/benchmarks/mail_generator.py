"""Fill a sandbox Dovecot maildir with N realistic messages, fast.

The files are written straight into the user's maildir (``cur/``, with the ``,S=size`` Dovecot
reads instead of stat-ing) and owned by the ``mail`` user; Dovecot indexes them on the next
SELECT. That is ~100× faster than APPEND or LMTP for 20,000 messages, and what Dovecot serves
afterwards is exactly what it would serve for delivered mail.

Mix (PERFORMANCE.md's corpus): French text bodies of 1–5 KB; ~25 % carry a 50–300 KB PDF or ZIP
(IHE XDM-like) attachment, base64-encoded. Attachment payloads come from a small pool of random
blobs (compression and dedup play no role in an IMAP transfer), so generation stays I/O-bound.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import pwd
import random
import time
import uuid
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

_WORDS = [
    "compte", "rendu", "hospitalisation", "biologie", "créatinine", "hémoglobine", "échographie",
    "cardiologie", "radiographie", "thorax", "ordonnance", "renouvellement", "traitement",
    "consultation", "urgences", "résultats", "examen", "sanguin", "glycémie", "cholestérol",
    "tension", "artérielle", "infirmier", "pansement", "kinésithérapie", "rééducation", "genou",
    "hanche", "épaule", "fracture", "allergie", "pénicilline", "vaccin", "grippe", "dossier",
    "patient", "courrier", "adressage", "confrère", "avis", "spécialisé", "suivi", "évolution",
    "favorable", "antécédents", "prescription", "posologie", "matin", "soir", "semaine",
    "contrôle", "bilan", "hépatique", "rénal", "fonction", "insuffisance", "cardiaque", "diabète",
    "équilibré", "hémoglobine", "glyquée"
]
_NAMES = ["Martin", "Bernard", "Durand", "Lefèvre", "Petit", "Moreau", "Roux", "Garnier",
          "Dubois", "Laurent", "Simon", "Michel", "Fournier", "Girard", "Bonnet", "Mercier"]
_POOL = 24


def _text(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14)))
        words.append(line.capitalize() + ".")
        length += len(line) + 2
    return "\r\n".join(words)


def _blobs(rng: random.Random) -> list[tuple[str, str, bytes]]:
    blobs = []
    for i in range(_POOL):
        size = rng.randint(50_000, 300_000)
        payload = rng.randbytes(size)
        if i % 3 == 2:
            name, ctype = f"IHE_XDM_{i}.ZIP", "application/zip"
            payload = b"PK\x03\x04" + payload[4:]
        else:
            name, ctype = f"compte-rendu-{i}.pdf", "application/pdf"
            payload = b"%PDF-1.4\n" + payload[9:]
        encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
        blobs.append((name, ctype, encoded))
    return blobs


def messages(count: int, *, to: str, seed: int = 2026) -> Iterator[tuple[int, bytes]]:
    """(internal date, raw bytes) of ``count`` messages, oldest first."""
    rng = random.Random(seed)
    blobs = _blobs(rng)
    start = dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.UTC).timestamp()
    for i in range(count):
        when = int(start + i * 1800 + rng.randrange(900))
        name = rng.choice(_NAMES)
        sender = f"dr.{name.lower()}@chu-bench.mssante.fr"
        subject = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 7))).capitalize()
        body = _text(rng, rng.randint(1000, 5000))
        headers = (
            f"From: Dr {name} <{sender}>\r\nTo: {to}\r\n"
            f"Subject: {subject} n°{i}\r\n"
            f"Date: {format_datetime(dt.datetime.fromtimestamp(when, dt.UTC))}\r\n"
            f"Message-ID: <{uuid.UUID(int=rng.getrandbits(128)).hex}@chu-bench.mssante.fr>\r\n"
            "MIME-Version: 1.0\r\n"
        )
        if rng.random() < 0.25:
            fname, ctype, encoded = rng.choice(blobs)
            boundary = f"=_b{i:08d}"
            raw = (
                headers + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
                f"--{boundary}\r\nContent-Type: {ctype}; name=\"{fname}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{fname}\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode() + encoded + f"\r\n--{boundary}--\r\n".encode()
        else:
            raw = (headers + "Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n").encode()
        yield when, raw


def fill_maildir(maildir: Path, count: int, *, to: str, seed: int = 2026) -> int:
    """Write ``count`` messages into ``maildir``'s ``cur/`` (owned by ``mail``); returns bytes."""
    mail = pwd.getpwnam("mail")
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chown(maildir / sub, mail.pw_uid, mail.pw_gid)
    total = 0
    pid = os.getpid()
    for i, (when, raw) in enumerate(messages(count, to=to, seed=seed)):
        path = maildir / "cur" / f"{when}.M{i}P{pid}.bench,S={len(raw)}:2,"
        path.write_bytes(raw)
        os.utime(path, (when, when))
        os.chown(path, mail.pw_uid, mail.pw_gid)
        total += len(raw)
    return total


def user_maildir(sandbox_base: Path, address: str, folder: str = "INBOX") -> Path:
    """The maildir of ``address``'s ``folder`` in a sandbox (Maildir++ layout: ``.Name``)."""
    local, domain = address.lower().split("@", 1)
    root = sandbox_base / "dovecot" / "mail" / domain / local / "Maildir"
    return root if folder.upper() == "INBOX" else root / f".{folder}"


if __name__ == "__main__":  # quick check: python -m tests.benchmarks.mail_generator N
    import sys

    started = time.perf_counter()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    size = sum(len(raw) for _w, raw in messages(n, to="x@y.fr"))
    print(f"{n} messages, {size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
