"""The message store: folders, headers, bodies, flags, expunges, UIDVALIDITY, offline queue, FTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.errors import InvalidInputError
from app.store.message_store import (
    FLAGGED,
    SEEN,
    AttachmentInfo,
    BodyRecord,
    FolderInfo,
    HeaderRecord,
    MessageStore,
    fts_query,
)

ACCOUNT = Account(
    address="secretariat@clinique.mssante.fr",
    kind=MailboxKind.ORG,
    login="secretariat",
    imap=Endpoint("imap.clinique.fr", 993, TlsMode.IMPLICIT),
    smtp=Endpoint("smtp.clinique.fr", 587, TlsMode.STARTTLS),
)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


@pytest.fixture
def store(profile: Profile) -> MessageStore:
    return profile.messages


def _header(uid: int, **changes: Any) -> HeaderRecord:
    values: dict[str, Any] = {
        "uid": uid,
        "message_id": f"<m{uid}@exemple.fr>",
        "date": 1_700_000_000 + uid * 60,
        "internaldate": 1_700_000_000 + uid * 60,
        "from_name": "Dr Jean MARTIN",
        "from_addr": "jean.martin@rivoli.mssante.fr",
        "to_display": "Secrétariat <secretariat@clinique.mssante.fr>",
        "to_addrs": "secretariat@clinique.mssante.fr",
        "cc_display": "",
        "cc_addrs": "",
        "subject": f"Compte rendu {uid}",
        "flags": frozenset(),
        "size": 1000,
        "has_attachments": False,
        "is_xdm": False,
    }
    values.update(changes)
    return HeaderRecord(**values)


def _folder(store: MessageStore, name: str = "INBOX") -> int:
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    folders = store.replace_folders(
        account_id,
        [FolderInfo("INBOX", "/", None), FolderInfo("Trash", "/", "\\Trash"),
         FolderInfo("Archive", "/", "\\Archive")],
    )
    return next(f.id for f in folders if f.name == name)


def test_headers_then_body_are_stored_and_searchable(store: MessageStore) -> None:
    folder = _folder(store)
    stored = store.store_headers(folder, [_header(1, subject="Résultats de biologie")])
    assert len(stored.new_ids) == 1
    # Accent folding both ways (remove_diacritics 2).
    assert [m.id for m in store.search("resultats")] == list(stored.new_ids)
    assert [m.id for m in store.search("RÉSULTATS")] == list(stored.new_ids)
    assert store.search("créatinine") == []
    store.store_bodies(folder, [BodyRecord(uid=1, raw=b"Subject: x\r\n\r\ncreatinine ok",
                                           text="Créatinine normale",
                                           attachments=(AttachmentInfo("bilan.pdf",
                                                                       "application/pdf", 10),))])
    assert [m.id for m in store.search("creatinine")] == list(stored.new_ids)
    assert [m.id for m in store.search("bilan")] == list(stored.new_ids)
    detail = store.get(stored.new_ids[0])
    assert detail is not None and detail.summary.state == "complete"
    assert detail.attachments[0].name == "bilan.pdf"
    assert store.raw(stored.new_ids[0]) == b"Subject: x\r\n\r\ncreatinine ok"


def test_reinserting_the_same_uid_is_no_duplicate(store: MessageStore) -> None:
    folder = _folder(store)
    store.store_headers(folder, [_header(1), _header(2)])
    again = store.store_headers(folder, [_header(1, flags=frozenset({SEEN})), _header(2)])
    assert again.new_ids == ()
    assert store.count_server_copies(folder) == 2
    assert store.server_uids(folder)[1] == frozenset({SEEN})


def test_search_orders_by_date_and_limits(store: MessageStore) -> None:
    folder = _folder(store)
    # Inserted in a shuffled date order: results must still come newest first.
    uids = [5, 1, 4, 2, 3]
    store.store_headers(folder, [_header(u, subject="dossier patient") for u in uids])
    found = store.search("dossier", limit=3)
    assert [m.uid for m in found] == [5, 4, 3]
    same_second = store.store_headers(folder, [_header(10, date=0), _header(11, date=0)])
    assert len(same_second.new_ids) == 2  # equal dates still get distinct index rows


def test_flags_update_and_expunge(store: MessageStore) -> None:
    folder = _folder(store)
    ids = store.store_headers(folder, [_header(1), _header(2)]).new_ids
    changed = store.update_flags(folder, {1: frozenset({SEEN}), 2: frozenset()}, {})
    assert changed == [ids[0]]
    removed = store.remove_uids(folder, [2, 99])
    assert removed == [ids[1]]
    assert store.search("rendu") and [m.uid for m in store.search("rendu")] == [1]


def test_uidvalidity_reset_keeps_local_only_copies(store: MessageStore) -> None:
    folder = _folder(store)
    trash = _folder(store, "Trash")
    ids = store.store_headers(folder, [_header(1), _header(2), _header(3)]).new_ids
    store.move([ids[0]], "Trash")  # local-only copy in Trash (uid NULL) + a queued move
    store.store_headers(trash, [_header(7)])
    dropped = store.reset_folder(trash, 42)
    assert dropped == 1
    left = store.all_messages(store.account_id(ACCOUNT.address, ACCOUNT.login))
    assert sorted((m.folder, m.uid) for m in left) == [("INBOX", 2), ("INBOX", 3), ("Trash", None)]
    assert store.search("rendu 7") == []


def test_offline_changes_are_applied_locally_and_queued(store: MessageStore) -> None:
    folder = _folder(store)
    ids = store.store_headers(folder, [_header(1), _header(2), _header(3)]).new_ids
    store.mark_read([ids[0]])
    store.mark_flagged([ids[1]])
    store.mark_read([ids[1]], read=False)
    store.delete([ids[2]])
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    queue = store.pending_changes(account_id)
    assert [(c.kind, c.uid, c.argument) for c in queue] == [
        ("add_flags", 1, SEEN),
        ("add_flags", 2, FLAGGED),
        ("remove_flags", 2, SEEN),
        ("delete", 3, ""),
    ]
    assert all(c.message_header_id for c in queue)
    assert store.server_uids(folder) == {1: frozenset({SEEN}), 2: frozenset({FLAGGED})}
    store.pending_done(queue[0].id)
    assert len(store.pending_changes(account_id)) == 3


def test_moved_copy_is_adopted_by_message_id(store: MessageStore) -> None:
    folder = _folder(store)
    archive = _folder(store, "Archive")
    ids = store.store_headers(folder, [_header(1)]).new_ids
    store.move(ids, "Archive")
    adopted = store.store_headers(archive, [_header(55, message_id="<m1@exemple.fr>")])
    assert adopted.new_ids == () and adopted.updated_ids == ids
    assert store.server_uids(archive) == {55: frozenset()}


def _body(uid: int, text: str = "Créatinine normale", **changes: Any) -> BodyRecord:
    values: dict[str, Any] = {"uid": uid, "raw": f"Subject: m{uid}\r\n\r\n{text}".encode(),
                              "text": text}
    values.update(changes)
    return BodyRecord(**values)


def test_store_messages_writes_new_copies_complete_in_one_step(store: MessageStore,
                                                                 profile: Profile) -> None:
    """The single pass of an initial sync: header and body of new copies stored together."""
    folder = _folder(store)
    pdf = AttachmentInfo("bilan.pdf", "application/pdf", 10)
    stored = store.store_messages(folder, [
        (_header(1, subject="Résultats de biologie"), _body(1, attachments=(pdf,))),
        (_header(2, is_xdm=True), _body(2, "texte", broken_reason="base64 illisible")),
    ])
    assert len(stored.new_ids) == 2 and stored.updated_ids == ()
    assert dict(stored.bodies) == {1: stored.new_ids[0], 2: stored.new_ids[1]}
    first, second = (store.get(i) for i in stored.new_ids)
    assert first is not None and second is not None
    assert first.summary.state == "complete" and first.summary.has_attachments
    assert first.attachments == (pdf,)
    assert second.summary.state == "broken" and second.broken_reason == "base64 illisible"
    assert second.summary.is_xdm
    # Headers and body text indexed in the one index row each copy has.
    assert [m.id for m in store.search("resultats creatinine bilan")] == [stored.new_ids[0]]
    assert profile.database.query("SELECT count(*) FROM message_fts")[0][0] == 2
    assert store.raw(stored.new_ids[1]) == b"Subject: m2\r\n\r\ntexte"
    assert store.uids_without_body(folder) == []


def test_store_messages_of_known_or_moved_copies_keeps_one_row_each(store: MessageStore) -> None:
    """A copy stored meanwhile (headers only) gets its body; a copy moved here offline adopts
    the uid and gets its body: no duplicate either way."""
    folder = _folder(store)
    archive = _folder(store, "Archive")
    known = store.store_headers(archive, [_header(7)]).new_ids
    moved = store.store_headers(folder, [_header(1)]).new_ids
    store.move(moved, "Archive")
    stored = store.store_messages(archive, [
        (_header(7, flags=frozenset({SEEN})), _body(7, "premier")),
        (_header(55, message_id="<m1@exemple.fr>"), _body(55, "second")),
        (_header(56), _body(56, "troisieme")),
    ])
    assert stored.updated_ids[0] == known[0] and len(stored.updated_ids) == 2
    assert len(stored.new_ids) == 1
    assert set(stored.bodies) == {7, 55, 56}
    assert store.server_uids(archive) == {7: frozenset({SEEN}), 55: frozenset(),
                                          56: frozenset()}
    assert store.uids_without_body(archive) == []
    for word, uid in (("premier", 7), ("second", 55), ("troisieme", 56)):
        assert [m.uid for m in store.search(word)] == [uid]


def test_store_bodies_by_uid_leaves_out_a_copy_expunged_meanwhile(store: MessageStore) -> None:
    folder = _folder(store)
    ids = store.store_headers(folder, [_header(1), _header(2), _header(3)]).new_ids
    store.remove_uids(folder, [2])
    assert store.store_bodies_by_uid(folder, [_body(1), _body(2), _body(3)]) == \
        {1: ids[0], 3: ids[2]}


def test_queries_cannot_inject_fts_syntax(store: MessageStore) -> None:
    folder = _folder(store)
    store.store_headers(folder, [_header(1, subject='a "quoted" NEAR word')])
    assert fts_query('NEAR( "x" OR') == '"NEAR(" """x""" "OR"'
    assert store.search('"quoted" NEAR') != []
    with pytest.raises(InvalidInputError):
        store.search("  ** ")


def test_folder_gone_from_server_is_dropped(store: MessageStore) -> None:
    folder = _folder(store, "Archive")
    store.store_headers(folder, [_header(1)])
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    store.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])
    assert [f.name for f in store.folders(account_id)] == ["INBOX"]
    assert store.search("rendu") == []


def test_search_finds_senders_and_recipients_by_name_and_address(store: MessageStore) -> None:
    """Names and addresses are indexed (accents folded) before and after the body is stored."""
    folder = _folder(store)
    stored = store.store_headers(folder, [
        _header(1, from_name="Dr Hélène Lefèvre", from_addr="h.lefevre@chu-exemple.mssante.fr",
                subject="Avis"),
        _header(2, to_display="Cabinet Émile Zola <ezola@cabinet.mssante.fr>",
                to_addrs="ezola@cabinet.mssante.fr", subject="Avis"),
        _header(3, cc_display="Infirmière Bénédicte <b.roux@ehpad.mssante.fr>",
                cc_addrs="b.roux@ehpad.mssante.fr", subject="Avis"),
    ])
    first, second, third = stored.new_ids

    def hits(text: str) -> list[int]:
        return sorted(m.id for m in store.search(text))

    for _ in range(2):  # headers only, then again once the bodies re-index the rows
        assert hits("helene lefevre") == [first]
        assert hits("chu-exemple") == [first]
        assert hits("emile zola") == [second]
        assert hits("ezola") == [second]
        assert hits("benedicte") == [third]
        assert hits("ehpad") == [third]
        assert hits("lefevre zola") == []
        store.store_bodies(folder, [BodyRecord(uid=u, raw=b"Subject: x\r\n\r\nok", text="ok")
                                    for u in (1, 2, 3)])


# --- the patient a message was exchanged with (migration 0013, the "Patients" pane) ---------------

PATIENT_A = "184122A12345678@patient.mssante.fr"


@pytest.mark.parametrize(("from_addr", "to_addrs", "cc_addrs", "expected"), [
    ("jean.martin@rivoli.mssante.fr", "secretariat@clinique.mssante.fr", "", None),
    (PATIENT_A, "secretariat@clinique.mssante.fr", "", PATIENT_A.lower()),
    ("dr@x.mssante.fr", f"a@b.fr, {PATIENT_A.upper()}", "", PATIENT_A.lower()),
    ("dr@x.mssante.fr", "a@b.fr", f"c@d.fr, {PATIENT_A}, z@patient.mssante.fr",
     PATIENT_A.lower()),
    # From first, then To, then Cc; the first address of the domain in a list.
    ("1@patient.mssante.fr", "2@patient.mssante.fr", "3@patient.mssante.fr",
     "1@patient.mssante.fr"),
    ("dr@x.mssante.fr", "2@patient.mssante.fr, 4@patient.mssante.fr", "3@patient.mssante.fr",
     "2@patient.mssante.fr"),
    # A bounce from the patients' domain is on the patients' side.
    ("MAILER-DAEMON@patient.mssante.fr", "dr@x.mssante.fr", "", "mailer-daemon@patient.mssante.fr"),
    # Only that domain, whole: not a sub-domain, a longer name or a look-alike.
    ("dr@x.mssante.fr", "p@sub.patient.mssante.fr, p@patient.mssante.fr.evil.fr", "", None),
    ("dr@x.mssante.fr", "p@patient.mssante.fred, p@xpatient.mssante.fr", "", None),
    ("dr@x.mssante.fr", "p@patient-mssante.fr", "", None),
    ("", "", "", None),
])
def test_patient_address_of(from_addr: str, to_addrs: str, cc_addrs: str,
                            expected: str | None) -> None:
    from app.store.message_store import patient_address_of

    assert patient_address_of(from_addr, to_addrs, cc_addrs) == expected


def test_insert_records_the_patient_of_each_message(store: MessageStore, profile: Profile) -> None:
    folder = _folder(store)
    store.store_headers(folder, [
        _header(1),
        _header(2, from_addr=PATIENT_A, from_name="DURAND Marie"),
        _header(3, to_addrs=f"secretariat@clinique.mssante.fr, {PATIENT_A}"),
        _header(4, cc_addrs="Autre@Patient.MSSante.fr"),
    ])
    rows = profile.database.query(
        "SELECT uid, patient_addr FROM message WHERE folder_id = ? ORDER BY uid", (folder,))
    assert [(r[0], r[1]) for r in rows] == [
        (1, None), (2, PATIENT_A.lower()), (3, PATIENT_A.lower()),
        (4, "autre@patient.mssante.fr")]


def _backfill_statement() -> str:
    from app.store.database import _split_sql
    from app.store.migrations import load_migrations

    migration = next(m for m in load_migrations() if m.version == 13)
    return next(s for s in _split_sql(migration.sql) if s.startswith("UPDATE message"))


# Address lists as the header pass stores them: addresses joined by ", ", of the patients'
# domain in any case or not, local parts with spaces, commas, accents and dots.
_local = st.text(alphabet="aZ19.-_ éÉ,İ", min_size=0, max_size=6)
_domain = st.sampled_from(["patient.mssante.fr", "PATIENT.MSSANTE.FR", "Patient.MSSante.fr",
                           "patient.mssante.fr.x", "sub.patient.mssante.fr", "rivoli.mssante.fr",
                           "b.fr", ""])
_address = st.builds(lambda local, domain: f"{local}@{domain}" if domain else local,
                     _local, _domain)
_address_list = st.lists(_address, max_size=3).map(", ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_address, _address_list, _address_list), min_size=1, max_size=8))
def test_the_backfill_applies_the_insert_rule(rows: list[tuple[str, str, str]]) -> None:
    """Migration 0013 fills ``patient_addr`` of the messages already stored with SQL; the store
    fills it for new ones in Python: the same value for the same addresses."""
    from sqlcipher3 import dbapi2 as sqlcipher

    from app.store.message_store import patient_address_of

    conn = sqlcipher.connect(":memory:")
    try:
        conn.execute("CREATE TABLE message (id INTEGER PRIMARY KEY, from_addr TEXT NOT NULL, "
                     "to_addrs TEXT NOT NULL, cc_addrs TEXT NOT NULL, patient_addr TEXT)")
        conn.executemany("INSERT INTO message (from_addr, to_addrs, cc_addrs) VALUES (?, ?, ?)",
                         rows)
        conn.execute(_backfill_statement())
        got = [r[0] for r in conn.execute("SELECT patient_addr FROM message ORDER BY id")]
    finally:
        conn.close()
    assert got == [patient_address_of(*row) for row in rows]
