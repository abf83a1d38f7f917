"""One IMAP session on imapclient, confined to its own thread, with the project's TLS rules.

- TLS always: implicit TLS, or STARTTLS which is then mandatory (no STARTTLS offered -> refused);
  TLS 1.2 minimum; the server certificate is checked against the account's CA file (or the
  system's) and the host name.
- Credentials are sent only once TLS is up (``login`` refuses otherwise), whatever the server
  advertises: Dovecot offers AUTH=PLAIN in clear on 127.0.0.1.
- IMAPClient is blocking and not thread-safe: every call runs on the connection's single-thread
  executor; callers on other threads wait for it.
- Library exceptions become ``app.errors`` ones (AuthenticationError, ServerUnreachableError...).
- NAMESPACE (RFC 2342) is parsed here, leniently: a server's personal, other-users and shared
  namespaces tell which listed folders are the login's own and which are other people's boxes
  shared with it (an ORG box read with a nurse's own login).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from imapclient import IMAPClient, imap_utf7
from imapclient import exceptions as imap_errors
from imapclient.response_parser import parse_fetch_response, parse_response

from app.domain.account import Endpoint, TlsMode
from app.errors import AuthenticationError, ServerUnreachableError, UserFacingError
from app.executors import connection_executor
from app.protocols.tls import client_context

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
        """The RFC 6154 attribute, in its canonical spelling (attributes are case-insensitive)."""
        for attribute in self.attributes:
            canonical = _SPECIAL_USE_BY_LOWER.get(attribute.lower())
            if canonical is not None:
                return canonical
        return None


_SPECIAL_USE_BY_LOWER = {use.decode().lower(): use.decode() for use in SPECIAL_USES}


def folder_name(raw: object) -> str | None:
    """A LIST name (RFC 3501 §5.1.3 modified UTF-7) as text, or None when it is not valid.

    Valid means it decodes and encodes back to the same bytes: a name that does not round-trip
    (bad base64, a lone surrogate, raw 8-bit bytes) could not be named back to the server in
    SELECT, and a lone surrogate cannot even be stored as UTF-8.
    """
    if isinstance(raw, int):
        return str(raw)  # some servers quote numeric names; the parser made them ints
    data = raw.encode("ascii", "replace") if isinstance(raw, str) else raw
    if not isinstance(data, bytes) or not data:
        return None
    try:
        text = str(imap_utf7.decode(data))
        if imap_utf7.encode(text) != data:
            return None
        text.encode("utf-8")
    except (UnicodeError, ValueError):
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return None  # control characters have no place in a folder name
    return text


def parse_my_rights(data: Sequence[Any]) -> str:
    """The rights of a MYRIGHTS answer (``"folder" lrswi…``): RFC 4314 letters only, so that a
    hostile answer can never grant more than the letters it spells."""
    for item in data:
        if not isinstance(item, bytes | str):
            continue
        try:
            parsed = parse_response([item if isinstance(item, bytes) else item.encode()])
        except (imap_errors.ProtocolError, ValueError):
            continue
        if len(parsed) >= 2:
            rights = _text(parsed[-1])
            return "".join(sorted({ch for ch in rights if ch in _RFC4314_RIGHTS}))
    raise ImapProtocolError("Réponse MYRIGHTS illisible du serveur.",
                            message_en="Unreadable MYRIGHTS answer from the server.")


# RFC 4314 §2.1 rights, plus RFC 2086's obsolete c and d still sent by some servers.
_RFC4314_RIGHTS = frozenset("lrswipkxteacd")


def listed_folders(raw: Iterable[tuple[Any, Any, Any]]) -> tuple[list[ListedFolder], int]:
    """(folders, how many were left out) from imapclient's raw LIST triples."""
    folders: list[ListedFolder] = []
    skipped = 0
    for flags, delim, name in raw:
        text = folder_name(name)
        if text is None:
            skipped += 1
            continue
        folders.append(ListedFolder(
            name=text,
            delimiter=None if delim is None else _text(delim),
            attributes=tuple(_text(a) for a in flags),
        ))
    return folders, skipped


