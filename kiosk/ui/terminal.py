"""Everything behind the touch screen, without Kivy: the counter service, the badge reader,
the printer worker and its state, the sync agent, and one worker thread for the counter
service's calls.

The UI thread never waits on any of them: a call goes to the worker (or the sync thread) and
its result comes back through a callback that the app hands over to Kivy's clock.

>>> from kiosk.demo.store import demo_service
>>> service, session = demo_service()
>>> terminal = Terminal(service.store.path.parent, service.config, service)
>>> terminal.submit(service.identify, "04A1B2C3").result().student.first_name
'Emma'
>>> terminal.status_snapshot().waiting
0
>>> terminal.close()
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from kiosk import health_report, lookups
from kiosk.config import TerminalConfig, load_config
from kiosk.counter import CounterService
from kiosk.store import open_store
from sync.common.errors import ComptoirError
from sync.common.messages import render

if TYPE_CHECKING:
    from drivers.badge import BadgeReader
    from kiosk.holders import Student
    from kiosk.print_worker import PrintWorker, WorkerStatus
    from kiosk.store import Store
    from sync.common.clock import Clock

_T = TypeVar("_T")

log = logging.getLogger("comptoir.ui")

DB_NAME = "comptoir.db"
CONFIG_NAME = "terminal.toml"


class DeviceState(NamedTuple):
    state: str          # ok | missing | error | unknown | none (not configured)
    reason: str = ""    # in the terminal's language (printer) or English (reader): the log's
    kind: str = ""      # "printer" (code, params: sync.common.messages) or "reader" (code:
    code: str = ""      # kiosk.hardware.READER_REASONS): what a screen says, in its language
    params: dict | None = None

    def text(self, lang: str) -> str:
        """Why the device is gone, in ``lang``."""
        if self.kind == "reader":
            from kiosk.hardware import reader_reason
            return reader_reason(self.code, lang)
        if self.kind == "printer" and self.code:
            from sync.common.messages import render
            return render(self.code, self.params or {}, lang)
        return self.reason

    @property
    def gone(self) -> bool:
        """The banner case: the device should be there and is not."""
        return self.state in ("missing", "error")


class PrinterStatus:
    """The printer's state as the printer worker reports it (``update`` from any thread).
    The screen only reads ``status``; until a worker reports, the state is ``unknown``.

    >>> p = PrinterStatus()
    >>> p.update("missing", "no paper")
    >>> p.status[:2]
    ('missing', 'no paper')
    """

    def __init__(self, state: str = "unknown", reason: str = ""):
        self._status = DeviceState(state, reason)
        self._lock = threading.Lock()

    def update(self, state: str, reason: str = "", *coded: Any) -> None:
        """``coded``: the rest of a ``DeviceState`` (kind, code, params)."""
        with self._lock:
            self._status = DeviceState(state, reason, *coded)

    @property
    def status(self) -> DeviceState:
        with self._lock:
            return self._status


# The print worker's states, as the status bar shows them.
_PRINTER_STATES = {"ok": "ok", "busy": "ok", "none": "none", "offline": "missing",
                   "silent": "error", "paper_out": "missing", "cover_open": "missing"}


def printer_state(status: WorkerStatus) -> DeviceState:
    """A ``kiosk.print_worker.WorkerStatus`` in the screen's terms."""
    state = _PRINTER_STATES.get(status.state, "error")
    if state == "ok":
        return DeviceState(state)
    code, params = status.coded or ("", {})
    return DeviceState(state, status.message, "printer", code, params)


def _reader_code(reader: BadgeReader | None) -> str:
    """The reader's state as the health report codes it (``kiosk.health_report``)."""
    if reader is None:
        return "none"
    status = reader.status
    return "ok" if status.state.value == "connected" else (status.code or "failed")


def reader_state(reader: BadgeReader | None) -> DeviceState:
    """A badge reader's ``Status`` in the screen's terms."""
    if reader is None:
        return DeviceState("none")
    status = reader.status
    state = {"connected": "ok", "disconnected": "missing"}.get(status.state.value, "error")
    return DeviceState(state, status.reason, "reader", status.code) if state != "ok" \
        else DeviceState(state)


class Snapshot(NamedTuple):
    """What the status bar shows, read in one go off the UI thread."""
    store: lookups.TerminalStatus
    reader: DeviceState
    printer: DeviceState
    syncing: bool

    @property
    def waiting(self) -> int:
        return self.store.waiting


class SyncRunner:
    """``sync now``: one ``Agent.run_once`` in a thread of its own, on its own connection to
    the store (a long pull never holds up a sale). The outcome is recorded by the agent in
    the store's ``sync_state``; ``done(result, error)`` is called from that thread."""

    def __init__(self, folder: Path, config: TerminalConfig):
        self.folder = folder
        self.config = config
        self._thread: threading.Thread | None = None

    @property
    def enrolled(self) -> bool:
        from sync.common.files import CREDENTIALS  # not sync.agent: requests stays out
        return (self.folder / CREDENTIALS).exists()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_now(self, done: Callable[[dict | None, Exception | None], None]) -> bool:
        if self.running:
            return False
        self._thread = threading.Thread(target=self._run, args=(done,), name="sync-now", daemon=True)
        self._thread.start()
        return True

    def _run(self, done: Callable[[dict | None, Exception | None], None]) -> None:
        from sync.agent import Agent, load_credentials
        from sync.client import Client
        try:
            creds = load_credentials(self.folder)
            store = open_store(self.folder / DB_NAME, check=False)
            client = Client(creds.url, creds.token, allow_http=self.config.sync.allow_http,
                            ca_file=self.config.sync.ca_file)
            try:
                result = Agent(store, client, self.config).run_once()
            finally:
                client.close()
                store.close()
        except Exception as e:      # reported on screen; the agent has recorded it too
            done(None, e)
            return
        done(result, None)


