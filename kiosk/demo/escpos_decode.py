"""A small ESC/POS decoder of the project's own: the bytes a printer gets, back into what it
would print. The scripted demo (``kiosk.demo.scenario``) writes each printed receipt as text
with it; the tests check receipts with it (``tests/escpos_decode.py``). Text is decoded with the
code page the bytes selected (ESC t n); line feeds end lines; bold, size and alignment are
tracked (so a test can check widths); native QR codes (GS ( k) give their payload; raster
pictures (GS v 0, e.g. a name in a script no code page has) keep their dots; cuts and feeds
are counted; real-time status queries (DLE EOT n) are listed. An unknown command is an
error: we must know every byte the printer gets.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
# ESC t n → Python codec (the slots of Epson's table that the project may select: the main
# pages, and those of left-to-right alphabets it switches to for a letter, drivers/printer/letters.py)
CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857",
             14: "cp737", 15: "iso8859-7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858",
             33: "cp775", 34: "cp855", 35: "cp861", 38: "cp869", 39: "iso8859-2",
             40: "iso8859-15", 45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254",
             51: "cp1257"}
ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


@dataclass
class PrintedLine:
    text: str
    bold: bool = False
    width: int = 1          # character width multiplier (double width: 2)
    height: int = 1
    align: str = "left"

    @property
    def printed_width(self) -> int:
        return len(self.text) * self.width


@dataclass
class PrintedImage:
    width: int              # dots
    height: int
    data: bytes             # GS v 0 raster: rows of width/8 bytes, most significant bit left, 1 = ink

    def dot(self, x: int, y: int) -> bool:
        return bool(self.data[y * (self.width // 8) + x // 8] & (0x80 >> (x % 8)))

    @property
    def ink(self) -> int:
        """How many dots are black."""
        return sum(bin(byte).count("1") for byte in self.data)

    def art(self) -> str:
        """The picture as text (``#`` for ink), to look at in a failing test."""
        return "\n".join("".join("#" if self.dot(x, y) else "." for x in range(self.width))
                         for y in range(self.height))


@dataclass
class Decoded:
    lines: list[PrintedLine] = field(default_factory=list)
    items: list = field(default_factory=list)        # PrintedLine or ("qr", payload), in order
    qr_codes: list[str] = field(default_factory=list)
    images: list[PrintedImage] = field(default_factory=list)
    cuts: int = 0
    feeds: int = 0
    resets: int = 0
    codepages: list[int] = field(default_factory=list)
    status_queries: list[int] = field(default_factory=list)

    @property
    def text_lines(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.text_lines)


class DecodeError(ValueError):
    pass


def decode(data: bytes) -> Decoded:
    out = Decoded()
    codec = "cp437"                     # a printer's power-on table
    bold, width, height, align = False, 1, 1, "left"
    current: list[str] = []             # the line's characters, each in the page it was sent in
    started: PrintedLine | None = None  # the style of the line being printed (at its first byte)
    qr_stored: str | None = None
    i, n = 0, len(data)

    def need(count: int) -> bytes:
        if i + count > n:
            raise DecodeError(f"truncated command at byte {i}")
        return data[i:i + count]

    def end_line() -> None:
        nonlocal current, started
        style = started or PrintedLine("", bold, width, height, align)
        line = PrintedLine("".join(current), style.bold, style.width, style.height, style.align)
        out.lines.append(line)
        out.items.append(line)
        current, started = [], None

    while i < n:
        b = data[i]
        if b == LF:
            end_line()
            i += 1
        elif b >= 0x20:
            if started is None:
                started = PrintedLine("", bold, width, height, align)
            current.append(bytes([b]).decode(codec))
            i += 1
        elif b == ESC:
            cmd = need(2)[1]
            if cmd == 0x40:                                   # ESC @ reset
                bold, width, height, align, codec = False, 1, 1, "left", "cp437"
                out.resets += 1
                i += 2
            elif cmd == 0x74:                                 # ESC t n code page
                slot = need(3)[2]
                if slot not in CODEPAGES:
                    raise DecodeError(f"code page slot {slot} not known to the decoder")
                codec = CODEPAGES[slot]
                out.codepages.append(slot)
                i += 3
            elif cmd == 0x45:                                 # ESC E n bold
                bold = bool(need(3)[2] & 1)
                i += 3
            elif cmd == 0x21:                                 # ESC ! n print mode
                mode = need(3)[2]
                bold = bool(mode & 0x08)
                height = 2 if mode & 0x10 else 1
                width = 2 if mode & 0x20 else 1
                i += 3
            elif cmd == 0x61:                                 # ESC a n alignment
                align = ALIGN[need(3)[2]]
                i += 3
            elif cmd == 0x64:                                 # ESC d n print and feed
                if current:
                    end_line()
                out.feeds += need(3)[2]
                i += 3
            elif cmd in (0x2D, 0x4D, 0x47, 0x7B, 0x33):       # underline, font, strike, flip, spacing
                i += 3
            elif cmd == 0x32:                                 # ESC 2 default spacing
                i += 2
            else:
                raise DecodeError(f"unknown command ESC 0x{cmd:02x} at byte {i}")
        elif b == GS:
            cmd = need(2)[1]
            if cmd == 0x21:                                   # GS ! n character size
                size = need(3)[2]
                width, height = (size >> 4) + 1, (size & 0x0F) + 1
                i += 3
            elif cmd == 0x56:                                 # GS V m [n] cut
                m = need(3)[2]
                i += 4 if m in (65, 66) else 3
                if current:
                    end_line()
                out.cuts += 1
            elif cmd == 0x28:                                 # GS ( k / GS ( L: length-prefixed
                head = need(5)
                fn_class, length = head[2], head[3] | head[4] << 8
                body = need(5 + length)[5:]
                if fn_class == 0x6B and body[:1] == b"1":      # QR code (cn = 49)
                    fn = body[1]
                    if fn == 80:                              # store the data (m = '0')
                        qr_stored = body[3:].decode("utf-8")
                    elif fn == 81:                            # print the stored symbol
                        if qr_stored is None:
                            raise DecodeError("QR print without data")
                        out.qr_codes.append(qr_stored)
                        out.items.append(("qr", qr_stored))
                i += 5 + length
            elif cmd in (0x42, 0x62):                         # invert, smoothing
                i += 3
            elif cmd == 0x76:                                 # GS v 0 raster image
                head = need(8)
                x, y = head[4] | head[5] << 8, head[6] | head[7] << 8
                picture = PrintedImage(x * 8, y, bytes(need(8 + x * y)[8:]))
                out.images.append(picture)
                out.items.append(("image", x * 8, y))
                i += 8 + x * y
            else:
                raise DecodeError(f"unknown command GS 0x{cmd:02x} at byte {i}")
        elif b == DLE and need(2)[1] == 0x04:                 # DLE EOT n real-time status
            out.status_queries.append(need(3)[2])
            i += 3
        else:
            raise DecodeError(f"unexpected control byte 0x{b:02x} at byte {i}")
    if current:
        end_line()
    return out
