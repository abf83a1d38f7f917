"""The message store: folders, headers, bodies, flags, expunges, UIDVALIDITY, offline queue, FTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
