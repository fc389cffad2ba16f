#!/usr/bin/env python3
"""Benchmark of the sync path, terminal <-> reference central server, over real loopback HTTP.

    python benchmarks/bench_sync.py            # acceptance sizes
    python benchmarks/bench_sync.py --quick    # small sizes, a smoke run

The central server is a real subprocess (``python -m kiosk.cli central serve``) on a SQLite
database with the demo school (800 students). Measured (see benchmarks/README.md):

* **push** of 10,000 journal entries by ``Agent.push()`` (20 requests of 500), in entries per
  second, and its ratio to a bare baseline measured in the same run: (a) bare loopback POSTs
  of the very same gzip bodies to a trivial ``http.server`` subprocess that reads and discards
  them, plus (b) a bare SQLite insert of the same rows (one transaction per 500 rows, WAL,
  ``synchronous=FULL``, same folder);
* **first pull** of the whole school (seconds; bytes on the wire, counted by a TCP proxy on
  loopback), and an **incremental pull** after 10 changed students (bytes, and the ratio to
  the full pull's bytes: it must follow the change, not the school);
* **200 simulated terminals** pushing small chained batches and pulling incrementally at once
  against the one server (requests per second, p50/p99 latency, errors: must be 0).

Only SQLite: the PostgreSQL backend does not exist yet. Results are printed and written to
``benchmarks/results/bench_sync-<mode>-<time>.json``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid as uuidlib
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))        # runs from a checkout too

import requests  # noqa: E402

from kiosk.clock import SystemClock, iso_utc  # noqa: E402
from kiosk.config import PolicySection, TerminalConfig  # noqa: E402
from kiosk.counter import CounterService  # noqa: E402
from kiosk.demo import DEMO_PINS, generate  # noqa: E402
from kiosk.journal import GENESIS, make_entry  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.store.db import connect  # noqa: E402
from sync import protocol  # noqa: E402
from sync.agent import Agent, enrol  # noqa: E402
from sync.client import Client  # noqa: E402
from sync.models import DataSet  # noqa: E402
from sync.server.cli import main as central_main  # noqa: E402
from sync.server.storage import CentralStore  # noqa: E402

TZ = ZoneInfo("Europe/Brussels")
RESULTS = HERE / "results"
SEED = 2026

SIZES = {
    "full": {"school": 800, "entries": 10_000, "changes": 10, "terminals": 200,
             "load_seconds": 20.0, "baseline_reps": 3},
    "quick": {"school": 200, "entries": 1_000, "changes": 10, "terminals": 20,
              "load_seconds": 3.0, "baseline_reps": 2},
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, logfile: Path | None = None) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if proc.poll() is not None:
                raise RuntimeError("server died: " + (logfile.read_text()[-3000:] if logfile else ""))
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# -- a counting TCP proxy (bytes on the wire) ---------------------------------------------------

class CountingProxy:
    """Forwards 127.0.0.1:<port> to the server and counts the bytes each way (HTTP headers
    included: what actually crosses the wire, gzip-compressed bodies as sent)."""

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.up = self.down = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return self.up, self.down

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, server, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, "down"), daemon=True).start()

    def _pump(self, src, dst, direction):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    if direction == "up":
                        self.up += len(data)
                    else:
                        self.down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.closed = True
        self.sock.close()


# -- the central server -----------------------------------------------------------------------

class Central:
    def __init__(self, folder: Path, students: int):
        self.db = folder / "central.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        db = str(self.db)
        assert central_main(["init", "--db", db, "--school", "Institut Saint-Michel"]) == 0
        assert central_main(["demo-data", "--db", db, "--students", str(students)]) == 0
        self.store = CentralStore(self.db)
        self.school_id = self.store.school_id()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logfile = folder / "server.log"
        self.proc = None

    def start(self):
        with open(self.logfile, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "central", "serve", "--db", str(self.db),
                 "--port", str(self.port)], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                stderr=out)
        wait_up(self.url + protocol.DEVICE, self.proc, self.logfile)

    def query(self, sql, params=()):
        conn = sqlite3.connect(self.db, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


BARE_SERVER = r'''
import http.server, sys
ANSWER = b'{"high_water":0,"last_hash":"x","applied":0}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(ANSWER)).encode() + b"\r\n\r\n" + ANSWER)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.wfile.write(RESPONSE)      # one write: no Nagle / delayed-ACK stall
    def do_GET(self):
        self.wfile.write(RESPONSE)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


# -- push -------------------------------------------------------------------------------------

def make_entries(store, service, entries: int, rng: random.Random) -> float:
    """``entries`` real sales through CounterService (synchronous=OFF for the build only)."""
    t0 = time.perf_counter()
    store.conn.execute("PRAGMA synchronous = OFF")
    session = service.login("Marie", DEMO_PINS["Marie"])
    badges = [r[0] for r in store.conn.execute(
        "SELECT DISTINCT b.uid FROM badges b JOIN students s ON s.id = b.student_id"
        " JOIN wallets w ON w.student_id = s.id WHERE b.status = 'active' AND s.flags = '[]' AND s.daily_limit_cents IS NULL"
        " AND s.blocked_articles = '[]' AND s.blocked_categories = '[]'")]
    carts = [{"SOUP": 1}, {"WATER": 1}, {"APPLE": 2}, {"SANDW-HAM": 1}, {"SOUP": 1, "APPLE": 1}]
    made = 0
    while made < entries:
        service.sell(session, rng.choice(badges), rng.choice(carts),
                     confirm=("allergen", "double_tap"))
        made = store.conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
    store.conn.execute("PRAGMA synchronous = FULL")
    return time.perf_counter() - t0


def push_bodies(store, pushed: int) -> tuple[list[bytes], list[tuple]]:
    """The gzip bodies Agent.push sends (same serialisation, same level), and the rows."""
    rows = store.conn.execute("SELECT seq, body, prev_hash, hash FROM journal WHERE seq > ?"
                              " ORDER BY seq", (pushed,)).fetchall()
    bodies = []
    for i in range(0, len(rows), protocol.MAX_PUSH_ENTRIES):
        chunk = rows[i:i + protocol.MAX_PUSH_ENTRIES]
        request = protocol.PushRequest(entries=[
            protocol.PushedEntry(seq=r[0], body=r[1], prev_hash=r[2], hash=r[3]) for r in chunk])
        bodies.append(gzip.compress(request.model_dump_json().encode("utf-8"), compresslevel=5))
    return bodies, rows


def bare_posts(url: str, bodies: list[bytes]) -> float:
    session = requests.Session()
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip",
               "Accept-Encoding": "gzip", "Authorization": "Bearer " + "x" * 43}
    session.post(url + protocol.JOURNAL, data=b"warm", headers=headers).content   # connect
    t0 = time.perf_counter()
    for body in bodies:
        r = session.post(url + protocol.JOURNAL, data=body, headers=headers)
        r.content
        assert r.status_code == 200
    elapsed = time.perf_counter() - t0
    session.close()
    return elapsed


def bare_insert(path: Path, rows: list[tuple], device_id: str) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = connect(path)        # the terminal store's pragmas: WAL, synchronous=FULL
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE journal (device_id TEXT NOT NULL, seq INTEGER NOT NULL,"
                 " body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
                 " PRIMARY KEY (device_id, seq))")
    t0 = time.perf_counter()
    for i in range(0, len(rows), protocol.MAX_PUSH_ENTRIES):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO journal VALUES (?, ?, ?, ?, ?)",
                         [(device_id, *r) for r in rows[i:i + protocol.MAX_PUSH_ENTRIES]])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


# -- pull -------------------------------------------------------------------------------------

def raw_pull(url: str, token: str, cursor: str = "") -> dict:
    """Every page from ``cursor`` with plain requests (no apply): seconds, pages, records."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
    pages = records = 0
    t0 = time.perf_counter()
    while True:
        r = session.get(url + protocol.CHANGES,
                        params={"cursor": cursor, "limit": protocol.MAX_PAGE_RECORDS})
        assert r.status_code == 200, r.text[:300]
        page = r.json()
        pages += 1
        records += sum(len(v) for v in page.values() if isinstance(v, list))
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    elapsed = time.perf_counter() - t0
    session.close()
    return {"seconds": elapsed, "pages": pages, "records": records, "cursor": cursor}


