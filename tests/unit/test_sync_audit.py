"""What the sync engine puts in the audit trail (ECO.4.1.1–2): the login mechanism, the server's
bare status, UID commands with folders as ``#id`` or special use — never a name or a keyword."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction, check_request, check_response
from app.errors import AuthenticationError
from app.services.sync_engine import login_request, refusal_status
from app.store.message_store import FolderInfo, PendingChange

ACCOUNT = Account(
    address="jean.martin@rivoli.mssante.fr",
    kind=MailboxKind.PER,
    login="jmartin",
    imap=Endpoint("imap.rivoli.fr", 993, TlsMode.IMPLICIT),
    smtp=Endpoint("smtp.rivoli.fr", 587, TlsMode.STARTTLS),
)


class Capabilities:
    def __init__(self, *names: str) -> None:
        self._names = set(names)

    def has(self, name: str) -> bool:
        return name in self._names


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT, password="x")
        yield opened


def test_login_request_names_the_mechanism_only() -> None:
    """ECO.4.1.1: a login is traced as the request sent: its mechanism, never a credential."""
    assert login_request(ACCOUNT) == "LOGIN"
    for auth, expected in ((AuthMethod.PSC, "AUTHENTICATE XOAUTH2"),
                           (AuthMethod.CERTIFICATE, "AUTHENTICATE EXTERNAL")):
        account = Account(address=ACCOUNT.address, kind=ACCOUNT.kind, login=ACCOUNT.login,
                          imap=ACCOUNT.imap, smtp=ACCOUNT.smtp, auth=auth)
        assert check_request(login_request(account)) == expected


def test_refusal_status_keeps_the_status_and_code_only() -> None:
    """ECO.4.1.1: a refusal is traced with the server's status and code; ECO.4.1.2: never its
    free text, which may name a patient or a folder."""
    try:
        try:
            raise RuntimeError("b'[AUTHENTICATIONFAILED] Authentication failed for Dupont.'")
        except RuntimeError as inner:
            raise AuthenticationError() from inner
    except AuthenticationError as exc:
        assert refusal_status(exc) == "NO [AUTHENTICATIONFAILED]"
    assert refusal_status(RuntimeError("UID command error: BAD [b'Error in IMAP command']")) \
        == "BAD"
    assert refusal_status(RuntimeError("Mailbox Patients/Dupont doesn't exist")) == "NO"
    for status in ("NO [AUTHENTICATIONFAILED]", "BAD", "NO"):
        assert check_response(status) == status


def test_replayed_changes_as_audit_requests(profile: Profile) -> None:
    """ECO.4.1.1: replayed read, flag, delete and move are traced as the UID commands sent;
    ECO.4.1.2: folders as ``#id`` or special use, user keywords left out."""
    store = profile.messages
    account_id = store.account_id(ACCOUNT.address, ACCOUNT.login)
    folders = {f.name: f for f in store.replace_folders(account_id, [
        FolderInfo("INBOX", "/", None), FolderInfo("Corbeille", "/", "\\Trash"),
        FolderInfo("Patients/Dupont Jeanne", "/", None)])}

    def change(kind: str, argument: str) -> PendingChange:
        return PendingChange(id=1, account_id=account_id, folder_name="INBOX", uid=7,
                             uidvalidity=1, message_header_id=None, kind=kind,
                             argument=argument, attempts=0)

    def requests(kind: str, argument: str, *caps: str) -> list[tuple[AuditAction, str]]:
        found = profile.sync._change_requests(Capabilities(*caps), account_id,  # type: ignore[arg-type]
                                              change(kind, argument), 7)
        for _action, request in found:
            check_request(request)  # every one is accepted by the trail
        return found

    # \Seen sent to the server is a flag change; the reading was traced when it was shown.
    assert requests("add_flags", "\\Seen") == [
        (AuditAction.FLAG, "UID STORE 7 +FLAGS.SILENT (\\Seen)")]
    assert requests("remove_flags", "\\Seen") == [
        (AuditAction.FLAG, "UID STORE 7 -FLAGS.SILENT (\\Seen)")]
    # A user keyword is free text: left out of the trace.
    assert requests("add_flags", "\\Flagged Dupont-urgent") == [
        (AuditAction.FLAG, "UID STORE 7 +FLAGS.SILENT (\\Flagged)")]
    assert requests("delete", "", "UIDPLUS") == [
        (AuditAction.DELETE, "UID STORE 7 +FLAGS.SILENT (\\Deleted)"),
        (AuditAction.DELETE, "UID EXPUNGE 7")]
    assert requests("delete", "")[1] == (AuditAction.DELETE, "EXPUNGE")
    assert requests("move", "Corbeille", "MOVE") == [(AuditAction.MOVE, "UID MOVE 7 \\Trash")]
    dupont = folders["Patients/Dupont Jeanne"].id
    assert requests("move", "Patients/Dupont Jeanne", "MOVE") == [
        (AuditAction.MOVE, f"UID MOVE 7 #{dupont}")]
    assert requests("move", "Patients/Dupont Jeanne") == [
        (AuditAction.MOVE, f"UID COPY 7 #{dupont}")]
