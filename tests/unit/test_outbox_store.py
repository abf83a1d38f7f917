"""The durable outbox and its service, without servers: a scripted submitter and Sent folder.

The scripted submitter stands in for SMTP only here; tests/integration/test_send.py runs the same
paths against the sandbox's Postfix and Dovecot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction, AuditFailure, AuditOutcome
from app.domain.outgoing import (
    Attachment,
    OutboxState,
    RecipientKind,
    RecipientStatus,
    SendRefusedError,
    SentFiling,
)
from app.executors import database_executor
from app.protocols.smtp.submission import (
    RecipientOutcome,
    SmtpAuthError,
    SmtpUnreachableError,
    SubmissionOutcome,
)
from app.services.audit_service import AuditService
from app.services.outbox_service import OutboxService, SendRequest
from app.services.whitelist_service import WhitelistService
from app.store.account_store import AccountStore, InMemorySecretStore
from app.store.audit_store import AuditStore
from app.store.database import Database
from app.store.outbox_store import (
    DraftStore,
    OutboxStore,
    SendSettings,
    SendSettingsStore,
    SettingStore,
)
from app.store.whitelist_store import WhitelistStore
from tests.sandbox import whitelist_file

SENDER = "jean.martin@cabinet-rivoli.estafette-demo.mssante.fr"
BERNARD = "claire.bernard@cabinet-croix-rousse.estafette-demo.mssante.fr"
PETIT = "sophie.petit@chu-lumiere.estafette-demo.mssante.fr"
UNKNOWN = "inconnu@cabinet-croix-rousse.estafette-demo.mssante.fr"
PATIENT = "275036912304584@patient.mssante.fr"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedSubmitter:
    """Answers like a server would, per recipient; ``fail_with`` raises before RCPT."""

    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    fail_with: Exception | None = None
    calls: list[tuple[str, ...]] = field(default_factory=list)

    async def submit(
        self,
        *,
        envelope_from: str,
        recipients: Sequence[str],
        data: bytes,
        message_id: str,
        request_dsn: bool = True,
        eight_bit: bool = False,
        on_rcpt_done: Callable[[tuple[RecipientOutcome, ...]], Awaitable[None]] | None = None,
        on_end_of_data: Callable[[], Awaitable[None]] | None = None,
    ) -> SubmissionOutcome:
        self.calls.append(tuple(recipients))
        if self.fail_with is not None:
            raise self.fail_with
        outcomes = tuple(
            RecipientOutcome(r, *self.refuse.get(r, (250, "2.1.5 Ok"))) for r in recipients
        )
        if on_rcpt_done is not None:
            await on_rcpt_done(outcomes)
        if not any(o.accepted for o in outcomes):
            return SubmissionOutcome(outcomes, None, "", None, True)
        if on_end_of_data is not None:
            await on_end_of_data()
        return SubmissionOutcome(outcomes, 250, "2.0.0 Ok: queued as ABC123", "ABC123", True)


@dataclass
class FakeSent:
    message_ids: set[str] = field(default_factory=set)
    appended: list[bytes] = field(default_factory=list)

    async def contains(self, account: Account, message_id: str) -> bool:
        return message_id in self.message_ids

    async def append(self, account: Account, raw: bytes) -> None:
        self.appended.append(raw)
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                self.message_ids.add(line.split(b":", 1)[1].strip().decode())


@dataclass
class World:
    db: Database
    outbox: OutboxService
    store: OutboxStore
    whitelist: WhitelistService
    whitelist_store: WhitelistStore
    submitter: ScriptedSubmitter
    sent: FakeSent
    clock: Clock
    settings: SendSettingsStore
    dead_owners: set[str]
    audit: AuditService


def _account(display_name: str | None = "Dr Jean MARTIN") -> Account:
    return Account(
        address=SENDER,
        kind=MailboxKind.PER,
        login=SENDER,
        imap=Endpoint("127.0.0.1", 993, TlsMode.IMPLICIT),
        smtp=Endpoint("127.0.0.1", 587, TlsMode.STARTTLS),
        auth=AuthMethod.PASSWORD,
        display_name=display_name,
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    executor = database_executor()
    db = Database.open(tmp_path / "store.db", os.urandom(32), executor=executor)
    accounts = AccountStore(database=db, secrets=InMemorySecretStore())
    accounts.add(_account(), password="secret")
    settings = SettingStore(database=db)
    clock = Clock()
    wl_store = WhitelistStore(database=db)
    audit = AuditService(store=AuditStore(database=db))
    whitelist = WhitelistService(store=wl_store, settings=settings, clock=clock, audit=audit)
    generated = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    xml = whitelist_file.build_xml(
        whitelist_file.sandbox_domains("CN=test", generated), generated
    )
    whitelist.refresh_from_bytes(xml, whitelist_file.checksum(xml), source="test")
    submitter = ScriptedSubmitter()
    sent = FakeSent()
    store = OutboxStore(database=db)
    send_settings = SendSettingsStore(settings=settings)
    dead: set[str] = set()
    outbox = OutboxService(
        store=store,
        drafts=DraftStore(database=db),
        send_settings=send_settings,
        accounts=accounts,
        whitelist=whitelist,
        submitter_factory=lambda account, password: submitter,
        sent_probe=sent.contains,
        sent_filer=sent.append,
        clock=clock,
        owner="this-host:1:me",
        is_owner_alive=lambda owner: owner is not None and owner not in dead,
        audit=audit,
    )
    yield World(
        db, outbox, store, whitelist, wl_store, submitter, sent, clock, send_settings, dead,
        audit,
    )
    db.close()
    executor.shutdown()


def _request(**overrides: object) -> SendRequest:
    values: dict[str, object] = {
        "from_address": SENDER,
        "to": (BERNARD,),
        "subject": "Résultats",
        "text": "Bonjour",
    }
    values.update(overrides)
    return SendRequest(**values)  # type: ignore[arg-type]


def _crash_in_submitting(w: World, item_id: int, *, end_of_data: bool) -> None:
    """What a kill -9 leaves behind: the item claimed by a process that no longer exists."""
    assert w.store.claim(
        item_id, owner="this-host:999:dead", now=w.clock(), from_states=[OutboxState.QUEUED]
    )
    w.dead_owners.add("this-host:999:dead")
    w.store.start_attempt(item_id, now=w.clock())
    if end_of_data:
        w.store.mark_end_of_data(item_id, now=w.clock())


def test_queue_submit_file_happy_path(world: World) -> None:
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    item = world.store.get(item_id)
    assert item.state is OutboxState.QUEUED
    assert [(r.address, r.kind, r.status) for r in item.recipients] == [
        (BERNARD, RecipientKind.TO, RecipientStatus.PENDING)
    ]
    result = asyncio.run(world.outbox.process(item_id))
    assert result.error is None
    assert result.item.state is OutboxState.FILED
    assert result.item.queue_id == "ABC123"
    assert result.item.recipients[0].status is RecipientStatus.ACCEPTED
    assert world.submitter.calls == [(BERNARD,)]
    assert len(world.sent.appended) == 1


def test_undo_window_holds_then_cancels(world: World) -> None:
    item_id = world.outbox.queue(_request())  # default undo window: 10 s
    assert asyncio.run(world.outbox.process(item_id)).item.state is OutboxState.QUEUED
    assert world.submitter.calls == []
    assert world.outbox.cancel(item_id)
    world.clock.now += 11
    asyncio.run(world.outbox.run_due())
    assert world.store.get(item_id).state is OutboxState.CANCELLED
    assert world.submitter.calls == []


def test_undo_window_expires_then_sends(world: World) -> None:
    item_id = world.outbox.queue(_request())
    world.clock.now += 10
    asyncio.run(world.outbox.run_due())
    assert world.store.get(item_id).state is OutboxState.FILED
    assert not world.outbox.cancel(item_id)


def test_crash_after_end_of_data_is_never_resubmitted(world: World) -> None:
    """The never-a-second-copy rule, case 2: the final dot may have reached the server."""
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    _crash_in_submitting(world, item_id, end_of_data=True)
    results = asyncio.run(world.outbox.recover())
    assert [r.item.id for r in results] == [item_id]
    item = world.store.get(item_id)
    assert world.submitter.calls == []
    assert item.state is OutboxState.FILED
    assert item.unconfirmed
    assert len(world.sent.appended) == 1


def test_crash_before_end_of_data_found_in_sent_is_not_resubmitted(world: World) -> None:
    """Case 3 with proof: the Sent folder holds the Message-ID (operator filing)."""
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    world.sent.message_ids.add(world.store.get(item_id).message_id)
    _crash_in_submitting(world, item_id, end_of_data=False)
    result = asyncio.run(world.outbox.retry(item_id))
    assert result.item.state is OutboxState.FILED
    assert "found-in-sent" in result.notes
    assert world.submitter.calls == [] and world.sent.appended == []


def test_crash_before_end_of_data_not_in_sent_is_resubmitted_once(world: World) -> None:
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    _crash_in_submitting(world, item_id, end_of_data=False)
    result = asyncio.run(world.outbox.retry(item_id))
    assert result.item.state is OutboxState.FILED
    assert "resubmitted-after-crash" in result.notes
    assert world.submitter.calls == [(BERNARD,)]
    # Running again changes nothing: filed items are left alone.
    asyncio.run(world.outbox.run_due())
    assert world.submitter.calls == [(BERNARD,)]


def test_live_owner_is_not_stolen(world: World) -> None:
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    assert world.store.claim(
        item_id, owner="this-host:42:alive", now=world.clock(), from_states=[OutboxState.QUEUED]
    )
    assert asyncio.run(world.outbox.recover()) == []
    with pytest.raises(Exception, match="autre processus"):
        asyncio.run(world.outbox.retry(item_id))
    # Compare-and-set: a second claim from the same state fails.
    assert (
        world.store.claim(
            item_id, owner="x", now=world.clock(), from_states=[OutboxState.QUEUED]
        )
        is None
    )


def test_network_error_waits_with_backoff_then_retry_succeeds(world: World) -> None:
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    world.submitter.fail_with = SmtpUnreachableError("ConnectionRefusedError")
    result = asyncio.run(world.outbox.process(item_id))
    assert result.item.state is OutboxState.RETRY_WAIT
    assert result.item.not_before == world.clock() + 30
    assert result.error is not None and result.error.exit_code == 3
    world.submitter.fail_with = None
    # Not before its time...
    assert asyncio.run(world.outbox.process(item_id)).item.state is OutboxState.RETRY_WAIT
    world.clock.now += 30
    assert asyncio.run(world.outbox.process(item_id)).item.state is OutboxState.FILED
    assert len(world.submitter.calls) == 2


def test_permanent_failure_for_one_recipient_of_three(world: World) -> None:
    world.submitter.refuse[UNKNOWN] = (550, "5.1.1 User unknown")
    item_id = world.outbox.queue(_request(to=(BERNARD, UNKNOWN), cc=(PETIT,)), undo_seconds=0)
    item = asyncio.run(world.outbox.process(item_id)).item
    statuses = {r.address: r.status for r in item.recipients}
    assert statuses == {
        BERNARD: RecipientStatus.ACCEPTED,
        UNKNOWN: RecipientStatus.FAILED,
        PETIT: RecipientStatus.ACCEPTED,
    }
    assert item.state is OutboxState.FILED
    assert [r.code for r in item.recipients if r.address == UNKNOWN] == [550]


def test_deferred_recipient_is_retried_alone(world: World) -> None:
    world.submitter.refuse[PETIT] = (450, "4.2.1 Mailbox busy")
    item_id = world.outbox.queue(_request(to=(BERNARD, PETIT)), undo_seconds=0)
    item = asyncio.run(world.outbox.process(item_id)).item
    assert item.state is OutboxState.RETRY_WAIT
    del world.submitter.refuse[PETIT]
    item = asyncio.run(world.outbox.retry(item_id)).item
    assert world.submitter.calls == [(BERNARD, PETIT), (PETIT,)]
    assert item.state is OutboxState.FILED
    assert len(world.sent.appended) == 1  # filed once


def test_operator_filing_skips_append(world: World) -> None:
    world.settings.set(SENDER, SendSettings(sent_filing=SentFiling.OPERATOR))
    item_id = world.outbox.queue(_request(), undo_seconds=0)
    assert asyncio.run(world.outbox.process(item_id)).item.state is OutboxState.FILED
    assert world.sent.appended == []


@pytest.mark.parametrize(
    "address",
    [
        "x@sub.cabinet-rivoli.estafette-demo.mssante.fr",  # sub-domain of a listed one
        "x@cabinet-rivоli.estafette-demo.mssante.fr",  # Cyrillic о
        "X@EVIL.MSSANTE.FR",  # upper case, not listed
        "x@evil.mssante.fr.",  # trailing dot, not listed
        "x@gmail.com",
        "123@patient.mssante.fr",  # not an INS
    ],
)
def test_recipients_outside_the_whitelist_are_blocked_before_queueing(
    world: World, address: str
) -> None:
    with pytest.raises(SendRefusedError, match="hors de la liste blanche"):
        world.outbox.queue(_request(to=(BERNARD, address)), undo_seconds=0)
    assert world.store.items() == []


def test_confirmed_exception_needs_the_admin_setting_and_is_audited(world: World) -> None:
    """Spec §1: blocked by default; an administrator setting allows an audited exception."""
    outsider = "dr.x@autre-etablissement.mssante.fr"
    with pytest.raises(SendRefusedError):
        world.outbox.queue(_request(to=(outsider,), confirmed_exceptions=(outsider,)))
    world.whitelist.set_exceptions_allowed(True)
    with pytest.raises(SendRefusedError):  # allowed, but this address was not confirmed
        world.outbox.queue(_request(to=(outsider,)))
    item_id = world.outbox.queue(_request(to=(outsider,), confirmed_exceptions=(outsider,)))
    audit = [e for e in world.audit.entries() if e.action is AuditAction.WHITELIST_EXCEPTION]
    # The trail keeps the recipient's domain, never the full address (app.domain.audit).
    assert [(a.mailbox, a.message_ref, a.recipient_count, a.recipient_domains) for a in audit] == [
        (SENDER, item_id, 1, ("autre-etablissement.mssante.fr",))
    ]
    # A look-alike is never an exception, confirmed or not.
    lookalike = "x@cabinet-rivоli.estafette-demo.mssante.fr"
    with pytest.raises(SendRefusedError):
        world.outbox.queue(_request(to=(lookalike,), confirmed_exceptions=(lookalike,)))


def test_upper_case_and_trailing_dot_of_a_listed_domain_are_the_same_domain(
    world: World,
) -> None:
    item_id = world.outbox.queue(
        _request(to=("Claire.Bernard@CABINET-CROIX-ROUSSE.ESTAFETTE-DEMO.MSSANTE.FR.",)),
        undo_seconds=0,
    )
    assert [r.address for r in world.store.get(item_id).recipients] == [
        "Claire.Bernard@cabinet-croix-rousse.estafette-demo.mssante.fr"
    ]


def test_patient_with_valid_ins_is_allowed(world: World) -> None:
    """ECO.2.2.6: patient addresses from a valid INS matricule only."""
    item_id = world.outbox.queue(_request(to=(PATIENT,)), undo_seconds=0)
    assert world.store.get(item_id).recipients[0].address == PATIENT


def test_sender_without_display_name_is_refused(world: World, tmp_path: Path) -> None:
    """ECO.2.2.7."""
    accounts = AccountStore(database=world.db, secrets=InMemorySecretStore())
    other = Account(
        address="sans.nom@cabinet-rivoli.estafette-demo.mssante.fr",
        kind=MailboxKind.PER,
        login="sans.nom",
        imap=Endpoint("127.0.0.1", 993, TlsMode.IMPLICIT),
        smtp=Endpoint("127.0.0.1", 587, TlsMode.STARTTLS),
    )
    accounts.add(other, password="x")
    with pytest.raises(SendRefusedError, match="nom d'expéditeur"):
        world.outbox.queue(_request(from_address=other.address))


def test_size_limits_checked_before_queueing(world: World) -> None:
    world.settings.set(SENDER, SendSettings(max_message_bytes=50_000))
    big = Attachment("scan.bin", os.urandom(60_000))
    with pytest.raises(SendRefusedError, match="trop volumineux"):
        world.outbox.queue(_request(attachments=(big,)))
    assert world.store.items() == []


def test_patient_limit_is_25_mb(world: World) -> None:
    world.settings.set(SENDER, SendSettings(max_message_bytes=60_000_000))
    big = Attachment("imagerie.bin", bytes(19_000_000))  # ~25.7 MB once in base64
    with pytest.raises(SendRefusedError, match="patient"):
        world.outbox.queue(_request(to=(PATIENT,), attachments=(big,)))
    world.outbox.queue(_request(to=(BERNARD,), attachments=(big,)))


def test_drafts_are_autosaved_and_updated(world: World) -> None:
    drafts = world.outbox.drafts
    draft_id = drafts.save({"to": [BERNARD], "text": "Bonj"}, account=SENDER, now=1.0)
    assert drafts.save({"to": [BERNARD], "text": "Bonjour"}, account=SENDER, now=2.0,
                       draft_id=draft_id) == draft_id
    assert drafts.get(draft_id) == {"to": [BERNARD], "text": "Bonjour"}
    assert drafts.items() == [(draft_id, SENDER, 2.0)]
    drafts.delete(draft_id)
    assert drafts.get(draft_id) is None


@pytest.mark.parametrize(
    "data",
    [b"a\r\n.b\r\n", b".x\ny\rz", b"abc", b"a\r\nb\r\n", b"\r\n..\r\n.", b"x\r\r\n.\n", b""],
)
def test_dot_stuffing_matches_aiosmtplib(data: bytes) -> None:
    """The fast path sends exactly the bytes aiosmtplib's own DATA would send."""
    from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

    from app.protocols.smtp.submission import dot_stuffed

    assert dot_stuffed(data) == PERIOD_REGEX.sub(b"..", normalize_message_line_endings(data))
    noisy = os.urandom(3000) + data
    assert dot_stuffed(noisy) == PERIOD_REGEX.sub(b"..", normalize_message_line_endings(noisy))


