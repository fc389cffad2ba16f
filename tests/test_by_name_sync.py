"""Issue 13, point 5, end to end over real loopback HTTP: a terminal serves students who forgot
their badge through `comptoir sell/pickup --name ... --supervisor ...`, and the platform
accepts and keeps the entries that say so (``"via": "lookup"`` and the supervisor), on both
of its backends (the ``central`` fixture of test_sync_e2e)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from .central_db import central_rows
from .test_sync_e2e import central, comptoir, enrolled_terminal  # noqa: F401 (a fixture)

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=130)


def by_name(*args, data, supervisor_pin, check_rc=0):
    """``comptoir`` as Marie (a seller), with a supervisor's PIN in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(COMPTOIR_DATA=str(data), COMPTOIR_OPERATOR="Marie", COMPTOIR_PIN="1234",
               COMPTOIR_SUPERVISOR_PIN=supervisor_pin)
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == check_rc, (args, proc.stdout, proc.stderr)
    return proc


def test_sales_by_name_reach_the_platform_as_lookups(central, tmp_path):  # noqa: F811
    db = central["db"]
    data = tmp_path / "terminal"
    enrolled_terminal(central, data, "Cantine 2")
    comptoir("sync", "--once", data=data)

    sold = by_name("sell", "--name", "EMMA DUBOIS", "--supervisor", "Luc", "SOUP", data=data,
                   supervisor_pin="5678").stdout
    assert "Emma Dubois (1A)" in sold and "Sans badge\xa0: élève trouvé par son nom, confirmé par Luc" in sold
    # two Louis Dupont: listed with their class on the terminal's own output, nothing done
    twice = by_name("pickup", "--name", "louis dupont", "--supervisor", "Luc", data=data,
                    supervisor_pin="5678", check_rc=3)
    assert "Louis Dupont (2A)" in twice.stdout and "Louis Dupont (3C)" in twice.stdout
    assert "Plusieurs élèves correspondent" in twice.stderr
    assert "Louis" not in twice.stderr                 # names go to stdout only
    by_name("pickup", "--name", "louis dupont 2a", "--supervisor", "Luc", data=data,
            supervisor_pin="5678")
    # a seller's PIN does not confirm, a wrong PIN neither
    by_name("sell", "--name", "zoe martin", "--supervisor", "Marie", "SOUP", data=data,
            supervisor_pin="1234", check_rc=5)
    by_name("sell", "--name", "emma dubois", "--supervisor", "Luc", "SOUP", data=data,
            supervisor_pin="0000", check_rc=5)

    pushed = comptoir("sync", "--once", data=data).stdout
    assert "2 opération(s) envoyée(s)" in pushed and "0 en attente" in pushed
    local = sqlite3.connect(data / "comptoir.db")
    device = local.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    mine = local.execute("SELECT seq, hash FROM journal ORDER BY seq").fetchall()
    local.close()
    rows = central_rows(db, "SELECT seq, hash, kind, body FROM journal WHERE device_id = ?"
                            " ORDER BY seq", (device,))
    assert [(seq, digest) for seq, digest, _k, _b in rows] == mine
    bodies = [(kind, json.loads(body)) for _s, _h, kind, body in rows]
    assert [(kind, b["student"], b["via"], b["supervisor"]) for kind, b in bodies] == [
        ("sale", "S00001", "lookup", "op-luc"), ("pickup", "S00008", "lookup", "op-luc")]
    assert bodies[0][1]["operator"] == "op-marie"
    # the money moved on the platform as for a badge sale
    [(balance,)] = central_rows(db, "SELECT balance_cents FROM wallets WHERE id = 'W00001'")
    assert balance == 2400
