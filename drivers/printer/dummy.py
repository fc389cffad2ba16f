"""A printer in memory (python-escpos's ``Dummy`` spirit): every job's bytes are kept in
``jobs``. For development and the UI's demo mode."""
from __future__ import annotations

from typing import Any

from drivers.printer.base import ReceiptPrinter


class DummyPrinter(ReceiptPrinter):
    name = "dummy"
    confirms_on_write = True         # kept is printed: nothing to ask

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.jobs: list[bytes] = []

    def _open(self) -> None:
        pass

    def _write(self, data: bytes, name: str) -> None:
        self.jobs.append(bytes(data))
