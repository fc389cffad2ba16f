"""The keyboard-wedge backend: the parser on every format (tables, and vectors quoted from
readers' manuals), reads that cannot be a badge refused, the reader on a text stream (a real
pipe), and on the input-device path through python-evdev, fed ``struct input_event`` records
through a FIFO (tests/evdev_fifo.py says why a FIFO and not /dev/uinput)."""
from __future__ import annotations

import io
import logging
import os
import threading
import time

import evdev
import pytest
from hypothesis import given, settings, strategies as st

from drivers.badge import open_reader
from drivers.badge.base import InvalidUid, ReaderState, check_read
from drivers.badge.wedge import Line, WedgeParser, WedgeReader, decode
from kiosk.config import ReaderSection
from tests.evdev_fifo import INPUT_EVENT, FifoInputDevice, input_events, typed
from tests.readers import started  # noqa: F401 (a fixture)

# (format, reverse_bytes, what the reader types, the UIDs expected)
PARSER_CASES = [
    # hex, plain
    ("hex", False, "04A1B2C3\n", ["04A1B2C3"]),
    ("hex", False, "04a1b2c3\n", ["04A1B2C3"]),
    ("hex", False, "04a1B2c3\n", ["04A1B2C3"]),
    ("hex", False, "04112233445566\n", ["04112233445566"]),
    ("hex", False, "04112233445566778899\n", ["04112233445566778899"]),
    # hex with separators between bytes
    ("hex", False, "04:a1:b2:c3\n", ["04A1B2C3"]),
    ("hex", False, "04-A1-B2-C3\n", ["04A1B2C3"]),
    ("hex", False, "04 A1 B2 C3\n", ["04A1B2C3"]),
    ("hex", False, "04:11:22:33:44:55:66\n", ["04112233445566"]),
    ("hex", False, " 04A1B2C3 \n", ["04A1B2C3"]),             # stray spaces at the ends
    # hex, reversed byte order
    ("hex", True, "C3B2A104\n", ["04A1B2C3"]),
    ("hex", True, "c3:b2:a1:04\n", ["04A1B2C3"]),
    ("hex", True, "66554433221104\n", ["04112233445566"]),
    # decimal10: the 32-bit UID as a zero-padded decimal number
    ("decimal10", False, "0077705923\n", ["04A1B2C3"]),
    ("decimal10", True, "3283263748\n", ["04A1B2C3"]),
    ("decimal10", False, "0000000001\n", ["00000001"]),
    ("decimal10", True, "0000000001\n", ["01000000"]),
    ("decimal10", False, "0000000000\n", []),        # all bits 0: the reader read nothing
    ("decimal10", False, "4294967295\n", []),        # all bits 1: likewise
    # Enter variants, and two badges back to back
    ("hex", False, "04A1B2C3\r\n", ["04A1B2C3"]),
    ("hex", False, "04A1B2C3\r", ["04A1B2C3"]),
    ("hex", False, "04A1B2C3\r\n0A0B0C0D\r\n", ["04A1B2C3", "0A0B0C0D"]),
    ("hex", False, "04A1B2C3\n04A1B2C3\n", ["04A1B2C3", "04A1B2C3"]),
    ("decimal10", False, "0077705923\n0000000001\n", ["04A1B2C3", "00000001"]),
    ("hex", False, "\n\r\n\n04A1B2C3\n\n", ["04A1B2C3"]),    # empty lines are nothing
    # garbage and impossible values: dropped, never a wrong UID
    ("hex", False, "hello\n", []),
    ("hex", False, "04A1B2C3X\n", []),
    ("hex", False, "04A1B2C\n", []),                 # odd number of digits
    ("hex", False, "04A1B2\n", []),                  # 3 bytes
    ("hex", False, "0411223344556677889900\n", []),  # 11 bytes
    ("hex", False, "04:A1B2:C3\n", []),              # a separator inside a byte pair
    ("hex", False, "0:4A1B2C3\n", []),
    ("hex", False, "04::A1:B2:C3\n", []),
    ("hex", False, "04:A1-B2:C3\n", []),             # two kinds of separators
    ("hex", False, "04\tA1B2C3\n", []),
    ("hex", False, "0x04A1B2C3\n", []),
    ("hex", False, "04A1B2C3" * 10 + "\n", []),      # 80 characters
    ("hex", False, "04é1B2C3\n", []),
    ("decimal10", False, "4294967296\n", []),        # > 2**32 - 1
    ("decimal10", False, "9999999999\n", []),
    ("decimal10", False, "077705923\n", []),         # 9 digits
    ("decimal10", False, "00077705923\n", []),       # 11 digits
    ("decimal10", False, "04A1B2C3\n", []),          # hex where decimal is expected
    ("decimal10", False, "0077-705923\n", []),
    ("hex", False, "garbage\n04A1B2C3\n", ["04A1B2C3"]),     # garbage, then a good badge
    ("hex", False, "04A1B2C3", []),                   # no Enter (yet)
]


