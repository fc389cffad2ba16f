"""The touch app just after a login, in a process of its own (tests/ui/test_ui_memory.py):
which modules it has loaded and which screens it has built by then.

``python -m tests.ui.modules_run TEMPLATE FOLDER`` starts Xvfb, opens the real app on a
canteen terminal (a copy of the TEMPLATE store in FOLDER), logs Marie in by tapping her
name and PIN, and prints ``{"modules": [...], "screens": [...], "rss_kib": N}`` as JSON.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(template: Path, folder: Path) -> int:
    from kiosk.ui import autopilot
    xvfb = autopilot.Xvfb(autopilot.SCREEN)
    try:
        autopilot.start_kivy(xvfb.display)
        from tests.ui.conftest import new_terminal
        d = autopilot.Driver.start(new_terminal(template, folder))
        autopilot.login(d, "Marie", "1234")
        d.wait_for(lambda: d.app.screens.current == "sale", what="the sale screen")
        d.pump(0.5)
        status = Path("/proc/self/status").read_text().splitlines()
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        print(json.dumps({"modules": sorted(sys.modules), "screens": d.app.screens.screen_names,
                          "rss_kib": rss}))
        d.app.detach()
        d.app.terminal.close()
    finally:
        xvfb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