def measured(proxy: CountingProxy, fn):
    up0, down0 = proxy.counts()
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    time.sleep(0.05)            # the proxy's pump threads have forwarded everything
    up1, down1 = proxy.counts()
    return result, elapsed, up1 - up0, down1 - down0


# -- 200 terminals at once --------------------------------------------------------------------

class SimTerminal:
    def __init__(self, url: str, device_id: str, token: str, cursor: str, today: str,
                 wallets: list[tuple[str, str]], rng: random.Random):
        self.url, self.device_id, self.cursor, self.today = url, device_id, cursor, today
        self.wallets, self.rng = wallets, rng
        self.seq, self.last_hash = 0, GENESIS
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Accept-Encoding": "gzip",
                                     "User-Agent": "comptoir-terminal/1"})
        self.samples: list[tuple[str, int, bool]] = []  # (kind, ns, ok)
        self.errors: list[str] = []
        self.pulled = 0

    def _entry(self) -> dict:
        """The next sale of this simulated terminal, made as ``kiosk.journal.append`` makes it."""
        self.seq += 1
        wallet, student = self.rng.choice(self.wallets)
        cents = -self.rng.choice((100, 250, 300, 450))
        _, body, digest = make_entry(
            device_id=self.device_id, seq=self.seq, prev_hash=self.last_hash, kind="sale",
            ts=iso_utc(datetime.now(timezone.utc)), day=self.today, operator_id="op-marie",
            student_id=student, postings=[(wallet, cents)], details={"lines": [{
                "article": "SANDW-HAM", "name": "Sandwich jambon", "qty": 1, "unit_cents": -cents,
                "total_cents": -cents, "wallet": wallet}]})
        entry = {"seq": self.seq, "body": body, "prev_hash": self.last_hash, "hash": digest}
        self.last_hash = digest
        return entry

    def _call(self, kind: str, fn):
        t0 = time.perf_counter_ns()
        try:
            r = fn()
            ok = r.status_code == 200
            payload = r.json() if ok else None
            if not ok:
                self.errors.append(f"{kind} HTTP {r.status_code}: {r.text[:200]}")
        except Exception as e:        # noqa: BLE001 -- every failure is an error to report
            ok, payload = False, None
            self.errors.append(f"{kind} {type(e).__name__}: {str(e)[:200]}")
        self.samples.append((kind, time.perf_counter_ns() - t0, ok))
        return payload

    def round(self) -> None:
        entries = [self._entry() for _ in range(self.rng.randint(1, 5))]
        body = gzip.compress(json.dumps({"entries": entries}).encode(), compresslevel=5)
        answer = self._call("push", lambda: self.session.post(
            self.url + protocol.JOURNAL, data=body, timeout=60,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}))
        if answer is None or answer["high_water"] != self.seq:
            # Nothing to resume from in a benchmark: resync our chain with the server's view.
            if answer is not None:
                self.errors.append(f"push high_water {answer['high_water']} != {self.seq}")
            self.seq -= len(entries)
            self.last_hash = entries[0]["prev_hash"]
        while True:
            page = self._call("pull", lambda: self.session.get(
                self.url + protocol.CHANGES, timeout=60,
                params={"cursor": self.cursor, "limit": protocol.MAX_PAGE_RECORDS}))
            if page is None:
                break
            self.pulled += sum(len(v) for v in page.values() if isinstance(v, list))
            self.cursor = page["cursor"]
            if not page["has_more"]:
                break

    def run(self, start: threading.Barrier, deadline_box: list) -> None:
        start.wait()
        deadline = deadline_box[0]
        while time.perf_counter() < deadline:
            self.round()
        self.session.close()


