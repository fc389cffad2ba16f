#!/usr/bin/env python3
"""Benchmark of the touch app under a real X server (Xvfb), in rush mode (soup), measured
against bare baselines taken in the same run:

* **tap → result on screen**: from the badge handed to the simulated reader (its thread) to
  the end of the event-loop iteration that drew the answer (the frame was rendered and
  swapped): p50 and p95 over ``--sales`` sales, against the counter service's own ``sell``
  time in the same sales (measured on the worker thread around the call), and against a
  bare Kivy app doing the same hops with no work (an event from a thread → Clock → a worker
  thread → Clock → a label changed → frame swapped): the floor of this design on this
  machine's OpenGL (software rendering, Mesa llvmpipe, when there is no GPU);
* **cold start** to the login screen with its operators drawn, in a new process, against a
  bare Kivy app (one label) started and drawn the same way;
* **resident memory** after 500 and after 1,000 sales (growth between the two).

    python benchmarks/bench_ui.py            # 200 timed sales, 1,000 for memory, 5 cold starts
    python benchmarks/bench_ui.py --quick    # a smoke run (40 sales, 200 for memory, 2 starts)

The app is the real one (``kiosk.ui.app.ComptoirApp``) on a demo school of ``--students``
students (the badges used have enough money, no allergen flag: every tap is a sale), driven
by its own Kivy event loop. Results are printed and written to benchmarks/results/ui.json.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))        # runs from a checkout too


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- children: one cold start each ---------------------------------------------------------------
def child(kind: str, folder: str) -> None:
    """Start the app (or a bare Kivy app), print READY once its first screen is drawn."""
    from tests.ui.harness import start_kivy
    start_kivy(os.environ["DISPLAY"])
    if kind == "bare-taps":
        bare_taps(int(folder))
        return
    if kind == "bare":
        from kivy.app import App
        from kivy.clock import Clock
        from kivy.core.window import Window
        from kivy.uix.label import Label

        class Bare(App):
            def build(self):
                return Label(text="Comptoir", font_size=40)
        app = Bare()
        ready = lambda: True         # noqa: E731 - drawn at the first flip
    else:
        from drivers.badge.simulated import SimulatedReader
        from kivy.clock import Clock
        from kivy.core.window import Window
        from kiosk.ui.app import ComptoirApp
        from kiosk.ui.terminal import Terminal
        app = ComptoirApp(Terminal.open(Path(folder), reader=SimulatedReader()))

        def ready():
            login = app.screens.current_screen
            return login.name == "login" and len(login.ids.names.children) > 0

    def flipped(*_):
        if ready():
            print("READY", flush=True)
            Clock.schedule_once(lambda _dt: app.stop())
    Window.bind(on_flip=flipped)
    app.run()


def bare_taps(count: int) -> None:
    """In a child: the app's hops with no work in them, timed like ``rush`` times a tap.
    Prints one JSON line: the latencies in seconds."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.uix.label import Label

    worker = ThreadPoolExecutor(max_workers=1)
    shown, flipped = threading.Event(), threading.Event()
    latencies = []

    class Bare(App):
        def build(self):
            self.label = Label(text="Comptoir", font_size=60)
            return self.label

    app = Bare()

    def on_flip(*_):
        if shown.is_set():
            flipped.set()
    Window.bind(on_flip=on_flip)

    def show(i):                        # UI thread, second hop: the answer on screen
        app.label.text = f"Payé {i}"
        shown.set()

    def on_event(i):                    # UI thread, first hop: hand over to the worker
        worker.submit(lambda: None).add_done_callback(
            lambda _f: Clock.schedule_once(lambda _dt: show(i)))

    def taps():                         # the "reader" thread
        for i in range(count + 20):
            shown.clear()
            flipped.clear()
            started = time.monotonic()
            Clock.schedule_once(lambda _dt, i=i: on_event(i))
            flipped.wait(10)
            if i >= 20:                 # after a warm-up, like ``rush``
                latencies.append(time.monotonic() - started)
        print(json.dumps(latencies), flush=True)
        Clock.schedule_once(lambda _dt: app.stop())

    Clock.schedule_once(lambda _dt: threading.Thread(target=taps, daemon=True).start(), 0.5)
    app.run()


def bare_tap_latencies(count: int, display: str) -> list[float]:
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, __file__, "--child", "bare-taps", str(count)], env=env,
                         capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_starts(kind: str, folder: Path, runs: int, display: str) -> list[float]:
    times = []
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, __file__, "--child", kind, str(folder)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in proc.stdout:
            if line.strip() == "READY":
                times.append(time.perf_counter() - started)
                break
        proc.wait(30)
    return times


# -- in process: taps ------------------------------------------------------------------------------
def eligible_badges(store) -> list[str]:
    """Badges whose holder can buy a soup without a question: active, money, no flags."""
    return [r[0] for r in store.conn.execute(
        "SELECT b.uid FROM badges b JOIN students s ON s.id = b.student_id"
        " JOIN wallets w ON w.student_id = s.id WHERE b.status = 'active' AND w.balance_cents >= 300"
        " AND s.flags = '[]' AND (s.daily_limit_cents IS NULL OR s.daily_limit_cents >= 300)"
        " AND s.blocked_categories = '[]' ORDER BY b.uid")]


