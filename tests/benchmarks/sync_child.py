"""One initial sync in its own process (so its peak RSS is its own), for ``bench_sync``.

``python -m tests.benchmarks.sync_child PROFILE_DIR KEY_FILE [--engine-only] [--profile-out FILE]``
prints one JSON line: total seconds, seconds until the first 500 headers were stored, counts.

``--engine-only`` runs the sync engine with an event bus of its own, i.e. without the profile's
other subscribers. The profile's run waits, after the pass, for the receipt and conversation
handling still queued on its own thread (``background_after_sync``), so the process time counts it;
``cpu`` is the process's user + system time.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from app.composition import open_profile
from app.events import EventBus, MessagesStored
from app.services.sync_engine import SyncEngine


def main(argv: list[str]) -> int:
    profile_dir, key_file = Path(argv[0]), Path(argv[1])
    engine_only = "--engine-only" in argv
    profile_out = argv[argv.index("--profile-out") + 1] if "--profile-out" in argv else None
    started = time.perf_counter()
    first_500: list[float] = []
    stored = 0

    def on_stored(event: MessagesStored) -> None:
        nonlocal stored
        stored += len(event.message_ids)
        if stored >= 500 and not first_500:
            first_500.append(time.perf_counter() - started)

    with open_profile(profile_dir, key_file=key_file) as profile:
        engine = profile.sync
        events = profile.events
        if engine_only:
            events = EventBus()
            engine = SyncEngine(store=profile.messages, events=events,
                                password_for=profile.accounts.password)
        events.subscribe(MessagesStored, on_stored)
        account = profile.accounts.list()[0]
        if profile_out:
            import cProfile

            profiler = cProfile.Profile()
            report = profiler.runcall(engine.sync_account, account)
            profiler.dump_stats(profile_out)
        else:
            report = engine.sync_account(account)
        synced = time.perf_counter() - started
        if not engine_only:
            # What the profile's background handlers still had queued when the pass ended
            # (receipts, conversations): waited for here, so the process time includes it.
            profile.incoming.wait_idle()
        drained = time.perf_counter() - started - synced
    total = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"total": total, "sync": synced, "background_after_sync": drained,
                      "cpu": usage.ru_utime + usage.ru_stime,
                      "first_500": first_500[0] if first_500 else None,
                      "new": report.new, "bodies": report.bodies, "broken": report.broken}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
