"""The composition root: the one place that builds the concrete classes and wires them."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from app.domain.settings import AppSettings, CardReaderSettings
from app.errors import InvalidInputError, StoreCorruptedError, StoreKeyError, UserFacingError
from app.events import (
    Event,
    EventBus,
    MessagesChanged,
    MessagesStored,
    StoreIntegrityChecked,
    SyncFinished,
)
from app.executors import Executors
from app.profile_location import (  # noqa: F401 - re-exported
    DATABASE_NAME,
    PROFILE_INFO_NAME,
    default_profile_dir,
    profile_exists,
)
from app.services.audit_service import AuditService
from app.store.account_store import (
    AccountStore,
    DatabaseSecretStore,
    KeyringSecretStore,
    SecretStore,
)
from app.store.audit_store import AuditStore
from app.store.database import Database, IntegrityPolicy
from app.store.durable_files import write_atomically
from app.store.keys import (
    KeyFileKeyProvider,
    KeyProvider,
    KeyringKeyProvider,
    PassphraseWrappedKeyProvider,
    change_passphrase,
    is_wrapped,
    vetted_keyring,
)
from app.store.message_store import MessageStore
from app.store.outbox_store import SettingStore

if TYPE_CHECKING:
    from app.domain.account import Account
    from app.protocols.imap.connection import ImapConnection
    from app.services.auth_service import AuthService
    from app.services.conversation_service import ConversationService
    from app.services.credentials import CredentialService
    from app.services.crl_cache import CrlCache
    from app.services.directory_service import DirectoryService
    from app.services.document_indexer import DocumentIndexer
    from app.services.outbox_service import OutboxService
    from app.services.receipt_runner import ReceiptRunner
    from app.services.receipt_service import ReceiptService
    from app.services.sync_engine import SyncEngine
    from app.services.whitelist_service import WhitelistService

_log = logging.getLogger(__name__)

KEY_SOURCE_KEYRING = "keyring"
KEY_SOURCE_FILE = "key-file"
# What ``Profile.start_services`` builds (the rest of its imports come with these).
_SERVICE_MODULES = (
    "app.services.credentials",
    "app.services.outbox_service",
    "app.services.receipt_runner",
    "app.services.document_indexer",
    "app.protocols.imap.authenticated",
    "app.protocols.smtp.submission",
    "app.services.crl_cache",
)


@dataclass(frozen=True)
class ProfileInfo:
    """The non-secret description of a profile (profile.json): no health data, no key."""

    profile_id: str
    key_source: str
    format: int = 1

    @classmethod
    def read(cls, path: Path) -> ProfileInfo:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            info = cls(profile_id=str(data["profile_id"]), key_source=str(data["key_source"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserFacingError(
                f"Le fichier de description du profil {path} est illisible.",
                message_en=f"The profile description file {path} is unreadable.",
            ) from exc
        if info.key_source not in (KEY_SOURCE_KEYRING, KEY_SOURCE_FILE):
            raise UserFacingError(
                f"Le fichier {path} indique une source de clé inconnue.",
                message_en=f"The file {path} names an unknown key source.",
            )
        return info

    def write(self, path: Path) -> None:
        text = json.dumps({"format": self.format, "profile_id": self.profile_id,
                           "key_source": self.key_source}, indent=2) + "\n"
        write_atomically(path, text.encode("utf-8"))


@dataclass
class Profile:
    """An open profile: its database, stores and executors. Close it (or use ``with``).

    Opening builds only what the first screen reads (accounts, messages, settings, audit). The
    services — credentials, sync, whitelist, outbox, receipts, conversations, the document
    indexer — are built on first use, each with its imports (~0.5 s of every start otherwise:
    OIDC/HTTP/JOSE, SMTP, MIME, XDM…; tests/benchmarks ui). What must run at open — the receipt
    catch-up of mail a previous run left unhandled, the indexer's pending documents — runs in
    ``start_services``: at once in ``open_profile`` unless ``defer_services`` (the window calls
    it in the background after its first paint).
    """

    profile_dir: Path
    info: ProfileInfo
    database: Database
    accounts: AccountStore
    secrets: SecretStore
    events: EventBus
    executors: Executors
    messages: MessageStore
    audit: AuditService
    settings: SettingStore
    # Where the key lives (None: the keyring) and whether a passphrase protects it; the keyring
    # backend the profile was opened with (tests inject one).
    key_file: Path | None = None
    key_protected: bool = False
    _keyring_backend: Any | None = field(default=None, repr=False)
    _store_key: bytes = field(default=b"", repr=False)
    _closed: bool = field(default=False, repr=False)
    # Built on first use (see ``directory``): its LDAP, FHIR and extraction code is not needed to
    # open a profile, and importing it cost ~0.13 s of every start (tests/benchmarks ui).
    _directory: DirectoryService | None = field(default=None, repr=False)
    _directory_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The services, built on first use under one re-entrant lock (they build one another).
    _services: dict[str, Any] = field(default_factory=dict, repr=False)
    _services_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _services_started: bool = field(default=False, repr=False)
    _documents_arrived: threading.Event = field(default_factory=threading.Event, repr=False)
    # The CPS card watch (``watch_card``), built when the window first asks for it.
    _card_monitor: CardMonitor | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Bodies stored since the last drain was asked for: the indexer runs once a sync pass
        # has ended (draining during the pass took the CPU and the database from the sync).
        self.events.subscribe(MessagesStored, self._note_stored)
        self.events.subscribe(MessagesChanged, self._note_stored)
        self.events.subscribe(SyncFinished, self._index_documents)

    @property
    def directory(self) -> DirectoryService:
        """The offline extraction, plus the organisation LDAP and the national API when the
        settings configure them (read at each search, so a settings change applies at once)."""
        with self._directory_lock:
            if self._directory is None:
                from app.services.directory_service import DirectoryService
                from app.store.directory_store import DirectoryStore

                self._directory = DirectoryService(
                    store=DirectoryStore(database=self.database),
                    settings=self.settings, secrets=self.secrets)
            return self._directory

    # -- the services, built on first use ----------------------------------------------------

    def _service(self, name: str, build: Callable[[], Any]) -> Any:
        with self._services_lock:
            service = self._services.get(name)
            if service is None:
                service = build()
                self._services[name] = service
            return service

    @property
    def credentials(self) -> CredentialService:
        def build() -> CredentialService:
            from app.services.credentials import CredentialService

            return CredentialService(accounts=self.accounts, secrets=self.secrets,
                                     settings=self.settings, audit=self.audit)

        service: CredentialService = self._service("credentials", build)
        return service

    @property
    def crls(self) -> CrlCache:
        """The last valid CRL of each issuing CA (ECO.1.1.7), in ``<profile>/crl``; the URLs are
        the ``tls.crl.urls`` setting, the issuers the shipped anchors and the accounts' CAs."""

        def build() -> CrlCache:
            from app.protocols.tls import trust_anchor_files
            from app.services.crl_cache import CRL_DIR_NAME, CrlCache

            def trusted() -> list[Path]:
                files = trust_anchor_files()
                for account in self.accounts.list():
                    if account.ca_file and Path(account.ca_file).is_file() \
                            and Path(account.ca_file) not in files:
                        files.append(Path(account.ca_file))
                return files

            return CrlCache(directory=self.profile_dir / CRL_DIR_NAME, settings=self.settings,
                            trusted_files=trusted)

        service: CrlCache = self._service("crls", build)
        return service

    @property
    def sync(self) -> SyncEngine:
        def build() -> SyncEngine:
            from app.services.credentials import CredentialSyncEngine

            engine = CredentialSyncEngine(
                credentials=self.credentials,
                connection_factory=_imap_factory(self.credentials, self.crls),
                store=self.messages,
                events=self.events,
                password_for=self.accounts.password,
                audit=self.audit,
            )
            engine.observe_bodies(self.incoming.observe)  # ordinary mail is then not read back
            return engine

        service: SyncEngine = self._service("sync", build)
        return service

    @property
    def conversations(self) -> ConversationService:
        def build() -> ConversationService:
            from app.services.conversation_service import ConversationService
            from app.store.conversation_store import ConversationStore

            store = ConversationStore(database=self.database)
            return ConversationService(repository=store, new_id=lambda: uuid.uuid4().hex,
                                       is_opposed=store.is_opposed)

        service: ConversationService = self._service("conversations", build)
        return service

    @property
    def whitelist(self) -> WhitelistService:
        def build() -> WhitelistService:
            from app.services.whitelist_service import WhitelistService
            from app.store.whitelist_store import WhitelistStore

            return WhitelistService(store=WhitelistStore(database=self.database),
                                    settings=self.settings, audit=self.audit)

        service: WhitelistService = self._service("whitelist", build)
        return service

    @property
    def outbox(self) -> OutboxService:
        def build() -> OutboxService:
            return _outbox(self.database, self.accounts, self.events, self.audit,
                           self.credentials, self.conversations, self.settings, self.whitelist,
                           self.crls)

        service: OutboxService = self._service("outbox", build)
        return service

    @property
    def receipts(self) -> ReceiptService:
        def build() -> ReceiptService:
            from app.services.receipt_service import ReceiptService
            from app.store.receipt_store import ReceiptStore

            outbox = self.outbox
            return ReceiptService(
                store=ReceiptStore(database=self.database),
                messages=self.messages,
                outbox=outbox,
                outbox_store=outbox.store,
                accounts=self.accounts,
                settings=self.settings,
                conversations=self.conversations,
            )

        service: ReceiptService = self._service("receipts", build)
        return service

    @property
    def incoming(self) -> ReceiptRunner:
        """Receipts, read-receipt requests and patient conversations, worked out on a thread of
        their own, fed by the sync's events (on the sync's thread they made an initial sync half
        as long again); what a previous run left unhandled is caught up when it is built."""

        def build() -> ReceiptRunner:
            from app.services.receipt_runner import ReceiptRunner

            self._check_open()
            receipts = self.receipts
            runner = ReceiptRunner(receipts=receipts, store=receipts.store,
                                   settings=self.settings)
            runner.subscribe(self.events)
            runner.catch_up()
            return runner

        service: ReceiptRunner = self._service("incoming", build)
        return service

    @property
    def documents(self) -> DocumentIndexer:
        """Text of PDF/CDA/XDM attachments, indexed in the background on the CPU executor once
        each sync pass has ended; what a previous run left is picked up when it is built."""

        def build() -> DocumentIndexer:
            from app.services.document_indexer import DocumentIndexer

            self._check_open()
            indexer = DocumentIndexer(store=self.messages, executor=self.executors.cpu)
            indexer.schedule()
            return indexer

        service: DocumentIndexer = self._service("documents", build)
        return service

    def start_services(self) -> None:
        """Build the services and start what must run after each open: the receipt catch-up,
        the document indexer's pending work. Idempotent; blocking (imports, a few reads): the
        window calls it off the UI thread after its first paint."""
        if self._services_started:
            return
        # Imported first, outside the lock (the imports are most of the cost): a service asked
        # for meanwhile on another thread waits only for its own construction.
        for module in _SERVICE_MODULES:
            importlib.import_module(module)
        with self._services_lock:
            if self._services_started:
                return
            self._check_open()
            _ = self.incoming, self.sync, self.documents
            self._services_started = True

    # -- the CPS card ---------------------------------------------------------------------------

    @property
    def card_monitor(self) -> CardMonitor:
        """The card watch of this profile (publishes on ``events``); see ``CardMonitor``."""
        with self._services_lock:
            if self._card_monitor is None:
                self._card_monitor = CardMonitor(self.events.publish)
            return self._card_monitor

    def watch_card(self, settings: AppSettings) -> None:
        """Watch the CPS card as ``settings`` say (no PKCS#11 module: no watch, and
        ``CardWatchChanged(UNCONFIGURED)``); restarts only when the card settings changed.
        Returns at once: the watch runs on its own thread."""
        self._check_open()
        self.card_monitor.configure(settings.card_reader)

    def stop_card_watch(self, *, wait: bool = True) -> None:
        """End the card watch, if any (logout, closing)."""
        with self._services_lock:
            monitor = self._card_monitor
        if monitor is not None:
            monitor.stop(wait=wait)

    def _check_open(self) -> None:
        if self._closed:
            raise UserFacingError("Le profil est fermé.", message_en="The profile is closed.")

    def _note_stored(self, event: MessagesStored | MessagesChanged) -> None:
        if isinstance(event, MessagesStored) or event.changed_ids:
            self._documents_arrived.set()

    def _index_documents(self, _event: SyncFinished) -> None:
        if self._documents_arrived.is_set():  # a pass that stored nothing costs no drain
            self._documents_arrived.clear()
            with contextlib.suppress(UserFacingError):  # closed meanwhile
                self.documents.schedule()

    def check_integrity_in_background(self) -> bool:
        """Start the full store check deferred at open (``integrity_check="auto"``), off the
        ``db`` thread; publishes ``StoreIntegrityChecked``. False when none was pending."""

        def done(problem: StoreCorruptedError | None) -> None:
            self.events.publish(StoreIntegrityChecked(
                ok=problem is None, message=problem.message if problem else None))

        return self.database.check_in_background(self._store_key, done)

    def change_passphrase(self, *, current: str | None, new: str | None) -> None:
        """Protect this profile's key with ``new`` (None: remove the protection); blocking
        (scrypt), run it off the UI thread. See ``change_profile_passphrase``."""
        change_profile_passphrase(self.profile_dir, key_file=self.key_file, current=current,
                                  new=new, keyring_backend=self._keyring_backend)
        self.key_protected = new is not None

    def close(self) -> None:
        with self._services_lock:  # no service is built past this point
            if self._closed:
                return
            self._closed = True
            documents = self._services.get("documents")
            incoming = self._services.get("incoming")
            card_monitor = self._card_monitor
        if card_monitor is not None:  # the card watch publishes on this profile's bus
            card_monitor.stop(wait=True)
        # The background document indexer ends after the message in hand, before the store.
        if documents is not None:
            documents.stop(wait=True)
        # Receipt handling too (what it had not reached is caught up at the next open).
        if incoming is not None:
            incoming.stop(wait=True)
        try:
            self.database.close()
        finally:
            self.executors.shutdown(wait=True)

    def __enter__(self) -> Profile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _no_profile(profile_dir: Path) -> InvalidInputError:
    return InvalidInputError(
        f"Aucun profil Estafette dans {profile_dir}.",
        message_en=f"No Estafette profile in {profile_dir}.",
    )


