#!/usr/bin/env python3
"""What queuing a receipt costs a sale: ``sell`` with ``printing.receipt = "always"`` (the
sale's transaction also inserts the print job, with the balances its receipt will show)
against ``"never"``, on the same store, in the same run, interleaved.

    python benchmarks/bench_print_enqueue.py            # 200 rounds x 10 sales per series
    python benchmarks/bench_print_enqueue.py --quick    # a smoke run

Series, each one durable sale (WAL, synchronous=FULL) through ``CounterService.sell``:

* ``never``  -- receipt = never: the sale alone;
* ``always`` -- receipt = always: the sale and its print-job row, one transaction;
* ``bare``   -- a one-row INSERT + COMMIT on a file with the store's pragmas (the floor).

No printer runs: the sale path never touches one (the worker prints later, on its own
connection). Reported: p50/p95 of each, the enqueue cost (always - never, at p50 and as the
median of per-round paired differences) and its ratio to the sale (never) and to the bare
commit. Written to benchmarks/results/bench_print_enqueue-<time>.json as well.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kiosk import importer  # noqa: E402
from kiosk.config import PolicySection, PrintingSection, TerminalConfig  # noqa: E402
from kiosk.counter import CounterService  # noqa: E402
from kiosk.demo.school import DEMO_PINS, generate  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.store.db import connect  # noqa: E402


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--block", type=int, default=10)
    ap.add_argument("--dir", help="work folder (default: a temporary folder next to the results)")
    args = ap.parse_args()
    rounds = args.rounds or (20 if args.quick else 200)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="print-enqueue-", dir=results))
    work.mkdir(parents=True, exist_ok=True)

    store = open_store(work / "comptoir.db", create=True)
    importer.apply(store, importer.parse(generate(students=800)), datetime.now(timezone.utc))
    with store.write() as conn:     # every sale goes through: no limits, no allergens, money
        conn.execute("UPDATE students SET daily_limit_cents = NULL, flags = '[]',"
                     " blocked_categories = '[]', blocked_articles = '[]'")
        conn.execute("UPDATE wallets SET balance_cents = 100000000")
    base = TerminalConfig(policy=PolicySection(double_tap_seconds=0, offline_daily_cap_cents=10**9))
    services = {name: CounterService(store, replace(base, printing=PrintingSection(receipt=name)))
                for name in ("never", "always")}
    session = services["never"].login("Marie", DEMO_PINS["Marie"])
    with store.read() as conn:
        badges = [r[0] for r in conn.execute(
            "SELECT b.uid FROM badges b JOIN wallets w ON w.student_id = b.student_id"
            " WHERE b.status = 'active' ORDER BY b.uid LIMIT 500")]
    bare = connect(work / "bare.db")
    bare.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")

    def sale(name):
        badge = random.choice(badges)
        service = services[name]

        def run():
            service.sell(session, badge, {"SOUP": 1})
        return run

    def bare_commit():
        bare.execute("BEGIN IMMEDIATE")
        bare.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,))
        bare.execute("COMMIT")

    series = {"never": lambda: sale("never")(), "always": lambda: sale("always")(),
              "bare": bare_commit}
    samples = {name: [] for name in series}
    paired = []
    for op in series.values():               # warm-up
        for _ in range(30):
            op()
    for _ in range(rounds):
        order = list(series)
        random.shuffle(order)
        block = {}
        for name in order:
            times = []
            for _ in range(args.block):
                t0 = time.perf_counter_ns()
                series[name]()
                times.append(time.perf_counter_ns() - t0)
            samples[name] += times
            block[name] = statistics.median(times)
        paired.append(block["always"] - block["never"])

    ms = {name: [v / 1e6 for v in values] for name, values in samples.items()}
    p50 = {n: statistics.median(v) for n, v in ms.items()}
    p95 = {n: pct(v, 0.95) for n, v in ms.items()}
    enqueue_p50 = p50["always"] - p50["never"]
    enqueue_paired = statistics.median(paired) / 1e6
    with store.read() as conn:
        queued = conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone()[0]
    print(f"sales per series: {len(ms['never'])} ({rounds} rounds x {args.block}),"
          f" print jobs queued: {queued}")
    for name in ("bare", "never", "always"):
        print(f"  {name:<7} p50 {p50[name]:.3f} ms   p95 {p95[name]:.3f} ms")
    print(f"enqueue cost (always - never): p50 difference {enqueue_p50 * 1000:.1f} µs,"
          f" paired median {enqueue_paired * 1000:.1f} µs")
    print(f"  = {enqueue_paired / p50['never']:.1%} of a sale (never p50),"
          f" {enqueue_paired / p50['bare']:.1%} of a bare commit")
    print(f"ratio p50(always)/p50(never) = {p50['always'] / p50['never']:.3f};"
          f" p95 ratio = {p95['always'] / p95['never']:.3f}")
    out = results / f"bench_print_enqueue-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"rounds": rounds, "block": args.block, "p50_ms": p50, "p95_ms": p95,
                               "enqueue_p50_diff_ms": enqueue_p50,
                               "enqueue_paired_median_ms": enqueue_paired,
                               "samples_ms": ms}, indent=1))
    print(f"written: {out}")
    store.close()
    bare.close()
    if not args.dir:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
