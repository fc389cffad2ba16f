"""Receipt printers behind one class (``ReceiptPrinter``: layout → ESC/POS bytes, status) and
small transports: USB, network (port 9100), serial, a folder of files, memory. What a slip
says is the terminal's (``kiosk.receipts``); how the printer is comes back by code
(``PrinterStatus``), worded by the terminal (``kiosk.hardware``).

>>> from types import SimpleNamespace
>>> from drivers.printer.document import Document
>>> printer = open_printer(SimpleNamespace(backend="dummy", columns=32, profile="TM-T88V"))
>>> doc = Document(printer.columns)
>>> doc.pair("Potage et pain", "1,00 €")
>>> printer.print(doc).code
'printer_ok'
>>> printer.jobs[0][:5]            # ESC @ (reset), ESC t 19 (code page PC858)
b'\\x1b@\\x1bt\\x13'
>>> "1,00 €".encode("cp858") in printer.jobs[0]
True
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from drivers.printer.document import Document
from drivers.printer.status import (
    CONFIRMS,
    OK,
    PrinterConfigError,
    PrinterState,
    PrinterStatus,
    PrinterUnavailable,
)

__all__ = ["open_printer", "ReceiptPrinter", "PrinterConfigError", "PrinterState",
           "PrinterStatus", "PrinterUnavailable", "Document", "OK", "choose_codepage", "CONFIRMS"]

if TYPE_CHECKING:
    from drivers.printer.base import ReceiptPrinter


class PrinterSettings(Protocol):
    """What ``open_printer`` reads of a ``[printer]`` section (``kiosk.config.PrinterSection``
    has it; the drivers import nothing of the terminal's)."""
    @property
    def backend(self) -> str: ...
    @property
    def columns(self) -> int: ...
    @property
    def profile(self) -> str: ...
    @property
    def usb_vendor(self) -> int: ...
    @property
    def usb_product(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def serial_device(self) -> str: ...
    @property
    def baudrate(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def confirm(self) -> str: ...
    @property
    def status_timeout_ms(self) -> int: ...
    @property
    def confirm_timeout_ms(self) -> int: ...


def __getattr__(name: str) -> Any:
    # python-escpos is imported only when a printer is used: it takes a third of a second
    # and configures logging, neither of which the core (or its receipt layouts) should pay for.
    if name in ("ReceiptPrinter", "choose_codepage"):
        from drivers.printer import base
        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_printer(section: PrinterSettings, data_dir: str | Path | None = None) -> ReceiptPrinter | None:
    """The ``ReceiptPrinter`` the ``[printer]`` section describes (any object with the
    attributes of ``kiosk.config.PrinterSection``), or None for ``backend = "none"``. Nothing
    is opened yet: each job opens its own connection. A relative ``path`` (file backend) is
    inside ``data_dir``. Bad settings: ``PrinterConfigError`` (a ``ValueError``)."""
    common: dict[str, Any] = {"columns": section.columns, "profile": section.profile}
    # How jobs are confirmed and how long a printer may stay silent (see ``base``); settings
    # objects of older callers may lack them.
    common["confirm"] = getattr(section, "confirm", "printed")
    for key in ("status_timeout", "confirm_timeout"):
        ms = getattr(section, key + "_ms", 0)
        if ms:
            common[key] = ms / 1000
    backend = section.backend
    if backend == "none":
        return None
    if backend == "dummy":
        from drivers.printer.dummy import DummyPrinter
        return DummyPrinter(**common)
    if backend == "file":
        from drivers.printer.folder import FolderPrinter
        folder = Path(section.path)
        if not folder.is_absolute() and data_dir is not None:
            folder = Path(data_dir) / folder
        return FolderPrinter(folder, **common)
    if backend == "network":
        from drivers.printer.network import NetworkPrinter
        return NetworkPrinter(section.host, section.port, **common)
    if backend == "serial":
        from drivers.printer.serial import SerialPrinter
        return SerialPrinter(section.serial_device, section.baudrate, **common)
    if backend == "usb":
        from drivers.printer.usb import UsbPrinter
        return UsbPrinter(section.usb_vendor, section.usb_product, **common)
    raise PrinterConfigError(f"unknown printer backend {backend!r}")
