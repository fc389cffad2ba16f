"""The touch app just after a login, in a process of its own (tests/ui/test_ui_memory.py):
which modules it has loaded and which screens it has built by then.

``python -m tests.ui.modules_run TEMPLATE FOLDER`` starts Xvfb, opens the real app on a
canteen terminal (a copy of the TEMPLATE store in FOLDER), logs Marie in by tapping her
name and PIN, and prints ``{"modules": [...], "screens": [...], "rss_kib": N}`` as JSON.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# What a school's config gives (tests/ui/conftest.py's SCHOOL), copied: importing the tests'
# conftest would load pytest, the demo school and the importer, which the app never loads.
SCHOOL = {"name": "Institut Saint-Michel", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB"}


def new_terminal(template: Path, folder: Path):  # type: ignore[no-untyped-def]
    """A canteen terminal on a copy of the template store, as the real launch builds one."""
    from drivers.badge.simulated import SimulatedReader
    from kiosk.config import parse_config
    from kiosk.counter import CounterService
    from kiosk.store import open_store
    from kiosk.ui.terminal import Terminal
    shutil.copytree(template, folder)
    config = parse_config({"terminal": {"name": "Cantine 1", "profile": "canteen"}, "school": SCHOOL})
    return Terminal(folder, config, CounterService(open_store(folder / "comptoir.db"), config),
                    SimulatedReader())


def main(template: Path, folder: Path) -> int:
    from kiosk.ui import autopilot
    xvfb = autopilot.Xvfb(autopilot.SCREEN)
    try:
        autopilot.start_kivy(xvfb.display)
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
