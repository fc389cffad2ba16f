"""Crash test: a child process selling in a loop is killed with SIGKILL at random moments, at
least 200 times; after each restart ``comptoir check`` passes, every sale the child reported as
done is in the journal exactly once, and there is no seq gap.

How it runs (one store in ``tmp_path``, loaded with the demo school for *today* in Brussels,
because the child uses the real clock):

* The child (``tests/crash_child.py``) is forked from a fork server that imported the
  package once (``multiprocessing``'s ``forkserver``): a fork, not a Python start-up and its
  imports, per kill; it is a process of its own all the same, which SIGKILL ends, and it opens
  the store only after the fork. It waits for ``go``; then it opens the store with
  ``open_store`` -- the restart, which runs the start-up integrity check and must find the
  store healthy -- logs Marie in once, sends ``ready``, and sells one SOUP after another to a
  rotation of badges, sending ``sold <uuid> <seq>`` after each ``sell()`` has returned (each
  message one write() on a pipe). The next child is forked while the parent checks the store
  after a kill. It never touches the store before ``go``.
* The parent sends ``go``, waits for ``ready``, then picks the kill instant from the child's
  own progress, not from wall time (a busy machine slows the child, not the test's
  meaning): it waits until the child has reported N sales (N drawn from 1-15 by
  ``random.Random`` with a fixed seed), then sleeps a random fraction of the time one sale
  took the child in this round, sends SIGKILL and collects what the child reported. One round
  in ten instead kills right after ``ready``, i.e. around the first sale. The child prints
  ``selling`` before each sale, so the parent knows which kills landed inside ``sell()``.
  200 kills happen while selling; one round in 21 instead kills the child 0-80 ms after
  ``go``, during its restart (``open_store`` and its check, which may write the verified
  point; the login's write).
* After each kill the store is checked by ``comptoir --data DIR check`` (``kiosk.cli.main``,
  in a process forked from the same server, that never opened the store: PRAGMA
  integrity_check and the whole chain from seq 1), which must exit 0; the last check is the
  real ``python -m kiosk.cli`` in a new interpreter. (``CLI_EVERY`` can thin this out to an
  in-process run of exactly what ``cmd_check`` runs, for quick local iterations.)
* One round in four the check is deferred: the next child is then the first process to open
  the store after the crash (it recovers the WAL the killed one left), and the check runs in
  a thread while that child sells and is killed in turn.
* Each check also asserts that seq runs 1..N without a gap and that every sale reported by an
  already killed child is in the journal under the seq it reported.

At the end: the CLI check (a new interpreter) passes; every reported uuid is in the journal
exactly once with its seq; entries not reported (committed -- the WAL write is done, the fsync
maybe not -- then killed before the print) are at most one per kill that landed inside a sale;
each wallet's displayed balance (``balance_cents`` + postings after ``included_seq``) is its
imported balance minus 100 x its student's sales in the journal. None of the floors depends on
the machine's speed: every round timed by progress sold at least its N (so more than 1000
sales, fixed by the seed), and most of those kills landed inside ``sell()`` (a share of the
child's own time, the same on a slow machine).
About 60-90 s on the 2-core machine (the summary line is printed; see it with ``-s``);
``COMPTOIR_CRASH_KILLS=1000`` for a long run.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import importer, journal
from kiosk.demo.school import Badge, generate
from kiosk.store import open_store
from sync.common.clock import SystemClock, business_day

from . import crash_child

# The children and the checks are forked from a fork server that imported crash_child (the
# package, the CLI) once: no Python start-up and imports per kill.
_FORKS = multiprocessing.get_context("forkserver")
SEED = 20261125
# Kills while the child is in its selling loop; COMPTOIR_CRASH_KILLS=1000 for a long run.
SELLING_KILLS = int(os.environ.get("COMPTOIR_CRASH_KILLS", "200"))
STARTUP_KILL_EVERY = 21      # one round in 21 kills the child during its restart instead
CLI_EVERY = 1                # `comptoir check` (kiosk.cli.main, forked) after every kill
# After a kill, the check runs: "after" -- before the next child starts (the checker is the
# first to open the crashed store); "deferred" -- once the next child has restarted and is
# ready (the restarted terminal opened it first), while it sells; "overlap" -- at once, in a
# thread, while the next child restarts (they race to open it first).
MODES = ("after", "deferred", "overlap", "overlap")
ZERO_DELAY_EVERY = 10        # one selling round in 10: SIGKILL right after 'ready'
MAX_SALES_BEFORE_KILL = 15   # the other selling rounds: after 1-15 sales, within the next one
MID_SALE_FLOOR = 0.5         # of those, at least this share killed inside sell() (typically ~0.9)
MAX_STARTUP_DELAY = 0.080
READY_TIMEOUT = 60.0         # noisy machine: generous, only reached on a real failure
PRICE = 100                  # SOUP


def _today_brussels():
    return business_day(SystemClock().now(), ZoneInfo("Europe/Brussels"))


def _sellable_badges(data: dict, limit: int = 12) -> list[str]:
    """Active badges of students with a wallet and nothing that could refuse or question a
    SOUP (allergen flags, daily limit, blocked article or category)."""
    with_wallet = {w["student_id"] for w in data["wallets"]}
    students = {s["id"]: s for s in data["students"]}
    out = [Badge.EMMA, Badge.NOAH, Badge.ADAM]
    for b in data["badges"]:
        s = students[b["student_id"]]
        if (b["status"] == "active" and b["student_id"] in with_wallet and b["uid"] not in out
                and not s.get("flags") and s.get("daily_limit_cents") is None
                and not s.get("blocked_categories") and not s.get("blocked_articles")):
            out.append(b["uid"])
        if len(out) >= limit:
            break
    return out


class _Child:
    """One child process, forked from the fork server. ``close`` kills (if needed) and reaps it
    and closes the pipes."""

    def __init__(self, db: Path, badges: list[str]):
        go_r, self.go_w = _FORKS.Pipe(duplex=False)
        self.out_r, out_w = _FORKS.Pipe(duplex=False)
        self.proc = _FORKS.Process(target=crash_child.sell, args=(str(db), badges, go_r, out_w),
                                   daemon=True)
        self.proc.start()
        go_r.close()
        out_w.close()                     # the child's end only: EOF when the child is gone
        self.lines: list[str] = []

    def go(self) -> None:
        try:
            self.go_w.send_bytes(b"go")
        except BrokenPipeError:     # it died before: wait_ready/kill report it
            pass

    def _read_until(self, done, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"child not {what} after {timeout} s")
            if self.out_r.poll(left):
                try:
                    self.lines.append(self.out_r.recv_bytes().decode())
                except EOFError:    # the child died on its own
                    self.proc.join()
                    raise AssertionError(f"child exited ({self.proc.exitcode}) before {what}:"
                                         f" {self.lines!r} (its traceback is on stderr)") from None

    def wait_ready(self, timeout: float) -> None:
        self._read_until(lambda: bool(self.lines), timeout, "ready")
        assert self.lines[0].startswith("ready "), f"child at start-up said {self.lines[0]!r}"

    def wait_sales(self, n: int, timeout: float) -> None:
        """Until the child has reported ``n`` sales."""
        def done() -> bool:
            return sum(line.startswith("sold ") for line in self.lines) >= n
        self._read_until(done, timeout, f"done with {n} sales")

    def wait_sold_after(self, seq: int, timeout: float) -> None:
        """Until the child has reported a sale whose entry comes after ``seq``."""
        def done() -> bool:
            return any(line.startswith("sold ") and int(line.split(" ")[2]) > seq
                       for line in self.lines)
        self._read_until(done, timeout, f"selling after entry {seq}")

    def kill_and_collect(self) -> tuple[list[tuple[str, int]], bool, bool]:
        """SIGKILL, reap; the sales reported (whole messages only: each is one write()),
        whether it was ready and whether the kill landed inside a sale (its last line is
        'selling')."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.join(timeout=30)
        rc = self.proc.exitcode
        assert rc == -signal.SIGKILL, f"child ended with {rc} instead of being killed"
        while True:
            try:
                self.lines.append(self.out_r.recv_bytes().decode())
            except EOFError:
                break
        lines = self.lines
        ready = bool(lines) and lines[0].startswith("ready ")
        sold = []
        expect = "selling"
        for line in lines[1:] if ready else lines:
            assert line.split(" ")[0] == expect, f"child said {line!r} where {expect!r} was due"
            if expect == "sold":
                _, uuid, seq = line.split(" ")
                sold.append((uuid, int(seq)))
            expect = "sold" if expect == "selling" else "selling"
        return sold, ready, expect == "sold"

    def close(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=30)
        self.proc.close()
        self.go_w.close()
        self.out_r.close()


