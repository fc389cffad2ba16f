"""The CPU a rush answer costs the UI thread, against the bare Kivy floor's frame: a measure
a busy machine does not inflate the way it does wall time (issue 14, point 5).

Mesa's llvmpipe draws on the UI thread (``LP_NUM_THREADS=0``), so the thread's CPU time
(``time.thread_time``) holds all of a frame's work: Python, Kivy's canvas, the rasterising
done at the swap. For each app: the UI thread's CPU per sale over ``--sales`` rush-mode sales
(after 20 of warm-up; bench_ui.py's ``rush``, the same demo school with photos), the CPU of
one swap (``Window.flip``) and the swaps per sale (1.0: the answer's frame only); for the
bare Kivy app of bench_ui.py's floor, the CPU of its frame (a label changed, swapped)::

    .venv/bin/python benchmarks/probe_ui_cpu.py              # about 30 s
    .venv/bin/python benchmarks/probe_ui_cpu.py --profile    # + cProfile of the UI thread

Use it to compare two versions on a shared machine; bench_ui.py gives the wall times.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def _timed_flips():
    """Count the swaps and their CPU from now on: (counters, reset)."""
    from kivy.core.window import Window
    acc = {"cpu": 0.0, "n": 0}
    flip = Window.flip

    def timed(*args):
        started = time.thread_time()
        flip(*args)
        acc["cpu"] += time.thread_time() - started
        acc["n"] += 1
    Window.flip = timed
    return acc


def app_child(folder: str, sales: int, profile: bool) -> None:
    import bench_ui
    terminal, driver, badges = bench_ui.rush_ready(folder)
    acc = _timed_flips()
    bench_ui.rush(driver, terminal, badges, 0, 20)                     # warm-up
    acc.update(cpu=0.0, n=0)
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile(timer=time.thread_time)
        profiler.enable()
    started = time.thread_time()
    bench_ui.rush(driver, terminal, badges, 20, sales)
    total = time.thread_time() - started
    if profiler is not None:
        import pstats
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    print("RESULT " + json.dumps({"ui_cpu_ms_per_sale": round(total / sales * 1000, 1),
                                  "flip_cpu_ms": round(acc["cpu"] / max(acc["n"], 1) * 1000, 1),
                                  "flips_per_sale": round(acc["n"] / sales, 2)}), flush=True)
    os._exit(0)


def bare_child(frames: int) -> None:
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.label import Label
    acc = _timed_flips()

    class Bare(App):                    # bench_ui.py's floor: one label, changed, swapped
        def build(self):
            self.label = Label(text="Comptoir", font_size=60)
            return self.label
    app = Bare()
    step = [0]

    def change(_dt):
        step[0] += 1
        app.label.text = f"Payé {step[0]}"
        if step[0] == 20:
            acc.update(cpu=0.0, n=0)
        if step[0] == 20 + frames:
            print("RESULT " + json.dumps({"flip_cpu_ms": round(acc["cpu"] / max(acc["n"], 1) * 1000, 1)}),
                  flush=True)
            os._exit(0)
    Clock.schedule_interval(change, 0.05)
    app.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=60)
    parser.add_argument("--students", type=int, default=800)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from tests.ui.harness import start_kivy
        start_kivy(os.environ["DISPLAY"])
        kind, arg = args.child
        if kind == "app":
            app_child(arg, args.sales, args.profile)
        else:
            bare_child(int(arg))
        return 0
    import bench_ui

    from tests.ui.harness import Xvfb
    folder = Path(tempfile.mkdtemp(prefix="probe-ui-")) / "school"
    bench_ui.make_school(folder, args.students)
    display = Xvfb()
    env = {**os.environ, "DISPLAY": display.display, "PYTHONPATH": str(ROOT), "LP_NUM_THREADS": "0"}
    results = {}
    try:
        for kind, arg in (("bare", str(args.sales)), ("app", str(folder))):
            cmd = [sys.executable, __file__, "--sales", str(args.sales), "--child", kind, arg]
            out = subprocess.run(cmd + (["--profile"] if args.profile else []), env=env,
                                 capture_output=True, text=True, timeout=900)
            if args.profile:
                print(out.stderr[-20000:])
            lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
            if not lines:
                raise SystemExit(f"the {kind} child failed:\n{out.stderr[-3000:]}")
            results[kind] = json.loads(lines[-1][len("RESULT "):])
    finally:
        display.stop()
    app, bare = results["app"], results["bare"]
    print(f"app : UI thread {app['ui_cpu_ms_per_sale']} ms CPU per sale, a swap {app['flip_cpu_ms']} ms,"
          f" {app['flips_per_sale']} swaps per sale")
    print(f"bare: a swap {bare['flip_cpu_ms']} ms (the floor's frame); the app's sale is"
          f" × {app['ui_cpu_ms_per_sale'] / max(bare['flip_cpu_ms'], 1e-6):.2f} it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
