"""The audit trail (ECO.4.1.1–2): typed entries without content, append-only encrypted storage,
six-month retention, CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.composition import Profile, open_profile
from app.domain.audit import (
    AuditAction,
    AuditActor,
    AuditContentError,
    AuditEntry,
    AuditFailure,
    AuditOutcome,
    check_request,
    check_response,
    recipients_summary,
    retention_cutoff,
)
from app.errors import AuthenticationError, InvalidInputError, ServerUnreachableError
from app.services.audit_service import (
    CSV_HEADERS,
    AuditService,
    csv_cell,
    failure_from_exception,
    parse_day,
)
from app.store.audit_store import AuditStore
from app.store.database import DatabaseError

MAILBOX = "secretariat@clinique.mssante.fr"
ACTOR = AuditActor("secretariat", "810000000001")
PARIS = timezone(timedelta(hours=1))


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


def _entry(**changes: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "mailbox": MAILBOX,
        "actor": ACTOR,
        "action": AuditAction.DELETE,
        "occurred_at": datetime.now(PARIS),
        "request": "UID STORE 42 +FLAGS (\\Deleted)",
        "response": "OK",
    }
    values.update(changes)
    return AuditEntry(**values)


def _clock(moment: datetime) -> Any:
    return lambda: moment


# --- no content, by construction ---------------------------------------------------------------


def test_a_subject_cannot_be_logged() -> None:
    """ECO.4.1.2: never message content. There is no field for it, and the request/response
    allow-lists refuse a subject smuggled into them."""
    with pytest.raises(TypeError):
        _entry(subject="Résultats biologie DUPONT Jean")
    with pytest.raises(AuditContentError):
        _entry(request="UID STORE 42 +FLAGS (Résultats biologie DUPONT)")
    with pytest.raises(AuditContentError):
        _entry(request="SEARCH SUBJECT \"Résultats DUPONT\"")
    with pytest.raises(AuditContentError):
        _entry(response="OK Message « Résultats DUPONT » supprimé")
    with pytest.raises(AuditContentError):
        _entry(request="UID MOVE 42 Patients/DUPONT Jean")  # a folder name may name a patient


@pytest.mark.parametrize(
    "request_text",
    [
        "UID STORE 42 +FLAGS (\\Deleted)",
        "UID STORE 1:5,9 -FLAGS.SILENT (\\Seen $MDNSent)",
        "UID MOVE 42 \\Trash",
        "UID MOVE 42 #17",
        "UID FETCH 1:* (UID FLAGS BODY.PEEK[])",
        "SELECT \\Inbox",
        "MAIL FROM:<BAL>",
        "RCPT TO ×3",
        "DATA",
        "AUTHENTICATE XOAUTH2",
        "LOGIN",
        "LOCAL EXPORT",
    ],
)
def test_protocol_requests_in_the_allow_list_pass(request_text: str) -> None:
    """ECO.4.1.1: the requests actually sent (IMAP, SMTP, local) are traced as sent."""
    assert check_request(request_text) == " ".join(request_text.split())


@pytest.mark.parametrize(
    "request_text",
    [
        "LOGIN secretariat motdepasse",  # credentials never reach the trail
        "AUTHENTICATE XOAUTH2 dXNlcj1zZWNyZXRhcmlhdA==",
        "MAIL FROM:<dr.martin@hopital.mssante.fr>",
        "RCPT TO:<279035121518989@patient.mssante.fr>",  # a patient address is their INS
        "APPEND Brouillons {1234}",
        "FROBNICATE 1",
        "",
        "UID FETCH " + "1," * 200,
    ],
)
def test_requests_outside_the_allow_list_are_refused(request_text: str) -> None:
    """ECO.4.1.2: credentials, addresses and free text never reach the trail."""
    with pytest.raises(AuditContentError):
        check_request(request_text)


@pytest.mark.parametrize("status", ["OK", "NO [TRYCREATE]", "BAD", "250", "550 5.1.1", "NONE"])
def test_bare_statuses_pass(status: str) -> None:
    """ECO.4.1.1: the server's answer is traced as its bare status."""
    assert check_response(status) == status


