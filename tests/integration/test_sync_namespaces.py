"""Which folders an account mirrors, and how special folders are known.

An ORG box opened with a nurse's own login lies in that login's other-users namespace (RFC 2342,
shared by IMAP ACL, RFC 4314), beside the nurse's own folders: the ORG account mirrors that box
and nothing else, the nurse's PER account never mirrors the box, and a login the box is not
shared with gets a clear error and stores nothing. Special use (RFC 6154) comes from LIST's
attributes, never from a folder's name.

The first part tests the NAMESPACE parser and the scoping rule on hostile answers (no server);
the rest runs against the sandbox's Dovecot.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from imapclient import IMAPClient

from app.composition import Profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction
from app.events import Event, MessagesStored
from app.protocols.imap.connection import (
    ImapConnection,
    ListedFolder,
    Namespace,
    Namespaces,
    Quota,
    parse_namespace_response,
)
from app.services.mailbox_scope import (
    SharedBoxNotFound,
    opens_a_shared_box,
    scope_folders,
    special_folder,
)
from app.services.sync_engine import SyncEngine
from app.store.message_queries import folder_counts
from app.store.message_store import FLAGGED, SEEN, FolderState
from tests.integration.sync_helpers import (
    WatchInThread,
    imap_as,
    local_folder,
    new_profile,
    selectable_folders,
    server_folder,
    simple_message,
)
from tests.sandbox import demo_world as world

BOX = world.CARDIOLOGY_BOX
NURSES = BOX.members
BOX_ADDRESS = "cardiologie@chu.example.fr"
SMTP = Endpoint("127.0.0.1", 25, TlsMode.STARTTLS)
IMAP = Endpoint("127.0.0.1", 993, TlsMode.IMPLICIT)


# --- NAMESPACE answers, as a server may send them ---------------------------------------------


def test_dovecot_answer_with_a_modified_utf7_prefix() -> None:
    parsed = parse_namespace_response([b'(("" "/")) (("Partag&AOk-/" "/")) NIL'])
    assert parsed == Namespaces(personal=(Namespace("", "/"),),
                                other_users=(Namespace("Partagé/", "/"),), shared=())


@pytest.mark.parametrize("data", [[b"NIL NIL NIL"], [], [None], [b""]],
                         ids=["all-nil", "no-data", "none", "empty"])
def test_nil_or_missing_namespaces_are_empty(data: list[Any]) -> None:
    assert parse_namespace_response(data) == Namespaces()


def test_extension_data_and_missing_kinds_are_tolerated() -> None:
    """RFC 4466 extension data after the delimiter; a server that sends one kind only."""
    parsed = parse_namespace_response([b'(("" "/" "X-PARAM" ("FLAG1" "FLAG2")))'])
    assert parsed == Namespaces(personal=(Namespace("", "/"),))


def test_odd_descriptors_are_skipped_or_read_flat() -> None:
    """A NIL prefix, an atom or an empty list instead of a descriptor, a NIL or empty delimiter,
    a fourth kind: none breaks the answer."""
    parsed = parse_namespace_response([
        b'(("INBOX." ".") NIL "junk" ()) ((NIL "/") ("user." NIL) ("#x" "")) '
        b'(("#public/" "/")) (("extra" "/"))'])
    assert parsed.personal == (Namespace("INBOX.", "."),)
    assert parsed.other_users == (Namespace("user.", None), Namespace("#x", None))
    assert parsed.shared == (Namespace("#public/", "/"),)


def test_raw_utf8_literal_and_broken_utf7_prefixes() -> None:
    raw = parse_namespace_response([('(("" "/")) (("Partagé/" "/")) NIL').encode()])
    assert raw.other_users == (Namespace("Partagé/", "/"),)
    literal = parse_namespace_response([(b'(("" "/")) (({12}', b"Other Users/"),
                                        b' "/")) NIL'])
    assert literal.other_users == (Namespace("Other Users/", "/"),)
    broken = parse_namespace_response([b'(("" "/")) (("Bo&&&AO4-tes/" "/")) NIL'])
    assert len(broken.other_users) == 1  # decoded somehow, never an exception


def test_special_use_attributes_are_case_insensitive() -> None:
    assert ListedFolder("Corbeille", "/", ("\\HasNoChildren", "\\trash")).special_use == "\\Trash"
    assert ListedFolder("Trash", "/", ("\\HasNoChildren",)).special_use is None


# --- the scoping rule ---------------------------------------------------------------------------


def _folder(name: str, *attributes: str, delimiter: str | None = "/") -> ListedFolder:
    return ListedFolder(name, delimiter, attributes)


def _account(kind: MailboxKind = MailboxKind.ORG, *, address: str = BOX_ADDRESS,
             login: str = "sophie.petit@chu.example.fr") -> Account:
    return Account(address=address, kind=kind, login=login, imap=IMAP, smtp=SMTP)


DOVECOT = Namespaces(personal=(Namespace("", "/"),), other_users=(Namespace("Partagé/", "/"),))
DOVECOT_LIST = [
    _folder("INBOX"), _folder("Sent", "\\Sent"), _folder("Trash", "\\Trash"),
    _folder("Partagé", "\\Noselect", "\\HasChildren"),
    _folder(f"Partagé/{BOX_ADDRESS}", "\\HasChildren"),
    _folder(f"Partagé/{BOX_ADDRESS}/Messages supprimés"),
    _folder(f"Partagé/{BOX_ADDRESS}/Résultats/2026"),
    _folder("Partagé/autre@chu.example.fr"),
]


def _names(folders: Any) -> set[str]:
    return {f.name for f in folders}


def test_an_org_account_keeps_its_box_and_a_per_account_keeps_the_rest() -> None:
    org = scope_folders(_account(), DOVECOT_LIST, DOVECOT)
    root = f"Partagé/{BOX_ADDRESS}"
    assert _names(org.folders) == {root, f"{root}/Messages supprimés", f"{root}/Résultats/2026"}
    assert (org.root, org.inbox) == (root, root)
    personal = scope_folders(_account(MailboxKind.PER, address="sophie.petit@chu.example.fr"),
                             DOVECOT_LIST, DOVECOT)
    assert _names(personal.folders) == {"INBOX", "Sent", "Trash"}
    assert (personal.root, personal.inbox) == (None, "INBOX")


def test_who_opens_a_shared_box() -> None:
    assert opens_a_shared_box(_account())
    assert opens_a_shared_box(_account(MailboxKind.APP))
    assert not opens_a_shared_box(_account(MailboxKind.PER))
    assert not opens_a_shared_box(_account(login=BOX_ADDRESS.upper()))  # the box's own login
    assert not opens_a_shared_box(_account(login="cardiologie"))  # an operator's box login
    own = scope_folders(_account(login="cardiologie"), DOVECOT_LIST, DOVECOT)
    assert "Partagé/autre@chu.example.fr" not in _names(own.folders)


def test_a_per_account_on_a_server_without_namespace_keeps_every_folder() -> None:
    scope = scope_folders(_account(MailboxKind.PER), DOVECOT_LIST, None)
    assert _names(scope.folders) == _names(DOVECOT_LIST)


@pytest.mark.parametrize("namespaces", [None, Namespaces(personal=(Namespace("", "/"),)),
                                        Namespaces(other_users=(Namespace("", "/"),))],
                         ids=["no-namespace-capability", "nil-other-and-shared", "empty-prefix"])
def test_no_shared_namespace_is_an_error_never_the_personal_folders(
        namespaces: Namespaces | None) -> None:
    with pytest.raises(SharedBoxNotFound) as caught:
        scope_folders(_account(), DOVECOT_LIST, namespaces)
    text = caught.value.text("fr")
    assert f"« {BOX_ADDRESS} » n'est pas partagée avec l'identifiant" in text
    assert "sophie.petit@chu.example.fr" in text and "Rien n'a été synchronisé" in text
    if namespaces is None:
        assert "NAMESPACE" in text


def test_lookalike_folders_are_not_the_box() -> None:
    """Only a whole component naming the box counts: not a longer address, not a personal folder
    that happens to bear its name, not a folder deeper in the tree."""
    listed = [_folder("INBOX"), _folder(BOX_ADDRESS), _folder(f"Archives/Partagé/{BOX_ADDRESS}"),
              _folder(f"Partagé/{BOX_ADDRESS}.autre"), _folder(f"Partagé/x{BOX_ADDRESS}"),
              _folder("Partagé/cardiologie-bis@chu.example.fr"),
              _folder(f"Partagé{BOX_ADDRESS}")]
    with pytest.raises(SharedBoxNotFound):
        scope_folders(_account(), listed, DOVECOT)


def test_the_box_name_is_matched_without_case() -> None:
    listed = [_folder("INBOX"), _folder(f"Partagé/{BOX_ADDRESS.upper()}")]
    assert scope_folders(_account(), listed, DOVECOT).inbox == f"Partagé/{BOX_ADDRESS.upper()}"


def test_cyrus_dot_delimiter_local_part_and_escaped_dots() -> None:
    """Cyrus: ``INBOX.`` personal, ``user.`` other users, '.' as delimiter, a dot inside a name
    written '^', other users named by their local part; an empty shared prefix is ignored."""
    namespaces = parse_namespace_response([b'(("INBOX." ".")) (("user." ".")) (("" "."))'])
    listed = [_folder("INBOX", delimiter="."), _folder("INBOX.Sent", "\\Sent", delimiter="."),
              _folder("user.secretariat^cardio", delimiter="."),
              _folder("user.secretariat^cardio.Envoy&AOk-s", delimiter="."),
              _folder("user.secretariat", delimiter=".")]
    box = _account(address="secretariat.cardio@chu.example.fr")
    scope = scope_folders(box, listed, namespaces)
    assert _names(scope.folders) == {"user.secretariat^cardio",
                                     "user.secretariat^cardio.Envoy&AOk-s"}
    assert scope.inbox == "user.secretariat^cardio"
    per = scope_folders(_account(MailboxKind.PER), listed, namespaces)
    assert _names(per.folders) == {"INBOX", "INBOX.Sent"}


def test_domain_then_local_part_below_the_prefix() -> None:
    """Dovecot with ``prefix = shared/%%d/%%n/``: the box spans two components."""
    namespaces = Namespaces(personal=(Namespace("", "/"),),
                            other_users=(Namespace("shared/", "/"),))
    listed = [_folder("INBOX"), _folder("shared/chu.example.fr", "\\Noselect"),
              _folder("shared/chu.example.fr/cardiologie"),
              _folder("shared/chu.example.fr/cardiologie/Envoyés"),
              _folder("shared/chu.example.fr/urgences")]
    scope = scope_folders(_account(), listed, namespaces)
    assert _names(scope.folders) == {"shared/chu.example.fr/cardiologie",
                                     "shared/chu.example.fr/cardiologie/Envoyés"}


def test_a_prefix_without_its_delimiter_and_a_noselect_root_with_an_inbox() -> None:
    namespaces = Namespaces(personal=(Namespace("", "/"),),
                            other_users=(Namespace("Other Users", "/"),))
    listed = [_folder("INBOX"), _folder("Other Users", "\\Noselect"),
              _folder("Other Users/cardiologie", "\\Noselect", "\\HasChildren"),
              _folder("Other Users/cardiologie/INBOX"), _folder("Other Users/cardiologie/Sent"),
              _folder("Other Userscardiologie")]
    scope = scope_folders(_account(), listed, namespaces)
    assert scope.root == "Other Users/cardiologie"
    assert scope.inbox == "Other Users/cardiologie/INBOX"
    assert scope.names == {"Other Users/cardiologie/INBOX", "Other Users/cardiologie/Sent"}
    per = scope_folders(_account(MailboxKind.PER), listed, namespaces)
    assert _names(per.folders) == {"INBOX", "Other Userscardiologie"}


def test_a_flat_shared_namespace_and_a_non_ascii_prefix() -> None:
    flat = Namespaces(personal=(Namespace("", "/"),), shared=(Namespace("#partage-", None),))
    listed = [_folder("INBOX"), _folder(f"#partage-{BOX_ADDRESS}", delimiter=None),
              _folder("#partage-autre@chu.example.fr", delimiter=None)]
    assert _names(scope_folders(_account(), listed, flat).folders) == {f"#partage-{BOX_ADDRESS}"}
    accents = parse_namespace_response([b'(("" "/")) NIL (("Bo&AO4-tes partag&AOk-es/" "/"))'])
    listed = [_folder("INBOX"), _folder(f"Boîtes partagées/{BOX_ADDRESS}"),
              _folder(f"Boîtes partagées/{BOX_ADDRESS}/Comptes rendus d’échographie")]
    scope = scope_folders(_account(), listed, accents)
    assert scope.names == {f"Boîtes partagées/{BOX_ADDRESS}",
                           f"Boîtes partagées/{BOX_ADDRESS}/Comptes rendus d’échographie"}


def test_a_box_shown_without_any_folder_to_open_is_an_error() -> None:
    listed = [_folder("INBOX"), _folder(f"Partagé/{BOX_ADDRESS}", "\\Noselect")]
    with pytest.raises(SharedBoxNotFound):
        scope_folders(_account(), listed, DOVECOT)


def test_special_folder_is_found_by_attribute_only() -> None:
    def state(folder_id: int, name: str, use: str | None) -> FolderState:
        return FolderState(folder_id, 1, name, "/", use, None, None, None, "new")

    folders = [state(1, "Trash", None), state(2, "Corbeille", None),
               state(3, "Messages supprimés", "\\Trash"),
               state(4, "Archives/Corbeille 2025", "\\trash")]
    found = special_folder(folders, "\\Trash")
    assert found is not None and found.name == "Messages supprimés"
    assert special_folder(folders[:2], "\\Trash") is None


# --- against the sandbox ------------------------------------------------------------------------


def _root(sandbox: dict[str, Any]) -> str:
    return f"{sandbox['shared_prefix']}{BOX.address}"


def _box_folders(sandbox: dict[str, Any], client: IMAPClient) -> list[str]:
    root = _root(sandbox)
    return [n for n in selectable_folders(client) if n == root or n.startswith(root + "/")]


def _message_ids(client: IMAPClient, folder: str) -> set[str]:
    client.select_folder(folder, readonly=True)
    if not client.search(["ALL"]):
        return set()
    fetched = client.fetch("1:*", ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    return {data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().partition(":")[2].strip()
            for data in fetched.values()}


def _account_id(profile: Profile, account: Account) -> int:
    return profile.messages.account_id(account.address, account.login)


def _mirror(profile: Profile, account: Account) -> dict[str, dict[int, frozenset[str]]]:
    account_id = _account_id(profile, account)
    return {f.name: profile.messages.server_uids(f.id)
            for f in profile.messages.folders(account_id)}


@pytest.fixture
def org_profiles(sandbox: dict[str, Any],
                 tmp_path: Path) -> Iterator[list[tuple[world.Person, Profile, Account]]]:
    """The ORG box configured in two profiles, one per member nurse, each with her own login."""
    opened = []
    for nurse in NURSES:
        profile, account = new_profile(tmp_path, sandbox, nurse, address=BOX.address,
                                       kind=MailboxKind.ORG)
        opened.append((nurse, profile, account))
    try:
        yield opened
    finally:
        for _nurse, profile, _account in opened:
            profile.close()


@pytest.mark.sandbox
def test_two_nurses_mirror_the_org_box_and_none_of_their_own_mail(
        sandbox: dict[str, Any], org_profiles: list[tuple[world.Person, Profile, Account]]) -> None:
    assert len({nurse.login for nurse, _p, _a in org_profiles}) == 2
    mirrors = []
    for nurse, profile, account in org_profiles:
        report = profile.sync.sync_account(account)
        assert report.inbox == _root(sandbox)
        client = imap_as(sandbox, nurse)
        try:
            box = _box_folders(sandbox, client)
            personal = [n for n in selectable_folders(client) if n not in box]
            assert _root(sandbox) in box and "INBOX" in personal and "Sent" in personal
            mirror = _mirror(profile, account)
            assert set(mirror) == set(box)  # every folder of the box, nothing else
            for folder in box:
                assert mirror[folder] == server_folder(client, folder), folder
            assert mirror[_root(sandbox)], "the seeded ORG inbox is empty"
            box_ids = set().union(*(_message_ids(client, f) for f in box))
            own_ids = set().union(*(_message_ids(client, f) for f in personal)) - box_ids
            assert own_ids, f"{nurse.login} has no mail of her own to leave out"
        finally:
            client.logout()
        stored = profile.messages.all_messages(_account_id(profile, account))
        assert {m.folder for m in stored} <= set(box)
        assert not {m.message_id for m in stored} & own_ids
        mirrors.append(mirror)
    assert mirrors[0] == mirrors[1]  # the same box, whoever opens it


@pytest.mark.sandbox
@pytest.mark.parametrize("nurse", NURSES, ids=[n.login.split("@")[0] for n in NURSES])
def test_a_nurse_per_account_holds_none_of_the_shared_box(
        sandbox: dict[str, Any], tmp_path: Path, nurse: world.Person) -> None:
    profile, account = new_profile(tmp_path, sandbox, nurse)
    with profile:
        report = profile.sync.sync_account(account)
        assert report.inbox == "INBOX"
        client = imap_as(sandbox, nurse)
        try:
            box = _box_folders(sandbox, client)
            assert box, "the nurse does not see the ORG box at all"
            box_only = set().union(*(_message_ids(client, f) for f in box)) - set().union(
                *(_message_ids(client, f) for f in selectable_folders(client) if f not in box))
            mirror = _mirror(profile, account)
            assert not any(name.startswith(sandbox["shared_prefix"]) for name in mirror)
            assert set(mirror) == {n for n in selectable_folders(client) if n not in box}
            for folder in mirror:
                assert mirror[folder] == server_folder(client, folder), folder
        finally:
            client.logout()
        stored = profile.messages.all_messages(_account_id(profile, account))
        assert box_only and not {m.message_id for m in stored} & box_only


@pytest.mark.sandbox
def test_flags_set_by_one_nurse_reach_the_other_after_a_resync(
        sandbox: dict[str, Any], org_profiles: list[tuple[world.Person, Profile, Account]]) -> None:
    """\\Seen is shared in the ORG box (no INDEXPVT): what Petit reads and flags in Estafette is
    read and flagged in Moreau's mirror once both have synced."""
    (_first, writer, writer_account), (second, reader, reader_account) = org_profiles
    root = _root(sandbox)
    mid = f"<org-flags-{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    client = imap_as(sandbox, second)
    try:
        client.append(root, simple_message("Bilan à relire en équipe", message_id=mid))
        writer.sync.sync_account(writer_account)
        reader.sync.sync_account(reader_account)
        by_mid = {m.message_id: m for m in writer.messages.all_messages(
            _account_id(writer, writer_account))}
        message = by_mid[mid]
        assert message.folder == root
        state = reader.messages.folder(_account_id(reader, reader_account), root)
        assert state is not None
        uid = message.uid
        assert uid is not None and SEEN not in reader.messages.server_uids(state.id)[uid]
        writer.messages.mark_read([message.id])
        writer.messages.mark_flagged([message.id])
        writer.sync.sync_account(writer_account)  # Petit's changes replayed on the server
        assert writer.messages.pending_changes(_account_id(writer, writer_account)) == []
        report = reader.sync.sync_account(reader_account)
        assert report.changed >= 1
        flags = reader.messages.server_uids(state.id)[uid]
        assert {SEEN, FLAGGED} <= flags
        assert local_folder(reader, reader_account, root) == server_folder(client, root)
    finally:
        client.select_folder(root)
        client.delete_messages(client.search(["HEADER", "Message-ID", mid]))
        client.expunge()
        client.logout()


