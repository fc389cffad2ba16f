"""A stalled printer is a fault, not a success (issue 13, point 7): real ESC/POS bytes through
the TCP printer emulator on loopback, the real store, the real print worker and command line.

A job is printed only once the printer confirmed it (``GS r`` answered after its bytes); a
printer that takes the connection and says nothing is a fault everywhere it is shown; after a
stall and a power cycle every receipt (a Z report too) comes out, those that may have printed
already marked DUPLICATA. Timeouts are short here (about a second), as
``[printer] status_timeout_ms`` / ``confirm_timeout_ms`` allow."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.printer.network import NetworkPrinter
from kiosk.config import (
    PolicySection,
    PrinterSection,
    PrintingSection,
    SchoolSection,
    TerminalConfig,
    TerminalSection,
)
from kiosk.hardware import printer_message
from kiosk.print_worker import PrintWorker
from kiosk.store import open_store
from kiosk.store.db import connect
from kiosk.store.schema import CURRENT_VERSION, migrate
from tests.escpos_decode import decode
from tests.printer_emulator import PrinterEmulator
from tests.test_printing import until

ROOT = Path(__file__).resolve().parent.parent
# The printer's bounds, short for the tests, long enough for a loaded machine (2 cores shared
# by several test runs) to answer a healthy printer's questions in time.
STATUS_S, CONFIRM_S = 0.4, 1.5


@pytest.fixture
def emulator():
    emu = PrinterEmulator().start()
    yield emu
    emu.stop(drop=True)


@pytest.fixture
def config(emulator) -> TerminalConfig:
    return TerminalConfig(
        terminal=TerminalSection(name="Cantine 1"), printing=PrintingSection(receipt="always"),
        school=SchoolSection(name="Institut Saint-Michel"), policy=PolicySection(double_tap_seconds=0),
        printer=PrinterSection(backend="network", host="127.0.0.1", port=emulator.port,
                               status_timeout_ms=int(STATUS_S * 1000),
                               confirm_timeout_ms=int(CONFIRM_S * 1000), probe_seconds=1))


def jobs(store) -> list[dict]:
    keys = ("id", "kind", "entry_seq", "status", "attempts", "sends", "last_error")
    with store.read() as conn:
        rows = conn.execute(f"SELECT {', '.join(keys)} FROM print_jobs ORDER BY id").fetchall()
    return [dict(zip(keys, r)) for r in rows]


def good_badges(store, count: int) -> list[str]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT b.uid FROM badges b JOIN students s ON s.id = b.student_id JOIN wallets w"
            " ON w.student_id = s.id WHERE b.status = 'active' AND w.balance_cents >= 1000"
            " AND s.daily_limit_cents IS NULL AND s.flags = '[]' AND s.blocked_categories = '[]'"
            " ORDER BY b.uid LIMIT ?", (count,)).fetchall()
    assert len(rows) == count
    return [r[0] for r in rows]


def worker_for(store, config, emulator, **kwargs) -> PrintWorker:
    printer = NetworkPrinter(*emulator.address, columns=42, **kwargs)
    printer.status_timeout, printer.confirm_timeout = STATUS_S, CONFIRM_S
    return PrintWorker(store.path, config, printer, poll=0.05, backoff=(0.05, 0.2), probe=0.2)


def printed(emulator) -> list[tuple[str, bool]]:
    """What came out of the printer, in order: ("ticket 7" / "Z"), and whether marked DUPLICATA."""
    out = []
    for job in emulator.jobs:
        text = decode(job).text
        what = [f"ticket {n}" for n in re.findall(r"Ticket n°(\d+)", text)]
        what += ["Z"] if "RAPPORT Z" in text else []
        out += [(w, "DUPLICATA" in text) for w in what]
    return out


def cli(folder, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(COMPTOIR_DATA=str(folder), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def write_terminal_toml(folder: Path, emulator) -> None:
    (folder / "terminal.toml").write_text(
        '[terminal]\nname = "Cantine 1"\n[printer]\nbackend = "network"\nhost = "127.0.0.1"\n'
        f"port = {emulator.port}\nstatus_timeout_ms = {int(STATUS_S * 1000)}\n"
        f"confirm_timeout_ms = {int(CONFIRM_S * 1000)}\n", encoding="utf-8")


# -- a printer that takes the connection and never reads ---------------------------------------
def test_a_printer_that_never_reads_is_a_fault_and_its_job_is_not_printed(service, marie, store,
                                                                          config, emulator):
    emulator.reading.clear()                 # accepts connections, reads nothing, answers nothing
    worker = worker_for(store, config, emulator)
    worker.start()
    try:
        seq = service.sell(marie, "04A1B2C3", {"SOUP": 1}).entry.seq
        worker.wake()
        until(lambda: jobs(store)[0]["attempts"] >= 3 or jobs(store)[0]["status"] != "pending",
              what="three attempts")
        status = worker.status()
    finally:
        worker.stop()
    (job,) = jobs(store)
    assert job["entry_seq"] == seq
    assert job["status"] == "pending" and job["sends"] == 0    # never marked printed, never sent
    assert "ne répond pas" in job["last_error"]
    assert status.state == "silent" and status.waiting == 1
    assert "accepte la connexion mais ne répond pas" in status.message
    assert emulator.connections >= 3 and emulator.jobs == []

    # The command line says so too, with the job still waiting, and fails.
    folder = store.path.parent
    write_terminal_toml(folder, emulator)
    done = cli(folder, "printer", "status")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "accepte la connexion mais ne répond pas" in done.stdout
    assert "1 en attente" in done.stdout and "ne répond pas" in done.stderr
    done = cli(folder, "status")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("Impression"))
    assert "PANNE" in line and "ne répond pas" in line and "1 en attente" in line, line


def test_the_printing_program_tells_the_others_what_it_sees(service, marie, store, config, emulator):
    """While the worker prints (it holds the printer), `comptoir printer status` reports the
    state the worker saw rather than asking the printer behind its back."""
    emulator.reading.clear()
    worker = worker_for(store, config, emulator)
    worker.start()
    try:
        until(lambda: worker.status().state == "silent", what="the idle probe")   # no job at all
        emulator.reading.set()
        emulator.stop()                                      # now off: refuses connections
        folder = store.path.parent
        write_terminal_toml(folder, emulator)
        done = cli(folder, "printer", "status")
    finally:
        worker.stop()
    assert done.returncode == 1
    assert "accepte la connexion mais ne répond pas" in done.stdout or "ne répond pas (" in done.stdout
    assert "selon le programme qui imprime, depuis" in done.stdout


# -- a printer that hangs, then is switched off and on ------------------------------------------
@pytest.mark.parametrize("in_flight", ["receipt", "z_report"])
def test_after_a_power_cycle_every_receipt_and_the_z_report_come_out(in_flight, service, marie, luc,
                                                                     store, config, emulator):
    badges = iter(good_badges(store, 6))
    worker = worker_for(store, config, emulator)
    worker.start()
    try:
        sold = [service.sell(marie, next(badges), {"SOUP": 1}).entry.seq for _ in range(2)]
        worker.wake()
        until(lambda: [j["status"] for j in jobs(store)] == ["printed"] * 2, what="two receipts")

        # The printer hangs: it still reads and answers DLE EOT, but prints nothing.
        emulator.processing.clear()
        if in_flight == "receipt":
            stalled = [service.sell(marie, next(badges), {"SOUP": 1}).entry.seq for _ in range(3)]
            service.close_day(luc)
        else:
            service.close_day(luc)
        worker.wake()
        until(lambda: any(j["status"] == "unconfirmed" for j in jobs(store))
              or all(j["status"] == "printed" for j in jobs(store)), what="a job sent")
        until(lambda: jobs(store)[2]["attempts"] >= 2 or jobs(store)[2]["status"] == "printed",
              what="a retry on the stuck printer")
        during = jobs(store)
        status = worker.status()
        # Nothing is printed without the printer's word; only one job went out.
        assert [j["status"] for j in during[2:]] == ["unconfirmed"] + ["pending"] * (len(during) - 3)
        assert [j["sends"] for j in during[2:]] == [1] + [0] * (len(during) - 3)
        assert during[2]["kind"] == in_flight
        assert status.state == "silent" and status.waiting == len(during) - 2
        assert "n'a pas confirmé" in status.message

        # Switched off and on: what it had not printed is lost. It all comes out again.
        emulator.power_cycle()
        until(lambda: all(j["status"] == "printed" for j in jobs(store)), what="the whole queue")
        until(lambda: worker.status().state == "ok", what="the worker's state")
    finally:
        worker.stop()
    out = printed(emulator)
    expected = [(f"ticket {s}", False) for s in sold]
    if in_flight == "receipt":
        expected += [(f"ticket {stalled[0]}", True)]      # may have printed: a marked copy
        expected += [(f"ticket {s}", False) for s in stalled[1:]] + [("Z", False)]
    else:
        expected += [("Z", True)]
    assert out == expected
    assert [j["sends"] for j in jobs(store)][2] == 2


def test_a_printer_that_resumes_by_itself_prints_the_receipt_then_a_marked_copy(service, marie, store,
                                                                                config, emulator):
    """Hung, not switched off: the receipt it held prints when it resumes, and the copy sent
    again behind it says DUPLICATA: two copies, the second marked, never none."""
    worker = worker_for(store, config, emulator)
    emulator.processing.clear()
    worker.start()
    try:
        seq = service.sell(marie, "04A1B2C3", {"SOUP": 1}).entry.seq
        worker.wake()
        until(lambda: jobs(store)[0]["status"] != "pending", what="the receipt sent")
        assert jobs(store)[0]["status"] == "unconfirmed" and emulator.jobs == []
        emulator.processing.set()
        until(lambda: jobs(store)[0]["status"] == "printed", what="the copy confirmed")
        until(lambda: len(emulator.jobs) == 2, what="both on paper")
    finally:
        worker.stop()
    assert printed(emulator) == [(f"ticket {seq}", False), (f"ticket {seq}", True)]


# -- a printer that works ------------------------------------------------------------------------
def test_a_healthy_printer_confirms_each_job_and_prints_it_once(service, marie, luc, store, config,
                                                                emulator):
    badges = iter(good_badges(store, 4))
    worker = worker_for(store, config, emulator)
    worker.start()
    try:
        sold = [service.sell(marie, next(badges), {"SOUP": 1}).entry.seq for _ in range(4)]
        service.close_day(luc)
        worker.wake()
        until(lambda: all(j["status"] == "printed" for j in jobs(store)), what="the queue")
        until(lambda: len(emulator.jobs) == 5, what="five jobs on paper")
    finally:
        worker.stop()
    assert printed(emulator) == [(f"ticket {s}", False) for s in sold] + [("Z", False)]
    assert emulator.confirms == 5                 # one GS r answered after each job
    assert [j["sends"] for j in jobs(store)] == [1] * 5
    assert worker.status().state == "ok" and worker.status().waiting == 0


def test_what_each_confirmation_proves(emulator):
    """``received`` (DLE EOT after the job) proves the printer read the bytes; ``printed``
    (GS r after the job) that it printed them: a printer that reads but prints nothing
    confirms the first, not the second (and says why it did not)."""
    from drivers.printer.document import Document
    from drivers.printer.status import PrinterState, PrinterUnavailable
    doc = Document(42)
    doc.line("Ticket n°1")
    emulator.processing.clear()
    received = NetworkPrinter(*emulator.address, confirm="received", status_timeout=STATUS_S,
                              confirm_timeout=CONFIRM_S)
    assert received.print(doc).ok
    printed_ = NetworkPrinter(*emulator.address, status_timeout=STATUS_S, confirm_timeout=CONFIRM_S)
    with pytest.raises(PrinterUnavailable) as caught:
        printed_.print(doc)
    assert caught.value.sent and caught.value.status.state is PrinterState.SILENT
    assert caught.value.status.code == "printer_unconfirmed"
    emulator.processing.set()
    assert printed_.print(doc).ok and emulator.confirms >= 1


def test_a_printer_declared_without_status_gets_jobs_sent_unconfirmed(service, marie, store, config,
                                                                      emulator):
    emulator.reading.clear()          # (it answers nothing: declared so, it is not asked)
    worker = worker_for(store, config, emulator, confirm="none")
    worker.start()
    try:
        service.sell(marie, "04A1B2C3", {"SOUP": 1})
        worker.wake()
        until(lambda: jobs(store)[0]["status"] == "sent", what="the job sent")
        until(lambda: worker.status().state == "ok", what="the state")
    finally:
        worker.stop()
    assert jobs(store)[0]["sends"] == 1 and emulator.queries == []
    assert "sans confirmation" in printer_message(worker.printer.status(), "fr")


# -- the touch app ---------------------------------------------------------------------------------
def test_the_touch_app_shows_the_printer_as_it_is_with_no_job_waiting(service, config, emulator):
    from kiosk.ui.terminal import Terminal
    terminal = Terminal(service.store.path.parent, config, service)
    terminal.start_printing()
    try:
        assert terminal.print_worker is not None
        until(lambda: terminal.status_snapshot().printer.state == "ok", what="ok at first")
        emulator.stop()                                    # switched off, nothing to print
        snap = until(lambda: (s := terminal.status_snapshot()).printer.gone and s, what="missing")
        assert snap.printer.state == "missing" and "ne répond pas" in snap.printer.reason
        emulator.start()
        until(lambda: terminal.status_snapshot().printer.state == "ok", what="back")
        emulator.reading.clear()                           # hung: takes the connection, silent
        snap = until(lambda: (s := terminal.status_snapshot()).printer.gone and s, what="silent")
        assert snap.printer.state == "error" and "ne répond pas" in snap.printer.reason
        assert snap.store.pending_prints == 0
    finally:
        terminal.close()


# -- the store -------------------------------------------------------------------------------------
def test_a_store_from_before_keeps_its_print_jobs(tmp_path):
    path = tmp_path / "v4.db"
    conn = connect(path)
    assert migrate(conn, target=4) == 4
    conn.execute("BEGIN")
    conn.execute("INSERT INTO meta VALUES ('device_id', 'dev-old')")
    for status in ("pending", "printed", "failed"):
        conn.execute("INSERT INTO print_jobs (created_at, kind, entry_seq, status, attempts)"
                     " VALUES ('2026-11-24T11:00:00Z', 'receipt', 1, ?, 1)", (status,))
    conn.execute("COMMIT")
    conn.close()
    with open_store(path) as store:
        assert store.schema_version == CURRENT_VERSION
        rows = store.conn.execute("SELECT id, status, attempts, sends FROM print_jobs ORDER BY id")
        assert rows.fetchall() == [(1, "pending", 1, 0), (2, "printed", 1, 1), (3, "failed", 1, 0)]
        with store.write() as c:
            c.execute("UPDATE print_jobs SET status = 'unconfirmed' WHERE id = 1")
        with pytest.raises(Exception, match="CHECK"), store.write() as c:
            c.execute("UPDATE print_jobs SET status = 'lost' WHERE id = 1")