def _key_provider(info: ProfileInfo, key_file: Path | None,
                  keyring_backend: Any | None) -> tuple[KeyProvider, Any | None]:
    """Where the profile's key lives (its file or the keyring), checked against what the
    profile recorded; the keyring backend too when that is where."""
    if info.key_source == KEY_SOURCE_FILE and key_file is None:
        raise InvalidInputError(
            "Ce profil garde sa clé dans un fichier ; indiquez-le avec --key-file FICHIER.",
            message_en="This profile keeps its key in a file; give it with --key-file FILE.",
        )
    if info.key_source == KEY_SOURCE_KEYRING and key_file is not None:
        raise InvalidInputError(
            "Ce profil garde sa clé dans le trousseau système ; n'indiquez pas --key-file.",
            message_en="This profile keeps its key in the system keyring; do not give --key-file.",
        )
    if key_file is not None:
        return KeyFileKeyProvider(key_file), None
    backend = vetted_keyring(keyring_backend)
    return KeyringKeyProvider(info.profile_id, backend=backend), backend


def change_profile_passphrase(
    profile_dir: Path,
    *,
    key_file: Path | None = None,
    current: str | None,
    new: str | None,
    keyring_backend: Any | None = None,
) -> None:
    """Protect the profile's key with ``new``, or remove its protection (``new`` None).

    ``current`` is the passphrase it has now (None when it has none). Only the key's wrapping
    changes, replaced in one step (``KeyProvider.replace_text``); the database is not opened, so
    this also works while the profile is open elsewhere (which keeps the key it loaded).
    """
    profile_dir = profile_dir.expanduser()
    info_path = profile_dir / PROFILE_INFO_NAME
    if not info_path.is_file():
        raise _no_profile(profile_dir)
    if key_file is not None:
        key_file = key_file.expanduser().absolute()
    provider, _backend = _key_provider(ProfileInfo.read(info_path), key_file, keyring_backend)
    change_passphrase(provider, current=current, new=new)


