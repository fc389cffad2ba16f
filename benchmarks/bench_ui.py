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
* **resident memory during a long rush**: ``--memory-sales`` more sales (5,000), VmRSS
  sampled every ``--sample-every`` (250) sales, with the C heap in use (glibc's
  ``mallinfo2``: what is allocated, not what the allocator holds) and SQLite's own memory
  (``sqlite3_memory_used``: page caches, bounded by ``cache_size``), RSS's anonymous part
  and Python's live blocks (``sys.getallocatedblocks``) at the same moments. Reported (KiB,
  blocks for Python): the growth between the 500th and the 1,000th sale of the phase (the
  acceptance point) and over its last half (the plateau), with the last half's slope.

    python benchmarks/bench_ui.py            # 200 timed sales, 5,000 for memory, 5 cold starts
    python benchmarks/bench_ui.py --quick    # a smoke run (40 timed, 300 for memory, 2 starts)

The app is the real one (``kiosk.ui.app.ComptoirApp``) on a demo school of ``--students``
students, driven by its own Kivy event loop. Like a real school's, the students have photos:
a portrait file for each one the demo gives a ``photo_ref`` (about 70 %), shown with the
answer to each of their taps. The badges tapped are those of the students a soup is sold to
without a question on any day (active badge, no allergy flag, no daily limit, no blocked
category), in turn, cycling: their wallets are topped up first (100 €, written by the same
import the platform's data takes), so every tap, the 5,000th too, is a real sale (checked).
The first round taps students never seen before; the later ones, students already served.

Why RSS is read with the heap and SQLite beside it: VmRSS also counts memory the allocator
has freed but not handed back to the system, which moves by up to megabytes from one sample
to the next with no change in what is allocated; a leak shows in the heap in use (or in
Python's blocks), a warm-up in figures that level off. Two warm-ups are expected early in
the phase, both bounded: SQLite's page cache on the sale connection, filled as rows never
read before are read, up to ``cache_size`` (SQLite's default, 2,000 KiB per connection;
with ``PRAGMA cache_size = -500`` it stays flat from the start), and Kivy's cache of
resolved file names (``kv.resourcefind``: each photo's path, kept 60 s, so at this
benchmark's pace some 800 entries). Kivy's image cache would be a third, unbounded in
count (every photo shown in the last 60 s, half a megabyte each): the photos are kept out
of it (``kiosk.ui.widgets.Photo``).
Results are printed and written to benchmarks/results/ui.json.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))        # runs from a checkout too


def rss_kib(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _libc_mallinfo2():
    try:
        fn = ctypes.CDLL(None).mallinfo2          # glibc 2.33+
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    return fn


def _sqlite_memory_used():
    """``sqlite3_memory_used`` of the SQLite library the sqlite3 module runs on (only if that
    library is the shared one this process mapped, not a copy linked into Python)."""
    import sqlite3  # noqa: F401 - maps the library
    name = ctypes.util.find_library("sqlite3")
    maps = Path("/proc/self/maps").read_text()
    if not name or "libsqlite3" not in maps:
        return None
    fn = ctypes.CDLL(name).sqlite3_memory_used
    fn.restype = ctypes.c_int64
    return fn


def memory_sample(sales: int) -> dict:
    """VmRSS and its anonymous part (not files mapped), the C heap in use (small blocks +
    mmapped big ones) and SQLite's memory, KiB, and Python's live memory blocks (a count:
    its small objects live in arenas of its own, outside the C heap); after a garbage
    collection (Python's cycles would otherwise come and go at random)."""
    gc.collect()
    sample = {"sales": sales, "rss_kib": rss_kib(), "rss_anon_kib": rss_kib("RssAnon"),
              "python_blocks": sys.getallocatedblocks()}
    mallinfo2, sqlite_used = _libc_mallinfo2(), _sqlite_memory_used()
    if mallinfo2 is not None:
        info = mallinfo2()
        sample["heap_kib"] = (info.uordblks + info.hblkhd) // 1024
    if sqlite_used is not None:
        sample["sqlite_kib"] = sqlite_used() // 1024
    return sample


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
    if kind == "rush":
        rush_child(folder)
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
        from kivy.clock import Clock
        from kivy.core.window import Window

        from drivers.badge.simulated import SimulatedReader
        from kiosk.ui.app import ComptoirApp
        from kiosk.ui.terminal import Terminal
        app = ComptoirApp(Terminal.open(Path(folder), reader=SimulatedReader()))

        def ready():
            login = app.screens.current_screen
            return login.name == "login" and len(login.ids.names.children) > 0

    def flipped(*_):
        if ready():
            print(f"READY {rss_kib()}", flush=True)
            Clock.schedule_once(lambda _dt: app.stop())
    Window.bind(on_flip=flipped)
    app.run()


def bare_taps(count: int) -> None:
    """In a child: the app's hops with no work in them, timed like ``rush`` times a tap.
    Prints one JSON line: the latencies in seconds, and the bare app's resident memory
    after them (KiB: the floor of the app's memory, the same window drawn the same way)."""
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
        gc.collect()
        from kiosk.ui.frames import covered
        print(json.dumps({"latencies": latencies, "covered": covered(Window), "rss_kib": rss_kib(),
                          "rss_anon_kib": rss_kib("RssAnon")}), flush=True)
        Clock.schedule_once(lambda _dt: app.stop())

    Clock.schedule_once(lambda _dt: threading.Thread(target=taps, daemon=True).start(), 0.5)
    app.run()


def bare_taps_run(count: int, display: str) -> dict:
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, __file__, "--child", "bare-taps", str(count)], env=env,
                         capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_starts(kind: str, folder: Path, runs: int, display: str, rss: list | None = None) -> list[float]:
    """Seconds to the first screen drawn, per run; ``rss`` gets each process's VmRSS (KiB) then."""
    times = []
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, __file__, "--child", kind, str(folder)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in proc.stdout:
            if line.startswith("READY"):
                times.append(time.perf_counter() - started)
                if rss is not None:
                    rss.append(int(line.split()[1]))
                break
        proc.wait(30)
    return times


def big_store_folder(work: Path, demo: Path, quick: bool) -> tuple[Path, dict]:
    """A data folder on bench_sell.py's large store (100,000 students, 1,000,000 journal
    entries; 5,000 and 50,000 with ``--quick``), built once and cached under
    benchmarks/results/cache/ (13 min here for the full one), copied for this run, with the
    demo folder's terminal.toml."""
    sys.path.insert(0, str(HERE))
    import bench_sell
    sizes = bench_sell.SIZES["quick" if quick else "full"]
    cached, info = bench_sell.cached_large_store(sizes, bench_sell.school_day(), False,
                                                 lambda m: print("  " + m, flush=True))
    folder = work / "big"
    folder.mkdir()
    shutil.copyfile(cached, folder / "comptoir.db")
    shutil.copyfile(demo / "terminal.toml", folder / "terminal.toml")
    return folder, {"entries": info["entries"], "students": sizes["students"],
                    "build_seconds": info["build_seconds"], "size_mb": round(info["size_bytes"] / 1e6)}


def kill_an_open_store(folder: Path) -> None:
    """A process that opens the store and is killed (SIGKILL): its next start is unclean."""
    code = ("import sys; from kiosk.store import open_store; s = open_store(sys.argv[1], check=False);"
            " print('open', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder / "comptoir.db")], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


# -- the app's child: taps and memory ----------------------------------------------------------
def rush_ready(folder: str) -> tuple:
    """The demo terminal in ``folder`` opened in the app, Marie logged in, rush mode on SOUP:
    (terminal, driver, the badges to tap)."""
    from drivers.badge.simulated import SimulatedReader
    from kiosk.ui.terminal import Terminal
    from sync.common.clock import SystemClock, iso_utc
    from tests.ui.harness import Driver, login
    terminal = Terminal.open(Path(folder), reader=SimulatedReader())
    badges = [uid for uid, _student in rush_pool(terminal.service.store)]
    with terminal.service.store.write() as conn:      # a fresh pull: no offline cap
        terminal.service.store.set_kv(conn, "sync_state", "last_pull_at", iso_utc(SystemClock().now()))
    driver = Driver.start(terminal)
    driver.wait_for(lambda: driver.buttons(text="Marie"), what="login screen")
    login(driver, "Marie", "1234")
    driver.tap("Mode rush")
    driver.tap(driver.buttons(text="Potage et pain")[0])
    driver.wait_for(lambda: driver.screen().rush_article == "SOUP", what="rush mode")
    return terminal, driver, badges


def rush_child(folder: str) -> None:
    """In a child of its own (the app's memory is then the app's, not the benchmark's too):
    log in, rush mode, the timed sales, then the long rush for memory. Prints progress, then
    one line ``RESULT {json}``."""
    params = json.loads(os.environ["BENCH_UI_PARAMS"])
    terminal, driver, badges = rush_ready(folder)
    at_login = memory_sample(0)                  # logged in, rush mode on, no sale yet
    print(f"{params['sales']} timed rush-mode sales …", flush=True)
    rush(driver, terminal, badges, 0, 20)                                 # warm-up
    if params["profile"]:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
    latencies, sells, timed_photos = rush(driver, terminal, badges, 20, params["sales"])
    from kivy.core.window import Window

    from kiosk.ui.frames import covered
    drawn = covered(Window)                      # the last answer's frame, in windows
    if params["profile"]:
        profiler.disable()
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(25)
    print(f"{params['memory_sales']} sales for memory, cycling over {len(badges)} students …",
          flush=True)
    samples, photos = long_rush(driver, terminal, badges, 20 + params["sales"], params["memory_sales"],
                                params["sample_every"])
    driver.app.detach()
    terminal.close()
    print("RESULT " + json.dumps({"at_login": at_login, "latencies": latencies, "sells": sells,
                                  "covered": drawn,
                                  "timed_photos": timed_photos, "samples": samples,
                                  "photos": photos, "badges": badges}), flush=True)


def rush_run(folder: Path, display: str, params: dict) -> dict:
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT),
           "BENCH_UI_PARAMS": json.dumps(params)}
    proc = subprocess.Popen([sys.executable, __file__, "--child", "rush", str(folder)], env=env,
                            stdout=subprocess.PIPE, text=True)
    result = None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        else:
            print(line, end="", flush=True)
    if proc.wait() != 0 or result is None:
        raise SystemExit(f"the app's child failed ({proc.returncode})")
    return result


