"""Keyboard-wedge badge readers: readers that "type" the badge's number followed by Enter.

Two parts:

* ``WedgeParser`` -- pure: fed one character at a time with the time it was typed, it returns
  a ``Line`` when Enter ends what was typed: the number it decodes to, or why it is not one.
  A number typed too slowly is dropped with a logged reason -- never a UID in the log, and
  never turned into a *wrong* UID.
* ``WedgeReader`` -- the backend: reads a Linux input device (``/dev/input/event*``) through
  python-evdev, grabbed so that the keys do not also land in whatever window has the focus,
  or a text stream (``-`` for standard input, or any file-like object given in code). What it
  decodes goes through the readers' one check (``base.check_read``): a line that is not a
  number, or a number no badge has, is a refused read ("tap again"), not a badge.

Formats (``[reader] wedge_format``), as reader manuals name them (see docs/readers.md):

* ``hex`` -- the UID's bytes in hexadecimal ("Hex", "10H" for a 125 kHz EM4100 reader),
  upper or lower case, either run together (``04A1B2C3``) or with ``:``, ``-`` or a space
  between every byte (``04:a1:b2:c3``). Five bytes are an EM4100 id (125 kHz);
* ``decimal10`` -- a 4-byte 13.56 MHz UID as one decimal number, zero-padded to 10 digits
  (``0077705923``), as cheap MIFARE readers type it;
* ``8h10d`` -- an EM4100 reader's "8H10D": the id's last 4 bytes (its 32 data bits) as a
  10-digit decimal number (``0040856634``).

``wedge_reverse_bytes`` says that the reader gives the bytes in the reverse order (many cheap
readers read the UID as a little-endian number). ``wedge_prefix`` and ``wedge_suffix`` are
characters the reader is set to type before and after the number (pcProx's "pre/post card
ID delimiters"): they must be there, and are taken off.

>>> p = WedgeParser("hex")
>>> [p.feed(c, 0.0) for c in "04:a1:b2:c3\\n"][-1]
Line(uid='04A1B2C3', family='iso', why='')
>>> p = WedgeParser("decimal10", reverse_bytes=True)
>>> p.uids("3283263748\\n", 0.0)
['04A1B2C3']
>>> WedgeParser("decimal10").feed_text("4294967296\\n", 0.0)    # > 2**32 - 1: not a number
[Line(uid=None, family='iso', why='a 10-digit number above 4294967295 cannot be 4 bytes')]
"""
from __future__ import annotations

import codecs
import errno
import logging
import os
import re
import select
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple

from drivers.badge.base import (
    EM,
    ISO,
    READ_GARBLED,
    ReaderConfigError,
    ReaderSettings,
    ReaderState,
    SelectLoopReader,
)

try:
    import evdev
    from evdev import ecodes
except ImportError:          # reported by from_config, with what to install
    evdev = None  # type: ignore[assignment]
    ecodes = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

FORMATS = ("hex", "decimal10", "8h10d")
GARBAGE = "\ufffd"          # what a key that cannot be part of a number becomes
_MAX_TYPED = 64             # more than this before Enter is not a badge (a book on a keyboard)
_HEX_PLAIN = re.compile(r"[0-9A-Fa-f]+")
# Separators only between whole bytes, and one kind of separator per number.
_HEX_SEPARATED = re.compile(r"[0-9A-Fa-f]{2}(?:(?P<sep>[:\- ])[0-9A-Fa-f]{2})(?:(?P=sep)[0-9A-Fa-f]{2})*")
_DECIMAL10 = re.compile(r"[0-9]{10}")


class Line(NamedTuple):
    """What one line typed (up to Enter) decodes to: the UID's bytes in hex (not yet checked
    as a badge's: ``base.check_read`` does that), or None and why."""
    uid: str | None
    family: str          # base.ISO or base.EM: what kind of badge such a number comes from
    why: str = ""


