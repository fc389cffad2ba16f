"""The terminal's side of the hardware: it opens the badge reader and the receipt printer
its configuration names (``drivers``, which know nothing of the terminal), and words what they
report for the canteen worker.

The drivers raise their own errors and report states by code; here they become the
terminal's: a reader or printer setting that cannot work is a ``ConfigError`` (the same message
as any other bad setting), a printer status is worded in the terminal's language.

>>> from kiosk.config import PrinterSection, ReaderSection
>>> try:
...     open_reader(ReaderSection(backend="carrier-pigeon"))
... except ConfigError as e:
...     print(e.message("en"))
Invalid configuration: reader.backend: unknown backend 'carrier-pigeon'
>>> printer = open_printer(PrinterSection(backend="dummy"))
>>> printer.status().reason("fr")
'Imprimante prête.'
>>> printer_message(PrinterStatus(PrinterState.PAPER_OUT, "printer_paper_out"), "en")
'The printer is out of paper: put in a new roll. Receipts are waiting.'
>>> refused_read_message(RefusedRead("read_fragment", "wedge", 0.0), "fr")
'Badge lu en partie seulement\\xa0: représentez-le en le laissant bien à plat sur le lecteur.'
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from drivers.badge import BadgeReader, ReaderConfigError, open_reader as _open_reader
from drivers.badge.base import (
    READ_BLANK,
    READ_FRAGMENT,
    READ_GARBLED,
    READ_LENGTH,
    ReaderSettings,
    RefusedRead,
)
from drivers.printer import (
    PrinterSettings,
    PrinterState,
    PrinterStatus,
    PrinterUnavailable,
    open_printer as _open_printer,
)
from sync.common.errors import ConfigError
from sync.common.i18n import coded, translator
from sync.common.messages import render

if TYPE_CHECKING:
    from drivers.printer.base import ReceiptPrinter

__all__ = ["open_reader", "open_printer", "printer_message", "reader_reason", "refused_read_message",
           "CounterPrinterStatus", "PrinterState", "PrinterStatus", "PrinterUnavailable",
           "RefusedRead"]

# What the canteen worker reads when a reader refuses a read (drivers.badge.base.check_read):
# each says "tap again", and why, without the number.
REFUSED_READS = {
    READ_FRAGMENT: coded("read_fragment", "Badge read only in part: tap it again, holding it "
                         "flat on the reader."),
    READ_BLANK: coded("read_blank", "The reader read no number from the badge: tap it again."),
    READ_LENGTH: coded("read_length", "The reader read a number no badge has: tap the badge "
                       "again."),
    READ_GARBLED: coded("read_garbled", "The badge was misread: tap it again."),
}


# Why a reader is not reading (``drivers.badge.base.REASON_CODES``), as the canteen worker
# reads it; the driver's English details go to the log only.
READER_REASONS = {
    "not_started": coded("reader_not_started", "The reader is starting."),
    "stopped": coded("reader_stopped", "The reader was stopped."),
    "not_found": coded("reader_not_found", "No reader found: check that it is plugged in."),
    "setup": coded("reader_setup", "The reader cannot be used as set up: call the person who"
                   " installed the terminal."),
    "service": coded("reader_service", "The card reader service does not answer: restart the"
                     " terminal."),
    "unplugged": coded("reader_unplugged", "The reader was unplugged or does not answer: check"
                       " its cable."),
    "failed": coded("reader_failed", "The reader stopped on an error: restart the terminal."),
}


def reader_reason(code: str, lang: str = "fr") -> str:
    """Why the reader is not reading, in ``lang`` (an unknown code: it failed).

    >>> reader_reason("stopped", "nl")
    'De lezer werd gestopt.'
    """
    key = code if code in READER_REASONS else "failed"
    return translator(lang).pgettext(f"reader_{key}", READER_REASONS[key])


def refused_read_message(refused: RefusedRead, lang: str = "fr") -> str:
    """What to tell the canteen worker about a read the reader refused, in ``lang``."""
    code = refused.code if refused.code in REFUSED_READS else READ_GARBLED
    return translator(lang).pgettext(code, REFUSED_READS[code])


def printer_message(status: PrinterStatus, lang: str = "fr") -> str:
    """What to tell the canteen worker about a printer's status, in ``lang``."""
    return render(status.code, status.params, lang)


class CounterPrinterStatus(PrinterStatus):
    """The statuses of a printer opened here: the driver's, with the terminal's words."""

    __slots__ = ()

    def reason(self, lang: str = "fr") -> str:
        return printer_message(self, lang)


def open_reader(section: ReaderSettings) -> BadgeReader:
    """The reader ``[reader]`` names (not started); settings that cannot work: ``ConfigError``."""
    try:
        return _open_reader(section)
    except ReaderConfigError as e:
        raise ConfigError(detail=e.detail) from None


def open_printer(section: PrinterSettings, data_dir: str | Path | None = None) -> ReceiptPrinter | None:
    """The printer ``[printer]`` names (None for ``backend = "none"``), its statuses worded
    by ``CounterPrinterStatus``; settings that cannot work: ``ConfigError``."""
    try:
        printer = _open_printer(section, data_dir)
    except ValueError as e:          # drivers.printer.PrinterConfigError and the like
        raise ConfigError(detail=f"[printer]: {e}") from None
    if printer is not None:
        printer.status_type = CounterPrinterStatus
    return printer
