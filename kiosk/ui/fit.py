"""Long names made to fit their box legibly: cut at a word where possible, ended with "…",
in at most so many lines at the box's width (Kivy's own ``shorten`` gives one line only)."""
from __future__ import annotations

ELLIPSIS = "…"


def line_count(text: str, width: float, font_size: float, bold: bool = False) -> int:
    """How many lines Kivy lays ``text`` out in, wrapped at ``width`` px."""
    from kivy.core.text import Label as CoreLabel
    core = CoreLabel(text=text, font_size=font_size, bold=bold, text_size=(max(width, 1), None))
    core.resolve_font_name()
    core.render()
    return len(core._cached_lines)


def fit_lines(text: str, width: float, font_size: float, lines: int = 2, bold: bool = False) -> str:
    """``text`` itself when it takes at most ``lines`` lines at ``width``, else its longest
    beginning that does with "…" after it (cut at a space when one is near)."""
    if width <= 1 or line_count(text, width, font_size, bold) <= lines:
        return text
    low, high = 0, len(text)               # low fits, high does not
    while high - low > 1:
        mid = (low + high) // 2
        if line_count(text[:mid].rstrip() + ELLIPSIS, width, font_size, bold) <= lines:
            low = mid
        else:
            high = mid
    cut = text[:low]
    space = cut.rfind(" ")
    if space >= max(1, low - 8):           # a word's end, unless that loses much
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + ELLIPSIS
