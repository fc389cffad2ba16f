"""Receipts as bytes: every layout at every width, decoded back from the real ESC/POS bytes;
the print queue against a TCP printer on loopback that goes away, comes back, runs out of
paper, while sales go on through the real CounterService."""
from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.printer import PrinterState, open_printer
from drivers.printer.dummy import DummyPrinter
from drivers.printer.network import NetworkPrinter
from kiosk import payments, print_jobs
from kiosk.config import (
    PolicySection,
    PrinterSection,
    PrintingSection,
    SchoolSection,
    TerminalConfig,
    TerminalSection,
)
from kiosk.demo.school import Badge
from kiosk.hardware import printer_message
from kiosk.print_worker import AlreadyPrinting, PrintWorker
from tests.escpos_decode import decode
from tests.printer_emulator import PrinterEmulator

SCHOOL = "Institut Saint-Michel"
IBAN = "BE04 3631 3602 2231"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config() -> TerminalConfig:
    return TerminalConfig(terminal=TerminalSection(name="Cantine 1"),
                          printing=PrintingSection(receipt="always"),
                          school=SchoolSection(name=SCHOOL, iban=IBAN),
                          policy=PolicySection(double_tap_seconds=0),
                          printer=PrinterSection(backend="dummy"))


def squeeze(text: str) -> str:
    return " ".join(text.split())


