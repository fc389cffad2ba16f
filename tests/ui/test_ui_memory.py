"""Issue 14 point 5, memory: the touch app builds a screen (and imports its modules) at its
first visit, not at start; a canteen counter that only sells never pays for the pickup,
balance and admin screens. On the real app under Xvfb."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ui.harness import login

ROOT = Path(__file__).resolve().parents[2]
# Loaded by the screens a sale does not need (pickup, balance, admin, copies) and nothing else.
# sqlite-utils (with click and dateutil) only for the importer's writes: a terminal that pulls
# from the platform loads it at its first pull, one that does not never does.
NOT_AT_LOGIN = ("kiosk.ui.admin", "kiosk.ui.balance", "kiosk.ui.pickup", "kiosk.ui.copies",
                "kiosk.ui.topup", "kiosk.hardware", "kivy.uix.textinput", "kivy.uix.recycleview",
                "sqlite_utils", "click", "dateutil",
                # pydantic with the sync protocol's models: the agent's, not the app's (10 MiB;
                # the health report the app feeds is built by the agent, kiosk.health_report)
                "pydantic", "sync.protocol")


def test_pickup_balance_and_admin_screens_are_built_at_their_first_visit(driver, counter):
    counter()
    app = driver.app
    assert app.screens.screen_names == ["login"] and app.screens.current == "login"
    login(driver, "Marie", "1234")
    assert app.screens.screen_names == ["login", "sale"]
    assert app.screens.offered == ("login", "sale", "pickup", "balance", "admin")
    driver.tap("Sandwichs", root=app.root_view.ids.nav)          # the pickup's first visit
    driver.wait_for(lambda: app.screens.current == "pickup", what="the pickup screen")
    pickup = driver.screen("pickup")
    driver.wait_for(lambda: pickup.rows, what="today's reservations")
    assert app.screens.screen_names == ["login", "sale", "pickup"]
    balance = driver.screen("balance")                  # asked for by name: built, not shown
    assert balance.name == "balance" and app.screens.current == "pickup"
    assert "admin" not in app.screens.screen_names
    driver.tap("Vente", root=app.root_view.ids.nav)
    driver.wait_for(lambda: app.screens.current == "sale", what="back to the sale")
    assert app.screens.screen_names == ["login", "sale", "pickup", "balance"]    # none built twice


def test_the_touch_app_at_login_has_not_loaded_the_other_screens_modules(template, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "tests.ui.modules_run", str(template),
                          str(tmp_path / "data")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["screens"] == ["login", "sale"]
    assert "kiosk.ui.sale" in found["modules"]              # the app did start and log in
    assert [m for m in NOT_AT_LOGIN if m in found["modules"]] == []
