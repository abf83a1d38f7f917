"""The whitelist in use: refresh (HTTPS or file), keep the last good list, check recipients.

A refresh is all-or-nothing: download (or read) the list and its ``checksum``, verify the SHA-256,
parse, and only then replace the stored list. Any failure leaves the previous list in force and is
reported. Recipients outside the list are blocked; an administrator setting may allow sending to
one the user explicitly confirms, and each such send is audited (spec §1).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.domain.address import parse_address
from app.domain.audit import AuditAction, AuditActor
from app.domain.ins import PATIENT_DOMAIN
from app.domain.outgoing import SendRefusedError
from app.domain.whitelist import Whitelist, WhitelistDecision
from app.errors import InvalidInputError
from app.protocols.whitelist.fetcher import CHECKSUM_NAME, DownloadedWhitelist, download_whitelist
from app.protocols.whitelist.parser import parse_whitelist, verify_checksum
from app.services.audit_service import AuditService
from app.store.outbox_store import SettingStore
from app.store.whitelist_store import WhitelistSnapshot, WhitelistStore

ALLOW_EXCEPTIONS_SETTING = "whitelist.allow_confirmed_exceptions"
URL_SETTING = "whitelist.url"
CA_FILE_SETTING = "whitelist.ca_file"

Downloader = Callable[..., Awaitable[DownloadedWhitelist]]

NO_LIST_REASON = (
    "Aucune liste blanche MSSanté n'est chargée : les destinataires professionnels ne peuvent pas "
    "être vérifiés (lancez « estafette whitelist refresh »)."
)


@dataclass(frozen=True)
class RefreshResult:
    source: str
    generated_at: datetime
    domain_count: int  # distinct domains
    sha256: str
    warnings: tuple[str, ...]
    entry_count: int = 0  # Domaine elements (the ANS repeats a name per operator certificate)


@dataclass(frozen=True)
class RecipientApproval:
    """The outcome of checking a message's recipients: who is allowed and on what ground."""

    decisions: tuple[WhitelistDecision, ...]
    exceptions: tuple[WhitelistDecision, ...]  # blocked by the list, confirmed by the user


