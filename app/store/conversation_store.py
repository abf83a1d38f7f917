"""Patient conversations in the encrypted store (``ConversationRepository``, issue 4 item 6).

One row per conversation (mailbox, patient, state, why it is blocked) and one row per message of
it (by Message-ID), plus the patients known to oppose MSSanté exchanges (by INS matricule). All of
it is health data and lives only inside the SQLCipher database (migration 0008).
"""

from __future__ import annotations

from app.domain.address import parse_address
from app.domain.conversation import BlockReason, Conversation, ConversationState
from app.domain.ins import InsMatricule
from app.store.database import Connection, Database, Row
from app.store.transaction import transaction

_COLUMNS = "id, mailbox, patient_ins, patient_address, state, block_reason, patient_initiated"


def _conversation(conn: Connection, row: Row) -> Conversation:
    ids = tuple(
        str(r[0])
        for r in conn.execute(
            "SELECT message_id FROM patient_conversation_message WHERE conversation_id = ? "
            "ORDER BY position",
            (row["id"],),
        ).fetchall()
    )
    reason = row["block_reason"]
    return Conversation(
        conversation_id=str(row["id"]),
        patient_ins=InsMatricule(str(row["patient_ins"])),
        patient_address=parse_address(str(row["patient_address"])),
        mailbox=str(row["mailbox"]),
        state=ConversationState(str(row["state"])),
        message_ids=ids,
        block_reason=BlockReason(str(reason)) if reason else None,
        patient_initiated=bool(row["patient_initiated"]),
    )


class ConversationStore:
    """A ``ConversationRepository`` (app.services.conversation_service) backed by the store."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def _one(self, sql: str, params: tuple[object, ...]) -> Conversation | None:
        def run(conn: Connection) -> Conversation | None:
            row = conn.execute(sql, params).fetchone()
            return _conversation(conn, row) if row is not None else None

        return self._db.call(run)

    def get(self, conversation_id: str) -> Conversation | None:
        return self._one(
            f"SELECT {_COLUMNS} FROM patient_conversation WHERE id = ?", (conversation_id,)
        )

    def find_by_message_ids(self, mailbox: str, ids: tuple[str, ...]) -> Conversation | None:
        wanted = [i for i in ids if i]
        if not wanted:
            return None
        marks = ", ".join("?" * len(wanted))
        return self._one(
            f"SELECT {_COLUMNS} FROM patient_conversation c WHERE c.mailbox = ? COLLATE NOCASE "
            "AND EXISTS (SELECT 1 FROM patient_conversation_message m WHERE "
            f"m.conversation_id = c.id AND m.message_id IN ({marks})) ORDER BY c.id DESC LIMIT 1",
            (mailbox, *wanted),
        )

    def find_open(self, mailbox: str, patient_address: str) -> Conversation | None:
        return self._one(
            f"SELECT {_COLUMNS} FROM patient_conversation WHERE mailbox = ? COLLATE NOCASE "
            "AND patient_address = ? COLLATE NOCASE AND state = 'open' ORDER BY id DESC LIMIT 1",
            (mailbox, patient_address.strip()),
        )

    def find_latest(self, mailbox: str, patient_address: str) -> Conversation | None:
        return self._one(
            f"SELECT {_COLUMNS} FROM patient_conversation WHERE mailbox = ? COLLATE NOCASE "
            "AND patient_address = ? COLLATE NOCASE ORDER BY id DESC LIMIT 1",
            (mailbox, patient_address.strip()),
        )

    def save(self, conversation: Conversation) -> None:
        def run(conn: Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO patient_conversation (id, mailbox, patient_ins, "
                    "patient_address, state, block_reason, patient_initiated) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                    "state = excluded.state, block_reason = excluded.block_reason",
                    (
                        conversation.conversation_id,
                        conversation.mailbox,
                        conversation.patient_ins.value,
                        conversation.patient_address.ascii,
                        conversation.state.value,
                        conversation.block_reason.value if conversation.block_reason else None,
                        int(conversation.patient_initiated),
                    ),
                )
                for position, message_id in enumerate(conversation.message_ids):
                    conn.execute(
                        "INSERT OR IGNORE INTO patient_conversation_message (conversation_id, "
                        "message_id, position) VALUES (?, ?, ?)",
                        (conversation.conversation_id, message_id, position),
                    )

        self._db.call(run)

    def all(self, mailbox: str | None = None) -> list[Conversation]:
        def run(conn: Connection) -> list[Conversation]:
            if mailbox is None:
                rows = conn.execute(f"SELECT {_COLUMNS} FROM patient_conversation ORDER BY id")
            else:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM patient_conversation WHERE mailbox = ? "
                    "COLLATE NOCASE ORDER BY id",
                    (mailbox,),
                )
            return [_conversation(conn, r) for r in rows.fetchall()]

        return self._db.call(run)

    # --- oppositions ------------------------------------------------------------------------

    def is_opposed(self, ins: InsMatricule) -> bool:
        rows = self._db.query("SELECT 1 FROM patient_opposition WHERE ins = ?", (ins.value,))
        return bool(rows)

    def set_opposed(self, ins: InsMatricule, opposed: bool, *, now: float) -> None:
        if opposed:
            self._db.write(
                lambda conn: conn.execute(
                    "INSERT OR IGNORE INTO patient_opposition (ins, recorded_at) VALUES (?, ?)",
                    (ins.value, now),
                )
            )
        else:
            self._db.write(
                lambda conn: conn.execute(
                    "DELETE FROM patient_opposition WHERE ins = ?", (ins.value,)
                )
            )
