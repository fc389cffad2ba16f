"""How the characters of one printed line reach paper, so that a name is always recognisable:

1. in the printer's main code page (PC858: é, è, à, ç, €) when it has them;
2. else in another code page of a left-to-right alphabet that the printer profile lists
   (python-escpos's own code page switching, ``ESC t n``): Ł, ő, Ž in PC852, Cyrillic in
   PC866, Greek in PC737 … — the real letter, one character wide as any other;
3. else, for a Latin, Greek or Cyrillic letter no page has (Ș with a comma, Vietnamese ễ …),
   its transliteration (``anyascii``: Ș → S, ễ → e);
4. else (Arabic, Hebrew and other scripts, emoji, symbols): the whole line is drawn as a
   picture (``drivers.printer.picture``), right-to-left scripts shaped.

Pages of right-to-left scripts (PC862, PC864 …) are never used: a printer prints code page
text left to right, unshaped, so an Arabic or Hebrew name would come out backwards.

>>> plain = {"CP858": set("éèàçü€")}
>>> can = lambda page, c: ord(c) < 128 or c in plain.get(page, ())
>>> runs("Zoé Müller", 32, "CP858", ["CP858"], can)
[Run(encoding='CP858', text='Zoé Müller')]
>>> runs("Ștefan Nguyễn", 32, "CP858", ["CP858"], can)
[Run(encoding='CP858', text='Stefan Nguyen')]
>>> runs("محمد", 32, "CP858", ["CP858"], can) is None
True
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import NamedTuple

from anyascii import anyascii

# Code pages a printer may switch to for a letter its main page lacks: left-to-right
# alphabets only, Central European first (the names a Belgian school meets most).
SWITCH_PAGES = ("CP852", "ISO_8859-2", "CP1250", "CP857", "CP1254", "CP775", "CP1257",
                "CP850", "CP1252", "ISO_8859-15", "CP858", "CP437", "CP860", "CP863", "CP865",
                "CP861", "CP866", "CP1251", "CP855", "CP737", "ISO_8859-7", "CP1253", "CP869")

# Scripts whose transliteration a reader of the Latin alphabet recognises as the same name.
_TRANSLITERABLE = ("LATIN ", "GREEK ", "CYRILLIC ")


class Run(NamedTuple):
    encoding: str          # a python-escpos code page name (``CP852``)
    text: str


def switch_pages(profile_pages: Iterable[str], main: str) -> list[str]:
    """The pages to try, best first: the main page, then :data:`SWITCH_PAGES` the profile has."""
    have = set(profile_pages)
    return [main] + [p for p in SWITCH_PAGES if p in have and p != main]


def transliterable(char: str) -> bool:
    """A letter of an alphabet whose Latin transliteration reads as the same name."""
    return unicodedata.name(char, "").startswith(_TRANSLITERABLE) and bool(anyascii(char).strip())


def runs(text: str, width: int, main: str, pages: list[str],
         can_encode: Callable[[str, str], bool]) -> list[Run] | None:
    """``text`` as runs of one code page each (fewest switches: a run goes on as long as its
    page has the next character), with transliterations where no page has a letter; None when
    the line must be drawn (a character with neither, or transliterations that would not fit
    in ``width`` characters)."""
    out: list[Run] = []
    current, chunk = main, list[str]()
    length = 0
    for char in text:
        page = current if can_encode(current, char) else next(
            (p for p in pages if can_encode(p, char)), None)
        if page is None:
            if not transliterable(char):
                return None
            char, page = anyascii(char), current
            if not all(can_encode(page, c) for c in char):
                page = main
        if page != current:
            if chunk:
                out.append(Run(current, "".join(chunk)))
            current, chunk = page, []
        chunk.append(char)
        length += len(char)
    if chunk or not out:
        out.append(Run(current, "".join(chunk)))
    if length > width:
        return None
    return out
