"""``kill -9`` of a sync at 20 random points, then a resync: local equals server, no duplicate.

Twice: with the header pass then the body pass, and with the single pass an initial sync uses
for the older messages of a big folder (headers and bodies fetched and stored together)."""

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
    from app.events import FolderSyncProgress
    from app.services.sync_engine import SyncEngine
    profile = open_profile(Path(sys.argv[1]), key_file=Path(sys.argv[2]))
    account = profile.accounts.list()[0]
    # Each batch stored is announced, so the parent can kill inside a pass, not after it.
    profile.events.subscribe(FolderSyncProgress,
                             lambda e: print(e.phase, e.done, flush=True) if e.done else None)
    # Small batches: many commit points for the kill to fall between (or inside).
    engine = SyncEngine(store=profile.messages, events=profile.events,
                        password_for=profile.accounts.password, header_batch=10, body_batch=5,
                        headers_first=int(sys.argv[3]))
    print("ready", flush=True)
    engine.sync_account(account)
    print("done", flush=True)
    profile.close()
""")
# Attempts at most: a kill after the sync ended ("done") is not a kill point and is not counted.
MAX_ATTEMPTS = 40


@pytest.mark.parametrize(("count", "headers_first", "wait_for", "delay", "wanted"), [
    # 300 new messages, the headers of all of them first: kills in both passes.
    (300, 1000, None, 0.05, {b"headers": 2, b"bodies": 5}),
    # Headers first for the newest 5 only, each kill once the single pass has begun (and
    # soon after: each run must leave work to the next for 20 kills to fall inside it).
    (600, 5, b"messages", 0.01, {b"messages": 15}),
])
def test_kill_during_sync_then_resync(sandbox: dict[str, Any], tmp_path: Path, count: int,
                                      headers_first: int, wait_for: bytes | None, delay: float,
                                      wanted: dict[bytes, int]) -> None:
    client = imap_as(sandbox, world.DR_BERNARD)
    folder = scratch_folder(client, "Kill")
    filler = "Ligne de texte du compte rendu de consultation. " * 200
    for i in range(count):
        client.append(folder, simple_message(f"Message numéro {i}", filler))
    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    profile_dir = profile.profile_dir
    key_file = next(tmp_path.glob("key-*"))
    profile.close()

    rng = random.Random(20261122)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A whole sync of this folder takes well under a second: a kill after a random delay mostly
    # hit a process that had already finished. Each child is killed instead a random few
    # batches into its work (after 0–2 batches announced, then 0 to ``delay`` seconds; with
    # ``wait_for``, counted from the first batch of that phase), so the 20 kills fall inside the
    # passes of one initial sync.
    killed_mid_sync = 0
    phases: list[bytes] = []
    outcomes: list[tuple[int | None, bool]] = []
    for _ in range(MAX_ATTEMPTS):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(profile_dir), str(key_file),
                                  str(headers_first)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                 cwd=ROOT)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        seen: list[bytes] = []
        while wait_for is not None and not (seen and seen[-1].split()[:1] in ([wait_for],
                                                                              [b"done"], [])):
            seen.append(child.stdout.readline())
        seen += [child.stdout.readline() for _ in range(rng.randint(0, 2))]
        time.sleep(rng.uniform(0.0, delay))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        lines = b"".join(seen) + child.stdout.read()
        child.stdout.close()
        finished = b"done" in lines.split()
        outcomes.append((child.returncode, finished))
        if child.returncode == -signal.SIGKILL and not finished:
            killed_mid_sync += 1
            announced = [line.split()[0] for line in lines.splitlines() if line.strip()]
            phases.append(announced[-1] if announced else b"start")
        if killed_mid_sync == KILL_POINTS:
            break
    assert killed_mid_sync == KILL_POINTS, outcomes
    # Kills fell where they should: while headers were stored and while bodies (packs) were,
    # or inside the single pass.
    assert all(phases.count(phase) >= count for phase, count in wanted.items()), phases

    with open_profile(profile_dir, key_file=key_file) as reopened:
        reopened.sync.sync_account(account)
        for name in selectable_folders(client):
            assert local_folder(reopened, account, name) == server_folder(client, name), name
        account_id = reopened.messages.account_id(account.address, account.login)
        messages = reopened.messages.all_messages(account_id)
        keys = [(m.folder, m.message_id) for m in messages if m.folder == folder]
        assert len(keys) == len(set(keys)) == count
        assert all(m.state in ("complete", "broken") for m in messages)
        assert len(reopened.messages.search("numero", account_id=account_id,
                                            limit=1000)) == count
        # Every stored body reads back and authenticates: no kill left a committed row pointing
        # at pack bytes that never reached the disk.
        for m in messages:
            if m.folder == folder:
                raw = reopened.messages.raw(m.id)
                assert raw is not None and b"Message num" in raw
    client.delete_folder(folder)
    client.logout()
