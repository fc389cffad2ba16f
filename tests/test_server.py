"""The reference central server over real loopback HTTP: a uvicorn server in a thread on a
free port, ``requests`` as the client, on a real central database: every test runs twice, on
a SQLite file and on a PostgreSQL database (``backend``, see conftest.py). Two schools (A:
the 60-student demo school, B: a small one with the same student ids) to show isolation."""
from __future__ import annotations

import gzip
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from kiosk.demo.school import generate
from kiosk.journal import GENESIS, chain_hash, make_entry
from sync import protocol
from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.protocol import PushedEntry
from sync.server import cli, ledger, reports
from sync.server.storage import CentralStore

from .central_db import central_rows
from .conftest import TODAY
from .loopback import Served

KEYS = {"categories": "code", "articles": "code", "students": "id", "badges": "uid",
        "wallets": "id", "operators": "id", "reservations": "id"}


def central_main(argv: list[str]) -> int:
    """The platform's command line in English: these tests are about what it says, not its
    language (tests/test_translations.py checks the languages; French is the default)."""
    return cli.main(["--lang", "en", *argv])


def school_b() -> DataSet:
    """Same student ids as school A on purpose; wallets named apart to push across schools."""
    data = generate(students=5, operators=False)
    for w in data["wallets"]:
        w["id"] = "B-" + w["id"]
    return DataSet.model_validate(data)


class Central:
    def __init__(self, url: str, store: CentralStore):
        self.url, self.store = url, store

    def terminal(self, school: str = "school-a", name: str = "Cantine 1") -> Terminal:
        code = self.store.create_enrol_code(school, name)
        device_id = str(uuid.uuid4())
        r = requests.post(self.url + protocol.ENROL, json={"code": code, "device_id": device_id})
        assert r.status_code == 200, r.text
        return Terminal(self, device_id, protocol.EnrolResponse.model_validate(r.json()).token)


class Terminal:
    """A fake terminal: its own chain and token."""

    def __init__(self, central: Central, device_id: str, token: str):
        self.central, self.device_id, self.token = central, device_id, token
        self.seq, self.last_hash = 0, GENESIS

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def sale(self, wallet: str = "W00001", cents: int = -300, student: str = "S00001") -> dict:
        """Append a sale to this terminal's chain, made as ``kiosk.journal.append`` makes it."""
        self.seq += 1
        _, body, digest = make_entry(
            device_id=self.device_id, seq=self.seq, prev_hash=self.last_hash, kind="sale",
            ts="2026-11-24T11:00:00.000000Z", day=TODAY, operator_id="op-marie",
            student_id=student, postings=[(wallet, cents)], details={"lines": [{
                "article": "SANDW-HAM", "name": "Sandwich jambon", "qty": 1, "unit_cents": -cents,
                "total_cents": -cents, "wallet": wallet}]})
        entry = {"seq": self.seq, "body": body, "prev_hash": self.last_hash, "hash": digest}
        self.last_hash = digest
        return entry

    def push(self, entries: list[dict], **kw) -> requests.Response:
        return requests.post(self.central.url + protocol.JOURNAL, json={"entries": entries},
                             headers=self.auth, **kw)

    def pull(self, cursor: str = "", limit: int | None = None) -> requests.Response:
        params = {"cursor": cursor} | ({"limit": limit} if limit else {})
        return requests.get(self.central.url + protocol.CHANGES, params=params, headers=self.auth)

    def page(self, cursor: str = "", limit: int | None = None) -> protocol.PullPage:
        r = self.pull(cursor, limit)
        assert r.status_code == 200, r.text
        return protocol.PullPage.model_validate(r.json())

    def pull_all(self, cursor: str = "", limit: int | None = None):
        """Every page from ``cursor`` to the end: (pages, last cursor)."""
        pages = []
        while True:
            pages.append(self.page(cursor, limit))
            cursor = pages[-1].cursor
            if not pages[-1].has_more:
                return pages, cursor


def error(r: requests.Response, status: int, code: str) -> protocol.ErrorBody:
    assert r.status_code == status, (r.status_code, r.text)
    body = protocol.ErrorBody.model_validate(r.json())
    assert body.error == code, body
    return body


@pytest.fixture(scope="module")
def central(central_dbs, demo_data):
    store = CentralStore(central_dbs.new(), create=True)
    store.add_school("School A", "school-a")
    store.add_school("School B", "school-b")
    store.load("school-a", DataSet.model_validate(demo_data))
    store.load("school-b", school_b())
    served = Served(store)
    yield Central(served.url, store)
    served.stop()
    store.close()