def pct(sorted_ns: list[int], p: float) -> float:
    if not sorted_ns:
        return float("nan")
    k = max(0, min(len(sorted_ns) - 1, round(p / 100 * len(sorted_ns) + 0.5) - 1))
    return sorted_ns[k] / 1e6


def lat(samples: list[int]) -> dict:
    s = sorted(samples)
    if not s:
        return {"n": 0}
    return {"n": len(s), "p50_ms": pct(s, 50), "p90_ms": pct(s, 90), "p99_ms": pct(s, 99),
            "max_ms": s[-1] / 1e6, "mean_ms": sum(s) / len(s) / 1e6}


def load_test(central: Central, sizes: dict, today: str, rng: random.Random) -> dict:
    n = sizes["terminals"]
    t0 = time.perf_counter()
    enrol_session = requests.Session()
    terms = []
    for i in range(n):
        code = central.store.create_enrol_code(central.school_id, f"Sim {i + 1:03d}")
        device_id = str(uuidlib.uuid4())
        r = enrol_session.post(central.url + protocol.ENROL,
                               json={"code": code, "device_id": device_id})
        assert r.status_code == 200, r.text
        terms.append((device_id, r.json()["token"]))
    enrol_session.close()
    enrol_seconds = time.perf_counter() - t0
    log(f"load: {n} terminals enrolled in {enrol_seconds:.1f} s")
    wallets = central.query("SELECT w.id, w.student_id FROM wallets w WHERE w.school_id = ?"
                            " AND w.student_id IS NOT NULL", (central.school_id,))
    counter = central.query("SELECT value FROM change_counter WHERE id = 1")[0][0]
    sims = [SimTerminal(central.url, d, tok, f"v1:{counter}", today, wallets,
                        random.Random(rng.random())) for d, tok in terms]
    start = threading.Barrier(n + 1)
    deadline_box = [0.0]
    threads = [threading.Thread(target=s.run, args=(start, deadline_box), daemon=True)
               for s in sims]
    for t in threads:
        t.start()
    deadline_box[0] = time.perf_counter() + sizes["load_seconds"]
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join(timeout=sizes["load_seconds"] + 120)
    wall = time.perf_counter() - t0
    hung = sum(t.is_alive() for t in threads)
    samples = [x for s in sims for x in s.samples]
    errors = [e for s in sims for e in s.errors]
    pushes = [ns for k, ns, ok in samples if k == "push" and ok]
    pulls = [ns for k, ns, ok in samples if k == "pull" and ok]
    # The server's view: every entry a simulated terminal thinks pushed is held, chain intact.
    held = dict(central.query("SELECT id, high_water FROM devices"))
    mismatched = sum(1 for s in sims if held.get(s.device_id) != s.seq)
    entries = sum(s.seq for s in sims)
    return {"terminals": n, "enrol_seconds": enrol_seconds, "wall_seconds": wall,
            "requests": len(samples), "requests_per_second": len(samples) / wall,
            "pushes": len(pushes), "pulls": len(pulls), "entries_pushed": entries,
            "entries_per_second": entries / wall,
            "records_pulled": sum(s.pulled for s in sims),
            "latency_all": lat([ns for _, ns, ok in samples if ok]),
            "latency_push": lat(pushes), "latency_pull": lat(pulls),
            "errors": len(errors), "error_samples": errors[:10], "hung_threads": hung,
            "server_high_water_mismatches": mismatched}


