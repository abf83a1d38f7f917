"""``kill -9`` of a sync at 20 random points, then a resync: local equals server, no duplicate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from app.composition import open_profile
from tests.integration.sync_helpers import (
    imap_as,
    local_folder,
    new_profile,
    scratch_folder,
    selectable_folders,
    server_folder,
    simple_message,
)
from tests.sandbox import demo_world as world

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = 20

_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from app.composition import open_profile
    from app.services.sync_engine import SyncEngine
    profile = open_profile(Path(sys.argv[1]), key_file=Path(sys.argv[2]))
    account = profile.accounts.list()[0]
    # Small batches: many commit points for the kill to fall between (or inside).
    engine = SyncEngine(store=profile.messages, events=profile.events,
                        password_for=profile.accounts.password, header_batch=25, body_batch=10)
    print("ready", flush=True)
    engine.sync_account(account)
    profile.close()
""")


def test_kill_during_sync_then_resync(sandbox: dict[str, Any], tmp_path: Path) -> None:
    client = imap_as(sandbox, world.DR_BERNARD)
    folder = scratch_folder(client, "Kill")
    filler = "Ligne de texte du compte rendu de consultation. " * 200
    for i in range(300):
        client.append(folder, simple_message(f"Message numéro {i}", filler))
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    profile_dir = profile.profile_dir
    key_file = next(tmp_path.glob("key-*"))
    profile.close()

    rng = random.Random(20261122)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(KILL_POINTS):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(profile_dir), str(key_file)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.8))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    with open_profile(profile_dir, key_file=key_file) as reopened:
        reopened.sync.sync_account(account)
        for name in selectable_folders(client):
            assert local_folder(reopened, account, name) == server_folder(client, name), name
        account_id = reopened.messages.account_id(account.address, account.login)
        messages = reopened.messages.all_messages(account_id)
        keys = [(m.folder, m.message_id) for m in messages if m.folder == folder]
        assert len(keys) == len(set(keys)) == 300
        assert all(m.state in ("complete", "broken") for m in messages)
        assert len(reopened.messages.search("numero", account_id=account_id, limit=1000)) == 300
        # Every stored body reads back and authenticates: no kill left a committed row pointing
        # at pack bytes that never reached the disk.
        for m in messages:
            if m.folder == folder:
                raw = reopened.messages.raw(m.id)
                assert raw is not None and b"Message num" in raw
    client.delete_folder(folder)
    client.logout()
