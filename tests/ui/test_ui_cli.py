"""``python -m kiosk.ui --demo`` (the same as ``comptoir ui --demo``) starts the app on a new
demo data folder, in a process of its own, on the tests' X server."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from kiosk.store import open_store


def test_entry_point_starts_the_demo_app(display, tmp_path):
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "KIVY_NO_CONSOLELOG"}   # we read Kivy's log
    env["DISPLAY"] = display
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.ui", "--data", str(folder), "--demo"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        deadline = time.monotonic() + 40
        for line in proc.stderr:
            seen.append(line)
            if "Start application main loop" in line or time.monotonic() > deadline:
                break
        assert any("Start application main loop" in line for line in seen), "".join(seen[-20:])
        time.sleep(1.0)
        assert proc.poll() is None, "".join(seen[-20:])          # still running, not crashed
    finally:
        proc.terminate()
        proc.wait(10)
    assert not any("Traceback" in line for line in seen), "".join(seen)
    assert any("École de démonstration créée" in line for line in seen)
    assert proc.returncode == 0, "".join(seen[-20:])        # SIGTERM: SDL asks the app to stop
    store = open_store(folder / "comptoir.db")
    try:
        assert store.pages_checked is None        # closed cleanly: no page check at this start
        assert store.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 800
    finally:
        store.close()
    assert (folder / "photos" / "S00001.jpg").is_file()


def test_a_terminal_opens_in_kiosk_mode_at_the_panels_dpi(template, tmp_path):
    """`comptoir ui` on a terminal's folder, on a 800×480 panel that tells its size (133 dpi):
    full screen at the panel's size and origin, no decorations, and 12 mm are 63 px."""
    import shutil

    from kiosk.ui.autopilot import Xvfb
    folder = tmp_path / "terminal"
    shutil.copytree(template, folder)
    panel = Xvfb((800, 480), dpi=133)
    env = {k: v for k, v in os.environ.items() if k not in ("KIVY_NO_CONSOLELOG", "KIVY_DPI")}
    env["DISPLAY"] = panel.display
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.ui", "--data", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        deadline = time.monotonic() + 40
        for line in proc.stderr:
            seen.append(line)
            if "Start application main loop" in line or time.monotonic() > deadline:
                break
        time.sleep(0.5)
        tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                              text=True).stdout
    finally:
        proc.terminate()
        proc.wait(10)
        panel.stop()
    log = "".join(seen)
    assert "Panel       ] kiosk mode, 133 dpi" in log, log[-3000:]
    window = [line for line in tree.splitlines() if '"Comptoir"' in line]
    assert window and "800x480+0+0" in window[0], tree