class WhitelistService:
    def __init__(
        self,
        *,
        store: WhitelistStore,
        settings: SettingStore,
        downloader: Downloader = download_whitelist,
        clock: Callable[[], float] = time.time,
        audit: AuditService | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._settings = settings
        self._download = downloader
        self._clock = clock
        self._cache: tuple[str, Whitelist] | None = None

    # --- refresh --------------------------------------------------------------------------

    async def refresh_from_url(
        self, url: str | None = None, *, ca_file: str | None = None
    ) -> RefreshResult:
        """Download ``url`` (default: the configured one) and its sibling ``checksum``."""
        url = url or self._settings.get(URL_SETTING)
        if not url:
            raise InvalidInputError(
                "Aucune adresse de liste blanche n'est configurée : indiquez --url URL "
                "ou --file FICHIER.",
                message_en="No whitelist address is configured: give --url URL or --file FILE.",
            )
        ca_file = ca_file or self._settings.get(CA_FILE_SETTING)
        downloaded = await self._download(url, ca_file=ca_file)
        result = self.refresh_from_bytes(downloaded.xml, downloaded.checksum, source=url)
        # Remember where a good list came from, for the next refresh without arguments.
        self._settings.set(URL_SETTING, url)
        if ca_file:
            self._settings.set(CA_FILE_SETTING, ca_file)
        return result

    def refresh_from_file(self, path: Path, checksum_path: Path | None = None) -> RefreshResult:
        """Read a list saved on disk; its ``checksum`` file must sit beside it."""
        checksum_path = checksum_path or path.with_name(CHECKSUM_NAME)
        try:
            xml = path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(
                f"Le fichier de liste blanche « {path} » est introuvable ou illisible.",
                message_en=f"The whitelist file “{path}” cannot be read.",
            ) from exc
        try:
            checksum = checksum_path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(
                f"Le fichier de somme de contrôle « {checksum_path} » est introuvable : la liste "
                "blanche n'est acceptée qu'avec sa somme de contrôle SHA-256.",
                message_en=f"The checksum file “{checksum_path}” is missing: the whitelist is "
                "accepted only with its SHA-256 checksum.",
            ) from exc
        return self.refresh_from_bytes(xml, checksum, source=str(path))

    def refresh_from_bytes(
        self, xml: bytes, checksum: bytes | str, *, source: str
    ) -> RefreshResult:
        verify_checksum(xml, checksum)  # raises: the stored list stays as it was
        whitelist = parse_whitelist(xml)
        sha = hashlib.sha256(xml).hexdigest()
        self._store.save(
            WhitelistSnapshot(
                xml=xml,
                sha256=sha,
                source=source,
                generated_at=whitelist.generated_at.isoformat(),
                fetched_at=self._clock(),
                domain_count=len(whitelist),
            )
        )
        self._cache = (sha, whitelist)
        return RefreshResult(
            source,
            whitelist.generated_at,
            len(whitelist),
            sha,
            whitelist.warnings,
            len(whitelist.entries),
        )

    # --- use ------------------------------------------------------------------------------

    def current(self) -> Whitelist | None:
        snapshot = self._store.load()
        if snapshot is None:
            return None
        if self._cache is None or self._cache[0] != snapshot.sha256:
            self._cache = (snapshot.sha256, parse_whitelist(snapshot.xml))
        return self._cache[1]

    def snapshot_info(self) -> WhitelistSnapshot | None:
        return self._store.load()

    def check(self, address: str) -> WhitelistDecision:
        whitelist = self.current()
        if whitelist is not None:
            return whitelist.check(address)
        # Without a list, patient addresses are still decided by their INS (spec §5).
        empty = Whitelist(datetime.now(UTC), ())
        decision = empty.check(address)
        if decision.parsed is not None and decision.parsed.domain != PATIENT_DOMAIN:
            return WhitelistDecision(decision.address, False, NO_LIST_REASON, decision.parsed)
        return decision

    def exceptions_allowed(self) -> bool:
        return self._settings.get(ALLOW_EXCEPTIONS_SETTING) == "1"

    def set_exceptions_allowed(self, allowed: bool) -> None:
        """Administrator setting: may users confirm a recipient outside the list?"""
        self._settings.set(ALLOW_EXCEPTIONS_SETTING, "1" if allowed else "0")

    def approve(
        self, addresses: Iterable[str], *, confirmed: Iterable[str] = ()
    ) -> RecipientApproval:
        """Check every recipient; raise SendRefusedError naming each blocked one and why.

        A blocked address becomes an exception only when the administrator allows exceptions,
        the user confirmed that very address, and it is a well-formed professional address (never
        a look-alike, a malformed address, or a patient address without a valid INS).
        """
        confirmed_keys = set()
        for text in confirmed:
            try:
                confirmed_keys.add(parse_address(text).comparison_key)
            except InvalidInputError:
                continue
        allow = self.exceptions_allowed()
        decisions: list[WhitelistDecision] = []
        exceptions: list[WhitelistDecision] = []
        refused: list[WhitelistDecision] = []
        for address in addresses:
            decision = self.check(address)
            if decision.allowed:
                decisions.append(decision)
                continue
            parsed = decision.parsed
            if (
                allow
                and parsed is not None
                and parsed.domain != PATIENT_DOMAIN
                and parsed.comparison_key in confirmed_keys
            ):
                exception = WhitelistDecision(
                    decision.address,
                    True,
                    "Exception confirmée par l'utilisateur (autorisée par l'administrateur) : "
                    + decision.reason,
                    parsed,
                )
                decisions.append(exception)
                exceptions.append(decision)
                continue
            refused.append(decision)
        if refused:
            lines = "\n".join(f"- {d.address} : {d.reason}" for d in refused)
            raise SendRefusedError(
                f"Envoi refusé : {len(refused)} destinataire(s) hors de la liste blanche "
                f"MSSanté.\n{lines}",
                message_en=f"Sending refused: {len(refused)} recipient(s) outside the MSSanté "
                "whitelist.\n" + "\n".join(f"- {d.address}" for d in refused),
            )
        return RecipientApproval(tuple(decisions), tuple(exceptions))

    def audit_exceptions(
        self,
        approval: RecipientApproval,
        *,
        account: str,
        login: str,
        message_id: str | None = None,
        national_id: str | None = None,
        message_ref: int | None = None,
    ) -> None:
        """Trace each confirmed exception (spec §1): who, from which mailbox, to which domain.

        The recipient's full address is not kept (app.domain.audit: an address may be health
        data); ``message_ref`` is the outbox item. ``message_id`` is accepted for callers that
        only have it and is not stored.
        """
        if self._audit is None or not approval.exceptions:
            return
        for decision in approval.exceptions:
            self._audit.record(
                mailbox=account,
                actor=AuditActor(login=login, national_id=national_id),
                action=AuditAction.WHITELIST_EXCEPTION,
                message_ref=message_ref,
                recipients=[decision.parsed.ascii if decision.parsed else decision.address],
            )
