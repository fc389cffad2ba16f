#!/usr/bin/env python3
"""Benchmark of the name search behind "Badge oublié" (``kiosk.name_search.search``): the
students' folded names kept in memory (read again when students changed), scanned with
``str.find``; no store migration. Measured on a real store file with a typical school (2,000
students) and a very large one (100,000 students), about a third of the names with accents
or letters such as ß, ø, œ.

    python benchmarks/bench_name_search.py            # 2,000 and 100,000 students
    python benchmarks/bench_name_search.py --quick    # 2,000 and 10,000

Reported per size: p50, p90 and max over every query (each run ``--rounds`` times, in a
shuffled order each round), and the first search (which reads and folds every name), as
after an import or a pull that changed students. Results are printed (nothing is written).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))        # runs from a checkout too

from kiosk import name_search  # noqa: E402
from kiosk.demo.school import CLASSES, FIRST, LAST  # noqa: E402
from kiosk.store import open_store  # noqa: E402

ACCENTED_FIRST = ["Zoë", "Noé", "Björn", "Søren", "Anaïs", "Maëlle", "Jérôme", "Çağla", "Łucja"]
ACCENTED_LAST = ["Müller", "Strauß", "Ødegaard", "Cœurdevey", "Lætitia", "Nguyễn", "Dvořák",
                 "Ñúñez", "Çelik", "Lefèvre"]
QUERIES = ["zoe", "MÜLLE", "emma dubois", "dupont 2a", "strauss", "xq", "a%", "vandenb", "el am"]


def build(path: Path, students: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    store = open_store(path, create=True)
    rows = []
    for i in range(students):
        accented = rng.random() < 0.33
        first = rng.choice(ACCENTED_FIRST if accented and rng.random() < 0.5 else FIRST)
        last = rng.choice(ACCENTED_LAST if accented else LAST)
        if rng.random() < 0.7:          # most last names are unique-ish in a big school
            last = f"{last} {rng.choice('BCDFGHJKLMNPRSTVZ')}{rng.choice('aeiou')}"
        rows.append((f"S{i:06d}", first, last, rng.choice(CLASSES)))
    with store.write() as conn:
        conn.executemany("INSERT INTO students (id, first_name, last_name, class_name)"
                         " VALUES (?, ?, ?, ?)", rows)
    store.close()


def measure(path: Path, rounds: int) -> dict:
    name_search._rosters.clear()
    store = open_store(path, check=False)
    try:
        started = time.perf_counter()
        name_search.search(store, "emma")
        first = time.perf_counter() - started
        samples = []
        for _ in range(rounds):
            order = QUERIES[:]
            random.shuffle(order)
            for query in order:
                started = time.perf_counter()
                name_search.search(store, query)
                samples.append(time.perf_counter() - started)
    finally:
        store.close()
    samples.sort()
    return {"first_ms": first * 1000, "p50_ms": statistics.median(samples) * 1000,
            "p90_ms": samples[int(len(samples) * 0.9)] * 1000, "max_ms": samples[-1] * 1000,
            "n": len(samples)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    sizes = (2_000, 10_000) if args.quick else (2_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="bench-name-search-") as folder:
        for size in sizes:
            path = Path(folder) / f"students-{size}.db"
            build(path, size)
            r = measure(path, args.rounds)
            print(f"{size:>7} students: first search {r['first_ms']:7.1f} ms; over {r['n']} searches"
                  f" p50 {r['p50_ms']:7.1f} ms, p90 {r['p90_ms']:7.1f} ms, max {r['max_ms']:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
