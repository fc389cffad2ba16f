"""What a frame costs, and the app's ways to pay less for it.

Without a GPU (Mesa's llvmpipe: a kiosk PC with no GPU driver, CI, the benchmark) every
frame is drawn by the CPU, and what it costs is mostly the pixels it covers: each layer
drawn over the whole screen is another full pass over a million pixels; a stencil (the
clipping of a ScreenManager or an Image) is two more (written, then erased), and every
pixel drawn in between is tested against it. Measured in CPU time per frame on the rush
result (benchmarks/bench_ui.py, 1280×800): 96 ms as it was; 85 without the screen
manager's stencil; 82 without the photo's too; 61 with the result's colour painted by the
window's clear (a clear costs next to nothing) instead of a full-screen rectangle; an empty
window 31. A GPU draws all of it in well under a millisecond: nothing here changes what is
seen, only what the CPU does for it.
"""
from __future__ import annotations

from typing import Any


def unclip(manager: Any) -> None:
    """Drop a ScreenManager's stencil (Kivy's default style clips its screens to it). With
    no animated transition (``NoTransition``) a screen never leaves the manager's area, and
    what a screen moves aside (the sale's buttons under the rush result) goes beyond the
    window, which clips it anyway."""
    manager.canvas.before.clear()
    manager.canvas.after.clear()


def undrawn(widget: Any, hidden: bool) -> None:
    """Take ``widget``'s canvas out of its parent's while ``hidden`` (put it back after).

    A widget moved off screen or at opacity 0 is still drawn: every instruction goes through
    the pipeline, and each ScrollView in it pushes a stencil (Kivy clears the window's stencil
    buffer for the first one). Under the rush result the sale's buttons and cart cost about
    7 ms of CPU a frame that way (1280×800), for nothing seen. The widget stays in the tree,
    laid out as before: only its drawing is skipped."""
    parent = widget.parent
    if parent is None:
        return
    inside = parent.canvas.indexof(widget.canvas) >= 0
    if hidden and inside:
        parent.canvas.remove(widget.canvas)
    elif not hidden and not inside:
        # back at its place among its siblings' canvases (children are drawn last to first)
        after = [c.canvas for c in parent.children[:parent.children.index(widget)]]
        at = min((i for i in map(parent.canvas.indexof, after) if i >= 0), default=-1)
        if at < 0:
            parent.canvas.add(widget.canvas)
        else:
            parent.canvas.insert(at, widget.canvas)


class WindowPaint:
    """Paint a full-screen panel's colour with the window's clear colour instead of a
    rectangle: ``show(colour)`` while the panel covers the screen (it then draws no
    background of its own), ``hide()`` once it does not (the app's background is back)."""

    def __init__(self) -> None:
        self._saved: tuple | None = None

    def show(self, colour: tuple) -> None:
        from kivy.core.window import Window
        if self._saved is None:
            self._saved = tuple(Window.clearcolor)
        Window.clearcolor = colour

    def hide(self) -> None:
        from kivy.core.window import Window
        if self._saved is not None:
            Window.clearcolor, self._saved = self._saved, None


def text_region(texture_w: float, texture_h: float, lines: list, content_h: float,
                halign: str, padding: tuple) -> tuple[int, int, int, int]:
    """The part of a label's texture its text is drawn in: ``(x, y, w, h)`` in texels.

    A Kivy label given a ``text_size`` renders a texture as wide as that box (and as tall,
    when its height is given too), the text in one part of it, the rest transparent; drawn,
    the transparent texels cost what the others do. ``lines`` are the rendered lines (each
    with a width ``w``), ``content_h`` the text's height with its padding; the text is
    placed by ``halign`` across and always centred top to bottom here (``valign`` 'middle',
    or a texture as tall as its text)."""
    left, _top, right, _bottom = padding
    widest = max((int(line.w) for line in lines), default=0)
    if widest <= 0 or texture_w <= 0:
        return 0, 0, int(texture_w), int(texture_h)
    width = min(int(texture_w), widest + int(left + right) + 2)
    if halign in ("left", "auto"):
        x = 0
    elif halign == "right":
        x = int(texture_w) - width
    else:
        x = (int(texture_w) - width) // 2
    height = min(int(texture_h), int(content_h) + 2)
    y = (int(texture_h) - height) // 2
    return max(0, x), max(0, y), width, height


def covered(window: Any) -> float:
    """The pixels a frame of ``window`` draws (its clear aside), in windows: the sum of the
    on-screen areas of every rectangle, border image and ellipse of every widget's canvas,
    hidden ones included (Kivy draws a widget at opacity 0 all the same, every pixel of it).
    A load-free measure of what a frame costs without a GPU (the bench and the tests read it).
    """
    from kivy.graphics import BorderImage, Ellipse, Rectangle, RoundedRectangle
    shapes = (Rectangle, BorderImage, Ellipse, RoundedRectangle)
    width, height = window.width, window.height
    total = 0.0
    for root in window.children:
        for widget in root.walk(restrict=True):
            canvas = widget.canvas
            groups = [canvas.before] if canvas.has_before else []
            groups += [canvas] + ([canvas.after] if canvas.has_after else [])
            for group in groups:
                for ins in group.children:
                    if not isinstance(ins, shapes):
                        continue
                    (x, y), (w, h) = ins.pos, ins.size
                    x, y = widget.to_window(x, y)       # (a layout may move its children's origin)
                    total += (max(0.0, min(width, x + w) - max(0.0, x))
                              * max(0.0, min(height, y + h) - max(0.0, y)))
    return total / (width * height)
