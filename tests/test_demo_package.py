"""The demo tooling lives in kiosk/demo/, above the touch app: the demo school is pure data the
platform can load, and the app gets the demo's badges from above."""
import ast
import subprocess
import sys
from datetime import date
from pathlib import Path

from kiosk.demo import launch
from kiosk.demo.school import DEMO_BADGES, DEMO_PINS, generate
from sync.models import DataSet
from tests.layers import layer_of

ROOT = Path(__file__).resolve().parent.parent


def test_loading_the_demo_school_loads_nothing_of_the_terminal():
    code = ("import sys, kiosk.demo.school; print(sorted(m for m in sys.modules"
            " if m.split('.')[0] in ('kiosk', 'sync', 'drivers')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    loaded = set(ast.literal_eval(out.strip())) - {"kiosk", "kiosk.demo", "kiosk.demo.school"}
    assert {layer_of(m)[0] for m in loaded} <= {"shared"}, sorted(loaded)   # sync.common at most


def test_the_demo_school_is_the_platforms_data():
    data = DataSet.model_validate(generate(40, day=date(2026, 11, 24)))
    assert len(data.students) == 40 and {b.uid for b in data.badges} >= set(DEMO_BADGES) - {"05000000"}
    assert {o.name for o in data.operators} == set(DEMO_PINS)


def test_the_demo_hands_its_badges_to_the_app(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("kiosk.ui.launch.run", lambda folder, **kw: calls.append(kw))
    launch.run(tmp_path, demo=True)
    launch.run(tmp_path, badge_panel=True, fullscreen=True)
    launch.run(tmp_path, self_service=True)
    assert [c["badge_panel"] for c in calls] == [DEMO_BADGES, DEMO_BADGES, None]
    assert calls[1]["fullscreen"] and calls[2]["self_service"]
