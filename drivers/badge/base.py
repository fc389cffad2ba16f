"""The one interface every badge reader implements (like nfcpy's frontend over its drivers).

A reader is started with a callback and calls it, from its own thread, once per badge
presented: a card left on the reader is one event, not a stream. It reconnects by itself when
its device comes back, and reports its state so that the UI can show a banner.

The UID in an event is already normalised (upper-case hex, no separators, 4 to 10 bytes:
``normalise_uid`` here, the same rule as the store's) and is a number a badge can have: every
backend hands what it read to ``_emit``, which checks it with ``check_read`` (one rule for all
readers) and refuses what cannot be a badge -- the first half of a 7-byte UID, an all-zero
read, a length no card has -- with a ``RefusedRead`` (its code says why; the terminal words
it as "tap again"). Nothing here logs a UID: it is personal data.

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


class UnlikelyRead(InvalidUid):
    """A well-formed number that no badge can have (``check_read``): ``code`` says which
    rule refused it, one of ``READ_REFUSALS``."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


# Why a read was refused (``RefusedRead.code``); the terminal words each for the canteen worker.
READ_FRAGMENT = "read_fragment"     # the first cascade level of a longer ISO 14443 UID
READ_BLANK = "read_blank"           # all bits 0 or all 1: the reader read nothing
READ_LENGTH = "read_length"         # a number of bytes no supported card has
READ_GARBLED = "read_garbled"       # not a number at all (a keyboard reader's garbled line)
READ_REFUSALS = (READ_FRAGMENT, READ_BLANK, READ_LENGTH, READ_GARBLED)

# Card families, as the backend knows what it reads.
ISO = "iso"     # 13.56 MHz: ISO/IEC 14443 A (4, 7, 10 bytes), 14443 B PUPI (4), FeliCa IDm (8)
EM = "em"       # 125 kHz EM4100/4102: the 5-byte id, or its 4 data bytes (8H10D readers)
FAMILY_LENGTHS = {ISO: (4, 7, 8, 10), EM: (4, 5)}
CASCADE_TAG = 0x88  # ISO/IEC 14443-3: starts a cascade level that the UID continues


def check_read(uid: str | bytes, family: str = ISO) -> str:
    """What a reader read (bytes, or hex as ``normalise_uid`` takes it) → the normalised
    UID, if a badge of ``family`` can have it; else ``UnlikelyRead`` (``read_garbled`` for
    what is not even hex), whose detail never repeats the number.

    >>> check_read(bytes.fromhex("04a1b2c3"))
    '04A1B2C3'
    >>> for read in ("88041122", "00000000", "FFFFFFFFFFFFFF", "0411223344"):
    ...     try:
    ...         check_read(read)
    ...     except UnlikelyRead as e:
    ...         print(e.code, "-", e.detail)
    read_fragment - 4 bytes starting with the cascade tag 88: the first part of a longer UID
    read_blank - 4 bytes all 00
    read_blank - 7 bytes all FF
    read_length - 5 bytes: no 13.56 MHz badge has that length (4, 7, 8 or 10)
    >>> check_read("0411223344", family=EM)
    '0411223344'
    """
    if isinstance(uid, str):
        try:
            data = bytes.fromhex(normalise_uid(uid))
        except InvalidUid:
            digits = _SEPARATORS.sub("", uid)
            if _HEX_ANY.match(digits) and len(digits) % 2 == 0:
                data = bytes.fromhex(digits)           # hex, but too short or too long
            else:
                raise UnlikelyRead(READ_GARBLED, f"not a hex number ({len(digits)} characters)") \
                    from None
    else:
        data = bytes(uid)
    lengths = FAMILY_LENGTHS[family]
    if data and data.count(data[0]) == len(data) and data[0] in (0x00, 0xFF):
        raise UnlikelyRead(READ_BLANK, f"{len(data)} bytes all {data[0]:02X}")
    if len(data) not in lengths:
        what = "13.56 MHz" if family == ISO else "125 kHz EM4100"
        allowed = ", ".join(map(str, lengths[:-1])) + f" or {lengths[-1]}"
        raise UnlikelyRead(READ_LENGTH, f"{len(data)} bytes: no {what} badge has that length"
                                        f" ({allowed})")
    if family == ISO and len(data) == 4 and data[0] == CASCADE_TAG:
        raise UnlikelyRead(READ_FRAGMENT, "4 bytes starting with the cascade tag 88: the first"
                                          " part of a longer UID")
    return data.hex().upper()


