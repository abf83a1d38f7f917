"""The CPS card through PKCS#11 (python-pkcs11): presence, holder, insertion and removal.

The module path is configurable: the CPS middleware (``libcps3_pkcs11_lin.so`` and the like) on real
workstations, SoftHSM2 in tests. Reading the authentication certificate needs no PIN (certificates
are public objects); the card is then used through Pro Santé Connect's CIBA ``channel=CARD``.
Python's ``ssl`` cannot use a key held by PKCS#11, so the card is not used for TLS here.

One PKCS#11 library per process (python-pkcs11 keeps it loaded): ``CardReader`` instances share it,
and one lock per library serialises their looks (a reader re-initialising the library while another
reads would make that read fail, i.e. see the card "removed"). SoftHSM reads ``SOFTHSM2_CONF`` when
the library initialises, so that variable must be set before.

Loading a module runs its code in this process, and the loader blocks forever on a named pipe: the
path is checked first (``check_module_file``: absolute, a regular readable file that starts like a
shared library). A file that passes and still misbehaves (a crash in its initialisation) is what
``app.protocols.pkcs11.probe`` catches, by trying it in a child process first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from app.domain.session import CardHolder, card_holder_from_cn
from app.errors import EstafetteError, InvalidInputError, UserFacingError

_log = logging.getLogger(__name__)

_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.Lock()
# One lock per module path: every look through a library (and its re-initialisation) holds it.
_LIB_USE_LOCKS: dict[str, threading.Lock] = {}
# How shared libraries start: ELF (Linux), Mach-O (macOS, thin and fat), PE (Windows).
_LIBRARY_MAGIC = (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
                  b"\xfe\xed\xfa\xce", b"\xca\xfe\xba\xbe", b"MZ")


class CardError(UserFacingError):
    default_message = "La carte CPS n'a pas pu être lue."
    default_message_en = "The CPS card could not be read."


@dataclass(frozen=True)
class CardState:
    """What is in the reader: nothing (``holder`` None) or a card with its holder."""

    holder: CardHolder | None
    token_label: str = ""
    serial: str = ""
    certificate_der: bytes = b""

    @property
    def present(self) -> bool:
        return self.holder is not None


ABSENT = CardState(holder=None)


def _unloadable(module: str, why: str, why_en: str) -> CardError:
    return CardError(
        f"Le module de carte « {module} » ne peut pas être chargé : {why}.",
        message_en=f"The card module '{module}' cannot be loaded: {why_en}.",
        hint="Vérifiez le chemin du module PKCS#11 dans les paramètres (Carte CPS) et "
        "l'installation du logiciel de la carte CPS (cryptolib).",
        hint_en="Check the PKCS#11 module path in the settings (CPS card) and the installation "
        "of the CPS card software (cryptolib).",
    )


def check_module_file(module: str) -> str:
    """``module`` when it can be handed to the loader: an absolute path to a regular, readable
    file that starts like a shared library. CardError (French, with the reason) otherwise.

    Not a guarantee that it is a PKCS#11 module (the loader and ``C_GetFunctionList`` decide),
    but it keeps the loader away from what would hang or mislead it: a named pipe (``dlopen``
    waits for a writer forever), a device, a directory, a bare name (searched in the library
    path), a text file.
    """
    if not module or any(ord(c) < 32 for c in module):
        raise _unloadable(module, "le chemin est vide ou contient des caractères de contrôle",
                          "the path is empty or holds control characters")
    if not os.path.isabs(module):
        raise _unloadable(module, "indiquez un chemin absolu", "give an absolute path")
    try:
        info = os.stat(module)
    except FileNotFoundError:
        raise _unloadable(module, "le fichier n'existe pas", "the file does not exist") from None
    except PermissionError:
        raise _unloadable(module, "accès refusé", "access denied") from None
    except OSError as exc:
        raise _unloadable(module, f"fichier inaccessible ({exc.strerror or 'erreur'})",
                          f"file not accessible ({exc.strerror or 'error'})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _unloadable(module, "ce n'est pas un fichier (dossier, tube ou périphérique)",
                          "it is not a file (directory, pipe or device)")
    try:
        fd = os.open(module, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_BINARY", 0))
        try:
            head = os.read(fd, 4)
        finally:
            os.close(fd)
    except PermissionError:
        raise _unloadable(module, "lecture refusée", "reading is not allowed") from None
    except OSError as exc:
        raise _unloadable(module, f"fichier illisible ({exc.strerror or 'erreur'})",
                          f"unreadable file ({exc.strerror or 'error'})") from None
    if not any(head.startswith(magic) for magic in _LIBRARY_MAGIC):
        raise _unloadable(module, "ce fichier n'est pas une bibliothèque partagée",
                          "this file is not a shared library")
    return module


def is_loaded(module: str) -> bool:
    """This process already loaded ``module`` (so trying it in a child first gains nothing)."""
    with _LIBS_LOCK:
        return module in _LIBS


def _use_lock(module: str) -> threading.Lock:
    with _LIBS_LOCK:
        return _LIB_USE_LOCKS.setdefault(module, threading.Lock())


def _load_library(module: str) -> Any:
    try:
        import pkcs11
    except ImportError as exc:  # pragma: no cover - dependency of the project
        raise CardError("La bibliothèque PKCS#11 n'est pas installée.",
                        message_en="The PKCS#11 library is not installed.") from exc
    with _LIBS_LOCK:
        lib = _LIBS.get(module)
        if lib is None:
            check_module_file(module)
            try:
                lib = pkcs11.lib(module)
            except Exception as exc:
                # python-pkcs11 says why (missing C_GetFunctionList, wrong architecture...);
                # logged by kind only, the text names local paths.
                _log.info("PKCS#11 module refused by the loader: %s", type(exc).__name__)
                raise _unloadable(module, "ce n'est pas un module PKCS#11 utilisable",
                                  "it is not a usable PKCS#11 module") from exc
            _LIBS[module] = lib
        return lib


@contextlib.contextmanager
def library_session(module: str, *, rescan: bool = False) -> Iterator[Any]:
    """The loaded library of ``module`` under its lock (re-initialised first with ``rescan``)."""
    with _use_lock(module):
        lib = _load_library(module)
        if rescan:
            with contextlib.suppress(Exception):
                lib.reinitialize()
        yield lib


def holder_from_certificate(der: bytes) -> CardHolder:
    """The holder of a CPS authentication certificate (CN ``<national id>/<Given FAMILY>``)."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CardError("Le certificat de la carte est illisible.",
                        message_en="The card's certificate is unreadable.") from exc

    def first(oid: x509.ObjectIdentifier) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return card_holder_from_cn(first(NameOID.COMMON_NAME), given_name=first(NameOID.GIVEN_NAME),
                               family_name=first(NameOID.SURNAME))