def _cli_check(folder: Path) -> tuple[int, str, str]:
    """``comptoir --data FOLDER check`` in a process forked from the fork server: the command
    line's own code in a process that never opened the store (exit code, stdout, stderr)."""
    answer_r, answer_w = _FORKS.Pipe(duplex=False)
    proc = _FORKS.Process(target=crash_child.check, args=(str(folder), answer_w), daemon=True)
    proc.start()
    answer_w.close()
    try:
        if not answer_r.poll(300):
            raise AssertionError("comptoir check did not answer within 300 s")
        answer = answer_r.recv()
    except EOFError:
        answer = (None, "", "")
    proc.join(timeout=30)
    proc.close()
    answer_r.close()
    return answer


class _Background(threading.Thread):
    """A check running while a child sells; its failure is re-raised by ``result``."""

    def __init__(self, fn, *args):
        super().__init__(daemon=True)
        self.fn, self.args, self.error = fn, args, None

    def run(self):
        try:
            self.fn(*self.args)
        except BaseException as e:      # noqa: B902 -- handed to the main thread
            self.error = e

    def result(self):
        self.join(timeout=300)
        assert not self.is_alive(), "background check hung"
        if self.error:
            raise self.error


@pytest.fixture
def fork_server():
    """The fork server, started at the first fork with crash_child imported, and stopped (and
    reaped, with the CPU time of its children) at the end of the test."""
    _FORKS.set_forkserver_preload([crash_child.__name__])
    yield
    multiprocessing.forkserver._forkserver._stop()   # the stdlib's own tests stop it so


