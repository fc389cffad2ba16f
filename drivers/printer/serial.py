"""A serial (RS-232 or USB-serial) receipt printer, through python-escpos's ``Serial``
(pyserial)."""
from __future__ import annotations

from typing import Any

from escpos.printer import Serial

from drivers.printer.base import ReceiptPrinter


class SerialPrinter(ReceiptPrinter):
    name = "serial"

    def __init__(self, device: str, baudrate: int = 9600, **kwargs: Any):
        super().__init__(**kwargs)
        self.device, self.baudrate = device, baudrate
        self._dev: Serial | None = None

    @property
    def where(self) -> str:
        return self.device

    def _open(self) -> None:
        self._dev = Serial(devfile=self.device, baudrate=self.baudrate, timeout=self.status_timeout,
                           profile=self.profile)
        self._dev.open()

    def _write(self, data: bytes, name: str) -> None:
        assert self._dev is not None                  # _open came first
        self._dev._raw(data)
        self._dev.device.flush()

    def _exchange(self, command: bytes, timeout: float) -> bytes | None:
        assert self._dev is not None
        port = self._dev.device
        port.reset_input_buffer()
        port.timeout = timeout
        self._dev._raw(command)
        return port.read(1) or None

    def _close(self) -> None:
        if self._dev is not None:
            self._dev.close()
            self._dev = None