@pytest.mark.sandbox
def test_a_login_the_box_is_not_shared_with_gets_a_clear_error_and_stores_nothing(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """Dr Bernard (a PER user with no right on the cardiology box) configured as that ORG box:
    her own mail must never be mirrored under the box's name."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD, address=BOX.address,
                                   kind=MailboxKind.ORG)
    with profile:
        with pytest.raises(SharedBoxNotFound) as caught:
            profile.sync.sync_account(account)
        text = caught.value.text("fr")
        assert f"« {BOX.address} » n'est pas partagée avec l'identifiant" in text
        assert world.DR_BERNARD.login in text
        account_id = _account_id(profile, account)
        assert profile.messages.folders(account_id) == []
        assert profile.messages.all_messages(account_id) == []
        assert profile.messages.quota(account_id) is None


class _QuotaSpy(ImapConnection):
    asked: ClassVar[list[str]] = []

    def quota(self, folder: str = "INBOX") -> Quota | None:
        self.asked.append(folder)
        return super().quota(folder)


def _spy_engine(profile: Profile) -> SyncEngine:
    def factory(account: Account) -> ImapConnection:
        return _QuotaSpy(endpoint=account.imap, ca_file=account.ca_file, name="spy")

    return SyncEngine(store=profile.messages, events=profile.events,
                      password_for=profile.accounts.password, connection_factory=factory)


@pytest.mark.sandbox
def test_the_org_quota_is_asked_on_the_shared_inbox_never_taken_from_the_nurse(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """GETQUOTAROOT goes to the box's own inbox. Dovecot shows another user's quota to admins
    only, so the ORG account has none — rather than the nurse's personal quota."""
    _QuotaSpy.asked = []
    nurse = NURSES[0]
    org, org_account = new_profile(tmp_path, sandbox, nurse, address=BOX.address,
                                   kind=MailboxKind.ORG)
    with org:
        report = _spy_engine(org).sync_account(org_account)
        assert _QuotaSpy.asked == [_root(sandbox)]
        assert report.quota is None and org.messages.quota(_account_id(org, org_account)) is None
    _QuotaSpy.asked = []
    per, per_account = new_profile(tmp_path, sandbox, nurse)
    with per:
        report = _spy_engine(per).sync_account(per_account)
        assert _QuotaSpy.asked == ["INBOX"]
        assert report.quota is not None and report.quota.storage_limit


@pytest.mark.sandbox
def test_queued_changes_never_leave_the_box(
        sandbox: dict[str, Any], org_profiles: list[tuple[world.Person, Profile, Account]]) -> None:
    """A move inside the box lands in the box's folder; changes queued against the nurse's own
    folders (as an ORG account that mirrored everything used to queue them) are dropped unsent."""
    nurse, profile, account = org_profiles[0]
    root = _root(sandbox)
    trash_of_box = f"{root}/Messages supprimés"
    mid = f"<org-move-{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    keep_mid = f"<org-keep-{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    own_mid = f"<own-{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    client = imap_as(sandbox, nurse)
    try:
        client.append(root, simple_message("Courrier de l'équipe à classer", message_id=mid))
        client.append(root, simple_message("Courrier de l'équipe à garder", message_id=keep_mid))
        client.append("INBOX", simple_message("Courrier personnel", message_id=own_mid))
        profile.sync.sync_account(account)
        account_id = _account_id(profile, account)
        # The box's \Trash-to-be has no attribute here (Dovecot's shared namespace): nothing is
        # a trash for this account — and certainly not the nurse's own Trash.
        assert profile.sync.special_folder(account, "\\Trash") is None
        by_mid = {m.message_id: m for m in profile.messages.all_messages(account_id)}
        keep = by_mid[keep_mid]
        profile.messages.move([by_mid[mid].id], trash_of_box)
        client.select_folder("INBOX", readonly=True)
        [own_uid] = client.search(["HEADER", "Message-ID", own_mid])
        own_validity = client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"]
        box_validity = client.folder_status(root, ["UIDVALIDITY"])[b"UIDVALIDITY"]
        legacy = [("INBOX", own_uid, own_validity, own_mid, "add_flags", FLAGGED),
                  (root, keep.uid, box_validity, keep_mid, "move", "Trash")]
        profile.database.write(lambda conn: conn.executemany(
            "INSERT INTO pending_change (account_id, folder_name, uid, uidvalidity, "
            "message_header_id, kind, argument) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(account_id, *row) for row in legacy]))
        assert len(profile.messages.pending_changes(account_id)) == 3

        report = profile.sync.sync_account(account)
        assert report.replayed == 1
        assert profile.messages.pending_changes(account_id) == []
        assert mid in _message_ids(client, trash_of_box) and mid not in _message_ids(client, root)
        assert mid not in _message_ids(client, "Trash")
        assert keep_mid in _message_ids(client, root)
        assert keep_mid not in _message_ids(client, "Trash")
        own = server_folder(client, "INBOX")[own_uid]
        assert FLAGGED not in own
        assert local_folder(profile, account, trash_of_box) == server_folder(client, trash_of_box)
    finally:
        for folder in (root, trash_of_box, "INBOX"):
            client.select_folder(folder)
            for wanted in (mid, keep_mid, own_mid):
                found = client.search(["HEADER", "Message-ID", wanted])
                if found:
                    client.delete_messages(found)
            client.expunge()
        client.logout()


@pytest.mark.sandbox
def test_special_use_is_recorded_from_attributes_not_names(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """After a sync the store holds each folder's RFC 6154 attribute as LIST gave it: a \\Sent
    named "Éléments envoyés" is \\Sent, a plain folder named "Envoyés" is nothing, and the ORG box's
    "Messages supprimés" (no attribute in Dovecot's shared namespace) is no trash either."""
    person = world.DR_BERNARD
    client = imap_as(sandbox, person)
    created = ["Éléments envoyés", "Envoyés"]
    try:
        assert b"SPECIAL-USE" in client.capabilities()
        for name in created:
            client.create_folder(name)
        attributes = {name: flags for flags, _sep, name in client.list_folders()}
        assert b"\\Sent" in attributes["Éléments envoyés"]
        profile, account = new_profile(tmp_path, sandbox, person)
        with profile:
            profile.sync.sync_account(account)
            stored = {f.name: f.special_use for f in
                      profile.messages.folders(_account_id(profile, account))}
            uses = (b"\\Sent", b"\\Drafts", b"\\Trash", b"\\Junk", b"\\Archive")
            expected = {name: next((u.decode() for u in uses if u in flags), None)
                        for name, flags in attributes.items()
                        if b"\\Noselect" not in flags and name in stored}
            assert set(expected) == set(stored)
            assert stored == expected
            assert {stored[n] for n in ("Sent", "Drafts", "Trash", "Junk", "Archive")} == {
                u.decode() for u in uses}
            assert stored["Éléments envoyés"] == "\\Sent" and stored["Envoyés"] is None
            trash = profile.sync.special_folder(account, "\\Trash")
            assert trash is not None and trash.name == "Trash"
    finally:
        for name in created:
            with contextlib.suppress(Exception):  # a folder the test may not have made
                client.delete_folder(name)
        client.logout()
    org, org_account = new_profile(tmp_path, sandbox, NURSES[0], address=BOX.address,
                                   kind=MailboxKind.ORG)
    with org:
        org.sync.sync_account(org_account)
        box = {f.name: f.special_use for f in org.messages.folders(_account_id(org, org_account))}
        assert box[f"{_root(sandbox)}/Messages supprimés"] is None
        assert set(box.values()) == {None}


@pytest.mark.sandbox
def test_an_offline_move_to_the_trash_found_by_attribute(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """Moving to the trash: the folder with the \\Trash attribute, the queued move replayed there,
    and traced as ``UID MOVE <uid> \\Trash`` (the attribute, not a name)."""
    person = world.DR_BERNARD
    client = imap_as(sandbox, person)
    source = f"Tri-{uuid.uuid4().hex[:8]}"
    mid = f"<to-trash-{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    client.create_folder(source)
    try:
        client.append(source, simple_message("Ancienne convocation", message_id=mid))
        profile, account = new_profile(tmp_path, sandbox, person)
        with profile:
            profile.sync.sync_account(account)
            trash = profile.sync.special_folder(account, "\\Trash")
            assert trash is not None and trash.special_use == "\\Trash"
            account_id = _account_id(profile, account)
            [message] = [m for m in profile.messages.all_messages(account_id)
                         if m.message_id == mid]
            profile.messages.move([message.id], trash.name)  # queued until the next pass
            assert [c.kind for c in profile.messages.pending_changes(account_id)] == ["move"]
            profile.sync.sync_account(account)
            assert profile.messages.pending_changes(account_id) == []
            assert mid in _message_ids(client, trash.name)
            assert mid not in _message_ids(client, source)
            moves = [e for e in profile.audit.entries(mailbox=account.address)
                     if e.action is AuditAction.MOVE]
            assert [(e.request, e.response) for e in moves] == [
                (f"UID MOVE {message.uid} \\Trash", "OK")]
    finally:
        client.select_folder("Trash")
        found = client.search(["HEADER", "Message-ID", mid])
        if found:
            client.delete_messages(found)
            client.expunge()
        client.close_folder()
        client.delete_folder(source)
        client.logout()


@pytest.mark.sandbox
def test_the_folder_tree_of_the_org_mirror_is_the_box_alone(
        qtbot: Any, sandbox: dict[str, Any], tmp_path: Path) -> None:
    """The store keeps the server's names; the tree shows the box's root as its inbox
    ("Boîte de réception") under the ORG group, with no personal folders group."""
    from ui.models.folder_model import FolderModel, Roles

    profile, account = new_profile(tmp_path, sandbox, NURSES[1], address=BOX.address,
                                   kind=MailboxKind.ORG)
    with profile:
        profile.sync.sync_account(account)
        account_id = _account_id(profile, account)
        counts = profile.database.call(lambda conn: folder_counts(conn, account_id))
    model = FolderModel()
    model.set_folders(counts, shared_mailbox=BOX.address, login=NURSES[1].login)
    assert model.shared_mailbox == BOX.address
    assert not model.personal_index().isValid()
    assert model.rowCount() == 1
    group = model.shared_index()
    labels = [model.index(r, 0, group).data(Roles.FULL_NAME) for r in range(model.rowCount(group))]
    assert labels[0] == _root(sandbox)
    inbox = model.inbox_index()
    assert inbox.data(Roles.SPECIAL_USE) == "INBOX" and inbox.parent() == group
    assert str(inbox.data()).startswith("Boîte de réception")
    assert {model.index(r, 0, group).data() for r in range(1, model.rowCount(group))} == {
        "Brouillons", "Messages envoyés", "Messages supprimés"}


@pytest.mark.sandbox
def test_watch_idles_on_the_box_inbox_not_the_nurses(sandbox: dict[str, Any],
                                                      tmp_path: Path) -> None:
    """An ORG account's push comes from the box: IDLE on its shared inbox, so mail delivered to
    the box (here APPENDed by the other nurse) is stored at once."""
    nurse, other = NURSES
    root = _root(sandbox)
    profile, account = new_profile(tmp_path, sandbox, nurse, address=BOX.address,
                                   kind=MailboxKind.ORG)
    watch = WatchInThread(profile, account, name="watch-org")
    mid = f"<org-push-{uuid.uuid4().hex}@test.estafette-demo.mssante.fr>"
    client = imap_as(sandbox, other)
    with profile:
        watch.start()
        try:
            watch.wait_state("idle")
            client.append(root, simple_message("Admission en cardiologie", message_id=mid))

            def stored(event: Event) -> bool:
                return (isinstance(event, MessagesStored) and event.folder == root
                        and any((d := profile.messages.get(i)) is not None
                                and d.summary.message_id == mid for i in event.message_ids))

            assert watch.wait_for(stored) <= 4  # pushed, one pass, stored: no polling
        finally:
            watch.stop()
            client.select_folder(root)
            found = client.search(["HEADER", "Message-ID", mid])
            if found:
                client.delete_messages(found)
                client.expunge()
            client.logout()
    assert not watch.thread.is_alive() and watch.failure == []


def test_an_org_box_keeps_its_sent_copy_in_the_box_not_in_the_nurse_s_sent(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """A nurse writes from the team's box with her own login: the copy is filed in the box's
    "Messages envoyés" (found by name: Dovecot marks no special use inside a shared box), where
    her colleagues see it, and never in her personal Sent."""
    import json

    from tests.integration.test_send import run_cli

    nurse, colleague = NURSES[0], NURSES[1]
    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    code, _out, err = run_cli(
        *base, "account", "add", "--address", BOX.address, "--kind", "ORG",
        "--imap", f"127.0.0.1:{sandbox['imaps']['port']}", "--imap-tls", "implicit",
        "--smtp", f"127.0.0.1:{sandbox['submission']['port']}", "--smtp-tls", "starttls",
        "--auth", "password", "--login", nurse.login, "--ca-file", sandbox["ca_file"],
        "--display-name", BOX.display_name, password=nurse.password)
    assert code == 0, err
    code, _out, err = run_cli(*base, "whitelist", "refresh", "--url", sandbox["whitelist_url"],
                              "--ca-file", sandbox["ca_file"])
    assert code == 0, err
    body = tmp_path / "body.txt"
    body.write_text("Le patient sort demain.\n")
    code, out, err = run_cli(*base, "send", "--from", BOX.address, "--to",
                             world.DR_BERNARD.login, "--subject", "Sortie du patient",
                             "--body-file", str(body), "--json")
    assert code == 0, err
    message_id = json.loads(out)["message_id"]
    sent_in_box = f"{_root(sandbox)}/Messages envoyés"
    client = imap_as(sandbox, colleague)  # what the team sees
    try:
        assert message_id in _message_ids(client, sent_in_box)
    finally:
        client.logout()
    client = imap_as(sandbox, nurse)
    try:
        personal = [f for f in selectable_folders(client)
                    if not f.startswith(sandbox["shared_prefix"])]
        for folder in personal:
            assert message_id not in _message_ids(client, folder), folder
    finally:
        client.logout()


def test_new_mail_events_name_the_org_box_s_shared_inbox_as_its_inbox(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """The window's tray announces new mail of a box's inbox: for an ORG box that is the shared
    root ("Partagé/<box>"), which the engine must say is the inbox (its name is not INBOX)."""
    from app.events import MessagesStored

    profile, account = new_profile(tmp_path, sandbox, NURSES[0], address=BOX.address,
                                   kind=MailboxKind.ORG)
    stored: list[MessagesStored] = []
    with profile:
        unsubscribe = profile.events.subscribe(MessagesStored, stored.append)
        try:
            profile.sync.sync_account(account)
        finally:
            unsubscribe()
    root = _root(sandbox)
    assert any(e.folder == root for e in stored), "the seeded shared inbox stored nothing"
    for event in stored:
        assert event.inbox == (event.folder == root), event.folder


@pytest.mark.parametrize("raw", [b"&ZZZ-", b"&Z-", b"&____-", b"&2D0-", b"&3AA-", b"&Jjo!",
                                 b"caf\xc3\xa9", b"&AAA-", b"&AAoA-", b""])
def test_a_hostile_folder_name_is_left_out_not_fatal(raw: bytes) -> None:
    """Names a hostile server could send (bad base64, lone surrogates, raw 8-bit, control
    characters, empty): scripted here because Dovecot refuses to create such names. The rest
    of the listing survives; the bad one is counted, never stored."""
    from app.protocols.imap.connection import folder_name, listed_folders

    assert folder_name(raw) is None
    folders, skipped = listed_folders([
        ((b"\\HasNoChildren",), b"/", b"INBOX"),
        ((b"\\HasNoChildren",), b"/", raw),
        ((b"\\HasNoChildren", b"\\Sent"), b"/", b"&AMk-l&AOk-ments envoy&AOk-s"),
        ((), b"/", 2026),  # a numeric name the parser made an int
    ])
    assert [f.name for f in folders] == ["INBOX", "Éléments envoyés", "2026"]
    assert folders[1].special_use == "\\Sent"
    assert skipped == 1


def test_a_real_listing_round_trips_every_name(sandbox: dict[str, Any]) -> None:
    """Against Dovecot: the raw-then-decoded listing equals imapclient's own decoding, so valid
    names (the box's "Messages envoyés"…) are all kept."""
    client = imap_as(sandbox, NURSES[0])
    try:
        expected = sorted(name for _f, _d, name in client.list_folders())
    finally:
        client.logout()
    connection = ImapConnection(endpoint=Endpoint("127.0.0.1", int(sandbox["imaps"]["port"]),
                                                  TlsMode.IMPLICIT),
                                ca_file=sandbox["ca_file"], timeout=20)
    try:
        connection.connect()
        connection.login(NURSES[0].login, NURSES[0].password)
        names = sorted(f.name for f in connection.list_folders())
        assert connection.skipped_folder_names == 0
    finally:
        connection.close()
    assert names == expected
    assert any(name.endswith("Messages envoyés") for name in names)
