#!/usr/bin/env python3
"""Badge tap → callback latency of the PC/SC reader, through a real pcscd.

    python benchmarks/bench_reader_pcsc.py             # 60 taps
    python benchmarks/bench_reader_pcsc.py --taps 200
    python benchmarks/bench_reader_pcsc.py --quick     # 10 taps, a smoke run

A private pcscd with vpcd's virtual reader and a virtual badge of the tests' own
(tests/pcsc_stack.py; run as root, pcscd must not already be running). Each tap lays the
badge on the reader (opens its TCP link to vpcd) at a random moment of pcscd's polling cycle,
and takes it off once both observers saw it.

Two observers watch the *same* insertion at once:

* **comptoir**: ``drivers.badge.pcsc.PcscReader``, from the insertion to its callback
  (status watch, connect, GET UID, status-word check, UID normalising, event);
* **bare**: a separate Python process with no Comptoir code (pyscard only), a bare
  ``SCardGetStatusChange`` loop plus one ``SCardConnect`` + ``SCardTransmit(FF CA 00 00 00)``,
  from the insertion to the transmit's return.

Both clocks are ``time.monotonic()`` (CLOCK_MONOTONIC, shared by the processes). Most of the
latency is pcscd's own polling (every 0.4 s): it hits both alike, so the ratios and the
per-tap difference (comptoir − bare on the same tap) are the figures to read. Printed, and
written to ``benchmarks/results/bench_reader_pcsc-<time>.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))        # runs from a checkout too

from drivers.badge.pcsc import PcscReader  # noqa: E402
from tests.pcsc_stack import running_stack  # noqa: E402

RESULTS = HERE / "results"
UID = "04A1B2C3D4E5F6"

# The baseline observer: pyscard and nothing else. Prints "ready", then "P <monotonic>" once
# per card read with 90 00, "E <monotonic>" when the slot is empty again.
BARE = r"""
import sys, time
from smartcard import scard as s
reader = sys.argv[1]
rv, ctx = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
states = [(reader, s.SCARD_STATE_UNAWARE)]
rv, states = s.SCardGetStatusChange(ctx, 0, states)
present = bool(states[0][1] & s.SCARD_STATE_PRESENT)
print("ready", flush=True)
while True:
    rv, states = s.SCardGetStatusChange(ctx, s.INFINITE, states)
    if rv != s.SCARD_S_SUCCESS:
        print("X", rv, flush=True)
        break
    now_present = bool(states[0][1] & s.SCARD_STATE_PRESENT)
    if now_present and not present:
        rv, card, proto = s.SCardConnect(ctx, reader, s.SCARD_SHARE_SHARED,
                                         s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1)
        rv, resp = s.SCardTransmit(card, s.SCARD_PCI_T1 if proto == s.SCARD_PROTOCOL_T1 else s.SCARD_PCI_T0,
                                   [0xFF, 0xCA, 0x00, 0x00, 0x00])
        t = time.monotonic()
        s.SCardDisconnect(card, s.SCARD_LEAVE_CARD)
        print("P" if resp[-2:] == [0x90, 0x00] else "F", t, flush=True)
    elif present and not now_present:
        print("E", time.monotonic(), flush=True)
    present = now_present
    states = [(reader, states[0][1] & ~s.SCARD_STATE_CHANGED)]
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": percentile(ms, 0.50), "p95_ms": percentile(ms, 0.95),
            "mean_ms": statistics.fmean(ms), "min_ms": min(ms), "max_ms": max(ms)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--taps", type=int, default=60)
    p.add_argument("--quick", action="store_true", help="10 taps")
    args = p.parse_args()
    taps = 10 if args.quick else args.taps

    comptoir_s: list[float] = []
    bare_s: list[float] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-pcsc-") as work, running_stack(Path(work)) as stack:
        bare = subprocess.Popen([sys.executable, "-c", BARE, stack.reader_name], text=True,
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        bare_lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [bare_lines.put(line) for line in bare.stdout],
                         daemon=True).start()
        events: queue.Queue = queue.Queue()
        reader = PcscReader(stack.reader_name)
        reader.start(lambda e: events.put(time.monotonic()))
        try:
            if bare_lines.get(timeout=10).strip() != "ready":
                raise SystemExit("the bare observer did not start")
            deadline = time.monotonic() + 10
            while reader.status.state.value != "connected" and time.monotonic() < deadline:
                time.sleep(0.01)
            card = stack.card(UID)
            for _ in range(2):                      # warm-up taps, not counted
                tap(card, events, bare_lines)
            for i in range(taps):
                c, b = tap(card, events, bare_lines)
                comptoir_s.append(c)
                bare_s.append(b)
                print(f"\r  tap {i + 1}/{taps}", end="", file=sys.stderr, flush=True)
            print(file=sys.stderr)
        finally:
            reader.stop()
            bare.terminate()
            bare.wait(5)

    comptoir, baseline = summary(comptoir_s), summary(bare_s)
    delta = summary([c - b for c, b in zip(comptoir_s, bare_s)])
    result = {
        "taps": taps, "machine": platform.platform(), "python": platform.python_version(),
        "comptoir": comptoir, "bare": baseline, "delta_comptoir_minus_bare": delta,
        "ratio_p50": comptoir["p50_ms"] / baseline["p50_ms"],
        "ratio_p95": comptoir["p95_ms"] / baseline["p95_ms"],
        "samples_s": {"comptoir": comptoir_s, "bare": bare_s},
    }
    print(f"badge inserted → event, through pcscd, {taps} taps (same insertions seen by both):")
    for name, s in (("bare", baseline), ("comptoir", comptoir)):
        print(f"  {name:<9} p50 {s['p50_ms']:7.1f} ms   p95 {s['p95_ms']:7.1f} ms"
              f"   mean {s['mean_ms']:7.1f}   min {s['min_ms']:6.1f}   max {s['max_ms']:6.1f}")
    print(f"  ratio comptoir/bare: p50 {result['ratio_p50']:.3f}   p95 {result['ratio_p95']:.3f}")
    print(f"  per tap, comptoir − bare: p50 {delta['p50_ms']:+.2f} ms   p95 {delta['p95_ms']:+.2f} ms")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_reader_pcsc-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"results: {out}  (total {time.perf_counter() - started:.0f} s)")
    return 0


def tap(card, events: queue.Queue, bare_lines: queue.Queue) -> tuple[float, float]:
    """Lay the badge, wait for both observers, take it off, wait until the slot is empty.
    Returns (comptoir, bare) latencies in seconds from the insertion."""
    # A real tap comes at any moment of pcscd's 0.4 s polling cycle; right after a removal
    # (itself seen on a poll) it would always land at the same phase.
    time.sleep(random.uniform(0, 0.4))
    card.insert()
    seen_by_comptoir = events.get(timeout=5)
    kind, at = bare_lines.get(timeout=5).split()
    if kind != "P":
        raise SystemExit(f"the bare observer could not read the badge ({kind} {at})")
    card.remove()
    while bare_lines.get(timeout=5).split()[0] != "E":
        pass
    return seen_by_comptoir - card.inserted_at, float(at) - card.inserted_at


if __name__ == "__main__":
    sys.exit(main())
