"""Child process of the crash test (``tests/test_crash.py``); not a test module.

Usage: ``python tests/crash_child.py STORE_PATH BADGE[,BADGE...]``

It imports everything, then waits for a ``go`` line on stdin: the parent starts the next child
while it checks the store after the previous kill, so that Python's start-up (a third of a
second here) is not paid in series 200 times. After ``go`` it opens the store the way the
terminal does at start-up (``open_store`` runs the integrity check: this is the "restart"
after the previous child was killed), logs in Marie once, prints
``ready`` and then sells one SOUP after another to the given badges in turn, forever. Before
each ``sell()`` it prints ``selling``; after it has returned (the sale is committed) it prints
``sold <uuid> <seq>``, flushing each line: a sale printed is a sale the terminal reported as
done, and a child whose last line is ``selling`` was killed inside a sale. The parent kills it with
SIGKILL at a random moment.

If the store is unhealthy at start-up it prints ``unhealthy <code> <detail>`` and exits 3;
any other failure is a traceback on stderr and a non-zero exit. Either makes the test fail.
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    path, badges = argv[0], argv[1].split(",")
    out = sys.stdout

    from kiosk.config import PolicySection, TerminalConfig
    from kiosk.counter import CounterService
    from kiosk.demo.school import DEMO_PINS
    from kiosk.store import open_store
    from sync.common.clock import SystemClock

    if sys.stdin.readline().strip() != "go":   # EOF: the parent gave up on us
        return 0
    store = open_store(path)                 # the restart: quick_check + chain from verified point
    if not store.health.ok:
        out.write(f"unhealthy {store.health.code} {store.health.detail}\n")
        out.flush()
        return 3
    config = TerminalConfig(policy=PolicySection(
        overdraft_limit_cents=1_000_000_000,    # never "insufficient balance"
        stale_after_minutes=10_000_000,         # the import's last_pull_at stays fresh
        offline_daily_cap_cents=1_000_000_000,
        double_tap_seconds=0))                  # no confirmation needed for a quick re-sale
    service = CounterService(store, config, SystemClock())
    session = service.login("Marie", DEMO_PINS["Marie"])   # Argon2: once, before the loop

    out.write(f"ready {os.getpid()}\n")
    out.flush()
    i = 0
    while True:
        uid = badges[i % len(badges)]
        out.write("selling\n")      # a kill from here to the 'sold' line lands mid-sale
        out.flush()
        result = service.sell(session, uid, {"SOUP": 1})
        # One write() per line (well under PIPE_BUF): a line is either whole or absent.
        out.write(f"sold {result.entry.uuid} {result.entry.seq}\n")
        out.flush()
        i += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
