"""One IMAP session on imapclient, confined to its own thread, with the project's TLS rules.

- TLS always: implicit TLS, or STARTTLS which is then mandatory (no STARTTLS offered -> refused);
  TLS 1.2 minimum; the server certificate is checked against the account's CA file (or the
  system's) and the host name.
- Credentials are sent only once TLS is up (``login`` refuses otherwise), whatever the server
  advertises: Dovecot offers AUTH=PLAIN in clear on 127.0.0.1.
- IMAPClient is blocking and not thread-safe: every call runs on the connection's single-thread
  executor; callers on other threads wait for it.
- Library exceptions become ``app.errors`` ones (AuthenticationError, ServerUnreachableError...).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors

from app.domain.account import Endpoint, TlsMode
from app.errors import AuthenticationError, ServerUnreachableError, UserFacingError
from app.executors import connection_executor

T = TypeVar("T")
SPECIAL_USES = (b"\\Sent", b"\\Drafts", b"\\Trash", b"\\Junk", b"\\Archive", b"\\All",
                b"\\Flagged")


class ImapProtocolError(UserFacingError):
    """The server answered NO/BAD or something unparsable to a command."""

    default_message = "Le serveur de messagerie a refusé une commande."
    default_message_en = "The mail server refused a command."


@dataclass(frozen=True)
class ListedFolder:
    name: str
    delimiter: str | None
    attributes: tuple[str, ...]

    @property
    def selectable(self) -> bool:
        lowered = {a.lower() for a in self.attributes}
        return "\\noselect" not in lowered and "\\nonexistent" not in lowered

    @property
    def special_use(self) -> str | None:
        for attribute in self.attributes:
            if attribute.encode() in SPECIAL_USES:
                return attribute
        return None


@dataclass(frozen=True)
class SelectedFolder:
    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int
    highestmodseq: int | None


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file) if ca_file else (
        ssl.create_default_context())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _unreachable(endpoint: Endpoint, exc: BaseException) -> ServerUnreachableError:
    return ServerUnreachableError(
        f"Le serveur IMAP {endpoint} est injoignable ({type(exc).__name__}).",
        message_en=f"The IMAP server {endpoint} cannot be reached ({type(exc).__name__}).",
    )


def _certificate_error(endpoint: Endpoint, exc: ssl.SSLError) -> UserFacingError:
    return UserFacingError(
        f"Le certificat du serveur IMAP {endpoint} n'est pas valide ; connexion refusée "
        f"({getattr(exc, 'verify_message', None) or exc.reason}).",
        message_en=f"The certificate of the IMAP server {endpoint} is not valid; connection "
        f"refused ({getattr(exc, 'verify_message', None) or exc.reason}).",
    )


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class ImapConnection:
    """A logged-in (or about to be) IMAP session owned by one thread."""

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        ca_file: str | None = None,
        timeout: float = 30.0,
        name: str = "imap",
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._ca_file = ca_file
        self._timeout = timeout
        self._own_executor = executor is None
        self._executor = executor or connection_executor(name)
        self._thread_id: int | None = None
        self._client: IMAPClient | None = None
        self._tls = False
        self.capabilities: frozenset[str] = frozenset()
        self.qresync = False

    # --- thread confinement ----------------------------------------------------------------------

    def _run(self, fn: Callable[[], T]) -> T:
        def wrapped() -> T:
            self._thread_id = threading.get_ident()
            return self._translate(fn)

        if self._thread_id == threading.get_ident():
            return wrapped()
        return self._executor.submit(wrapped).result()

    def _translate(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except UserFacingError:
            raise
        except imap_errors.LoginError as exc:
            raise AuthenticationError() from exc
        except ssl.SSLCertVerificationError as exc:
            raise _certificate_error(self.endpoint, exc) from exc
        except (imap_errors.IMAPClientAbortError, ssl.SSLError, OSError, EOFError) as exc:
            self._client = None
            raise _unreachable(self.endpoint, exc) from exc
        except imap_errors.IMAPClientError as exc:
            raise ImapProtocolError(
                f"Le serveur de messagerie a refusé une commande : {exc}",
                message_en=f"The mail server refused a command: {exc}",
            ) from exc

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ServerUnreachableError(
                "La connexion IMAP est fermée.", message_en="The IMAP connection is closed."
            )
        return self._client

    # --- session ---------------------------------------------------------------------------------

    def connect(self) -> None:
        def run() -> None:
            context = tls_context(self._ca_file)
            implicit = self.endpoint.tls is TlsMode.IMPLICIT
            client = IMAPClient(
                self.endpoint.host,
                self.endpoint.port,
                ssl=implicit,
                ssl_context=context if implicit else None,
                timeout=self._timeout,
            )
            if not implicit:
                if not client.has_capability("STARTTLS"):
                    client.shutdown()
                    raise UserFacingError(
                        f"Le serveur IMAP {self.endpoint} ne propose pas STARTTLS ; connexion "
                        "refusée (jamais d'identifiants en clair).",
                        message_en=f"The IMAP server {self.endpoint} does not offer STARTTLS; "
                        "connection refused (credentials are never sent in clear).",
                    )
                client.starttls(context)
            self._client = client
            self._tls = True

        self._run(run)

    def login(self, login: str, password: str) -> None:
        def run() -> None:
            if not self._tls:
                raise UserFacingError(
                    "Identification refusée : la connexion n'est pas chiffrée.",
                    message_en="Login refused: the connection is not encrypted.",
                )
            self.client.login(login, password)
            # Capabilities change after login; read them once.
            self.capabilities = frozenset(_text(c).upper() for c in self.client.capabilities())
            if "QRESYNC" in self.capabilities or "CONDSTORE" in self.capabilities:
                try:
                    enabled = self.client.enable("QRESYNC" if "QRESYNC" in self.capabilities
                                                 else "CONDSTORE")
                    self.qresync = b"QRESYNC" in enabled
                except imap_errors.IMAPClientError:
                    self.qresync = False

        self._run(run)

    @property
    def condstore(self) -> bool:
        return "CONDSTORE" in self.capabilities or "QRESYNC" in self.capabilities

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    def close(self) -> None:
        def run() -> None:
            client, self._client = self._client, None
            if client is not None:
                try:
                    client.logout()
                except Exception:
                    with contextlib.suppress(Exception):
                        client.shutdown()

        with contextlib.suppress(Exception):
            self._run(run)
        if self._own_executor:
            self._executor.shutdown(wait=True)

    def abort(self) -> None:
        """Cut the socket from any thread (cancellation): the pending call fails at once."""
        client = self._client
        if client is not None:
            with contextlib.suppress(Exception):
                client.socket().shutdown(socket.SHUT_RDWR)

    # --- commands --------------------------------------------------------------------------------

    def list_folders(self) -> list[ListedFolder]:
        def run() -> list[ListedFolder]:
            return [
                ListedFolder(
                    name=_text(name),
                    delimiter=None if delim is None else _text(delim),
                    attributes=tuple(_text(a) for a in flags),
                )
                for flags, delim, name in self.client.list_folders()
            ]

        return self._run(run)

    def select(self, folder: str, *, readonly: bool = False) -> SelectedFolder:
        def run() -> SelectedFolder:
            info = self.client.select_folder(folder, readonly=readonly)
            modseq = info.get(b"HIGHESTMODSEQ")
            uidnext = info.get(b"UIDNEXT")
            return SelectedFolder(
                name=folder,
                uidvalidity=int(info[b"UIDVALIDITY"]),
                uidnext=None if uidnext is None else int(uidnext),
                exists=int(info.get(b"EXISTS", 0)),
                highestmodseq=None if modseq is None or not self.condstore else int(modseq),
            )

        return self._run(run)

    def search_uids(self, criteria: Sequence[Any]) -> list[int]:
        return self._run(lambda: [int(u) for u in self.client.search(list(criteria))])

    def fetch(self, uids: Sequence[int] | str, items: Sequence[str],
              modifiers: Sequence[str] | None = None) -> dict[int, dict[bytes, Any]]:
        def run() -> dict[int, dict[bytes, Any]]:
            result = self.client.fetch(uids, list(items), modifiers=modifiers)
            return {int(uid): data for uid, data in result.items()}

        return self._run(run)

    def add_flags(self, uids: Sequence[int], flags: Iterable[str]) -> None:
        self._run(lambda: self.client.add_flags(list(uids), [f.encode() for f in flags],
                                                silent=True))

    def remove_flags(self, uids: Sequence[int], flags: Iterable[str]) -> None:
        self._run(lambda: self.client.remove_flags(list(uids), [f.encode() for f in flags],
                                                   silent=True))

    def move(self, uids: Sequence[int], target: str) -> None:
        def run() -> None:
            if self.has("MOVE"):
                self.client.move(list(uids), target)
            else:
                self.client.copy(list(uids), target)
                self.client.delete_messages(list(uids), silent=True)
                self._expunge(uids)

        self._run(run)

    def _expunge(self, uids: Sequence[int]) -> None:
        if self.has("UIDPLUS"):
            self.client.uid_expunge(list(uids))
        else:
            self.client.expunge()

    def delete(self, uids: Sequence[int]) -> None:
        def run() -> None:
            self.client.delete_messages(list(uids), silent=True)
            self._expunge(uids)

        self._run(run)

    def append(self, folder: str, raw: bytes, flags: Iterable[str] = (),
               when: dt.datetime | None = None) -> None:
        self._run(lambda: self.client.append(folder, raw, [f.encode() for f in flags], when))

    def noop(self) -> None:
        self._run(self.client.noop)