# -- in process: taps ------------------------------------------------------------------------------
def rush_pool(store) -> list[tuple[str, str]]:
    """(badge uid, student id) of the students a soup is sold to without a question on any
    day: active badge, no allergy flag, no daily limit, no blocked category."""
    return store.conn.execute(
        "SELECT b.uid, s.id FROM badges b JOIN students s ON s.id = b.student_id"
        " WHERE b.status = 'active' AND s.flags = '[]' AND s.daily_limit_cents IS NULL"
        " AND s.blocked_categories = '[]' AND EXISTS (SELECT 1 FROM wallets w"
        " WHERE w.student_id = s.id) ORDER BY b.uid").fetchall()


def make_school(folder: Path, students: int, top_up_cents: int = 10_000) -> list[str]:
    """The demo school with a portrait for every student who has a ``photo_ref``, and the
    wallets of the rush pool topped up (an import of their new balances, as the platform's
    data arrives). Returns the pool's badges."""
    from kiosk import importer
    from kiosk.demo.folder import make_demo_folder, make_portraits
    from kiosk.store import open_store
    from kiosk.ui.terminal import DB_NAME
    from sync.common.clock import SystemClock
    make_demo_folder(folder, "canteen", students=students)
    store = open_store(folder / DB_NAME)
    try:
        photos = [dict(zip(("first_name", "last_name", "photo_ref"), row)) for row in store.conn.execute(
            "SELECT first_name, last_name, photo_ref FROM students WHERE photo_ref IS NOT NULL"
            " ORDER BY id")]
        make_portraits(folder, photos)
        pool = rush_pool(store)
        ids = {student for _uid, student in pool}
        wallets = [{"id": w, "student_id": sid, "kind": kind, "name": name,
                    "structured_communication": comm, "is_default": bool(default),
                    "balance_cents": top_up_cents, "included_seq": 0}
                   for w, sid, kind, name, comm, default in store.conn.execute(
                       "SELECT id, student_id, kind, name, structured_communication, is_default"
                       " FROM wallets ORDER BY id") if sid in ids]
        importer.apply(store, importer.parse({"format": "comptoir-data/1", "wallets": wallets}),
                       SystemClock().now(), source="top-up")
    finally:
        store.close()
    return [uid for uid, _student in pool]