def test_send_keeps_recipient_count_and_domains_only() -> None:
    """ECO.4.1.1 asks to trace sends; a patient's address is their INS, so only domains stay."""
    count, domains = recipients_summary(
        ["279035121518989@patient.mssante.fr", "a@Hopital.MSSante.fr", "b@hopital.mssante.fr"]
    )
    assert (count, domains) == (3, ("hopital.mssante.fr", "patient.mssante.fr"))
    with pytest.raises(AuditContentError):
        _entry(recipient_domains=("jean.dupont@hopital.mssante.fr",))


def test_entry_rules() -> None:
    """ECO.4.1.1: an entry has a mailbox, an author id, a workstation time with its offset, and
    a failure has its reason."""
    with pytest.raises(AuditContentError):
        _entry(occurred_at=datetime(2026, 1, 1))  # naive: offset unknown
    with pytest.raises(AuditContentError):
        _entry(outcome=AuditOutcome.FAILURE)  # a failure without its reason
    with pytest.raises(AuditContentError):
        _entry(message_ref=-1)
    with pytest.raises(AuditContentError):
        AuditActor("Dr Jean Dupont <x>")
    with pytest.raises(AuditContentError):
        _entry(mailbox="pas une adresse")
    assert _entry(occurred_at=datetime(2026, 1, 1, tzinfo=PARIS)).utc_offset_minutes == 60


def test_retention_cutoff_is_six_calendar_months() -> None:
    """ECO.4.1.2: traces are kept six calendar months."""
    assert retention_cutoff(datetime(2026, 8, 31, 12, tzinfo=UTC)) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert retention_cutoff(datetime(2026, 3, 15, tzinfo=UTC)) == datetime(2025, 9, 15, tzinfo=UTC)


def test_failure_reasons_come_from_a_closed_list() -> None:
    """ECO.4.1.1: a failure is traced with its reason; ECO.4.1.2: from a closed list, never an
    exception's text."""
    assert failure_from_exception(AuthenticationError()) is AuditFailure.AUTHENTICATION
    assert failure_from_exception(ServerUnreachableError()) is AuditFailure.NETWORK
    assert failure_from_exception(ConnectionResetError()) is AuditFailure.NETWORK
    assert failure_from_exception(TimeoutError()) is AuditFailure.TIMEOUT
    assert failure_from_exception(KeyError("Résultats DUPONT")) is AuditFailure.LOCAL_ERROR


# --- the encrypted, append-only store ----------------------------------------------------------


def test_record_and_read_back(profile: Profile) -> None:
    """ECO.4.1.1: mailbox, authenticated person, workstation time, action, request and answer."""
    when = datetime(2026, 11, 22, 10, 30, 15, 123000, tzinfo=PARIS)
    service = AuditService(store=AuditStore(database=profile.database), clock=_clock(when))
    sent = service.record(
        mailbox=MAILBOX,
        actor=ACTOR,
        action=AuditAction.SEND,
        request="RCPT TO ×2",
        response="550 5.1.1",
        failure=AuditFailure.RECIPIENT_REFUSED,
        recipients=["279035121518989@patient.mssante.fr", "b@hopital.mssante.fr"],
    )
    assert sent.id is not None
    (back,) = profile.audit.entries()
    assert back == sent
    assert back.occurred_at == when and back.utc_offset_minutes == 60
    assert back.outcome is AuditOutcome.FAILURE
    assert back.recipient_count == 2
    assert back.recipient_domains == ("hopital.mssante.fr", "patient.mssante.fr")


def test_the_trail_is_append_only(profile: Profile) -> None:
    """ECO.4.1.2: traces are kept: no update, and no delete before six months."""
    profile.audit.append(_entry())
    with pytest.raises(DatabaseError, match="append-only"):
        profile.database.write(lambda c: c.execute("UPDATE audit_event SET action = 'read'"))
    with pytest.raises(DatabaseError, match="six months"):
        profile.database.write(lambda c: c.execute("DELETE FROM audit_event"))
    assert profile.audit.entries()[0].action is AuditAction.DELETE