@pytest.mark.slow(seconds=90)
def test_sigkill_while_selling_loses_nothing_and_keeps_the_chain(tmp_path, fork_server):
    started = time.monotonic()
    folder = tmp_path / "data"
    db = folder / "comptoir.db"
    data = generate(students=60, day=_today_brussels())
    store = open_store(db, create=True)
    importer.apply(store, importer.parse(data), SystemClock().now())
    store.close()
    badges = _sellable_badges(data)
    assert len(badges) >= 8

    rng = random.Random(SEED)
    reported: dict[str, int] = {}          # uuid -> seq, as the children printed them
    to_verify: list[tuple[str, int]] = []  # reported by dead children, not yet looked up
    last_reported_seq = 0
    per_round_sales: list[int] = []
    progress_rounds: list[tuple[int, int, bool]] = []   # (N waited for, sales, killed mid-sale)
    mid_sale_kills = 0
    stats: Counter = Counter()
    timings: dict[str, list[float]] = {"cli": [], "inproc": [], "interpreter": []}
    phases: Counter = Counter()            # wall time spent waiting in the main loop

    def check(kind: str, reports: list[tuple[str, int]]) -> None:
        t0 = time.perf_counter()
        if kind == "cli":
            code, out, err = _cli_check(folder)
            assert code == 0, f"comptoir check failed ({code}): {err}{out}"
            assert "Caisse intègre" in out, out
        elif kind == "interpreter":     # the real entry point, in a new interpreter
            r = subprocess.run([sys.executable, "-m", "kiosk.cli", "--data", str(folder), "check"],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=300)
            assert r.returncode == 0, f"comptoir check failed ({r.returncode}): {r.stderr}{r.stdout}"
            assert "Caisse intègre" in r.stdout, r.stdout
        else:
            s = open_store(db, check=False)
            try:
                health = s.check_integrity(full=True)
                assert health.ok, (health.code, health.detail, health.bad_seq)
            finally:
                s.close()
        timings[kind].append(time.perf_counter() - t0)
        # No seq gap (one statement: one snapshot, even with a child selling meanwhile), and
        # the sales reported by killed children are there under their seq.
        s = open_store(db, check=False)
        try:
            count, low, high = s.conn.execute(
                "SELECT COUNT(*), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM journal"
            ).fetchone()
            assert count == high and low == min(1, count), (count, low, high)
            for uuid, seq in reports:
                row = s.conn.execute("SELECT seq FROM journal WHERE uuid = ?", (uuid,)).fetchone()
                assert row is not None, f"reported sale {uuid} (seq {seq}) is not in the journal"
                assert row[0] == seq, f"reported sale {uuid} has seq {row[0]}, child said {seq}"
        finally:
            s.close()

    def take_reports() -> list[tuple[str, int]]:
        out = list(to_verify)
        to_verify.clear()
        return out

    selling_kills = startup_kills = 0
    deferred: tuple | None = None      # a check to start once the next child is ready
    background: _Background | None = None   # a check running while the next child works
    spare: _Child | None = _Child(db, badges)   # started ahead: it only imports until 'go'
    i = 0
    try:
        while selling_kills < SELLING_KILLS:
            startup_kill = i % STARTUP_KILL_EVERY == STARTUP_KILL_EVERY - 1
            last = selling_kills == SELLING_KILLS - 1 and not startup_kill
            check_kind = "cli" if i % CLI_EVERY == CLI_EVERY - 1 else "inproc"
            child, spare = spare, None
            try:
                t0 = time.perf_counter()
                child.go()
                spare = _Child(db, badges)    # imports while this one restarts and sells
                if startup_kill:
                    time.sleep(rng.uniform(0.0, MAX_STARTUP_DELAY))
                else:
                    child.wait_ready(READY_TIMEOUT)
                    phases["restart"] += time.perf_counter() - t0
                    if deferred:        # this child was the first to open the crashed store
                        background = _Background(check, *deferred)
                        background.start()
                        deferred = None
                    target = 0 if i % ZERO_DELAY_EVERY == 0 else rng.randint(1, MAX_SALES_BEFORE_KILL)
                    if target:          # the kill instant follows the child's own progress
                        t_ready = time.perf_counter()
                        child.wait_sales(target, READY_TIMEOUT)
                        one_sale = (time.perf_counter() - t_ready) / target
                        time.sleep(rng.random() * one_sale)
                sold, ready, mid_sale = child.kill_and_collect()
            finally:
                child.close()
            if background:              # the previous round's check must have passed
                t0 = time.perf_counter()
                background.result()
                background = None
                phases["join"] += time.perf_counter() - t0
            mid_sale_kills += mid_sale
            if startup_kill:
                startup_kills += 1
                stats["startup_kills_after_ready"] += ready
            else:
                selling_kills += 1
                per_round_sales.append(len(sold))
                if target:
                    assert len(sold) >= target, (len(sold), target)
                    progress_rounds.append((target, len(sold), mid_sale))
            seqs = [seq for _, seq in sold]
            if seqs:   # the child is the only journal writer: its sales are consecutive
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
                assert seqs[0] > last_reported_seq, (seqs[0], last_reported_seq)
                last_reported_seq = seqs[-1]
            for uuid, seq in sold:
                assert uuid not in reported, f"sale {uuid} reported twice"
                reported[uuid] = seq
            to_verify.extend(sold)

            mode = "after" if last else MODES[i % len(MODES)]
            next_is_startup_kill = (i + 1) % STARTUP_KILL_EVERY == STARTUP_KILL_EVERY - 1
            if mode == "deferred" and next_is_startup_kill:
                mode = "overlap"        # that child may never be ready
            stats["mode_" + mode] += 1
            if mode == "after":
                t0 = time.perf_counter()
                check(check_kind, take_reports())
                phases["check_after"] += time.perf_counter() - t0
            elif mode == "deferred":
                deferred = (check_kind, take_reports())
            else:
                background = _Background(check, check_kind, take_reports())
                background.start()
            i += 1
    finally:
        if background:
            background.join(timeout=300)
        if spare:
            spare.close()
    assert deferred is None and background is None

    # -- the end: the real CLI check in a new interpreter, then the whole journal against what
    # was reported -------
    check("interpreter", take_reports())
    kills = selling_kills + startup_kills
    store = open_store(db, check=False)
    try:
        conn = store.conn
        rows = conn.execute("SELECT seq, uuid, kind, student_id, amount_cents FROM journal"
                            " ORDER BY seq").fetchall()
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1)), "seq gap"
        times = Counter(r[1] for r in rows)
        seq_of = {r[1]: r[0] for r in rows}
        for uuid, seq in reported.items():
            assert times[uuid] == 1, f"reported sale {uuid} is in the journal {times[uuid]} times"
            assert seq_of[uuid] == seq
        assert all(r[2] == "sale" and r[4] == -PRICE for r in rows)
        chain = journal.verify(conn)
        assert chain.ok and chain.checked == len(rows), chain
        unreported = len(rows) - len(reported)
        # The child prints as soon as sell() returns: at most one committed sale per life can
        # go unreported (killed after the WAL write, typically during the commit's fsync), and
        # only in a life killed inside sell().
        assert 0 <= unreported <= mid_sale_kills <= kills, (unreported, mid_sale_kills, kills)

        sales_of = Counter(r[3] for r in rows)
        shown = dict(conn.execute(
            "SELECT w.id, w.balance_cents + COALESCE((SELECT SUM(p.amount_cents) FROM postings p"
            " WHERE p.wallet_id = w.id AND p.seq > w.included_seq), 0) FROM wallets w"))
        for w in data["wallets"]:
            expected = w["balance_cents"] - PRICE * sales_of[w["student_id"]]
            assert shown[w["id"]] == expected, (w["id"], shown[w["id"]], expected)
        assert conn.execute("SELECT COUNT(*) FROM postings").fetchone()[0] == len(rows)
    finally:
        store.close()

    # Floors that hold on any machine: the progress-timed rounds each sold their N (asserted
    # per round), so the sales reported are at least the sum of the N, fixed by the seed; and
    # what share of those kills landed inside sell() is a share of the child's own time.
    rounds_with_sales = sum(1 for n in per_round_sales if n > 0)
    waited_for = sum(target for target, _, _ in progress_rounds)
    mid_sale_share = sum(m for _, _, m in progress_rounds) / len(progress_rounds)
    assert selling_kills >= SELLING_KILLS >= 200
    assert len(reported) >= waited_for > 5 * SELLING_KILLS, (len(reported), waited_for)
    assert mid_sale_share >= MID_SALE_FLOOR, progress_rounds
    print(f"\ncrash test: {kills} kills ({selling_kills} while selling, {startup_kills} during"
          f" restart, {stats['startup_kills_after_ready']} of those after 'ready');"
          f" {len(rows)} journal entries, {len(reported)} reported, {unreported} committed but"
          f" unreported; {rounds_with_sales}/{selling_kills} selling rounds sold;"
          f" {mid_sale_share:.0%} of the {len(progress_rounds)} progress-timed kills mid-sale,"
          f" {mid_sale_kills} kills mid-sale in all;"
          f" checks: {len(timings['cli'])} CLI (mean {_mean(timings['cli']):.2f} s),"
          f" {len(timings['inproc'])} in-process (mean {_mean(timings['inproc']):.2f} s);"
          f" modes {stats['mode_after']} after / {stats['mode_deferred']} deferred /"
          f" {stats['mode_overlap']} overlapped; waited {phases['restart']:.0f} s for restarts,"
          f" {phases['check_after']:.0f} s in 'after' checks, {phases['join']:.0f} s joining;"
          f" {time.monotonic() - started:.1f} s")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