def until(condition, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def jobs(store) -> list[dict]:
    with store.read() as conn:
        rows = conn.execute("SELECT id, kind, entry_seq, status, attempts, last_error FROM print_jobs"
                            " ORDER BY id").fetchall()
    return [dict(zip(("id", "kind", "entry_seq", "status", "attempts", "last_error"), r)) for r in rows]


def good_badges(store, count: int) -> list[str]:
    """Badges whose holder may buy soup without any refusal or confirmation."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT b.uid FROM badges b JOIN students s ON s.id = b.student_id JOIN wallets w"
            " ON w.student_id = s.id WHERE b.status = 'active' AND w.balance_cents >= 1000"
            " AND s.daily_limit_cents IS NULL AND s.flags = '[]' AND s.blocked_categories = '[]'"
            " ORDER BY b.uid LIMIT ?", (count,)).fetchall()
    assert len(rows) == count
    return [r[0] for r in rows]


# -- every layout, every width -----------------------------------------------------------------
@pytest.fixture
def day_of_work(service, marie, luc, clock, store):
    """A sale, its void, an X report, the pick list, a top-up slip and the Z report, queued."""
    sale = service.sell(marie, "04A1B2C3", {"SOUP": 1, "JUICE": 2})
    clock.advance(60)
    void = service.void(luc, sale.entry.seq, "erreur de caisse")
    picked = service.pickup(marie, Badge.LOUIS_RESERVED)
    print_jobs.enqueue_x_report(store, service.report_x(luc), clock.now())
    print_jobs.enqueue_list(store, service.today(), clock.now())
    service.request_list("uncollected_list")
    emma = service.identify("04A1B2C3").wallets[0]
    print_jobs.enqueue_low_balance(store, emma.id, clock.now(), 2000)
    z = service.close_day(luc)
    return {"sale": sale, "void": void, "z": z, "wallet": emma, "picked": picked}


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_every_layout_decodes_to_what_it_should_say(columns, day_of_work, store, service, config):
    printer = DummyPrinter(columns=columns)
    reservations = service.reservations_of_day()
    printed = {}
    with store.read() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM print_jobs ORDER BY id")]
        for job in (print_jobs.get_job(conn, i) for i in ids):
            doc = print_jobs.render_job(conn, job, config, columns)
            decoded = decode(printer.render(doc))
            # the bytes say exactly what the layout laid out, in PC858, reset first, cut last
            assert decoded.text_lines == doc.text_lines()
            assert decoded.codepages == [19] and decoded.resets == 1 and decoded.cuts == 1
            for line in decoded.lines:
                assert line.printed_width <= columns, (job["kind"], line)
            printed[job["kind"]] = decoded
    assert sorted(printed) == sorted(["receipt", "void", "x_report", "pick_list", "low_balance",
                                      "z_report", "uncollected_list"])
    sale, void, z = day_of_work["sale"], day_of_work["void"], day_of_work["z"]

    text = squeeze(printed["receipt"].text)
    for phrase in (SCHOOL, "Cantine 1", f"Ticket n°{sale.entry.seq}",
                   "24/11/2026 12:00",                      # Brussels time (the entry is 11:00Z)
                   "Servi par Marie", "Emma Dubois (1A)", "1 x Potage et pain 1,00 €",
                   "2 x Jus d'orange 2,40 €", "TOTAL 3,40 €", "Nouveau solde Portefeuille 21,60 €",
                   "Merci et bon appétit !"):
        assert phrase in text, phrase
    assert next(line for line in printed["receipt"].lines if "TOTAL" in line.text).bold

    text = squeeze(printed["void"].text)
    for phrase in (f"ANNULATION n°{void.entry.seq}", f"de la vente n°{sale.entry.seq}",
                   "24/11/2026 12:01", "Servi par Luc", "1 x Potage et pain -1,00 €",
                   "Recrédité 3,40 €", "Motif : erreur de caisse",
                   "Nouveau solde Portefeuille 25,00 €"):
        assert phrase in text, phrase

    for kind, title in (("x_report", "RAPPORT X"), ("z_report", "RAPPORT Z")):
        text = squeeze(printed[kind].text)
        for phrase in (title, "Journée du 24/11/2026", "Opérations n°1 à n°3 (3)",
                       "2 x Jus d'orange 2,40 €", "1 x Potage et pain 1,00 €",
                       "Annulations : 1 -3,40 €", "Marie (1) 3,40 €", "Total brut 3,40 €",
                       "Total net 0,00 €"):
            assert phrase in text, (kind, phrase)
        assert z.last_hash in "".join(printed[kind].text.split())
    assert f"Clôture de la journée n°{z.close_seq}" in squeeze(printed["z_report"].text)
    assert next(line for line in printed["z_report"].lines if line.text == "RAPPORT Z").width == 2

    text = squeeze(printed["pick_list"].text)
    per_type = collections.Counter()
    for r in reservations:
        if r["status"] != "cancelled":
            per_type[r["name"]] += r["quantity"]
            assert f"Classe {r['class_name']}" in text
            assert squeeze(f"{r['last_name']} {r['first_name']}") in text
            assert f"{r['quantity']} x {r['name']}" in text
    assert per_type, "the demo school reserves sandwiches for today"
    for name, count in per_type.items():
        assert f"{name} {count}" in text                      # the kitchen's totals
    assert f"{sum(per_type.values())} pièces au total" in text
    assert "Sandwich végétarien" in text or "Sandwich végétarien" not in per_type

    # The end-of-service list: the same, less what was picked up (Louis's sandwich).
    text = squeeze(printed["uncollected_list"].text)
    assert "NON RETIRÉS" in text and "SANDWICHS" not in text
    louis = day_of_work["picked"].student
    assert squeeze(f"{louis.last_name} {louis.first_name}") not in text
    left = collections.Counter()
    for r in reservations:
        if r["status"] == "reserved":
            left[r["name"]] += r["quantity"]
            assert squeeze(f"{r['last_name']} {r['first_name']}") in text
    assert left and f"{sum(left.values())} pièces au total" in text
    assert sum(left.values()) < sum(per_type.values())

    slip = printed["low_balance"]
    text = squeeze(slip.text)
    wallet = day_of_work["wallet"]
    for phrase in ("SOLDE BAS", "Emma Dubois (1A)", "Solde Portefeuille 25,00 €",
                   f"Bénéficiaire : {SCHOOL}", f"IBAN : {IBAN}", "BIC : BBRUBEBB",
                   wallet.structured_communication, "Montant suggéré : 20,00 €",
                   "environ 4 jours ouvrables"):
        assert phrase in text, phrase
    assert slip.qr_codes == [payments.epc_payload(SCHOOL, IBAN, 2000,
                                                  wallet.structured_communication)]


def test_accents_and_euro_survive_the_code_page():
    from drivers.printer.document import Document
    printer = DummyPrinter(columns=48, profile="TM-T88V")
    doc = Document(48)
    doc.line("é è à ç € ù ô « » Zoé, Chloé, Noël — 1\u202f234,50\u00a0€")
    decoded = decode(printer.render(doc))
    assert decoded.text_lines == ["é è à ç € ù ô « » Zoé, Chloé, Noël - 1 234,50 €"]


def test_a_profile_without_a_euro_code_page_is_refused():
    with pytest.raises(ValueError, match="profile"):
        open_printer(PrinterSection(backend="dummy", profile="no-such-printer"))


def test_epc_qr_of_the_slip_scans_with_zbar(day_of_work, store, config, tmp_path):
    """What the printer is told to draw (the native QR's payload), drawn by segno and read by
    zbar, is the right transfer."""
    import segno
    from PIL import Image
    from pyzbar.pyzbar import decode as zbar
    printer = DummyPrinter(columns=32)
    with store.read() as conn:
        job = next(j for j in (print_jobs.get_job(conn, i) for i in range(1, 20)) if j and
                   j["kind"] == "low_balance")
        (payload,) = decode(printer.render(print_jobs.render_job(conn, job, config, 32))).qr_codes
    png = tmp_path / "slip-qr.png"
    segno.make(payload, error="m", boost_error=False).save(png, scale=4)
    (read,) = [r.data.decode("utf-8") for r in zbar(Image.open(png))]
    fields = read.split("\n")
    assert fields[6] == "BE04363136022231"
    assert fields[7] == "EUR20"
    assert "+++" + f"{fields[9][:3]}/{fields[9][3:7]}/{fields[9][7:]}" + "+++" == \
        day_of_work["wallet"].structured_communication


# -- the queue against a network printer that comes and goes --------------------------------------
@pytest.fixture
def emulator():
    emu = PrinterEmulator().start()
    yield emu
    emu.stop()


def _worker(store, config, emulator, **kwargs) -> tuple[PrintWorker, NetworkPrinter]:
    printer = NetworkPrinter(*emulator.address, columns=42)
    printer.confirm_timeout = 30.0
    worker = PrintWorker(store.path, config, printer, poll=0.05, backoff=(0.05, 0.2), **kwargs)
    return worker, printer


def _tickets(emulator) -> collections.Counter:
    seen = collections.Counter()
    for job in emulator.jobs:
        seen.update(int(n) for n in re.findall(r"Ticket n°(\d+)", decode(job).text))
    return seen


def test_sales_never_wait_and_every_receipt_prints_once_after_the_printer_returns(
        service, marie, store, config, emulator):
    badges = iter(good_badges(store, 10))
    worker, _ = _worker(store, config, emulator)
    worker.start()
    try:
        sold = [service.sell(marie, next(badges), {"SOUP": 1}).entry.seq for _ in range(3)]
        until(lambda: len(emulator.jobs) == 3, what="the first three receipts")

        # The printer goes away: sales keep committing; the receipts wait, the error visible.
        emulator.stop()
        sold += [service.sell(marie, next(badges), {"SOUP": 1}).entry.seq for _ in range(4)]
        until(lambda: worker.status().state == "offline", what="the worker to notice")
        until(lambda: worker.status().waiting == 4, what="the count of waiting jobs")
        waiting = [j for j in jobs(store) if j["status"] == "pending"]
        assert [j["entry_seq"] for j in waiting] == sold[3:]
        assert waiting[0]["attempts"] >= 1
        assert "ne répond pas (127.0.0.1:" in waiting[0]["last_error"]
        assert "ne répond pas" in worker.status().message

        # It comes back, busy: it holds the confirmation of the job it is printing. The worker
        # is blocked inside send(), and sales still commit, their receipts queued behind.
        emulator.hold_confirm.clear()
        emulator.start()
        worker.retry_now()
        until(emulator.holding.is_set, what="the printer to take a job")
        sold += [service.sell(marie, next(badges), {"SOUP": 1}).entry.seq for _ in range(3)]
        assert emulator.holding.is_set(), "the worker was blocked on the printer all along"
        assert {j["entry_seq"] for j in jobs(store) if j["status"] == "pending"} >= set(sold[-3:])
        emulator.hold_confirm.set()

        until(lambda: all(j["status"] == "printed" for j in jobs(store)), what="the whole queue")
        until(lambda: len(_tickets(emulator)) == len(sold), what="the emulator's jobs")
    finally:
        worker.stop()
    assert _tickets(emulator) == collections.Counter({seq: 1 for seq in sold})   # once each
    # the job at the head of the queue while the printer was away was tried, and tried again
    assert next(j for j in jobs(store) if j["entry_seq"] == sold[3])["attempts"] >= 2
    assert worker.status().state == "ok" and worker.status().waiting == 0


@pytest.mark.parametrize("problem, state, words", [
    ("paper_out", "paper_out", "plus de papier"),
    ("cover_open", "cover_open", "capot"),
])
def test_printer_problem_keeps_the_job_queued_with_the_error(problem, state, words, service, marie,
                                                              store, config, emulator):
    setattr(emulator, problem, True)
    seen = []
    worker, printer = _worker(store, config, emulator, on_status=seen.append)
    worker.start()
    try:
        seq = service.sell(marie, "04A1B2C3", {"SOUP": 1}).entry.seq
        until(lambda: jobs(store)[0]["attempts"] >= 2, what="two attempts")
        job = jobs(store)[0]
        assert job["status"] == "pending" and words in job["last_error"]
        assert emulator.jobs == []                      # nothing sent to a printer in trouble
        assert 1 in emulator.queries                    # it was asked (DLE EOT)
        assert worker.status().state == state and words in worker.status().message
        assert any(s.state == state for s in seen)      # the UI was told
        assert printer.status().state is PrinterState(state)

        setattr(emulator, problem, False)               # the canteen worker fixes it
        worker.retry_now()
        until(lambda: jobs(store)[0]["status"] == "printed", what="the receipt")
    finally:
        worker.stop()
    assert _tickets(emulator) == collections.Counter({seq: 1})
    assert jobs(store)[0]["last_error"] is None


def test_a_job_that_can_never_print_fails_visibly_and_the_rest_goes_on(service, marie, store,
                                                                        config, clock):
    # (a receipt of an entry the journal does not hold would be a cut journal: sales stop,
    # kiosk.anchors; a slip of a wallet no longer in the store can never print)
    with store.write() as conn:
        bad = print_jobs.enqueue(conn, "low_balance", clock.now(), payload={"wallet_id": "W-GONE"})
    seq = service.sell(marie, "04A1B2C3", {"SOUP": 1}).entry.seq
    printer = DummyPrinter(columns=42)
    worker = PrintWorker(store.path, config, printer)
    assert worker.run_once() == 1
    first, second = jobs(store)
    assert first["id"] == bad and first["status"] == "failed"
    assert "wallet W-GONE not found" in first["last_error"]
    assert second["status"] == "printed" and second["entry_seq"] == seq
    assert worker.status().failed == 1
    # reprint last: the last sale's receipt once more
    job_id, last = print_jobs.reprint_last(store, clock.now())
    assert last == seq and worker.run_once() == 1
    assert [f"Ticket n°{seq}" in decode(b).text for b in printer.jobs] == [True, True]


def test_processes_importing_the_printer_driver_at_once_share_one_whole_cache(tmp_path):
    """python-escpos writes its capability cache in place: a process importing it while
    another writes it read half a file (EOFError, seen in CI with two test workers). The
    driver makes the cache whole first (drivers.printer.base), then every import reads it."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(Path.cwd())}
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    children = [subprocess.Popen([sys.executable, "-c", "import drivers.printer.base"], env=env,
                                 stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [(child.wait(timeout=60), child.stderr.read()) for child in children]
    assert [code for code, _ in errors] == [0] * 6, errors
    assert [p.name for p in (tmp_path / "comptoir" / "escpos").iterdir()] == [
        f"{sys.version.split()[0]}.capabilities.pickle"]          # no partial file left


def test_one_worker_per_store(store, config):
    first = PrintWorker(store.path, config, DummyPrinter())
    first.start()
    try:
        with pytest.raises(AlreadyPrinting):
            PrintWorker(store.path, config, DummyPrinter()).run_once()
    finally:
        first.stop()
    assert PrintWorker(store.path, config, DummyPrinter()).run_once() == 0


def test_unreachable_printers_say_why(tmp_path, emulator):
    host, port = emulator.address
    emulator.stop()
    status = NetworkPrinter(host, port).status()
    assert status.state is PrinterState.OFFLINE and f"{host}:{port}" in printer_message(status)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    status = open_printer(PrinterSection(backend="file", path=str(blocker))).status()
    assert status.state is PrinterState.OFFLINE and "not-a-folder" in printer_message(status)
    status = open_printer(PrinterSection(backend="usb", usb_vendor=0x04B8, usb_product=0x0202)).status()
    assert status.state is PrinterState.OFFLINE and "USB 04b8:0202" in printer_message(status)
    status = open_printer(PrinterSection(backend="serial", serial_device=str(tmp_path / "ttyNone"))).status()
    assert status.state is PrinterState.OFFLINE and "ttyNone" in printer_message(status)


# -- the command line --------------------------------------------------------------------------
def _cli(folder, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "COMPTOIR_DATA": str(folder), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_cli_printer_test_and_reprint_last(tmp_path, store, service, marie, emulator):
    folder = store.path.parent
    (folder / "terminal.toml").write_text(
        f'[terminal]\nname = "Cantine 1"\n[school]\nname = "{SCHOOL}"\niban = "{IBAN}"\n'
        f'[printer]\nbackend = "network"\nhost = "127.0.0.1"\nport = {emulator.port}\ncolumns = 32\n',
        encoding="utf-8")
    done = _cli(folder, "printer", "test")
    assert done.returncode == 0, done.stderr
    assert "Page de test imprimée" in done.stdout
    page = decode(emulator.jobs[-1])
    assert "é è à ç €" in page.text
    assert "Łukasz Kőrösi · Жанна · Stefan Nguyen" in page.text_lines      # other code pages
    assert page.images and page.images[0].ink > 0                          # Arabic, Hebrew, Chinese
    for width in (32, 42, 48):
        assert ("1234567890" * 5)[:width] in page.text_lines
    assert payments.validate_iban(page.qr_codes[0].split("\n")[6]) == "BE04363136022231"

    seq = service.sell(marie, "04A1B2C3", {"SOUP": 1}).entry.seq
    done = _cli(folder, "reprint", "last")
    assert done.returncode == 0, done.stderr
    assert f"Ticket n°{seq}" in done.stdout and f"Ticket n°{seq}" in decode(emulator.jobs[-1]).text

    emulator.stop()
    done = _cli(folder, "reprint", "last")
    assert done.returncode == 1 and "ne répond pas" in done.stderr
    assert jobs(store)[-1]["status"] == "pending"          # it waits for the printer
