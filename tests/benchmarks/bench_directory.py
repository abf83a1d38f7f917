"""Offline directory figures (issue #6, item 7): import of a 535,000-row extraction, then search
and autocomplete latency over it.

* Import: the generator's ZIP (tests/benchmarks/extraction_generator.py) imported into a fresh
  encrypted profile, in a **child process** so that its peak RSS (VmHWM) is the import's own —
  target ≤ 20 s. A second import (a refresh: the swap of table sets and the emptying of the
  previous one) is measured in the same child.
* Search: a few hundred varied multi-criteria searches (names, accents, city, postcode,
  département, profession, type, RPPS, free text), and autocomplete prefixes of 2-12 characters,
  warm — target p95 ≤ 20 ms.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .harness import Result, benchmark

ROWS = 535_000
ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from app.composition import open_profile

def hwm_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def cpu():  # the import's reader runs in a child process: its CPU counts too
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

profile_dir, key, extraction = map(Path, sys.argv[1:4])
out = {}
from app.protocols.directory_extraction import ExtractionReader
started, cpu0 = time.perf_counter(), cpu()
for _ in ExtractionReader(extraction).keyed_records():  # what the import consumes
    pass
out["reader_s"], out["reader_cpu_s"] = time.perf_counter() - started, cpu() - cpu0
with open_profile(profile_dir, key_file=key) as profile:
    out["rss_before_kib"] = hwm_kib()
    started, cpu0 = time.perf_counter(), cpu()
    result = profile.directory.import_file(extraction)
    out["first_s"], out["first_cpu_s"] = time.perf_counter() - started, cpu() - cpu0
    out["rss_after_first_kib"] = hwm_kib()
    out["first_phases"] = dict(result.outcome.phases)
    out["entries"] = result.outcome.entries
    out["merged"] = result.outcome.merged
    out["bad"] = result.report.bad_total
    started = time.perf_counter()
    again = profile.directory.import_file(extraction)
    out["refresh_s"] = time.perf_counter() - started
    out["refresh_phases"] = dict(again.outcome.phases)
out["rss_peak_kib"] = hwm_kib()
out["db_bytes"] = (profile_dir / "estafette.db").stat().st_size
print(json.dumps(out))
"""


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def _queries(rng: random.Random) -> list[dict[str, str]]:
    from . import extraction_generator as gen

    families = list(gen._FAMILY)
    givens = list(gen._GIVEN_F) + list(gen._GIVEN_M)
    towns = list(gen._TOWNS)
    professions = ["médecin", "infirmier", "pharmacien", "kiné", "sage-femme", "dentiste",
                   "orthophoniste", "infirm"]
    specialties = ["cardiologie", "pédiatrie", "psychiatrie", "médecine générale", "radio"]
    queries: list[dict[str, str]] = []
    for i in range(300):
        kind = i % 12
        family, given = rng.choice(families), rng.choice(givens)
        town, postcode, dept = rng.choice(towns)
        if kind == 0:
            queries.append({"name": family})
        elif kind == 1:
            queries.append({"name": f"{given} {family}"})
        elif kind == 2:
            queries.append({"name": family.lower()[:4]})  # a beginning
        elif kind == 3:
            queries.append({"name": family, "city": town.title()})
        elif kind == 4:
            queries.append({"postcode": postcode})
        elif kind == 5:
            queries.append({"department": dept, "profession": rng.choice(professions)})
        elif kind == 6:
            queries.append({"city": town, "specialty": rng.choice(specialties)})
        elif kind == 7:
            queries.append({"profession": rng.choice(professions), "box_type": "PER"})
        elif kind == 8:
            queries.append({"rpps": f"10{rng.randrange(1_000_000_000):09d}"})
        elif kind == 9:
            queries.append({"text": f"{given} {family[:3]}"})
        elif kind == 10:
            queries.append({"city": town, "box_type": "ORG"})
        else:
            queries.append({"first_name": given, "postcode": postcode[:2]})
    return queries