class WedgeParser:
    """Turns typed characters into lines. Not thread-safe: one reader thread feeds it.

    ``feed(char, at)`` takes one character (``"\\n"`` or ``"\\r"`` is Enter) and the time
    it was typed, in seconds on any clock that only goes forward; it returns a ``Line`` when
    that character ends one, else None. A pause longer than ``timeout_ms`` between two keys
    drops what was typed before it (0: no limit, for a person typing by hand)."""

    def __init__(self, fmt: str = "hex", reverse_bytes: bool = False, timeout_ms: int = 300,
                 prefix: str = "", suffix: str = ""):
        if fmt not in FORMATS:
            raise ValueError(f"wedge format must be one of {', '.join(FORMATS)} (got {fmt!r})")
        self.fmt = fmt
        self.reverse_bytes = reverse_bytes
        self.timeout = timeout_ms / 1000.0
        self.prefix, self.suffix = prefix, suffix
        self._typed: list[str] = []
        self._last_at = 0.0
        self.dropped = 0            # numbers dropped so far (for `comptoir reader test`)

    def feed(self, char: str, at: float) -> Line | None:
        if self._typed and self.timeout and at - self._last_at > self.timeout:
            self._drop(f"a pause of {(at - self._last_at) * 1000:.0f} ms after "
                       f"{len(self._typed)} keys (limit {self.timeout * 1000:.0f} ms)")
        if char == "\n" or char == "\r":
            if not self._typed:
                return None         # an empty line, or the "\n" of "\r\n"
            text = "".join(self._typed)
            self._typed.clear()
            return decode(text, self.fmt, self.reverse_bytes, self.prefix, self.suffix)
        if len(self._typed) <= _MAX_TYPED:
            self._typed.append(char)
        self._last_at = at
        return None

    def feed_text(self, text: str, at: float) -> list[Line]:
        """Feed several characters typed at the same time; the lines they end."""
        return [line for line in (self.feed(c, at) for c in text) if line is not None]

    def uids(self, text: str, at: float) -> list[str]:
        """``feed_text``, keeping only the numbers (for tests and examples)."""
        return [line.uid for line in self.feed_text(text, at) if line.uid is not None]

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


def decode(text: str, fmt: str, reverse_bytes: bool = False, prefix: str = "",
           suffix: str = "") -> Line:
    """One typed line (without its Enter) → its ``Line``.

    >>> decode("04-A1-B2-C3", "hex")
    Line(uid='04A1B2C3', family='iso', why='')
    >>> decode("04A1B2C3", "hex", reverse_bytes=True).uid
    'C3B2A104'
    >>> decode("0077705923", "decimal10").uid
    '04A1B2C3'
    >>> decode("01026F6C3A", "hex")              # 5 bytes: a 125 kHz EM4100 id
    Line(uid='01026F6C3A', family='em', why='')
    >>> decode("04:A1B2:C3", "hex").why
    'separators must stand between every byte (10 characters)'
    >>> decode("#1/04A1B2C3", "hex", prefix="#1/").uid
    '04A1B2C3'
    """
    family = EM if fmt == "8h10d" else ISO
    if GARBAGE in text or any(not c.isascii() or not c.isprintable() for c in text):
        return Line(None, family, f"keys that are not part of a badge number ({len(text)} characters)")
    if len(text) > _MAX_TYPED:
        return Line(None, family, f"more than {_MAX_TYPED} characters before Enter")
    text = text.strip(" ")
    if prefix or suffix:
        if not (text.startswith(prefix) and text.endswith(suffix)) or \
                len(text) < len(prefix) + len(suffix):
            return Line(None, family, "without the prefix or suffix the reader is set to type"
                                      f" ({len(text)} characters)")
        text = text[len(prefix):len(text) - len(suffix)].strip(" ")
    if fmt in ("decimal10", "8h10d"):
        if not _DECIMAL10.fullmatch(text):
            return Line(None, family, f"expected 10 decimal digits, got {len(text)} characters")
        value = int(text)
        if value > 0xFFFFFFFF:
            return Line(None, family, "a 10-digit number above 4294967295 cannot be 4 bytes")
        raw = value.to_bytes(4, "big")
    else:
        if _HEX_PLAIN.fullmatch(text):
            digits = text
        elif _HEX_SEPARATED.fullmatch(text):
            digits = re.sub(r"[:\- ]", "", text)
        elif all(c in "0123456789abcdefABCDEF:- " for c in text):
            return Line(None, family, f"separators must stand between every byte ({len(text)} characters)")
        else:
            return Line(None, family, f"not hexadecimal ({len(text)} characters)")
        if len(digits) % 2:
            return Line(None, family, f"an odd number of hex digits ({len(digits)})")
        raw = bytes.fromhex(digits)
        if len(raw) == 5:           # no 13.56 MHz UID has 5 bytes; an EM4100 id has
            family = EM
    if reverse_bytes:
        raw = raw[::-1]
    return Line(raw.hex().upper(), family)


