"""Keyboard-wedge badge readers: readers that "type" the badge's number followed by Enter.

Two parts:

* ``WedgeParser`` -- pure: fed one character at a time with the time it was typed, it returns
  a normalised UID when Enter ends a well-formed number. Anything else (garbage, a number
  typed too slowly, a value that cannot be a UID) is dropped with a logged reason -- never a
  UID in the log, and never turned into a *wrong* UID.
* ``WedgeReader`` -- the backend: reads a Linux input device (``/dev/input/event*``: raw
  ``struct input_event`` records, grabbed with EVIOCGRAB so the keys do not also land in
  whatever window has the focus) or a text stream (``-`` for standard input, or any
  file-like object given in code).

Formats (``[reader] wedge_format``):

* ``hex`` -- the UID's bytes in hexadecimal, upper or lower case, either run together
  (``04A1B2C3``) or separated by ``:``, ``-`` or a space between every byte (``04:a1:b2:c3``);
* ``decimal10`` -- the 32-bit UID as one decimal number, zero-padded to 10 digits
  (``0077705923``), as cheap readers emit.

``wedge_reverse_bytes`` says that the reader gives the bytes in the reverse order (many cheap
readers read the UID as a little-endian number).

>>> p = WedgeParser("hex")
>>> [p.feed(c, 0.0) for c in "04:a1:b2:c3\\n"][-1]
'04A1B2C3'
>>> p = WedgeParser("decimal10", reverse_bytes=True)
>>> p.feed_text("3283263748\\n", 0.0)
['04A1B2C3']
>>> WedgeParser("decimal10").feed_text("4294967296\\n", 0.0)    # > 2**32 - 1: dropped
[]
"""
from __future__ import annotations

import codecs
import errno
import fcntl
import logging
import os
import re
import select
import struct
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from drivers.badge.base import ReaderConfigError, ReaderSettings, ReaderState, SelectLoopReader

log = logging.getLogger(__name__)

FORMATS = ("hex", "decimal10")
GARBAGE = "\ufffd"          # what a key that cannot be part of a number becomes
_MAX_TYPED = 64             # more than this before Enter is not a badge (a book on a keyboard)
_HEX_PLAIN = re.compile(r"[0-9A-Fa-f]+")
# Separators only between whole bytes, and one kind of separator per number.
_HEX_SEPARATED = re.compile(r"[0-9A-Fa-f]{2}(?:(?P<sep>[:\- ])[0-9A-Fa-f]{2})(?:(?P=sep)[0-9A-Fa-f]{2})*")
_DECIMAL10 = re.compile(r"[0-9]{10}")


class WedgeParser:
    """Turns typed characters into UIDs. Not thread-safe: one reader thread feeds it.

    ``feed(char, at)`` takes one character (``"\\n"`` or ``"\\r"`` is Enter) and the time it
    was typed, in seconds on any clock that only goes forward; it returns the normalised UID
    when that character completes one, else None. A pause longer than ``timeout_ms`` between
    two keys drops what was typed before it (0: no limit, for a person typing by hand)."""

    def __init__(self, fmt: str = "hex", reverse_bytes: bool = False, timeout_ms: int = 300):
        if fmt not in FORMATS:
            raise ValueError(f"wedge format must be one of {', '.join(FORMATS)} (got {fmt!r})")
        self.fmt = fmt
        self.reverse_bytes = reverse_bytes
        self.timeout = timeout_ms / 1000.0
        self._typed: list[str] = []
        self._last_at = 0.0
        self.dropped = 0            # numbers dropped so far (for `comptoir reader test`)

    def feed(self, char: str, at: float) -> str | None:
        if self._typed and self.timeout and at - self._last_at > self.timeout:
            self._drop(f"a pause of {(at - self._last_at) * 1000:.0f} ms after "
                       f"{len(self._typed)} keys (limit {self.timeout * 1000:.0f} ms)")
        if char == "\n" or char == "\r":
            if not self._typed:
                return None         # an empty line, or the "\n" of "\r\n"
            text = "".join(self._typed)
            self._typed.clear()
            uid, why = decode(text, self.fmt, self.reverse_bytes)
            if uid is None:
                self._drop(why)
            return uid
        if len(self._typed) <= _MAX_TYPED:
            self._typed.append(char)
        self._last_at = at
        return None

    def feed_text(self, text: str, at: float) -> list[str]:
        """Feed several characters typed at the same time; the UIDs they complete."""
        return [uid for uid in (self.feed(c, at) for c in text) if uid is not None]

    def expire(self, now: float) -> None:
        """Drop a half-typed number whose pause has already run out (called when idle, so
        that the reason is logged when it happens rather than at the next key)."""
        if self._typed and self.timeout and now - self._last_at > self.timeout:
            self._drop(f"nothing more typed for {self.timeout * 1000:.0f} ms after "
                       f"{len(self._typed)} keys, and no Enter")

    def end(self) -> None:
        """The input ended: drop what was typed without an Enter."""
        if self._typed:
            self._drop(f"the input ended after {len(self._typed)} keys, before Enter")

    def _drop(self, why: str) -> None:
        # The reason says how much and why, never what: a typed number may be a real UID.
        self._typed.clear()
        self.dropped += 1
        log.warning("keyboard reader: ignored what was typed: %s", why)


