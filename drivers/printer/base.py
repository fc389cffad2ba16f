"""The one receipt printer class: it owns the document → ESC/POS bytes step (through
python-escpos, with an explicit printer profile and code page) and the status logic; each
backend implements only its transport (open, write, one real-time status exchange, close),
the way python-escpos's own printer classes differ only by transport.

Status comes from the ESC/POS real-time status query (``DLE EOT n``) where the transport can
read an answer (network, serial, USB): paper out, cover open, offline. A printer that does not
answer in ``status_timeout`` is a fault (``SILENT``), never "ready".

A job counts as printed only once the printer confirmed it (``confirm``):

- ``"printed"`` (default): after the job's bytes, ``GS r 1`` (transmit paper sensor status). It
  is not a real-time command: the printer answers it when it processes it, after everything
  before it (the receipt, its cut). An answer within ``confirm_timeout`` confirms the job.
- ``"received"``: after the job, ``DLE EOT 1``. Real-time: answered as soon as it is read, so
  it proves the printer has read every byte before it (a stream is read in order), not that
  it printed them: for printers without ``GS r``.
- ``"none"``: a printer model without any status. Nothing is asked; a job is "sent,
  unconfirmed" (``confirms`` is False) and a dead printer is seen only when it refuses the
  connection.

Transports that cannot read (a file, memory) confirm on write (``confirms_on_write``).
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from anyascii import anyascii

from drivers.printer import letters
from drivers.printer.document import QR, Blank, Document, Line
from drivers.printer.status import (
    CONFIRMS,
    OK,
    PrinterConfigError,
    PrinterState,
    PrinterStatus,
    PrinterUnavailable,
)

__all__ = ["ReceiptPrinter", "PrinterConfigError", "PrinterState", "PrinterStatus",
           "PrinterUnavailable", "OK", "choose_codepage", "CODEPAGES"]

log = logging.getLogger(__name__)


def _escpos_cache() -> None:
    """python-escpos pickles its capability database in a fresh temporary folder on every
    import unless told where: keep one private (0700) cache instead of a folder per process.
    The library writes the pickle in place (truncated, then written), and a second process
    importing it at that moment reads half a file (EOFError): the pickle is made here first,
    whole, under its final name by an atomic rename, so the library only ever reads it."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "comptoir" / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if folder.stat().st_uid == os.getuid() and os.access(folder, os.W_OK):
            _escpos_pickle(folder)
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)
    except OSError:
        pass                     # the library's default (a temporary folder) still works


def _escpos_pickle(folder: Path) -> None:
    import importlib.resources
    import pickle
    import platform
    import tempfile

    import yaml  # type: ignore[import-untyped]
    target = folder / f"{platform.python_version()}.capabilities.pickle"
    with importlib.resources.as_file(importlib.resources.files("escpos") / "capabilities.json") as source:
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            return
        capabilities = yaml.safe_load(source.read_text(encoding="utf-8"))   # as the library does
    fd, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(capabilities, out, protocol=2)
        os.replace(partial, target)
    except BaseException:
        os.unlink(partial)
        raise


_escpos_cache()

from escpos.capabilities import get_profile  # noqa: E402
from escpos.image import EscposImage  # noqa: E402
from escpos.magicencode import Encoder  # noqa: E402
from escpos.printer import Dummy  # noqa: E402

# Code pages that hold é è à ç and €, best first (PC858 is PC850 with the euro sign).
CODEPAGES = ("CP858", "CP1252", "ISO_8859-15")

# DLE EOT n: real-time status (Epson ESC/POS). Each answer byte has bits 1 and 4 set and
# bits 0 and 7 clear; anything else is not an answer to our question.
DLE_EOT = b"\x10\x04"
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
# GS r 1: transmit paper sensor status, processed in order with the data (not real-time). Its
# answer has bits 4 and 7 clear (a DLE EOT answer has bit 4 set).
GS_R_PAPER = b"\x1dr\x01"
_GS_R_MASK = 0x90