def _prefixes(rng: random.Random) -> list[str]:
    from . import extraction_generator as gen

    out: list[str] = []
    for i in range(300):
        family = gen._ascii(rng.choice(gen._FAMILY))
        given = gen._ascii(rng.choice(gen._GIVEN_F + gen._GIVEN_M))
        kind = i % 4
        if kind == 0:
            out.append(f"{given}.{family}"[: rng.randint(2, 12)])  # typing an address
        elif kind == 1:
            out.append(rng.choice(gen._FAMILY)[: rng.randint(2, 8)])  # a name, accents and all
        elif kind == 2:
            out.append(f"{family} {given[: rng.randint(1, 4)]}")
        else:
            out.append(rng.choice(gen._FAMILY)[:2].lower())  # two letters: the worst case
    return out


@benchmark("directory")
def _reader_child_peak_mb(extraction: Path) -> float:
    """Peak RSS of the reader's child process alone (rusage's figure for children counts the
    parent's pages copied before exec)."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m",
         "app.protocols.directory_extraction.process_reader", str(extraction), "{}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True,
    )
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def directory_import_and_search() -> list[Result]:
    from app.composition import open_profile
    from app.services.directory_service import DirectoryCriteria

    from . import extraction_generator as gen

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="estafette-bench-directory-") as tmp:
        base = Path(tmp)
        extraction = base / "Extraction_Correspondance_MSSante.zip"
        started = time.perf_counter()
        gen.write(extraction, ROWS)
        generated = time.perf_counter() - started
        profile_dir, key = base / "profile", base / "store.key"
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(profile_dir), str(key), str(extraction)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        child: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in child["first_phases"].items())
        results.append(Result(
            "import 535,000 rows (ZIP → encrypted store + FTS)", child["first_s"], "s",
            peer="reading the same ZIP only (ExtractionReader.keyed_records)",
            peer_value=child["reader_s"],
            target="≤ 20 s",
            note=f"{child['entries']} entries, {child['merged']} merged; CPU "
                 f"{child['first_cpu_s']:.1f} s with the reader's child process (reader alone "
                 f"{child['reader_cpu_s']:.1f} s); "
                 f"{phases}; generator {generated:.1f} s",
        ))
        refresh_phases = ", ".join(f"{k} {v:.1f} s" for k, v in child["refresh_phases"].items())
        results.append(Result("refresh (second import, atomic swap)", child["refresh_s"], "s",
                              target="≤ 20 s", note=refresh_phases))
        results.append(Result(
            "peak RSS of the importing process", child["rss_peak_kib"] / 1024, "MB",
            note=f"{child['rss_before_kib'] / 1024:.0f} MB before the import; database "
                 f"{child['db_bytes'] / 1e6:.0f} MB",
        ))

        if Path("/usr/bin/time").exists():
            results.append(Result("peak RSS of the reader's child process",
                                  _reader_child_peak_mb(extraction), "MB",
                                  note="reads and checks the rows while the store inserts"))

        rng = random.Random(6)
        queries = _queries(rng)
        prefixes = _prefixes(rng)
        with open_profile(profile_dir, key_file=key) as profile:
            service = profile.directory
            for q in queries[:20]:  # warm the page cache
                service.search(DirectoryCriteria(**q), remote=False)
            samples: list[float] = []
            empty = 0
            for q in queries:
                t0 = time.perf_counter()
                found = service.search(DirectoryCriteria(**q), limit=50, remote=False)
                samples.append(time.perf_counter() - t0)
                empty += not found.entries
            p50, p95 = _percentiles(samples)
            results.append(Result(f"search p95 ({len(queries)} multi-criteria queries, top 50)",
                                  p95, "s", target="≤ 20 ms",
                                  note=f"p50 {p50 * 1000:.1f} ms, max "
                                       f"{max(samples) * 1000:.1f} ms, {empty} empty"))
            samples = []
            for prefix in prefixes:
                t0 = time.perf_counter()
                service.autocomplete(prefix, limit=10)
                samples.append(time.perf_counter() - t0)
            p50, p95 = _percentiles(samples)
            results.append(Result(f"autocomplete p95 ({len(prefixes)} prefixes, top 10)", p95,
                                  "s", target="≤ 20 ms",
                                  note=f"p50 {p50 * 1000:.1f} ms, max "
                                       f"{max(samples) * 1000:.1f} ms"))
    return results


if __name__ == "__main__":
    for r in directory_import_and_search():
        print(f"{r.name}: {r.value:.4g} {r.unit} (target {r.target}) {r.note}")
