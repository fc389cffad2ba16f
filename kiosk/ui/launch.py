"""Starting the touch app: Kivy's environment first (before Kivy is imported), then the
terminal of the data folder, then the app.

``comptoir ui`` (kiosk/cli, through ``kiosk.demo.launch`` which adds the demo's badge panel
when asked) and ``python -m kiosk.ui`` come here. On a terminal the app opens in kiosk mode
(full screen, no window decorations, the panel's native size; ``[ui] window``); a window of a
chosen size is for development (``--window 1280x800``) and the demo.

The panel's DPI decides how big 12 mm is (``kiosk.ui.layout``): ``[ui] dpi``, else what the
display tells (the X server's physical size of the screen), else Kivy's default (96). Kivy
reads it once, from ``KIVY_DPI``, when first imported; a ``KIVY_DPI`` already set wins.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

DEV_WINDOW = (1280, 800)         # the demo's and the developer's window


class Display(NamedTuple):
    width: int                   # px
    height: int
    dpi: float | None            # None: the display does not tell its physical size


def read_display() -> Display | None:
    """The X server's screen (``$DISPLAY``): its size in pixels and, when it reports a
    plausible physical size, its DPI. None without an X server to ask."""
    name = os.environ.get("DISPLAY")
    found = ctypes.util.find_library("X11")
    if not name or not found:
        return None
    try:
        x11 = ctypes.cdll.LoadLibrary(found)
    except OSError:
        return None
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    for fn in ("XDisplayWidth", "XDisplayHeight", "XDisplayWidthMM", "XDisplayHeightMM"):
        getattr(x11, fn).argtypes = [ctypes.c_void_p, ctypes.c_int]
    display = x11.XOpenDisplay(name.encode())
    if not display:
        return None
    try:
        screen = x11.XDefaultScreen(display)
        width, height = x11.XDisplayWidth(display, screen), x11.XDisplayHeight(display, screen)
        width_mm = x11.XDisplayWidthMM(display, screen)
    finally:
        x11.XCloseDisplay(display)
    dpi = width * 25.4 / width_mm if width_mm > 0 else None
    if dpi is not None and not 50 <= dpi <= 800:          # a panel that reports nonsense (0 mm, 1 cm)
        dpi = None
    return Display(width, height, float(round(dpi)) if dpi else None)   # mm are whole: ±1 dpi


def panel_dpi(configured: int, display: Display | None) -> float | None:
    """``[ui] dpi`` when set, else the display's; None: Kivy's default."""
    if configured:
        return float(configured)
    return display.dpi if display is not None else None


def prepare_kivy(fullscreen: bool = False, size: tuple[int, int] = DEV_WINDOW, dpi: int = 0) -> None:
    """Kivy reads these when first imported: no argument parsing of our command line, logs
    to the console only when asked, the panel's DPI, then kiosk mode (``fullscreen``: full
    screen, borderless, at the display's size and origin) or a window of ``size``."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    display = read_display()
    told = panel_dpi(dpi, display)
    if told and not os.environ.get("KIVY_DPI"):
        os.environ["KIVY_DPI"] = f"{told:g}"
    from kivy.config import Config
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if fullscreen:
        if display is not None:             # without a window manager, ask for the place too
            size = (display.width, display.height)
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    from kivy.logger import Logger  # Kivy's console log (before the app sets ours up)
    Logger.info("Panel: %s, %s dpi", "kiosk mode" if fullscreen else f"a {size[0]}x{size[1]} window",
                os.environ.get("KIVY_DPI") or "96 (Kivy's default)")


def run(folder: Path, self_service: bool = False, fullscreen: bool = False,
        badge_panel: Mapping[str, str] | None = None, language: str | None = None,
        window: str | None = None) -> None:
    """``badge_panel``: badges to show on screen (UID → label), tapped on a simulated reader
    instead of the configured one; ``language``: the screens' language instead of the
    configured one; ``window``: "kiosk" or "WxH" instead of ``[ui] window`` (a demo's badge
    panel opens a window unless ``fullscreen``)."""
    from kiosk.config import load_config, window_size
    from kiosk.ui.terminal import CONFIG_NAME
    config = load_config(folder / CONFIG_NAME)
    mode = "kiosk" if fullscreen else window or ("x".join(map(str, DEV_WINDOW)) if badge_panel
                                                 else config.ui.window)
    prepare_kivy(fullscreen=mode == "kiosk", size=window_size(mode) or DEV_WINDOW, dpi=config.ui.dpi)
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