def open_profile(
    profile_dir: Path,
    *,
    key_file: Path | None = None,
    passphrase: str | None = None,
    create: bool = True,
    keyring_backend: Any | None = None,
    integrity_check: IntegrityPolicy | bool = True,
    defer_services: bool = False,
) -> Profile:
    """Open the profile in ``profile_dir``, creating it (directory, key, database) when absent.

    The key comes from ``key_file`` when given, else from the OS keyring (plaintext keyring
    backends are refused); ``passphrase`` wraps it. ``keyring_backend`` lets tests inject one.
    With ``defer_services`` the services are not built nor started here: the caller runs
    ``Profile.start_services`` soon after (the window: in the background after its first paint).
    """
    profile_dir = profile_dir.expanduser()
    info_path = profile_dir / PROFILE_INFO_NAME
    db_path = profile_dir / DATABASE_NAME
    if key_file is not None:
        key_file = key_file.expanduser().absolute()

    if info_path.is_file():
        info = ProfileInfo.read(info_path)
        is_new = False
    elif not create:
        raise _no_profile(profile_dir)
    else:
        info = ProfileInfo(
            profile_id=uuid.uuid4().hex,
            key_source=KEY_SOURCE_FILE if key_file is not None else KEY_SOURCE_KEYRING,
        )
        is_new = True

    provider, backend = _key_provider(info, key_file, keyring_backend)
    if passphrase:
        provider = PassphraseWrappedKeyProvider(provider, passphrase)

    key = provider.load_key()
    db_exists = db_path.exists() and db_path.stat().st_size > 0
    if key is None:
        if db_exists:
            raise StoreKeyError(
                "La clé de ce profil est introuvable ; le magasin chiffré ne peut pas être ouvert.",
                message_en="This profile's key cannot be found; the encrypted store cannot be "
                "opened.",
            )
        if is_new:
            profile_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = provider.create_key()
    # Without a passphrase the key opened, so it is not protected; with one, it may still be a
    # raw key (the passphrase is then ignored): look.
    protected = bool(passphrase) and is_wrapped(provider.read_text())

    profile_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    executors = Executors.create()
    try:
        database = Database.open(
            db_path, key, executor=executors.db, integrity_check=integrity_check
        )
    except BaseException:
        executors.shutdown(wait=True)
        raise
    profile: Profile | None = None
    try:
        if is_new:
            info.write(info_path)
        events = EventBus()
        secrets: SecretStore
        if info.key_source == KEY_SOURCE_FILE:
            secrets = DatabaseSecretStore(database=database)
        else:
            secrets = KeyringSecretStore(info.profile_id, backend=backend)
        accounts = AccountStore(database=database, secrets=secrets, events=events)
        audit = AuditService(store=AuditStore(database=database))
        audit.purge_expired()  # the six-month retention (ECO.4.1.1) is applied on every open
        profile = Profile(
            profile_dir=profile_dir,
            info=info,
            database=database,
            accounts=accounts,
            secrets=secrets,
            events=events,
            executors=executors,
            audit=audit,
            messages=MessageStore(database=database),
            settings=SettingStore(database=database),
            key_file=key_file,
            key_protected=protected,
            _keyring_backend=backend,
            _store_key=key,
        )
        if not defer_services:
            profile.start_services()
    except BaseException:
        if profile is not None:
            with contextlib.suppress(Exception):
                profile.close()
        with contextlib.suppress(Exception):
            database.close()
        executors.shutdown(wait=True)
        raise
    return profile