_SEPARATORS = re.compile(r"[\s:\-]")
_HEX_ANY = re.compile(r"^[0-9A-Fa-f]*$")
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
    def wedge_prefix(self) -> str: ...
    @property
    def wedge_suffix(self) -> str: ...
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


class RefusedRead(NamedTuple):
    """A read that cannot be a badge (never a UID in it): the person must tap again."""
    code: str           # one of READ_REFUSALS
    reader: str
    at: float
    detail: str = ""    # English, for the log and ``comptoir reader test``


class Status(NamedTuple):
    state: ReaderState
    reason: str = ""    # why, when disconnected or in error (never contains a UID), in English
    code: str = ""      # the same as a code a screen translates (one of REASON_CODES)


# Why a reader is not reading, as codes a screen says in its own language (the ``reason``
# text, in English, is for the log and ``comptoir reader test``).
REASON_CODES = ("not_started", "stopped", "not_found", "setup", "service", "unplugged", "failed")


BadgeCallback = Callable[[BadgeEvent], None]
StateCallback = Callable[[Status], None]
RefusedCallback = Callable[[RefusedRead], None]


class BadgeReader:
    """Base class: backends implement ``_run`` (their read loop, in a thread of its own).

    ``_run`` must return soon after ``self._stopping`` is set, report state changes with
    ``_set_state`` and deliver badges with ``_emit``."""

    name = "reader"

    def __init__(self) -> None:
        self._callback: BadgeCallback | None = None
        self._on_state: StateCallback | None = None
        self._on_refused: RefusedCallback | None = None
        self._status = Status(ReaderState.DISCONNECTED, "not started", "not_started")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- what callers use ----------------------------------------------------------------
    def start(self, callback: BadgeCallback, on_state: StateCallback | None = None,
              on_refused: RefusedCallback | None = None) -> None:
        """Read badges from a thread of the reader's own: ``callback`` gets each badge,
        ``on_state`` each change of state, ``on_refused`` each read that cannot be a badge."""
        if self._thread is not None:
            raise RuntimeError("reader already started")
        self._callback, self._on_state, self._on_refused = callback, on_state, on_refused
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
        self._set_state(ReaderState.DISCONNECTED, "stopped", "stopped")

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

    def _set_state(self, state: ReaderState, reason: str = "", code: str = "") -> None:
        """``code``: one of ``REASON_CODES``; by default "unplugged" when disconnected,
        "failed" in error."""
        if not code and state is not ReaderState.CONNECTED:
            code = "failed" if state is ReaderState.ERROR else "unplugged"
        status = Status(state, reason, code)
        with self._lock:
            changed, self._status = status != self._status, status
        if changed:
            log.info("reader %s: %s%s", self.name, state.value, f" ({reason})" if reason else "")
            if self._on_state is not None:
                self._on_state(status)

    def _emit(self, uid: str | bytes, raw: str = "", family: str = ISO) -> None:
        """Deliver what the reader read: a badge event if ``check_read`` accepts it, else a
        refusal. Every backend's reads come through here, so one rule holds for all."""
        at = time.monotonic()
        try:
            checked = check_read(uid, family)
        except InvalidUid as exc:
            self._refuse(exc.code if isinstance(exc, UnlikelyRead) else READ_GARBLED,
                         exc.detail, at)
            return
        if self._callback is not None:
            self._callback(BadgeEvent(checked, self.name, at, raw))

    def _refuse(self, code: str, detail: str, at: float | None = None) -> None:
        """A read that cannot be a badge: logged with why (never the number), and reported."""
        log.warning("reader %s: read refused, tap again: %s", self.name, detail)
        if self._on_refused is not None:
            self._on_refused(RefusedRead(code, self.name, time.monotonic() if at is None else at,
                                         detail))

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

    def start(self, callback: BadgeCallback, on_state: StateCallback | None = None,
              on_refused: RefusedCallback | None = None) -> None:
        if self._wake_r < 0:
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_w, False)
        super().start(callback, on_state, on_refused)

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
