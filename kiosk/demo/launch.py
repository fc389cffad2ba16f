"""The touch app with the demo's panel of badges to tap (``comptoir ui --demo`` or
``--badge-panel``): the touch app itself (``kiosk.ui``) knows no demo badge; they come from
here, above it.
"""
from __future__ import annotations

from pathlib import Path

from kiosk.demo.school import DEMO_BADGES


def run(folder: Path, demo: bool = False, self_service: bool = False, fullscreen: bool = False,
        badge_panel: bool = False, language: str | None = None, window: str | None = None) -> None:
    """``comptoir ui``: the app on ``folder``; with ``demo`` or ``badge_panel``, the demo
    badges on screen, tapped on a simulated reader (in a window unless ``fullscreen``);
    ``language`` overrides the configured one, ``window`` ("WxH") the kiosk mode."""
    from kiosk.ui.launch import run as run_app
    run_app(folder, self_service=self_service, fullscreen=fullscreen,
            badge_panel=DEMO_BADGES if demo or badge_panel else None, language=language,
            window=window)
