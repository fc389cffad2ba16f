"""Receipt printers behind one class (``ReceiptPrinter``: layout → ESC/POS bytes, status) and
small transports: USB, network (port 9100), serial, a folder of files, memory.

>>> from kiosk.config import PrinterSection
>>> from drivers.printer.document import Document
>>> printer = open_printer(PrinterSection(backend="dummy", columns=32))
>>> doc = Document(printer.columns)
>>> doc.pair("Potage et pain", "1,00 €")
>>> printer.print(doc).reason("fr")
'Imprimante prête.'
>>> printer.jobs[0][:5]            # ESC @ (reset), ESC t 19 (code page PC858)
b'\\x1b@\\x1bt\\x13'
>>> "1,00 €".encode("cp858") in printer.jobs[0]
True
"""
from __future__ import annotations

from pathlib import Path

from drivers.printer.document import Document

__all__ = ["open_printer", "ReceiptPrinter", "PrinterState", "PrinterStatus",
           "PrinterUnavailable", "Document", "OK", "choose_codepage"]


def __getattr__(name: str):
    # python-escpos is imported only when a printer is used: it takes a third of a second
    # and configures logging, neither of which the core (or the layouts) should pay for.
    if name in __all__:
        from drivers.printer import base
        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_printer(section, data_dir: str | Path | None = None):
    """The ``ReceiptPrinter`` the ``[printer]`` section describes (``kiosk.config.PrinterSection``), or
    None for ``backend = "none"``. Nothing is opened yet: each job opens its own connection.
    A relative ``path`` (file backend) is inside ``data_dir``. Bad settings: ``ValueError``."""
    common = {"columns": section.columns, "profile": section.profile}
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
    raise ValueError(f"unknown printer backend {backend!r}")
