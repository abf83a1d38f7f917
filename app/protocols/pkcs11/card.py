"""The CPS card through PKCS#11 (python-pkcs11): presence, holder, insertion and removal.

The module path is configurable: the CPS middleware (``libcps3_pkcs11_lin.so`` and the like) on real
workstations, SoftHSM2 in tests. Reading the authentication certificate needs no PIN (certificates
are public objects); the card is then used through Pro Santé Connect's CIBA ``channel=CARD``.
Python's ``ssl`` cannot use a key held by PKCS#11, so the card is not used for TLS here.

One PKCS#11 library per process (python-pkcs11 keeps it loaded): ``CardReader`` instances share it.
SoftHSM reads ``SOFTHSM2_CONF`` when the library initialises, so that variable must be set before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from app.domain.session import CardHolder, card_holder_from_cn
from app.errors import EstafetteError, InvalidInputError, UserFacingError

_log = logging.getLogger(__name__)

_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.Lock()


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


def _load_library(module: str) -> Any:
    try:
        import pkcs11
    except ImportError as exc:  # pragma: no cover - dependency of the project
        raise CardError("La bibliothèque PKCS#11 n'est pas installée.",
                        message_en="The PKCS#11 library is not installed.") from exc
    with _LIBS_LOCK:
        lib = _LIBS.get(module)
        if lib is None:
            try:
                lib = pkcs11.lib(module)
            except Exception as exc:
                raise CardError(
                    f"Le module de carte « {module} » ne peut pas être chargé.",
                    message_en=f"The card module '{module}' cannot be loaded.",
                    hint="Vérifiez l'installation du logiciel de la carte CPS (cryptolib).",
                    hint_en="Check the installation of the CPS card software (cryptolib).",
                ) from exc
            _LIBS[module] = lib
        return lib


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
    changes at initialisation (SoftHSM) then notice insertion and removal too.
    """

    def __init__(self, module: str, *, token_label: str | None = None,
                 rescan: bool = False) -> None:
        if not module:
            raise InvalidInputError("Aucun module PKCS#11 n'est configuré pour la carte CPS.",
                                    message_en="No PKCS#11 module is configured for the CPS card.")
        self.module = module
        self.token_label = token_label
        self.rescan = rescan
        self._lock = threading.Lock()

    def read(self) -> CardState:
        """The card currently present (the first with an authentication certificate), or ABSENT."""
        with self._lock:
            lib = _load_library(self.module)
            if self.rescan:
                with contextlib.suppress(Exception):
                    lib.reinitialize()
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