def wallet_balance(terminal: Terminal, wallet: str) -> int:
    pages, _ = terminal.pull_all()
    return next(w.balance_cents for p in pages for w in p.wallets if w.id == wallet)


# -- enrolment and auth ------------------------------------------------------------------
def test_enrolment_token_and_revocation(central):
    code = central.store.create_enrol_code("school-a", "Accueil")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", code)
    device_id = str(uuid.uuid4())
    # Typed sloppily: lower case, no dashes.
    r = requests.post(central.url + protocol.ENROL,
                      json={"code": code.replace("-", "").lower(), "device_id": device_id})
    assert r.status_code == 200, r.text
    answer = protocol.EnrolResponse.model_validate(r.json())
    assert (answer.device_id, answer.device_name, answer.school_id, answer.school_name) == (
        device_id, "Accueil", "school-a", "School A")
    auth = {"Authorization": f"Bearer {answer.token}"}
    state = protocol.DeviceState.model_validate(
        requests.get(central.url + protocol.DEVICE, headers=auth).json())
    assert (state.high_water, state.last_hash, state.device_name) == (0, GENESIS, "Accueil")

    r = requests.post(central.url + protocol.ENROL, json={"code": code, "device_id": device_id})
    error(r, 403, "bad_code")                                           # used already
    r = requests.post(central.url + protocol.ENROL,
                      json={"code": "AAAA-BBBB-CC", "device_id": device_id})
    error(r, 403, "bad_code")                                           # unknown
    expired = central.store.create_enrol_code("school-a", "Old", ttl=timedelta(seconds=-1))
    r = requests.post(central.url + protocol.ENROL, json={"code": expired, "device_id": device_id})
    error(r, 403, "bad_code")

    error(requests.get(central.url + protocol.DEVICE), 401, "unauthorized")
    error(requests.get(central.url + protocol.DEVICE,
                       headers={"Authorization": "Bearer not-a-token"}), 401, "unauthorized")

    central.store.revoke(device_id)
    error(requests.get(central.url + protocol.DEVICE, headers=auth), 403, "revoked")
    error(requests.post(central.url + protocol.JOURNAL, json={"entries": []}, headers=auth),
          403, "revoked")      # auth is checked before the body

    # Re-enrolment (same device id, new code): a new token, the old one is dead.
    code2 = central.store.create_enrol_code("school-a", "Accueil bis")
    r = requests.post(central.url + protocol.ENROL, json={"code": code2, "device_id": device_id})
    token2 = protocol.EnrolResponse.model_validate(r.json()).token
    assert requests.get(central.url + protocol.DEVICE,
                        headers={"Authorization": f"Bearer {token2}"}).status_code == 200
    # ... and says why: the terminal was replaced (issue 15, point 9; tests/test_server_identity.py)
    assert "replaced" in error(requests.get(central.url + protocol.DEVICE, headers=auth),
                               403, "revoked").message

    # A device of school A cannot move to school B with a code of B.
    code_b = central.store.create_enrol_code("school-b", "Cantine B")
    r = requests.post(central.url + protocol.ENROL, json={"code": code_b, "device_id": device_id})
    error(r, 403, "forbidden")


# -- push ----------------------------------------------------------------------------------
def test_push_applies_once_and_debits(central):
    t = central.terminal()
    before = wallet_balance(t, "W00003")
    entries = [t.sale("W00003", -300), t.sale("W00003", -120), t.sale("W00003", -80)]
    r = t.push(entries)
    assert r.status_code == 200, r.text
    answer = protocol.PushResponse.model_validate(r.json())
    assert (answer.high_water, answer.last_hash, answer.applied) == (3, t.last_hash, 3)
    assert wallet_balance(t, "W00003") == before - 500

    # The same request again (its answer was lost): nothing applied twice.
    again = protocol.PushResponse.model_validate(t.push(entries).json())
    assert (again.high_water, again.last_hash, again.applied) == (3, t.last_hash, 0)
    # Overlapping retry: 2 and 3 known, 4 new.
    more = protocol.PushResponse.model_validate(t.push(entries[1:] + [t.sale("W00003", -100)]).json())
    assert (more.high_water, more.applied) == (4, 1)
    assert wallet_balance(t, "W00003") == before - 600
    state = protocol.DeviceState.model_validate(
        requests.get(central.url + protocol.DEVICE, headers=t.auth).json())
    assert (state.high_water, state.last_hash) == (4, t.last_hash)


