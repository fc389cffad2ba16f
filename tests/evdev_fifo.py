"""A keyboard-wedge reader's key events without a keyboard: what the kernel's evdev gives a
program, fed through a FIFO.

The real part would be a virtual keyboard made with ``evdev.UInput`` on ``/dev/uinput``; this
machine (and CI's, a container) has neither ``/dev/uinput`` nor the ``uinput`` module
(``/proc/misc`` lists no uinput) nor any ``/dev/input`` device. So the seam is the narrowest
one left: ``FifoInputDevice`` is python-evdev's own ``InputDevice`` -- its ``read()`` (the C
``device_read_many`` that unpacks ``struct input_event``), ``grab()`` (the EVIOCGRAB ioctl,
which a FIFO refuses, as a device already grabbed by another program would), ``fileno()``
and ``close()`` -- with only its constructor's identity ioctls (name, version, capabilities),
which a FIFO cannot answer, left out. The test writes ``struct input_event`` records, as the
kernel lays them out, into the FIFO.
"""
from __future__ import annotations

import os
import struct

import evdev
from evdev import ecodes
from evdev.device import DeviceInfo

# struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; }
# (native sizes: 24 bytes on 64-bit Linux, 16 on 32-bit): what the kernel writes.
INPUT_EVENT = struct.Struct("llHHi")


class FifoInputDevice(evdev.InputDevice):
    """``evdev.InputDevice`` on a FIFO (see the module's docstring)."""

    def __init__(self, path) -> None:           # noqa: D107 - no super().__init__: see above
        self.path = os.fspath(path)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.info = DeviceInfo(0x03, 0, 0, 0)    # BUS_USB
        self.name, self.phys, self.uniq = "FIFO keyboard", "", ""
        self.version = 0x010001
        self._rawcapabilities = {ecodes.EV_KEY: list(range(1, 128))}
        self.ff_effects_count = 0


def input_events(*keys: tuple[int, int, float]) -> bytes:
    """``struct input_event`` records for (code, value, time) key events, each followed by the
    SYN_REPORT the kernel sends after it."""
    out = []
    for code, value, at in keys:
        sec, usec = int(at), int(round((at - int(at)) * 1e6))
        out.append(INPUT_EVENT.pack(sec, usec, ecodes.EV_KEY, code, value))
        out.append(INPUT_EVENT.pack(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    return b"".join(out)


_SHIFTED = dict(zip("!@#$%^&*()", "1234567890")) | {
    ":": ";", "_": "-", "+": "=", "{": "[", "}": "]", '"': "'", "~": "`", "|": "\\",
    "<": ",", ">": ".", "?": "/"}
_NAMES = {"-": "MINUS", "=": "EQUAL", "[": "LEFTBRACE", "]": "RIGHTBRACE", ";": "SEMICOLON",
          "'": "APOSTROPHE", "`": "GRAVE", "\\": "BACKSLASH", ",": "COMMA", ".": "DOT",
          "/": "SLASH", " ": "SPACE", "\n": "ENTER", "\t": "TAB"}


def key_of(char: str) -> tuple[int, bool]:
    """The key a US keyboard types ``char`` with, and whether Shift is held."""
    shift = char.isupper() or char in _SHIFTED
    base = _SHIFTED.get(char, char.lower())
    return ecodes.ecodes["KEY_" + _NAMES.get(base, base.upper())], shift


def typed(text: str, at: float, step: float = 0.004, shift_letters: bool = True):
    """Key events for ``text`` as a wedge reader types it on a US layout (Shift for capitals
    and symbols; ``shift_letters=False`` types capitals without it, as some readers do: the
    same digits, in lower case), from time ``at``; returns (events, the time after the last)."""
    keys = []
    for c in text:
        code, shift = key_of(c)
        shift = shift and (shift_letters or not c.isalpha())
        if shift:
            keys.append((ecodes.KEY_LEFTSHIFT, 1, at))
        keys += [(code, 1, at), (code, 0, at)]
        if shift:
            keys.append((ecodes.KEY_LEFTSHIFT, 0, at))
        at += step
    return keys, at