# --- the command line, where no server is needed (xdm, whitelist check) ------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _demo_cda(patient_index: int) -> bytes:
    from tests.sandbox import demo_documents as docs
    from tests.sandbox import demo_world

    return docs.make_cda_level1(
        demo_world.PATIENTS[patient_index], demo_world.DR_MARTIN, code="11502-2",
        code_system=docs.LOINC, display_name="CR d'examens biologiques",
        title="Compte rendu de biologie", effective_time=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
        pdf=docs.make_pdf("CR", ["Glycémie normale"]),
    )


def test_cli_xdm_pack_then_inspect(tmp_path: Path) -> None:
    """ECO.2.1: ``xdm pack`` builds IHE_XDM.ZIP (owner-only file); ``xdm inspect`` reads it."""
    import json

    from tests.sandbox import demo_world

    cda = tmp_path / "cr.xml"
    cda.write_bytes(_demo_cda(0))
    pdf = tmp_path / "cr.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% test\n")
    out_zip = tmp_path / "IHE_XDM.ZIP"
    code, out, err = _cli("xdm", "pack", "--cda", str(cda), "--pdf", str(pdf), "-o", str(out_zip))
    assert code == 0, err
    assert "XDM/1.0/DDM+" in out
    assert out_zip.stat().st_mode & 0o077 == 0
    code, out, err = _cli("xdm", "inspect", str(out_zip), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["patient"]["ins"] == demo_world.PATIENTS[0].ins
    cdas = [d for d in report["documents"] if d["mime_type"] == "text/xml"]
    assert [(d["type_code"], d["hash_ok"]) for d in cdas] == [("11502-2", True)]
    assert any(d["mime_type"] == "application/pdf" for d in report["documents"])


def test_cli_xdm_pack_refuses_two_patients(tmp_path: Path) -> None:
    """ECO.2.1: one message, one patient."""
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_bytes(_demo_cda(0))
    second.write_bytes(_demo_cda(1))
    code, _, err = _cli("xdm", "pack", "--cda", str(first), str(second),
                          "-o", str(tmp_path / "o.zip"))
    assert code == 1
    assert "même patient" in err and not (tmp_path / "o.zip").exists()


def test_cli_whitelist_check_without_a_list(tmp_path: Path) -> None:
    import json

    base = ["--profile", str(tmp_path / "p"), "--key-file", str(tmp_path / "k")]
    code, out, _ = _cli(*base, "whitelist", "check", BERNARD, PATIENT, "--json")
    assert code == 1
    decisions = {d["address"]: d for d in json.loads(out)}
    assert not decisions[BERNARD]["allowed"]
    assert "Aucune liste blanche" in decisions[BERNARD]["reason"]
    assert decisions[PATIENT]["allowed"]  # a valid INS needs no list (ECO.2.2.6)


# --- audit of submissions (ECO.4.1.1) ---------------------------------------------------------


def test_a_send_is_audited_with_verbs_codes_and_domains_only(world: World) -> None:
    """ECO.4.1.1: who, which mailbox, DATA and its reply code, recipient count and domains."""
    world.submitter.refuse[UNKNOWN] = (550, "5.1.1 User unknown")
    item_id = world.outbox.queue(_request(to=(BERNARD, UNKNOWN), cc=(PETIT,)), undo_seconds=0)
    asyncio.run(world.outbox.process(item_id))
    sends = [e for e in world.audit.entries() if e.action is AuditAction.SEND]
    assert [
        (e.mailbox, e.outcome, e.request, e.response, e.recipient_count, e.recipient_domains,
         e.message_ref)
        for e in sends
    ] == [
        (SENDER, AuditOutcome.SUCCESS, "DATA", "250 2.0.0", 3,
         (BERNARD.split("@")[1], PETIT.split("@")[1]), item_id)
    ]  # fmt: skip


def test_refused_and_unauthenticated_sends_are_audited_as_failures(world: World) -> None:
    world.submitter.refuse[BERNARD] = (550, "5.1.1 User unknown")
    refused = world.outbox.queue(_request(), undo_seconds=0)
    asyncio.run(world.outbox.process(refused))
    world.submitter.refuse.clear()
    world.submitter.fail_with = SmtpAuthError("535 5.7.8 Authentication failed", 535)
    denied = world.outbox.queue(_request(subject="Autre"), undo_seconds=0)
    asyncio.run(world.outbox.process(denied))
    sends = [e for e in world.audit.entries() if e.action is AuditAction.SEND]
    assert [(e.message_ref, e.failure, e.request, e.response) for e in sends] == [
        (refused, AuditFailure.RECIPIENT_REFUSED, "RCPT TO ×1", "550 5.1.1"),
        (denied, AuditFailure.AUTHENTICATION, "AUTH", "535"),
    ]