def test_conflict_is_recorded_and_refused(central):
    t = central.terminal()
    first = [t.sale(), t.sale()]
    assert t.push(first).status_code == 200
    # Another entry 2 (e.g. a restored backup that sold something else).
    t.seq, t.last_hash = 1, first[0]["hash"]
    other = t.sale(cents=-999)
    body = error(t.push([other, t.sale()]), 409, "conflict")
    assert body.seq == 2
    recorded = central.store.conflicts(t.device_id)
    assert [(c["seq"], c["hash"], c["body"]) for c in recorded] == [(2, other["hash"], other["body"])]
    state = requests.get(central.url + protocol.DEVICE, headers=t.auth).json()
    assert (state["high_water"], state["last_hash"]) == (2, first[1]["hash"])   # unchanged


def test_gap_and_broken_chain(central):
    t = central.terminal()
    entries = [t.sale(), t.sale(), t.sale()]
    body = error(t.push(entries[2:]), 409, "gap")
    assert body.expected_seq == 1
    error(t.push([entries[0], entries[2]]), 422, "invalid")          # not contiguous

    bad_prev = dict(entries[0], prev_hash="1" * 64)
    bad_prev["hash"] = chain_hash(bad_prev["prev_hash"], bad_prev["body"])
    assert error(t.push([bad_prev]), 422, "chain_broken").seq == 1
    bad_hash = dict(entries[0], hash="2" * 64)
    assert error(t.push([bad_hash]), 422, "chain_broken").seq == 1
    # A bad entry after good ones: the whole request is refused, nothing applied.
    tampered = dict(entries[1], body=entries[1]["body"].replace("-300", "-3"))
    assert error(t.push([entries[0], tampered]), 422, "chain_broken").seq == 2
    assert requests.get(central.url + protocol.DEVICE, headers=t.auth).json()["high_water"] == 0
    assert t.push(entries).json()["applied"] == 3


def test_body_must_be_the_pushing_device_and_its_school(central):
    t = central.terminal()
    other = Terminal(central, str(uuid.uuid4()), "x" * 43)
    error(t.push([other.sale()]), 403, "forbidden")     # pushes as someone else (issue 15, point 9)
    body = error(t.push([t.sale(wallet="B-W00001")]), 422, "invalid")  # school B's wallet
    assert "B-W00001" in body.message
    assert requests.get(central.url + protocol.DEVICE, headers=t.auth).json()["high_water"] == 0


# -- pull ----------------------------------------------------------------------------------
def test_full_pull_paged_delivers_every_record_once(central, demo_data):
    t = central.terminal()
    pages, cursor = t.pull_all(limit=37)
    assert len(pages) > 3 and all(p.full for p in pages)     # every page of a full resync
    assert not t.page(cursor).full                            # then incremental again
    assert all(sum(len(getattr(p, k)) for k in KEYS) <= 37 for p in pages)
    expected = DataSet.model_validate(demo_data).model_dump(mode="json")
    for kind, key in KEYS.items():
        got = [r.model_dump(mode="json") for p in pages for r in getattr(p, kind)]
        assert len(got) == len(expected[kind]), kind
        assert sorted(r[key] for r in got) == sorted(r[key] for r in expected[kind]), kind
        if kind != "wallets":        # balances move with the other tests' pushes
            by_key = {r[key]: r for r in expected[kind]}
            assert all(r == by_key[r[key]] for r in got), kind
    assert all(w.included_seq == 0 for p in pages for w in p.wallets)

    # School B's device sees only school B (same student ids, its own wallets).
    b = central.terminal("school-b", "Cantine B")
    b_pages, _ = b.pull_all(limit=1000)
    assert sorted(w.id for p in b_pages for w in p.wallets) == [
        w.id for w in school_b().wallets]
    assert sum(len(p.students) for p in b_pages) == 5


def test_incremental_pull_returns_only_changes(central, demo_data):
    t = central.terminal()
    _, cursor = t.pull_all()
    empty = t.page(cursor)
    assert (empty.has_more, empty.full, empty.cursor) == (False, False, cursor)
    assert not any(getattr(empty, k) for k in KEYS)

    article = dict(demo_data["articles"][0], price_cents=demo_data["articles"][0]["price_cents"] + 10)
    central.store.load("school-a", DataSet.model_validate({"articles": [article]}))
    page = t.page(cursor)
    assert [a.model_dump(mode="json") for a in page.articles] == [article]
    assert sum(len(getattr(page, k)) for k in KEYS) == 1
    # Loading the same again changes nothing, so there is nothing to pull.
    central.store.load("school-a", DataSet.model_validate({"articles": [article]}))
    assert not any(getattr(t.page(page.cursor), k) for k in KEYS)