def accepted(parser: WedgeParser, text: str) -> list[str]:
    """What the reader emits for ``text``: the parser's lines that ``check_read`` (every
    reader's one check) accepts. One key every 5 ms, as a wedge reader types."""
    out = []
    for i, c in enumerate(text):
        line = parser.feed(c, 100.0 + i * 0.005)
        if line is not None and line.uid is not None:
            try:
                out.append(check_read(line.uid, line.family))
            except InvalidUid:
                pass
    return out


@pytest.mark.parametrize("fmt, reverse, typed_text, expected", PARSER_CASES,
                         ids=[repr(c[2])[:30] + (" rev" if c[1] else "") for c in PARSER_CASES])
def test_parser_formats(fmt, reverse, typed_text, expected):
    assert accepted(WedgeParser(fmt, reverse_bytes=reverse, timeout_ms=300), typed_text) == expected


def test_a_pause_in_the_middle_of_a_number_drops_it(caplog):
    parser = WedgeParser("hex", timeout_ms=300)
    with caplog.at_level(logging.WARNING, logger="drivers.badge.wedge"):
        assert parser.feed_text("04A1", 10.0) == []
        assert parser.uids("B2C3\n", 10.5) == ["B2C3"]     # 500 ms later: the head dropped
        assert parser.uids("04A1B2C3\n", 11.0) == ["04A1B2C3"]   # the next one reads
    assert parser.dropped == 1
    assert check_read_code("B2C3") == "read_length"      # the tail alone: refused by the reader
    assert "a pause of 500 ms after 4 keys" in caplog.text
    for secret in ("04A1", "B2C3", "04A1B2C3"):
        assert secret not in caplog.text


def test_a_late_enter_drops_the_number():
    parser = WedgeParser("decimal10", timeout_ms=300)
    assert parser.feed_text("0077705923", 1.0) == []
    assert parser.feed_text("\n", 1.4) == []
    parser = WedgeParser("decimal10", timeout_ms=0)         # 0: no limit (typed by hand)
    assert parser.feed_text("0077705923", 1.0) == []
    assert parser.uids("\n", 9.0) == ["04A1B2C3"]


def check_read_code(uid: str, family: str = "iso") -> str:
    try:
        check_read(uid, family)
    except InvalidUid as e:
        return e.code
    return "accepted"


def test_every_drop_says_why_without_the_number(started, caplog):
    reader = WedgeReader(io.StringIO("4294967296\n123\n"), WedgeParser("decimal10"))
    with caplog.at_level(logging.WARNING, logger="drivers.badge"):
        rec = started(reader)
        rec.wait(lambda r: r.last_state == (ReaderState.DISCONNECTED, "input ended", "unplugged"), 2)
    assert "above 4294967295" in caplog.text
    assert "expected 10 decimal digits, got 3 characters" in caplog.text
    assert "4294967296" not in caplog.text.replace("4294967295", "")
    assert "123" not in caplog.text
    assert [r.code for r in rec.refused] == ["read_garbled"] * 2


def test_decode_reasons():
    assert decode("04A1B2", "hex") == Line("04A1B2", "iso")    # too short: the reader refuses it
    assert decode("04A1B2C", "hex") == Line(None, "iso", "an odd number of hex digits (7)")
    assert decode("zz", "hex") == Line(None, "iso", "not hexadecimal (2 characters)")
    assert decode("#1/04A1B2C3", "hex", prefix="#2/").why == \
        "without the prefix or suffix the reader is set to type (11 characters)"


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        WedgeParser("octal")


# -- the reader on a text stream --------------------------------------------------------------

