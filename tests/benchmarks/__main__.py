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
    fresh: list[str] = []
    for group, r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        fresh.append(f"| {group} | {r.name} | {_fmt(r.value, r.unit)} | {r.peer or '—'} | "
                     f"{_fmt(r.peer_value, r.unit)} | {ratio} | {r.target or '—'} | {r.note} |")
    print()
    print("\n".join(lines + fresh) + "\n")
    if not wanted:
        DOC.write_text("\n".join(lines + fresh) + "\n")
        print(f"written to {DOC}")
    elif fresh and not failures:
        # A filtered run replaces its own groups' rows and keeps the others (each row says the
        # date of the run it came from in the header only: the groups' rows are re-measured
        # together when the whole set runs).
        DOC.write_text("\n".join(lines + merged_rows(wanted, fresh)) + "\n")
        print(f"{len(fresh)} rows of {DOC} replaced")
    return 1 if failures else 0


def merged_rows(wanted: str, fresh: list[str]) -> list[str]:
    """The rows of docs/benchmarks.md with those of the groups matching ``wanted`` replaced by
    ``fresh`` (in place of the first replaced row, else at the end)."""
    old = [line for line in DOC.read_text().splitlines()
           if line.startswith("| ") and not line.startswith(("| group ", "|---"))] \
        if DOC.exists() else []
    out: list[str] = []
    placed = False
    for line in old:
        group = line.split("|")[1].strip()
        if wanted in group:
            if not placed:
                out.extend(fresh)
                placed = True
            continue
        out.append(line)
    if not placed:
        out.extend(fresh)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