# -- Linux input devices, through python-evdev ----------------------------------------------

def _us_layout() -> dict[int, tuple[str, str]]:
    """Key code → (character, with Shift) on a US keyboard, which is what wedge readers type
    unless told otherwise. A reader set up for another layout gives dropped numbers (a
    shifted digit-row key is a symbol here), never wrong UIDs."""
    if ecodes is None:
        return {}
    keys = {f"KEY_{c.upper()}": (c, c.upper()) for c in "abcdefghijklmnopqrstuvwxyz"}
    keys.update({f"KEY_{d}": (d, s) for d, s in zip("1234567890", "!@#$%^&*()")})
    keys.update({"KEY_MINUS": ("-", "_"), "KEY_EQUAL": ("=", "+"), "KEY_LEFTBRACE": ("[", "{"),
                 "KEY_RIGHTBRACE": ("]", "}"), "KEY_SEMICOLON": (";", ":"),
                 "KEY_APOSTROPHE": ("'", '"'), "KEY_GRAVE": ("`", "~"),
                 "KEY_BACKSLASH": ("\\", "|"), "KEY_COMMA": (",", "<"), "KEY_DOT": (".", ">"),
                 "KEY_SLASH": ("/", "?"), "KEY_SPACE": (" ", " "), "KEY_TAB": ("\t", "\t"),
                 "KEY_ENTER": ("\n", "\n"), "KEY_KPENTER": ("\n", "\n"),
                 "KEY_KPMINUS": ("-", "-"), "KEY_KPPLUS": ("+", "+"),
                 "KEY_KPASTERISK": ("*", "*"), "KEY_KPSLASH": ("/", "/"),
                 "KEY_KPDOT": (".", ".")})
    # Digits on the keypad count as digits whatever NumLock says.
    keys.update({f"KEY_KP{d}": (d, d) for d in "0123456789"})
    return {ecodes.ecodes[name]: chars for name, chars in keys.items()}


_US_LAYOUT = _us_layout()
_SHIFT = () if ecodes is None else (ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT)
# Keys that type nothing: ctrl, alt, caps/num lock, meta.
_SILENT = () if ecodes is None else (
    ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL, ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT,
    ecodes.KEY_CAPSLOCK, ecodes.KEY_NUMLOCK, ecodes.KEY_LEFTMETA, ecodes.KEY_RIGHTMETA)
_KEY_DOWN = 1               # evdev.KeyEvent.key_down (0: up, 2: auto-repeat of a held key)


def key_to_char(code: int, shift: bool) -> str | None:
    """The character a key press types (None for a key that types nothing, such as Ctrl).

    >>> key_to_char(ecodes.KEY_A, shift=True), key_to_char(ecodes.KEY_1, shift=False)
    ('A', '1')
    >>> key_to_char(ecodes.KEY_1, shift=True), key_to_char(ecodes.KEY_F1, shift=False)
    ('!', '\\ufffd')
    """
    if code in _SHIFT or code in _SILENT:
        return None
    chars = _US_LAYOUT.get(code)
    if chars is None:
        return GARBAGE
    return chars[1] if shift else chars[0]


class KeyDecoder:
    """evdev ``InputEvent``s → (character, time) pairs, keeping the Shift state. The kernel
    stamps events on the wall clock: ``offset`` (monotonic − wall clock, taken when they are
    read) puts them on the monotonic clock of the idle check."""

    def __init__(self) -> None:
        self._shift: set[int] = set()

    def feed(self, events: Iterable[Any], offset: float = 0.0) -> Iterator[tuple[str, float]]:
        for event in events:
            if event.type != ecodes.EV_KEY:
                continue
            if event.code in _SHIFT:
                (self._shift.add if event.value else self._shift.discard)(event.code)
                continue
            if event.value != _KEY_DOWN:        # releases, and auto-repeat of a held key
                continue
            char = key_to_char(event.code, bool(self._shift))
            if char is not None:
                yield char, event.timestamp() + offset


