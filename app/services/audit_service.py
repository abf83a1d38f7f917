"""Audit use cases (ECO.4.1.1–2): record an action, purge past retention, export as CSV.

Callers (sync engine, outbox, reader, export) describe what they did with typed values only —
see app.domain.audit for why there is no free-text field. The clock is the workstation's local
clock, timezone-aware, so each entry keeps both UTC and the local offset.

A read (``read``, ECO.4.1.1) is traced when a message is shown to a person — the window's reader,
``estafette show`` — stamped with the time it was shown, whether the message was unread or not
and whether the server is reachable or not (``record_read``). Setting ``\\Seen`` on the server
is a separate, later exchange: the sync engine traces it when it replays the offline-change
queue, with its request and the server's answer, at the time it was sent — never as a new date
for the read.
"""

from __future__ import annotations

import csv
import logging
import os
import socket
import ssl
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO

from app.domain.audit import (
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditFailure,
    AuditOutcome,
    recipients_summary,
    retention_cutoff,
    utc_stamp,
)
from app.errors import (
    AuthenticationError,
    InvalidInputError,
    ServerUnreachableError,
    UserCancelled,
)
from app.store.audit_store import AuditStore

_log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

CSV_HEADERS: tuple[str, ...] = (
    "Horodatage (UTC)",
    "Heure locale du poste",
    "Décalage horaire",
    "Boîte aux lettres",
    "Identifiant de connexion",
    "Identifiant national",
    "Action",
    "Requête au serveur",
    "Réponse du serveur",
    "Résultat",
    "Erreur",
    "Référence du message",
    "Pièce jointe n°",
    "Nombre de destinataires",
    "Domaines des destinataires",
)

# A spreadsheet evaluates a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def local_now() -> datetime:
    """The workstation's time, with its current UTC offset."""
    return datetime.now().astimezone()


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def failure_from_exception(exc: BaseException) -> AuditFailure:
    """The closed-list reason for ``exc`` (its text is never stored: it may quote content)."""
    if isinstance(exc, UserCancelled):
        return AuditFailure.CANCELLED
    if isinstance(exc, AuthenticationError):
        return AuditFailure.AUTHENTICATION
    if isinstance(exc, ServerUnreachableError):
        return AuditFailure.NETWORK
    if isinstance(exc, InvalidInputError):
        return AuditFailure.INVALID_INPUT
    if isinstance(exc, TimeoutError | socket.timeout):
        return AuditFailure.TIMEOUT
    if isinstance(exc, ssl.SSLError):
        return AuditFailure.TLS
    if isinstance(exc, ConnectionError | OSError):
        return AuditFailure.NETWORK
    return AuditFailure.LOCAL_ERROR


