"""``python -m tests.benchmarks [FILTER]``: run the registered benchmarks, print, write docs."""

from __future__ import annotations

import datetime as dt
import importlib
import platform
import sys
import traceback
from pathlib import Path

from .harness import REGISTRY, Result

HERE = Path(__file__).resolve().parent
DOC = HERE.parent.parent / "docs" / "benchmarks.md"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3g} {unit}"


def main(argv: list[str]) -> int:
    wanted = argv[0] if argv else ""
    for module in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(f"tests.benchmarks.{module.stem}")
    rows: list[tuple[str, Result]] = []
    failures = 0
    for group, func in REGISTRY:
        if wanted and wanted not in group:
            continue
        print(f"… {group}: {func.__name__}", flush=True)
        try:
            rows.extend((group, r) for r in func())
        except Exception:  # a broken benchmark is reported, the others still run
            failures += 1
            traceback.print_exc()
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {dt.date.today().isoformat()} "
        f"({platform.machine()}, {platform.python_version()}, 2 cores). Peers are measured in the "
        "same run; ratio = Estafette / peer (lower is better). Figures drift ±20–30 % between runs "
        "on this shared machine: compare ratios.",
        "",
        "| group | measurement | Estafette | peer | peer figure | ratio | target | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for group, r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        lines.append(f"| {group} | {r.name} | {_fmt(r.value, r.unit)} | {r.peer or '—'} | "
                     f"{_fmt(r.peer_value, r.unit)} | {ratio} | {r.target or '—'} | {r.note} |")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not wanted:
        DOC.write_text(text)
        print(f"written to {DOC}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