class CardReader:
    """Reads the cards present through one PKCS#11 module (blocking: run it off the GUI thread).

    ``rescan`` re-initialises the library before each look: middlewares that only see slot
    changes at initialisation (SoftHSM) then notice insertion and removal too. ``token_label``
    and ``slot`` (a slot id) narrow the look to one card or one reader.
    """

    def __init__(self, module: str, *, token_label: str | None = None,
                 slot: int | None = None, rescan: bool = False) -> None:
        if not module:
            raise InvalidInputError("Aucun module PKCS#11 n'est configuré pour la carte CPS.",
                                    message_en="No PKCS#11 module is configured for the CPS card.")
        self.module = module
        self.token_label = token_label
        self.slot = slot
        self.rescan = rescan

    def read(self) -> CardState:
        """The card currently present (the first with an authentication certificate), or ABSENT."""
        with library_session(self.module, rescan=self.rescan) as lib:
            try:
                return self._read(lib)
            except EstafetteError:
                raise
            except Exception as exc:
                # A card pulled out mid-read, a reader unplugged: treat as absent, log the kind.
                _log.info("card read failed: %s", type(exc).__name__)
                return ABSENT

    def _read(self, lib: Any) -> CardState:
        import pkcs11
        from pkcs11 import Attribute, ObjectClass

        for slot in lib.get_slots(token_present=True):
            if self.slot is not None and slot.slot_id != self.slot:
                continue
            try:
                token = slot.get_token()
            except pkcs11.PKCS11Error:
                continue  # the token vanished between listing and reading
            if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
                continue
            if self.token_label and token.label != self.token_label:
                continue
            with token.open() as session:
                for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                    der = bytes(obj[Attribute.VALUE])
                    try:
                        holder = holder_from_certificate(der)
                    except (CardError, InvalidInputError):
                        continue  # a CA or signature certificate without the national id
                    return CardState(holder=holder, token_label=str(token.label),
                                     serial=str(token.serial.decode("ascii", "replace")
                                                if isinstance(token.serial, bytes)
                                                else token.serial),
                                     certificate_der=der)
        return ABSENT


@dataclass(frozen=True)
class CardChange:
    """A change seen by the watcher: ``before`` -> ``after``."""

    before: CardState
    after: CardState

    @property
    def inserted(self) -> bool:
        return self.after.present and (not self.before.present
                                       or self.before.holder != self.after.holder)

    @property
    def removed(self) -> bool:
        return self.before.present and (not self.after.present
                                        or self.before.holder != self.after.holder)


class CardWatcher:
    """Polls a ``CardReader`` (in a worker thread) and reports insertion and removal."""

    def __init__(self, reader: CardReader, on_change: Callable[[CardChange], None], *,
                 interval: float = 1.0) -> None:
        self.reader = reader
        self.on_change = on_change
        self.interval = interval
        self.state = ABSENT
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> CardState:
        """Look once; calls ``on_change`` when the state differs from the last look."""
        state = await asyncio.to_thread(self.reader.read)
        if state != self.state:
            change = CardChange(before=self.state, after=state)
            self.state = state
            self.on_change(change)
        return state

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name="card-watcher")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
