"""Accounts in the encrypted store, and their passwords behind a SecretStore."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.errors import InvalidInputError, KeyringUnavailableError, UserFacingError
from app.events import AccountAdded, AccountRemoved, EventBus
from app.store.database import Connection, Database, IntegrityError, Row
from app.store.keys import KEYRING_SERVICE, vetted_keyring


class SecretStore(ABC):
    """Named secrets (account passwords, tokens) kept out of the plain tables."""

    @abstractmethod
    def get(self, name: str) -> str | None: ...

    @abstractmethod
    def set(self, name: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, name: str) -> None: ...


class KeyringSecretStore(SecretStore):
    """Secrets in the OS keyring, namespaced by the profile id."""

    def __init__(self, profile_id: str, *, backend: Any | None = None) -> None:
        self._profile_id = profile_id
        self._backend = backend

    def _keyring(self) -> Any:
        if self._backend is None:
            self._backend = vetted_keyring()
        return self._backend

    def _username(self, name: str) -> str:
        return f"{self._profile_id}/{name}"

    def get(self, name: str) -> str | None:
        try:
            value = self._keyring().get_password(KEYRING_SERVICE, self._username(name))
        except KeyringUnavailableError:
            raise
        except Exception as exc:
            raise KeyringUnavailableError() from exc
        return value if isinstance(value, str) else None

    def set(self, name: str, value: str) -> None:
        try:
            self._keyring().set_password(KEYRING_SERVICE, self._username(name), value)
        except KeyringUnavailableError:
            raise
        except Exception as exc:
            raise KeyringUnavailableError() from exc

    def delete(self, name: str) -> None:
        if self.get(name) is None:
            return
        try:
            self._keyring().delete_password(KEYRING_SERVICE, self._username(name))
        except Exception as exc:
            raise KeyringUnavailableError() from exc


class DatabaseSecretStore(SecretStore):
    """Secrets inside the encrypted database (key-file profiles, where no keyring is used)."""

    def __init__(self, *, database: Database) -> None:
        self._db = database

    def get(self, name: str) -> str | None:
        rows = self._db.query("SELECT value FROM secret WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set(self, name: str, value: str) -> None:
        self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO secret(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
        )

    def delete(self, name: str) -> None:
        self._db.write(lambda conn: conn.execute("DELETE FROM secret WHERE name = ?", (name,)))


class InMemorySecretStore(SecretStore):
    """For tests."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def password_secret_name(account: Account) -> str:
    return f"password:{account.login}:{account.address.lower()}"


_COLUMNS = (
    "address, login, kind, imap_host, imap_port, imap_tls, smtp_host, smtp_port, smtp_tls, "
    "auth, display_name, ca_file, certificate, national_id"
)


def _row_to_account(row: Row) -> Account:
    return Account(
        address=row["address"],
        kind=MailboxKind(row["kind"]),
        login=row["login"],
        imap=Endpoint(row["imap_host"], int(row["imap_port"]), TlsMode(row["imap_tls"])),
        smtp=Endpoint(row["smtp_host"], int(row["smtp_port"]), TlsMode(row["smtp_tls"])),
        auth=AuthMethod(row["auth"]),
        display_name=row["display_name"],
        ca_file=row["ca_file"],
        certificate=row["certificate"],
        national_id=row["national_id"],
    )


def _not_found(address: str) -> UserFacingError:
    return InvalidInputError(
        f"Aucun compte « {address} » dans ce profil.",
        message_en=f"No account “{address}” in this profile.",
    )


class AccountStore:
    """Add, list, get and remove accounts; passwords go to the SecretStore, never to the table."""

    def __init__(
        self, *, database: Database, secrets: SecretStore, events: EventBus | None = None
    ) -> None:
        self._db = database
        self._secrets = secrets
        self._events = events

    def add(self, account: Account, *, password: str | None = None) -> None:
        """Store ``account``; a duplicate (same address and login) is refused."""
        if account.auth is AuthMethod.PASSWORD and not password:
            raise InvalidInputError(
                "Un mot de passe est nécessaire pour ce compte.",
                message_en="A password is needed for this account.",
            )
        self.ensure_new(account)
        if password:
            # Secret first: a failing keyring must not leave an account without its password.
            self._secrets.set(password_secret_name(account), password)

        def insert(conn: Connection) -> None:
            conn.execute(
                f"INSERT INTO account ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                (
                    account.address,
                    account.login,
                    account.kind.value,
                    account.imap.host,
                    account.imap.port,
                    account.imap.tls.value,
                    account.smtp.host,
                    account.smtp.port,
                    account.smtp.tls.value,
                    account.auth.value,
                    account.display_name,
                    account.ca_file,
                    account.certificate,
                    account.national_id,
                ),
            )

        try:
            self._db.write(insert)
        except IntegrityError as exc:
            raise self._duplicate(account) from exc
        if self._events is not None:
            self._events.publish(AccountAdded(account.address, account.login))

    @staticmethod
    def _duplicate(account: Account) -> UserFacingError:
        return InvalidInputError(
            f"Le compte « {account.address} » (identifiant « {account.login} ») existe déjà "
            "dans ce profil.",
            message_en=f"The account “{account.address}” (login “{account.login}”) already "
            "exists in this profile.",
        )

    def ensure_new(self, account: Account) -> None:
        """Raise the "already exists" error when an account has the same address and login."""
        if self.exists(account.address, account.login):
            raise self._duplicate(account)

    def exists(self, address: str, login: str) -> bool:
        rows = self._db.query(
            "SELECT 1 FROM account WHERE address = ? AND login = ?", (address.strip(), login)
        )
        return bool(rows)

    def list(self) -> list[Account]:
        rows = self._db.query(f"SELECT {_COLUMNS} FROM account ORDER BY address, login")
        return [_row_to_account(r) for r in rows]

    def get(self, address: str, login: str | None = None) -> Account:
        """The account with this address (and login, when several share the address)."""
        matches = [
            a
            for a in self.list()
            if a.address.lower() == address.strip().lower() and (login is None or a.login == login)
        ]
        if not matches:
            raise _not_found(address)
        if len(matches) > 1:
            raise InvalidInputError(
                f"Plusieurs comptes « {address} » existent ; précisez l'identifiant.",
                message_en=f"Several accounts “{address}” exist; give the login.",
            )
        return matches[0]

    def password(self, account: Account) -> str | None:
        return self._secrets.get(password_secret_name(account))

    def set_password(self, account: Account, password: str) -> None:
        """Replace the stored password of ``account`` (the server refused the old one, or the
        keyring lost it); only for a password account of this profile."""
        if account.auth is not AuthMethod.PASSWORD:
            raise InvalidInputError(
                "Ce compte ne se connecte pas par mot de passe.",
                message_en="This account does not log in with a password.",
            )
        if not password:
            raise InvalidInputError(
                "Un mot de passe est nécessaire pour ce compte.",
                message_en="A password is needed for this account.",
            )
        if not self.exists(account.address, account.login):
            raise _not_found(account.address)
        self._secrets.set(password_secret_name(account), password)

    def remove(self, address: str, login: str | None = None) -> None:
        account = self.get(address, login)
        self._db.write(
            lambda conn: conn.execute(
                "DELETE FROM account WHERE address = ? AND login = ?",
                (account.address, account.login),
            )
        )
        self._secrets.delete(password_secret_name(account))
        if self._events is not None:
            self._events.publish(AccountRemoved(account.address, account.login))
