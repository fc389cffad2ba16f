"""The nfcpy backend against nfcpy's UDP driver on loopback, the badge being a second process
(tests/nfc_peer.py): nfcpy's own Type 3 (FeliCa) tag emulation, and an ISO 14443-A card of
the tests' own for 4-, 7- and 10-byte UIDs.

Over UDP the "reader" is a local socket, which always opens: an unplugged reader is shown with
paths nfcpy really fails to open, and with a frontend whose device the test takes away
(``PluggableFrontend``: the one seam, see there)."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nfc
import pytest

from drivers.badge import open_reader
from drivers.badge.base import ReaderState
from drivers.badge.nfcpy_reader import NfcpyReader
from kiosk.config import ReaderSection
from tests.readers import started  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    """A badge process on 127.0.0.1:port (see tests/nfc_peer.py)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.nfc_peer", *args], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready", "the badge peer did not start"

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)
        for f in (self.proc.stdin, self.proc.stdout):
            f.close()


@pytest.fixture
def port():
    return free_udp_port()


@pytest.fixture
def typea(port):
    peer = Peer("typea", str(port))
    yield peer
    peer.close()


@pytest.mark.parametrize("uid", ["A1B2C3D4", "04112233445566", "04112233445566778899"],
                         ids=["4-byte", "7-byte", "10-byte"])
def test_type_a_card_is_one_event_per_presentation(port, typea, started, uid):
    reader = NfcpyReader(f"udp:127.0.0.1:{port}", targets=["106A"])
    rec = started(reader)
    rec.wait(lambda r: r.last_state.state is ReaderState.CONNECTED, 3)

    typea.say(f"present {uid}")
    rec.wait_events(1, 3)
    time.sleep(1.0)                         # left on the reader: polled ~10 times meanwhile
    assert rec.uids == [uid]
    assert rec.events[0].reader == "nfc" and rec.events[0].raw == uid

    typea.say("absent")
    time.sleep(1.5)                         # one unanswered poll (1 s over UDP): gone
    assert rec.uids == [uid]
    typea.say(f"present {uid}")             # presented again: a second event
    rec.wait_events(2, 3)
    typea.say("present 0A0B0C0D")           # swapped for another card without a gap
    rec.wait_events(3, 4)
    assert rec.uids == [uid, uid, "0A0B0C0D"]


def test_felica_tag_emulated_by_nfcpy(port, started):
    # Default targets (106A, 106B, 212F): the emulated tag answers only 212F polls.
    reader = open_reader(ReaderSection(backend="nfc", nfc_device=f"udp:127.0.0.1:{port}"))
    assert isinstance(reader, NfcpyReader)
    rec = started(reader)
    tag = Peer("felica", str(port), "0312ABCDEF012345")
    try:
        rec.wait_events(1, 6)
        time.sleep(1.5)                     # left on the reader
        assert rec.uids == ["0312ABCDEF012345"]     # the IDm
    finally:
        tag.close()
    time.sleep(1.2)                         # taken away: the next presence poll times out
    tag = Peer("felica", str(port), "0312000000000001")
    try:
        rec.wait_events(2, 6)
    finally:
        tag.close()
    assert rec.uids == ["0312ABCDEF012345", "0312000000000001"]


def test_no_badge_peer_is_a_connected_reader_with_no_events(port, started):
    # Over UDP the reader is the local socket: it opens. Nobody answering is "no badge".
    reader = NfcpyReader(f"udp:127.0.0.1:{port}", targets=["106A"])
    rec = started(reader)
    time.sleep(1.5)
    assert reader.status.state is ReaderState.CONNECTED
    assert rec.events == []
    began = time.monotonic()
    reader.stop()
    assert time.monotonic() - began < 2.0, "stop() waits at most one short poll"
    assert reader.status == (ReaderState.DISCONNECTED, "stopped", "stopped")


@pytest.mark.parametrize("path", ["usb:ffff:ffff", "tty:COMPTOIR9:pn532"])
def test_a_reader_that_is_not_there_is_disconnected_and_retried(path, started):
    opened = []

    def counting_frontend():
        opened.append(1)
        return nfc.ContactlessFrontend()
    reader = NfcpyReader(path, frontend_factory=counting_frontend)
    rec = started(reader)
    rec.wait(lambda r: len(opened) >= 3, 3, "three attempts to open")
    assert reader.status == (ReaderState.DISCONNECTED, f"no NFC reader found at {path}", "not_found")
    assert rec.events == []


class PluggableFrontend(nfc.ContactlessFrontend):
    """nfcpy's real frontend, whose device the test plugs and unplugs: the only seam, because
    no USB reader can be plugged in on a CI machine. Unplugged, ``open`` finds nothing (what
    nfcpy answers when no USB reader is there), and an open frontend loses its device, so
    that nfcpy itself raises IOError(ENODEV) at the next ``sense``, as its USB drivers do."""

    plugged = threading.Event()
    opened: list = []

    def open(self, path):
        if not self.plugged.is_set():
            return False
        self.opened.append(self)
        return super().open(path)

    @classmethod
    def unplug(cls):
        cls.plugged.clear()
        for clf in cls.opened:
            clf.close()


def test_unplugged_reader_comes_back_within_two_seconds(port, typea, started):
    PluggableFrontend.plugged.clear()
    PluggableFrontend.opened = []
    reader = NfcpyReader(f"udp:127.0.0.1:{port}", targets=["106A"],
                         frontend_factory=PluggableFrontend)
    rec = started(reader)
    rec.wait(lambda r: r.statuses, 2)
    assert reader.status == (ReaderState.DISCONNECTED, f"no NFC reader found at udp:127.0.0.1:{port}",
                             "not_found")
    typea.say("present A1B2C3D4")
    time.sleep(0.7)
    assert rec.events == []

    PluggableFrontend.plugged.set()         # plugged in
    took = rec.wait(lambda r: r.last_state.state is ReaderState.CONNECTED, 2)
    assert took < 2.0
    rec.wait_events(1, 3)

    PluggableFrontend.unplug()              # pulled out with the card on it
    rec.wait(lambda r: r.last_state.state is ReaderState.DISCONNECTED, 3)
    reason = reader.status.reason
    assert "unplugged or not answering" in reason and "No such device" in reason, reason
    time.sleep(0.6)
    assert reader.status.state is ReaderState.DISCONNECTED    # still trying, still down

    PluggableFrontend.plugged.set()         # back
    rec.wait(lambda r: r.last_state.state is ReaderState.CONNECTED, 2)
    rec.wait_events(2, 3)                   # the card still on it is read again
    assert rec.uids == ["A1B2C3D4", "A1B2C3D4"]


def test_docstring_examples():
    import doctest

    from drivers.badge import nfcpy_reader
    from tests import nfc_peer
    for module in (nfcpy_reader, nfc_peer):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
