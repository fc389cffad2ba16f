#!/usr/bin/env python3
"""Badge → callback latency through the keyboard-wedge backend, against a bare reader of the
same bytes, measured in the same run.

    python benchmarks/bench_reader_wedge.py                # 600 badges per series
    python benchmarks/bench_reader_wedge.py --badges 2000

What is timed, for each badge: from just before the **Enter** is written (the UID's other keys
were written 1 ms earlier, as a wedge reader types them a few ms apart) to the moment the
callback runs, in the reader's thread (``time.perf_counter_ns`` on both sides). The writer waits
for the callback before typing the next badge (a closed loop, as at a counter).

Four series, two sources:

* **text** (a pipe, as ``wedge_device = "-"`` reads standard input):
  ``bare_text`` -- a thread doing ``os.read`` on the pipe and splitting on ``b"\\n"``, calling
  the callback with each line; ``wedge_text`` -- ``WedgeReader`` on the same kind of pipe
  (select, UTF-8 decoding, ``WedgeParser`` with its checks, ``normalise``d UID, BadgeEvent).
* **events** (``struct input_event`` records through a FIFO that the reader opens by path, as
  it opens ``/dev/input/event*``; letters with Shift, each key a press, a release and a
  SYN_REPORT: 24 bytes each):
  ``bare_events`` -- a thread reading the FIFO and unpacking records until an Enter press;
  ``wedge_events`` -- ``WedgeReader`` on the FIFO's path.

The series run interleaved, in blocks of 50 badges in a shuffled order each round, so that the
noise of a shared machine hits them alike. Reported: p50, p95, p99, mean of each, and the
ratios wedge/bare of p50 and p95 for each source.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))        # runs from a checkout too

from drivers.badge.wedge import WedgeParser, WedgeReader  # noqa: E402
from tests.evdev_fifo import INPUT_EVENT, FifoInputDevice, input_events  # noqa: E402

BLOCK = 50
KEYS = {"0": 11, **{str(d): d + 1 for d in range(1, 10)},
        "A": 30, "B": 48, "C": 46, "D": 32, "E": 18, "F": 33}
SHIFT, ENTER = 42, 28


class Timing:
    """The callback: records when it ran and releases the writer."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.at = 0
        self.got = None

    def __call__(self, item) -> None:
        self.at = time.perf_counter_ns()
        self.got = item
        self.done.set()


def uid_keys(uid: str, at: float) -> bytes:
    keys = []
    for c in uid:
        if c.isalpha():
            keys += [(SHIFT, 1, at), (KEYS[c], 1, at), (KEYS[c], 0, at), (SHIFT, 0, at)]
        else:
            keys += [(KEYS[c], 1, at), (KEYS[c], 0, at)]
    return input_events(*keys)


def enter_keys(at: float) -> bytes:
    return input_events((ENTER, 1, at), (ENTER, 0, at))


# -- bare readers: the same bytes, no Comptoir code ----------------------------------------

