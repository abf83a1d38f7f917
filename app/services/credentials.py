"""What each account logs in with, for IMAP and SMTP: a password, a Pro Santé Connect session, or
the APP box's certificate (issue 5, items 5, 6 and 8).

- Password: kept in the SecretStore by the account store; PLAIN/LOGIN only inside TLS.
- PSC: the account's provider settings (issuer, discovery URL, client id, how the client
  authenticates) are plain settings; the client secret is in the SecretStore. The session
  (``PscSession``, a ``TokenSource``) lives in memory only, for as long as the process that opened
  it (ECO.1.2.5): the command line opens one per command, the window one per run.
- Certificate: the PKCS#12 path is on the account; its password is in the SecretStore under
  ``pkcs12_password_secret_name``; the decrypted key stays in memory (``ClientCertificate``).

Logins are audited (ECO.4.1.1): success or failure, never a secret.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from app.domain.account import Account, AuthMethod
from app.domain.audit import AuditAction, AuditActor, AuditFailure
from app.domain.session import CibaChannel
from app.errors import InvalidInputError, UserFacingError
from app.events import Event
from app.protocols import sasl
from app.protocols.client_certificate import (
    ClientCertificate,
    load_pkcs12_file,
    pkcs12_password_secret_name,
)
from app.protocols.imap.connection import ImapConnection
from app.protocols.oidc import ciba
from app.protocols.oidc.client import OidcSettings
from app.protocols.oidc.client_auth import ClientAuth, ClientSecretBasic, PublicClient
from app.services.audit_service import AuditService, failure_from_exception
from app.services.auth_service import AuthService, PscSession
from app.services.sync_engine import ConnectionFactory, SyncEngine
from app.store.account_store import AccountStore, SecretStore
from app.store.outbox_store import SettingStore

CLIENT_SECRET_BASIC = "client_secret_basic"
PUBLIC_CLIENT = "public"
CLIENT_AUTH_MODES = (CLIENT_SECRET_BASIC, PUBLIC_CLIENT)


def _setting(account: Account, key: str) -> str:
    return f"account.{account.address.lower()}.{account.login}.psc.{key}"


def psc_client_secret_name(account: Account) -> str:
    return f"psc-client-secret:{account.login}:{account.address.lower()}"


class NoSessionError(UserFacingError):
    default_message = (
        "Aucune session Pro Santé Connect n'est ouverte pour ce compte : connectez-vous avec votre "
        "carte CPS ou l'application e-CPS."
    )
    default_message_en = "No Pro Santé Connect session is open for this account: log in first."


@dataclass(frozen=True)
class PscAccountSettings:
    """How an account reaches Pro Santé Connect (no secret here)."""

    issuer: str
    client_id: str
    client_auth: str = CLIENT_SECRET_BASIC
    discovery_url: str | None = None

    def __post_init__(self) -> None:
        if not self.issuer.startswith("https://"):
            raise InvalidInputError(
                f"L'adresse du fournisseur Pro Santé Connect « {self.issuer} » doit commencer "
                "par https://.",
                message_en=f"The Pro Santé Connect issuer “{self.issuer}” must start with "
                "https://.",
            )
        if self.discovery_url is not None and not self.discovery_url.startswith("https://"):
            raise InvalidInputError(
                "L'adresse de découverte Pro Santé Connect doit commencer par https://.",
                message_en="The Pro Santé Connect discovery URL must start with https://.",
            )
        if not self.client_id.strip():
            raise InvalidInputError(
                "L'identifiant client Pro Santé Connect est vide.",
                message_en="The Pro Santé Connect client id is empty.",
            )
        if self.client_auth not in CLIENT_AUTH_MODES:
            raise InvalidInputError(
                f"Mode d'authentification client « {self.client_auth} » inconnu ; valeurs "
                f"possibles : {', '.join(CLIENT_AUTH_MODES)}.",
                message_en=f"Unknown client authentication “{self.client_auth}”.",
            )


@dataclass(frozen=True)
class PasswordCredential:
    password: str


@dataclass(frozen=True)
class TokenCredential:
    source: sasl.TokenSource
    loop: asyncio.AbstractEventLoop  # the loop the source lives on (blocking IMAP waits on it)


@dataclass(frozen=True)
class CertificateCredential:
    certificate: ClientCertificate


Credential = PasswordCredential | TokenCredential | CertificateCredential


class CredentialService:
    """Per-account credentials; PSC sessions attached in memory by whoever opened them."""

    def __init__(
        self,
        *,
        accounts: AccountStore,
        secrets: SecretStore,
        settings: SettingStore,
        audit: AuditService | None = None,
    ) -> None:
        self._accounts = accounts
        self._secrets = secrets
        self._settings = settings
        self._audit = audit
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], TokenCredential] = {}
        self._certificates: dict[tuple[str, str], ClientCertificate] = {}

    @staticmethod
    def _key(account: Account) -> tuple[str, str]:
        return (account.address.lower(), account.login)

    # --- PSC settings -----------------------------------------------------------------------

    def save_psc_settings(
        self, account: Account, settings: PscAccountSettings, client_secret: str | None
    ) -> None:
        if settings.client_auth == CLIENT_SECRET_BASIC and not client_secret:
            raise InvalidInputError(
                "Ce mode d'authentification client demande le secret client Pro Santé Connect "
                "(variable ESTAFETTE_PSC_CLIENT_SECRET).",
                message_en="This client authentication needs the Pro Santé Connect client secret "
                "(ESTAFETTE_PSC_CLIENT_SECRET).",
            )
        if client_secret:
            self._secrets.set(psc_client_secret_name(account), client_secret)
        self._settings.set(_setting(account, "issuer"), settings.issuer)
        self._settings.set(_setting(account, "client_id"), settings.client_id)
        self._settings.set(_setting(account, "client_auth"), settings.client_auth)
        if settings.discovery_url:
            self._settings.set(_setting(account, "discovery_url"), settings.discovery_url)

    def psc_settings(self, account: Account) -> PscAccountSettings:
        issuer = self._settings.get(_setting(account, "issuer"))
        client_id = self._settings.get(_setting(account, "client_id"))
        if not issuer or not client_id:
            raise InvalidInputError(
                f"Le compte « {account.address} » n'a pas de réglages Pro Santé Connect ; "
                "ajoutez-le avec --psc-issuer et --psc-client-id.",
                message_en=f"The account “{account.address}” has no Pro Santé Connect settings.",
            )
        return PscAccountSettings(
            issuer=issuer,
            client_id=client_id,
            client_auth=self._settings.get(_setting(account, "client_auth"))
            or CLIENT_SECRET_BASIC,
            discovery_url=self._settings.get(_setting(account, "discovery_url")),
        )

    def oidc_settings(self, account: Account) -> OidcSettings:
        psc = self.psc_settings(account)
        client_auth: ClientSecretBasic | PublicClient
        if psc.client_auth == CLIENT_SECRET_BASIC:
            secret = self._secrets.get(psc_client_secret_name(account))
            if not secret:
                raise InvalidInputError(
                    "Le secret client Pro Santé Connect de ce compte est introuvable.",
                    message_en="This account's Pro Santé Connect client secret is missing.",
                )
            client_auth = ClientSecretBasic(psc.client_id, secret)
        else:
            client_auth = PublicClient(psc.client_id)
        return OidcSettings(
            issuer=psc.issuer,
            # The frozen dataclasses satisfy ClientAuth at run time; the protocol declares
            # client_id as a plain (settable) attribute, which mypy holds against them.
            client_auth=cast(ClientAuth, client_auth),
            discovery_url=psc.discovery_url,
            extra_ca_file=account.ca_file,
        )

    def forget(self, account: Account) -> None:
        """Drop what belongs to a removed account (settings, secrets, sessions)."""
        for key in ("issuer", "client_id", "client_auth", "discovery_url"):
            self._settings.delete(_setting(account, key))
        self._secrets.delete(psc_client_secret_name(account))
        self._secrets.delete(pkcs12_password_secret_name(account.address))
        with self._lock:
            self._sessions.pop(self._key(account), None)
            self._certificates.pop(self._key(account), None)

    # --- PSC sessions -----------------------------------------------------------------------

    def attach_session(
        self, account: Account, source: sasl.TokenSource, loop: asyncio.AbstractEventLoop
    ) -> None:
        with self._lock:
            self._sessions[self._key(account)] = TokenCredential(source, loop)

    def detach_session(self, account: Account) -> None:
        with self._lock:
            self._sessions.pop(self._key(account), None)

    def has_session(self, account: Account) -> bool:
        with self._lock:
            return self._key(account) in self._sessions

    async def login_psc(
        self,
        account: Account,
        *,
        publish: Callable[[Event], None],
        channel: CibaChannel = CibaChannel.MOBILE,
        sleep: ciba.Sleep = asyncio.sleep,
    ) -> tuple[AuthService, PscSession]:
        """CIBA for ``account`` (hint: its national id); the session is attached and audited.

        The caller owns the returned AuthService and closes it (``aclose``) when done: tokens
        are dropped then.
        """
        if not account.national_id:
            raise InvalidInputError(
                f"Le compte « {account.address} » n'a pas d'identifiant national (RPPS/ADELI) "
                "pour Pro Santé Connect ; ajoutez-le avec --national-id.",
                message_en=f"The account “{account.address}” has no national id for Pro Santé "
                "Connect.",
            )
        service = AuthService(self.oidc_settings(account), publish=publish, secrets=self._secrets)
        try:
            session = await service.login_ciba(account.national_id, channel=channel, sleep=sleep)
        except BaseException as exc:
            self.audit_login(account, exc)
            await service.aclose()
            raise
        self.audit_login(account, None)
        self.attach_session(account, session, asyncio.get_running_loop())
        return service, session

    # --- APP certificates -------------------------------------------------------------------

    def save_certificate_password(self, account: Account, password: str) -> ClientCertificate:
        """Check that ``password`` opens the account's PKCS#12, then keep it in the SecretStore."""
        if account.certificate is None:
            raise InvalidInputError(
                "Ce compte n'a pas de certificat (--certificate FICHIER.p12).",
                message_en="This account has no certificate (--certificate FILE.p12).",
            )
        certificate = load_pkcs12_file(account.certificate, password)
        self._secrets.set(pkcs12_password_secret_name(account.address), password)
        with self._lock:
            self._certificates[self._key(account)] = certificate
        return certificate

    def certificate(self, account: Account) -> ClientCertificate:
        with self._lock:
            cached = self._certificates.get(self._key(account))
        if cached is not None:
            cached.check_validity()
            return cached
        if account.certificate is None:
            raise InvalidInputError(
                f"Le compte « {account.address} » n'a pas de certificat.",
                message_en=f"The account “{account.address}” has no certificate.",
            )
        password = self._secrets.get(pkcs12_password_secret_name(account.address))
        try:
            certificate = load_pkcs12_file(account.certificate, password)
        except UserFacingError as exc:
            self.audit_login(account, exc)
            raise
        with self._lock:
            self._certificates[self._key(account)] = certificate
        return certificate

    # --- what a connection uses -------------------------------------------------------------

    def credential(self, account: Account) -> Credential:
        if account.auth is AuthMethod.PSC:
            with self._lock:
                session = self._sessions.get(self._key(account))
            if session is None:
                raise NoSessionError()
            return session
        if account.auth is AuthMethod.CERTIFICATE:
            return CertificateCredential(self.certificate(account))
        password = self._accounts.password(account)
        if not password:
            raise UserFacingError(
                f"Aucun mot de passe enregistré pour le compte « {account.address} ».",
                message_en=f"No password stored for the account “{account.address}”.",
            )
        return PasswordCredential(password)

    # --- audit ------------------------------------------------------------------------------

    def audit_login(self, account: Account, error: BaseException | None) -> None:
        if self._audit is None:
            return
        self._audit.record(
            mailbox=account.address,
            actor=actor_of(account),
            action=AuditAction.LOGIN,
            failure=_login_failure(error) if error is not None else None,
        )


def _login_failure(error: BaseException) -> AuditFailure:
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return AuditFailure.CANCELLED
    return failure_from_exception(error)


def actor_of(account: Account) -> AuditActor:
    return AuditActor(login=account.login, national_id=account.national_id)


class CredentialSyncEngine(SyncEngine):
    """The sync engine, opening PSC (XOAUTH2) and APP certificate (EXTERNAL) sessions too: the
    connection factory builds connections that carry the account's credential, so that ``login``
    needs no password for them."""

    def __init__(
        self, *, credentials: CredentialService, connection_factory: ConnectionFactory,
        **kwargs: Any,
    ) -> None:
        super().__init__(connection_factory=connection_factory, **kwargs)
        self._credentials = credentials
        self._credential_connect = connection_factory

    def open_connection(self, account: Account) -> ImapConnection:
        if account.auth is AuthMethod.PASSWORD:
            return super().open_connection(account)
        self._credentials.credential(account)  # no session / no certificate: a clear error now
        conn = self._credential_connect(account)
        # Audited like a password login: AUTHENTICATE XOAUTH2 / EXTERNAL and the server's status.
        self.connect_and_login(conn, account, "")
        return conn
