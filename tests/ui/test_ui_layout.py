"""Issue 14, point 2: every screen at the five panels schools mount, each at its real DPI,
checked by tests/ui/layout_check.py: nothing outside the window, no two texts over each other,
no text cut by its box, no touch target under 12 mm. One process per panel (Kivy takes its
DPI once), the five in parallel; screenshots in build/ui-screenshots/layout/<panel>/<screen>.png.

And the checker itself, on widgets made wrong on purpose, so that it cannot pass vacuously."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import SHOTS
from tests.ui.layout_run import LONG_ARTICLES, SCREENS

ROOT = Path(__file__).resolve().parents[2]
PANELS = {"800x480": 133, "1024x600": 170, "720x1280": 216, "1280x800": 150, "1920x1080": 141}


@pytest.fixture(scope="module")
def panels(tmp_path_factory) -> dict[str, dict]:
    """Every panel's findings: ``{panel: {screen: {"defects": [...], "error": ...}}}``."""
    from kiosk import importer
    from kiosk.config import parse_config
    from kiosk.demo.folder import make_portraits
    from kiosk.demo.school import generate
    from kiosk.store import open_store
    from sync.common.clock import SystemClock, business_day
    base = tmp_path_factory.mktemp("layout")
    template = base / "template"
    template.mkdir()
    now = SystemClock().now()
    data = generate(60, day=business_day(now, parse_config({}).tz))
    data["articles"] = data["articles"] + LONG_ARTICLES
    store = open_store(template / "comptoir.db", create=True)
    importer.apply(store, importer.parse(data), now)
    store.close()
    make_portraits(template, data["students"][:6])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    runs = {}
    for panel, dpi in PANELS.items():
        out = base / f"{panel}.json"
        shots = SHOTS / "layout" / panel
        runs[panel] = (out, subprocess.Popen(
            [sys.executable, "-m", "tests.ui.layout_run", panel, str(dpi), str(template), str(out),
             str(shots)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    found = {}
    for panel, (out, proc) in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.exists(), f"{panel}: exit {proc.returncode}\n{stderr[-3000:]}"
        found[panel] = json.loads(out.read_text())
    (SHOTS / "layout" / "findings.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    return found


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("panel", PANELS)
def test_screen_fits_the_panel(panels, panel, screen):
    got = panels[panel].get(screen)
    assert got is not None, f"{screen} was not reached at {panel}"
    assert not got["error"], f"{screen} at {panel} @ {PANELS[panel]} dpi could not be opened:\n{got['error']}"
    assert got["defects"] == [], (f"{screen} at {panel} @ {PANELS[panel]} dpi:\n  "
                                  + "\n  ".join(got["defects"]))