def _imap_factory(
    credentials: CredentialService, crls: CrlCache | None = None
) -> Callable[[Account], ImapConnection]:
    """IMAP connections carrying each account's credential (certificate in the handshake, PSC
    token for XOAUTH2); password accounts get the plain ``ImapConnection`` behaviour. With
    ``crls``, the server certificate is checked against the kept CRLs (refreshed when due, on the
    connection's thread)."""
    from app.domain.account import AuthMethod
    from app.protocols.imap.authenticated import AuthenticatedImapConnection
    from app.services.credentials import CertificateCredential, TokenCredential

    def connect(account: Account) -> ImapConnection:
        certificate = None
        source = None
        loop = None
        if account.auth is not AuthMethod.PASSWORD:
            credential = credentials.credential(account)
            if isinstance(credential, CertificateCredential):
                certificate = credential.certificate
            elif isinstance(credential, TokenCredential):
                source, loop = credential.source, credential.loop
        return AuthenticatedImapConnection(
            endpoint=account.imap,
            ca_file=account.ca_file,
            client_certificate=certificate,
            token_source=source,
            token_loop=loop,
            name=account.address,
            crl_files=crls.connection_files if crls is not None else None,
        )

    return connect


def _outbox(
    database: Database,
    accounts: AccountStore,
    events: EventBus,
    audit: AuditService,
    credentials: CredentialService,
    conversations: ConversationService,
    settings: SettingStore,
    whitelist: WhitelistService,
    crls: CrlCache | None = None,
) -> OutboxService:
    """The outbox: SMTP submission, and the Sent folder over IMAP."""
    from app.domain.account import TlsMode
    from app.protocols.smtp.submission import SmtpAccount, SmtpSubmitter
    from app.services.credentials import (
        CertificateCredential,
        PasswordCredential,
        TokenCredential,
    )
    from app.services.outbox_service import ImapSentFolder, OutboxService
    from app.store.outbox_store import DraftStore, OutboxStore, SendSettingsStore

    def submitter(account: Account, password: str) -> SmtpSubmitter:
        credential = credentials.credential(account)
        return SmtpSubmitter(
            account=SmtpAccount(
                host=account.smtp.host,
                port=account.smtp.port,
                implicit_tls=account.smtp.tls is TlsMode.IMPLICIT,
                login=account.login,
                password=credential.password
                if isinstance(credential, PasswordCredential)
                else "",
                ca_file=account.ca_file,
                token_source=credential.source
                if isinstance(credential, TokenCredential)
                else None,
                client_certificate=credential.certificate
                if isinstance(credential, CertificateCredential)
                else None,
                # The kept CRLs, without network (this runs on the event loop): the sync's IMAP
                # connections refresh them when due.
                crl_files=tuple(str(f) for f in crls.files()) if crls is not None else (),
            )
        )

    sent = ImapSentFolder(connect=_imap_factory(credentials, crls),
                          password_for=accounts.password)
    outbox = OutboxService(
        store=OutboxStore(database=database),
        drafts=DraftStore(database=database),
        send_settings=SendSettingsStore(settings=settings),
        accounts=accounts,
        whitelist=whitelist,
        submitter_factory=submitter,
        sent_probe=sent.contains,
        sent_filer=sent.append,
        events=events,
        audit=audit,
        conversations=conversations,
    )
    return outbox