_OFFLINE = 0x08                           # n=1 printer status
_COVER_OPEN, _PAPER_STOP, _ERROR = 0x04, 0x20, 0x40      # n=2 offline cause
_NEAR_END, _PAPER_END = 0x0C, 0x60        # n=4 roll paper sensor


class ReceiptPrinter:
    """Base class. Backends implement ``_open``, ``_write``, ``_close`` and, if their
    transport can read, ``_exchange``; ``where`` names the printer in messages.

    ``status_type``: the class of the statuses ``send``, ``print`` and ``status`` give (and
    ``PrinterUnavailable`` carries): a ``PrinterStatus``, or a subclass the terminal chose
    (``kiosk.hardware`` gives them a ``reason(lang)`` in the terminal's words)."""

    name = "printer"
    status_type: type[PrinterStatus] = PrinterStatus
    confirms_on_write = False         # a file, memory: written is printed

    def __init__(self, columns: int = 42, profile: str = "TM-T88V", confirm: str = "printed",
                 status_timeout: float | None = None, confirm_timeout: float | None = None):
        if confirm not in CONFIRMS:
            raise PrinterConfigError(f"unknown confirm {confirm!r} (one of {', '.join(CONFIRMS)})")
        self.columns = columns
        self.profile = profile
        self.codepage = choose_codepage(profile)
        pages = get_profile(profile).get_code_pages()
        self._encoder = Encoder(pages)        # python-escpos's: which page has which letter
        self._pages = letters.switch_pages(pages, self.codepage)
        pixels = get_profile(profile).profile_data.get("media", {}).get("width", {}).get("pixels")
        # font A is 12 dots wide: a picture line is as wide as a text line (at most the paper)
        self.dots = min(columns * 12, pixels) if isinstance(pixels, int) else columns * 12
        self.confirm = confirm
        if status_timeout is not None:
            self.status_timeout = status_timeout
        if confirm_timeout is not None:
            self.confirm_timeout = confirm_timeout
        self._lock = threading.Lock()          # one job at a time on one printer

    @property
    def confirms(self) -> bool:
        """Whether a job ``send`` returned from is confirmed printed (False: "sent,
        unconfirmed", a printer declared without status)."""
        return self.confirms_on_write or self.confirm != "none"

    @property
    def _asks(self) -> bool:
        return not self.confirms_on_write and self.confirm != "none"

    @property
    def where(self) -> str:
        return self.name

    # -- layout → bytes -------------------------------------------------------------------
    def render(self, doc: Document) -> bytes:
        """The ESC/POS bytes of ``doc``: reset, code page, the lines with their styles, QR
        codes through the printer's own QR command, feed and cut."""
        p = Dummy(profile=self.profile, magic_encode_args={"encoder": self._encoder})
        p.hw("INIT")                 # ESC @: whatever the previous job left set
        p.charcode(self.codepage)    # ESC t n now, and every character encoded in that page
        bold, double, align = False, False, "left"
        for item in doc.items:
            if isinstance(item, Line):
                if item.double != double:
                    # ESC ! also clears bold: size first, then bold is set again below
                    p.set(double_width=item.double, double_height=item.double,
                          normal_textsize=not item.double)
                    double, bold = item.double, False
                if item.bold != bold:
                    p.set(bold=item.bold)
                    bold = item.bold
                if item.align != align:
                    p.set(align=item.align)
                    align = item.align
                if not self._text_line(p, item, doc.columns):
                    if align != "left":          # the picture carries the line's alignment
                        p.set(align="left")
                        align = "left"
                    self._picture_line(p, item, doc.columns)
            elif isinstance(item, Blank):
                p.text("\n" * item.lines)
            elif isinstance(item, QR):
                if align != "center":
                    p.set(align="center")
                    align = "center"
                p.qr(item.payload, native=True, size=4 if doc.columns <= 32 else 5)
        p.cut()                      # feeds past the tear bar, then cuts
        return p.output

    def _text_line(self, p: Dummy, line: Line, columns: int) -> bool:
        """Print ``line`` as text, switching code pages for letters the main page lacks and
        transliterating letters no page has (``drivers.printer.letters``); False if it must
        be a picture."""
        width = columns // 2 if line.double else columns
        runs = letters.runs(line.text, width, self.codepage, self._pages, self._encoder.can_encode)
        if runs is None:
            return False
        for run in runs:
            p.magic.write_with_encoding(run.encoding, run.text)
        p.magic.write_with_encoding(self.codepage, "\n")
        return True

    def _picture_line(self, p: Dummy, line: Line, columns: int) -> None:
        """Print ``line`` as a raster picture (``GS v 0``), e.g. an Arabic or Hebrew name.
        Without Pillow's fonts, the line's transliteration as text (still not ``?``)."""
        from drivers.printer import picture
        try:
            drawn = picture.line_image(line.text, width=self.dots, columns=columns,
                                       bold=line.bold, double=line.double, align=line.align)
        except picture.NoFont as e:
            log.warning("%s", e)
            p.magic.write_with_encoding(self.codepage, anyascii(line.text) + "\n")
            return
        image = EscposImage(drawn)
        p._raw(b"\x1dv0\x00" + p._int_low_high(image.width_bytes, 2)
               + p._int_low_high(image.height, 2) + image.to_raster_format())

    def print(self, doc: Document, name: str = "") -> PrinterStatus:
        return self.send(self.render(doc), name)

    # -- sending --------------------------------------------------------------------------
    def send(self, data: bytes, name: str = "", drained: bool = False) -> PrinterStatus:
        """Send one job's bytes: open, check the status, write, wait for the printer's
        confirmation (see ``confirm``), close; returns the status seen before printing (ready,
        or ready with the paper nearly out). Raises ``PrinterUnavailable`` when the job is not
        confirmed, with ``sent`` set if its bytes may have reached the printer. ``drained``:
        first make sure the printer has processed everything sent before (after a job that
        was not confirmed: never push more into a printer that is stuck). ``name`` (e.g. the
        job id) is for backends that keep one file per job."""
        try:
            return self._reported(self._send(data, name, drained))
        except PrinterUnavailable as e:
            e.status = self._reported(e.status)
            raise

    def _send(self, data: bytes, name: str, drained: bool) -> PrinterStatus:
        with self._lock:
            self._open_checked()
            sent = False
            try:
                status = OK
                if self._asks:
                    status = self._query()
                    if not status.ok:
                        raise PrinterUnavailable(status)
                    if drained and self.confirm == "printed":
                        self._await_processed()
                sent = True                  # from here on, bytes may reach the paper
                self._write(data, name)
                if self._asks:
                    self._await_processed() if self.confirm == "printed" else self._await_read()
                return status
            except PrinterUnavailable as e:
                e.sent = sent
                raise
            except (OSError, ValueError) as e:
                raise PrinterUnavailable(self._lost(e), sent=sent) from None
            finally:
                self._close_quietly()

    def status(self) -> PrinterStatus:
        """Ask the printer how it is, now (a connection of its own)."""
        return self._reported(self._status())

    def _reported(self, status: PrinterStatus) -> PrinterStatus:
        return status if type(status) is self.status_type else self.status_type(*status)

    def _status(self) -> PrinterStatus:
        with self._lock:
            try:
                self._open_checked()
            except PrinterUnavailable as e:
                return e.status
            try:
                if not self._asks:
                    return OK if self.confirms else PrinterStatus(
                        PrinterState.OK, "printer_unchecked", {"where": self.where})
                return self._query()
            except (OSError, ValueError) as e:
                return self._lost(e)
            finally:
                self._close_quietly()

    def _open_checked(self) -> None:
        try:
            self._open()
        except PrinterUnavailable:
            raise
        except Exception as e:        # each library has its own "not found" exceptions
            log.info("printer %s cannot be opened: %s", self.name, e)
            status = self._lost(e)
            if status.state is PrinterState.SILENT:      # not even connected: offline
                status = PrinterStatus(PrinterState.OFFLINE, "printer_offline", {"where": self.where})
            raise PrinterUnavailable(status) from None

    def _close_quietly(self) -> None:
        try:
            self._close()
        except Exception as e:
            log.debug("closing printer %s: %s", self.name, e)

    def _lost(self, error: BaseException) -> PrinterStatus:
        if isinstance(error, TimeoutError):         # connected, but it stopped reading
            return self._silent("printer_silent")
        return PrinterStatus(PrinterState.OFFLINE, "printer_offline", {"where": self.where})

    # -- real-time status -----------------------------------------------------------------
    def _status_byte(self, n: int, timeout: float) -> int | None:
        answer = self._exchange(DLE_EOT + bytes([n]), timeout)
        if not answer:
            return None
        byte = answer[-1]
        return byte if byte & _FIXED_MASK == _FIXED_BITS else None

    def _query(self) -> PrinterStatus:
        printer = self._status_byte(1, self.status_timeout)
        if printer is None:
            # Taken the connection, said nothing: switched off behind a network box, hung,
            # or its buffer full and not read. A fault, never "ready".
            return self._silent("printer_silent")
        paper = self._status_byte(4, self.status_timeout)
        if paper is not None and paper & _PAPER_END == _PAPER_END:
            return PrinterStatus(PrinterState.PAPER_OUT, "printer_paper_out")
        if printer & _OFFLINE:
            cause = self._status_byte(2, self.status_timeout) or 0
            if cause & _COVER_OPEN:
                return PrinterStatus(PrinterState.COVER_OPEN, "printer_cover_open")
            if cause & _PAPER_STOP:
                return PrinterStatus(PrinterState.PAPER_OUT, "printer_paper_out")
            if cause & _ERROR:
                return PrinterStatus(PrinterState.ERROR, "printer_error", {"detail": "DLE EOT 2"})
            return PrinterStatus(PrinterState.OFFLINE, "printer_offline", {"where": self.where})
        if paper is not None and paper & _NEAR_END == _NEAR_END:
            return PrinterStatus(PrinterState.OK, "printer_paper_low")
        return OK

    def _silent(self, code: str) -> PrinterStatus:
        return PrinterStatus(PrinterState.SILENT, code, {"where": self.where})

    def _await_processed(self) -> None:
        """``GS r 1`` answered: the printer processed every byte before it."""
        answer = self._exchange(GS_R_PAPER, self.confirm_timeout)
        if not answer or answer[-1] & _GS_R_MASK:
            self._unconfirmed()

    def _await_read(self) -> None:
        """``DLE EOT 1`` answered: the printer read every byte before it."""
        if self._status_byte(1, self.confirm_timeout) is None:
            self._unconfirmed()

    def _unconfirmed(self) -> None:
        """No confirmation in time: say why if the printer can (paper out, cover open), else
        it is silent, or answers but did not confirm."""
        status = self._query()
        if status.ok:
            status = self._silent("printer_unconfirmed")
        raise PrinterUnavailable(status)

    # -- transport (backends) -------------------------------------------------------------
    status_timeout = 1.0              # seconds to wait for a DLE EOT answer
    confirm_timeout = 20.0            # ... for a job's confirmation (printing a long list)

    def _open(self) -> None:
        raise NotImplementedError

    def _write(self, data: bytes, name: str) -> None:
        raise NotImplementedError

    def _exchange(self, command: bytes, timeout: float) -> bytes | None:
        """Send a real-time command and return the answer, or None (cannot read, no answer)."""
        return None

    def _close(self) -> None:
        pass


def choose_codepage(profile: str) -> str:
    """The first code page of ``CODEPAGES`` the printer profile has; ``PrinterConfigError`` (a
    ValueError) if none (the profile's printer could not print é, è, à, ç or €)."""
    try:
        pages = get_profile(profile).get_code_pages()
    except Exception:
        raise PrinterConfigError(f"unknown python-escpos printer profile {profile!r}"
                         " (e.g. TM-T88V, TM-T20II, default)") from None
    for page in CODEPAGES:
        if page in pages:
            return page
    raise PrinterConfigError(f"printer profile {profile!r} has none of the code pages {', '.join(CODEPAGES)}:"
                     " it could not print é, è, à, ç and €")