def test_reader_on_a_pipe(started, caplog):
    r, w = os.pipe()
    with os.fdopen(r, "rb", buffering=0) as stream:
        reader = WedgeReader(stream, WedgeParser("hex", timeout_ms=200))
        rec = started(reader)
        with caplog.at_level(logging.WARNING, logger="drivers.badge.wedge"):
            os.write(w, b"04:a1:b2:c3\r\n")
            rec.wait_events(1, 2)
            os.write(w, b"0A0B")                # a half-typed number...
            time.sleep(0.4)                     # ...then silence: dropped when it expires
            assert "nothing more typed for 200 ms after 4 keys" in caplog.text
            os.write(w, b"0C0D\n")              # a lone tail: 2 bytes, dropped too
            os.write(w, b"0A0B0C0D\n04112233445566\n")
            rec.wait_events(3, 2)
            os.close(w)                         # the stream ends
            rec.wait(lambda r: r.last_state == (ReaderState.DISCONNECTED, "input ended", "unplugged"), 2)
    assert rec.uids == ["04A1B2C3", "0A0B0C0D", "04112233445566"]
    assert rec.events[0].reader == "wedge"


def test_reader_on_an_in_memory_stream(started):
    reader = WedgeReader(io.StringIO("0077705923\n4294967296\n0000000001\n"),
                         WedgeParser("decimal10"))
    rec = started(reader)
    rec.wait(lambda r: r.last_state == (ReaderState.DISCONNECTED, "input ended", "unplugged"), 2)
    assert rec.uids == ["04A1B2C3", "00000001"]


def test_stop_is_prompt_on_a_silent_stream():
    r, w = os.pipe()
    with os.fdopen(r, "rb", buffering=0) as stream:
        reader = WedgeReader(stream, WedgeParser(timeout_ms=0))     # no idle wake-ups at all
        reader.start(lambda e: None)
        time.sleep(0.1)
        began = time.monotonic()
        reader.stop()
        assert time.monotonic() - began < 1.0
        assert reader.status.state is ReaderState.DISCONNECTED
    os.close(w)


def test_from_config():
    reader = open_reader(ReaderSection(backend="wedge", wedge_device="/dev/input/event7",
                                       wedge_format="decimal10", wedge_reverse_bytes=True,
                                       wedge_timeout_ms=150))
    assert isinstance(reader, WedgeReader)
    assert reader.device == "/dev/input/event7"
    assert (reader.parser.fmt, reader.parser.reverse_bytes, reader.parser.timeout) == \
        ("decimal10", True, 0.15)
    assert reader.open_device is evdev.InputDevice         # the ecosystem's library
    reader = open_reader(ReaderSection(backend="wedge", wedge_format="8h10d", wedge_prefix="#1/",
                                       wedge_suffix="!"))
    assert (reader.parser.fmt, reader.parser.prefix, reader.parser.suffix) == ("8h10d", "#1/", "!")


# -- the reader on an input device, through python-evdev --------------------------------------

@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "event-kbd"
    os.mkfifo(path)
    return path


KP_ENTER = evdev.ecodes.KEY_KPENTER
SHIFT = evdev.ecodes.KEY_LEFTSHIFT
ONE = evdev.ecodes.KEY_1


def test_input_device_records(fifo, started):
    reader = WedgeReader(str(fifo), WedgeParser("hex", timeout_ms=300), FifoInputDevice)
    rec = started(reader)
    now = time.time()           # the kernel stamps events on the wall clock
    keys = []
    k, now = typed("04A1B2C3\n", now)                        # letters with Shift
    keys += k
    k, now = typed("0a0b0c0d\n", now, shift_letters=False)   # and without
    keys += k
    k, now = typed("04:11:22:33:44:55:66", now)
    keys += k + [(KP_ENTER, 1, now), (KP_ENTER, 0, now)]      # the keypad's Enter
    k, now = typed("0A0B", now + 0.01)                        # half a number...
    keys += k
    k, now = typed("0C0D\n", now + 0.5)                       # ...the rest 500 ms later
    keys += k
    keys += [(SHIFT, 1, now), (ONE, 1, now), (ONE, 0, now), (SHIFT, 0, now)]
    k, now = typed("0A1B2C3\n", now)                          # "!0A1B2C3": garbage
    keys += k
    k, now = typed("1234ABCD\n", now + 0.01)
    keys += k
    # Auto-repeat of a held key (value 2) types nothing more.
    keys += [(ONE, 1, now), (ONE, 2, now), (ONE, 2, now), (ONE, 0, now)]
    k, now = typed("1223344\n", now)
    keys += k
    data = input_events(*keys)
    assert len(data) % INPUT_EVENT.size == 0
    with open(fifo, "wb", buffering=0) as device:       # opens once the reader has it open
        rec.wait(lambda r: r.last_state.state is ReaderState.CONNECTED, 2)
        step = INPUT_EVENT.size * 5
        for i in range(0, len(data), step):             # a few records per write, as the kernel
            device.write(data[i:i + step])
        rec.wait_events(5, 3)
    rec.wait(lambda r: r.last_state == (ReaderState.DISCONNECTED, "input ended", "unplugged"), 2)
    assert rec.uids == ["04A1B2C3", "0A0B0C0D", "04112233445566", "1234ABCD", "11223344"]
    # the tail typed after the pause (2 bytes), and the line after "!": refused, "tap again"
    assert [r.code for r in rec.refused] == ["read_length", "read_garbled"]


