"""A network receipt printer (raw TCP, port 9100), through python-escpos's ``Network``.

One connection per job: a printer serves one client at a time, and a connection held open
would lock the other terminals (or the office PC) out of it."""
from __future__ import annotations

import select
import socket
from typing import Any

from escpos.printer import Network

from drivers.printer.base import ReceiptPrinter
from drivers.printer.status import PrinterConfigError


class NetworkPrinter(ReceiptPrinter):
    name = "network"
    connect_timeout = 3.0

    def __init__(self, host: str, port: int = 9100, **kwargs: Any):
        super().__init__(**kwargs)
        if not host:
            raise PrinterConfigError("a network printer needs its address: [printer] host")
        self.host, self.port = host, port
        self._dev: Network | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _open(self) -> None:
        self._dev = Network(self.host, self.port, timeout=self.connect_timeout,
                            profile=self.profile)
        self._dev.open()
        sock = self._dev.device
        # Small status questions must leave at once (no Nagle, no delayed-ACK wait).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _write(self, data: bytes, name: str) -> None:
        assert self._dev is not None                  # _open came first
        self._dev.device.settimeout(self.confirm_timeout)
        self._dev._raw(data)

    def _exchange(self, command: bytes, timeout: float) -> bytes | None:
        assert self._dev is not None
        sock = self._dev.device
        self._drain(sock)
        sock.sendall(command)
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            return None
        answer = sock.recv(16)
        if not answer:
            raise ConnectionResetError("the printer closed the connection")
        return answer

    @staticmethod
    def _drain(sock: socket.socket) -> None:
        """Drop bytes the printer sent on its own (automatic status back) before asking."""
        while select.select([sock], [], [], 0)[0]:
            if not sock.recv(256):
                raise ConnectionResetError("the printer closed the connection")

    def _close(self) -> None:
        if self._dev is not None:
            self._dev.close()
            self._dev = None