class Terminal:
    def __init__(self, folder: Path, config: TerminalConfig, service: CounterService,
                 reader: BadgeReader | None = None, printer: PrinterStatus | None = None):
        self.folder = Path(folder)
        self.config = config
        self.service = service
        self.reader = reader
        self.printer = printer or PrinterStatus("none" if config.printer.backend == "none" else "unknown")
        self.sync = SyncRunner(self.folder, config)
        self.print_worker: PrintWorker | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="counter")
        self._status_store: Store | None = None
        self._status_lock = threading.Lock()

    @classmethod
    def open(cls, folder: str | Path, reader: BadgeReader | None = None, clock: Clock | None = None,
             language: str | None = None) -> Terminal:
        """The terminal of a data folder made by ``comptoir init`` (store checked on open);
        ``language`` instead of the configured one (``comptoir --lang nl ui``)."""
        folder = Path(folder)
        config = load_config(folder / CONFIG_NAME)
        if language and language != config.terminal.language:
            config = replace(config, terminal=replace(config.terminal, language=language))
        store = open_store(folder / DB_NAME)
        service = CounterService(store, config, clock)
        with contextlib.suppress(ComptoirError):    # a full disk: the start is not recorded
            health_report.record_start(store, service.clock.now())
        if reader is None:
            from kiosk.hardware import open_reader
            reader = open_reader(config.reader)
        terminal = cls(folder, config, service, reader)
        terminal.start_printing()
        return terminal

    def start_printing(self) -> None:
        """Print the store's queue in a thread of its own (``kiosk.print_worker``) and show
        its state. If another program of this terminal already prints it (``comptoir printer
        run``), that one prints and the screen says so."""
        if self.config.printer.backend == "none":
            return
        from kiosk.hardware import open_printer
        from kiosk.print_worker import AlreadyPrinting, PrintWorker
        worker = PrintWorker(self.folder / DB_NAME, self.config,
                             open_printer(self.config.printer, self.folder),
                             on_status=lambda st: self.printer.update(*printer_state(st)))
        try:
            worker.start()
        except AlreadyPrinting:
            self.printer.update("ok", render("printer_busy", {}, self.config.terminal.language))
            return
        self.printer.update(*printer_state(worker.status()))
        self.print_worker = worker

    def wake_printer(self) -> None:
        """A call may have queued a job (a receipt, a list): print it now, not at the next
        poll of the queue."""
        if self.print_worker is not None:
            self.print_worker.wake()

    # -- the worker ---------------------------------------------------------------------
    def submit(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> Future[_T]:
        """Run a counter-service call on the worker thread (one at a time, in order)."""
        return self._worker.submit(fn, *args, **kwargs)

    # -- status -------------------------------------------------------------------------
    def status_snapshot(self) -> Snapshot:
        """Read on a connection of its own (called from the status thread)."""
        with self._status_lock:
            if self._status_store is None:
                self._status_store = open_store(self.folder / DB_NAME, check=False)
            store_status = lookups.terminal_status(self._status_store, self.sync.enrolled)
            reader = reader_state(self.reader)
            with contextlib.suppress(ComptoirError):    # for the health report (sync daemon)
                health_report.publish_reader(self._status_store, _reader_code(self.reader))
        return Snapshot(store_status, reader, self.printer.status, self.sync.running)

    def photo_path(self, student: Student | None) -> str | None:
        """The student's photo file, when the platform sent one and it is on this terminal
        (inside the data folder). Plain ``os.path`` rather than ``pathlib``: pathlib interns
        every path part for good, and a path per student tapped grew the app's memory."""
        if student is None or not student.photo_ref:
            return None
        root = os.path.realpath(self.folder)
        path = os.path.realpath(os.path.join(root, student.photo_ref))
        if os.path.commonpath((root, path)) != root or path == root or not os.path.isfile(path):
            return None
        return path

    def close(self) -> None:
        if self.reader is not None:
            self.reader.stop(timeout=2)
        if self.print_worker is not None:
            self.print_worker.stop(timeout=5)
        self._worker.shutdown(wait=True)
        with self._status_lock:
            if self._status_store is not None:
                self._status_store.close()
                self._status_store = None
        self.service.store.close()


class StatusPoller:
    """Calls ``deliver(snapshot)`` every ``interval`` seconds from a thread of its own."""

    def __init__(self, terminal: Terminal, deliver: Callable[[Snapshot], None], interval: float = 1.0):
        self.terminal, self.deliver, self.interval = terminal, deliver, interval
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status", daemon=True)

    def start(self) -> StatusPoller:
        self._thread.start()
        return self

    def poke(self) -> None:
        """Refresh now (after a sale, a sync, a reader state change)."""
        self._poke.set()

    def stop(self) -> None:
        self._stop.set()
        self._poke.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.deliver(self.terminal.status_snapshot())
            except Exception:       # a bad read must not kill the status bar for good
                log.exception("status read failed")
            self._poke.wait(max(0.05, self.interval - (time.monotonic() - started)))
            self._poke.clear()