def test_input_device_plugged_in_later(tmp_path, started):
    path = tmp_path / "by-id-kbd"
    reader = WedgeReader(str(path), WedgeParser("decimal10"), FifoInputDevice)
    rec = started(reader)
    rec.wait(lambda r: r.statuses, 2)
    assert reader.status == (ReaderState.DISCONNECTED, f"no keyboard reader at {path} (plugged in?)",
                             "not_found")
    os.mkfifo(path)                                     # plugged in
    took = rec.wait(lambda r: r.last_state.state is ReaderState.CONNECTED, 2)
    assert took < 1.0
    keys, _ = typed("0077705923\n", time.time())

    def device_types():
        with open(path, "wb", buffering=0) as device:
            device.write(input_events(*keys))
    writer = threading.Thread(target=device_types)
    writer.start()
    rec.wait_events(1, 2)
    writer.join(2)
    assert rec.uids == ["04A1B2C3"]


# -- a property: what a reader types round-trips, and one wrong key never makes a UID ---------


@settings(max_examples=200, deadline=None)
@given(uid=st.binary(min_size=4, max_size=10), reverse=st.booleans(),
       sep=st.sampled_from(["", ":", "-", " "]), lower=st.booleans(),
       enter=st.sampled_from(["\n", "\r", "\r\n"]))
def test_hex_round_trip(uid, reverse, sep, lower, enter):
    sent = uid[::-1] if reverse else uid
    text = sep.join(f"{b:02x}" if lower else f"{b:02X}" for b in sent)
    parser = WedgeParser("hex", reverse_bytes=reverse)
    assert parser.uids(text + enter + text + enter, 0.0) == [uid.hex().upper()] * 2


@settings(max_examples=200, deadline=None)
@given(value=st.integers(0, 2**32 - 1), reverse=st.booleans())
def test_decimal10_round_trip(value, reverse):
    uid = value.to_bytes(4, "big")
    parser = WedgeParser("decimal10", reverse_bytes=reverse)
    expected = (uid[::-1] if reverse else uid).hex().upper()
    assert parser.uids(f"{value:010d}\n", 0.0) == [expected]


@settings(max_examples=300, deadline=None)
@given(uid=st.binary(min_size=4, max_size=10), fmt=st.sampled_from(["hex", "decimal10"]),
       data=st.data())
def test_one_stray_key_never_makes_a_wrong_uid(uid, fmt, data):
    text = uid.hex().upper() if fmt == "hex" else f"{int.from_bytes(uid[:4], 'big'):010d}"
    allowed = "0123456789ABCDEFabcdef:- " if fmt == "hex" else "0123456789"
    stray = data.draw(st.characters(blacklist_characters=allowed + "\r\n"))
    at = data.draw(st.integers(0, len(text)))
    parser = WedgeParser(fmt)
    got = parser.uids(text[:at] + stray + text[at:] + "\n", 0.0)
    if stray == " " and at in (0, len(text)):
        # A space before or after the number is padding, trimmed: the digits, and so the
        # UID, are untouched. Anywhere else it is garbage.
        assert got == [uid[:4].hex().upper()]
    else:
        assert got == []


def test_docstring_examples():
    import doctest

    from drivers.badge import wedge
    result = doctest.testmod(wedge)
    assert result.attempted > 0 and result.failed == 0
