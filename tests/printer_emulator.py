"""A network receipt printer on loopback for tests: accepts raw TCP connections (like port
9100), records each connection's bytes as one job, and answers the ESC/POS real-time status
queries (DLE EOT 1, 2, 4) from its state: paper out, cover open. ``stop()`` switches it off
(connections refused), ``start()`` on again on the same port.

``hold_confirm``: a printer busy printing. While the event is clear, the status question that
follows a job's bytes goes unanswered (the worker waits inside ``send``).

Real-time queries are recognised anywhere in the stream (as a printer does); the project's own
job bytes never contain DLE EOT (text is in a code page, QR data is text, lengths are small).
"""
from __future__ import annotations

import socket
import threading

DLE_EOT = b"\x10\x04"


class PrinterEmulator:
    def __init__(self, port: int = 0):
        self.port = port
        self.paper_out = False
        self.cover_open = False
        self.jobs: list[bytes] = []
        self.queries: list[int] = []
        self.connections = 0
        self.hold_confirm = threading.Event()
        self.hold_confirm.set()                 # set: answer at once
        self.holding = threading.Event()        # a job's confirmation is being held
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

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

    def stop(self) -> None:
        """Switch off: no new connection; the ones in progress finish first."""
        sock, self._listener = self._listener, None
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

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
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

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        job = bytearray()
        pending = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data = pending + chunk
                pending = b""
                i = 0
                while i < len(data):
                    at = data.find(DLE_EOT, i)
                    if at < 0:
                        keep = 1 if data.endswith(b"\x10") else 0
                        job += data[i:len(data) - keep]
                        pending = data[len(data) - keep:]
                        break
                    if at + 2 >= len(data):            # DLE EOT without its n yet
                        job += data[i:at]
                        pending = data[at:]
                        break
                    job += data[i:at]
                    n = data[at + 2]
                    self.queries.append(n)
                    if job and n == 1 and not self.hold_confirm.is_set():
                        self.holding.set()             # busy printing this job
                        self.hold_confirm.wait(30)
                        self.holding.clear()
                    try:
                        conn.sendall(bytes([self._status(n)]))
                    except OSError:
                        break
                    i = at + 3
        if job:
            with self._lock:
                self.jobs.append(bytes(job))