def test_pushed_debit_comes_back_with_included_seq(central):
    t = central.terminal()
    pages, cursor = t.pull_all()
    before = next(w.balance_cents for p in pages for w in p.wallets if w.id == "W00002")
    assert t.push([t.sale("W00004", -50), t.sale("W00002", -250)]).status_code == 200
    page = t.page(cursor)
    assert {w.id: (w.balance_cents, w.included_seq) for w in page.wallets}["W00002"] == (
        before - 250, 2)
    assert sorted(w.id for w in page.wallets) == ["W00002", "W00004"]
    assert sum(len(getattr(page, k)) for k in KEYS) == 2
    # Another terminal of the school sees the new balance with *its* included seq.
    other = central.terminal(name="Cantine 2")
    assert [w.included_seq for w in other.page(cursor).wallets] == [0, 0]


def test_bad_cursor_is_410(central):
    t = central.terminal()
    epoch = t.page("").cursor.split(":")[1]
    for cursor in ("garbage", "v1:", "v1:-3", "v1:1", f"v2:{epoch}:99999999999",
                   f"v2:{epoch}:99999999999:full", f"v2:{epoch}:-3", "v2:1", f"v2:{epoch}:1:fu",
                   "v2:0badcafe:1"):
        error(t.pull(cursor), 410, "cursor_expired")
    error(t.pull("", limit=protocol.MAX_PAGE_RECORDS + 1), 422, "invalid")


