"""The print-queue worker: a thread that prints the store's pending ``print_jobs`` in order.

A sale only inserts a job row in its own transaction; this worker, with a store connection of
its own, picks the oldest job still to print, renders it from the journal, sends it, and marks
it printed once the printer confirmed it (``drivers.printer.base``). When the printer is
offline, silent, out of paper or its cover is open, the job waits with ``attempts`` and
``last_error`` set, and the worker retries with a growing pause (1 s, 2 s, 4 s … 30 s) — or at
once on ``retry_now()`` (the UI's "retry" button). A job whose bytes went out without a
confirmation is ``unconfirmed``: nothing more is sent until the printer proves it processes
again (it has drained what it had), then that job prints again marked DUPLICATA.

The printer is asked how it is every ``probe_seconds`` while nothing prints, so the state shown
is true even when no job is waiting; the state is kept in the store (``meta`` key
``printer_status``) for the other programs of the terminal (``comptoir status``).

Only one worker prints for a store at a time (a lock file next to it): the touch app and
``comptoir printer run`` can both be started without a receipt printing twice.

``status()`` is a snapshot the UI thread can read at any moment without waiting: printer
state and what to tell the canteen worker, jobs waiting, failed jobs, the last error.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from kiosk import print_jobs
from kiosk.config import TerminalConfig
from kiosk.store import Store, open_store
from sync.common.clock import Clock, SystemClock, iso_utc, parse_iso_utc
from sync.common.retry import Backoff

if TYPE_CHECKING:
    from datetime import datetime

    from drivers.printer.base import ReceiptPrinter
    from drivers.printer.document import Document
    from drivers.printer.status import PrinterStatus

log = logging.getLogger(__name__)

PUBLISHED = "printer_status"        # meta key: the printer's state as the worker last saw it


class WorkerStatus(NamedTuple):
    state: str                   # ok | offline | silent | paper_out | cover_open | error | none | busy
    message: str                 # what to tell the canteen worker, in the terminal's language
    waiting: int                 # jobs still to print (pending, or unconfirmed: printed again)
    failed: int                  # jobs that can never print as they are (see last_error)
    last_error: str | None       # the last problem, worded for people
    last_printed_at: float | None   # time.time() of the last job printed
    retry_in: float | None       # seconds until the next attempt, when waiting on the printer
    running: bool
    coded: tuple[str, dict] | None = None    # ``message`` as (code, params): a screen says it
                                              # in its own language (sync.common.messages)


class AlreadyPrinting(Exception):
    """Another process holds this store's print lock: it prints the queue."""


