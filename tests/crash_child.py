"""The crash test's child processes (``tests/test_crash.py``); not a test module.

They are forked from a fork server (``multiprocessing``'s ``forkserver``, which imports this
module and what it imports once, before any store is opened): a child costs a fork, not a
Python start-up and its imports (a third of a second of CPU each, 400 times per test). A
forked child is a process of its own: SIGKILL ends it exactly as it ends a terminal, and it
opens the store itself, after the fork.

``sell(path, badges, go, out)``: waits for ``go``, then opens the store the way the terminal
does at start-up (``open_store`` runs the integrity check: this is the "restart" after the
previous child was killed), logs in Marie once, sends ``ready`` and then sells one SOUP after
another to the given badges in turn, forever. Before each ``sell()`` it sends ``selling``;
after it has returned (the sale is committed) ``sold <uuid> <seq>``: a sale sent is a sale
the terminal reported as done, and a child whose last line is ``selling`` was killed inside a
sale. The parent kills it with SIGKILL at a random moment. If the store is unhealthy at
start-up it sends ``unhealthy <code> <detail>`` and exits 3; any other failure is a traceback
on stderr and a non-zero exit. Either makes the test fail.

``check(folder, answer)``: ``comptoir --data FOLDER check`` (``kiosk.cli.main``, the command
line's own code) in a fresh process that never opened the store before; sends back its exit
code and what it printed.
"""
from __future__ import annotations

import contextlib
import io
import os
from multiprocessing.connection import Connection

# The check's modules too (kiosk.cli imports its commands when they run): imported once.
from kiosk.cli import admin as _cli_admin, main as cli_main, parser as _cli_parser  # noqa: F401
from kiosk.config import PolicySection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS
from kiosk.store import open_store
from sync.common.clock import SystemClock


def sell(path: str, badges: list[str], go: Connection, out: Connection) -> None:
    if go.recv_bytes() != b"go":
        return
    store = open_store(path)                 # the restart: quick_check + chain from verified point
    if not store.health.ok:
        out.send_bytes(f"unhealthy {store.health.code} {store.health.detail}".encode())
        raise SystemExit(3)
    config = TerminalConfig(policy=PolicySection(
        overdraft_limit_cents=1_000_000_000,    # never "insufficient balance"
        stale_after_minutes=10_000_000,         # the import's last_pull_at stays fresh
        offline_daily_cap_cents=1_000_000_000,
        double_tap_seconds=0))                  # no confirmation needed for a quick re-sale
    service = CounterService(store, config, SystemClock())
    session = service.login("Marie", DEMO_PINS["Marie"])   # Argon2: once, before the loop

    out.send_bytes(f"ready {os.getpid()}".encode())
    i = 0
    while True:
        uid = badges[i % len(badges)]
        out.send_bytes(b"selling")      # a kill from here to the 'sold' line lands mid-sale
        result = service.sell(session, uid, {"SOUP": 1})
        # One write() per message (well under PIPE_BUF): a line is either whole or absent.
        out.send_bytes(f"sold {result.entry.uuid} {result.entry.seq}".encode())
        i += 1


def check(folder: str, answer: Connection) -> None:
    printed, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
        code = cli_main(["--data", folder, "check"])
    answer.send((code, printed.getvalue(), errors.getvalue()))