def decode(text: str, fmt: str, reverse_bytes: bool = False) -> tuple[str | None, str]:
    """One typed line (without its Enter) → (normalised UID, "") or (None, why).

    >>> decode("04-A1-B2-C3", "hex")
    ('04A1B2C3', '')
    >>> decode("04A1B2C3", "hex", reverse_bytes=True)
    ('C3B2A104', '')
    >>> decode("0077705923", "decimal10")
    ('04A1B2C3', '')
    >>> decode("04:A1B2:C3", "hex")[1]
    'separators must stand between every byte (10 characters)'
    """
    text = text.strip(" ")
    if GARBAGE in text or any(not c.isascii() or not c.isprintable() for c in text):
        return None, f"keys that are not part of a badge number ({len(text)} characters)"
    if len(text) > _MAX_TYPED:
        return None, f"more than {_MAX_TYPED} characters before Enter"
    if fmt == "decimal10":
        if not _DECIMAL10.fullmatch(text):
            return None, f"expected 10 decimal digits, got {len(text)} characters"
        value = int(text)
        if value > 0xFFFFFFFF:
            return None, "a 10-digit number above 4294967295 cannot be a 4-byte UID"
        raw = value.to_bytes(4, "big")
    else:
        if _HEX_PLAIN.fullmatch(text):
            digits = text
        elif _HEX_SEPARATED.fullmatch(text):
            digits = re.sub(r"[:\- ]", "", text)
        elif all(c in "0123456789abcdefABCDEF:- " for c in text):
            return None, f"separators must stand between every byte ({len(text)} characters)"
        else:
            return None, f"not hexadecimal ({len(text)} characters)"
        if len(digits) % 2:
            return None, f"an odd number of hex digits ({len(digits)})"
        if not 4 <= len(digits) // 2 <= 10:
            return None, f"{len(digits) // 2} bytes, a badge UID has 4 to 10"
        raw = bytes.fromhex(digits)
    if reverse_bytes:
        raw = raw[::-1]
    return raw.hex().upper(), ""


# -- Linux input devices --------------------------------------------------------------------

# struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; }
# (native sizes: 24 bytes on 64-bit Linux, 16 on 32-bit).
INPUT_EVENT = struct.Struct("llHHi")
EV_KEY = 0x01
KEY_RELEASE, KEY_PRESS, KEY_REPEAT = 0, 1, 2
EVIOCGRAB = 0x40044590      # _IOW('E', 0x90, int)
EVIOCSCLOCKID = 0x400445A0  # _IOW('E', 0xa0, int): which clock stamps the events

