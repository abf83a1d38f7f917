"""After a sync against the sandbox: text inside attached documents is searchable (issue 3 item
1), the sync is in the audit trail (ECO.4.1.1–2) and patient conversations come from the Sent
folder (spec §5, ECO.2.2.6/ECO.2.2.8)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from app.domain.audit import AuditAction, AuditFailure, AuditOutcome
from app.domain.conversation import ConversationState
from app.errors import AuthenticationError
from app.store.conversation_store import ConversationStore
from tests.integration.sync_helpers import (
    imap_as,
    new_profile,
    scratch_folder,
    simple_message,
)
from tests.sandbox import demo_world as world

pytestmark = pytest.mark.sandbox
DURAND = world.PATIENTS[0]


def _seed_id(key: str) -> str:
    """The start of a seeded message's Message-ID (tests.sandbox.seed_messages._message_id)."""
    return "<" + uuid.uuid5(uuid.NAMESPACE_URL, "estafette-seed:" + key).hex[:16] + "@"


def test_martin_sync_indexes_documents_and_builds_the_patient_conversation(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """ECO.2.2.8: the seeded exchange closed by ``X-MSS-MES: FIN`` in Sent is one closed
    conversation; ECO.4.1.1: the sync's login is traced with its request, answer and author."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_MARTIN)
    with profile:
        profile.sync.sync_account(account)
        profile.documents.wait_idle(timeout=120)
        # Conversations are worked out on the receipt runner's thread, after the pass.
        profile.incoming.wait_idle(timeout=120)
        # "Kaliémie" and "hyperaldostéronisme" are only inside the CDA/PDF of the Durand lab
        # report's IHE_XDM.ZIP (and its PDF); "Créatinine" only in the PDF of the plain lab
        # result: none is in a subject, a body or a file name.
        for word in ("kaliemie", "hyperaldostéronisme", "créatinine"):
            found = profile.messages.search(word)
            assert found, word
            assert all(m.has_attachments for m in found)
        (xdm,) = [m for m in profile.messages.search("kaliémie") if m.folder == "INBOX"]
        assert xdm.is_xdm
        # Everything with a document was looked at; nothing is left for a next run.
        assert profile.messages.messages_needing_documents() == []

        # The seeded exchange with Mme Durand: opened by Dr Martin's message (Sent), closed by
        # his X-MSS-MES: FIN message.
        store = ConversationStore(database=profile.database)
        durand = [c for c in store.all(account.address)
                  if c.patient_address.comparison_key == DURAND.address.casefold()]
        assert durand, "no conversation with Mme Durand after the sync"
        fin, first = _seed_id("patient-durand-fin"), _seed_id("patient-durand")
        seeded = [c for c in durand if any(m.startswith(fin) for m in c.message_ids)]
        assert len(seeded) == 1
        assert seeded[0].state is ConversationState.CLOSED
        assert not seeded[0].patient_initiated
        # The first message (synced after the closing one: newest first) joined the same one.
        assert any(m.startswith(first) for m in seeded[0].message_ids)
        assert _seed_id("patient-durand-re") in " ".join(seeded[0].message_ids)

        # The login of the sync is traced: mechanism and the server's status.
        logins = [e for e in profile.audit.entries(mailbox=account.address)
                  if e.action is AuditAction.LOGIN]
        assert logins and logins[-1].request == "LOGIN" and logins[-1].response == "OK"
        assert logins[-1].actor.login == account.login


def _audit_csv(profile: Any) -> str:
    out = io.StringIO()
    profile.audit.export_csv(out)
    return out.getvalue()


def test_replayed_read_delete_move_are_audited_without_content(
        sandbox: dict[str, Any], tmp_path: Path) -> None:
    """ECO.4.1.1–2: per mailbox and person, the UID command sent and the server's answer;
    never a subject, a body, a file name or a folder name."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    client: IMAPClient = imap_as(sandbox, world.DR_BERNARD)
    try:
        source = scratch_folder(client, "Audit")
        target = scratch_folder(client, "Rangement")
        subjects = ("Lettre lue confidentielle", "Lettre supprimée confidentielle",
                    "Lettre rangée confidentielle")
        for subject in subjects:
            client.append(source, simple_message(subject, "Corps très secret du courrier."))
        with profile:
            profile.sync.sync_account(account)
            account_id = profile.messages.account_id(account.address, account.login)
            src = profile.messages.folder(account_id, source)
            dst = profile.messages.folder(account_id, target)
            assert src is not None and dst is not None
            ids = {m.subject: m.id for m in profile.messages.list_folder(src.id)}
            profile.messages.mark_read([ids[subjects[0]]])
            profile.messages.delete([ids[subjects[1]]])
            profile.messages.move([ids[subjects[2]]], target)
            report = profile.sync.sync_account(account)
            assert report.replayed == 3

            entries = profile.audit.entries(mailbox=account.address)
            by_action = {a: [e for e in entries if e.action is a]
                         for a in (AuditAction.FLAG, AuditAction.DELETE, AuditAction.MOVE)}
            # mark_read is not a reading (nothing was shown): the \Seen STORE is a flag change.
            (read,) = by_action[AuditAction.FLAG]
            assert read.request is not None and read.request.startswith("UID STORE ")
            assert read.request.endswith("+FLAGS.SILENT (\\Seen)") and read.response == "OK"
            deletes = [e.request or "" for e in by_action[AuditAction.DELETE]]
            assert any(r.endswith("+FLAGS.SILENT (\\Deleted)") for r in deletes)
            assert any(r.startswith("UID EXPUNGE ") or r == "EXPUNGE" for r in deletes)
            assert all(e.response == "OK" for e in by_action[AuditAction.DELETE])
            (move,) = by_action[AuditAction.MOVE]
            assert move.request == f"UID MOVE {move.request.split()[2]} #{dst.id}"
            assert move.response == "OK" and move.outcome is AuditOutcome.SUCCESS
            assert all(e.actor.login == account.login for e in entries)

            exported = _audit_csv(profile)
            for secret in (*subjects, "Corps très secret", source, target, "confidentielle"):
                assert secret not in exported
    finally:
        client.logout()


def test_wrong_password_is_a_failed_login_in_the_trail(sandbox: dict[str, Any],
                                                       tmp_path: Path) -> None:
    """ECO.4.1.1: a refused login is traced as a failure with its request and the answer."""
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        profile.accounts.remove(account.address)
        profile.accounts.add(account, password="mauvais")
        with pytest.raises(AuthenticationError):
            profile.sync.sync_account(account)
        (entry,) = [e for e in profile.audit.entries(mailbox=account.address)
                    if e.action is AuditAction.LOGIN]
        assert entry.outcome is AuditOutcome.FAILURE
        assert entry.failure is AuditFailure.AUTHENTICATION
        assert entry.request == "LOGIN"
        assert entry.response is not None and entry.response.startswith("NO")
        assert "mauvais" not in _audit_csv(profile)


def test_cli_sync_then_search_inside_documents_and_export_the_trail(
        sandbox: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``estafette sync`` waits for the document indexer before it ends; ``estafette audit
    export`` has the login with its verb and status (ECO.4.1.1) and no content (ECO.4.1.2)."""
    import json

    from app.cli import main

    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    imap = sandbox["imap"]
    monkeypatch.setenv("ESTAFETTE_PASSWORD", world.DR_MARTIN.password)
    assert main([*base, "account", "add", "--address", world.DR_MARTIN.login, "--kind", "PER",
                 "--imap", f"{imap['host']}:{imap['port']}", "--imap-tls", "starttls",
                 "--smtp", "127.0.0.1:25", "--smtp-tls", "starttls", "--auth", "password",
                 "--login", world.DR_MARTIN.login, "--ca-file", sandbox["ca_file"]]) == 0
    assert main([*base, "sync", "--once"]) == 0
    capsys.readouterr()
    assert main([*base, "search", "hyperaldostéronisme", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert any(r["folder"] == "INBOX" and "bioval" in r["from"].lower() for r in found)
    assert main([*base, "audit", "export"]) == 0
    exported = capsys.readouterr().out
    assert "connexion" in exported and ";LOGIN;OK;" in exported
    for content in ("Kaliémie", "DURAND", "IHE_XDM.ZIP", "Vos résultats d'analyses"):
        assert content not in exported
