#!/usr/bin/env python3
"""Benchmark of the counter's hot path, durable (WAL, synchronous=FULL), against a bare one-row
``BEGIN IMMEDIATE; INSERT; COMMIT`` on a SQLite file with the same pragmas, in the same folder,
in the same run.

Two flows are measured, because the counter has both:

* **tap → sale**: ``sell(session, uid, {"SOUP": 1})``. This is what a badge tap does at the
  counter (rush mode, or "badge to pay" after the cart): ``sell`` identifies the badge itself
  (badge → student → wallets and balances, every refusal) inside its one write transaction.
* **preview + sale**: ``identify(uid)`` (the read-only look-up: name, photo, balances,
  today's reservations) and then ``sell``, back to back. No screen does both for one tap:
  a tap that pays is ``sell`` alone; ``identify`` answers a tap with nothing to pay (who it
  is, the balance) and the balance and pickup screens' taps. Back to back: an upper bound,
  the badge's holder read twice.

    python benchmarks/bench_sell.py            # acceptance sizes: 100,000 students, 1,000,000 entries
    python benchmarks/bench_sell.py --quick    # small sizes, a smoke run of a few seconds

Five series are measured, interleaved in blocks (in a shuffled order each round) so that the
noise of a shared machine hits them alike:

* ``bare`` -- one-row INSERT + COMMIT on ``bare.db`` (``kiosk.store.db.connect``: same pragmas);
* ``tap_empty`` / ``preview_empty`` -- on a store with a small school (800 students) and an
  empty journal;
* ``tap_large`` / ``preview_large`` -- on a store with 100,000 students and 1,000,000 entries.

Targets (acceptance): p50(sale) / p50(bare) <= 2.0, and p50(large) / p50(empty) <= 1.2; both
flows are reported against them.
See benchmarks/README.md. Results are printed and written to benchmarks/results/*.json.

The large store is built in bulk (one transaction, synchronous=OFF, journal_mode=OFF, the
journal's secondary indexes dropped and re-created from their own SQL), with entry bodies made
exactly as ``kiosk.journal.append`` makes them, so that the chain is valid; the verified point
is set to the last entry. It is cached under benchmarks/results/cache/ (keyed by its sizes,
seed and schema version) and copied for each run, so reruns skip the build.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import time
import uuid as uuidlib
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))        # runs from a checkout too

from kiosk import importer, journal  # noqa: E402
from kiosk.config import PolicySection, TerminalConfig  # noqa: E402
from kiosk.counter import CounterService  # noqa: E402
from kiosk.demo.school import DEMO_PINS, generate, structured_communication  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.store.db import connect  # noqa: E402
from kiosk.store.schema import CURRENT_VERSION  # noqa: E402
from sync.common.clock import SystemClock, business_day, iso_utc  # noqa: E402

TZ = ZoneInfo("Europe/Brussels")
RESULTS = HERE / "results"
SEED = 2026
BUILD_FORMAT = 2          # bump when the builder changes what it writes (invalidates the cache)

SIZES = {
    "full": {"school": 800, "students": 100_000, "entries": 1_000_000, "days": 180,
             "rounds": 100, "block": 20, "warmup": 200, "badges": 1000},
    "quick": {"school": 200, "students": 5_000, "entries": 50_000, "days": 30,
              "rounds": 15, "block": 20, "warmup": 50, "badges": 150},
}
TARGET_P50_RATIO = 2.0
TARGET_LARGE_EMPTY = 1.2


# -- building the stores --------------------------------------------------------------------

def school_day(clock=None) -> date:
    return business_day((clock or SystemClock()).now(), TZ)


def new_small_store(path: Path, school: int, today: date) -> None:
    """A fresh store with the demo school loaded through the real importer; empty journal."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = open_store(path, create=True)
    importer.apply(store, importer.parse(generate(school, day=today, seed=SEED)),
                   SystemClock().now())
    store.close()


def _past_school_days(today: date, count: int) -> list[date]:
    days, d = [], today
    while len(days) < count:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            days.append(d)
    return days[::-1]