# Key codes (linux/input-event-codes.h) as a US-layout keyboard types them, which is what wedge
# readers send unless told otherwise. Digits on the keypad count as digits whatever NumLock
# says. A shifted digit-row key is a symbol on a US keyboard ("!"), so it is garbage, never a
# digit: a reader set up for another layout gives dropped numbers, not wrong UIDs.
_DIGIT_ROW = {2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0"}
_KEYPAD = {82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8",
           73: "9", 74: "-"}
_HEX_LETTERS = {30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F"}
_ENTER = (28, 96)                     # KEY_ENTER, KEY_KPENTER
_SHIFT = (42, 54)                     # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
_IGNORED = (29, 97, 56, 100, 58, 69, 125, 126)   # ctrl, alt, caps/num lock, meta: no character
KEY_MINUS, KEY_SEMICOLON, KEY_SPACE = 12, 39, 57


def key_to_char(code: int, shift: bool) -> str | None:
    """The character a key press types (None for a key that types nothing, such as Ctrl).

    >>> key_to_char(30, shift=True), key_to_char(2, shift=False), key_to_char(2, shift=True)
    ('A', '1', '\\ufffd')
    """
    if code in _ENTER:
        return "\n"
    if code in _DIGIT_ROW:
        return GARBAGE if shift else _DIGIT_ROW[code]
    if code in _KEYPAD:
        return _KEYPAD[code]
    if code in _HEX_LETTERS:
        return _HEX_LETTERS[code]
    if code == KEY_MINUS:
        return GARBAGE if shift else "-"
    if code == KEY_SEMICOLON:
        return ":" if shift else GARBAGE
    if code == KEY_SPACE:
        return " "
    if code in _SHIFT or code in _IGNORED:
        return None
    return GARBAGE


class KeyDecoder:
    """``struct input_event`` bytes → (character, time) pairs, keeping the Shift state.
    Reads may end in the middle of a record: the rest is kept for the next ``feed``."""

    def __init__(self) -> None:
        self._pending = b""
        self._shift: set[int] = set()

    def feed(self, data: bytes) -> Iterator[tuple[str, float]]:
        data = self._pending + data
        whole = len(data) - len(data) % INPUT_EVENT.size
        self._pending = data[whole:]
        for sec, usec, etype, code, value in INPUT_EVENT.iter_unpack(data[:whole]):
            if etype != EV_KEY:
                continue
            if code in _SHIFT:
                (self._shift.add if value else self._shift.discard)(code)
                continue
            if value != KEY_PRESS:        # releases, and auto-repeat of a held key
                continue
            char = key_to_char(code, bool(self._shift))
            if char is not None:
                yield char, sec + usec / 1e6


def input_events(*keys: tuple[int, int, float]) -> bytes:
    """``struct input_event`` records for (code, value, time) key events, each followed by the
    SYN_REPORT the kernel sends after it (used by the tests and the benchmark)."""
    out = []
    for code, value, at in keys:
        sec, usec = int(at), int(round((at - int(at)) * 1e6))
        out.append(INPUT_EVENT.pack(sec, usec, EV_KEY, code, value))
        out.append(INPUT_EVENT.pack(sec, usec, 0, 0, 0))
    return b"".join(out)


# -- the backend ----------------------------------------------------------------------------

class WedgeReader(SelectLoopReader):
    """A keyboard-wedge reader.

    ``device`` is a path to a Linux input device (``/dev/input/event3``, or
    ``/dev/input/by-id/usb-...-event-kbd``, which survives re-plugging), ``"-"`` for standard
    input, or a file-like object (text or bytes) typed into. The input device is re-opened
    every half second while it is missing, so the reader comes back when it is plugged in
    again. A text stream that ends ends the reader (state disconnected, "input ended")."""

    name = "wedge"
    RETRY_SECONDS = 0.5

    def __init__(self, device: str | IO = "-", parser: WedgeParser | None = None) -> None:
        super().__init__()
        self.device = device
        self.parser = parser or WedgeParser()

    @classmethod
    def from_config(cls, section: ReaderSettings) -> WedgeReader:
        try:
            parser = WedgeParser(section.wedge_format, section.wedge_reverse_bytes,
                                 section.wedge_timeout_ms)
        except ValueError as exc:
            raise ReaderConfigError(f"reader.wedge_format: {exc}") from None
        if not section.wedge_device:
            raise ReaderConfigError("reader.wedge_device: empty (an input device, or - )")
        return cls(section.wedge_device, parser)

    # -- the loop ------------------------------------------------------------------------
    def _run(self) -> None:
        if isinstance(self.device, str) and self.device != "-":
            self._run_input_device(self.device)
        elif isinstance(self.device, str):
            self._run_stream(sys.stdin.buffer)
        else:
            self._run_stream(self.device)

    def _deliver(self, char: str, at: float) -> None:
        uid = self.parser.feed(char, at)
        if uid is not None:
            self._emit(uid, uid)

    def _wait_readable(self, fd: int) -> bool:
        """Wait for ``fd`` (or the idle timeout, or stop). True when ``fd`` can be read."""
        idle = self.parser.timeout or None
        ready, _, _ = select.select([fd, self._wake_r], [], [], idle)
        if not ready:
            self.parser.expire(time.monotonic())
        return fd in ready and not self._stopping.is_set()

    def _run_stream(self, stream: IO[Any]) -> None:
        self._set_state(ReaderState.CONNECTED)
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        if fd is None:      # an in-memory stream (tests): read it to the end
            while not self._stopping.is_set():
                chunk = stream.read(4096)
                if not chunk:
                    break
                now = time.monotonic()
                for char in chunk.decode() if isinstance(chunk, bytes) else chunk:
                    self._deliver(char, now)
        else:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            while not self._stopping.is_set():
                if not self._wait_readable(fd):
                    continue
                chunk = os.read(fd, 4096)
                now = time.monotonic()
                if not chunk:
                    break
                for char in decoder.decode(chunk):
                    self._deliver(char, now)
        if not self._stopping.is_set():
            self.parser.end()
            self._set_state(ReaderState.DISCONNECTED, "input ended")

    def _run_input_device(self, path: str) -> None:
        while not self._stopping.is_set():
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as exc:
                self._set_state(ReaderState.DISCONNECTED, _open_reason(path, exc))
                self._stopping.wait(self.RETRY_SECONDS)
                continue
            try:
                self._grab(fd, path)
                self._set_state(ReaderState.CONNECTED)
                ended = self._pump_events(fd)
            except OSError as exc:      # ENODEV: unplugged
                self.parser.end()
                self._set_state(ReaderState.DISCONNECTED,
                                f"keyboard reader unplugged or not answering ({exc.strerror})")
                self._stopping.wait(self.RETRY_SECONDS)
                continue
            finally:
                os.close(fd)
            if ended:
                self.parser.end()
                self._set_state(ReaderState.DISCONNECTED, "input ended")
                return

    def _pump_events(self, fd: int) -> bool:
        """Read key events until stop (False) or the end of the input (True)."""
        keys = KeyDecoder()
        while not self._stopping.is_set():
            if not self._wait_readable(fd):
                continue
            try:
                data = os.read(fd, INPUT_EVENT.size * 64)
            except BlockingIOError:
                continue
            if not data:
                return True
            for char, at in keys.feed(data):
                self._deliver(char, at)
        return False

    @staticmethod
    def _grab(fd: int, path: str) -> None:
        # Exclusive: the badge's digits must not also be typed into the UI or a terminal.
        try:
            fcntl.ioctl(fd, EVIOCGRAB, 1)
        except OSError as exc:
            log.info("keyboard reader %s: not grabbed (%s): its keys may also reach the "
                     "focused window", path, exc.strerror)
        # Events stamped on the monotonic clock, like the idle check's (the default, the
        # wall clock, jumps when NTP sets it).
        try:
            fcntl.ioctl(fd, EVIOCSCLOCKID, struct.pack("i", time.CLOCK_MONOTONIC))
        except OSError:
            pass


def _open_reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"no keyboard reader at {path} (plugged in?)"
    if exc.errno == errno.EACCES:
        return f"no permission to read {path} (add the kiosk's user to the 'input' group)"
    return f"cannot open {path}: {exc.strerror}"
