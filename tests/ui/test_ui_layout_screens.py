"""Issue 14, point 1 for the pickup, reception, balance, admin and forgotten-badge screens:
the states the layout test's one visit per screen does not open (tests/ui/layout_run_screens.py:
every admin section, both supervisor PIN pads, a paid photocopy, the pickup list, the balance
waiting for a badge), at the five panels and their DPI, checked by tests/ui/layout_check.py
(nothing outside the window, no two texts over each other, no text cut, targets of 12 mm).
Screenshots in build/ui-screenshots/layout-screens/<panel>/<state>.png."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import SHOTS
from tests.ui.layout_run_screens import STATES
from tests.ui.test_ui_layout import PANELS

# A long file (its setup: ~40 s in CI): started first when make test spreads the files (conftest.py).
pytestmark = pytest.mark.slow(seconds=60)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> dict[str, dict]:
    """``{panel: {state: {"defects": [...], "error": ...}}}``, one process per panel."""
    from kiosk import importer
    from kiosk.config import parse_config
    from kiosk.demo.folder import make_portraits
    from kiosk.demo.school import generate
    from kiosk.store import open_store
    from sync.common.clock import SystemClock, business_day
    template = tmp_path_factory.mktemp("layout-screens") / "template"
    template.mkdir()
    now = SystemClock().now()
    data = generate(60, day=business_day(now, parse_config({}).tz))
    store = open_store(template / "comptoir.db", create=True)
    importer.apply(store, importer.parse(data), now)
    store.close()
    make_portraits(template, data["students"][:6])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    runs = {}
    for panel, dpi in PANELS.items():
        out = template.parent / f"{panel}.json"
        runs[panel] = (out, subprocess.Popen(
            [sys.executable, "-m", "tests.ui.layout_run_screens", panel, str(dpi), str(template),
             str(out), str(SHOTS / "layout-screens" / panel)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    found = {}
    for panel, (out, proc) in runs.items():
        _stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.exists(), f"{panel}: exit {proc.returncode}\n{stderr[-3000:]}"
        found[panel] = json.loads(out.read_text())
    return found


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("panel", PANELS)
def test_state_fits_the_panel(states, panel, state):
    got = states[panel].get(state)
    assert got is not None, f"{state} was not reached at {panel}"
    assert not got["error"], f"{state} at {panel} @ {PANELS[panel]} dpi could not be opened:\n{got['error']}"
    assert got["defects"] == [], (f"{state} at {panel} @ {PANELS[panel]} dpi:\n  "
                                  + "\n  ".join(got["defects"]))
