"""Migration 0012's indexes: a list page sorted by date, sender or subject is an index walk (no
sort), and the folder counts read indexes, not every message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile, open_profile
from app.store.message_queries import ListQuery, SortKey
from tests.unit.test_message_queries import ACCOUNT, folders, header


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def _plan(profile: Profile, query: ListQuery) -> str:
    from app.store.message_queries import _from, _order

    clause, params = _from(query)
    sql = f"SELECT m.id {clause} ORDER BY {_order(query, fts=False)} LIMIT 50 OFFSET 100"
    rows = profile.database.call(
        lambda conn: conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    return " | ".join(str(r[3]) for r in rows)


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
def test_every_folder_order_walks_an_index(profile: Profile, sort: SortKey,
                                           descending: bool) -> None:
    inbox = folders(profile, "INBOX")["INBOX"]
    plan = _plan(profile, ListQuery(folder_id=inbox, sort=sort, descending=descending))
    assert "TEMP B-TREE" not in plan  # no sort: each page is an index walk
    index = {SortKey.DATE: "message_folder_date", SortKey.SENDER: "message_folder_sender",
             SortKey.SUBJECT: "message_folder_subject"}[sort]
    assert index in plan


@pytest.mark.parametrize("audience", ["ALL", "PROFESSIONALS", "PATIENTS"])
def test_folder_counts_walk_indexes_not_messages(profile: Profile, audience: str) -> None:
    from app.store.message_queries import Audience

    account_id = profile.messages.account_id(ACCOUNT.address, ACCOUNT.login)
    sql = profile.database.call(lambda conn: [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'message_folder_unread'")])
    assert sql, "the partial index on unread messages is missing"
    import app.store.message_queries as queries_module

    plans: list[str] = []

    def explain(conn: Any) -> None:
        original = conn.execute

        class Spy:
            def execute(self, text: str, params: Any = ()) -> Any:
                plans.extend(str(r[3]) for r in original(f"EXPLAIN QUERY PLAN {text}", params))
                return original(text, params)

        queries_module.folder_counts(Spy(), account_id,  # type: ignore[arg-type]
                                     Audience[audience])

    profile.database.call(explain)
    assert any("message_folder_unread" in p for p in plans)
    assert not any(p.startswith("SCAN m") for p in plans)  # no pass over the messages
    # Totals from index entries alone; the unread ones seek the partial index (only unread
    # messages, usually few, are then read), on the pane's patient column too.
    searches = [p for p in plans if p.startswith("SEARCH m")]
    assert len(searches) == 2 and "COVERING INDEX" in searches[0]
    if audience != "ALL":
        assert "message_folder_unread (folder_id=? AND patient_addr" in searches[1]


def test_each_pane_counts_its_own_messages(profile: Profile) -> None:
    from app.store.message_queries import Audience, MessageQueries

    inbox = folders(profile, "INBOX")["INBOX"]
    patient = "158016938811296@patient.mssante.fr"
    profile.messages.store_headers(inbox, [
        header(1), header(2, flags=frozenset()),
        header(3, from_addr=patient, flags=frozenset()),
        header(4, to_addrs=f"a@x.mssante.fr, {patient}"),
    ])
    account_id = profile.messages.account_id(ACCOUNT.address, ACCOUNT.login)
    queries = MessageQueries(database=profile.database)

    def inbox_counts(audience: Audience) -> tuple[int, int]:
        (row,) = [c for c in queries.folder_counts(account_id, audience) if c.id == inbox]
        return row.total, row.unread

    everything = inbox_counts(Audience.ALL)
    professionals = inbox_counts(Audience.PROFESSIONALS)
    patients = inbox_counts(Audience.PATIENTS)
    assert professionals[0] + patients[0] == everything[0] == 4
    assert patients[0] == 2
    assert professionals[1] + patients[1] == everything[1]
    assert patients[1] == 1  # message 3, unread, from the patient


# --- the two panes (migration 0013) -----------------------------------------------------------


def _count_plan(profile: Profile, query: ListQuery) -> str:
    from app.store.message_queries import _from

    clause, params = _from(query)
    rows = profile.database.call(lambda conn: conn.execute(
        f"EXPLAIN QUERY PLAN SELECT count(*) {clause}", params).fetchall())
    return " | ".join(str(r[3]) for r in rows)


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("audience", ["PROFESSIONALS", "PATIENTS"])
def test_a_pane_walks_the_same_indexes_without_reading_messages(
        profile: Profile, sort: SortKey, descending: bool, audience: str) -> None:
    """Each pane's order is the walk of the folder's index, and its filter is read from the
    index entry: a page deep in the list (OFFSET) or the count reads no message row."""
    from app.store.message_queries import Audience

    inbox = folders(profile, "INBOX")["INBOX"]
    query = ListQuery(folder_id=inbox, sort=sort, descending=descending,
                      audience=Audience[audience])
    plan = _plan(profile, query)
    index = {SortKey.DATE: "message_folder_date", SortKey.SENDER: "message_folder_sender",
             SortKey.SUBJECT: "message_folder_subject"}[sort]
    assert "TEMP B-TREE" not in plan
    assert f"USING COVERING INDEX {index} " in plan  # skipped rows: index entries only
    count = _count_plan(profile, query)
    assert "COVERING INDEX" in count and "TEMP B-TREE" not in count


@pytest.mark.parametrize("scope", ["account", "folder"])
def test_one_patient_is_a_seek_in_the_patient_index(profile: Profile, scope: str) -> None:
    account_id = profile.messages.account_id(ACCOUNT.address, ACCOUNT.login)
    inbox = folders(profile, "INBOX")["INBOX"]
    where = {"account_id": account_id} if scope == "account" else {"folder_id": inbox}
    for descending in (True, False):
        plan = _plan(profile, ListQuery(patient="184122A12345678", descending=descending,
                                        **where))
        # Not the account's or the folder's index walked for one patient's few messages.
        assert "message_patient (patient_addr=?)" in plan
        assert "TEMP B-TREE" not in plan
    # By sender or subject: that patient's messages are sorted (there are few).
    plan = _plan(profile, ListQuery(patient="184122A12345678", sort=SortKey.SENDER, **where))
    assert "message_patient (patient_addr=?)" in plan
    assert "message_patient (patient_addr=?)" in _count_plan(
        profile, ListQuery(patient="184122A12345678", **where))


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("audience", ["ALL", "PROFESSIONALS", "PATIENTS"])
def test_a_page_next_to_another_walks_the_index_from_the_anchor(
        profile: Profile, sort: SortKey, descending: bool, audience: str) -> None:
    """``page_from``'s queries fix the leading columns with "=": ordered by those too, SQLite
    sorted every message tied with the anchor (all of one sender's) instead of walking."""
    import app.store.message_queries as queries_module
    from app.store.message_queries import Audience

    inbox = folders(profile, "INBOX")["INBOX"]
    profile.messages.store_headers(inbox, [header(uid) for uid in range(1, 4)])
    anchor = profile.messages.list_folder(inbox, limit=1)[0].id
    query = ListQuery(folder_id=inbox, sort=sort, descending=descending,
                      audience=Audience[audience])
    plans: list[str] = []

    def explain(conn: Any) -> None:
        original = conn.execute

        class Spy:
            def execute(self, text: str, params: Any = ()) -> Any:
                plans.append(" | ".join(
                    str(r[3]) for r in original(f"EXPLAIN QUERY PLAN {text}", params)))
                return original(text, params)

        for before in (False, True):
            queries_module.page_from(Spy(), query, anchor, 50, before=before)  # type: ignore[arg-type]

    profile.database.call(explain)
    index = {SortKey.DATE: "message_folder_date", SortKey.SENDER: "message_folder_sender",
             SortKey.SUBJECT: "message_folder_subject"}[sort]
    pages = [p for p in plans if "rowid=?" not in p]  # the anchor's own row aside
    assert pages and all(index in p and "TEMP B-TREE" not in p for p in pages), pages
