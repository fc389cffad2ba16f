#!/usr/bin/env python3
"""Benchmark: a terminal put back from a backup gets its entries back from the platform.

    python benchmarks/bench_restore.py            # 50,000 entries (the issue's figure)
    python benchmarks/bench_restore.py --quick    # 5,000 entries, a smoke run

The reference platform is a real subprocess (``comptoir central serve``, SQLite file, demo
school of 200 students) on loopback HTTP. A real terminal store enrols, pulls, and is copied
with SQLite's backup API while its journal is empty; then it sells N entries through the
counter service and pushes them all; then the copy is put back and the terminal restarted.
Measured:

* **restore**: ``Agent.catch_up()`` on the put-back store: the platform's mark read, the N
  entries fetched (pages of 1,000), each checked (links, hashes, canonical bodies, postings),
  written in one transaction, and the chain checked again (what happens before the terminal
  sells); and the whole first round (``run_once``: the same plus the pull and push);
* **baselines, same run, same machine**: (a) bare loopback GETs of the very same bytes (the
  gzip pages as the platform answered them) from a trivial static file server
  (``python -m http.server``), (b) the same pages from the platform itself with a bare
  ``requests`` session (no parsing, no checking), (c) a bare insert of the N rows with their
  postings into a SQLite file with the store's pragmas (WAL, ``synchronous=FULL``), one
  transaction. The ratio is restore / (a + c), and restore / (b + c).

Results are printed and written to ``benchmarks/results/bench_restore-<mode>-<time>.json``.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))        # runs from a checkout too

import requests  # noqa: E402
from bench_sync import make_entries  # noqa: E402  (the same sales as bench_sync's push)

from kiosk.config import PolicySection, TerminalConfig, TerminalSection  # noqa: E402
from kiosk.counter import CounterService  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.store.db import connect  # noqa: E402
from sync import protocol  # noqa: E402
from sync.agent import Agent, enrol  # noqa: E402
from sync.client import Client  # noqa: E402
from sync.server import allowance  # noqa: E402
from sync.server.storage import CentralStore  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args: list[str], url: str, logfile: Path) -> subprocess.Popen:
    with open(logfile, "ab") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url, timeout=1)
            return proc
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start: "
                                   + logfile.read_text()[-2000:]) from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def platform_pages(url: str, token: str, entries: int, folder: Path) -> tuple[float, int]:
    """(b): the platform's pages with a bare session, kept as the gzip bytes it answered."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
    folder.mkdir()
    t0, after, size, page = time.perf_counter(), 0, 0, 0
    while after < entries:
        r = session.get(url + protocol.JOURNAL, params={
            "after": after, "limit": protocol.MAX_JOURNAL_ENTRIES}, stream=True)
        raw = r.raw.read(decode_content=False)
        assert r.status_code == 200 and r.headers.get("Content-Encoding") == "gzip"
        (folder / f"p{page}").write_bytes(raw)
        size, page = size + len(raw), page + 1
        after = min(after + protocol.MAX_JOURNAL_ENTRIES, entries)
    elapsed = time.perf_counter() - t0
    session.close()
    return elapsed, size


def static_gets(folder: Path, work: Path) -> float:
    """(a): the same bytes from a trivial static file server on loopback."""
    port = free_port()
    proc = serve([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                  "--directory", str(folder)], f"http://127.0.0.1:{port}/", work / "static.log")
    try:
        session = requests.Session()
        names = sorted((p.name for p in folder.iterdir()), key=lambda n: int(n[1:]))
        t0 = time.perf_counter()
        for name in names:
            r = session.get(f"http://127.0.0.1:{port}/{name}", stream=True)
            assert r.status_code == 200 and r.raw.read(decode_content=False)
        elapsed = time.perf_counter() - t0
        session.close()
    finally:
        stop(proc)
    return elapsed


