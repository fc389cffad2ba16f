"""A network receipt printer on loopback for tests: accepts raw TCP connections (like port
9100) and behaves as an ESC/POS printer does with what it reads:

- the real-time status query ``DLE EOT n`` (n = 1, 2, 4) is answered as soon as it is read,
  from the printer's state (paper out, cover open), wherever it is in the stream;
- everything else goes into the receive buffer, which is *processed* (printed) in order; the
  status request ``GS r 1`` is answered when the processing reaches it, i.e. once everything
  before it has printed. A printer offline (paper out, cover open) processes nothing;
- one printer, one paper roll: connections are printed in the order they came, each one's
  bytes once the earlier ones' are printed (a closed connection's buffer still prints, as on a
  printer); each connection's printed bytes are one job (``jobs``, once it has ended).

Faults, as seen on real printers:

- ``reading.clear()``: the printer takes connections but reads nothing (a network box whose
  printer hung or is off): bytes pile up unread in the socket, no question is answered;
- ``processing.clear()``: it reads (and answers ``DLE EOT``) but prints nothing (stuck
  mechanism, hung firmware): the buffer grows, ``GS r`` stays unanswered;
- ``power_cycle()``: switched off and on: open connections are reset, and every byte not yet
  printed (unread in the socket, or waiting in the buffer) is lost; it comes back fresh.

``stop()`` switches it off (connections refused), ``start()`` on again on the same port.
``hold_confirm``: a printer busy printing: while the event is clear, the confirmation that
follows a job's bytes (``GS r``, or ``DLE EOT 1`` after them) waits (``holding`` is set).

The project's own job bytes never contain ``DLE EOT n`` or ``GS r n`` (text is in a code page,
QR data is text, lengths are small).
"""
from __future__ import annotations

import select
import socket
import struct
import threading
import time

DLE_EOT = b"\x10\x04"
GS_R = b"\x1dr"


class PrinterEmulator:
    def __init__(self, port: int = 0):
        self.port = port
        self.paper_out = False
        self.cover_open = False
        self._slots: list[tuple[bytearray, bytearray, list[bool]]] = []   # buffer, printed, ended
        self.queries: list[int] = []            # DLE EOT n asked, in order
        self.confirms = 0                       # GS r answered
        self.connections = 0
        self.hold_confirm = threading.Event()
        self.hold_confirm.set()                 # set: answer at once
        self.holding = threading.Event()        # a job's confirmation is being held
        self.reading = threading.Event()
        self.reading.set()
        self.processing = threading.Event()
        self.processing.set()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._power = 0                         # bumped by every switch off

    @property
    def jobs(self) -> list[bytes]:
        """What each ended connection printed, in the order it printed."""
        with self._lock:
            return [bytes(printed) for _, printed, ended in self._slots if ended[0] and printed]

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self) -> PrinterEmulator:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(8)
        self.port = sock.getsockname()[1]
        self._listener = sock
        t = threading.Thread(target=self._accept, args=(sock,), daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self, drop: bool = False) -> None:
        """Switch off: no new connection; the ones in progress finish first, unless ``drop``
        (power lost: they are reset, what was not printed is lost)."""
        sock, self._listener = self._listener, None
        if drop:
            with self._lock:
                self._power += 1
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.hold_confirm.set()
        for t in self._threads:
            t.join(5)
        self._threads = [t for t in self._threads if t.is_alive()]

    def power_cycle(self) -> None:
        """Off (losing every byte not printed) and on again, reading and printing."""
        self.stop(drop=True)
        self.reading.set()
        self.processing.set()
        self.start()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            slot: tuple[bytearray, bytearray, list[bool]] = (bytearray(), bytearray(), [False])
            with self._lock:
                self.connections += 1
                power = self._power
                self._slots.append(slot)
            t = threading.Thread(target=self._serve, args=(conn, power, slot), daemon=True)
            t.start()
            self._threads.append(t)

    def _status(self, n: int) -> int:
        offline = self.paper_out or self.cover_open
        if n == 1:
            return 0x12 | (0x08 if offline else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        if n == 4:
            return 0x12 | (0x60 if self.paper_out else 0)
        return 0x12

    def _hold(self) -> None:
        if not self.hold_confirm.is_set():
            self.holding.set()                 # busy printing this job
            self.hold_confirm.wait(30)
            self.holding.clear()

    def _serve(self, conn: socket.socket, power: int,
               slot: tuple[bytearray, bytearray, list[bool]]) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer, printed, ended = slot          # read, not processed yet; processed: on paper
        pending = b""                          # the start of a command cut by the read
        with conn:
            while True:
                if self._power != power:       # switched off: unread and unprinted bytes lost
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                if not self.reading.is_set():
                    self.reading.wait(0.02)
                    continue
                if not select.select([conn], [], [], 0.02)[0]:
                    self._process(conn, buffer, printed)
                    continue
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                answered, pending = self._real_time(conn, pending + chunk, buffer, printed)
                if not answered:
                    break
                self._process(conn, buffer, printed)
            # The host is gone: what the buffer holds still prints (when the printer does),
            # unless the power goes first.
            while buffer and self._power == power:
                if self._printing(buffer):
                    self._process(conn, buffer, printed)
                    with self._lock:
                        printed += buffer          # (a command cut short: nothing follows)
                        buffer.clear()
                else:
                    time.sleep(0.02)
        with self._lock:                       # (a job cut by a power loss: what printed)
            buffer.clear()
            ended[0] = True

    def _real_time(self, conn: socket.socket, data: bytes, buffer: bytearray,
                   printed: bytearray) -> tuple[bool, bytes]:
        """Answer the DLE EOT queries in ``data`` now; the rest goes to the buffer. Returns
        (False if the connection is gone, the unfinished tail to keep for the next read)."""
        i = 0
        while i < len(data):
            at = data.find(DLE_EOT, i)
            if at < 0:
                keep = 1 if data.endswith(b"\x10") else 0
                buffer += data[i:len(data) - keep]
                return True, data[len(data) - keep:]
            if at + 2 >= len(data):            # DLE EOT without its n yet
                buffer += data[i:at]
                return True, data[at:]
            buffer += data[i:at]
            n = data[at + 2]
            self.queries.append(n)
            if n == 1 and (buffer or printed):   # after a job: the "received" confirmation
                self._hold()
            try:
                conn.sendall(bytes([self._status(n)]))
            except OSError:
                return False, b""
            i = at + 3
        return True, b""

    def _printing(self, buffer: bytearray) -> bool:
        """Whether this connection's buffer prints now: the printer prints, and every earlier
        connection's bytes are on paper."""
        if not self.processing.is_set() or self.paper_out or self.cover_open:
            return False
        with self._lock:
            for earlier, _, _ in self._slots:
                if earlier is buffer:
                    return True
                if earlier:
                    return False
        return True

    def _process(self, conn: socket.socket, buffer: bytearray, printed: bytearray) -> None:
        """Print what the buffer holds, answering GS r where it stands."""
        while buffer and self._printing(buffer):
            at = buffer.find(GS_R)
            if at < 0:
                keep = 1 if buffer.endswith(b"\x1d") else 0
                printed += buffer[:len(buffer) - keep]
                del buffer[:len(buffer) - keep]
                return
            if at + 2 >= len(buffer):          # GS r without its n yet
                printed += buffer[:at]
                del buffer[:at]
                return
            printed += buffer[:at]
            del buffer[:at + 3]
            self._hold()
            try:
                conn.sendall(bytes([0x00]))   # paper adequate; bits 4 and 7 clear
            except OSError:
                continue                      # nobody to tell: printing goes on
            with self._lock:
                self.confirms += 1
