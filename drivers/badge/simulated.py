"""A reader with no hardware, for the demo and the UI tests: badges are injected from code
(``inject``), or, when ``[reader] simulated_socket`` names a path, sent to a local Unix
datagram socket, one UID per datagram::

    printf 04A1B2C3 | socat - UNIX-SENDTO:/run/comptoir/badge.sock
    printf 04A1B2C3 | nc -uU /run/comptoir/badge.sock

It behaves like a real one: events come from its own thread, one per tap. A malformed UID
sent to the socket is dropped with a logged reason (never emitted, never logged itself).
The socket file is created with mode 0600 (only the kiosk's user may tap badges) and removed
at stop.
"""
from __future__ import annotations

import logging
import os
import queue
import select
import socket
import stat

from drivers.badge.base import InvalidUid, ReaderSettings, ReaderState, SelectLoopReader, normalise_uid

log = logging.getLogger(__name__)

_MAX_DATAGRAM = 256         # a UID is at most 29 characters even with separators


class SimulatedReader(SelectLoopReader):
    name = "simulated"

    def __init__(self, socket_path: str = "") -> None:
        super().__init__()
        self.socket_path = socket_path
        self._taps: queue.Queue[str] = queue.Queue()

    @classmethod
    def from_config(cls, section: ReaderSettings) -> SimulatedReader:
        return cls(section.simulated_socket)

    def inject(self, raw_uid: str) -> None:
        """Tap a badge. A malformed UID raises ``InvalidUid`` here, at the caller."""
        self._taps.put(normalise_uid(raw_uid))
        self._wake()

    # -- the loop --------------------------------------------------------------------------
    def _run(self) -> None:
        sock = self._bind() if self.socket_path else None
        if self.socket_path and sock is None:
            return                  # state already says why
        self._set_state(ReaderState.CONNECTED)
        waiting_on = [self._wake_r] + ([sock] if sock else [])
        try:
            while True:
                self._deliver_taps()        # taps made before stop() are still delivered
                if self._stopping.is_set():
                    return
                ready, _, _ = select.select(waiting_on, [], [])
                if self._wake_r in ready:
                    self._drain_wake()
                if sock is not None and sock in ready:
                    self._receive(sock)
        finally:
            if sock is not None:
                sock.close()
                _remove_socket_file(self.socket_path)

    def _deliver_taps(self) -> None:
        while True:
            try:
                uid = self._taps.get_nowait()
            except queue.Empty:
                return
            self._emit(uid, uid)

    def _receive(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(_MAX_DATAGRAM + 1)
        except BlockingIOError:
            return
        uid, why = parse_datagram(data)
        if uid is None:
            log.warning("simulated reader: ignored a datagram on %s: %s", self.socket_path, why)
        else:
            self._emit(uid, data.decode("ascii").strip())

    def _bind(self) -> socket.socket | None:
        path = self.socket_path
        try:
            _remove_socket_file(path)       # left by a previous run that was killed
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            old_umask = os.umask(0o177)     # created 0600, never readable by others first
            try:
                sock.bind(path)
            finally:
                os.umask(old_umask)
            sock.setblocking(False)
            return sock
        except OSError as exc:
            self._set_state(ReaderState.ERROR, f"cannot open the badge socket {path}: "
                                               f"{exc.strerror or exc}", "setup")
            return None


def parse_datagram(data: bytes) -> tuple[str | None, str]:
    """One datagram → (normalised UID, "") or (None, why). Separators between bytes are
    accepted as ``normalise_uid`` accepts them; a line break inside is not (two UIDs glued
    together must not become one longer UID).

    >>> parse_datagram(b"04:a1:b2:c3\\n")
    ('04A1B2C3', '')
    >>> parse_datagram(b"04A1B2C3\\n05B1C2D3")[1]
    'more than one line'
    """
    if len(data) > _MAX_DATAGRAM:
        return None, f"more than {_MAX_DATAGRAM} bytes"
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return None, f"not text ({len(data)} bytes)"
    if not text:
        return None, "empty"
    if "\n" in text or "\r" in text:
        return None, "more than one line"
    try:
        return normalise_uid(text), ""
    except InvalidUid:
        return None, f"not a badge UID ({len(text)} characters, expected 8 to 20 hex digits)"


def _remove_socket_file(path: str) -> None:
    # Only ever a socket: a typo in the configuration must not delete somebody's file.
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
