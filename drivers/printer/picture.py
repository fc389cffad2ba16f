"""A printed line drawn as a picture, for the characters no code page of the printer has
(Arabic, Hebrew, other scripts, emoji): Pillow draws the text with a Debian font
(``fonts-dejavu-core``; ``fonts-droid-fallback`` for Chinese, Japanese and Korean), and the
printer prints the picture (``GS v 0``) where the text would have been.

Right-to-left scripts come out right: Pillow's Raqm layout (FriBiDi for the direction,
HarfBuzz for the shapes, as the Debian libraries and the Pillow wheel bring them) joins the
Arabic letters and orders each field right to left. The picture keeps the receipt's grid:
each field of the line (parts separated by two spaces or more, e.g. a name and its amount)
starts in the character column it has in the text, one column being ``width / columns`` dots,
and a field that ends the line ends at the right edge. A character no font has is written
with its transliteration (anyascii), or ``?``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from anyascii import anyascii
from PIL import Image, ImageDraw, ImageFont, features

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/droid"))
FONTS = {False: ("DejaVuSans.ttf", "DroidSansFallbackFull.ttf"),
         True: ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "DroidSansFallbackFull.ttf")}
LINE_DOTS = 24                 # the height of one line of the printer's font A
_FIELD = re.compile(r"\S+(?: \S+)*")


class NoFont(RuntimeError):
    """No font file of :data:`FONTS` is on the machine (Debian package ``fonts-dejavu-core``)."""


def _font_paths(bold: bool) -> list[Path]:
    return [d / name for name in FONTS[bold] for d in FONT_DIRS if (d / name).is_file()]


@lru_cache(maxsize=16)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, layout_engine=engine)


@lru_cache(maxsize=4096)
def _has_glyph(path: Path, char: str) -> bool:
    font = _font(path, LINE_DOTS)
    return char.isspace() or bytes(font.getmask(char)) != bytes(font.getmask("\U0010fffd"))


def _runs(text: str, paths: list[Path]) -> list[tuple[Path, str]]:
    """``text`` cut in runs that one font draws (spaces go with the run they are in)."""
    out: list[tuple[Path, str]] = []
    for char in text:
        path = next((p for p in paths if _has_glyph(p, char)), None)
        if path is None:
            char, path = anyascii(char) or "?", paths[0]
        if char.isspace() and out:
            path = out[-1][0]
        if out and out[-1][0] == path:
            out[-1] = (path, out[-1][1] + char)
        else:
            out.append((path, char))
    return out


def line_image(text: str, *, width: int, columns: int, bold: bool = False,
               double: bool = False, align: str = "left") -> Image.Image:
    """``text`` (one printed line of at most ``columns`` characters, or ``columns // 2`` when
    ``double``) drawn black on white, ``width`` dots wide (mode ``L``)."""
    paths = _font_paths(bold)
    if not paths:
        raise NoFont("no font for printing names as pictures: install fonts-dejavu-core")
    cells = columns // 2 if double else columns
    height = LINE_DOTS * (2 if double else 1)
    size = height * 5 // 6
    cell = width / cells
    canvas = Image.new("L", (width * 3, height), 255)
    draw = ImageDraw.Draw(canvas)
    baseline = height - max(_font(p, size).getmetrics()[1] for p in paths) * 3 // 4
    fields = list(_FIELD.finditer(text))
    placed: list[tuple[float, float]] = []               # each field's left and right edge
    x_end = 0.0
    for i, field in enumerate(fields):
        drawn_width = sum(_font(p, size).getlength(run) for p, run in _runs(field.group(), paths))
        x = max(field.start() * cell, x_end)
        if len(fields) > 1 and i == len(fields) - 1 and field.end() == cells:
            x = max(width - drawn_width, x_end)         # an amount stays flush right
        placed.append((x, x + drawn_width))
        x_end = x + drawn_width + cell
    if len(fields) == 1 and align in ("center", "right"):
        drawn_width = placed[0][1] - placed[0][0]
        x = (width - drawn_width) / (2 if align == "center" else 1)
        placed[0] = (max(x, 0.0), max(x, 0.0) + drawn_width)
    for field, (x, _right) in zip(fields, placed):
        for path, run in _runs(field.group(), paths):
            font = _font(path, size)
            draw.text((x, baseline), run, font=font, fill=0, anchor="ls")
            x += font.getlength(run)
    used = int(max((right for _left, right in placed), default=0.0)) + 1
    if used > width:                                     # too wide: squeeze it in
        return canvas.crop((0, 0, used, height)).resize((width, height))
    return canvas.crop((0, 0, width, height))

