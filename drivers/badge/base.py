"""The one interface every badge reader implements (like nfcpy's frontend over its drivers).

A reader is started with a callback and calls it, from its own thread, once per badge
presented: a card left on the reader is one event, not a stream. It reconnects by itself when
its device comes back, and reports its state so that the UI can show a banner.

The UID in an event is already normalised (upper-case hex, no separators, 4 to 10 bytes:
``normalise_uid`` here, the same rule as the store's). Nothing here logs a UID: it is personal
data.

Readers raise their own errors (``ReaderError`` and its kinds), each with a stable ``code``;
the terminal (``kiosk.hardware``) turns them into what the canteen worker reads.

>>> normalise_uid("04:a2:2b:1c")
'04A22B1C'
>>> try:
...     normalise_uid("zz")
... except InvalidUid as e:
...     print(e.code, "-", e.detail)
bad_badge - 2 characters, expected 8 to 20 hex digits
"""
from __future__ import annotations

import enum
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import NamedTuple, Protocol

log = logging.getLogger(__name__)


class ReaderError(Exception):
    """A badge reader problem: ``code`` says which kind (stable, for programs), ``detail`` what
    exactly (English, never a UID)."""

    code = "reader_error"

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__(detail or self.code)


class ReaderConfigError(ReaderError, ValueError):
    """The ``[reader]`` settings cannot work (unknown backend, missing device, a library not
    installed): ``detail`` names the setting."""

    code = "config_error"


class InvalidUid(ReaderError, ValueError):
    """What a reader (or a caller of ``SimulatedReader.inject``) gave is not a badge UID."""

    code = "bad_badge"


_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"^(?:[0-9A-F]{2}){4,10}$")


def normalise_uid(raw: str) -> str:
    """Upper-case hex without separators, 4 to 10 bytes; else ``InvalidUid`` (whose detail
    does not repeat the value: it may be a real badge's)."""
    if isinstance(raw, str) and _HEX.match(raw):      # already normalised: the usual case
        return raw
    uid = _SEPARATORS.sub("", str(raw)).upper()
    if not _HEX.match(uid):
        raise InvalidUid(f"{len(uid)} characters, expected 8 to 20 hex digits")
    return uid


class ReaderSettings(Protocol):
    """What the readers' ``from_config`` read of a ``[reader]`` section
    (``kiosk.config.ReaderSection`` has it; the drivers import nothing of the terminal's)."""
    @property
    def backend(self) -> str: ...
    @property
    def pcsc_reader(self) -> str: ...
    @property
    def nfc_device(self) -> str: ...
    @property
    def wedge_device(self) -> str: ...
    @property
    def wedge_format(self) -> str: ...
    @property
    def wedge_reverse_bytes(self) -> bool: ...
    @property
    def wedge_timeout_ms(self) -> int: ...
    @property
    def simulated_socket(self) -> str: ...


class ReaderState(enum.Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"


class BadgeEvent(NamedTuple):
    uid: str            # normalised: upper-case hex, no separators
    reader: str         # the reader's name, as the backend knows it
    at: float           # time.monotonic() when the badge was read
    raw: str = ""       # what the device gave before normalising (for `comptoir reader test`)


class Status(NamedTuple):
    state: ReaderState
    reason: str = ""    # why, when disconnected or in error (never contains a UID)


BadgeCallback = Callable[[BadgeEvent], None]
StateCallback = Callable[[Status], None]


class BadgeReader:
    """Base class: backends implement ``_run`` (their read loop, in a thread of its own).

    ``_run`` must return soon after ``self._stopping`` is set, report state changes with
    ``_set_state`` and deliver badges with ``_emit``."""

    name = "reader"

    def __init__(self) -> None:
        self._callback: BadgeCallback | None = None
        self._on_state: StateCallback | None = None
        self._status = Status(ReaderState.DISCONNECTED, "not started")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- what callers use ----------------------------------------------------------------
    def start(self, callback: BadgeCallback, on_state: StateCallback | None = None) -> None:
        if self._thread is not None:
            raise RuntimeError("reader already started")
        self._callback, self._on_state = callback, on_state
        self._stopping.clear()
        self._thread = threading.Thread(target=self._guarded_run, name=f"reader-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._set_state(ReaderState.DISCONNECTED, "stopped")

    @property
    def status(self) -> Status:
        with self._lock:
            return self._status

    @property
    def state(self) -> ReaderState:
        return self.status.state

    # -- what backends use ---------------------------------------------------------------
    def _run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _wake(self) -> None:
        """Interrupt a blocking wait in ``_run`` when stopping (backends override if needed)."""

    def _set_state(self, state: ReaderState, reason: str = "") -> None:
        status = Status(state, reason)
        with self._lock:
            changed, self._status = status != self._status, status
        if changed:
            log.info("reader %s: %s%s", self.name, state.value, f" ({reason})" if reason else "")
            if self._on_state is not None:
                self._on_state(status)

    def _emit(self, uid: str, raw: str = "") -> None:
        if self._callback is not None:
            self._callback(BadgeEvent(uid, self.name, time.monotonic(), raw))

    def _guarded_run(self) -> None:
        # A backend bug must show as a reader in error, not as a silently dead thread.
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - reported as the reader's state
            log.exception("reader %s stopped on an error", self.name)
            self._set_state(ReaderState.ERROR, f"{type(exc).__name__}: {exc}")


class SelectLoopReader(BadgeReader):
    """A reader whose loop waits in ``select()``: ``stop()`` (and anything that calls
    ``_wake``) interrupts the wait through a pipe whose read end, ``_wake_r``, the loop adds
    to what it selects on, and drains with ``_drain_wake``."""

    def __init__(self) -> None:
        super().__init__()
        self._wake_r = self._wake_w = -1

    def start(self, callback: BadgeCallback, on_state: StateCallback | None = None) -> None:
        if self._wake_r < 0:
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_w, False)
        super().start(callback, on_state)

    def stop(self, timeout: float = 5.0) -> None:
        thread = self._thread
        super().stop(timeout)
        if thread is None or not thread.is_alive():     # else the loop may still select on it
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def _wake(self) -> None:
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"x")
            except OSError:         # pipe full: the loop is awake anyway
                pass

    def _drain_wake(self) -> None:
        os.read(self._wake_r, 4096)