def build_large_store(path: Path, sizes: dict, today: date, log) -> dict:
    """The demo school (real importer) plus bulk students, badges and wallets up to
    ``sizes['students']``, and ``sizes['entries']`` journal entries over past school days:
    sales (one or two lines), a few voids, and a Z ``close`` at the end of each day. Bodies
    are made exactly as ``journal.append`` makes them; the postings match; wallets are synced
    (``balance_cents`` includes every entry, ``included_seq`` is the last one)."""
    rng = random.Random(SEED)
    t_start = time.perf_counter()
    tmp = path.with_name(path.name + ".building")
    new_small_store(tmp, sizes["school"], today)
    conn = sqlite3.connect(tmp, isolation_level=None)
    mode = conn.execute("PRAGMA journal_mode = OFF").fetchone()[0]   # WAL back at the end
    assert mode == "off", mode
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")  # 1 GB while building
    conn.execute("PRAGMA temp_store = MEMORY")
    device = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    articles = {}
    for code, name, price, allergens, profiles, active, category in conn.execute(
            "SELECT code, name_fr, price_cents, allergens, profiles, active, category"
            " FROM articles"):
        if active and "canteen" in json.loads(profiles):
            articles[code] = (name, price, json.loads(allergens), category)
    menu = [c for c in ("SOUP", "SANDW-HAM", "SANDW-CHEESE", "SANDW-TUNA", "SANDW-CHICKEN",
                        "SANDW-VEG", "WATER", "JUICE", "APPLE") if c in articles]
    sellers = [r[0] for r in conn.execute("SELECT id FROM operators WHERE role = 'seller'")]
    closers = [r[0] for r in conn.execute(
        "SELECT id FROM operators WHERE role IN ('supervisor', 'admin')")]
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('journal', 'postings', 'badges', 'wallets', 'students')").fetchall()

    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")

    # Students: the demo school's, then bulk ones (no flags or limits: all can buy anything).
    demo_wallets = [tuple(r) for r in conn.execute(
        "SELECT id, student_id, balance_cents FROM wallets ORDER BY id")]
    first = conn.execute("SELECT COUNT(*) FROM students").fetchone()[0] + 1
    classes = [f"{y}{c}" for y in range(1, 7) for c in "ABCDEFGH"]
    first_names = ["Emma", "Louise", "Noah", "Arthur", "Lina", "Adam", "Jules", "Nora", "Liam",
                   "Mila", "Sacha", "Inès", "Victor", "Jade", "Elias", "Anna"]
    last_names = ["Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Dupont", "Claes",
                  "Martin", "Simon", "Laurent", "Renard", "Michel", "Rossi", "Diallo"]
    bulk_students, bulk_badges, bulk_wallets = [], [], []
    for n in range(first, sizes["students"] + 1):
        sid, wid = f"S{n:06d}", f"W{n:06d}"
        bulk_students.append((sid, rng.choice(first_names), rng.choice(last_names),
                              classes[n % len(classes)], f"photos/{sid}.jpg"))
        bulk_badges.append((f"0A{n:012X}", sid, "blocked" if rng.random() < 0.01 else "active"))
        bulk_wallets.append((wid, sid, "main", "Portefeuille",
                             structured_communication(260_000_000 + n), 1,
                             rng.randrange(2_000, 20_000)))
    conn.executemany("INSERT INTO students (id, first_name, last_name, class_name, photo_ref)"
                     " VALUES (?, ?, ?, ?, ?)", bulk_students)
    conn.executemany("INSERT INTO badges (uid, student_id, status) VALUES (?, ?, ?)", bulk_badges)
    wallets = demo_wallets + [(w[0], w[1], w[6]) for w in bulk_wallets]
    log(f"  students, badges, wallets: {sizes['students']:,} ({time.perf_counter() - t_start:.1f} s)")

    # The journal.
    days = _past_school_days(today, sizes["days"])
    total = sizes["entries"]
    per_day = [total // len(days)] * len(days)
    per_day[-1] += total - sum(per_day)
    moves: dict[str, int] = {}                      # wallet -> sum of its postings
    prev_hash, seq = journal.GENESIS, 0
    jrows, prows = [], []
    cols = journal._COLUMNS
    insert_j = f"INSERT INTO journal ({cols}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
    insert_p = "INSERT INTO postings (seq, wallet_id, amount_cents) VALUES (?,?,?)"
    hash_ = journal.chain_hash
    canon = journal.canonical_json
    getrandbits = rng.getrandbits

    def add(kind, ts, day, operator, student, postings, details, ref_seq=None):
        nonlocal prev_hash, seq
        seq += 1
        amount = sum(c for _, c in postings)
        data = dict(details)
        data.update(v=journal.BODY_VERSION,
                    uuid=str(uuidlib.UUID(int=getrandbits(128), version=4)), device=device,
                    seq=seq, kind=kind, ts=ts, day=day, operator=operator, student=student,
                    amount_cents=amount,
                    postings=[{"wallet": w, "amount_cents": c} for w, c in postings])
        if ref_seq is not None:
            data["ref_seq"] = ref_seq
        body = canon(data)
        digest = hash_(prev_hash, body)
        jrows.append((seq, data["uuid"], kind, ts, day, operator, student, amount, ref_seq,
                      body, prev_hash, digest))
        for w, c in postings:
            prows.append((seq, w, c))
            moves[w] = moves.get(w, 0) + c
        prev_hash = digest
        return seq, digest

    def flush():
        conn.executemany(insert_j, jrows)
        conn.executemany(insert_p, prows)
        jrows.clear()
        prows.clear()

    t_journal = time.perf_counter()
    for day, count in zip(days, per_day):
        d = day.isoformat()
        start = datetime.combine(day, dtime(11, 30), TZ).astimezone(timezone.utc)
        step = 7_200_000_000 // max(count, 1)       # spread over 11:30-13:30, in microseconds
        first_seq, last_hash, n_entries = seq + 1, None, 0
        arts: dict = {}
        ops: dict = {}
        voids = {"count": 0, "total_cents": 0}
        gross = 0
        todays_sales = []
        for k in range(count - 1):
            ts = iso_utc(start + timedelta(microseconds=k * step))
            op = sellers[k % len(sellers)]
            o = ops.setdefault(op, {"name": op, "sales": 0, "total_cents": 0, "voids": 0,
                                    "voids_cents": 0})
            if todays_sales and rng.random() < 0.005:     # a void of a sale of the day
                vseq, vstudent, vwallet, vlines, vtotal = todays_sales.pop(
                    rng.randrange(len(todays_sales)))
                _, last_hash = add("void", ts, d, closers[0], vstudent, [(vwallet, vtotal)],
                                   {"lines": vlines, "reason": ""}, ref_seq=vseq)
                voids["count"] += 1
                voids["total_cents"] += vtotal
                o["voids"] += 1
                o["voids_cents"] += vtotal
            else:
                wid, sid, _ = wallets[rng.randrange(len(wallets))]
                lines = []
                for code in rng.sample(menu, 1 if rng.random() < 0.7 else 2):
                    name, price, allergens, _cat = articles[code]
                    qty = 1 if rng.random() < 0.95 else 2
                    line = {"article": code, "name": name, "qty": qty, "unit_cents": price,
                            "total_cents": qty * price, "wallet": wid}
                    if allergens:
                        line["allergens"] = allergens
                    lines.append(line)
                    a = arts.setdefault(code, {"name": name, "qty": 0, "total_cents": 0})
                    a["qty"] += qty
                    a["total_cents"] += qty * price
                total_cents = sum(line["total_cents"] for line in lines)
                sseq, last_hash = add("sale", ts, d, op, sid, [(wid, -total_cents)],
                                      {"lines": lines})
                todays_sales.append((sseq, sid, wid, lines, total_cents))
                gross += total_cents
                o["sales"] += 1
                o["total_cents"] += total_cents
            n_entries += 1
            if len(jrows) >= 20_000:
                flush()
        summary = {"kind": "Z", "day": d, "first_seq": first_seq if n_entries else None,
                   "last_seq": seq if n_entries else None, "last_hash": last_hash,
                   "entries": n_entries, "articles": arts, "operators": ops, "voids": voids,
                   "pickups": {}, "gross_cents": gross, "net_cents": gross - voids["total_cents"]}
        add("close", iso_utc(start + timedelta(hours=3)), d, closers[0], None, [],
            {"report": summary})
    flush()
    log(f"  journal: {seq:,} entries over {len(days)} days"
        f" ({time.perf_counter() - t_journal:.1f} s)")

    # Wallets as after a sync that included everything: balance moves, included_seq = last.
    conn.executemany("UPDATE wallets SET balance_cents = balance_cents + ?, included_seq = ?"
                     " WHERE id = ?", [(moves.get(w[0], 0), seq, w[0]) for w in demo_wallets])
    conn.executemany(
        "INSERT INTO wallets (id, student_id, kind, name, structured_communication, is_default,"
        " balance_cents, included_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*w[:6], w[6] + moves.get(w[0], 0), seq) for w in bulk_wallets])
    t_idx = time.perf_counter()
    for _, sql in indexes:
        conn.execute(sql)
    log(f"  indexes re-created ({time.perf_counter() - t_idx:.1f} s)")
    for key, value in (("verified_seq", seq), ("verified_hash", prev_hash)):
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", (key, str(value)))
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    _fsync(tmp)
    os.replace(tmp, path)
    built = time.perf_counter() - t_start
    return {"build_seconds": round(built, 1), "entries": seq, "last_hash": prev_hash,
            "size_bytes": path.stat().st_size}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spot_verify(path: Path, head: int = 5000, tail: int = 5000) -> dict:
    """The chain's first and last entries, checked by ``journal.verify`` itself (bodies
    canonical, hashes, columns, postings). ``--verify-build`` checks it all."""
    conn = sqlite3.connect(path)
    try:
        last = journal.last_link(conn)[0]
        report = _verify_between(conn, 0, journal.GENESIS, min(head, last))
        assert report.ok, f"built chain broken at {report.bad_seq}: {report.reason}"
        start = max(0, last - tail)
        prev = journal.GENESIS if start == 0 else conn.execute(
            "SELECT hash FROM journal WHERE seq = ?", (start,)).fetchone()[0]
        report2 = journal.verify(conn, start, prev)
        assert report2.ok, f"built chain broken at {report2.bad_seq}: {report2.reason}"
        return {"head_checked": report.checked, "tail_checked": report2.checked}
    finally:
        conn.close()


def _verify_between(conn, after: int, prev: str, upto: int):
    """``journal.verify`` over seq ``after+1 .. upto`` only (it reads batches by seq, so a
    view of the first rows is enough: run it on a temporary copy of those rows)."""
    mem = sqlite3.connect(":memory:")
    cols = journal._COLUMNS
    mem.execute(f"CREATE TABLE journal ({cols})")
    mem.execute("CREATE TABLE postings (wallet_id TEXT, seq INTEGER, amount_cents INTEGER,"
                " PRIMARY KEY (wallet_id, seq)) WITHOUT ROWID")
    mem.executemany(f"INSERT INTO journal VALUES ({','.join('?' * 12)})", conn.execute(
        f"SELECT {cols} FROM journal WHERE seq > ? AND seq <= ?", (after, upto)))
    mem.executemany("INSERT INTO postings VALUES (?, ?, ?)", conn.execute(
        "SELECT wallet_id, seq, amount_cents FROM postings WHERE seq > ? AND seq <= ?",
        (after, upto)))
    try:
        return journal.verify(mem, after, prev)
    finally:
        mem.close()


def cached_large_store(sizes: dict, today: date, rebuild: bool, log) -> tuple[Path, dict]:
    key = (f"large-s{sizes['students']}-e{sizes['entries']}-d{sizes['days']}-k{sizes['school']}"
           f"-v{CURRENT_VERSION}-b{BUILD_FORMAT}-seed{SEED}")
    cache = RESULTS / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    path, info_path = cache / f"{key}.db", cache / f"{key}.json"
    if path.exists() and info_path.exists() and not rebuild:
        info = json.loads(info_path.read_text())
        info["cached"] = True
        log(f"large store: cached {path} (built in {info['build_seconds']} s on {info['built_on']})")
        return path, info
    log(f"large store: building {sizes['students']:,} students and {sizes['entries']:,} entries...")
    info = build_large_store(path, sizes, today, log)
    info["built_on"] = today.isoformat()
    info_path.write_text(json.dumps(info, indent=1))
    info["cached"] = False
    log(f"large store: built in {info['build_seconds']} s,"
        f" {info['size_bytes'] / 1e6:.0f} MB")
    return path, info


# -- measuring -------------------------------------------------------------------------------

class Bare:
    """The baseline: BEGIN IMMEDIATE; INSERT one row; COMMIT -- same pragmas, same folder."""

    def __init__(self, path: Path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.conn = connect(path)
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, ts TEXT NOT NULL,"
                          " payload TEXT NOT NULL)")
        self.payload = "x" * 64

    def op(self) -> int:
        t0 = time.perf_counter_ns()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t (ts, payload) VALUES (?, ?)",
                          (iso_utc(datetime.now(timezone.utc)), self.payload))
        self.conn.execute("COMMIT")
        return time.perf_counter_ns() - t0

    def close(self):
        self.conn.close()


class Seller:
    """Sales of one SOUP on rotating badges: ``tap`` (sell) and ``preview`` (identify + sell)."""

    def __init__(self, path: Path, n_badges: int, rng: random.Random):
        t0 = time.perf_counter()
        self.store = open_store(path)            # quick_check + chain from the verified point
        self.open_seconds = time.perf_counter() - t0
        self.store.health.raise_if_bad()
        with self.store.write() as conn:        # a fresh pull: the data is not stale
            self.store.set_kv(conn, "sync_state", "last_pull_at", iso_utc(SystemClock().now()))
        # Default policy, except that a badge may come back within 2 s in a long run: the
        # double-tap query still runs, it just never asks for a confirmation.
        config = TerminalConfig(policy=PolicySection(double_tap_seconds=0))
        self.service = CounterService(self.store, config, SystemClock())
        self.session = self.service.login("Marie", DEMO_PINS["Marie"])
        rows = self.store.conn.execute(
            "SELECT b.uid FROM badges b JOIN students s ON s.id = b.student_id"
            " JOIN wallets w ON w.student_id = s.id WHERE b.status = 'active'"
            " AND s.flags = '[]' AND s.daily_limit_cents IS NULL AND s.blocked_articles = '[]'"
            " AND s.blocked_categories = '[]' AND w.balance_cents >= 1500").fetchall()
        self.badges = [r[0] for r in rng.sample(rows, min(n_badges, len(rows)))]
        self.i = 0
        self.split: list[tuple[int, int]] = []   # preview flow: (identify ns, sell ns)

    def _next_uid(self) -> str:
        self.i += 1
        return self.badges[self.i % len(self.badges)]

    def tap(self) -> int:
        uid = self._next_uid()
        t0 = time.perf_counter_ns()
        self.service.sell(self.session, uid, {"SOUP": 1})
        return time.perf_counter_ns() - t0

    def preview(self) -> int:
        uid = self._next_uid()
        t0 = time.perf_counter_ns()
        self.service.identify(uid)
        t1 = time.perf_counter_ns()
        self.service.sell(self.session, uid, {"SOUP": 1})
        t2 = time.perf_counter_ns()
        self.split.append((t1 - t0, t2 - t1))
        return t2 - t0

    def close(self):
        self.store.close()


def pct(sorted_ns: list[int], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_ns:
        return float("nan")
    k = max(0, min(len(sorted_ns) - 1, round(p / 100 * len(sorted_ns) + 0.5) - 1))
    return sorted_ns[k] / 1e6


def summary(samples: list[int]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "p50_ms": pct(s, 50), "p90_ms": pct(s, 90), "p99_ms": pct(s, 99),
            "mean_ms": sum(s) / len(s) / 1e6, "max_ms": s[-1] / 1e6}


def measure(ops: dict, sizes: dict, rng: random.Random, log) -> dict[str, list[int]]:
    """``ops``: series name -> a callable doing one operation and returning its ns."""
    names = list(ops)
    for name in names:                    # warm-up: caches, the first checkpoints
        for _ in range(sizes["warmup"]):
            ops[name]()
    samples = {name: [] for name in names}
    for r in range(sizes["rounds"]):
        order = names[:]
        rng.shuffle(order)
        for name in order:
            op = ops[name]
            samples[name].extend(op() for _ in range(sizes["block"]))
        if (r + 1) % 25 == 0:
            log(f"  round {r + 1}/{sizes['rounds']}")
    return samples


def paired_ratio(a: list[int], b: list[int], block: int) -> dict:
    """Per round, median of a's block over median of b's block (measured seconds apart);
    the median and quartiles of those ratios. Robust to the machine changing speed during
    the run (a shared disk going from fast to slow fsyncs), which moves whole-run p50s."""
    ratios = sorted(statistics.median(a[i:i + block]) / statistics.median(b[i:i + block])
                    for i in range(0, min(len(a), len(b)), block))
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"median": statistics.median(ratios), "q1": q[0], "q3": q[2], "rounds": len(ratios)}


def profile_sells(seller: Seller, n: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        seller.tap()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


# -- main ------------------------------------------------------------------------------------

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    p.add_argument("--dir", type=Path, help="work folder for the stores and bare.db"
                   " (default: benchmarks/results/run-<mode>; same disk as the results)")
    p.add_argument("--rebuild", action="store_true", help="ignore the cached large store")
    p.add_argument("--verify-build", action="store_true",
                   help="verify the whole chain of the large store (slow on 1M entries)")
    p.add_argument("--rounds", type=int, help="rounds of interleaved blocks (default by mode)")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="after measuring, cProfile N sells on the large store and print it")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    mode = "quick" if args.quick else "full"
    sizes = dict(SIZES[mode])
    if args.rounds:
        sizes["rounds"] = args.rounds
    rng = random.Random(SEED)
    started = time.perf_counter()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    today = school_day()
    cached, build = cached_large_store(sizes, today, args.rebuild, log)
    t0 = time.perf_counter()
    spot = spot_verify(cached)
    log(f"large store: chain spot-checked ({spot}) in {time.perf_counter() - t0:.1f} s")
    if args.verify_build:
        t0 = time.perf_counter()
        conn = sqlite3.connect(cached)
        report = journal.verify(conn)
        conn.close()
        assert report.ok, f"built chain broken at {report.bad_seq}: {report.reason}"
        build["full_verify_seconds"] = round(time.perf_counter() - t0, 1)
        log(f"large store: whole chain verified ({report.checked:,}) in"
            f" {build['full_verify_seconds']} s")

    work = args.dir or RESULTS / f"run-{mode}"
    work.mkdir(parents=True, exist_ok=True)
    empty_db, large_db, bare_db = work / "empty.db", work / "large.db", work / "bare.db"
    t0 = time.perf_counter()
    new_small_store(empty_db, sizes["school"], today)
    log(f"empty store: {sizes['school']} students ({time.perf_counter() - t0:.1f} s)")
    t0 = time.perf_counter()
    for suffix in ("-wal", "-shm"):
        Path(f"{large_db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(cached, large_db)
    _fsync(large_db)      # else the kernel writes the copy back while we measure fsyncs
    copy_seconds = time.perf_counter() - t0
    log(f"large store: copied for this run ({copy_seconds:.1f} s)")

    bare = Bare(bare_db)
    sellers: dict[str, Seller] = {}
    try:
        sellers["empty"] = Seller(empty_db, sizes["badges"], rng)
        sellers["large"] = Seller(large_db, sizes["badges"], rng)
        log(f"open_store (quick_check + chain from the verified point): empty"
            f" {sellers['empty'].open_seconds:.3f} s, large {sellers['large'].open_seconds:.3f} s")
        ops = {"bare": bare.op}
        for store_name, seller in sellers.items():
            ops[f"tap_{store_name}"] = seller.tap
            ops[f"preview_{store_name}"] = seller.preview
        log(f"measuring: {sizes['rounds']} rounds x {sizes['block']} per series, interleaved...")
        for seller in sellers.values():
            seller.split.clear()
        samples = measure(ops, sizes, rng, log)
        for seller in sellers.values():   # the warm-up's previews are not samples
            del seller.split[:len(seller.split) - sizes["rounds"] * sizes["block"]]
        stats = {name: summary(s) for name, s in samples.items()}
        for store_name, seller in sellers.items():
            s = stats[f"preview_{store_name}"]
            ident = sorted(i for i, _ in seller.split)
            sell = sorted(x for _, x in seller.split)
            s["identify_p50_ms"], s["identify_p99_ms"] = pct(ident, 50), pct(ident, 99)
            s["sell_p50_ms"], s["sell_p99_ms"] = pct(sell, 50), pct(sell, 99)
        profile = profile_sells(sellers["large"], args.profile) if args.profile else None
    finally:
        bare.close()
        for seller in sellers.values():
            seller.close()

    flows = ("tap", "preview")
    base = stats["bare"]
    ratios, paired = {}, {}
    for flow in flows:
        empty, large = stats[f"{flow}_empty"], stats[f"{flow}_large"]
        ratios[flow] = {
            "empty_p50_vs_bare": empty["p50_ms"] / base["p50_ms"],
            "empty_p99_vs_bare": empty["p99_ms"] / base["p99_ms"],
            "large_p50_vs_bare": large["p50_ms"] / base["p50_ms"],
            "large_p99_vs_bare": large["p99_ms"] / base["p99_ms"],
            "large_vs_empty_p50": large["p50_ms"] / empty["p50_ms"],
            "large_vs_empty_p99": large["p99_ms"] / empty["p99_ms"],
        }
        paired[flow] = {
            "empty_vs_bare": paired_ratio(samples[f"{flow}_empty"], samples["bare"], sizes["block"]),
            "large_vs_bare": paired_ratio(samples[f"{flow}_large"], samples["bare"], sizes["block"]),
            "large_vs_empty": paired_ratio(samples[f"{flow}_large"], samples[f"{flow}_empty"],
                                           sizes["block"])}
    verdict = {flow: {
        "p50_ratio_ok": max(ratios[flow]["empty_p50_vs_bare"], ratios[flow]["large_p50_vs_bare"])
        <= TARGET_P50_RATIO,
        "large_vs_empty_ok": ratios[flow]["large_vs_empty_p50"] <= TARGET_LARGE_EMPTY}
        for flow in flows}
    opened = {"empty_s": sellers["empty"].open_seconds, "large_s": sellers["large"].open_seconds}

    print()
    print(f"Comptoir sell benchmark ({mode}): {sizes['rounds']} rounds x {sizes['block']}"
          f" per series, interleaved; SQLite {sqlite3.sqlite_version}, Python"
          f" {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"large store: {sizes['students']:,} students, {build['entries']:,} entries,"
          f" {build['size_bytes'] / 1e6:.0f} MB; build {build['build_seconds']} s"
          f"{' (cached)' if build['cached'] else ''}; open_store: empty {opened['empty_s']:.3f} s,"
          f" large {opened['large_s']:.3f} s")
    print()
    print(f"{'series':<40} {'n':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'mean ms':>8}"
          f" {'max ms':>8}")
    labels = {"bare": "bare INSERT+COMMIT (baseline)",
              "tap_empty": "tap -> sale (sell), empty store",
              "tap_large": "tap -> sale (sell), large store",
              "preview_empty": "identify + sell, empty store",
              "preview_large": "identify + sell, large store"}
    for name, label in labels.items():
        s = stats[name]
        print(f"{label:<40} {s['n']:>6} {s['p50_ms']:>8.3f} {s['p90_ms']:>8.3f}"
              f" {s['p99_ms']:>8.3f} {s['mean_ms']:>8.3f} {s['max_ms']:>8.2f}")
    for store_name in ("empty", "large"):
        s = stats[f"preview_{store_name}"]
        print(f"  identify + sell, {store_name}: identify p50 {s['identify_p50_ms']:.3f} ms (p99"
              f" {s['identify_p99_ms']:.3f}), sell p50 {s['sell_p50_ms']:.3f} ms (p99"
              f" {s['sell_p99_ms']:.3f})")
    for flow in flows:
        r, v = ratios[flow], verdict[flow]
        print()
        print(f"[{flow}] ratio p50 to bare: empty {r['empty_p50_vs_bare']:.2f}, large"
              f" {r['large_p50_vs_bare']:.2f}   (target <= {TARGET_P50_RATIO})"
              f"  {'OK' if v['p50_ratio_ok'] else 'MISSED'}")
        print(f"[{flow}] ratio p99 to bare: empty {r['empty_p99_vs_bare']:.2f}, large"
              f" {r['large_p99_vs_bare']:.2f}")
        print(f"[{flow}] large/empty: p50 {r['large_vs_empty_p50']:.2f}, p99"
              f" {r['large_vs_empty_p99']:.2f}   (target p50 <= {TARGET_LARGE_EMPTY})"
              f"  {'OK' if v['large_vs_empty_ok'] else 'MISSED'}")
        print(f"[{flow}] paired, per round (block medians, same moment): " + ", ".join(
            f"{k.replace('_vs_', '/')} {p['median']:.2f} [{p['q1']:.2f}-{p['q3']:.2f}]"
            for k, p in paired[flow].items()))
    if profile:
        print()
        print(profile)

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench_sell-{mode}-{stamp}.json"
    out.write_text(json.dumps({
        "mode": mode, "when": stamp, "sizes": sizes, "build": build, "spot_verify": spot,
        "copy_seconds": copy_seconds, "open_seconds": opened, "stats": stats, "ratios": ratios,
        "paired_ratios": paired,
        "targets": {"p50_ratio": TARGET_P50_RATIO, "large_vs_empty": TARGET_LARGE_EMPTY},
        "verdict": verdict, "samples_ns": samples,
        "env": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                "platform": platform.platform(), "cpus": os.cpu_count()},
        "total_seconds": time.perf_counter() - started}, indent=1))
    print(f"\nresults: {out}  (total {time.perf_counter() - started:.0f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if args.strict and not all(ok for v in verdict.values() for ok in v.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
