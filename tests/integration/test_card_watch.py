"""Watching the CPS card for real: the profile's card watch (``app.composition.CardMonitor``,
driving ``AuthService.watch_card`` on its own ``card-watch`` thread) over SoftHSM2 playing the
card, and the module checks that keep a hostile module path from hanging or crashing Estafette.

What "removal" means with SoftHSM (see ``tests/integration/softhsm_card.py``): SoftHSM has no
reader; a token is a directory under its token directory, given a slot when the library
initialises. Pulling the card out is deleting the token with ``softhsm2-util --delete-token``;
putting it back is restoring the directory from a copy. The watcher's reader re-initialises the
library before each look, and so sees the token vanish and come back, as it would see a card
leave and re-enter a real reader. "Pointing the slot away" (a slot id setting that matches no
token) is the other way to make a present token invisible, tested below too.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.composition import CardMonitor
from app.domain.settings import CardReaderSettings
from app.events import Event
from app.protocols.pkcs11 import card
from app.protocols.pkcs11.card import ABSENT, CardError, CardReader
from app.protocols.pkcs11.events import CardWatchChanged, CardWatchState
from app.protocols.pkcs11.probe import probe_module
from app.services.auth_events import CardInserted, CardRemoved
from tests.integration.softhsm_card import PrivateCard, private_card_for
from tests.sandbox import demo_world

WAIT = 20.0
INTERVAL = 0.1


@pytest.fixture
def private_card(sandbox: dict[str, Any], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCard]:
    yield from private_card_for(sandbox, tmp_path, monkeypatch)


class Recorder:
    """Events as the bus would carry them, with the thread that published each."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Event]] = queue.Queue()
        self.seen: list[tuple[str, Event]] = []

    def __call__(self, event: Event) -> None:
        self.events.put((threading.current_thread().name, event))

    def wait_for(self, kind: type[Event], *, state: CardWatchState | None = None,
                 timeout: float = WAIT) -> tuple[str, Event]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind.__name__} {state or ''} within {timeout} s; "
                                     f"seen: {[type(e).__name__ for _t, e in self.seen]}")
            try:
                item = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(item)
            event = item[1]
            if isinstance(event, kind) and (state is None or getattr(event, "state", None)
                                            is state):
                return item

    def drain(self, seconds: float) -> list[Event]:
        """What arrives within ``seconds``."""
        got: list[Event] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self.events.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(item)
            got.append(item[1])
        return got


def _card_watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.name == "card-watch" or t.name.startswith("card-read")]


@pytest.mark.sandbox
def test_a_configured_token_is_present_then_absent_once_deleted_then_back(
        private_card: PrivateCard) -> None:
    """The watch reports the SoftHSM token as Dr Martin's card, its deletion (softhsm2-util
    --delete-token) as a removal, its restoration as an insertion — from the card-watch
    thread, never the caller's."""
    recorder = Recorder()
    monitor = CardMonitor(recorder, interval=INTERVAL)
    monitor.configure(CardReaderSettings(private_card.module, token_label=private_card.label))
    try:
        thread, starting = recorder.wait_for(CardWatchChanged)
        assert starting.state is CardWatchState.STARTING  # at once, before the first look
        assert thread == threading.current_thread().name
        thread, inserted = recorder.wait_for(CardInserted)
        assert thread == "card-watch"
        assert isinstance(inserted, CardInserted)
        assert inserted.national_id == demo_world.DR_MARTIN.national_id
        assert inserted.display_name == f"Jean {demo_world.DR_MARTIN.family_name.upper()}"
        thread, _ = recorder.wait_for(CardWatchChanged, state=CardWatchState.WATCHING)
        assert thread == "card-watch"
        assert card.is_loaded(private_card.module)  # the probe vetted it first

        private_card.pull()
        thread, removed = recorder.wait_for(CardRemoved)
        assert thread == "card-watch"
        assert isinstance(removed, CardRemoved)
        assert removed.national_id == demo_world.DR_MARTIN.national_id

        private_card.insert()
        _, again = recorder.wait_for(CardInserted)
        assert isinstance(again, CardInserted)
        assert again.national_id == demo_world.DR_MARTIN.national_id
    finally:
        monitor.stop()
    recorder.wait_for(CardWatchChanged, state=CardWatchState.STOPPED)
    assert _card_watch_threads() == []
    assert not [e for e in recorder.drain(3 * INTERVAL) if isinstance(e, CardInserted
                                                                       | CardRemoved)]


@pytest.mark.sandbox
def test_a_slot_pointing_away_sees_no_card_and_a_settings_change_is_not_a_removal(
        private_card: PrivateCard) -> None:
    report = probe_module(private_card.module)
    (ours,) = report.matching(private_card.label)
    away = ours.slot_id + 1
    assert all(t.slot_id != away for t in report.tokens)
    assert CardReader(private_card.module, slot=ours.slot_id, rescan=True).read().present
    assert CardReader(private_card.module, slot=away, rescan=True).read() == ABSENT

    recorder = Recorder()
    monitor = CardMonitor(recorder, interval=INTERVAL)
    try:
        monitor.configure(CardReaderSettings(private_card.module, slot=ours.slot_id))
        recorder.wait_for(CardInserted)
        recorder.wait_for(CardWatchChanged, state=CardWatchState.WATCHING)
        # Same settings again: the running watch goes on (no restart, no event).
        monitor.configure(CardReaderSettings(private_card.module, slot=ours.slot_id))
        assert recorder.drain(5 * INTERVAL) == []
        # The slot pointed away: a new watch that sees no card. The old watch's card is not
        # reported "removed" (that would lock a card session because a setting changed).
        monitor.configure(CardReaderSettings(private_card.module, slot=away))
        recorder.wait_for(CardWatchChanged, state=CardWatchState.WATCHING)
        later = recorder.drain(5 * INTERVAL)
        assert not [e for e in recorder.seen if isinstance(e[1], CardRemoved)]
        assert not [e for e in later if isinstance(e, CardInserted)]
    finally:
        monitor.stop()
    assert _card_watch_threads() == []