# -- the CPS card -------------------------------------------------------------------------------

CARD_POLL_INTERVAL = 1.0  # seconds between two looks at the reader
CARD_RETRY_FIRST = 5.0  # a module that cannot be used is tried again after this...
CARD_RETRY_MAX = 300.0  # ...doubling up to this


class _CardWatch:
    """One run of the watcher: its settings, thread, loop and task; ``stopped`` once retired."""

    def __init__(self, settings: CardReaderSettings) -> None:
        self.settings = settings
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[None] | None = None


def _card_only_auth(publish: Callable[[Event], None]) -> AuthService:
    """An ``AuthService`` that only watches the card: no provider behind it (any OIDC request
    fails as unreachable), no session of its own. Built on the watch thread (its imports)."""
    import httpx

    from app.protocols.oidc.client import OidcClient, OidcSettings
    from app.protocols.oidc.client_auth import PublicClient
    from app.services.auth_service import AuthService

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no provider: this service only watches the CPS card",
                                 request=request)

    settings = OidcSettings(issuer="", client_auth=PublicClient(""))
    client = OidcClient(settings, http=httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    return AuthService(settings, publish=publish, client=client)


class CardMonitor:
    """The CPS card watched on a thread of its own (``card-watch``, its own asyncio loop), never
    the UI thread: ``AuthService.watch_card`` polls the reader (blocking PKCS#11 calls on the
    ``card-read`` thread) and publishes ``CardInserted`` / ``CardRemoved``; this publishes
    ``CardWatchChanged`` (starting, watching, failed, stopped, unconfigured).

    Before the module is loaded into this process it is tried in a child process
    (``app.protocols.pkcs11.probe``): a file that crashes or hangs the loader is reported
    (``CardWatchChanged(FAILED)``) and never loaded here. A module that cannot be used is tried
    again later (5 s, doubling up to 5 min), so installing the middleware afterwards is enough.

    ``configure`` (re)starts the watch for new settings (same settings: nothing happens), ``stop``
    ends it. Events of a retired run are dropped, so a late look of the old module cannot report
    a removal after the settings changed.
    """

    def __init__(self, publish: Callable[[Event], None], *,
                 interval: float = CARD_POLL_INTERVAL,
                 probe: Callable[[str], object] | None = None,
                 auth_factory: Callable[[Callable[[Event], None]], AuthService] | None = None,
                 ) -> None:
        self._publish = publish
        self.interval = interval
        self._probe = probe
        self._auth_factory = auth_factory or _card_only_auth
        self._lock = threading.RLock()
        self._current: _CardWatch | None = None
        self._retired: list[_CardWatch] = []

    @property
    def settings(self) -> CardReaderSettings | None:
        with self._lock:
            return self._current.settings if self._current is not None else None

    @property
    def running(self) -> bool:
        with self._lock:
            watch = self._current
            return watch is not None and watch.thread is not None and watch.thread.is_alive()

    def configure(self, settings: CardReaderSettings | None) -> None:
        """Watch with ``settings`` (None: no reader configured). Returns at once."""
        from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState

        with self._lock:
            current = self._current
            if (current is not None and settings == current.settings
                    and current.thread is not None and current.thread.is_alive()):
                return
            self._retire(current)
            if settings is None:
                self._publish(CardWatchChanged(CardWatchState.UNCONFIGURED))
                return
            watch = _CardWatch(settings)
            watch.thread = threading.Thread(target=self._run, args=(watch,), name="card-watch",
                                            daemon=True)
            self._current = watch
            # Said here, not on the thread: the indicator shows it before the first look.
            self._publish(CardWatchChanged(CardWatchState.STARTING, module=settings.module))
            watch.thread.start()

    def stop(self, *, wait: bool = True, timeout: float = 5.0) -> None:
        """End the watch (and wait for its thread, up to ``timeout``, with ``wait``)."""
        from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState

        with self._lock:
            current = self._current
            self._retire(current)
            if current is not None:
                self._publish(CardWatchChanged(CardWatchState.STOPPED,
                                               module=current.settings.module))
            retired = list(self._retired)
        if wait:
            for watch in retired:
                if watch.thread is not None and watch.thread is not threading.current_thread():
                    watch.thread.join(timeout)
            with self._lock:
                self._retired = [w for w in self._retired
                                 if w.thread is not None and w.thread.is_alive()]

    def _retire(self, watch: _CardWatch | None) -> None:
        """Under the lock: no event of ``watch`` gets out from now on; its task is cancelled."""
        self._current = None
        if watch is None:
            return
        watch.stopped.set()
        self._retired = [w for w in self._retired
                         if w.thread is not None and w.thread.is_alive()] + [watch]
        if watch.loop is not None and watch.task is not None:
            with contextlib.suppress(RuntimeError):  # its loop already closed
                watch.loop.call_soon_threadsafe(watch.task.cancel)

    # -- on the card-watch thread ------------------------------------------------------------

    def _run(self, watch: _CardWatch) -> None:
        loop = asyncio.new_event_loop()
        reads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-read")
        loop.set_default_executor(reads)  # asyncio.to_thread: the PKCS#11 calls go there
        try:
            with self._lock:
                if watch.stopped.is_set():
                    return
                watch.loop = loop
                watch.task = loop.create_task(self._watch(watch), name="card-watch")
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(watch.task)
        except Exception:
            _log.exception("the card watch failed")
            from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState

            # The indicator must not keep saying "watching" when nothing watches any more.
            self._publisher(watch)(CardWatchChanged(
                CardWatchState.FAILED, module=watch.settings.module,
                reason="La surveillance de la carte CPS s'est arrêtée sur une erreur "
                "inattendue (détails dans le journal).",
                reason_en="Watching the CPS card stopped on an unexpected error (details in "
                "the log)."))
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_default_executor())
            reads.shutdown(wait=True)
            with self._lock:
                watch.loop = None
            loop.close()

    def _publisher(self, watch: _CardWatch) -> Callable[[Event], None]:
        def publish(event: Event) -> None:
            # Under the lock: a run retired meanwhile publishes nothing more.
            with self._lock:
                if not watch.stopped.is_set():
                    self._publish(event)

        return publish

    async def _watch(self, watch: _CardWatch) -> None:
        from app.protocols.pkcs11 import card
        from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState
        from app.protocols.pkcs11.probe import probe_module

        publish = self._publisher(watch)
        settings = watch.settings
        module = settings.module
        last_failure = ""

        def failed(exc: UserFacingError) -> None:
            nonlocal last_failure
            if exc.text("fr") != last_failure:  # once per distinct failure, not every retry
                last_failure = exc.text("fr")
                publish(CardWatchChanged(CardWatchState.FAILED, module=module,
                                         reason=exc.text("fr"), reason_en=exc.text("en")))

        # 1. The module, tried in a child process before this process loads it.
        retry = CARD_RETRY_FIRST
        while not card.is_loaded(module):
            try:
                await asyncio.to_thread(self._probe or probe_module, module)
                break
            except UserFacingError as exc:
                failed(exc)
            await asyncio.sleep(retry)
            retry = min(retry * 2, CARD_RETRY_MAX)

        # 2. The watch: AuthService publishes insertion and removal.
        auth = await asyncio.to_thread(self._auth_factory, publish)
        try:
            reader = card.CardReader(module, token_label=settings.token_label,
                                     slot=settings.slot, rescan=True)
            watcher = auth.watch_card(reader, interval=self.interval)
            healthy = False
            retry = CARD_RETRY_FIRST
            while True:
                try:
                    await watcher.check()
                except UserFacingError as exc:
                    healthy = False
                    failed(exc)
                    await asyncio.sleep(retry)
                    retry = min(retry * 2, CARD_RETRY_MAX)
                    continue
                if not healthy:
                    healthy, last_failure, retry = True, "", CARD_RETRY_FIRST
                    publish(CardWatchChanged(CardWatchState.WATCHING, module=module))
                await asyncio.sleep(self.interval)
        finally:
            await auth.aclose()
