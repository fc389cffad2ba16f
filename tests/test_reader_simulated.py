"""The simulated reader: taps injected from code, and UIDs sent to its local datagram socket."""
from __future__ import annotations

import logging
import os
import socket
import stat

import pytest

from drivers.badge import open_reader
from drivers.badge.base import InvalidUid, ReaderState
from drivers.badge.simulated import SimulatedReader
from kiosk.config import ReaderSection
from tests.readers import Recorder


@pytest.fixture
def sock_path(tmp_path):
    return str(tmp_path / "badge.sock")


def send(path: str, data: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(data, path)


def test_inject_from_code():
    reader = SimulatedReader()
    rec = Recorder()
    reader.start(rec.event, rec.state)
    reader.inject("04:a1:b2:c3")
    reader.inject("0A0B0C0D")
    with pytest.raises(InvalidUid):
        reader.inject("zz")                 # refused at the caller, nothing emitted
    rec.wait_events(2, 2)
    reader.stop()
    assert rec.uids == ["04A1B2C3", "0A0B0C0D"]
    assert [s.state for s in rec.statuses] == [ReaderState.CONNECTED, ReaderState.DISCONNECTED]


def test_taps_before_stop_are_delivered():
    reader = SimulatedReader()
    rec = Recorder()
    reader.start(rec.event)
    for i in range(50):
        reader.inject(f"04{i:06X}")
    reader.stop()
    assert rec.uids == [f"04{i:06X}" for i in range(50)]


def test_socket_datagrams(sock_path, caplog):
    reader = open_reader(ReaderSection(backend="simulated", simulated_socket=sock_path))
    rec = Recorder()
    reader.start(rec.event, rec.state)
    try:
        rec.wait(lambda r: r.statuses, 2)
        assert reader.status.state is ReaderState.CONNECTED
        mode = os.stat(sock_path).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
        with caplog.at_level(logging.WARNING, logger="drivers.badge.simulated"):
            send(sock_path, b"04:a1:b2:c3\n")
            send(sock_path, b"zz")                          # not a UID
            send(sock_path, b"04A1B2C3\n05B1C2D3")          # two lines: not one longer UID
            send(sock_path, b"\xff\xfe\xfd\xfc")            # not text
            send(sock_path, b"")                            # empty
            send(sock_path, b"A" * 300)                     # oversized
            send(sock_path, b"04112233445566")
            reader.inject("0A0B0C0D")                       # code and socket together
            rec.wait_events(3, 2)
        assert sorted(rec.uids) == ["04112233445566", "04A1B2C3", "0A0B0C0D"]
        assert rec.uids.index("04A1B2C3") < rec.uids.index("04112233445566")
        assert "not a badge UID (2 characters" in caplog.text
        assert "more than one line" in caplog.text
        assert "not text (4 bytes)" in caplog.text
        assert "empty" in caplog.text and "more than 256 bytes" in caplog.text
        assert "04A1B2C3" not in caplog.text and "05B1C2D3" not in caplog.text
    finally:
        reader.stop()
    assert not os.path.exists(sock_path), "the socket file is removed at stop"


def test_stale_socket_is_replaced_but_never_a_file(sock_path, tmp_path):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(sock_path)                   # left behind by a killed kiosk
    stale.close()
    reader = SimulatedReader(sock_path)
    rec = Recorder()
    reader.start(rec.event, rec.state)
    rec.wait(lambda r: r.statuses, 2)
    assert reader.status.state is ReaderState.CONNECTED
    send(sock_path, b"04A1B2C3")
    rec.wait_events(1, 2)
    reader.stop()

    not_a_socket = tmp_path / "notes.txt"
    not_a_socket.write_text("keep me")
    reader = SimulatedReader(str(not_a_socket))
    rec = Recorder()
    reader.start(rec.event, rec.state)
    rec.wait(lambda r: r.statuses, 2)
    assert reader.status.state is ReaderState.ERROR
    assert reader.status.reason.startswith(f"cannot open the badge socket {not_a_socket}")
    reader.stop()
    assert not_a_socket.read_text() == "keep me"


def test_docstring_examples():
    import doctest

    from drivers.badge import simulated
    result = doctest.testmod(simulated)
    assert result.attempted > 0 and result.failed == 0