# -- main -------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    p.add_argument("--dir", type=Path, help="work folder (default benchmarks/results/sync-<mode>)")
    p.add_argument("--terminals", type=int, help="simulated terminals (default by mode)")
    p.add_argument("--seconds", type=float, help="duration of the concurrent load")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    args = p.parse_args(argv)
    mode = "quick" if args.quick else "full"
    sizes = dict(SIZES[mode])
    if args.terminals:
        sizes["terminals"] = args.terminals
    if args.seconds:
        sizes["load_seconds"] = args.seconds
    rng = random.Random(SEED)
    started = time.perf_counter()
    today = datetime.now(TZ).date()

    work = args.dir or RESULTS / f"sync-{mode}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    central = Central(work, sizes["school"])
    bare_port = free_port()
    bare_proc = proxy = store = None
    result: dict = {"mode": mode, "sizes": sizes, "backend": "sqlite"}
    try:
        central.start()
        bare_proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)],
                                     stdin=subprocess.DEVNULL)
        bare_url = f"http://127.0.0.1:{bare_port}"
        wait_up(bare_url, bare_proc)
        proxy = CountingProxy(central.port)
        log(f"central server up ({sizes['school']} students), proxy on {proxy.port}")

        # A real terminal store, enrolled.
        tdir = work / "terminal"
        tdir.mkdir()
        store = open_store(tdir / "comptoir.db", create=True)
        creds = enrol(store, tdir, central.url, central.store.create_enrol_code(
            central.school_id, "Cantine 1"))
        config = TerminalConfig(policy=PolicySection(
            overdraft_limit_cents=10**9, double_tap_seconds=0, offline_daily_cap_cents=10**9))
        direct = Agent(store, Client(creds.url, creds.token), config)

        # First pull of the whole school: bytes on the wire (proxy, no apply), then the
        # agent's real pull (direct, applied to the store) for the end-to-end seconds.
        raw, raw_s, up, down = measured(proxy, lambda: raw_pull(proxy.url, creds.token))
        result["first_pull_raw"] = {"seconds": raw_s, "bytes_down": down, "bytes_up": up,
                                    "pages": raw["pages"], "records": raw["records"]}
        t0 = time.perf_counter()
        records = direct.pull(full=True)
        result["first_pull_agent"] = {"seconds": time.perf_counter() - t0, "records": records}
        log(f"first pull: {raw['records']} records, {down:,} bytes, raw {raw_s:.3f} s,"
            f" agent (with apply) {result['first_pull_agent']['seconds']:.3f} s")

        # 10,000 entries, then the push.
        service = CounterService(store, config, SystemClock())
        build_s = make_entries(store, service, sizes["entries"], rng)
        bodies, rows = push_bodies(store, 0)
        rows = rows[:sizes["entries"]]
        log(f"terminal: {len(rows):,} entries made in {build_s:.1f} s;"
            f" {len(bodies)} push bodies, {sum(map(len, bodies)):,} gzip bytes")
        # Push through the direct client (no proxy in the way), bytes counted separately below.
        t0 = time.perf_counter()
        applied = direct.push()
        push_s = time.perf_counter() - t0
        assert applied == len(rows), (applied, len(rows))
        assert central.query("SELECT high_water FROM devices WHERE id = ?",
                             (store.device_id,))[0][0] == len(rows)
        log(f"push: {applied:,} entries in {push_s:.3f} s")

        posts, inserts = [], []
        for rep in range(sizes["baseline_reps"]):
            posts.append(bare_posts(bare_url, bodies))
            inserts.append(bare_insert(work / f"bare-{rep}.db", rows, store.device_id))
        post_s, insert_s = statistics.median(posts), statistics.median(inserts)
        result["push"] = {
            "entries": applied, "requests": len(bodies), "seconds": push_s,
            "entries_per_second": applied / push_s, "gzip_bytes": sum(map(len, bodies)),
            "raw_json_bytes": sum(len(gzip.decompress(b)) for b in bodies),
            "bare_post_seconds": post_s, "bare_insert_seconds": insert_s,
            "bare_post_runs": posts, "bare_insert_runs": inserts,
            "ratio_to_bare": push_s / (post_s + insert_s), "build_seconds": build_s}

        # Catch-up pull after the push (its wallets changed), then 10 changed students.
        _, s, up, down = measured(proxy, lambda: Agent(
            store, Client(proxy.url, creds.token), config).pull())
        wallets_touched = central.query("SELECT count(DISTINCT wallet_id) FROM postings")[0][0]
        result["pull_after_push"] = {"seconds": s, "bytes_down": down,
                                     "wallets_changed": wallets_touched}
        via_proxy = Agent(store, Client(proxy.url, creds.token), config)
        n0, s0, _, empty_down = measured(proxy, via_proxy.pull)
        data = generate(sizes["school"], day=today)
        students = data["students"][:sizes["changes"]]
        for st in students:
            st["last_name"] = st["last_name"] + " (modifié)"
        counts = central.store.load(central.school_id, DataSet.model_validate(
            {"students": students}))
        n10, s10, _, inc_down = measured(proxy, via_proxy.pull)
        result["incremental_pull"] = {
            "changed": counts, "records": n10, "seconds": s10, "bytes_down": inc_down,
            "ratio_to_full_bytes": inc_down / result["first_pull_raw"]["bytes_down"],
            "bytes_per_record": inc_down / max(1, n10),
            "nothing_changed_bytes_down": empty_down, "nothing_changed_records": n0}
        log(f"incremental pull: {n10} records, {inc_down:,} bytes (empty pull {empty_down:,})")

        # 200 terminals at once.
        log(f"load: {sizes['terminals']} terminals for {sizes['load_seconds']:.0f} s...")
        result["load"] = load_test(central, sizes, today.isoformat(), rng)
        rc = central.proc.poll()
        result["server_alive_after"] = rc is None
    finally:
        if store is not None:
            store.close()
        if proxy is not None:
            proxy.close()
        stop(bare_proc)
        stop(central.proc)

    result["server_log_errors"] = [line for line in central.logfile.read_text(
        errors="replace").splitlines() if "Traceback" in line or '" 500' in line
        or "ERROR" in line or "database is locked" in line][:20]
    result["env"] = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                     "platform": platform.platform(), "cpus": os.cpu_count()}
    result["total_seconds"] = time.perf_counter() - started
    report(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result["when"] = stamp
    out = RESULTS / f"bench_sync-{mode}-{stamp}.json"
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"\nresults: {out}  (total {result['total_seconds']:.0f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    load = result["load"]
    return 0 if load["errors"] == 0 and load["hung_threads"] == 0 else 1


def report(r: dict) -> None:
    ps, fp, fa, ip, ld = (r["push"], r["first_pull_raw"], r["first_pull_agent"],
                          r["incremental_pull"], r["load"])
    print()
    print(f"Comptoir sync benchmark ({r['mode']}): central server on SQLite {r['env']['sqlite']}"
          f" (PostgreSQL backend: not implemented yet, not measured), Python"
          f" {r['env']['python']}, {r['env']['cpus']} CPUs, loopback")
    print()
    print(f"{'measure':<52} {'value':>14}")
    rows = [
        (f"push {ps['entries']:,} entries ({ps['requests']} x 500), seconds", f"{ps['seconds']:.3f}"),
        ("push, entries per second", f"{ps['entries_per_second']:,.0f}"),
        ("push, gzip bytes sent (raw JSON bytes)", f"{ps['gzip_bytes']:,} ({ps['raw_json_bytes']:,})"),
        ("  (a) bare loopback POSTs of the same bytes, s", f"{ps['bare_post_seconds']:.3f}"),
        ("  (b) bare SQLite insert of the same rows, s", f"{ps['bare_insert_seconds']:.3f}"),
        ("push / (a + b)", f"{ps['ratio_to_bare']:.2f}"),
        (f"first pull, {fp['records']:,} records / {fp['pages']} pages, raw GETs, s", f"{fp['seconds']:.3f}"),
        ("first pull, agent (GET + apply to the store), s", f"{fa['seconds']:.3f}"),
        ("first pull, bytes on the wire (down)", f"{fp['bytes_down']:,}"),
        ("pull after the push (wallets changed), bytes", f"{r['pull_after_push']['bytes_down']:,}"),
        ("pull with nothing changed, bytes", f"{ip['nothing_changed_bytes_down']:,}"),
        (f"incremental pull after {sum(ip['changed'].values())} changes ({ip['records']} records), bytes",
         f"{ip['bytes_down']:,}"),
        ("incremental / first pull bytes", f"{ip['ratio_to_full_bytes']:.4f}"),
        (f"{ld['terminals']} terminals at once, {ld['wall_seconds']:.1f} s: requests", f"{ld['requests']:,}"),
        ("  requests per second", f"{ld['requests_per_second']:,.1f}"),
        ("  entries pushed per second", f"{ld['entries_per_second']:,.1f}"),
        ("  latency p50 / p99 ms (all)",
         f"{ld['latency_all'].get('p50_ms', float('nan')):.1f} / {ld['latency_all'].get('p99_ms', float('nan')):.1f}"),
        ("  push p50 / p99 ms",
         f"{ld['latency_push'].get('p50_ms', float('nan')):.1f} / {ld['latency_push'].get('p99_ms', float('nan')):.1f}"),
        ("  pull p50 / p99 ms",
         f"{ld['latency_pull'].get('p50_ms', float('nan')):.1f} / {ld['latency_pull'].get('p99_ms', float('nan')):.1f}"),
        ("  errors (must be 0)", f"{ld['errors']}"),
        ("  server high-water mismatches", f"{ld['server_high_water_mismatches']}"),
    ]
    for label, value in rows:
        print(f"{label:<52} {value:>14}")
    if ld["error_samples"]:
        print("first errors:", *ld["error_samples"], sep="\n  ")
    if r["server_log_errors"]:
        print("server log:", *r["server_log_errors"][:5], sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
