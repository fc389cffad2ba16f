"""The shape of the panel the app is shown on, for the .kv rules: ``app.portrait``,
``app.compact`` and ``app.target``, kept up to date when the window changes size.

- ``portrait``: the window is taller than wide (a portrait panel: the screens stack their
  columns instead of squeezing the landscape layout);
- ``compact``: the window's short side is under 110 mm at the panel's DPI (a 7" panel:
  800×480 @ 133 dpi, 1024×600 @ 170 dpi, 720×1280 @ 216 dpi): smaller type, tighter gaps;
- ``target``: the smallest touch target in pixels, 12 mm at the panel's DPI (never less):
  every button's short side is at least this.

The panel's DPI is Kivy's (``kivy.metrics.Metrics.dpi``), which ``kiosk.ui.launch`` sets
from ``[ui] dpi`` or from the display before Kivy is imported (``KIVY_DPI``). The rules
themselves are plain arithmetic (:func:`shape`), testable without a screen.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from kivy.properties import BooleanProperty, NumericProperty

TARGET_MM = 12.0          # a finger's touch target, on every side
COMPACT_MM = 110.0        # a short side below this is a small (7") panel
MM_PER_INCH = 25.4


class Shape(NamedTuple):
    portrait: bool
    compact: bool
    target: float         # px


def mm_to_px(millimetres: float, dpi: float) -> float:
    return millimetres * dpi / MM_PER_INCH


def shape(width: float, height: float, dpi: float) -> Shape:
    """The layout's choices for a window of ``width`` × ``height`` px at ``dpi``."""
    short_mm = min(width, height) * MM_PER_INCH / dpi
    return Shape(portrait=height > width, compact=short_mm < COMPACT_MM,
                 target=float(math.ceil(mm_to_px(TARGET_MM, dpi))))


class AdaptiveLayout:
    """Mixed into the App (before ``App`` in its bases): the three properties, and
    :meth:`follow_window` to start following the window (``build`` calls it)."""

    portrait = BooleanProperty(False)
    compact = BooleanProperty(False)
    target = NumericProperty(46)          # 12 mm at Kivy's default 96 dpi, until the window is known

    def follow_window(self) -> None:
        from kivy.core.window import Window
        Window.bind(size=self._window_resized)
        self._window_resized(Window, Window.size)

    def _window_resized(self, _window: Any, size: Any) -> None:
        from kivy.metrics import Metrics
        width, height = size
        if width <= 0 or height <= 0:
            return
        now = shape(width, height, Metrics.dpi)
        self.portrait, self.compact, self.target = now.portrait, now.compact, now.target