def rush(driver, terminal, badges, start, count):
    """``count`` rush-mode sales, tapping ``badges`` in turn from ``start`` (cycling);
    returns (tap→frame seconds, sell seconds) per sale and how many answers had a photo."""
    from kivy.core.window import Window
    flips = [0]

    def flipped(*_):
        flips[0] += 1
    Window.bind(on_flip=flipped)
    sale = driver.screen("sale")
    latencies, sells, photos = [], [], 0
    try:
        for i in range(start, start + count):
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
            photos += bool(sale.ids.result.photo)
    finally:
        Window.unbind(on_flip=flipped)
    return latencies, sells, photos


def long_rush(driver, terminal, badges, start, count, every):
    """``count`` sales with a memory sample before them and after every ``every``; the
    per-sale figures are dropped as they come (the benchmark's own lists must not grow)."""
    samples, photos = [memory_sample(0)], 0
    for done in range(0, count, every):
        n = min(every, count - done)
        photos += rush(driver, terminal, badges, start + done, n)[2]
        samples.append(memory_sample(done + n))
        print(f"  {done + n:5d} sales: RSS {samples[-1]['rss_kib'] / 1024:.1f} MiB", flush=True)
    return samples, photos


def growth(samples, key, first, last):
    """``key``'s growth (KiB, or blocks) between the samples taken after ``first`` and ``last`` sales."""
    at = {s["sales"]: s.get(key) for s in samples}
    if at.get(first) is None or at.get(last) is None:
        return None
    return at[last] - at[first]


