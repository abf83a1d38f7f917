"""The last good whitelist (verified, parsed once before being kept). Only a list that passed its
checksum and parsed is ever written here, so a failed refresh leaves the previous list in force.
Confirmed exceptions are traced in the audit trail (``AuditService``, migration 0008)."""

from __future__ import annotations

from dataclasses import dataclass

from app.store.database import Database


@dataclass(frozen=True)
class WhitelistSnapshot:
    xml: bytes
    sha256: str
    source: str
    generated_at: str
    fetched_at: float
    domain_count: int


class WhitelistStore:
    def __init__(self, *, database: Database) -> None:
        self._db = database

    def save(self, snapshot: WhitelistSnapshot) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO whitelist_snapshot (id, xml, sha256, source, generated_at, "
                "fetched_at, domain_count) VALUES (1, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET xml = excluded.xml, sha256 = excluded.sha256, "
                "source = excluded.source, generated_at = excluded.generated_at, "
                "fetched_at = excluded.fetched_at, domain_count = excluded.domain_count",
                (
                    snapshot.xml,
                    snapshot.sha256,
                    snapshot.source,
                    snapshot.generated_at,
                    snapshot.fetched_at,
                    snapshot.domain_count,
                ),
            )
        )

    def load(self) -> WhitelistSnapshot | None:
        rows = self._db.query(
            "SELECT xml, sha256, source, generated_at, fetched_at, domain_count "
            "FROM whitelist_snapshot WHERE id = 1"
        )
        if not rows:
            return None
        r = rows[0]
        return WhitelistSnapshot(
            bytes(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), int(r[5])
        )