@dataclass(frozen=True)
class Namespace:
    """One namespace of a NAMESPACE answer (RFC 2342): its prefix and hierarchy delimiter."""

    prefix: str
    delimiter: str | None

    def holds(self, name: str) -> bool:
        """Whether the folder ``name`` lies in this namespace: the prefix itself (``Partagé``
        for ``Partagé/``, listed as a \\Noselect parent) or anything below it."""
        if not self.prefix:
            return True
        delimiter = self.delimiter or ""
        if delimiter and self.prefix.endswith(delimiter):
            return name.startswith(self.prefix) or name == self.prefix[: -len(delimiter)]
        if delimiter:
            # A prefix given without its delimiter ("Other Users" with "/"): the root and below.
            return name == self.prefix or name.startswith(self.prefix + delimiter)
        return name.startswith(self.prefix)

    def remainder(self, name: str) -> str | None:
        """``name`` below the prefix (``cardiologie@chu.fr/Archives``), None when not below it."""
        if not self.prefix or not name.startswith(self.prefix):
            return None
        rest = name[len(self.prefix):]
        delimiter = self.delimiter or ""
        if delimiter and not self.prefix.endswith(delimiter):
            if not rest.startswith(delimiter):
                return None  # "Other Usersfoo" is not below "Other Users"
            rest = rest[len(delimiter):]
        return rest or None


@dataclass(frozen=True)
class Namespaces:
    """The three kinds of namespace of RFC 2342 §5; a kind the server has none of is empty."""

    personal: tuple[Namespace, ...] = ()
    other_users: tuple[Namespace, ...] = ()
    shared: tuple[Namespace, ...] = ()

    def kind_of(self, name: str) -> str | None:
        """``"personal"``, ``"other_users"`` or ``"shared"``: the namespace whose prefix is the
        longest one holding ``name`` (an empty personal prefix holds everything, at the lowest
        rank; an empty other-users or shared prefix is ignored); None when none does."""
        best: tuple[int, str] | None = None
        for kind in ("personal", "other_users", "shared"):
            for namespace in getattr(self, kind):
                if not namespace.prefix and kind != "personal":
                    continue  # other people's folders everywhere: meaningless, ignored
                if namespace.holds(name) and (best is None or len(namespace.prefix) > best[0]):
                    best = (len(namespace.prefix), kind)
        return None if best is None else best[1]


def _namespace_text(value: object) -> str | None:
    """A prefix or delimiter of a NAMESPACE answer as text: modified UTF-7 decoded as the folder
    names of LIST are (so that both compare), raw 8-bit bytes as UTF-8 (RFC 6855 servers)."""
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        if all(b < 0x80 for b in value):
            try:
                return str(imap_utf7.decode(value))
            except (ValueError, UnicodeError):
                return value.decode("ascii")
        return value.decode("utf-8", "replace")
    return str(value)


def parse_namespace_response(data: Sequence[Any]) -> Namespaces:
    """The untagged NAMESPACE data (RFC 2342 §5), read leniently: a kind that is NIL, missing or
    not a list is empty; a descriptor that is not ``(prefix delimiter ...)`` is skipped; the
    extension data of RFC 4466 after the delimiter is ignored; a NIL or empty delimiter means a
    flat namespace. Raises imapclient's ProtocolError only on text that does not tokenize."""
    chunks = [item for item in data if item not in (None, b"")]
    parsed = list(parse_response(chunks)) if chunks else []
    kinds: list[tuple[Namespace, ...]] = []
    for group in parsed[:3]:
        found: list[Namespace] = []
        if isinstance(group, tuple | list):
            for descriptor in group:
                if not isinstance(descriptor, tuple | list) or not descriptor:
                    continue
                prefix = _namespace_text(descriptor[0])
                if prefix is None:
                    continue
                delimiter = _namespace_text(descriptor[1]) if len(descriptor) > 1 else None
                found.append(Namespace(prefix=prefix, delimiter=delimiter or None))
        kinds.append(tuple(found))
    kinds += [()] * (3 - len(kinds))
    return Namespaces(personal=kinds[0], other_users=kinds[1], shared=kinds[2])