def test_retention_purge_on_open_and_on_demand(tmp_path: Path) -> None:
    """ECO.4.1.2: traces are kept six months; older ones go at the next open."""
    now = datetime.now(UTC)
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.audit.append(_entry(occurred_at=now - timedelta(days=200)))
        profile.audit.append(_entry(occurred_at=now - timedelta(days=150)))
        profile.audit.append(_entry(occurred_at=now))
        assert len(profile.audit.entries()) == 3
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        kept = profile.audit.entries()
        assert [e.occurred_at.date() for e in kept] == [
            (now - timedelta(days=150)).date(),
            now.date(),
        ]
        # A purge asked with a clock set in the future cannot remove recent entries: the
        # table's trigger only lets entries older than six months go.
        with pytest.raises(DatabaseError):
            profile.audit.purge_expired(now + timedelta(days=400))
        assert profile.audit.purge_expired() == 0
        assert len(profile.audit.entries()) == 2


def test_nothing_of_the_trail_is_readable_on_disk(profile: Profile) -> None:
    profile.audit.append(_entry(mailbox="marqueur.unique@clinique.mssante.fr"))
    profile.database.call(lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    for path in profile.profile_dir.iterdir():
        assert b"marqueur.unique" not in path.read_bytes(), path.name


# --- CSV export --------------------------------------------------------------------------------


def test_csv_cells_cannot_become_formulas() -> None:
    assert csv_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert csv_cell("+33") == "'+33"
    assert csv_cell("-FLAGS") == "'-FLAGS"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("OK") == "OK"
    assert csv_cell(None) == ""


def test_export_csv(profile: Profile) -> None:
    profile.audit.append(_entry(occurred_at=datetime(2026, 11, 1, 9, 0, tzinfo=PARIS)))
    profile.audit.append(
        _entry(
            occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=PARIS),
            action=AuditAction.READ,
            request="UID STORE 7 -FLAGS (\\Seen)",
        )
    )
    out = io.StringIO()
    assert profile.audit.export_csv(out, since=date(2026, 11, 2)) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert tuple(rows[0]) == CSV_HEADERS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Horodatage (UTC)"] == "2026-11-20T08:00:00.000Z"
    assert row["Heure locale du poste"] == "2026-11-20 09:00:00"
    assert row["Décalage horaire"] == "UTC+01:00"
    assert row["Action"] == "lecture"
    assert row["Requête au serveur"] == "UID STORE 7 -FLAGS (\\Seen)"
    assert row["Résultat"] == "succès"
    assert row["Identifiant national"] == "810000000001"


def test_cli_audit_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.audit.append(_entry())
    assert cli.main([*base, "audit", "export"]) == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("Horodatage (UTC);") and "suppression" in stdout
    target = tmp_path / "audit.csv"
    assert cli.main([*base, "audit", "export", "--since", "2020-01-01", "--csv", str(target)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfHorodatage") and b"suppression" in data
    assert target.stat().st_mode & 0o077 == 0
    assert cli.main([*base, "audit", "export", "--since", "22/11/2026"]) == 1
    assert "AAAA-MM-JJ" in capsys.readouterr().err


def test_parse_day() -> None:
    assert parse_day("2026-11-02") == date(2026, 11, 2)
    with pytest.raises(InvalidInputError):
        parse_day("hier")


def test_audit_migration_upgrades_an_existing_store(tmp_path: Path) -> None:
    """A store created before the audit table gets it on the next open, data kept."""
    from app.store.database import open_connection
    from app.store.migrations import load_migrations

    migrations = load_migrations()
    audit_version = next(m.version for m in migrations if m.name == "audit")
    key = bytes(range(32))
    path = tmp_path / "old.db"
    before = [m for m in migrations if m.version < audit_version]
    older = open_connection(path, key, migrations=before)
    older.execute("CREATE TABLE marker (x)")
    older.close()
    conn = open_connection(path, key, migrations=migrations)
    try:
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM marker").fetchone()[0] == 0
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert {"audit_event_no_update", "audit_event_no_early_delete"} <= names
    finally:
        conn.close()
