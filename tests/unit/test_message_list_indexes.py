"""Migration 0012's indexes: a list page sorted by date, sender or subject is an index walk (no
sort), and the folder counts read indexes, not every message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile, open_profile
from app.store.message_queries import ListQuery, SortKey
from tests.unit.test_message_queries import ACCOUNT, folders


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


def test_folder_counts_walk_indexes_not_messages(profile: Profile) -> None:
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

        queries_module.folder_counts(Spy(), account_id)  # type: ignore[arg-type]

    profile.database.call(explain)
    assert any("message_folder_unread" in p for p in plans)
    assert not any(p.startswith("SCAN m") for p in plans)  # no pass over the messages
