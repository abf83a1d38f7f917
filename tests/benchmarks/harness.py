"""A small benchmark harness: each ``bench_*.py`` module registers measurements with ``@benchmark``;
``python -m tests.benchmarks`` runs them, prints a table and rewrites ``docs/benchmarks.md``.

A measurement returns a :class:`Result`: the figure, its unit, and optionally the same workload
measured on a peer in the same run (so the ratio compares like with like on a drifting machine).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

REGISTRY: list[tuple[str, Callable[[], list[Result]]]] = []


@dataclass
class Result:
    name: str
    value: float
    unit: str
    peer: str | None = None
    peer_value: float | None = None
    target: str | None = None
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.peer_value in (None, 0):
            return None
        return self.value / float(self.peer_value)  # type: ignore[arg-type]


def benchmark(group: str) -> Callable[[Callable[[], list[Result]]], Callable[[], list[Result]]]:
    def register(func: Callable[[], list[Result]]) -> Callable[[], list[Result]]:
        REGISTRY.append((group, func))
        return func
    return register


def median_seconds(func: Callable[[], object], *, runs: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