def _offset_label(entry: AuditEntry) -> str:
    minutes = entry.utc_offset_minutes
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    # "UTC+01:00" rather than "+01:00": a leading sign would look like a formula.
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class AuditService:
    """Record and export the audit trail of every mailbox of the profile."""

    def __init__(self, *, store: AuditStore, clock: Clock = local_now) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def build(
        self,
        *,
        mailbox: str,
        actor: AuditActor,
        action: AuditAction,
        request: str | None = None,
        response: str | None = None,
        failure: AuditFailure | None = None,
        message_ref: int | None = None,
        attachment_index: int | None = None,
        recipients: Sequence[str] | None = None,
        occurred_at: datetime | None = None,
    ) -> AuditEntry:
        """A validated entry stamped ``occurred_at`` (default: now); ``recipients`` are reduced
        to a count and domains."""
        count: int | None = None
        domains: tuple[str, ...] = ()
        if recipients is not None:
            count, domains = recipients_summary(tuple(recipients))
        return AuditEntry(
            mailbox=mailbox,
            actor=actor,
            action=action,
            occurred_at=occurred_at if occurred_at is not None else self._clock(),
            outcome=AuditOutcome.FAILURE if failure is not None else AuditOutcome.SUCCESS,
            failure=failure,
            request=request,
            response=response,
            message_ref=message_ref,
            attachment_index=attachment_index,
            recipient_count=count,
            recipient_domains=domains,
        )

    def record(
        self,
        *,
        mailbox: str,
        actor: AuditActor,
        action: AuditAction,
        request: str | None = None,
        response: str | None = None,
        failure: AuditFailure | None = None,
        message_ref: int | None = None,
        attachment_index: int | None = None,
        recipients: Sequence[str] | None = None,
    ) -> AuditEntry:
        """Validate and append one entry (blocking); returns it with its id."""
        entry = self.build(
            mailbox=mailbox,
            actor=actor,
            action=action,
            request=request,
            response=response,
            failure=failure,
            message_ref=message_ref,
            attachment_index=attachment_index,
            recipients=recipients,
        )
        return self.append(entry)

    def record_read(self, message_id: int, *, at: datetime | None = None) -> AuditEntry | None:
        """Trace that message ``message_id`` was shown (blocking); None when it is gone.

        ``at`` is when it was shown (default: now): a caller that records off the UI thread
        stamps the moment of display itself. The entry names the message by reference only —
        ``message_ref`` (the store id) and ``LOCAL READ <folder> UID <uid>`` — the mailbox it
        belongs to and the person logged in to that mailbox here (an ORG box: the nurse's own
        login). There is no server answer: the read happened on this workstation.
        """
        location = self._store.message_location(message_id)
        if location is None:
            return None
        return self.append(self.build(
            mailbox=location.mailbox,
            actor=location.actor,
            action=AuditAction.READ,
            request=location.read_request(),
            message_ref=message_id,
            occurred_at=at,
        ))

    def append(self, entry: AuditEntry) -> AuditEntry:
        entry_id = self._store.append(entry)
        return _with_id(entry, entry_id)

    async def aappend(self, entry: AuditEntry) -> AuditEntry:
        entry_id = await self._store.aappend(entry)
        return _with_id(entry, entry_id)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete entries past the six-month retention (run on open and on demand)."""
        removed = self._store.purge_before(retention_cutoff(now or self._clock()))
        if removed:
            _log.info("audit: %d entries past retention purged", removed)
        return removed

    def entries(
        self, *, since: date | None = None, mailbox: str | None = None,
        mailboxes: Collection[str] | None = None,
    ) -> list[AuditEntry]:
        """The trail, newest first; ``mailboxes`` keeps only those boxes (the ones a manager may
        read), ``mailbox`` one of them."""
        return list(self._iter(since, mailbox, mailboxes))

    def _iter(self, since: date | None, mailbox: str | None,
              mailboxes: Collection[str] | None) -> Iterator[AuditEntry]:
        allowed = None if mailboxes is None else frozenset(mailboxes)
        for entry in self._store.iter_entries(since=self._start_of(since), mailbox=mailbox):
            if allowed is None or entry.mailbox in allowed:
                yield entry

    def _start_of(self, day: date | None) -> datetime | None:
        if day is None:
            return None
        # "Since this day" is the workstation's local midnight, as a user reads the date.
        return datetime.combine(day, time(0, 0), tzinfo=self._clock().tzinfo)

    def export_csv(
        self,
        out: TextIO,
        *,
        since: date | None = None,
        mailbox: str | None = None,
        delimiter: str = ";",
        mailboxes: Collection[str] | None = None,
    ) -> int:
        """Write the trail as CSV (French headers, ``;`` as French spreadsheets expect) to
        ``out``; returns the number of entries written."""
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([csv_cell(h) for h in CSV_HEADERS])
        written = 0
        for entry in self._iter(since, mailbox, mailboxes):
            writer.writerow([csv_cell(v) for v in _csv_values(entry)])
            written += 1
        return written


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` date given by the user (InvalidInputError in French otherwise)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"La date « {text} » n'est pas valide ; format attendu : AAAA-MM-JJ.",
            message_en=f"The date “{text}” is not valid; expected format: YYYY-MM-DD.",
        ) from None


def export_csv_to_path(service: AuditService, path: Path, *, since: date | None = None) -> int:
    """Write the CSV export to ``path`` (owner-only; UTF-8 with a BOM so that spreadsheets read
    the accents right); returns the number of entries."""
    target = path.expanduser()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise InvalidInputError(
            f"Impossible d'écrire le fichier « {path} » ({exc.strerror}).",
            message_en=f"Cannot write the file “{path}” ({exc.strerror}).",
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
        return service.export_csv(handle, since=since)


def _with_id(entry: AuditEntry, entry_id: int) -> AuditEntry:
    return replace(entry, id=entry_id)


def _csv_values(entry: AuditEntry) -> tuple[object, ...]:
    return (
        utc_stamp(entry.occurred_at),
        entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
        _offset_label(entry),
        entry.mailbox,
        entry.actor.login,
        entry.actor.national_id,
        entry.action.label,
        entry.request,
        entry.response,
        entry.outcome.label,
        entry.failure.label if entry.failure else None,
        entry.message_ref,
        entry.attachment_index,
        entry.recipient_count,
        " ".join(entry.recipient_domains),
    )
