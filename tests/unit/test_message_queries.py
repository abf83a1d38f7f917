"""List queries over the encrypted store: the folded sort keys and their indexes (migration 0012),
pages that neither repeat nor skip a row, pages read from a neighbour's edge, folder counts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.store import database as dbmod
from app.store.database import open_connection
from app.store.keys import KeyFileKeyProvider
from app.store.message_queries import (
    ListQuery,
    MessageQueries,
    SortKey,
    count_rows,
    folder_counts,
    page_from,
    page_rows,
)
from app.store.message_store import SEEN, FolderInfo, HeaderRecord
from app.store.migrations import load_migrations

ACCOUNT = Account(
    address="secretariat@clinique.mssante.fr", kind=MailboxKind.ORG, login="secretariat",
    imap=Endpoint("imap.clinique.fr", 993, TlsMode.IMPLICIT),
    smtp=Endpoint("smtp.clinique.fr", 587, TlsMode.STARTTLS))


def header(uid: int, **changes: Any) -> HeaderRecord:
    values: dict[str, Any] = {
        "uid": uid, "message_id": f"<m{uid}@exemple.fr>", "date": 1_700_000_000 + uid * 60,
        "internaldate": None, "from_name": "", "from_addr": f"x{uid}@exemple.mssante.fr",
        "to_display": "", "to_addrs": "", "cc_display": "", "cc_addrs": "",
        "subject": f"Sujet {uid}", "flags": frozenset({SEEN}), "size": 100,
        "has_attachments": False, "is_xdm": False,
    }
    values.update(changes)
    return HeaderRecord(**values)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def folders(profile: Profile, *names: str) -> dict[str, int]:
    account_id = profile.messages.account_id(ACCOUNT.address, ACCOUNT.login)
    states = profile.messages.replace_folders(
        account_id, [FolderInfo(name, "/", None) for name in names])
    return {f.name: f.id for f in states}


def all_rows(queries: MessageQueries, query: ListQuery) -> list[Any]:
    return queries.page(query, 0, 5000)


def test_sender_and_subject_sort_fold_case_and_accents(profile: Profile) -> None:
    inbox = folders(profile, "INBOX")["INBOX"]
    names = ["Zoé ZELLER", "Éric LEFÈVRE", "alice durand", "Denis Faure", "eric bernard",
             "  Œdipe Roi", "Ange Martin"]
    subjects = ["Ordonnance", "échographie", "Écho cardiaque", "bilan", "Zona", "Étude",
                "  avis"]
    profile.messages.store_headers(inbox, [
        header(uid, from_name=name, subject=subject)
        for uid, (name, subject) in enumerate(zip(names, subjects, strict=True), start=1)])
    queries = MessageQueries(database=profile.database)

    by_sender = all_rows(queries, ListQuery(folder_id=inbox, sort=SortKey.SENDER,
                                            descending=False))
    # NOCASE put "Éric" and "Œdipe" after "Zoé"; folded, they sort as "eric" and "oedipe".
    assert [r.from_name for r in by_sender] == [
        "alice durand", "Ange Martin", "Denis Faure", "eric bernard", "Éric LEFÈVRE",
        "  Œdipe Roi", "Zoé ZELLER"]
    by_sender_desc = all_rows(queries, ListQuery(folder_id=inbox, sort=SortKey.SENDER))
    assert [r.id for r in by_sender_desc] == [r.id for r in reversed(by_sender)]

    by_subject = all_rows(queries, ListQuery(folder_id=inbox, sort=SortKey.SUBJECT,
                                             descending=False))
    assert [r.subject for r in by_subject] == [
        "  avis", "bilan", "Écho cardiaque", "échographie", "Étude", "Ordonnance", "Zona"]


def test_sender_key_falls_back_to_the_address_and_folds_decomposed_accents(
        profile: Profile) -> None:
    inbox = folders(profile, "INBOX")["INBOX"]
    profile.messages.store_headers(inbox, [
        header(1, from_name="", from_addr="zz@exemple.fr"),
        header(2, from_name="E\u0301milie Roux"),  # "Émilie" with a combining accent
        header(3, from_name="", from_addr="aa@exemple.fr"),
        header(4, from_name="Fanny"),
    ])
    rows = all_rows(MessageQueries(database=profile.database),
                    ListQuery(folder_id=inbox, sort=SortKey.SENDER, descending=False))
    assert [r.sender for r in rows] == ["aa@exemple.fr", "E\u0301milie Roux", "Fanny",
                                        "zz@exemple.fr"]


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
def test_pages_neither_repeat_nor_skip(profile: Profile, sort: SortKey, descending: bool) -> None:
    inbox = folders(profile, "INBOX")["INBOX"]
    # Few distinct senders, subjects and dates: many ties for the tie-breakers to order.
    profile.messages.store_headers(inbox, [
        header(uid, from_name=["Émile", "emile", "Bob"][uid % 3], subject=f"S{uid % 4}",
               date=1_700_000_000 + (uid // 5) * 60)
        for uid in range(1, 48)])
    query = ListQuery(folder_id=inbox, sort=sort, descending=descending)
    ids: list[int] = []
    for offset in range(0, 47, 5):
        ids.extend(r.id for r in profile.database.call(
            lambda conn, o=offset: page_rows(conn, query, o, 5)))
    assert len(ids) == 47 and len(set(ids)) == 47
    assert profile.database.call(lambda conn: count_rows(conn, query)) == 47


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
def test_pages_read_from_a_neighbour_match_pages_read_by_offset(
        profile: Profile, sort: SortKey, descending: bool) -> None:
    inbox = folders(profile, "INBOX")["INBOX"]
    profile.messages.store_headers(inbox, [
        header(uid, from_name=["Émile", "emile", "Bob", ""][uid % 4], subject=f"S{uid % 3}",
               date=1_700_000_000 + (uid // 4) * 60)
        for uid in range(1, 60)])
    query = ListQuery(folder_id=inbox, sort=sort, descending=descending)

    def run(fn: Any) -> Any:
        return profile.database.call(fn)

    whole = [r.id for r in run(lambda conn: page_rows(conn, query, 0, 100))]
    assert len(whole) == 59
    # Forwards from each page's last row, backwards from each page's first row.
    for start in range(0, 59, 7):
        expected = whole[start + 1:start + 8]
        got = run(lambda conn, s=start: page_from(conn, query, whole[s], 7))
        assert [r.id for r in got] == expected
        if start >= 7:
            got = run(lambda conn, s=start: page_from(conn, query, whole[s], 7, before=True))
            assert [r.id for r in got] == whole[start - 7:start]
    assert run(lambda conn: page_from(conn, query, whole[-1], 7)) == []
    assert run(lambda conn: page_from(conn, query, 999_999, 7)) is None  # gone: read by offset
    searching = ListQuery(folder_id=inbox, search="S1")
    assert run(lambda conn: page_from(conn, searching, whole[0], 7)) is None


def _brute_counts(profile: Profile, account_id: int) -> dict[int, tuple[int, int]]:
    rows = profile.database.call(lambda conn: conn.execute(
        "SELECT f.id, count(m.id), coalesce(sum(m.id IS NOT NULL AND "
        "instr(' ' || m.flags || ' ', ' \\Seen ') = 0), 0) "
        "FROM folder f LEFT JOIN message m ON m.folder_id = f.id "
        "WHERE f.account_id = ? GROUP BY f.id", (account_id,)).fetchall())
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


def test_folder_counts_follow_every_change(profile: Profile) -> None:
    store = profile.messages
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    ids = folders(profile, "INBOX", "Archives", "Trash")
    queries = MessageQueries(database=profile.database)
    rng = random.Random(13)

    def check() -> None:
        counted = {c.id: (c.total, c.unread) for c in queries.folder_counts(account_id)}
        assert counted == _brute_counts(profile, account_id)
        for folder in counted:
            assert queries.count(ListQuery(folder_id=folder)) == counted[folder][0]

    store.store_headers(ids["INBOX"], [
        header(uid, flags=frozenset({SEEN}) if uid % 3 else frozenset())
        for uid in range(1, 61)])
    store.store_headers(ids["Archives"], [header(uid, flags=frozenset()) for uid in range(1, 11)])
    check()
    for _ in range(12):
        rows = all_rows(queries, ListQuery(account_id=account_id))
        picked = [r.id for r in rng.sample(rows, 4)]
        action = rng.choice(["read", "unread", "move", "delete", "flag"])
        if action == "read":
            store.mark_read(picked)
        elif action == "unread":
            store.mark_read(picked, read=False)
        elif action == "flag":
            store.mark_flagged(picked)  # flags change, unread does not
        elif action == "move":
            store.move(picked, rng.choice(["INBOX", "Archives", "Trash"]))
        else:
            store.delete(picked)
        check()
    # The server says: flags changed, messages expunged, then a new UIDVALIDITY; a folder goes.
    store.update_flags(ids["INBOX"], {2: frozenset(), 4: frozenset({SEEN})}, {})
    check()
    store.remove_uids(ids["INBOX"], [5, 7, 8])
    check()
    store.reset_folder(ids["INBOX"], 99)
    check()
    store.replace_folders(account_id, [FolderInfo("INBOX", "/", None)])
    assert [c.name for c in queries.folder_counts(account_id)] == ["INBOX"]
    check()


def test_upgrade_to_0012_indexes_existing_messages(tmp_path: Path) -> None:
    key = KeyFileKeyProvider(tmp_path / "k")
    raw = key.create_key()
    path = tmp_path / "s.db"
    before = [m for m in load_migrations() if m.version < 12]
    conn = open_connection(path, raw, migrations=before)
    conn.execute(
        "INSERT INTO account(id, address, login, kind, imap_host, imap_port, imap_tls, "
        "smtp_host, smtp_port, smtp_tls, auth) VALUES (1, 'a@b.fr', 'a', 'PER', 'h', 993, "
        "'implicit', 'h', 587, 'starttls', 'password')")
    conn.execute("INSERT INTO folder(id, account_id, name) VALUES (1, 1, 'INBOX'), "
                 "(2, 1, 'Vide')")
    for uid, (name, flags) in enumerate([("Zoé", "\\Seen"), ("Éric", ""), ("Anne", "\\Flagged"),
                                         ("", "\\Answered \\Seen")], start=1):
        conn.execute(
            "INSERT INTO message(account_id, folder_id, uid, date, from_name, from_addr, "
            "flags, fts_rowid) VALUES (1, 1, ?, ?, ?, 'adresse@b.fr', ?, ?)",
            (uid, 1000 + uid, name, flags, uid))
    conn.close()

    conn = open_connection(path, raw)
    try:
        assert dbmod.schema_version(conn) == load_migrations()[-1].version
        assert [(c.name, c.total, c.unread) for c in folder_counts(conn, 1)] == [
            ("INBOX", 4, 2), ("Vide", 0, 0)]
        rows = page_rows(conn, ListQuery(folder_id=1, sort=SortKey.SENDER, descending=False),
                         0, 10)
        assert [r.sender for r in rows] == ["adresse@b.fr", "Anne", "Éric", "Zoé"]
    finally:
        conn.close()


# --- the two panes: professionals only, patients only, one patient (migration 0013) ----------

PATIENT_A, PATIENT_B = "184122A12345678", "275036912304512"


def _pane_messages(profile: Profile) -> dict[str, int]:
    """INBOX and Sent: professionals' messages, patient A's and patient B's, mixed in date order.
    Returns the folder ids."""
    ids = folders(profile, "INBOX", "Sent")
    a, b = f"{PATIENT_A}@patient.mssante.fr", f"{PATIENT_B}@PATIENT.mssante.fr"
    profile.messages.store_headers(ids["INBOX"], [
        header(1, from_name="Zoé ZELLER", subject="Avis"),
        header(2, from_name="DURAND Marie", from_addr=a, subject="Question traitement"),
        header(3, from_name="Éric LEFÈVRE", subject="Compte rendu"),
        header(4, from_name="", from_addr=b, subject="Bilan sanguin"),
        header(5, from_name="Bob", subject="bilan de sortie"),
        header(6, from_name="DURAND Marie", from_addr=a, subject="Merci"),
        header(7, from_name="Anne", to_addrs=f"secretariat@clinique.mssante.fr, {a}",
               subject="Ordonnance"),  # a professional writing to the box and to patient A
    ])
    profile.messages.store_headers(ids["Sent"], [
        header(1, from_addr=ACCOUNT.address, to_addrs=a, subject="Résultats"),
        header(2, from_addr=ACCOUNT.address, to_addrs="x@exemple.mssante.fr", subject="Avis"),
        header(3, from_addr=ACCOUNT.address, cc_addrs=b, subject="Convocation"),
    ])
    return ids


def test_the_panes_split_professionals_from_patients(profile: Profile) -> None:
    from app.store.message_queries import Audience

    inbox = _pane_messages(profile)["INBOX"]
    queries = MessageQueries(database=profile.database)

    def subjects(**filters: Any) -> list[str]:
        query = ListQuery(folder_id=inbox, **filters)
        rows = all_rows(queries, query)
        assert queries.count(query) == len(rows)
        assert queries.first_page(query, 2) == (len(rows), rows[:2])
        return [r.subject for r in rows]

    assert subjects() == ["Ordonnance", "Merci", "bilan de sortie", "Bilan sanguin",
                          "Compte rendu", "Question traitement", "Avis"]
    assert subjects(audience=Audience.PROFESSIONALS) == ["bilan de sortie", "Compte rendu", "Avis"]
    assert subjects(audience=Audience.PATIENTS) == [
        "Ordonnance", "Merci", "Bilan sanguin", "Question traitement"]
    # One patient, by address (any case) or by INS matricule (spaces allowed).
    assert subjects(patient=f"{PATIENT_A}@Patient.mssante.fr") == [
        "Ordonnance", "Merci", "Question traitement"]
    assert subjects(patient="1 84 12 2a 123 456 78") == [
        "Ordonnance", "Merci", "Question traitement"]
    assert subjects(patient=PATIENT_B, audience=Audience.PATIENTS) == ["Bilan sanguin"]
    assert subjects(patient="999999999999999") == []
    with pytest.raises(ValueError):
        ListQuery(audience=Audience.PROFESSIONALS, patient=PATIENT_A)


def test_search_and_sorts_work_inside_each_pane(profile: Profile) -> None:
    from app.store.message_queries import Audience

    inbox = _pane_messages(profile)["INBOX"]
    queries = MessageQueries(database=profile.database)

    def subjects(**filters: Any) -> list[str]:
        query = ListQuery(folder_id=inbox, **filters)
        rows = all_rows(queries, query)
        assert queries.count(query) == len(rows)
        return [r.subject for r in rows]

    # "bilan" matches a professional's and patient B's message.
    assert subjects(search="bilan") == ["bilan de sortie", "Bilan sanguin"]
    assert subjects(search="bilan", audience=Audience.PROFESSIONALS) == ["bilan de sortie"]
    assert subjects(search="bilan", audience=Audience.PATIENTS) == ["Bilan sanguin"]
    assert subjects(search="bilan", patient=PATIENT_A) == []
    assert subjects(search="durand", patient=PATIENT_A) == ["Merci", "Question traitement"]
    assert subjects(search="bilan", sort=SortKey.SUBJECT, descending=False,
                    audience=Audience.PATIENTS) == ["Bilan sanguin"]
    # Sorts within a pane.
    assert subjects(audience=Audience.PROFESSIONALS, sort=SortKey.SENDER, descending=False) == [
        "bilan de sortie", "Compte rendu", "Avis"]  # Bob, Éric, Zoé
    assert subjects(audience=Audience.PROFESSIONALS, sort=SortKey.SUBJECT) == [
        "Compte rendu", "bilan de sortie", "Avis"]
    assert subjects(audience=Audience.PATIENTS, sort=SortKey.SUBJECT, descending=False) == [
        "Bilan sanguin", "Merci", "Ordonnance", "Question traitement"]
    assert subjects(audience=Audience.PATIENTS, sort=SortKey.DATE, descending=False) == [
        "Question traitement", "Bilan sanguin", "Merci", "Ordonnance"]
    assert subjects(patient=PATIENT_A, sort=SortKey.SENDER, descending=False) == [
        "Ordonnance", "Merci", "Question traitement"]  # Anne, then DURAND newest first


def test_one_patient_across_the_folders_of_an_account(profile: Profile) -> None:
    from app.store.message_queries import Audience

    ids = _pane_messages(profile)
    account_id = profile.messages.account_id(ACCOUNT.address, ACCOUNT.login)
    queries = MessageQueries(database=profile.database)
    conversation = ListQuery(account_id=account_id, patient=PATIENT_A)
    rows = all_rows(queries, conversation)
    assert {(r.folder_id, r.subject) for r in rows} == {
        (ids["INBOX"], "Question traitement"), (ids["INBOX"], "Merci"),
        (ids["INBOX"], "Ordonnance"), (ids["Sent"], "Résultats")}
    assert [r.date for r in rows] == sorted((r.date for r in rows), reverse=True)
    assert queries.count(conversation) == 4
    sent = ListQuery(folder_id=ids["Sent"], audience=Audience.PATIENTS)
    assert [r.subject for r in all_rows(queries, sent)] == ["Convocation", "Résultats"]
    professionals = ListQuery(folder_id=ids["Sent"], audience=Audience.PROFESSIONALS)
    assert [r.subject for r in all_rows(queries, professionals)] == ["Avis"]


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("pane", ["professionals", "patients", "patient"])
def test_pages_of_a_pane_neither_repeat_nor_skip(profile: Profile, sort: SortKey,
                                                 descending: bool, pane: str) -> None:
    from app.store.message_queries import Audience

    inbox = folders(profile, "INBOX")["INBOX"]
    patients = [f"{PATIENT_A}@patient.mssante.fr", f"{PATIENT_B}@patient.mssante.fr"]
    # One message in three from a patient (A or B); ties on sender, subject and date.
    profile.messages.store_headers(inbox, [
        header(uid, from_name=["Émile", "emile", "Bob"][uid % 3], subject=f"S{uid % 4}",
               date=1_700_000_000 + (uid // 5) * 60,
               from_addr=patients[uid % 2] if uid % 3 == 0 else f"x{uid}@exemple.mssante.fr")
        for uid in range(1, 91)])
    filters: dict[str, Any] = {
        "professionals": {"audience": Audience.PROFESSIONALS},
        "patients": {"audience": Audience.PATIENTS},
        "patient": {"patient": PATIENT_A},
    }[pane]
    query = ListQuery(folder_id=inbox, sort=sort, descending=descending, **filters)
    expected = {"professionals": 60, "patients": 30, "patient": 15}[pane]

    def run(fn: Any) -> Any:
        return profile.database.call(fn)

    whole = [r.id for r in run(lambda conn: page_rows(conn, query, 0, 100))]
    assert len(whole) == len(set(whole)) == expected
    assert run(lambda conn: count_rows(conn, query)) == expected
    by_offset: list[int] = []
    for offset in range(0, expected, 4):
        by_offset.extend(r.id for r in run(lambda conn, o=offset: page_rows(conn, query, o, 4)))
    assert by_offset == whole
    for start in range(0, expected, 4):
        got = run(lambda conn, s=start: page_from(conn, query, whole[s], 4))
        assert [r.id for r in got] == whole[start + 1:start + 5]
        got = run(lambda conn, s=start: page_from(conn, query, whole[s], 4, before=True))
        assert [r.id for r in got] == whole[max(0, start - 4):start]


def test_upgrade_to_0013_backfills_the_patient_of_existing_messages(tmp_path: Path) -> None:
    from app.store.message_queries import Audience

    key = KeyFileKeyProvider(tmp_path / "k")
    raw = key.create_key()
    path = tmp_path / "s.db"
    conn = open_connection(path, raw, migrations=[m for m in load_migrations() if m.version < 13])
    assert dbmod.schema_version(conn) == 12
    conn.execute(
        "INSERT INTO account(id, address, login, kind, imap_host, imap_port, imap_tls, "
        "smtp_host, smtp_port, smtp_tls, auth) VALUES (1, 'a@b.fr', 'a', 'PER', 'h', 993, "
        "'implicit', 'h', 587, 'starttls', 'password')")
    conn.execute("INSERT INTO folder(id, account_id, name) VALUES (1, 1, 'INBOX')")
    stored = [  # from, to, cc
        ("dr@x.mssante.fr", "a@b.fr", ""),
        (f"{PATIENT_A}@Patient.MSSante.fr", "a@b.fr", ""),
        ("a@b.fr", f"dr@x.mssante.fr, {PATIENT_B}@patient.mssante.fr", ""),
        ("a@b.fr", "dr@x.mssante.fr", f"{PATIENT_A}@patient.mssante.fr"),
        ("a@b.fr", "p@sub.patient.mssante.fr", "p@patient.mssante.fr.x"),
        ("MAILER-DAEMON@patient.mssante.fr", "a@b.fr", ""),
    ]
    for uid, (sender, to, cc) in enumerate(stored, start=1):
        conn.execute(
            "INSERT INTO message(account_id, folder_id, uid, date, from_name, from_addr, "
            "to_addrs, cc_addrs, subject, fts_rowid) VALUES (1, 1, ?, ?, '', ?, ?, ?, ?, ?)",
            (uid, 1000 + uid, sender, to, cc, f"m{uid}", uid))
    conn.close()

    conn = open_connection(path, raw)
    try:
        assert dbmod.schema_version(conn) == load_migrations()[-1].version
        backfilled = [r[0] for r in conn.execute("SELECT patient_addr FROM message ORDER BY uid")]
        assert backfilled == [None, f"{PATIENT_A.lower()}@patient.mssante.fr",
                              f"{PATIENT_B}@patient.mssante.fr",
                              f"{PATIENT_A.lower()}@patient.mssante.fr", None,
                              "mailer-daemon@patient.mssante.fr"]

        def subjects(**filters: Any) -> list[str]:
            query = ListQuery(folder_id=1, sort=SortKey.SUBJECT, descending=False, **filters)
            assert count_rows(conn, query) == len(page_rows(conn, query, 0, 10))
            return [r.subject for r in page_rows(conn, query, 0, 10)]

        assert subjects(audience=Audience.PROFESSIONALS) == ["m1", "m5"]
        assert subjects(audience=Audience.PATIENTS) == ["m2", "m3", "m4", "m6"]
        assert subjects(patient=PATIENT_A) == ["m2", "m4"]
        assert subjects() == ["m1", "m2", "m3", "m4", "m5", "m6"]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"message_folder_date", "message_folder_sender", "message_folder_subject",
                "message_patient"} <= names
        assert conn.execute("PRAGMA integrity_check").fetchall()[0][0] == "ok"
    finally:
        conn.close()