def slope_per_1000(samples, key, since):
    """Least-squares slope of ``key`` (KiB, or blocks, per 1,000 sales) over the samples from ``since``."""
    points = [(s["sales"], s[key]) for s in samples if s["sales"] >= since and key in s]
    if len(points) < 3:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return round(1000 * sum((x - mx) * (y - my) for x, y in points) / den, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--memory-sales", type=int, default=5000)
    parser.add_argument("--sample-every", type=int, default=250)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--students", type=int, default=2500)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the UI thread during the timed sales (printed, slower)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    if args.quick:
        args.sales, args.memory_sales, args.sample_every = 40, 300, 50
        args.starts, args.students = 2, 800

    from tests.ui.harness import Xvfb
    work = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    folder = work / "data"
    badges = make_school(folder, args.students)
    if len(badges) < 20 + args.sales:
        raise SystemExit(f"only {len(badges)} badges for {20 + args.sales} timed sales: raise --students")
    x = Xvfb()
    try:
        print(f"cold start: {args.starts} × app, {args.starts} × bare Kivy app …", flush=True)
        bare_rss, app_rss = [], []
        bare = cold_starts("bare", folder, args.starts, x.display, bare_rss)
        app_starts = cold_starts("app", folder, args.starts, x.display, app_rss)
        print("cold start on a large store …", flush=True)
        big, big_info = big_store_folder(work, folder, args.quick)
        cold_starts("app", big, 1, x.display)          # the first open (file cache, WAL made)
        bare_big = cold_starts("bare", folder, args.starts, x.display)
        big_starts = cold_starts("app", big, args.starts, x.display)
        kill_an_open_store(big)
        unclean_start = cold_starts("app", big, 1, x.display)
        shutil.rmtree(big)

        print(f"{args.sales} bare Kivy taps (the same hops, no work) …", flush=True)
        bare_run = bare_taps_run(args.sales, x.display)
        bare_latencies = bare_run["latencies"]
        got = rush_run(folder, x.display, {"sales": args.sales, "memory_sales": args.memory_sales,
                                           "sample_every": args.sample_every, "profile": args.profile})
        at_login, latencies, sells, timed_photos = (got[k] for k in ("at_login", "latencies", "sells",
                                                                     "timed_photos"))
        samples, photos, badges = got["samples"], got["photos"], got["badges"]
    finally:
        x.stop()
        shutil.rmtree(work, ignore_errors=True)

    n, half = args.memory_sales, args.memory_sales // 2
    half = half - half % args.sample_every            # a sampled point
    memory = {"sales": n, "sample_every": args.sample_every, "students_cycled": len(badges),
              "answers_with_photo": photos, "samples": samples}
    for key in ("rss_kib", "rss_anon_kib", "heap_kib", "sqlite_kib", "python_blocks"):
        name = key.removesuffix("_kib")
        memory[f"{name}_growth_500_to_1000"] = growth(samples, key, 500, 1000)
        memory[f"{name}_growth_last_half"] = growth(samples, key, half, n)
        memory[f"{name}_slope_last_half_per_1000"] = slope_per_1000(samples, key, half)
    at = {s["sales"]: s["rss_kib"] for s in samples}
    memory["rss_at_login_kib"] = at_login["rss_kib"]
    memory["rss_at_1000_kib"] = at.get(1000)
    memory["bare_kivy_rss_kib"] = bare_run["rss_kib"]
    memory["bare_kivy_rss_anon_kib"] = bare_run["rss_anon_kib"]
    memory["over_bare_at_1000_mib"] = (None if at.get(1000) is None
                                       else round((at[1000] - bare_run["rss_kib"]) / 1024, 1))
    tail = [s["rss_kib"] for s in samples if s["sales"] >= half]
    memory["rss_last_half_range_kib"] = [min(tail), max(tail)]
    memory["last_half_from"] = half

    results = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": os.getloadavg()[0]},
        "tap_to_frame_ms": {"p50": ms(statistics.median(latencies)), "p95": ms(pct(latencies, 95)),
                            "n": len(latencies), "answers_with_photo": timed_photos},
        # what a frame draws beside its clear, in windows (kiosk.ui.frames.covered): load-free
        "frame_covers_windows": {"app_answer": round(got["covered"], 3),
                                 "bare_kivy": round(bare_run["covered"], 3)},
        "service_sell_ms": {"p50": ms(statistics.median(sells)), "p95": ms(pct(sells, 95))},
        "bare_kivy_tap_ms": {"p50": ms(statistics.median(bare_latencies)),
                             "p95": ms(pct(bare_latencies, 95)), "n": len(bare_latencies)},
        "cold_start_s": {"app_median": round(statistics.median(app_starts), 3),
                         "bare_kivy_median": round(statistics.median(bare), 3),
                         "runs": len(app_starts),
                         "rss_when_drawn_kib": {"app_median": statistics.median(app_rss),
                                                "bare_kivy_median": statistics.median(bare_rss)}},
        "cold_start_large_store_s": {**big_info, "app_median": round(statistics.median(big_starts), 3),
                                     "bare_kivy_median": round(statistics.median(bare_big), 3),
                                     "runs": len(big_starts),
                                     "after_a_kill": round(unclean_start[0], 3)},
        "memory": memory,
    }
    results["tap_to_frame_ms"]["ratio_p50_to_sell"] = round(
        results["tap_to_frame_ms"]["p50"] / max(results["service_sell_ms"]["p50"], 1e-6), 1)
    results["tap_to_frame_ms"]["ratio_p50_to_bare_kivy"] = round(
        results["tap_to_frame_ms"]["p50"] / max(results["bare_kivy_tap_ms"]["p50"], 1e-6), 2)
    big_cold = results["cold_start_large_store_s"]
    big_cold["ratio_to_bare"] = round(big_cold["app_median"] / big_cold["bare_kivy_median"], 2)
    results["tap_to_frame_ms"]["ratio_p95_to_bare_kivy"] = round(
        results["tap_to_frame_ms"]["p95"] / max(results["bare_kivy_tap_ms"]["p95"], 1e-6), 2)
    results["cold_start_s"]["ratio_to_bare"] = round(
        results["cold_start_s"]["app_median"] / results["cold_start_s"]["bare_kivy_median"], 2)
    t, s, c = (results[k] for k in ("tap_to_frame_ms", "service_sell_ms", "cold_start_s"))
    print(f"tap → result drawn : p50 {t['p50']} ms, p95 {t['p95']} ms over {t['n']} sales"
          f" ({t['answers_with_photo']} with a photo; × {t['ratio_p50_to_sell']} the service's sell)")
    print(f"service sell       : p50 {s['p50']} ms, p95 {s['p95']} ms (same sales)")
    f = results["frame_covers_windows"]
    print(f"frame draws        : {f['app_answer']} windows of pixels for an answer (bare Kivy's"
          f" label: {f['bare_kivy']})")
    k = results["bare_kivy_tap_ms"]
    print(f"bare Kivy, same hops: p50 {k['p50']} ms, p95 {k['p95']} ms"
          f" (tap → result drawn is × {t['ratio_p50_to_bare_kivy']} that at p50,"
          f" × {t['ratio_p95_to_bare_kivy']} at p95)")
    print(f"cold start → login : {c['app_median']} s median over {c['runs']}"
          f" (bare Kivy app {c['bare_kivy_median']} s, × {c['ratio_to_bare']})")
    print(f"cold start, large  : {big_cold['app_median']} s median over {big_cold['runs']} on a store of"
          f" {big_cold['entries']:,} entries and {big_cold['students']:,} students (bare Kivy app"
          f" {big_cold['bare_kivy_median']} s, × {big_cold['ratio_to_bare']}); after a kill (the pages"
          f" checked): {big_cold['after_a_kill']} s")
    print(f"resident memory    : {n} more sales, {photos} answers with a photo, cycling over"
          f" {len(badges)} students; samples (sales: RSS, its anonymous part, C heap in use,"
          f" SQLite: MiB; Python's live blocks):")
    for sample in samples:
        print(f"  {sample['sales']:5d}: {sample['rss_kib'] / 1024:6.1f} {sample['rss_anon_kib'] / 1024:6.1f}"
              f" {sample.get('heap_kib', 0) / 1024:5.1f} {sample.get('sqlite_kib', 0) / 1024:4.1f}"
              f" {sample['python_blocks']:8d}")

    def kib(value, unit=" KiB"):
        return "n/a" if value is None else f"{value:+d}{unit}"
    for name, label, unit in (("rss", "RSS", " KiB"), ("rss_anon", "RSS anonymous", " KiB"),
                              ("heap", "C heap in use", " KiB"), ("sqlite", "SQLite", " KiB"),
                              ("python_blocks", "Python blocks", "")):
        print(f"  {label:14}: 500th → 1,000th sale {kib(memory[f'{name}_growth_500_to_1000'], unit)},"
              f" last half ({half} → {n}) {kib(memory[f'{name}_growth_last_half'], unit)}"
              f" (slope {memory[f'{name}_slope_last_half_per_1000']}{unit} per 1,000 sales)")
    lo, hi = memory["rss_last_half_range_kib"]
    at_1000 = memory["rss_at_1000_kib"]
    print(f"  RSS at login {memory['rss_at_login_kib'] / 1024:.1f} MiB, after 1,000 sales"
          f" {'n/a' if at_1000 is None else round(at_1000 / 1024, 1)} MiB;"
          f" a bare Kivy app (same window, after its taps) {memory['bare_kivy_rss_kib'] / 1024:.1f} MiB:"
          f" the app is {memory['over_bare_at_1000_mib']} MiB over it")
    print(f"  RSS over the last half stays within {lo / 1024:.1f}–{hi / 1024:.1f} MiB")
    print(f"machine load (1 min): {results['machine']['load']:.1f} on {os.cpu_count()} cpus")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / ("ui-quick.json" if args.quick else "ui.json")).write_text(json.dumps(results, indent=1) + "\n")
    return 0

if __name__ == "__main__":
    sys.exit(main())
