"""Time that goes backwards (or leaps forwards) is flagged (issue 15, point 11).

A real store file and the real counter service on the clock seam (``ManualClock``: ``advance``
is time passing, ``jump`` is the wall clock being set): the entry made after a jump carries it
in its hashed body, the journal's seq stays the order, the status says so until the Z, and
the X and Z slips (rendered from the queue as the printer worker does, then through the
printer's real ESC/POS bytes) name the period they really cover, in Brussels time."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from drivers.printer.dummy import DummyPrinter
from kiosk import journal, lookups, print_jobs, receipts
from kiosk.counter import CounterService
from kiosk.demo.school import Badge
from sync.common.clock import ManualClock, iso_utc
from tests.escpos_decode import decode

from .conftest import BRUSSELS


def at(clock: ManualClock, text: str) -> None:
    """Time passes until the Brussels wall-clock time ``text`` (forward only)."""
    target = datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)
    assert target >= clock.now()
    clock.advance((target - clock.now()).total_seconds())


def slips(service: CounterService, kind: str) -> list[str]:
    """Every queued job of ``kind``, rendered and printed to bytes, decoded back: the text."""
    printer = DummyPrinter(columns=42)
    with service.store.read() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM print_jobs WHERE kind = ? ORDER BY id", (kind,))]
        docs = [print_jobs.render_job(conn, print_jobs.get_job(conn, i), service.config, 42) for i in ids]
    return [" ".join(decode(printer.render(doc)).text.split()) for doc in docs]


def test_a_clock_set_back_an_hour_mid_day_is_flagged_in_the_next_entry(service, marie, clock):
    first = service.sell(marie, Badge.EMMA, {"SOUP": 1}).entry               # 12:00
    clock.advance(minutes=30)
    second = service.sell(marie, Badge.LINA, {"WATER": 1}).entry            # 12:30
    clock.advance(minutes=5)
    clock.jump(hours=-1)                                                     # 12:35 -> 11:35
    third = service.sell(marie, Badge.EMMA, {"SOUP": 1}).entry
    clock.advance(minutes=1)
    fourth = service.sell(marie, Badge.LINA, {"WATER": 1}).entry

    # Each entry keeps the time its clock gave; the seq is the order.
    assert [e.seq for e in (first, second, third, fourth)] == [1, 2, 3, 4]
    assert third.ts == iso_utc(datetime(2026, 11, 24, 11, 35, tzinfo=BRUSSELS)) < second.ts
    # The jump is in the hashed body of the first entry after it, measured exactly.
    assert third.data["clock_jump"] == {"seconds": -3600, "prev_ts": second.ts}
    assert '"clock_jump":{"prev_ts":"2026-11-24T11:30:00.000000Z","seconds":-3600}' in third.body
    assert [("clock_jump" in e.data) for e in (first, second, fourth)] == [False] * 3
    with service.store.read() as conn:
        assert journal.verify(conn).ok

    # Another process (or the app restarted) never saw the jump: the journal's order does.
    other = CounterService(service.store, service.config, clock)
    clock.jump(hours=-2)
    fifth = other.sell(other.login("Marie", "1234"), Badge.LOUIS_RESERVED, {"SOUP": 1}).entry
    assert fifth.data["clock_jump"] == {"seconds": -7200, "prev_ts": fourth.ts}


def test_a_jump_is_flagged_once_on_whatever_entry_comes_first(service, marie, luc, clock):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    clock.advance(minutes=5)
    clock.jump(hours=-1)
    blocked = service.block_badge(luc, Badge.NOAH).entry          # a lost badge, first
    assert blocked.data["clock_jump"]["seconds"] == -3600
    clock.advance(minutes=1)
    assert "clock_jump" not in service.sell(marie, Badge.LINA, {"WATER": 1}).entry.data


def test_a_big_jump_forward_is_flagged_and_a_quiet_weekend_is_not(service, marie, clock):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    at(clock, "2026-11-27T12:00")                       # three days pass: no jump
    assert "clock_jump" not in service.sell(marie, Badge.EMMA, {"SOUP": 1}).entry.data
    clock.advance(minutes=10)
    clock.jump(hours=26)                                # a clock set a day and two hours ahead
    leapt = service.sell(marie, Badge.LINA, {"WATER": 1}).entry
    assert leapt.data["clock_jump"]["seconds"] == 26 * 3600
    clock.advance(minutes=1)
    clock.jump(seconds=-30)                             # an NTP step of 30 s back: not a jump
    assert "clock_jump" not in service.sell(marie, Badge.EMMA, {"SOUP": 1}).entry.data


def test_the_status_shows_the_jump_until_the_day_is_closed(service, marie, luc, clock):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert lookups.terminal_status(service.store).clock_jumps == ()
    clock.advance(minutes=20)
    clock.jump(hours=-1)
    sale = service.sell(marie, Badge.LINA, {"WATER": 1}).entry
    (jump,) = lookups.terminal_status(service.store).clock_jumps
    assert (jump.seq, jump.ts, jump.seconds) == (sale.seq, sale.ts, -3600)
    z = service.close_day(luc)
    assert z.clock_jumps == [{"seq": sale.seq, "seconds": -3600}]
    assert lookups.terminal_status(service.store).clock_jumps == ()


def test_a_jump_found_at_the_z_itself_is_shown_the_next_day(service, marie, luc, clock):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    at(clock, "2026-11-24T18:00")
    clock.jump(hours=-1)
    z = service.close_day(luc)
    assert [j.seconds for j in lookups.terminal_status(service.store).clock_jumps] == [-3600]
    at(clock, "2026-11-25T12:00")
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert service.report_x(marie).clock_jumps == [{"seq": z.close_seq, "seconds": -3600}]


def test_an_x_after_a_z_names_the_day_of_its_sales_not_the_closed_one(service, marie, luc, clock):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})                            # Tuesday 12:00
    at(clock, "2026-11-24T23:00")
    service.close_day(luc)                                                   # Z of Tuesday
    at(clock, "2026-11-25T00:10")
    night = service.sell(marie, Badge.LINA, {"WATER": 1}).entry              # Wednesday 00:10
    clock.advance(minutes=5)
    clock.jump(hours=-1)                                                     # back to Tuesday 23:15
    x = service.report_x(marie)
    print_jobs.enqueue_x_report(service.store, x, clock.now())

    # The slip names Wednesday, the day its one sale was made; the clock's Tuesday only as
    # when it was printed.
    (text,) = slips(service, "x_report")
    assert "Journée du 25/11/2026" in text and "24/11/2026" not in text.split("Imprimé")[0]
    assert "De 00:10 à 00:10" in text and "1 x Eau 50 cl 0,80 €" in text
    assert (x.first_seq, x.last_seq, x.days) == (night.seq, night.seq, ["2026-11-25"])


def test_a_z_over_a_weekend_names_every_day_and_the_jump(service, marie, luc, clock):
    at(clock, "2026-11-27T16:05")                                            # Friday
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    at(clock, "2026-11-30T09:40")                                            # Monday, no Z since
    service.sell(marie, Badge.LINA, {"WATER": 1})
    clock.advance(minutes=20)
    clock.jump(hours=-1)                                                     # 10:00 -> 09:00
    late = service.sell(marie, Badge.EMMA, {"SOUP": 1}).entry
    clock.advance(minutes=5)
    z = service.close_day(luc)

    (text,) = slips(service, "z_report")
    for phrase in ("RAPPORT Z", "Journées : 27/11/2026, 30/11/2026",
                   "Du 27/11/2026 16:05 au 30/11/2026 09:00",
                   f"! Horloge reculée de 1 h 00 min (opération n°{late.seq})",
                   "l'ordre est celui des numéros"):
        assert phrase in text, (phrase, text)

    assert z.days == ["2026-11-27", "2026-11-30"] and z.day == "2026-11-30"
    assert (z.first_ts, z.last_ts) == ("2026-11-27T15:05:00.000000Z", late.ts)
    assert z.clock_jumps == [{"seq": late.seq, "seconds": -3600}]
    with service.store.read() as conn:          # what the Z recorded, in its hashed body
        recorded = json.loads(journal.get(conn, z.close_seq).body)["report"]
    assert recorded["days"] == z.days and recorded["clock_jumps"] == z.clock_jumps


def test_an_old_z_without_a_period_still_prints_its_day(service, marie, luc):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    z = service.close_day(luc)
    with service.store.read() as conn:
        entry = journal.get(conn, z.close_seq)
        old = {k: v for k, v in entry.data["report"].items()
               if k not in ("first_ts", "last_ts", "days", "clock_jumps")}
        doc = receipts.report(32, old, school="", terminal="Cantine 1",
                                         when=datetime(2026, 11, 24, 18, 0), close_seq=z.close_seq)
    assert "Journée du 24/11/2026" in doc.text_lines()


@pytest.mark.parametrize("lang, back, forward, days", [
    ("fr", "Horloge reculée de 1 h 00 min (opération n°7)",
     "Horloge avancée de 61 h 05 min (opération n°9)", "Journées\xa0: 27/11/2026, 30/11/2026"),
    ("nl", "Klok 1 u 00 min teruggezet (verrichting nr. 7)",
     "Klok 61 u 05 min vooruitgezet (verrichting nr. 9)", "Dagen: 27/11/2026, 30/11/2026"),
    ("en", "Clock set back 1 h 00 min (entry 7)",
     "Clock set forward 61 h 05 min (entry 9)", "Days: 27/11/2026, 30/11/2026"),
])
def test_the_period_and_the_jumps_in_each_language(lang, back, forward, days):
    assert receipts.clock_jump(lang, 7, -3600) == back
    assert receipts.clock_jump(lang, 9, 61 * 3600 + 300) == forward
    lines = receipts.period_lines(lang, ["2026-11-27", "2026-11-30"], datetime(2026, 11, 27, 16, 5),
                                  datetime(2026, 11, 30, 9, 0))
    assert lines[0] == days and "27/11/2026 16:05" in lines[1] and "30/11/2026 09:00" in lines[1]


# -- the platform keeps the flag: nothing to upgrade there --------------------------------------
def test_the_platform_accepts_and_keeps_the_flagged_entry(central_dbs, service, marie, clock, demo_data):
    """Pushed by the real agent to the real platform over loopback HTTP (SQLite and
    PostgreSQL): the flag is a field of the body, so the platform as it was already takes it,
    stores the body as chained, and moves the balances as for any sale."""
    from sync.agent import Agent, enrol
    from sync.client import Client
    from sync.models import DataSet
    from sync.server.storage import CentralStore

    from .central_db import central_rows
    from .loopback import Served

    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    clock.advance(minutes=10)
    clock.jump(hours=-1)
    flagged = service.sell(marie, Badge.LINA, {"WATER": 1}).entry
    central = CentralStore(central_dbs.new(), create=True, now=clock.now)
    school = central.add_school("Institut Saint-Michel", "school-a")
    central.load(school, DataSet.model_validate(demo_data))
    served = Served(central)
    try:
        creds = enrol(service.store, service.store.path.parent, served.url,
                      central.create_enrol_code(school, "Cantine 1"))
        client = Client(creds.url, creds.token)
        try:
            assert Agent(service.store, client, service.config).push() == 2
        finally:
            client.close()
        rows = central_rows(central, "SELECT seq, ts, body, hash FROM journal ORDER BY seq")
        assert [r[0] for r in rows] == [1, 2]
        assert rows[1][1:] == (flagged.ts, flagged.body, flagged.hash)
        assert json.loads(rows[1][2])["clock_jump"] == {"seconds": -3600, "prev_ts": rows[0][1]}
    finally:
        served.stop()
        central.close()


def test_comptoir_status_and_report_show_a_jump_made_by_another_process(tmp_path):
    """The command line, as real processes on a real data folder: a sale made (by another
    process) on a clock an hour behind is in ``comptoir status`` and ``comptoir report x``."""
    from datetime import timedelta, timezone

    from kiosk.config import load_config
    from kiosk.store import open_store
    from tests.test_cli import run

    folder = tmp_path / "terminal"
    run(folder, "init", "--name", "Cantine 1", check_rc=0)
    run(folder, "demo-data", "--students", "20", "--output", str(tmp_path / "demo.json"), check_rc=0)
    run(folder, "import", str(tmp_path / "demo.json"), check_rc=0)
    run(folder, "sell", "--badge", Badge.EMMA, "SOUP", operator="Marie", pin="1234", check_rc=0)
    behind = ManualClock(datetime.now(timezone.utc) - timedelta(hours=1))
    other = CounterService(open_store(folder / "comptoir.db"), load_config(folder / "terminal.toml"), behind)
    try:
        late = other.sell(other.login("Marie", "1234"), Badge.LINA, {"WATER": 1}).entry
    finally:
        other.store.close()
    assert late.data["clock_jump"]["seconds"] <= -3599

    status = run(folder, "status", check_rc=0).stdout
    assert "Horloge" in status and "! Horloge reculée de 1 h 00 min (opération n°2)" in status, status
    report = run(folder, "report", "x", operator="Marie", pin="1234", check_rc=0).stdout
    assert "! Horloge reculée de 1 h 00 min (opération n°2)" in report, report
    assert "Opérations n°1 à n°2 (2)" in report, report
    # An hour behind is the day before in the first hour after midnight: two days then.
    brussels = ZoneInfo("Europe/Brussels")
    crossed = behind.now().astimezone(brussels).date() != datetime.now(brussels).date()
    assert ("Journées\xa0: " if crossed else "Journée du ") in report, report
