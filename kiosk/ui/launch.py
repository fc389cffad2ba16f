"""Starting the touch app: Kivy's environment first (before Kivy is imported), then the
terminal of the data folder, then the app.

``comptoir ui`` (kiosk/cli.py, through ``kiosk.demo.launch`` which adds the demo's badge
panel when asked) and ``python -m kiosk.ui`` come here."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def prepare_kivy(fullscreen: bool = False, size: tuple[int, int] = (1280, 800)) -> None:
    """Kivy reads these when first imported: no argument parsing of our command line, logs
    to the console only when asked, a window of the given size (or full screen)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    from kivy.config import Config
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
    else:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))


def run(folder: Path, self_service: bool = False, fullscreen: bool = False,
        badge_panel: Mapping[str, str] | None = None, language: str | None = None) -> None:
    """``badge_panel``: badges to show on screen (UID → label), tapped on a simulated reader
    instead of the configured one; ``language``: the screens' language instead of the
    configured one."""
    prepare_kivy(fullscreen)
    from drivers.badge.simulated import SimulatedReader
    from kiosk.ui.app import ComptoirApp
    from kiosk.ui.terminal import Terminal
    reader = SimulatedReader() if badge_panel else None       # badges tapped on screen
    terminal = Terminal.open(folder, reader=reader, language=language)
    terminal.service.start_integrity_monitor()
    try:
        ComptoirApp(terminal, badge_panel=badge_panel, self_service=self_service).run()
    finally:
        terminal.service.stop_integrity_monitor()
        terminal.close()