@pytest.mark.sandbox
def test_the_probe_lists_the_card_and_its_holder_without_loading_it_here(
        private_card: PrivateCard) -> None:
    report = probe_module(private_card.module)
    assert "SoftHSM" in report.library
    (found,) = report.matching(private_card.label)
    assert found.national_id == demo_world.DR_MARTIN.national_id
    assert found.holder_name == f"Jean {demo_world.DR_MARTIN.family_name.upper()}"
    assert report.matching("CPS-SOMEONE-ELSE") == ()
    private_card.pull()
    assert probe_module(private_card.module).matching() == ()


# --- hostile module paths -------------------------------------------------------------------


def _compile(tmp_path: Path, name: str, source: str) -> str:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build a misbehaving module")
    c_file = tmp_path / f"{name}.c"
    c_file.write_text(source)
    out = tmp_path / f"lib{name}.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(c_file)], check=True,
                   capture_output=True, timeout=60)
    return str(out)


CRASHING_MODULE = """
/* Looks like a PKCS#11 module (it exports C_GetFunctionList) but hands back NULL: the caller
   dereferences it and the process dies of SIGSEGV. */
int C_GetFunctionList(void **list) { *list = 0; return 0; }
"""
HANGING_MODULE = """
#include <unistd.h>
/* Never answers. */
int C_GetFunctionList(void **list) { for (;;) sleep(60); return 0; }
"""


def _python_extension() -> str:
    """A shared library that is surely there and surely not PKCS#11."""
    import _ctypes

    path = getattr(_ctypes, "__file__", None)
    if not path:
        pytest.skip("_ctypes is built into this interpreter")
    return str(path)


def _fifo(tmp_path: Path) -> str:
    import os

    path = tmp_path / "libcps3_pkcs11_lin.so"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize(("make", "expected"), [
    (lambda t: str(t / "absent" / "libcps3_pkcs11_lin.so"), "n'existe pas"),
    (lambda t: "libsofthsm2.so", "chemin absolu"),
    (lambda t: str(t), "ce n'est pas un fichier"),
    (_fifo, "ce n'est pas un fichier"),
    (lambda t: "/dev/zero", "ce n'est pas un fichier"),
    (lambda t: "/etc/hostname", "pas une bibliothèque partagée"),
    (lambda t: _python_extension(), "pas un module PKCS#11 utilisable"),
], ids=["missing", "bare-name", "directory", "named-pipe", "device", "text-file",
        "not-pkcs11"])
def test_a_hostile_path_is_a_clear_french_error(tmp_path: Path, make: Any,
                                                expected: str) -> None:
    module = make(tmp_path)
    started = time.monotonic()
    with pytest.raises(CardError) as caught:
        probe_module(module, timeout=10)
    assert expected in caught.value.message
    assert time.monotonic() - started < 10  # a named pipe must not hang the loader
    assert not card.is_loaded(module)
    # The in-process reader refuses the same paths before the loader sees them.
    with pytest.raises(CardError, match="ne peut pas être chargé"):
        CardReader(module).read()


def test_a_module_that_crashes_is_reported_and_never_loaded_here(tmp_path: Path) -> None:
    module = _compile(tmp_path, "crash", CRASHING_MODULE)
    with pytest.raises(CardError, match=r"arrêté brutalement.*SIGSEGV"):
        probe_module(module)
    assert not card.is_loaded(module)  # this process never ran its code

    recorder = Recorder()
    monitor = CardMonitor(recorder, interval=INTERVAL)
    monitor.configure(CardReaderSettings(module))
    try:
        _, failed = recorder.wait_for(CardWatchChanged, state=CardWatchState.FAILED)
        assert isinstance(failed, CardWatchChanged)
        assert "arrêté brutalement" in failed.reason
        assert "crashed" in failed.reason_en
        assert monitor.running  # it will try again later (the middleware may be fixed)
    finally:
        monitor.stop()
    assert not card.is_loaded(module)
    assert _card_watch_threads() == []


def test_a_module_that_hangs_is_abandoned(tmp_path: Path) -> None:
    module = _compile(tmp_path, "hang", HANGING_MODULE)
    started = time.monotonic()
    with pytest.raises(CardError, match="ne répond pas"):
        probe_module(module, timeout=2)
    assert time.monotonic() - started < 10
    assert not card.is_loaded(module)


def test_an_unexpected_failure_of_the_watch_is_reported(tmp_path: Path) -> None:
    """Nothing may keep saying "watching" once the watch is gone."""

    def broken_auth(_publish: Any) -> Any:
        raise RuntimeError("boom")

    recorder = Recorder()
    monitor = CardMonitor(recorder, interval=INTERVAL, probe=lambda _m: None,
                          auth_factory=broken_auth)
    monitor.configure(CardReaderSettings(str(tmp_path / "libcps3_pkcs11_lin.so")))
    try:
        _, failed = recorder.wait_for(CardWatchChanged, state=CardWatchState.FAILED)
        assert isinstance(failed, CardWatchChanged)
        assert "erreur inattendue" in failed.reason and "boom" not in failed.reason
    finally:
        monitor.stop()
    assert _card_watch_threads() == []
