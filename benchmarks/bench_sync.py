#!/usr/bin/env python3
"""Benchmark of the sync path, terminal <-> reference central server, over real loopback HTTP.

    python benchmarks/bench_sync.py            # acceptance sizes, both backends
    python benchmarks/bench_sync.py --quick    # small sizes, a smoke run
    python benchmarks/bench_sync.py --backends postgresql

The central server is a real subprocess (``python -m kiosk.cli central serve``) with the demo
school (800 students), once on a SQLite file and once on a PostgreSQL database (a throw-away
server started here, ``tests/pg_server.py``, with PostgreSQL's durable defaults: fsync and
synchronous commit on), one after the other in the same run. Measured for each (see
benchmarks/README.md):

* **push** of 10,000 journal entries by ``Agent.push()`` (20 requests of 500), in entries per
  second, and its ratio to a bare baseline measured in the same run: (a) bare loopback POSTs
  of the very same gzip bodies to a trivial ``http.server`` subprocess that reads and discards
  them, plus (b) a bare insert of the same rows into the same backend (one transaction per
  500 rows; SQLite: WAL, ``synchronous=FULL``, same folder; PostgreSQL: ``executemany`` into
  a table of the same server);
* **first pull** of the whole school (seconds; bytes on the wire, counted by a TCP proxy on
  loopback), and an **incremental pull** after 10 changed students (bytes, and the ratio to
  the full pull's bytes: it must follow the change, not the school);
* **200 simulated terminals** pushing small chained batches and pulling incrementally at once
  against the one server (requests per second, p50/p99 latency, errors: must be 0).

Results are printed side by side and written to
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

from kiosk.config import PolicySection, TerminalConfig  # noqa: E402
from kiosk.counter import CounterService  # noqa: E402
from kiosk.demo.school import DEMO_PINS, generate  # noqa: E402
from kiosk.journal import GENESIS, make_entry  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.store.db import connect  # noqa: E402
from sync import protocol  # noqa: E402
from sync.agent import Agent, enrol  # noqa: E402
from sync.client import Client  # noqa: E402
from sync.common.clock import SystemClock, iso_utc  # noqa: E402
from sync.common.errors import Refusal  # noqa: E402
from sync.common.version import user_agent  # noqa: E402
from sync.models import DataSet  # noqa: E402
from sync.server.cli import main as central_main  # noqa: E402
from sync.server.pull import make_cursor  # noqa: E402
from sync.server.storage import CentralStore  # noqa: E402
from tests.pg_server import PgServer  # noqa: E402

TZ = ZoneInfo("Europe/Brussels")
RESULTS = HERE / "results"
SEED = 2026

BACKENDS = ("sqlite", "postgresql")
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
                tail = logfile.read_text()[-3000:] if logfile else ""
                raise RuntimeError("server died: " + tail) from None
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start") from None
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
    """The demo school on a fresh central database (a SQLite file, or a database of ``pg``),
    and its server."""

    def __init__(self, folder: Path, students: int, backend: str, pg: PgServer | None = None):
        self.backend = backend
        if backend == "sqlite":
            path = folder / "central.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.db = str(path)
        else:
            pg.drop_database("bench_central")
            self.db = pg.create_database("bench_central")
        assert central_main(["init", "--db", self.db, "--school", "Institut Saint-Michel"]) == 0
        assert central_main(["demo-data", "--db", self.db, "--students", str(students)]) == 0
        self.store = CentralStore(self.db)
        self.school_id = self.store.school_id()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logfile = folder / "server.log"
        self.proc = None

    def start(self):
        with open(self.logfile, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "central", "serve", "--db", self.db,
                 "--port", str(self.port)], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                stderr=out)
        wait_up(self.url + protocol.DEVICE, self.proc, self.logfile)

    def query(self, sql, params=()):
        """Rows of one read (``?`` placeholders), whatever the backend."""
        with self.store.transaction(write=False) as conn:
            return self.store.execute(conn, sql, params).fetchall()


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
        " JOIN wallets w ON w.student_id = s.id WHERE b.status = 'active' AND s.flags = '[]'"
        " AND s.daily_limit_cents IS NULL"
        " AND s.blocked_articles = '[]' AND s.blocked_categories = '[]'")]
    carts = [{"SOUP": 1}, {"WATER": 1}, {"APPLE": 2}, {"SANDW-HAM": 1}, {"SOUP": 1, "APPLE": 1}]
    made = 0
    while made < entries:
        try:
            made = service.sell(session, rng.choice(badges), rng.choice(carts),
                                confirm=("allergen", "double_tap")).entry.seq
        except Refusal:         # a rule of the demo school (a blocked article ...)
            continue
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
    _ = session.post(url + protocol.JOURNAL, data=b"warm", headers=headers).content   # connect
    t0 = time.perf_counter()
    for body in bodies:
        r = session.post(url + protocol.JOURNAL, data=body, headers=headers)
        _ = r.content                   # the whole answer read, as a client does
        assert r.status_code == 200
    elapsed = time.perf_counter() - t0
    session.close()
    return elapsed


def bare_insert(path: Path, rows: list[tuple], device_id: str) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = connect(path)        # the terminal store's pragmas: WAL, synchronous=FULL
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


def bare_insert_pg(url: str, rows: list[tuple], device_id: str) -> float:
    """The same rows into a bare table of the same PostgreSQL server, the fastest plain way:
    one transaction per 500 rows, ``executemany`` (psycopg pipelines it)."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_journal")
        conn.execute("CREATE TABLE bare_journal (device_id TEXT NOT NULL, seq BIGINT NOT NULL,"
                     " body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
                     " PRIMARY KEY (device_id, seq))")
        t0 = time.perf_counter()
        for i in range(0, len(rows), protocol.MAX_PUSH_ENTRIES):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany("INSERT INTO bare_journal VALUES (%s, %s, %s, %s, %s)",
                                [(device_id, *r) for r in rows[i:i + protocol.MAX_PUSH_ENTRIES]])
        elapsed = time.perf_counter() - t0
        conn.execute("DROP TABLE bare_journal")
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
                                     "User-Agent": user_agent("terminal")})
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
    # Each terminal starts up to date: a cursor at the server's current change, as a pull
    # would have handed it.
    counter = central.query("SELECT value FROM change_counter WHERE id = 1")[0][0]
    epoch = central.query("SELECT value FROM central_meta WHERE name = 'epoch'")[0][0]
    sims = [SimTerminal(central.url, d, tok, make_cursor(epoch, counter), today, wallets,
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
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="central databases to measure, in this order (default: %(default)s)")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    args = p.parse_args(argv)
    mode = "quick" if args.quick else "full"
    sizes = dict(SIZES[mode])
    if args.terminals:
        sizes["terminals"] = args.terminals
    if args.seconds:
        sizes["load_seconds"] = args.seconds
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - set(BACKENDS):
        p.error(f"--backends: some of {', '.join(BACKENDS)}")
    started = time.perf_counter()
    today = datetime.now(TZ).date()

    work = args.dir or RESULTS / f"sync-{mode}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"mode": mode, "sizes": sizes, "backends": {}}
    env = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
           "platform": platform.platform(), "cpus": os.cpu_count()}
    bare_port = free_port()
    bare_proc = pg = None
    try:
        bare_proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)],
                                     stdin=subprocess.DEVNULL)
        bare_url = f"http://127.0.0.1:{bare_port}"
        wait_up(bare_url, bare_proc)
        if "postgresql" in backends:
            pg = PgServer(durable=True).start()
            import psycopg
            with psycopg.connect(pg.url("postgres")) as conn:
                env["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            log(f"PostgreSQL {env['postgresql']} on port {pg.port} (fsync on)")
        for backend in backends:
            folder = work / backend
            folder.mkdir()
            log(f"== {backend}")
            result["backends"][backend] = run_backend(backend, folder, sizes, today, bare_url,
                                                      pg)
    finally:
        stop(bare_proc)
        if pg is not None:
            pg.stop()
    result["env"] = env
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
    loads = [r["load"] for r in result["backends"].values()]
    return 0 if all(ld["errors"] == 0 and ld["hung_threads"] == 0 for ld in loads) else 1


def run_backend(backend: str, work: Path, sizes: dict, today, bare_url: str,
                pg: PgServer | None) -> dict:
    """Every measure on one backend: a fresh central database and server, a fresh terminal."""
    rng = random.Random(SEED)           # the same sales and terminals on every backend
    central = Central(work, sizes["school"], backend, pg)
    proxy = store = None
    result: dict = {"backend": backend}
    try:
        central.start()
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
            inserts.append(bare_insert(work / f"bare-{rep}.db", rows, store.device_id)
                           if backend == "sqlite" else bare_insert_pg(pg.url("bench_central"),
                                                                      rows, store.device_id))
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
        stop(central.proc)
        central.store.close()
    result["server_log_errors"] = [line for line in central.logfile.read_text(
        errors="replace").splitlines() if "Traceback" in line or '" 500' in line
        or "ERROR" in line or "unexpected" in line or "database is locked" in line][:20]
    return result


def _ms(lat: dict) -> str:
    return f"{lat.get('p50_ms', float('nan')):.1f} / {lat.get('p99_ms', float('nan')):.1f}"


# (label, value of one backend's results): the rows of the report.
REPORT_ROWS = [
    ("push: entries (requests of 500)", lambda r: f"{r['push']['entries']:,} ({r['push']['requests']})"),
    ("push, seconds", lambda r: f"{r['push']['seconds']:.3f}"),
    ("push, entries per second", lambda r: f"{r['push']['entries_per_second']:,.0f}"),
    ("push, gzip bytes sent", lambda r: f"{r['push']['gzip_bytes']:,}"),
    ("  (a) bare loopback POSTs of the same bytes, s", lambda r: f"{r['push']['bare_post_seconds']:.3f}"),
    ("  (b) bare insert of the same rows, same backend, s",
     lambda r: f"{r['push']['bare_insert_seconds']:.3f}"),
    ("push / (a + b)", lambda r: f"{r['push']['ratio_to_bare']:.2f}"),
    ("first pull: records / pages",
     lambda r: f"{r['first_pull_raw']['records']:,} / {r['first_pull_raw']['pages']}"),
    ("first pull, raw GETs, s", lambda r: f"{r['first_pull_raw']['seconds']:.3f}"),
    ("first pull, agent (GET + apply to the store), s",
     lambda r: f"{r['first_pull_agent']['seconds']:.3f}"),
    ("first pull, bytes on the wire (down)", lambda r: f"{r['first_pull_raw']['bytes_down']:,}"),
    ("pull after the push (wallets changed), bytes", lambda r: f"{r['pull_after_push']['bytes_down']:,}"),
    ("pull with nothing changed, bytes",
     lambda r: f"{r['incremental_pull']['nothing_changed_bytes_down']:,}"),
    ("incremental pull after 10 changes: records", lambda r: f"{r['incremental_pull']['records']}"),
    ("incremental pull, bytes", lambda r: f"{r['incremental_pull']['bytes_down']:,}"),
    ("incremental / first pull bytes", lambda r: f"{r['incremental_pull']['ratio_to_full_bytes']:.4f}"),
    ("terminals at once, for seconds",
     lambda r: f"{r['load']['terminals']}, {r['load']['wall_seconds']:.1f}"),
    ("  requests", lambda r: f"{r['load']['requests']:,}"),
    ("  requests per second", lambda r: f"{r['load']['requests_per_second']:,.1f}"),
    ("  entries pushed per second", lambda r: f"{r['load']['entries_per_second']:,.1f}"),
    ("  latency p50 / p99 ms (all)", lambda r: _ms(r["load"]["latency_all"])),
    ("  push p50 / p99 ms", lambda r: _ms(r["load"]["latency_push"])),
    ("  pull p50 / p99 ms", lambda r: _ms(r["load"]["latency_pull"])),
    ("  errors (must be 0)", lambda r: f"{r['load']['errors']}"),
    ("  server high-water mismatches", lambda r: f"{r['load']['server_high_water_mismatches']}"),
]


def report(r: dict) -> None:
    env, results = r["env"], r["backends"]
    print()
    print(f"Comptoir sync benchmark ({r['mode']}): central server on "
          + ", ".join(f"SQLite {env['sqlite']}" if b == "sqlite" else f"PostgreSQL"
                      f" {env.get('postgresql', '')}" for b in results)
          + f"; Python {env['python']}, {env['cpus']} CPUs, loopback")
    print()
    print(f"{'measure':<52}" + "".join(f" {b:>18}" for b in results))
    for label, value in REPORT_ROWS:
        print(f"{label:<52}" + "".join(f" {value(res):>18}" for res in results.values()))
    for backend, res in results.items():
        if res["load"]["error_samples"]:
            print(f"{backend}: first errors:", *res["load"]["error_samples"], sep="\n  ")
        if res["server_log_errors"]:
            print(f"{backend}: server log:", *res["server_log_errors"][:5], sep="\n  ")


if __name__ == "__main__":
    sys.exit(main())