class PrintWorker:
    """``PrintWorker(store_path, config, printer).start()``; ``stop()`` at exit.

    ``printer`` is a ``drivers.printer.ReceiptPrinter`` (None: no printer configured, jobs
    wait). ``poll`` is how often the queue is looked at when nothing wakes the worker.
    ``backoff`` is (first pause, longest pause) in seconds between attempts on a printer that
    does not answer, doubling in between (``sync.common.retry.Backoff``, no jitter)."""

    def __init__(self, store_path: str | os.PathLike[str], config: TerminalConfig,
                 printer: ReceiptPrinter | None, *,
                 poll: float = 0.5, backoff: tuple[float, float] = (1.0, 30.0),
                 probe: float | None = None,
                 clock: Clock | None = None,
                 on_status: Callable[[WorkerStatus], None] | None = None):
        self.store_path = Path(store_path)
        self.config, self.printer = config, printer
        self.poll = poll
        self.probe = float(config.printer.probe_seconds) if probe is None else probe
        self._probe_at = 0.0                # time.monotonic() of the next idle status probe
        self._drained = True                # False after a job went out unconfirmed
        self.backoff = Backoff(base=backoff[0], factor=2.0, cap=backoff[1])
        self.clock = clock or SystemClock()
        self.lang = config.terminal.language
        self._on_status = on_status
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_file: IO[str] | None = None
        self._store: Store | None = None
        self._retry_at = 0.0                # time.monotonic() of the next attempt
        self._status = self._make_status("none" if printer is None else "ok", None)

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the thread. ``AlreadyPrinting`` if another process prints this queue."""
        if self._thread is not None:
            return
        self._acquire()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._release()

    def wake(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    def retry_now(self) -> None:
        """The canteen worker fixed the printer: try again at once."""
        self._retry_at = 0.0
        self._wake.set()

    def status(self) -> WorkerStatus:
        return self._status

    def run_once(self) -> int:
        """Print what is pending now, in this thread (the CLI); returns how many printed.
        Stops at the first printer problem (see ``status()``)."""
        own_lock = self._lock_file is None
        if own_lock:
            self._acquire()
        try:
            self._retry_at = 0.0
            return self._drain()
        finally:
            if own_lock:
                self._release()

    # -- the loop -------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._drain()
                self._probe_if_due()
            except Exception:                 # the worker outlives any bad surprise
                log.exception("print worker round failed")
            wait = self.poll
            if self._retry_at:
                wait = max(0.0, min(wait, self._retry_at - time.monotonic()))
            self._wake.wait(wait)
            self._wake.clear()

    def _drain(self) -> int:
        store = self._open_store()
        printed = 0
        while not self._stop.is_set() or self._thread is None:
            if self.printer is None or time.monotonic() < self._retry_at:
                break
            with store.read() as conn:
                job = print_jobs.next_pending(conn)
                document: Document | str | None = None
                if job is not None:
                    try:
                        document = print_jobs.render_job(conn, job, self.config, self.printer.columns)
                    except (print_jobs.JobError, KeyError, TypeError, ValueError) as e:
                        error = str(e) if isinstance(e, print_jobs.JobError) else f"{type(e).__name__}: {e}"
                        document = error
            if job is None or document is None:      # (a job has a document or an error)
                break
            if isinstance(document, str):        # can never print: failed, visible, reprintable
                message = _message("printer_job_bad", {"job": job["id"], "detail": document}, self.lang)
                with store.write() as conn:
                    print_jobs.mark_failed(conn, job["id"], message)
                log.warning("print job %s failed for good: %s", job["id"], document)
                self._set_status(self._status.state, message, message=self._status.message,
                                 coded=self._status.coded)
                continue
            if not self._print(store, job, document):
                break
            printed += 1
        self._refresh_counts(store)
        return printed

    def _print(self, store: Store, job: print_jobs.Job, document: Document) -> bool:
        from kiosk.hardware import PrinterUnavailable, printer_message
        assert self.printer is not None               # (_drain prints only to a printer)
        try:
            data = self.printer.render(document)
            status = self.printer.send(data, name=f"job{job['id']}",
                                       drained=not self._drained or job["status"] == "unconfirmed")
        except PrinterUnavailable as e:
            reason = printer_message(e.status, self.lang)
            with store.write() as conn:
                if e.sent:
                    print_jobs.mark_unconfirmed(conn, job["id"], reason)
                else:
                    print_jobs.mark_attempt(conn, job["id"], reason)
            self._drained = self._drained and not e.sent
            delay = self.backoff.failed()
            self._retry_at = time.monotonic() + delay
            log.info("printer unavailable (%s), job %s waits; retry in %.1f s",
                     e.status.state.value, job["id"], delay)
            self._set_status(e.status.state.value, last_error=reason, message=reason,
                             coded=(e.status.code, dict(e.status.params)))
            self._publish(store, e.status)
            return False
        with store.write() as conn:
            print_jobs.mark_printed(conn, job["id"], self.clock.now(), confirmed=self.printer.confirms)
        self._drained = True
        self.backoff.succeeded()
        self._retry_at = 0.0
        self._probe_at = time.monotonic() + self.probe
        self._last_printed = time.time()
        # last_error stays: the last problem seen, for the UI's details
        self._set_status("ok", self._status.last_error, message=printer_message(status, self.lang),
                         coded=(status.code, dict(status.params)))
        self._publish(store, status)
        return True

    def _probe_if_due(self) -> None:
        """Ask an idle printer how it is (nothing printed for ``probe`` seconds, or waiting to
        retry): the state shown is true even when no job is waiting. A printer that is back
        gets the waiting jobs at once."""
        from kiosk.hardware import printer_message
        if self.printer is None or not self.probe or time.monotonic() < self._probe_at:
            return
        self._probe_at = time.monotonic() + self.probe
        status = self.printer.status()
        store = self._open_store()
        self._refresh_counts(store)
        if status.ok and self._status.state != "ok" and self._counts["pending"]:
            # It answers again: try the waiting jobs now; the state changes when they print
            # (a printer that answers but does not confirm stays a fault).
            self._retry_at = 0.0
            self._wake.set()
            return
        self._set_status("ok" if status.ok else status.state.value, self._status.last_error,
                         message=printer_message(status, self.lang),
                         coded=(status.code, dict(status.params)))
        self._publish(store, status)

    def _publish(self, store: Store, status: PrinterStatus) -> None:
        """The printer's state for the other programs of this terminal, when it changed."""
        key = (status.state.value, status.code)
        if key == self._published:
            return
        value = json.dumps({"state": status.state.value, "code": status.code,
                            "params": status.params, "at": iso_utc(self.clock.now())})
        with store.write() as conn:
            Store.set_kv(conn, "meta", PUBLISHED, value)
        self._published = key

    _published: tuple[str, str] | None = None

    # -- helpers --------------------------------------------------------------------------
    _last_printed: float | None = None

    def _open_store(self) -> Store:
        if self._store is None:
            # A connection of its own: printing never holds the counter's connection.
            self._store = open_store(self.store_path, check=False)
        return self._store

    def _refresh_counts(self, store: Store) -> None:
        with store.read() as conn:
            counts = print_jobs.counts(conn)
        self._counts = {"pending": counts["waiting"], "failed": counts["failed"]}
        self._set_status(self._status.state, self._status.last_error, message=self._status.message,
                         coded=self._status.coded)

    _counts = {"pending": 0, "failed": 0}

    def _make_status(self, state: str, last_error: str | None, message: str | None = None,
                     coded: tuple[str, dict] | None = None) -> WorkerStatus:
        if message is None:
            code = {"none": "printer_none", "busy": "printer_busy"}.get(state, "printer_ok")
            message, coded = _message(code, {}, self.lang), (code, {})
        retry_in = max(0.0, self._retry_at - time.monotonic()) if self._retry_at else None
        return WorkerStatus(state, message, self._counts["pending"], self._counts["failed"],
                            last_error, self._last_printed, retry_in, self._thread is not None,
                            coded)

    def _set_status(self, state: str, last_error: str | None, message: str | None = None,
                    coded: tuple[str, dict] | None = None) -> None:
        new = self._make_status(state, last_error, message, coded)
        changed = new[:5] != self._status[:5]
        self._status = new
        if changed and self._on_status is not None:
            try:
                self._on_status(new)
            except Exception:
                log.exception("print worker status callback failed")

    def _acquire(self) -> None:
        path = self.store_path.with_name(self.store_path.name + ".print-lock")
        f = open(path, "a+")      # noqa: SIM115 -- held open (and locked) until _release
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            self._set_status("busy", None)
            raise AlreadyPrinting(str(path)) from None
        self._lock_file = f

    def _release(self) -> None:
        if self._store is not None and self._thread is None:
            self._store.close()
            self._store = None
        if self._lock_file is not None:
            self._lock_file.close()         # closing drops the lock
            self._lock_file = None


def _message(code: str, params: dict, lang: str) -> str:
    from sync.common.messages import render
    return render(code, params, lang)


def printing_elsewhere(store_path: str | os.PathLike[str]) -> bool:
    """Whether a program of this terminal prints this store's queue now (holds its lock)."""
    path = Path(store_path)
    path = path.with_name(path.name + ".print-lock")
    try:
        f = open(path)        # noqa: SIM115 -- closed below
    except FileNotFoundError:
        return False
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def published_status(store: Store) -> tuple[PrinterStatus, datetime] | None:
    """The printer's state as the printing program sees it, and since when (it is written
    when it changes)."""
    from drivers.printer.status import PrinterState, PrinterStatus
    raw = store.meta(PUBLISHED)
    if not raw:
        return None
    try:
        seen = json.loads(raw)
        return (PrinterStatus(PrinterState(seen["state"]), seen["code"], seen.get("params") or {}),
                parse_iso_utc(seen["at"]))
    except (ValueError, KeyError, TypeError):
        return None