@dataclass(frozen=True)
class SelectedFolder:
    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int
    highestmodseq: int | None


@dataclass(frozen=True)
class QresyncSelect:
    """What a SELECT (QRESYNC ...) answered in its one round trip (RFC 7162 §3.2.5)."""

    folder: SelectedFolder
    vanished: tuple[int, ...]
    # uid -> (flags, modseq) of every message changed (or added) since the given modseq.
    changed: dict[int, tuple[tuple[str, ...], int | None]]


@dataclass(frozen=True)
class Quota:
    """GETQUOTAROOT's STORAGE resource (bytes) and MESSAGE resource (count), when given."""

    root: str
    storage_used: int | None
    storage_limit: int | None
    messages_used: int | None = None
    messages_limit: int | None = None


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The shared TLS policy (``app.protocols.tls``): IGC-Santé anchors plus the account's CA."""
    return client_context(ca_file)


def sequence_set(uids: Iterable[int]) -> str:
    """A compact IMAP sequence set (``1:5,7,9:12``) of ``uids``."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def parse_sequence_set(text: str) -> list[int]:
    """The uids of a sequence set made of numbers and ranges (no ``*``: VANISHED never has one)."""
    uids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if ":" in part:
            low, high = (int(x) for x in part.split(":", 1))
            if low > high:
                low, high = high, low
            uids.extend(range(low, high + 1))
        else:
            uids.append(int(part))
    return uids


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


def quiet(client: IMAPClient) -> None:
    """Turn off imaplib's protocol trace, which imapclient sets to level 5 on every connection.

    At that level imaplib builds ``repr()`` of every response it reads — each message of a FETCH,
    then the whole batch again when the command completes — only for imapclient's logger to drop
    it (or, were that logger at DEBUG, to write message content to the log). It was over half of
    the connection thread's time in an initial sync.
    """
    client._imap.debug = 0


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
        # NAMESPACE's answer, asked once per session (it does not change while logged in).
        self._namespaces: Namespaces | None = None
        self.skipped_folder_names = 0  # by the last LIST: names not valid modified UTF-7
        # Commands sent (each one a round trip): benchmarks and tests read it.
        self.round_trips = 0
        self._idling = False

    # --- thread confinement ----------------------------------------------------------------------

    def _run(self, fn: Callable[[], T], *, command: bool = True) -> T:
        def wrapped() -> T:
            self._thread_id = threading.get_ident()
            if command:
                self.round_trips += 1
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
        except (imap_errors.IMAPClientAbortError, imaplib.IMAP4.abort, ssl.SSLError, OSError,
                EOFError) as exc:
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

    def _ssl_context(self) -> ssl.SSLContext:
        """The TLS policy for this connection; subclasses add a client certificate."""
        return tls_context(self._ca_file)

    def connect(self) -> None:
        def run() -> None:
            context = self._ssl_context()
            implicit = self.endpoint.tls is TlsMode.IMPLICIT
            client = IMAPClient(
                self.endpoint.host,
                self.endpoint.port,
                ssl=implicit,
                ssl_context=context if implicit else None,
                timeout=self._timeout,
            )
            quiet(client)
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
        """LIST "" "*". Folders whose name is not valid modified UTF-7 are left out (see
        ``listed_folders``); ``skipped_folder_names`` says how many were, for the caller."""

        def run() -> list[ListedFolder]:
            # Names come back raw and are decoded here, one by one: imapclient decodes the
            # whole listing at once and one hostile name would fail it all.
            client = self.client
            encode, client.folder_encode = client.folder_encode, False
            try:
                raw = client.list_folders()
            finally:
                client.folder_encode = encode
            folders, self.skipped_folder_names = listed_folders(raw)
            return folders

        return self._run(run)

    def namespaces(self) -> Namespaces | None:
        """The login's namespaces (RFC 2342); None when the server does not offer NAMESPACE.

        Asked once per session. A refusal raises ImapProtocolError.
        """
        if not self.has("NAMESPACE"):
            return None
        if self._namespaces is None:

            def run() -> Namespaces:
                typ, data = self.client._imap.namespace()
                if typ != "OK":
                    raise imap_errors.IMAPClientError(
                        f"namespace failed: {_text(data[0]) if data else typ}")
                return parse_namespace_response(data)

            self._namespaces = self._run(run)
        return self._namespaces

    def select(self, folder: str, *, readonly: bool = False) -> SelectedFolder:
        def run() -> SelectedFolder:
            return self._selected(folder, self.client.select_folder(folder, readonly=readonly))

        return self._run(run)

    def _selected(self, folder: str, info: dict[bytes, Any]) -> SelectedFolder:
        modseq = info.get(b"HIGHESTMODSEQ")
        uidnext = info.get(b"UIDNEXT")
        return SelectedFolder(
            name=folder,
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=None if uidnext is None else int(uidnext),
            exists=int(info.get(b"EXISTS", 0)),
            highestmodseq=None if modseq is None or not self.condstore else int(modseq),
        )

    def search_uids(self, criteria: Sequence[Any]) -> list[int]:
        return self._run(lambda: [int(u) for u in self.client.search(list(criteria))])

    def fetch(self, uids: Sequence[int] | str, items: Sequence[str],
              modifiers: Sequence[str] | None = None) -> dict[int, dict[bytes, Any]]:
        def run() -> dict[int, dict[bytes, Any]]:
            result = self.client.fetch(uids, list(items), modifiers=modifiers)
            return {int(uid): data for uid, data in result.items()}

        return self._run(run)

    def fetch_later(self, uids: Sequence[int] | str, items: Sequence[str],
                    modifiers: Sequence[str] | None = None) -> Future[dict[int, dict[bytes, Any]]]:
        """``fetch`` started on the connection's thread; the caller works meanwhile (pipelining
        the next batch's transfer with this batch's indexing and storing)."""

        def run() -> dict[int, dict[bytes, Any]]:
            self._thread_id = threading.get_ident()
            self.round_trips += 1

            def command() -> dict[int, dict[bytes, Any]]:
                result = self.client.fetch(uids, list(items), modifiers=modifiers)
                return {int(uid): data for uid, data in result.items()}

            return self._translate(command)

        return self._executor.submit(run)

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

    # --- QRESYNC ---------------------------------------------------------------------------------

    def select_qresync(self, folder: str, *, uidvalidity: int, modseq: int,
                       known_uids: Iterable[int]) -> QresyncSelect:
        """``SELECT folder (QRESYNC (uidvalidity modseq known-uids))``: one round trip tells the
        expunged uids (VANISHED (EARLIER)) and the flags of every message changed since ``modseq``.

        imapclient has no QRESYNC parameter for SELECT, so the command goes through its raw sender
        and imaplib's state is set by hand (what ``imaplib.select`` does after an OK).
        """

        def run() -> QresyncSelect:
            client = self.client
            imap = client._imap
            imap.untagged_responses = {}
            known = sequence_set(known_uids)
            arguments = f"{uidvalidity} {modseq}" + (f" {known}" if known else "")
            typ, data = client._raw_command(
                b"SELECT",
                [client._normalise_folder(folder), f"(QRESYNC ({arguments}))".encode()],
                uid=False,
            )
            if typ != "OK":
                raise imap_errors.IMAPClientError(f"select failed: {_text(data[0])}")
            imap.state = "SELECTED"
            untagged = imap.untagged_responses
            fetch_lines = untagged.pop("FETCH", [])
            vanished_lines = untagged.pop("VANISHED", [])
            info = client._process_select_response(untagged)
            vanished: list[int] = []
            for line in vanished_lines:
                text = _text(line).strip()
                if text.upper().startswith("(EARLIER)"):
                    text = text[len("(EARLIER)"):].strip()
                vanished.extend(parse_sequence_set(text))
            changed: dict[int, tuple[tuple[str, ...], int | None]] = {}
            if fetch_lines:
                parsed = parse_fetch_response(fetch_lines, normalise_times=True, uid_is_key=True)
                for uid, item in parsed.items():
                    flags = tuple(_text(f) for f in item.get(b"FLAGS", ()))
                    raw_modseq = item.get(b"MODSEQ")
                    changed[int(uid)] = (
                        flags,
                        int(raw_modseq[0]) if isinstance(raw_modseq, tuple | list) and raw_modseq
                        else None,
                    )
            return QresyncSelect(
                folder=self._selected(folder, info),
                vanished=tuple(vanished),
                changed=changed,
            )

        return self._run(run)

    # --- IDLE ------------------------------------------------------------------------------------

    def idle_start(self) -> None:
        """Enter IDLE on the selected folder (RFC 2177); the server then pushes changes."""

        def run() -> None:
            self.client.idle()
            self._idling = True

        self._run(run)

    def idle_wait(self, timeout: float) -> list[tuple[str, ...]]:
        """Wait up to ``timeout`` s for pushed responses; [] when none came.

        Unlike imapclient's ``idle_check`` (which takes end-of-file for "nothing more to read"),
        a closed connection or a ``* BYE`` raises ServerUnreachableError, so the caller can
        reconnect instead of spinning on a dead socket.
        """

        def run() -> list[tuple[str, ...]]:
            client = self.client
            sock = client.socket()
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not pending and not select.select([sock], [], [], max(0.0, timeout))[0]:
                return []
            responses: list[tuple[str, ...]] = []
            while True:
                line = client._imap._get_line()  # blocking (read timeout): EOF -> abort
                # Only the first words matter ("5 EXISTS", "VANISHED 3", "BYE ..."): no full
                # parse, so an odd status text cannot break the watch.
                words = tuple(_text(line[2:] if line.startswith(b"* ") else line)
                              .upper().split()[:2])
                responses.append(words)
                if words and words[0] == "BYE":
                    raise imaplib.IMAP4.abort("server said BYE")
                more = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
                if not more and not select.select([sock], [], [], 0)[0]:
                    return responses

        return self._run(run, command=False)

    def idle_stop(self) -> None:
        """DONE: leave IDLE (its remaining untagged responses are read and dropped)."""

        def run() -> None:
            if self._idling:
                self._idling = False
                self.client.idle_done()

        self._run(run)

    # --- ACL -------------------------------------------------------------------------------------

    def my_rights(self, folder: str) -> str | None:
        """MYRIGHTS ``folder`` (RFC 4314): the rights letters this login holds there; None when
        the server has no ACL extension. A refusal raises ImapProtocolError."""
        if not self.has("ACL"):
            return None

        def run() -> str:
            client = self.client
            typ, data = client._imap.myrights(client._normalise_folder(folder))
            if typ != "OK":
                raise imap_errors.IMAPClientError(
                    f"myrights failed: {_text(data[0]) if data else typ}")
            return parse_my_rights(data)

        return self._run(run)

    # --- QUOTA -----------------------------------------------------------------------------------

    def quota(self, folder: str = "INBOX") -> Quota | None:
        """GETQUOTAROOT ``folder`` (RFC 9208) when the server offers QUOTA; None otherwise."""
        if not self.has("QUOTA"):
            return None

        def run() -> Quota | None:
            # imapclient sends this argument as is: quoted and in modified UTF-7 here, or
            # "Partagé/…" would not even be encodable.
            roots, quotas = self.client.get_quota_root(self.client._normalise_folder(folder))
            found: dict[str, tuple[int, int]] = {}
            root = roots.quota_roots[0] if roots.quota_roots else ""
            for quota in quotas:
                if quota.quota_root == root or not root:
                    found.setdefault(quota.resource.upper(), (int(quota.usage), int(quota.limit)))
            if not found:
                return None
            storage = found.get("STORAGE")
            messages = found.get("MESSAGE")
            # RFC 9208: STORAGE is in units of 1024 octets.
            return Quota(
                root=root,
                storage_used=None if storage is None else storage[0] * 1024,
                storage_limit=None if storage is None else storage[1] * 1024,
                messages_used=None if messages is None else messages[0],
                messages_limit=None if messages is None else messages[1],
            )

        return self._run(run)
