"""The last good whitelist (verified, parsed once before being kept) and the audit of confirmed
exceptions. Only a list that passed its checksum and parsed is ever written here, so a failed
refresh leaves the previous list in force."""

from __future__ import annotations

from dataclasses import dataclass

from app.store.database import Connection, Database


@dataclass(frozen=True)
class WhitelistSnapshot:
    xml: bytes
    sha256: str
    source: str
    generated_at: str
    fetched_at: float
    domain_count: int


@dataclass(frozen=True)
class ExceptionAuditRecord:
    at: float
    account: str
    login: str
    recipient: str
    reason: str
    message_id: str | None


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

    def record_exception(self, record: ExceptionAuditRecord) -> None:
        """Audit one confirmed send outside the whitelist (table whitelist_exception_audit)."""

        def insert(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO whitelist_exception_audit (at, account, login, recipient, reason, "
                "message_id) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.at,
                    record.account,
                    record.login,
                    record.recipient,
                    record.reason,
                    record.message_id,
                ),
            )

        self._db.write(insert)

    def exceptions(self) -> list[ExceptionAuditRecord]:
        rows = self._db.query(
            "SELECT at, account, login, recipient, reason, message_id "
            "FROM whitelist_exception_audit ORDER BY id"
        )
        return [ExceptionAuditRecord(float(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]
