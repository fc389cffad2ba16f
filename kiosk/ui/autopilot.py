"""The app's autopilot: a virtual X screen (Xvfb), Kivy set up for it, and hands that touch
the real widgets of the running app with real touch events, wait for the screen to answer,
read what it shows and take screenshots. The scripted demo (``kiosk.demo.scenario``), the UI
tests (tests/ui/) and benchmarks/bench_ui.py drive the app with it.

Nothing here decides anything: it only touches and reads, as a person in front of the screen
would. Kivy is imported only inside the methods (``start_kivy`` must run first).

It is tooling, not the app: it lives here because Kivy stays in ``kiosk.ui``, and its layer is
the demo tooling's (tests/layers.py), so no module of the app may import it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kiosk.ui.terminal import Terminal

_T = TypeVar("_T")

SCREEN = (1280, 800)


class NotOnScreen(AssertionError):
    """The screen did not show what was expected in time (an AssertionError, so a test that
    drives the app reports it as a failed check)."""


class Xvfb:
    """``Xvfb -displayfd``: the server picks a free display number and tells us which."""

    def __init__(self, size: tuple[int, int] = SCREEN, dpi: int | None = None):
        """``dpi``: the physical size the server reports (``xdpyinfo``), as a panel would."""
        if shutil.which("Xvfb") is None:
            raise RuntimeError("Xvfb is missing: install the Debian package 'xvfb' (make test does)")
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
             "-nolisten", "tcp", "-noreset", *(["-dpi", str(dpi)] if dpi else [])], pass_fds=(write,),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_kivy(display: str) -> None:
    """Set Kivy's environment for a headless run (before Kivy is imported anywhere)."""
    os.environ["DISPLAY"] = display
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    if not os.environ.get("COMPTOIR_UI_LOG"):        # Kivy logs to the console unless told not to
        os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from kiosk.ui.launch import prepare_kivy
    prepare_kivy(size=SCREEN)


class Driver:
    """The one app of a test session, and the hands that touch it."""

    def __init__(self, app: Any):
        from kivy.base import EventLoop
        from kivy.core.window import Window
        self.app, self.loop, self.window = app, EventLoop, Window

    @classmethod
    def start(cls, terminal: Terminal, **kwargs: Any) -> Driver:
        from kiosk.ui.app import ComptoirApp
        app = ComptoirApp(terminal, **kwargs)
        app._run_prepare()          # what App.run does before entering Kivy's main loop
        driver = cls(app)
        driver.pump(0.2)
        return driver

    # -- time ----------------------------------------------------------------------------
    def frame(self) -> None:
        self.loop.idle()

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.loop.idle()

    # 15 s: a loaded CI machine was seen taking over 5 s for a screen's first data (the
    # worker thread's query, then a frame); waiting longer costs nothing when all is well.
    def wait_for(self, predicate: Callable[[], _T], timeout: float = 15.0, what: str = "condition") -> _T:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.loop.idle()
            value = predicate()
            if value:
                self.loop.idle()        # one more frame: what we assert on is drawn
                return value
        raise NotOnScreen(f"timed out after {timeout} s waiting for {what}")

    # -- finding and touching -----------------------------------------------------------
    def screen(self, name: str | None = None) -> Any:
        sm = self.app.screens
        return sm.get_screen(name) if name else sm.current_screen

    def visible(self, widget: Any) -> bool:
        w = widget
        while w is not None and w is not self.window:
            if getattr(w, "opacity", 1) == 0 or getattr(w, "disabled", False):
                return False
            w = w.parent
        x, y = widget.to_window(*widget.center)
        return 0 <= x <= self.window.width and 0 <= y <= self.window.height and widget.width > 0

    def walk(self, root: Any = None) -> Iterator[Any]:
        """Every widget under ``root``, or in the whole window (modal views included)."""
        roots = [root] if root is not None else list(self.window.children)
        for r in roots:
            yield from r.walk(restrict=True)

    def buttons(self, root: Any = None, text: str | None = None) -> list:
        from kivy.uix.button import Button
        found = []
        for w in self.walk(root):
            if isinstance(w, Button) and self.visible(w):
                if text is None or text in plain(w.text):
                    found.append(w)
        return found

    def button(self, text: str, root: Any = None, timeout: float = 3.0) -> Any:
        """The one visible button showing ``text`` (exactly, else containing it), waiting
        a little for it to appear (screens fill themselves from the worker thread)."""
        end = time.monotonic() + timeout
        while True:
            found = self.buttons(root, text)
            exact = [b for b in found if plain(b.text).strip() == text]
            found = exact or found
            if len(found) == 1:
                return found[0]
            if time.monotonic() > end:
                raise NotOnScreen(f"expected one visible button {text!r}, found "
                                     f"{[plain(b.text) for b in found]}")
            self.loop.idle()

    def tap(self, widget_or_text: Any, root: Any = None) -> None:
        """A finger down and up at the widget's centre, through the window like a real touch."""
        from kivy.tests.common import UnitTestTouch
        widget = self.button(widget_or_text, root) if isinstance(widget_or_text, str) else widget_or_text
        self.frame()                    # a widget just added is laid out in the next frame
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frame()
        touch.touch_up()
        self.frame()

    def texts(self, root: Any = None) -> str:
        """Every visible label's text under ``root`` (what a person reads), one per line."""
        from kivy.uix.label import Label
        return "\n".join(plain(w.text) for w in self.walk(root)
                         if isinstance(w, Label) and w.text and self.visible(w))

    def screenshot(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame()
        made = self.window.screenshot(name=str(path))      # Kivy inserts a counter: path0001.png
        if made:
            shutil.move(made, path)
        return path


def plain(text: str) -> str:
    """A label's text without Kivy markup."""
    return re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", text or "")


def login(driver: Driver, name: str, pin: str) -> None:
    """Tap the operator's name, the PIN's digits, OK; wait for the session."""
    driver.tap(name)
    for digit in pin:
        driver.tap(digit)
    driver.tap("OK")
    driver.wait_for(lambda: driver.app.session is not None and driver.app.session.name == name,
                    what=f"{name} logged in")