# -- the backend ----------------------------------------------------------------------------

class WedgeReader(SelectLoopReader):
    """A keyboard-wedge reader.

    ``device`` is a path to a Linux input device (``/dev/input/event3``, or
    ``/dev/input/by-id/usb-...-event-kbd``, which survives re-plugging), ``"-"`` for standard
    input, or a file-like object (text or bytes) typed into. The input device is opened with
    ``open_device`` (python-evdev's ``InputDevice``) and re-opened every half second while it
    is missing, so the reader comes back when it is plugged in again. A text stream that ends
    ends the reader (state disconnected, "input ended")."""

    name = "wedge"
    RETRY_SECONDS = 0.5

    def __init__(self, device: str | IO = "-", parser: WedgeParser | None = None,
                 open_device: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        self.device = device
        self.parser = parser or WedgeParser()
        self.open_device = open_device or (evdev.InputDevice if evdev is not None else None)

    @classmethod
    def from_config(cls, section: ReaderSettings) -> WedgeReader:
        try:
            parser = WedgeParser(section.wedge_format, section.wedge_reverse_bytes,
                                 section.wedge_timeout_ms, section.wedge_prefix,
                                 section.wedge_suffix)
        except ValueError as exc:
            raise ReaderConfigError(f"reader.wedge_format: {exc}") from None
        if not section.wedge_device:
            raise ReaderConfigError("reader.wedge_device: empty (an input device, or - )")
        if section.wedge_device != "-" and evdev is None:
            raise ReaderConfigError("reader.wedge_device: an input device needs python-evdev:"
                                    " pip install evdev")
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
        line = self.parser.feed(char, at)
        if line is None:
            return
        if line.uid is None:
            self._refuse(READ_GARBLED, line.why)
        else:               # checked there: a number no badge has is refused too
            self._emit(line.uid, line.uid, line.family)

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
        if self.open_device is None:
            self._set_state(ReaderState.ERROR, "python-evdev is not installed: pip install evdev",
                            "setup")
            return
        while not self._stopping.is_set():
            try:
                device = self.open_device(path)
            except OSError as exc:
                self._set_state(ReaderState.DISCONNECTED, _open_reason(path, exc),
                                "setup" if exc.errno == errno.EACCES else "not_found")
                self._stopping.wait(self.RETRY_SECONDS)
                continue
            try:
                _grab(device, path)
                self._set_state(ReaderState.CONNECTED)
                ended = self._pump_events(device)
            except OSError as exc:      # ENODEV: unplugged
                self.parser.end()
                self._set_state(ReaderState.DISCONNECTED,
                                f"keyboard reader unplugged or not answering ({exc.strerror})")
                self._stopping.wait(self.RETRY_SECONDS)
                continue
            finally:
                device.close()
            if ended:
                self.parser.end()
                self._set_state(ReaderState.DISCONNECTED, "input ended")
                return

    def _pump_events(self, device: Any) -> bool:
        """Read key events until stop (False) or the end of the input (True)."""
        keys = KeyDecoder()
        while not self._stopping.is_set():
            if not self._wait_readable(device.fileno()):
                continue
            try:
                events = list(device.read())
            except BlockingIOError:
                continue
            if not events:      # readable, and nothing: the end (a device gives ENODEV)
                return True
            offset = time.monotonic() - time.time()
            for char, at in keys.feed(events, offset):
                self._deliver(char, at)
        return False


def _grab(device: Any, path: str) -> None:
    # Exclusive: the badge's digits must not also be typed into the UI or a terminal.
    try:
        device.grab()
    except OSError as exc:
        log.info("keyboard reader %s: not grabbed (%s): its keys may also reach the "
                 "focused window", path, exc.strerror)


def _open_reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"no keyboard reader at {path} (plugged in?)"
    if exc.errno == errno.EACCES:
        return f"no permission to read {path} (add the kiosk's user to the 'input' group)"
    return f"cannot open {path}: {exc.strerror}"
