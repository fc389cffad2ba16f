"""How a printer is, by code: the state, and a stable ``code`` with its ``params`` saying what
to tell the canteen worker. The driver does not word it; the terminal does
(``kiosk.hardware.printer_message``, in the terminal's language).

No python-escpos here: the terminal can read statuses without loading it.

>>> status = PrinterStatus(PrinterState.OFFLINE, "printer_offline", {"where": "10.0.0.9:9100"})
>>> status.ok, status.code, status.params["where"]
(False, 'printer_offline', '10.0.0.9:9100')
>>> str(PrinterUnavailable(status))
'printer offline: printer_offline (where=10.0.0.9:9100)'
"""
from __future__ import annotations

import enum
from typing import NamedTuple


class PrinterState(enum.Enum):
    OK = "ok"
    OFFLINE = "offline"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    ERROR = "error"
    SILENT = "silent"             # takes the connection, does not answer (or confirm) in time


class PrinterStatus(NamedTuple):
    state: PrinterState
    code: str = "printer_ok"      # what to tell the canteen worker: printer_ok, printer_offline…
    params: dict = {}             # the message's parameters (where, detail)

    @property
    def ok(self) -> bool:
        return self.state is PrinterState.OK

    def describe(self) -> str:
        """One line for logs and programs (English, codes as they are)."""
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"printer {self.state.value}: {self.code}" + (f" ({params})" if params else "")


OK = PrinterStatus(PrinterState.OK)

CONFIRMS = ("printed", "received", "none")     # how a job is confirmed (``drivers.printer.base``)


class PrinterConfigError(ValueError):
    """The ``[printer]`` settings cannot work (unknown backend, a profile without a usable
    code page): the message names the setting."""

    code = "config_error"


class PrinterUnavailable(Exception):
    """The job was not confirmed printed: keep it. ``sent``: some of its bytes may have
    reached the printer (it may have printed, wholly or in part): print it again, marked as
    a possible second copy, once the printer confirms again."""

    def __init__(self, status: PrinterStatus, sent: bool = False):
        self.status = status
        self.sent = sent
        super().__init__(status.describe())
