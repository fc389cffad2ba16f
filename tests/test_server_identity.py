"""A terminal's identity on the platform is explicit (issue 15, point 9), over real loopback
HTTP on SQLite and PostgreSQL (``backend``): a fresh enrolment code never takes over a device
id in use (only a code made with ``--replace DEVICE`` does), the terminal a replacement cut
off is told so (not a bare 401) and its status says it, pushing another terminal's entries is
``403 forbidden``, and a query parameter a route does not take is refused, not ignored."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.cli.base import DB_NAME
from kiosk.store import open_store
from sync import protocol
from sync.agent import Agent, enrol, load_credentials
from sync.client import Client, Refused
from sync.server import cli
from sync.server.errors import CentralError

from .test_server import Central, Terminal, central, error  # noqa: F401  (the fixture)


def central_main(argv: list[str]) -> int:
    return cli.main(["--lang", "en", *argv])


def enrol_raw(central: Central, code: str, device_id: str) -> requests.Response:
    return requests.post(central.url + protocol.ENROL, json={"code": code, "device_id": device_id})


def device_state(central: Central, token: str) -> requests.Response:
    return requests.get(central.url + protocol.DEVICE, headers={"Authorization": f"Bearer {token}"})


# -- enrolment: taking over an id is the admin's explicit choice ----------------------------
def test_a_fresh_code_cannot_take_over_an_enrolled_id(central):
    real = central.terminal(name="Cantine 7")
    assert real.push([real.sale(), real.sale()]).status_code == 200

    code = central.store.create_enrol_code("school-a", "Cantine 8")
    body = error(enrol_raw(central, code, real.device_id), 403, "forbidden")
    assert "already enrolled ('Cantine 7')" in body.message
    assert f"enrol-code --replace {real.device_id}" in body.message
    assert device_state(central, real.token).status_code == 200       # never cut off
    # The code was not spent: a new terminal can use it.
    assert enrol_raw(central, code, str(uuid.uuid4())).status_code == 200


def test_a_replacing_code_takes_over_and_the_old_terminal_is_told(central):
    old = central.terminal(name="Cantine 9")
    assert old.push([old.sale(), old.sale(), old.sale()]).status_code == 200

    code = central.store.create_enrol_code("school-a", "", replaces=old.device_id)
    # Meant for that terminal only.
    body = error(enrol_raw(central, code, str(uuid.uuid4())), 403, "forbidden")
    assert old.device_id in body.message
    r = enrol_raw(central, code, old.device_id)
    assert r.status_code == 200, r.text
    new = protocol.EnrolResponse.model_validate(r.json())
    assert new.device_name == "Cantine 9"                  # the replaced terminal's name
    state = protocol.DeviceState.model_validate(device_state(central, new.token).json())
    assert (state.high_water, state.last_hash) == (3, old.last_hash)   # the same chain goes on

    # The terminal cut off: not a bare 401, a refusal that says it was replaced.
    for r in (device_state(central, old.token), old.push([old.sale()]), old.pull()):
        body = error(r, 403, "revoked")
        assert "this terminal was replaced" in body.message
        assert f"--replace {old.device_id}" in body.message
    error(device_state(central, "never-a-token"), 401, "unauthorized")

    with pytest.raises(CentralError, match="no terminal 'nope' in this school"):
        central.store.create_enrol_code("school-a", "X", replaces="nope")
    with pytest.raises(CentralError, match="no terminal"):      # another school's terminal
        central.store.create_enrol_code("school-b", "X", replaces=old.device_id)


def test_a_revoked_terminal_enrols_again_with_a_plain_code(central):
    t = central.terminal(name="Cantine 10")
    central.store.revoke(t.device_id)
    r = enrol_raw(central, central.store.create_enrol_code("school-a", "Cantine 10"), t.device_id)
    assert r.status_code == 200, r.text
    token = protocol.EnrolResponse.model_validate(r.json()).token
    assert device_state(central, token).status_code == 200
    assert "replaced" in error(device_state(central, t.token), 403, "revoked").message


def comptoir(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(COMPTOIR_DATA=str(folder), COMPTOIR_LANG="en")
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60)


def test_the_terminal_cut_off_says_it_was_replaced(central, tmp_path):
    """The real agent and ``comptoir status``: the replaced terminal's status names the cause."""
    folder = tmp_path / "terminal"
    assert comptoir(folder, "init", "--name", "Cantine 11").returncode == 0
    store = open_store(folder / DB_NAME)
    try:
        enrol(store, folder, central.url, central.store.create_enrol_code("school-a", "Cantine 11"))
        creds = load_credentials(folder)
        agent = Agent(store, Client(creds.url, creds.token))
        agent.run_once()
        # The admin replaces it (its store restored on another machine).
        code = central.store.create_enrol_code("school-a", "", replaces=store.device_id)
        assert enrol_raw(central, code, store.device_id).status_code == 200
        with pytest.raises(Refused) as refused:
            agent.run_once()
        assert (refused.value.status, refused.value.body.error) == (403, "revoked")
        assert store.sync_state("status") == "revoked"          # (issue 15, point 6)
        assert "this terminal was replaced" in store.sync_state("last_error")
        agent.client.close()
    finally:
        store.close()
    status = comptoir(folder, "status")
    assert status.returncode == 0, status.stderr
    platform = next(line for line in status.stdout.splitlines() if "replaced" in line)
    assert "REVOKED" in platform and "--replace" in platform


