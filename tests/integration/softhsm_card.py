"""A private copy of the sandbox's SoftHSM token playing Dr Martin's CPS card, that a test can
pull out of the "reader" and put back.

What removal means with SoftHSM: SoftHSM has no reader and no physical slot. Each token is a
directory under ``directories.tokendir``; at initialisation the library gives every token
directory a slot (its id derived from the token's serial), plus one free, uninitialised slot.
So "pulling the card out" is deleting the token — ``softhsm2-util --delete-token --token
CPS-MARTIN``, which removes its directory — and "putting it back" is restoring the directory from
a copy kept aside (same serial, so the same slot id). SoftHSM only reads the directory when the
library initialises: the watcher's reader re-initialises the library before each look
(``CardReader(rescan=True)``), which is how it sees the change, as a real middleware sees a card
leave its reader. Nothing signals the change; it is found by polling.

Each test gets its own copy and its own ``SOFTHSM2_CONF`` (read by the library at
initialisation, and inherited by the probe's child process), so the session sandbox's token is
never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class PrivateCard:
    module: str
    label: str
    conf: Path
    tokens: Path
    saved: Path  # the token directories as they were, to put the card back

    def pull(self) -> None:
        """Delete the token with SoftHSM's own tool (the card leaves the reader)."""
        done = subprocess.run(
            ["softhsm2-util", "--delete-token", "--token", self.label],
            env={**os.environ, "SOFTHSM2_CONF": str(self.conf)}, capture_output=True, text=True,
            timeout=30, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not any(self.tokens.iterdir()), "the token directory should be gone"

    def insert(self) -> None:
        """Put the token back, as it was (same serial, same slot id)."""
        for token in self.saved.iterdir():
            shutil.copytree(token, self.tokens / token.name)


def write_conf(conf: Path, tokens: Path) -> None:
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")


def reload_library(module: str) -> None:
    """Make the process-wide PKCS#11 library read ``SOFTHSM2_CONF`` again."""
    from app.protocols.pkcs11 import card

    lib = card._LIBS.get(module)
    if lib is not None:
        with card._use_lock(module):
            lib.reinitialize()


def private_card_for(sandbox: dict[str, Any], tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCard]:
    """The body of a test module's ``private_card`` fixture (``yield from`` it)."""
    info = sandbox["softhsm"]
    base = tmp_path / "hsm"
    saved = base / "saved"
    shutil.copytree(Path(info["conf"]).parent / "tokens", saved)
    tokens = base / "tokens"
    shutil.copytree(saved, tokens)
    conf = base / "softhsm2.conf"
    write_conf(conf, tokens)
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    yield PrivateCard(module=info["module"], label=info["token_label"], conf=conf,
                      tokens=tokens, saved=saved)
    # The library is process-wide and keeps what it read at its last initialisation: leave it
    # on the sandbox's own token directory (later tests reuse it without re-initialising), then
    # give the environment back.
    monkeypatch.setenv("SOFTHSM2_CONF", info["conf"])
    reload_library(info["module"])
    monkeypatch.undo()
