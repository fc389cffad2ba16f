"""The parents' sales journal on the central server: period presets, filters, one row per
article line (voids as credits, pickups at zero), the admin endpoint over real loopback HTTP
and the ``comptoir central sales`` table.

The entries are real: two real terminal stores (a canteen and a reception desk) sell, void,
deliver a reservation and close a day through ``CounterService`` on a manual clock, and their
journals are pushed over HTTP to a real server (uvicorn in a thread), whose database is a real
SQLite file or a real PostgreSQL database: every test of the server runs on both (``backend``,
see conftest.py)."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
import requests

from kiosk import importer, journal
from kiosk.config import TerminalConfig, TerminalSection
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, Badge, generate, structured_communication
from kiosk.journal import GENESIS, canonical_json, chain_hash, uuid7
from kiosk.store import open_store
from sync import protocol
from sync.common.clock import ManualClock, local_time
from sync.models import DataSet
from sync.server import reports
from sync.server.cli import main as central_main
from sync.server.sales_journal import period_days
from sync.server.storage import CentralError, CentralStore

from .central_db import central_rows
from .conftest import BRUSSELS
from .loopback import Served

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=BRUSSELS)      # "today" for the server: Tuesday 24
TODAY = NOW.date()
D = date.fromisoformat


# -- period presets ------------------------------------------------------------------------
@pytest.mark.parametrize("today, period, expected", [
    ("2026-11-24", "today", ("2026-11-24", "2026-11-24")),
    ("2026-11-24", "yesterday", ("2026-11-23", "2026-11-23")),
    ("2026-11-24", "last_7_days", ("2026-11-18", "2026-11-24")),
    ("2026-11-24", "last_30_days", ("2026-10-26", "2026-11-24")),
    ("2026-11-24", "this_month", ("2026-11-01", "2026-11-24")),
    ("2026-11-24", "last_month", ("2026-10-01", "2026-10-31")),
    ("2026-11-24", None, ("2026-10-26", "2026-11-24")),          # the manuals' default
    ("2026-11-24", "", ("2026-10-26", "2026-11-24")),
    ("2026-11-24", "Last-7-Days", ("2026-11-18", "2026-11-24")),  # as the CLI writes them
    # Month and year boundaries.
    ("2026-12-01", "yesterday", ("2026-11-30", "2026-11-30")),
    ("2026-12-01", "this_month", ("2026-12-01", "2026-12-01")),
    ("2026-12-01", "last_month", ("2026-11-01", "2026-11-30")),
    ("2026-12-31", "last_month", ("2026-11-01", "2026-11-30")),
    ("2027-01-01", "yesterday", ("2026-12-31", "2026-12-31")),
    ("2027-01-01", "last_7_days", ("2026-12-26", "2027-01-01")),
    ("2027-01-15", "last_month", ("2026-12-01", "2026-12-31")),    # January: last year's December
    ("2027-01-31", "this_month", ("2027-01-01", "2027-01-31")),
    ("2026-03-31", "last_month", ("2026-02-01", "2026-02-28")),
    ("2026-03-01", "last_30_days", ("2026-01-31", "2026-03-01")),
    # Leap years.
    ("2028-03-01", "yesterday", ("2028-02-29", "2028-02-29")),
    ("2028-03-31", "last_month", ("2028-02-01", "2028-02-29")),
    ("2028-02-29", "this_month", ("2028-02-01", "2028-02-29")),
    ("2028-02-29", "today", ("2028-02-29", "2028-02-29")),
    ("2028-03-03", "last_7_days", ("2028-02-26", "2028-03-03")),
    ("2028-03-29", "last_30_days", ("2028-02-29", "2028-03-29")),
    ("2100-03-01", "yesterday", ("2100-02-28", "2100-02-28")),     # 2100 is not a leap year
])
def test_period_presets(today, period, expected):
    assert period_days(period, D(today)) == (D(expected[0]), D(expected[1]))


def test_custom_period():
    today = D("2026-11-24")
    assert period_days("custom", today, D("2026-09-01"), D("2026-09-30")) == (
        D("2026-09-01"), D("2026-09-30"))
    assert period_days(None, today, D("2028-02-29"), D("2028-02-29")) == (   # days: custom
        D("2028-02-29"), D("2028-02-29"))
    for period, first, last, why in [
            ("custom", D("2026-09-30"), D("2026-09-01"), "starts"),
            ("custom", D("2026-09-01"), None, "both"),
            (None, None, D("2026-09-01"), "both"),
            ("today", D("2026-09-01"), D("2026-09-02"), "takes no from/to"),
            ("forever", None, None, "unknown period")]:
        with pytest.raises(CentralError, match=why) as e:
            period_days(period, today, first, last)
        assert e.value.code == "invalid"


def test_local_time_is_brussels_with_summer_time():
    assert local_time("2026-07-01T10:00:00.000000Z", BRUSSELS) == "2026-07-01T12:00:00+02:00"
    assert local_time("2026-11-24T11:06:00.000000Z", BRUSSELS) == "2026-11-24T12:06:00+01:00"
    assert local_time("not a time", BRUSSELS) == "not a time"


# -- the world: two terminals, a central server, pushed journals ---------------------------
def school_data() -> dict:
    """The small demo school, with Emma holding a second wallet that pays photocopies."""
    data = generate(students=10, day=TODAY)
    for c in data["categories"]:
        if c["code"] == "photocopy":
            c["wallet_kind"] = "supplies"
    data["wallets"].append({
        "id": "W90001", "student_id": "S00001", "kind": "supplies", "name": "Fournitures",
        "structured_communication": structured_communication(90001), "is_default": False,
        "balance_cents": 500})
    return data


def terminal(tmp, name: str, profile: str, data: dict, clock: ManualClock):
    store = open_store(tmp / f"{profile}.db", create=True)
    importer.apply(store, importer.parse(data), clock.now())
    config = TerminalConfig(terminal=TerminalSection(name=name, profile=profile))
    return CounterService(store, config, clock)


def at(clock: ManualClock, text: str) -> None:
    """Move the shared clock to a Brussels wall-clock time (forward only)."""
    target = datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)
    assert target >= clock.now()
    clock.advance((target - clock.now()).total_seconds())


def enrol(url: str, store: CentralStore, school: str, name: str, device_id: str) -> str:
    code = store.create_enrol_code(school, name)
    r = requests.post(url + protocol.ENROL, json={"code": code, "device_id": device_id})
    assert r.status_code == 200, r.text
    return protocol.EnrolResponse.model_validate(r.json()).token


def push(url: str, token: str, entries: list[dict]) -> None:
    r = requests.post(url + protocol.JOURNAL, json={"entries": entries},
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert protocol.PushResponse.model_validate(r.json()).applied == len(entries)


def legacy_sale(device_id: str, wallet: str, student: str, cents: int) -> dict:
    """A sale shaped the way tests/test_server.py pushes them (``quantity``/``price_cents``,
    no line wallet): the query reads it too."""
    data = {"v": 1, "uuid": uuid7(), "device": device_id, "seq": 1, "kind": "sale",
            "ts": "2026-11-24T10:30:00.000000Z", "day": "2026-11-24", "operator": "op-b",
            "student": student, "amount_cents": cents,
            "postings": [{"wallet": wallet, "amount_cents": cents}],
            "lines": [{"article": "SANDW-HAM", "quantity": 1, "price_cents": -cents}]}
    body = canonical_json(data)
    return {"seq": 1, "body": body, "prev_hash": GENESIS, "hash": chain_hash(GENESIS, body)}


@pytest.fixture(scope="module")
def world(tmp_path_factory, central_dbs):
    tmp = tmp_path_factory.mktemp("journal")
    data = school_data()
    clock = ManualClock(datetime(2026, 10, 31, 11, 0, tzinfo=BRUSSELS))
    canteen = terminal(tmp, "Cantine 1", "canteen", data, clock)
    reception = terminal(tmp, "Accueil", "reception", data, clock)
    marie, luc, admin = (canteen.login(n, DEMO_PINS[n]) for n in ("Marie", "Luc", "Admin"))
    desk = reception.login("Marie", DEMO_PINS["Marie"])

    at(clock, "2026-10-31T12:00")
    canteen.sell(marie, Badge.LOUIS_RESERVED, {"SOUP": 1})                       # seq 1
    at(clock, "2026-10-31T17:00")
    canteen.close_day(admin)                                                      # seq 2: no lines
    at(clock, "2026-11-02T12:00")
    canteen.sell(marie, Badge.EMMA, {"SOUP": 1, "SANDW-VEG": 1})                  # seq 3
    at(clock, "2026-11-23T10:00")
    reception.photocopies(desk, Badge.EMMA, bw=10, colour=2)                      # R seq 1
    at(clock, "2026-11-24T12:00")
    canteen.sell(marie, Badge.EMMA, {"SOUP": 1})                                  # seq 4
    at(clock, "2026-11-24T12:01")
    canteen.pickup(marie, Badge.LOUIS_RESERVED)                                   # seq 5
    at(clock, "2026-11-24T12:02")
    canteen.sell(marie, Badge.LINA, {"WATER": 1})                                 # seq 6
    at(clock, "2026-11-24T12:05")
    juice = canteen.sell(marie, Badge.EMMA, {"JUICE": 2})                         # seq 7
    at(clock, "2026-11-24T12:06")
    canteen.void(luc, juice.entry.seq, "erreur de caisse")                        # seq 8

    central = CentralStore(central_dbs.new(), create=True, now=lambda: NOW)
    central.add_school("Athénée Royal", "school-a")
    central.add_school("School B", "school-b")
    central.load("school-a", DataSet.model_validate(data))
    b = generate(students=3, operators=False)
    for w in b["wallets"]:
        w["id"] = "B-" + w["id"]
    central.load("school-b", DataSet.model_validate(b))
    served = Served(central)
    url = served.url

    devices = {}
    for service in (canteen, reception):
        name, device_id = service.config.terminal.name, service.store.device_id
        token = enrol(url, central, "school-a", name, device_id)
        entries = [{"seq": e.seq, "body": e.body, "prev_hash": e.prev_hash, "hash": e.hash}
                   for e in journal.entries(service.store.conn)]
        push(url, token, entries)
        devices[name] = SimpleNamespace(id=device_id, token=token)
        service.store.close()
    b_device = str(uuid.uuid4())
    push(url, enrol(url, central, "school-b", "Cantine B", b_device),
         [legacy_sale(b_device, "B-W00001", "S00001", -300)])

    assert central_main(["admin-token", "--db", central.db]) == 0
    yield SimpleNamespace(store=central, url=url, devices=devices, b_device=b_device,
                          db=central.db)
    served.stop()
    central.close()


@pytest.fixture(scope="module")
def admin_token(world):
    return world.store.create_admin_token()


def query(world, school="school-a", **kw) -> dict:
    return world.store.sales_journal(school, today=TODAY, **kw)


def brief(rows) -> list[tuple]:
    return [(r["local_time"][:16], r["kind"], r["article"], r["quantity"], r["amount_cents"])
            for r in rows]


# -- the query -----------------------------------------------------------------------------
def test_today_one_row_per_line_newest_first(world):
    found = query(world, period="today")
    assert brief(found["rows"]) == [
        ("2026-11-24T12:06", "void", "JUICE", 2, 240),          # the void credits back
        ("2026-11-24T12:05", "sale", "JUICE", 2, -240),
        ("2026-11-24T12:02", "sale", "WATER", 1, -80),
        ("2026-11-24T12:01", "pickup", "SANDW-CHEESE", 1, 0),  # paid when reserved
        ("2026-11-24T12:00", "sale", "SOUP", 1, -100),
    ]
    assert (found["count"], found["total_cents"], found["period"]) == (5, -180, "today")
    assert (found["first_day"], found["last_day"]) == (TODAY, TODAY)
    void, sale, water, pickup, soup = found["rows"]
    canteen = world.devices["Cantine 1"].id
    assert soup == {
        "ts": "2026-11-24T11:00:00.000000Z", "local_time": "2026-11-24T12:00:00+01:00",
        "day": "2026-11-24", "kind": "sale", "device_id": canteen, "device_name": "Cantine 1",
        "seq": 4, "ref_seq": None, "student_id": "S00001", "student_name": "Emma Dubois",
        "wallet_id": "W00001", "wallet_name": "Portefeuille", "article": "SOUP",
        "article_name": "Potage et pain", "quantity": 1, "amount_cents": -100}
    assert (void["seq"], void["ref_seq"], void["wallet_id"]) == (8, 7, "W00001")
    assert (pickup["student_name"], pickup["wallet_id"], pickup["wallet_name"],
            pickup["article_name"]) == ("Louis Dupont", None, None, "Sandwich fromage")
    assert water["student_name"] == "Lina El Amrani"
    reports.SalesJournal.model_validate(found)           # the HTTP answer's shape


def test_periods(world):
    def days(**kw):
        return sorted({r["day"] for r in query(world, **kw)["rows"]})

    def total(**kw):
        return query(world, **kw)["total_cents"]

    assert days(period="yesterday") == ["2026-11-23"]
    assert total(period="yesterday") == -200
    assert days(period="last_7_days") == ["2026-11-23", "2026-11-24"]
    assert days(period="this_month") == ["2026-11-02", "2026-11-23", "2026-11-24"]
    assert days(period="last_month") == ["2026-10-31"]
    assert days() == days(period="last_30_days") == [
        "2026-10-31", "2026-11-02", "2026-11-23", "2026-11-24"]
    assert query(world)["count"] == 10                   # the close entry has no row
    assert total() == -100 - 390 - 200 - 180
    assert days(first_day=D("2026-11-02"), last_day=D("2026-11-02")) == ["2026-11-02"]
    assert query(world, period="custom", first_day=D("2026-11-03"),
                 last_day=D("2026-11-22"))["rows"] == []
    # "today" is the business day in Brussels: 23:30 UTC on the 24th is already the 25th.
    with CentralStore(world.db, now=lambda: datetime(2026, 11, 24, 23, 30,
                                                     tzinfo=timezone.utc)) as late:
        assert late.sales_journal("school-a", period="today")["rows"] == []
        assert late.sales_journal("school-a", period="yesterday")["count"] == 5


def test_filters_by_student_wallet_and_device(world):
    emma = query(world, student_id="S00001")
    assert {r["student_id"] for r in emma["rows"]} == {"S00001"}
    assert (emma["count"], emma["total_cents"]) == (7, -240 + 240 - 100 - 200 - 390)
    # Her two wallets: the canteen's lines on the default one, photocopies on the other.
    supplies = query(world, wallet_id="W90001")
    assert brief(supplies["rows"]) == [("2026-11-23T10:00", "photocopy", "COPY-BW", 10, -100),
                                       ("2026-11-23T10:00", "photocopy", "COPY-COLOUR", 2, -100)]
    assert {r["wallet_name"] for r in supplies["rows"]} == {"Fournitures"}
    main = query(world, student_id="S00001", wallet_id="W00001")
    assert [r["article"] for r in main["rows"]] == ["JUICE", "JUICE", "SOUP", "SOUP", "SANDW-VEG"]
    assert main["total_cents"] == -490
    # A wallet has no pickups (they move no money); the student has.
    assert [r["kind"] for r in query(world, student_id="S00008")["rows"]] == ["pickup", "sale"]
    assert query(world, wallet_id="W00008")["count"] == 1
    # The device, by id or by name.
    accueil = world.devices["Accueil"].id
    assert query(world, device_id=accueil)["rows"] == supplies["rows"]
    assert query(world, device_id="Accueil")["rows"] == supplies["rows"]
    assert query(world, device_id="Cantine 1")["count"] == 8
    assert query(world, device_id="Cantine 1", student_id="S00003")["total_cents"] == -80
    assert query(world, device_id="nowhere")["rows"] == []
    assert query(world, student_id="S09999")["rows"] == []


@pytest.mark.parametrize("text, articles", [
    ("potage", ["SOUP", "SOUP", "SOUP"]),                 # the name ("Potage et pain")
    ("POTAGE", ["SOUP", "SOUP", "SOUP"]),
    ("pain potage", ["SOUP", "SOUP", "SOUP"]),            # every word, any order
    ("vegetarien", ["SANDW-VEG"]),                        # "Sandwich végétarien"
    ("VÉGÉ", ["SANDW-VEG"]),
    ("sandwich", ["SANDW-CHEESE", "SANDW-VEG"]),          # the pickup too
    ("copy-bw", ["COPY-BW"]),                             # the code
    ("photocopie", ["COPY-BW", "COPY-COLOUR"]),
    ("jus d'orange", ["JUICE", "JUICE"]),                 # sale and its void
    ("caviar", []),
    ("  ", ["JUICE", "JUICE", "WATER", "SANDW-CHEESE", "SOUP", "COPY-BW", "COPY-COLOUR",
            "SOUP", "SANDW-VEG", "SOUP"]),               # blank: no filter
])
def test_article_text(world, text, articles):
    found = query(world, article_text=text)
    assert [r["article"] for r in found["rows"]] == articles
    assert found["total_cents"] == sum(r["amount_cents"] for r in found["rows"])


def test_paging_keeps_count_and_total(world):
    everything = query(world)
    page = query(world, limit=3, offset=2)
    assert page["rows"] == everything["rows"][2:5]
    assert (page["count"], page["total_cents"], page["offset"]) == (
        10, everything["total_cents"], 2)
    assert query(world, limit=5, offset=10)["rows"] == []


def test_schools_are_apart(world):
    b = query(world, school="school-b", period="today")
    assert brief(b["rows"]) == [("2026-11-24T11:30", "sale", "SANDW-HAM", 1, -300)]
    row = b["rows"][0]                 # an older line shape: wallet from the entry's posting
    assert (row["wallet_id"], row["article_name"], row["device_name"]) == (
        "B-W00001", "Sandwich jambon", "Cantine B")
    assert all(r["device_id"] != world.b_device for r in query(world, student_id="S00001")["rows"])
    assert query(world, school="school-b", device_id="Cantine 1")["rows"] == []


# -- over HTTP -----------------------------------------------------------------------------
def get(world, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(world.url + reports.ADMIN_SALES, params=params, headers=headers)


def answer(r: requests.Response) -> reports.SalesJournal:
    assert r.status_code == 200, r.text
    return reports.SalesJournal.model_validate(r.json())


def refused(r: requests.Response, status: int, code: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = protocol.ErrorBody.model_validate(r.json())
    assert body.error == code, body
    return body.message


def test_http_journal_shows_device_wallet_and_article(world, admin_token):
    today = answer(get(world, admin_token, school="school-a", period="today"))
    assert today.rows[-1].model_dump() == query(world, period="today")["rows"][-1]
    soup = today.rows[-1]
    assert (soup.device_name, soup.wallet_name, soup.article_name, soup.student_name,
            soup.amount_cents) == ("Cantine 1", "Portefeuille", "Potage et pain", "Emma Dubois",
                                   -100)
    assert (today.count, today.total_cents, today.period) == (5, -180, "today")

    # The parents' form sends every field, empty ones too: no filter, the last 30 days.
    empty = {k: "" for k in ("student", "wallet", "device", "article", "period", "from", "to")}
    everything = answer(get(world, admin_token, school="school-a", **empty))
    assert (everything.period, everything.first_day, everything.count) == (
        "last_30_days", D("2026-10-26"), 10)

    emma_veg = answer(get(world, admin_token, school="school-a", student="S00001",
                          article="végétarien", period="this-month"))
    assert [(r.article, r.day, r.amount_cents) for r in emma_veg.rows] == [
        ("SANDW-VEG", "2026-11-02", -290)]
    copies = answer(get(world, admin_token, school="school-a", wallet="W90001",
                        device=world.devices["Accueil"].id, **{"from": "2026-11-23",
                                                               "to": "2026-11-23"}))
    assert (copies.period, copies.count, copies.total_cents) == ("custom", 2, -200)
    page = answer(get(world, admin_token, school="school-a", limit=2, offset=1))
    assert ([r.seq for r in page.rows], page.count) == ([7, 6], 10)
    assert answer(get(world, admin_token, school="school-b", period="today")).count == 1


def test_http_admin_auth(world, admin_token):
    canteen = world.devices["Cantine 1"].token
    assert "terminal" in refused(get(world, canteen, school="school-a"), 403, "forbidden")
    refused(get(world, None, school="school-a"), 401, "unauthorized")
    refused(get(world, "not-a-token", school="school-a"), 401, "unauthorized")
    refused(get(world, None, limit=0), 401, "unauthorized")          # auth before the query
    # The admin's token is no terminal's.
    refused(requests.get(world.url + protocol.DEVICE,
                         headers={"Authorization": f"Bearer {admin_token}"}), 401, "unauthorized")
    # Each token made by the CLI works, and only its hash is kept.
    hashes = {r[0] for r in central_rows(world.store, "SELECT token_hash FROM admin_tokens")}
    assert len(hashes) == 2 and admin_token not in hashes and all(
        re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


def test_http_bad_queries(world, admin_token):
    assert "?school=" in refused(get(world, admin_token), 422, "invalid")   # two schools
    refused(get(world, admin_token, school="nowhere"), 422, "invalid")
    refused(get(world, admin_token, school="school-a", period="forever"), 422, "invalid")
    refused(get(world, admin_token, school="school-a", **{"from": "2026-13-01",
                                                          "to": "2026-12-01"}), 422, "invalid")
    refused(get(world, admin_token, school="school-a", **{"from": "2026-11-30",
                                                          "to": "2026-11-01"}), 422, "invalid")
    refused(get(world, admin_token, school="school-a", period="today",
                **{"from": "2026-11-01"}), 422, "invalid")
    refused(get(world, admin_token, school="school-a", limit=reports.MAX_SALES_ROWS + 1),
            422, "invalid")


# -- the command line ----------------------------------------------------------------------
def test_cli_sales_table(world, capsys):
    assert central_main(["sales", "--db", world.db, "--school-id", "school-a",
                         "--from", "2026-11-24", "--to", "2026-11-24"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("Journal des ventes — school-a — du 24/11/2026 au 24/11/2026"
                      " (période personnalisée)")
    assert out[1].split() == ["Date", "Caisse", "Opération", "Élève", "Portefeuille", "Article",
                              "Quantité", "Montant"]
    assert re.split(r"\s{2,}", out[2]) == ["24/11/2026 12:06", "Cantine 1", "annulation",
                                           "Emma Dubois", "Portefeuille", "Jus d'orange", "2",
                                           "2,40\xa0€"]
    assert re.split(r"\s{2,}", out[5]) == ["24/11/2026 12:01", "Cantine 1", "retrait",
                                           "Louis Dupont", "-", "Sandwich fromage", "1",
                                           "0,00\xa0€"]
    assert re.split(r"\s{2,}", out[6]) == ["24/11/2026 12:00", "Cantine 1", "vente",
                                           "Emma Dubois", "Portefeuille", "Potage et pain", "1",
                                           "-1,00\xa0€"]
    assert out[7] == "5 lignes — total\xa0: -1,80\xa0€"
    assert len(out) == 8 and len({len(line) for line in out[1:7]}) <= 2   # aligned columns

    assert central_main(["sales", "--db", world.db, "--school-id", "school-a", "--student",
                         "S00001", "--article", "photocopie", "--device", "Accueil",
                         "--wallet", "W90001", "--from", "2026-11-01", "--to",
                         "2026-11-30"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in out[2:4]] == ["23/11/2026 10:00"] * 2
    assert "Fournitures" in out[2] and "Photocopie couleur" in out[3]
    assert out[-1] == "2 lignes — total\xa0: -2,00\xa0€"

    assert central_main(["sales", "--db", world.db, "--school-id", "school-a", "--from",
                         "2026-11-03", "--to", "2026-11-03"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "Aucune vente sur cette période.", "0 ligne — total\xa0: 0,00\xa0€"]

    assert central_main(["sales", "--db", world.db, "--school-id", "school-a", "--period",
                         "last-month"]) == 0
    assert "(mois dernier)" in capsys.readouterr().out.splitlines()[0]
    assert central_main(["sales", "--db", world.db, "--school-id", "school-a", "--period",
                         "today", "--from", "2026-11-01"]) == 1
    assert "ne prend pas de jours from/to" in capsys.readouterr().err   # French: the default
    assert central_main(["sales", "--db", world.db]) == 1                 # two schools
    assert "--school-id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        central_main(["sales", "--db", world.db, "--from", "24/11/2026"])
    with pytest.raises(SystemExit):
        central_main(["sales", "--db", world.db, "--period", "forever"])


def test_cli_admin_token(central_db, capsys):
    db = central_db
    assert central_main(["--lang", "en", "admin-token", "--db", db]) == 1
    assert "no central database" in capsys.readouterr().err
    assert central_main(["--lang", "en", "init", "--db", db, "--school", "Solo"]) == 0
    capsys.readouterr()
    assert central_main(["--lang", "en", "admin-token", "--db", db]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token) and "once" in captured.err
    with CentralStore(db) as store:
        store.authenticate_admin(token)
        with pytest.raises(CentralError) as e:
            store.authenticate_admin(token + "x")
    assert e.value.code == "unauthorized"


def test_odd_bodies_never_break_the_journal(world):
    """The server checks an entry's postings, not its lines: whatever lines a body holds, the
    journal still answers, and money moved without readable lines shows per posting."""
    store = world.store
    device_id = str(uuid.uuid4())
    me = store.authenticate(store.enrol(store.create_enrol_code("school-b", "Bizarre"),
                                        device_id)["token"])
    bodies = [
        ("sale", -150, {"lines": "not a list"}),
        ("pickup", 0, {"items": [{"article": "SANDW-TUNA", "name": {"fr": "x"}, "qty": "2"},
                                 "junk"]}),
        ("void", 150, {"ref_seq": "1", "lines": [7, {"article": "APPLE", "qty": 3,
                                                      "unit_cents": 50}]}),
    ]
    entries, prev = [], GENESIS
    for seq, (kind, cents, extra) in enumerate(bodies, start=1):
        body = canonical_json({
            "v": 1, "uuid": uuid7(), "device": device_id, "seq": seq, "kind": kind,
            "ts": f"2026-11-20T08:0{seq}:00.000000Z", "day": "2026-11-20", "operator": None,
            "student": "S00002", "amount_cents": cents,
            "postings": [{"wallet": "B-W00002", "amount_cents": cents}] if cents else [],
            **extra})
        entries.append(protocol.PushedEntry(seq=seq, body=body, prev_hash=prev,
                                            hash=chain_hash(prev, body)))
        prev = entries[-1].hash
    assert store.push(me, entries)["applied"] == 3
    found = store.sales_journal("school-b", first_day=D("2026-11-20"), last_day=D("2026-11-20"))
    assert [(r["kind"], r["article"], r["article_name"], r["quantity"], r["amount_cents"],
             r["wallet_id"], r["ref_seq"]) for r in found["rows"]] == [
        ("void", "APPLE", "Pomme", 3, 150, "B-W00002", None),
        ("pickup", "SANDW-TUNA", "Sandwich thon", 1, 0, None, None),
        ("sale", "", "", 0, -150, "B-W00002", None),
    ]
    assert found["total_cents"] == 0
    reports.SalesJournal.model_validate(found)


def test_an_admin_token_revoked_is_refused_and_the_others_still_work(world, admin_token, capsys):
    db = world.store.db
    assert central_main(["--lang", "en", "admin-token", "--db", db]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    token_id = re.search(r"its id, to revoke it: ([0-9a-f]{12})", captured.err).group(1)
    assert answer(get(world, token, school="school-a", period="today")).count >= 0
    assert central_main(["--lang", "en", "admin-token", "--db", db, "--list"]) == 0
    listed = capsys.readouterr().out
    assert token_id in listed and token not in listed
    assert central_main(["--lang", "en", "admin-token", "--db", db, "--revoke", token_id]) == 0
    assert f"admin token {token_id} revoked" in capsys.readouterr().out
    refused(get(world, token, school="school-a"), 401, "unauthorized")
    assert answer(get(world, admin_token, school="school-a", period="today")).count >= 0
    # An unknown or malformed id is a clear error, and revokes nothing.
    assert central_main(["--lang", "en", "admin-token", "--db", db, "--revoke", token_id]) == 1
    assert f"no admin token {token_id}" in capsys.readouterr().err
    assert central_main(["--lang", "en", "admin-token", "--db", db, "--revoke", "xyz"]) == 1
    assert "12 hexadecimal" in capsys.readouterr().err
    assert answer(get(world, admin_token, school="school-a", period="today")).count >= 0