def test_enrol_code_command_replace(central_db, capsys):
    db = central_db
    assert central_main(["init", "--db", db, "--school", "Replace"]) == 0
    assert central_main(["enrol-code", "--db", db]) == 1
    assert "needs a name" in capsys.readouterr().err
    assert central_main(["enrol-code", "--db", db, "--replace", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no terminal 'nope' in this school" in err
    from sync.server.storage import CentralStore
    store = CentralStore(db)
    try:
        device_id = str(uuid.uuid4())
        store.enrol(store.create_enrol_code(store.school_id(None), "Cantine 1"), device_id)
        capsys.readouterr()
        assert central_main(["enrol-code", "--db", db, "--replace", device_id]) == 0
        code = capsys.readouterr().out.strip()
        assert store.enrol(code, device_id)["device_name"] == "Cantine 1"
    finally:
        store.close()


# -- a terminal pushes only as itself ---------------------------------------------------------
def test_pushing_another_terminals_entries_is_forbidden(central):
    mine, other = central.terminal(name="Cantine 12"), central.terminal(name="Cantine 13")
    forged = Terminal(central, other.device_id, mine.token)   # other's id in the bodies
    body = error(forged.push([forged.sale()]), 403, "forbidden")
    assert "made by another terminal" in body.message and body.seq == 1
    assert protocol.DeviceState.model_validate(
        device_state(central, mine.token).json()).high_water == 0
    assert mine.push([mine.sale()]).status_code == 200


# -- no unknown query parameter ---------------------------------------------------------------
def test_unknown_query_parameters_are_refused(central):
    t = central.terminal(name="Cantine 14")
    url = central.url
    body = error(requests.get(url + protocol.CHANGES, params={"limt": 5}, headers=t.auth),
                 422, "invalid")
    assert body.message == "unknown query parameter 'limt'"
    error(requests.get(url + protocol.DEVICE, params={"verbose": 1}, headers=t.auth),
          422, "invalid")
    error(requests.post(url + protocol.JOURNAL + "?dry_run=1", json={"entries": [t.sale()]},
                        headers=t.auth), 422, "invalid")
    error(requests.post(url + protocol.ENROL + "?school=school-b",
                        json={"code": "AAAA-BBBB-CC", "device_id": str(uuid.uuid4())}),
          422, "invalid")
    # The ones the routes take still work, with or without a value.
    r = requests.get(url + protocol.CHANGES, headers=t.auth,
                     params={"cursor": "", "limit": 5, protocol.OFFLINE_PARAM: "true"})
    assert r.status_code == 200, r.text
    assert requests.get(url + protocol.DEVICE, headers=t.auth).status_code == 200
