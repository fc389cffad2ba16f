"""The layout's choices for the five panels of issue 14 (kiosk.ui.layout.shape): plain
arithmetic, no screen."""
from __future__ import annotations

import pytest

from kiosk.ui.layout import shape


@pytest.mark.parametrize("width, height, dpi, portrait, compact, target", [
    (800, 480, 133, False, True, 63),       # Raspberry Pi 7"
    (1024, 600, 170, False, True, 81),      # 7" 1024×600
    (720, 1280, 216, True, True, 103),      # Pi Touch Display 2, portrait
    (1280, 800, 150, False, False, 71),     # 10.1"
    (1920, 1080, 141, False, False, 67),    # 15.6"
    (1280, 800, 96, False, False, 46),      # Kivy's default DPI
])
def test_the_five_panels(width, height, dpi, portrait, compact, target):
    got = shape(width, height, dpi)
    assert (got.portrait, got.compact, got.target) == (portrait, compact, target)
    assert got.target >= 12 * dpi / 25.4            # never less than 12 mm