# -- transport -----------------------------------------------------------------------------
def test_gzip_both_ways(central):
    t = central.terminal()
    import json
    raw = json.dumps({"entries": [t.sale()]}).encode()
    headers = t.auth | {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    r = requests.post(central.url + protocol.JOURNAL, data=gzip.compress(raw), headers=headers)
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    raw2 = json.dumps({"entries": [t.sale()]}).encode()
    r = requests.post(central.url + protocol.JOURNAL, data=gzip.compress(raw2)[:-12],
                      headers=headers)
    error(r, 422, "invalid")
    r = requests.post(central.url + protocol.JOURNAL, data=b"\x1f\x8bnot gzip", headers=headers)
    error(r, 422, "invalid")
    r = t.pull(limit=500)           # requests asks for gzip by default
    assert r.headers.get("Content-Encoding") == "gzip"
    protocol.PullPage.model_validate(r.json())


def test_garbage_and_oversized_requests(central):
    t = central.terminal()
    headers = t.auth | {"Content-Type": "application/json"}
    error(requests.post(central.url + protocol.JOURNAL, data=b"{not json", headers=headers),
          422, "invalid")
    error(requests.post(central.url + protocol.JOURNAL, json={"entries": [{"seq": 1}]},
                        headers=t.auth), 422, "invalid")
    error(requests.post(central.url + protocol.ENROL, json={"code": "x"}), 422, "invalid")
    error(requests.get(central.url + "/api/v1/nowhere", headers=t.auth), 404, "invalid")
    big = b"x" * (10 * 1024 * 1024 + 1)
    error(requests.post(central.url + protocol.JOURNAL, data=big, headers=headers), 413, "invalid")
    bomb = gzip.compress(b" " * (11 * 1024 * 1024))
    error(requests.post(central.url + protocol.JOURNAL, data=bomb,
                        headers=headers | {"Content-Encoding": "gzip"}), 413, "invalid")


def test_unexpected_failure_is_500_without_internals(central, caplog):
    central.store.add_school("School C", "school-c")
    t = central.terminal("school-c", "Cantine C")
    central_rows(central.store, "INSERT INTO categories (school_id, code, name, wallet_kind,"
                 " version) VALUES ('school-c', '', 'Secret name', NULL, 1)",
                 write=True)           # a row no terminal could take
    body = error(t.pull(), 500, "server_error")
    assert body.message == "internal error"
    assert "unexpected ValidationError" in caplog.text and "Secret" not in caplog.text


# -- the admin commands ------------------------------------------------------------------
def test_cli_commands(central_db, capsys):
    db = central_db
    assert central_main(["enrol-code", "--db", db, "--name", "Cantine 1"]) == 1
    assert "no central database" in capsys.readouterr().err
    assert central_main(["init", "--db", db, "--school", "Athénée Royal"]) == 0
    assert "athenee-royal" in capsys.readouterr().out
    assert central_main(["init", "--db", db, "--school", "Athénée Royal"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert central_main(["demo-data", "--db", db, "--students", "12"]) == 0
    assert "12 students" in capsys.readouterr().out
    assert central_main(["enrol-code", "--db", db, "--name", "Cantine 1"]) == 0
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}\n", capsys.readouterr().out)
    assert central_main(["revoke", "--db", db, "--device", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no device 'nope'" in err
    assert central_main(["init", "--db", db, "--school", "Other", "--school-id", "other"]) == 0
    capsys.readouterr()
    assert central_main(["enrol-code", "--db", db, "--name", "X"]) == 1
    assert "--school-id" in capsys.readouterr().err
    assert central_main(["enrol-code", "--db", db, "--name", "X", "--school-id", "other"]) == 0


def test_cli_serve_answers_over_http(central_db):
    db = central_db
    assert central_main(["init", "--db", db, "--school", "Serve"]) == 0
    with socket.socket() as s:          # a free port (tiny race with other processes: fine)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sync.server.cli", "serve", "--db", db,
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}{protocol.DEVICE}", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
        error(r, 401, "unauthorized")
    finally:
        proc.terminate()
        proc.wait(10)


# -- the API's description: admins only --------------------------------------------------
def test_openapi_is_served_to_admins_only(central):
    url = central.url + reports.ADMIN_OPENAPI
    error(requests.get(url), 401, "unauthorized")
    error(requests.get(url, headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    error(requests.get(url, headers=central.terminal().auth), 403, "forbidden")
    admin = {"Authorization": f"Bearer {central.store.create_admin_token()}"}
    r = requests.get(url, headers=admin)
    assert r.status_code == 200, r.text
    paths = r.json()["paths"]
    assert {protocol.ENROL, protocol.JOURNAL, protocol.CHANGES, protocol.DEVICE,
            reports.ADMIN_SALES, reports.ADMIN_DEVICES} <= set(paths)
    assert reports.ADMIN_OPENAPI not in paths
    push = paths[protocol.JOURNAL]["post"]["responses"]
    assert push["200"]["content"]["application/json"]["schema"]["$ref"].endswith("PushResponse")
    assert push["409"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    for public in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
        assert requests.get(central.url + public).status_code == 404, public


# -- what the platform knows of its terminals (version, last seen) ------------------------
def test_terminals_report_their_version_and_last_sighting(central_db, demo_data, capsys):
    clock = ManualClock(datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
    store = CentralStore(central_db, create=True, now=clock.now)
    store.add_school("School A", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    served = Served(store)
    try:
        central = Central(served.url, store)
        t = central.terminal()
        admin = {"Authorization": f"Bearer {store.create_admin_token()}"}

        def listed() -> reports.DeviceInfo:
            r = requests.get(served.url + reports.ADMIN_DEVICES, headers=admin)
            assert r.status_code == 200, r.text
            found = reports.DeviceList.model_validate(r.json())
            assert found.school_id == "school-a" and len(found.devices) == 1
            return found.devices[0]

        def as_terminal(agent: str) -> None:
            r = requests.get(served.url + protocol.DEVICE,
                             headers=t.auth | {"User-Agent": agent})
            assert r.status_code == 200, r.text

        first = listed()
        assert (first.id, first.name, first.version, first.last_seen_at, first.revoked_at) == (
            t.device_id, "Cantine 1", None, None, None)
        as_terminal("comptoir/1.4.0 (terminal)")
        assert (listed().version, listed().last_seen_at) == ("1.4.0",
                                                             "2026-11-24T10:00:00.000000Z")
        # Within the minute, the same version costs no write: last_seen_at stays.
        clock.advance(30)
        r = requests.post(served.url + protocol.JOURNAL, json={"entries": [t.sale()]},
                          headers=t.auth | {"User-Agent": "comptoir/1.4.0 (terminal)"})
        assert r.status_code == 200, r.text
        assert listed().last_seen_at == "2026-11-24T10:00:00.000000Z"
        assert listed().high_water == 1
        # A new version is recorded at once; a minute later the time moves on.
        as_terminal("comptoir/1.5.0rc1 (terminal)")
        assert (listed().version, listed().last_seen_at) == ("1.5.0rc1",
                                                             "2026-11-24T10:00:30.000000Z")
        clock.advance(61)
        as_terminal("comptoir/1.5.0rc1 (terminal)")
        assert listed().last_seen_at == "2026-11-24T10:01:31.000000Z"
        # Anything else is "unknown", never the text the terminal sent.
        for agent in ("comptoir-terminal/1", "comptoir/1.0<script>", "x" * 5000, ""):
            as_terminal(agent)
            assert listed().version == "unknown", agent
        # Terminals and strangers do not read the list.
        error(requests.get(served.url + reports.ADMIN_DEVICES, headers=t.auth), 403, "forbidden")
        error(requests.get(served.url + reports.ADMIN_DEVICES), 401, "unauthorized")
        as_terminal("comptoir/1.5.0 (terminal)")
        store.revoke(t.device_id)
        assert listed().revoked_at == "2026-11-24T10:01:31.000000Z"
    finally:
        served.stop()
        store.close()
    assert central_main(["devices", "--db", central_db]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["Device", "Name", "Version", "Last", "seen", "Enrolled",
                                "Revoked", "High", "water", "Conflicts"]
    assert table[1].split() == [t.device_id, "Cantine", "1", "1.5.0", "24/11/2026", "11:01",
                                "24/11/2026", "11:00", "24/11/2026", "11:01", "1", "0"]


# -- the school's own time zone ------------------------------------------------------------
@pytest.mark.parametrize("zone, today, local, shown", [
    ("Europe/Brussels", "2026-11-24", "2026-11-24T21:30:00+01:00", "24/11/2026 21:30"),
    ("Asia/Tokyo", "2026-11-25", "2026-11-25T05:30:00+09:00", "25/11/2026 05:30"),
    ("America/Montreal", "2026-11-24", "2026-11-24T15:30:00-05:00", "24/11/2026 15:30"),
])
def test_sales_journal_counts_in_the_schools_time_zone(central_db, demo_data, capsys, zone,
                                                       today, local, shown):
    """A sale at 20:30 UTC: 21:30 in Brussels, 05:30 the next morning in Tokyo, 15:30 in
    Montreal; "today", the days of the platform's own rows and the local times are the
    school's."""
    clock = ManualClock(datetime(2026, 11, 24, 20, 30, tzinfo=timezone.utc))
    with CentralStore(central_db, create=True, now=clock.now) as store:
        store.add_school("School A", "school-a")
        store.load("school-a", DataSet.model_validate(demo_data))
        if zone == "Asia/Tokyo":
            ledger.set_settings(store, "school-a", timezone=zone)
    if zone == "America/Montreal":
        assert central_main(["timezone", "--db", central_db, "--zone", "Mars/Olympus"]) == 1
        assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err
        assert central_main(["timezone", "--db", central_db, "--zone", zone]) == 0
        capsys.readouterr()
    assert central_main(["timezone", "--db", central_db]) == 0
    assert capsys.readouterr().out == f"time zone: {zone}\n"      # Brussels: the default
    with CentralStore(central_db, now=clock.now) as store:
        device_id = str(uuid.uuid4())
        me = store.authenticate(store.enrol(store.create_enrol_code("school-a", "Cantine 1"),
                                            device_id)["token"])
        _, body, digest = make_entry(
            device_id=device_id, seq=1, prev_hash=GENESIS, kind="sale",
            ts="2026-11-24T20:30:00.000000Z", day=today, operator_id="op-marie",
            student_id="S00001", postings=[("W00001", -120)], details={"lines": [{
                "article": "SOUP", "name": "Potage", "qty": 1, "unit_cents": 120,
                "total_cents": 120, "wallet": "W00001"}]})
        store.push(me, [PushedEntry(seq=1, body=body, prev_hash=GENESIS, hash=digest)])
        clock.advance(minutes=15)           # 21:00 UTC: a reservation made on the platform
        sandwich = next(a["code"] for a in demo_data["articles"] if a["reservable"])
        ledger.create_reservation(store, "school-a", "S00001", date(2026, 11, 26), sandwich)
        journal = store.sales_journal("school-a", period="today")
        assert (journal["first_day"].isoformat(), journal["count"]) == (today, 2)
        assert [(r["kind"], r["local_time"]) for r in journal["rows"]] == [
            ("reservation", local.replace("30:00", "45:00")), ("sale", local)]
        other_day = "2026-11-25" if today == "2026-11-24" else "2026-11-24"
        assert store.sales_journal("school-a", first_day=date.fromisoformat(other_day),
                                   last_day=date.fromisoformat(other_day))["count"] == 0
    assert central_main(["sales", "--db", central_db, "--from", today, "--to", today]) == 0
    out = capsys.readouterr().out
    assert shown in out and "Potage" in out, out
