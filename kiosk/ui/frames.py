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
