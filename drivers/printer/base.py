"""The one receipt printer class: it owns the document → ESC/POS bytes step (through
python-escpos, with an explicit printer profile and code page) and the status logic; each
backend implements only its transport (open, write, one real-time status exchange, close),
the way python-escpos's own printer classes differ only by transport.

Status comes from the ESC/POS real-time status query (``DLE EOT n``) where the transport can
read an answer (network, serial, USB): paper out, cover open, offline. A transport that cannot
read (a file) or a printer that does not answer is taken as ready once it accepts the bytes.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from anyascii import anyascii

from drivers.printer import letters
from drivers.printer.document import QR, Blank, Document, Line
from drivers.printer.status import OK, PrinterConfigError, PrinterState, PrinterStatus, PrinterUnavailable

__all__ = ["ReceiptPrinter", "PrinterConfigError", "PrinterState", "PrinterStatus",
           "PrinterUnavailable", "OK", "choose_codepage", "CODEPAGES"]

log = logging.getLogger(__name__)


def _escpos_cache() -> None:
    """python-escpos pickles its capability database in a fresh temporary folder on every
    import unless told where: keep one private (0700) cache instead of a folder per process."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "comptoir" / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if folder.stat().st_uid == os.getuid() and os.access(folder, os.W_OK):
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)
    except OSError:
        pass                     # the library's default (a temporary folder) still works


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

    def __init__(self, columns: int = 42, profile: str = "TM-T88V"):
        self.columns = columns
        self.profile = profile
        self.codepage = choose_codepage(profile)
        pages = get_profile(profile).get_code_pages()
        self._encoder = Encoder(pages)        # python-escpos's: which page has which letter
        self._pages = letters.switch_pages(pages, self.codepage)
        pixels = get_profile(profile).profile_data.get("media", {}).get("width", {}).get("pixels")
        # font A is 12 dots wide: a picture line is as wide as a text line (at most the paper)
        self.dots = min(columns * 12, pixels) if isinstance(pixels, int) else columns * 12
        self._lock = threading.Lock()          # one job at a time on one printer
        self._silent_until = 0.0               # a printer that ignored DLE EOT: don't wait again

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
    def send(self, data: bytes, name: str = "") -> PrinterStatus:
        """Send one job's bytes: open, check the status, write, make sure the printer took
        it, close; returns the status seen before printing (ready, or ready with the paper
        nearly out). Raises ``PrinterUnavailable`` when the job did not (surely) reach
        paper. ``name`` (e.g. the job id) is for backends that keep one file per job."""
        try:
            return self._reported(self._send(data, name))
        except PrinterUnavailable as e:
            e.status = self._reported(e.status)
            raise

    def _send(self, data: bytes, name: str) -> PrinterStatus:
        with self._lock:
            self._open_checked()
            try:
                status = self._query()
                if not status.ok:
                    raise PrinterUnavailable(status)
                self._write(data, name)
                self._confirm()
                return status
            except PrinterUnavailable:
                raise
            except (OSError, ValueError) as e:
                raise PrinterUnavailable(self._lost(e)) from None
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
            raise PrinterUnavailable(self._lost(e)) from None

    def _close_quietly(self) -> None:
        try:
            self._close()
        except Exception as e:
            log.debug("closing printer %s: %s", self.name, e)

    def _lost(self, error: BaseException) -> PrinterStatus:
        return PrinterStatus(PrinterState.OFFLINE, "printer_offline", {"where": self.where})

    # -- real-time status -----------------------------------------------------------------
    def _status_byte(self, n: int, timeout: float) -> int | None:
        answer = self._exchange(DLE_EOT + bytes([n]), timeout)
        if not answer:
            return None
        byte = answer[-1]
        return byte if byte & _FIXED_MASK == _FIXED_BITS else None

    def _query(self) -> PrinterStatus:
        if time.monotonic() < self._silent_until:
            return OK
        printer = self._status_byte(1, self.status_timeout)
        if printer is None:
            # No answer: a printer (or a transport) that does not do status. Trust it for a
            # while rather than wait at every job.
            self._silent_until = time.monotonic() + 300
            return OK
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

    def _confirm(self) -> None:
        """After the job: a status round trip proves the printer has read every byte before it
        (a stream is read in order). Skipped for printers that do not answer."""
        if time.monotonic() < self._silent_until:
            return
        if self._status_byte(1, self.confirm_timeout) is None:
            raise PrinterUnavailable(self._lost(TimeoutError("no answer after the job")))

    # -- transport (backends) -------------------------------------------------------------
    status_timeout = 0.5              # seconds to wait for a DLE EOT answer
    confirm_timeout = 5.0             # ... after a job (the printer may be busy printing it)

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