def bare_insert(rows: list[tuple], postings: list[tuple], path: Path) -> float:
    """(c): the same rows and postings into a bare SQLite file, the store's pragmas."""
    conn = connect(path)
    conn.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY, body TEXT, prev_hash TEXT,"
                 " hash TEXT)")
    conn.execute("CREATE TABLE postings (wallet_id TEXT, seq INTEGER, amount_cents INTEGER,"
                 " PRIMARY KEY (wallet_id, seq)) WITHOUT ROWID")
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO journal VALUES (?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO postings VALUES (?, ?, ?)", postings)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="5,000 entries: a smoke run")
    p.add_argument("--entries", type=int, help="entries to restore (default 50,000)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args(argv)
    mode = "quick" if args.quick else "full"
    entries = args.entries or (5_000 if args.quick else 50_000)
    work = Path(tempfile.mkdtemp(prefix="bench-restore-"))
    rng = random.Random(2026)
    db = work / "central.db"
    cli = [sys.executable, "-m", "kiosk.cli", "central"]
    subprocess.run([*cli, "init", "--db", str(db), "--school", "Institut Saint-Michel"],
                   check=True, capture_output=True)
    subprocess.run([*cli, "demo-data", "--db", str(db), "--students", "200"], check=True,
                   capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = serve([*cli, "serve", "--db", str(db), "--port", str(port)], url,
                   work / "central.log")
    result: dict = {"mode": mode, "entries": entries, "machine": platform.node(),
                    "python": platform.python_version(),
                    "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        with CentralStore(db) as central:
            code = central.create_enrol_code(central.school_id(), "Cantine 1")
            # a build that outlasts the heartbeat counts as offline: no floor limit here
            allowance.set_allowance(central, central.school_id(), 10**10)
        folder = work / "terminal"
        store = open_store(folder / "comptoir.db", create=True)
        creds = enrol(store, folder, url, code)
        config = TerminalConfig(terminal=TerminalSection(name="Cantine 1"),
                                policy=PolicySection(overdraft_limit_cents=10**9,
                                                     double_tap_seconds=0,
                                                     offline_daily_cap_cents=10**9))
        client = Client(creds.url, creds.token, timeout=(3.05, 120))
        Agent(store, client, config).run_once(full=True)
        copy = work / "copy.db"
        src, dst = sqlite3.connect(store.path), sqlite3.connect(copy)
        with dst:
            src.backup(dst)             # the backup: an enrolled store, no entry yet
        src.close()
        dst.close()
        log(f"selling {entries} entries ...")
        result["build_s"] = make_entries(store, CounterService(store, config), entries, rng)
        t0 = time.perf_counter()
        Agent(store, client, config).push()
        result["push_s"] = time.perf_counter() - t0
        rows = store.conn.execute("SELECT seq, body, prev_hash, hash FROM journal"
                                  " ORDER BY seq").fetchall()
        postings = store.conn.execute("SELECT wallet_id, seq, amount_cents FROM postings"
                                      ).fetchall()
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store.path}{suffix}").unlink(missing_ok=True)
        shutil.copy(copy, store.path)   # put back; the terminal starts again
        store = open_store(folder / "comptoir.db")
        agent = Agent(store, client, config)
        log("restoring ...")
        t0 = time.perf_counter()
        recovered = agent.catch_up()
        result["restore_s"] = time.perf_counter() - t0
        assert recovered.fetched == entries and store.health.ok, (recovered, store.health)
        t0 = time.perf_counter()
        agent.run_once()
        result["first_round_after_s"] = time.perf_counter() - t0
        assert store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == entries
        store.close()
        log("baselines ...")
        result["bare_platform_gets_s"], result["bytes"] = platform_pages(
            url, creds.token, entries, work / "pages")
        result["bare_static_gets_s"] = static_gets(work / "pages", work)
        result["bare_insert_s"] = bare_insert(rows, postings, work / "bare.db")
        client.close()
    finally:
        stop(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    base_a = result["bare_static_gets_s"] + result["bare_insert_s"]
    base_b = result["bare_platform_gets_s"] + result["bare_insert_s"]
    result["ratio_to_static_gets_plus_insert"] = result["restore_s"] / base_a
    result["ratio_to_platform_gets_plus_insert"] = result["restore_s"] / base_b
    print(f"restore of {entries} entries ({result['bytes'] / 1e6:.1f} MB gzip on the wire):"
          f" {result['restore_s']:.2f} s ({entries / result['restore_s']:.0f} entries/s)")
    print(f"  baseline (a) bare static GETs {result['bare_static_gets_s']:.2f} s"
          f" + bare insert {result['bare_insert_s']:.2f} s = {base_a:.2f} s:"
          f" ratio {result['ratio_to_static_gets_plus_insert']:.1f}")
    print(f"  baseline (b) bare GETs from the platform {result['bare_platform_gets_s']:.2f} s"
          f" + bare insert = {base_b:.2f} s: ratio {result['ratio_to_platform_gets_plus_insert']:.1f}")
    print(f"  then the first round (pull, push, check): {result['first_round_after_s']:.2f} s;"
          f" push of the {entries} entries beforehand: {result['push_s']:.1f} s")
    out = HERE / "results" / (f"bench_restore-{mode}-"
                              f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