def bare_text_reader(fd: int, callback) -> threading.Thread:
    def run():
        buf = b""
        while True:
            data = os.read(fd, 4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                callback(line)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def bare_event_reader(path: str, callback) -> threading.Thread:
    def run():
        fd = os.open(path, os.O_RDONLY)
        pending = b""
        while True:
            data = os.read(fd, INPUT_EVENT.size * 64)
            if not data:
                os.close(fd)
                return
            data = pending + data
            whole = len(data) - len(data) % INPUT_EVENT.size
            pending = data[whole:]
            for _s, _u, etype, code, value in INPUT_EVENT.iter_unpack(data[:whole]):
                if etype == 1 and code == ENTER and value == 1:
                    callback(code)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


# -- one badge -------------------------------------------------------------------------------

class Series:
    def __init__(self, name: str, write_fd: int, timing: Timing, events: bool,
                 expect_uid: bool) -> None:
        self.name, self.fd, self.timing, self.events = name, write_fd, timing, events
        self.expect_uid = expect_uid
        self.samples: list[int] = []

    def badge(self, uid: str) -> None:
        t = self.timing
        t.done.clear()
        now = time.time()    # the kernel stamps events on the wall clock
        os.write(self.fd, uid_keys(uid, now) if self.events else uid.encode())
        time.sleep(0.001)
        enter = enter_keys(time.time()) if self.events else b"\n"
        start = time.perf_counter_ns()
        os.write(self.fd, enter)
        if not t.done.wait(5):
            raise SystemExit(f"{self.name}: no callback within 5 s")
        self.samples.append(t.at - start)
        if self.expect_uid and t.got.uid != uid:
            raise SystemExit(f"{self.name}: read {t.got.uid}, typed {uid}")


def pct(samples: list[int], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] / 1e3     # µs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--badges", type=int, default=600, help="badges per series (≥ 500)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    # NXP's manufacturer byte first, as real badges: a random first byte may be 88 (the
    # cascade tag), which the reader rightly refuses.
    uids = ["04" + rng.randbytes(rng.choice((3, 6))).hex().upper() for _ in range(args.badges)]

    work = tempfile.mkdtemp(prefix="bench_wedge-")
    series: list[Series] = []
    readers: list[WedgeReader] = []

    # text, bare
    r, w = os.pipe()
    timing = Timing()
    bare_text_reader(r, timing)
    series.append(Series("bare_text", w, timing, events=False, expect_uid=False))
    # text, wedge
    r, w = os.pipe()
    timing = Timing()
    reader = WedgeReader(os.fdopen(r, "rb", buffering=0), WedgeParser("hex"))
    reader.start(lambda e, t=timing: t(e))
    readers.append(reader)
    series.append(Series("wedge_text", w, timing, events=False, expect_uid=True))
    # events, bare
    path = os.path.join(work, "bare-event")
    os.mkfifo(path)
    timing = Timing()
    bare_event_reader(path, timing)
    series.append(Series("bare_events", os.open(path, os.O_WRONLY), timing, events=True,
                         expect_uid=False))
    # events, wedge
    path = os.path.join(work, "wedge-event")
    os.mkfifo(path)
    timing = Timing()
    reader = WedgeReader(path, WedgeParser("hex"), FifoInputDevice)
    reader.start(lambda e, t=timing: t(e))
    readers.append(reader)
    series.append(Series("wedge_events", os.open(path, os.O_WRONLY), timing, events=True,
                         expect_uid=True))

    for s in series:                                    # warm-up
        for uid in uids[:20]:
            s.badge(uid)
        s.samples.clear()
    for start in range(0, len(uids), BLOCK):
        order = series[:]
        rng.shuffle(order)
        for s in order:
            for uid in uids[start:start + BLOCK]:
                s.badge(uid)

    for reader in readers:
        reader.stop()
    for s in series:
        os.close(s.fd)
    for name in ("bare-event", "wedge-event"):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)

    print(f"badge → callback latency, {args.badges} badges per series "
          f"(µs, Enter written → callback run), Python {sys.version.split()[0]}")
    print(f"{'series':<14}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}")
    by = {s.name: s for s in series}
    for s in series:
        print(f"{s.name:<14}{pct(s.samples, .5):>9.1f}{pct(s.samples, .95):>9.1f}"
              f"{pct(s.samples, .99):>9.1f}{statistics.fmean(s.samples) / 1e3:>9.1f}")
    for src in ("text", "events"):
        w, b = by[f"wedge_{src}"].samples, by[f"bare_{src}"].samples
        print(f"{src:<7} wedge/bare: p50 {pct(w, .5) / pct(b, .5):.2f}×, "
              f"p95 {pct(w, .95) / pct(b, .95):.2f}×  "
              f"(wedge adds {pct(w, .5) - pct(b, .5):.1f} µs at p50)")


if __name__ == "__main__":
    main()