def rush(driver, terminal, badges, count):
    """``count`` rush-mode sales; returns (tap→frame seconds, sell seconds) per sale."""
    from kivy.core.window import Window
    flips = [0]
    Window.bind(on_flip=lambda *_: flips.__setitem__(0, flips[0] + 1))
    sale = driver.screen("sale")
    latencies, sells = [], []
    for i in range(count):
        uid = badges[i % len(badges)]
        shown = sale.last_shown_at
        started = time.monotonic()
        terminal.reader.inject(uid)
        while True:
            flips_before = flips[0]
            driver.loop.idle()
            if sale.last_shown_at > shown and flips[0] > flips_before:
                done = time.monotonic()
                break
            if time.monotonic() - started > 10:
                raise RuntimeError("no answer on screen after 10 s")
        out = sale.last_outcome
        if out.result is None:
            raise RuntimeError(f"tap {i} was not a sale: {out.error and out.error.code}")
        latencies.append(done - started)
        sells.append(out.sale_seconds)
    return latencies, sells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--memory-sales", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--students", type=int, default=2500)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    if args.quick:
        args.sales, args.memory_sales, args.starts, args.students = 40, 200, 2, 800

    from tests.ui.harness import Driver, Xvfb, login, start_kivy
    from kiosk.ui.demo_folder import make_demo_folder
    work = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    folder = work / "data"
    make_demo_folder(folder, "canteen", students=args.students)
    x = Xvfb()
    try:
        print(f"cold start: {args.starts} × app, {args.starts} × bare Kivy app …", flush=True)
        bare = cold_starts("bare", folder, args.starts, x.display)
        app_starts = cold_starts("app", folder, args.starts, x.display)

        start_kivy(x.display)
        from drivers.badge.simulated import SimulatedReader
        from kiosk.clock import SystemClock, iso_utc
        from kiosk.ui.terminal import Terminal
        terminal = Terminal.open(folder, reader=SimulatedReader())
        with terminal.service.store.write() as conn:      # a fresh pull: no offline cap
            terminal.service.store.set_kv(conn, "sync_state", "last_pull_at", iso_utc(SystemClock().now()))
        driver = Driver.start(terminal)
        driver.wait_for(lambda: driver.buttons(text="Marie"), what="login screen")
        login(driver, "Marie", "1234")
        driver.tap("Mode rush")
        driver.tap(driver.buttons(text="Potage et pain")[0])
        driver.wait_for(lambda: driver.screen().rush_article == "SOUP", what="rush mode")
        badges = eligible_badges(terminal.service.store)
        needed = 20 + args.sales + args.memory_sales
        if len(badges) < needed:
            raise SystemExit(f"only {len(badges)} eligible badges for {needed} sales: raise --students")
        print(f"{args.sales} bare Kivy taps (the same hops, no work) …", flush=True)
        bare_latencies = bare_tap_latencies(args.sales, x.display)
        print(f"{args.sales} timed rush-mode sales …", flush=True)
        rush(driver, terminal, badges[:20], 20)                      # warm-up
        latencies, sells = rush(driver, terminal, badges[20:], args.sales)
        print(f"{args.memory_sales} sales for memory …", flush=True)
        half = args.memory_sales // 2
        rest = badges[20 + args.sales:]
        rush(driver, terminal, rest[:half], half)
        gc.collect()
        rss_half = rss_kib()
        rush(driver, terminal, rest[half:], args.memory_sales - half)
        gc.collect()
        rss_full = rss_kib()
        driver.app.detach()
        terminal.close()
    finally:
        x.stop()

    results = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()[0]},
        "tap_to_frame_ms": {"p50": ms(statistics.median(latencies)), "p95": ms(pct(latencies, 95)),
                            "n": len(latencies)},
        "service_sell_ms": {"p50": ms(statistics.median(sells)), "p95": ms(pct(sells, 95))},
        "bare_kivy_tap_ms": {"p50": ms(statistics.median(bare_latencies)),
                             "p95": ms(pct(bare_latencies, 95)), "n": len(bare_latencies)},
        "cold_start_s": {"app_median": round(statistics.median(app_starts), 3),
                         "bare_kivy_median": round(statistics.median(bare), 3),
                         "runs": len(app_starts)},
        "rss_kib": {"after_half": rss_half, "after_all": rss_full, "growth": rss_full - rss_half,
                    "sales": args.memory_sales},
    }
    results["tap_to_frame_ms"]["ratio_p50_to_sell"] = round(
        results["tap_to_frame_ms"]["p50"] / max(results["service_sell_ms"]["p50"], 1e-6), 1)
    results["tap_to_frame_ms"]["ratio_p50_to_bare_kivy"] = round(
        results["tap_to_frame_ms"]["p50"] / max(results["bare_kivy_tap_ms"]["p50"], 1e-6), 2)
    results["cold_start_s"]["ratio_to_bare"] = round(
        results["cold_start_s"]["app_median"] / results["cold_start_s"]["bare_kivy_median"], 2)
    t, s, c, r = (results[k] for k in ("tap_to_frame_ms", "service_sell_ms", "cold_start_s", "rss_kib"))
    print(f"tap → result drawn : p50 {t['p50']} ms, p95 {t['p95']} ms over {t['n']} sales"
          f" (× {t['ratio_p50_to_sell']} the service's sell)")
    print(f"service sell       : p50 {s['p50']} ms, p95 {s['p95']} ms (same sales)")
    k = results["bare_kivy_tap_ms"]
    print(f"bare Kivy, same hops: p50 {k['p50']} ms, p95 {k['p95']} ms"
          f" (tap → result drawn is × {t['ratio_p50_to_bare_kivy']} that)")
    print(f"cold start → login : {c['app_median']} s median over {c['runs']}"
          f" (bare Kivy app {c['bare_kivy_median']} s, × {c['ratio_to_bare']})")
    print(f"resident memory    : {r['after_half'] // 1024} MiB after {r['sales'] // 2} sales,"
          f" {r['after_all'] // 1024} MiB after {r['sales']} ({r['growth']:+d} KiB)")
    print(f"machine load (1 min): {results['machine']['load']:.1f} on {os.cpu_count()} cpus")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / ("ui-quick.json" if args.quick else "ui.json")).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
