"""What a layout produces: a printer-independent list of lines (with bold, double size and
alignment), QR codes and blank lines, already fitted to the paper's width in characters.

The printer base class turns a ``Document`` into ESC/POS bytes; tests decode those bytes back
and compare them with ``Document.text_lines()``.

>>> doc = Document(32)
>>> doc.pair("2 x Potage et pain", "2,00 €")
>>> doc.text_lines()
['2 x Potage et pain        2,00 €']
>>> doc = Document(32)
>>> doc.line("Institut Saint-Michel d'Etterbeek et des environs", align="center")
>>> doc.text_lines()
['Institut Saint-Michel', "d'Etterbeek et des environs"]
"""
from __future__ import annotations

import textwrap
import unicodedata
from typing import NamedTuple

# Characters a receipt code page lacks, written the way a cashier would.
_PLAIN = str.maketrans({
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",     # Babel's spaces
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2026": "...", "\u0153": "oe", "\u0152": "OE", "\u00d7": "x", "\u2022": "-",
    "\t": " ", "\r": " ", "\n": " ",
})


def printable(text: object) -> str:
    """Text as a receipt printer can print it: composed accents (é, not e + ´), typographic
    spaces, dashes and quotes made plain, no control characters.

    >>> printable("Solde\u202f: \u22121,50\u00a0€ — «\u00a0ok\u00a0»")
    'Solde : -1,50 € - « ok »'
    """
    text = unicodedata.normalize("NFC", str(text)).translate(_PLAIN)
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


class Line(NamedTuple):
    text: str
    bold: bool = False
    double: bool = False          # double width and height: half as many characters per line
    align: str = "left"           # left | center | right


class QR(NamedTuple):
    payload: str                  # printed with the printer's own QR command (model 2)


class Blank(NamedTuple):
    lines: int = 1                # (not ``count``: that would hide tuple.count)


class Document:
    """A receipt being laid out for ``columns`` characters per line (32, 42 or 48)."""

    def __init__(self, columns: int):
        if columns < 16:
            raise ValueError(f"a receipt needs at least 16 columns, not {columns}")
        self.columns = columns
        self.items: list[Line | QR | Blank] = []

    # -- building -------------------------------------------------------------------------
    def line(self, text: str = "", *, bold: bool = False, double: bool = False,
             align: str = "left") -> None:
        """``text`` wrapped on words to the width (long words are cut)."""
        width = self.columns // 2 if double else self.columns
        text = printable(text)
        chunks = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]
        for chunk in chunks:
            self.items.append(Line(chunk, bold, double, align))

    def title(self, text: str) -> None:
        self.line(text, bold=True, double=True, align="center")

    def pair(self, left: str, right: str, *, bold: bool = False) -> None:
        """``left`` and ``right`` on one line, ``right`` flush with the right edge (amounts).
        A ``left`` too long for the line wraps, and ``right`` goes on its last line."""
        left, right = printable(left), printable(right)
        room = self.columns - len(right) - 1
        if room < 8:                                  # no room: right on a line of its own
            self.line(left, bold=bold)
            self.items.append(Line(right.rjust(self.columns)[-self.columns:], bold))
            return
        chunks = textwrap.wrap(left, room, break_long_words=True, break_on_hyphens=False) or [""]
        for chunk in chunks[:-1]:
            self.items.append(Line(chunk, bold))
        self.items.append(Line(chunks[-1].ljust(self.columns - len(right)) + right, bold))

    def rule(self, char: str = "-") -> None:
        self.items.append(Line(char * self.columns))

    def blank(self, count: int = 1) -> None:
        self.items.append(Blank(count))

    def qr(self, payload: str) -> None:
        """A QR code, centred, then a blank line so that the text below does not touch it."""
        self.items.append(QR(payload))
        self.items.append(Blank(1))

    # -- reading --------------------------------------------------------------------------
    def text_lines(self) -> list[str]:
        """The text as printed, one string per printed line (blank lines as ``""``; a QR code
        is not text and does not appear). Alignment is the printer's job: not in the text."""
        out: list[str] = []
        for item in self.items:
            if isinstance(item, Line):
                out.append(item.text)
            elif isinstance(item, Blank):
                out.extend([""] * item.lines)
        return out

    def qr_payloads(self) -> list[str]:
        return [item.payload for item in self.items if isinstance(item, QR)]
