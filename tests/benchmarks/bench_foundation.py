"""Foundation figures: sandbox start (target ≤ 15 s), CLI cold start, encrypted profile open."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import Result, benchmark, median_seconds

ROOT = Path(__file__).resolve().parents[2]


@benchmark("foundation")
def sandbox_start() -> list[Result]:
    from tests.sandbox import orchestrator

    samples = []
    timings: dict[str, list[float]] = {}
    for _ in range(3):
        base = Path(tempfile.mkdtemp(prefix="estafette-bench-sandbox-"))
        try:
            started = time.perf_counter()
            endpoints = orchestrator.up(base)
            samples.append(time.perf_counter() - started)
            for name, seconds in endpoints.get("timings", {}).items():
                timings.setdefault(name, []).append(seconds)
        finally:
            orchestrator.down(base)
    slowest = max(timings, key=lambda n: statistics.median(timings[n])) if timings else "?"
    return [Result("sandbox up (all servers + seeded demo world)", statistics.median(samples),
                   "s", target="≤ 15 s",
                   note=f"slowest step: {slowest} "
                        f"{statistics.median(timings.get(slowest, [0])):.2f} s")]


@benchmark("foundation")
def cli_cold_start() -> list[Result]:
    def run() -> None:
        subprocess.run([sys.executable, "-m", "app", "version"], check=True,
                       capture_output=True)

    python_only = median_seconds(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs=5)
    return [Result("`estafette version`, process start to exit", median_seconds(run, runs=5),
                   "s", peer="bare `python -c pass`", peer_value=python_only,
                   note="the CLI never imports Qt")]


@benchmark("foundation")
def profile_open() -> list[Result]:
    from app.composition import open_profile

    tmp = Path(tempfile.mkdtemp(prefix="estafette-bench-profile-"))
    profile_dir, key = tmp / "profile", tmp / "profile.key"
    open_profile(profile_dir, key_file=key).close()

    def reopen() -> None:
        open_profile(profile_dir, key_file=key).close()

    return [Result("open an encrypted profile (raw key, migrations checked)",
                   median_seconds(reopen, runs=7), "s",
                   note="empty profile; includes the integrity check")]
