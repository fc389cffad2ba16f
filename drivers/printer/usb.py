"""A USB receipt printer, through python-escpos's ``Usb`` (pyusb; Debian ``libusb-1.0-0``).
The user running the terminal needs access to the device (a udev rule for its ids)."""
from __future__ import annotations

from typing import Any

from escpos.printer import Usb

from drivers.printer.base import ReceiptPrinter
from drivers.printer.status import PrinterConfigError


class UsbPrinter(ReceiptPrinter):
    name = "usb"

    def __init__(self, vendor: int, product: int, **kwargs: Any):
        super().__init__(**kwargs)
        if not vendor or not product:
            raise PrinterConfigError("a USB printer needs its ids: [printer] usb_vendor and usb_product"
                             " (see lsusb, e.g. 0x04b8 and 0x0202)")
        self.vendor, self.product = vendor, product
        self._dev: Usb | None = None

    @property
    def where(self) -> str:
        return f"USB {self.vendor:04x}:{self.product:04x}"

    def _open(self) -> None:
        self._dev = Usb(self.vendor, self.product, timeout=int(self.confirm_timeout * 1000),
                        profile=self.profile)
        self._dev.open()

    def _write(self, data: bytes, name: str) -> None:
        assert self._dev is not None                  # _open came first
        self._dev._raw(data)

    def _exchange(self, command: bytes, timeout: float) -> bytes | None:
        import usb.core
        assert self._dev is not None
        self._dev._raw(command)
        try:
            answer = self._dev.device.read(self._dev.in_ep, 16, int(timeout * 1000))
        except usb.core.USBTimeoutError:
            return None
        return bytes(answer) or None

    def _close(self) -> None:
        if self._dev is not None:
            self._dev.close()
            self._dev = None
