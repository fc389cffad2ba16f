"""The `comptoir` command, run as a real process on a real data folder."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from kiosk.demo.school import Badge

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=250)


def run(folder, *args, operator=None, pin=None, env=None, check_rc=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    full_env["COMPTOIR_DATA"] = str(folder)
    if operator:
        full_env["COMPTOIR_OPERATOR"] = operator
    if pin:
        full_env["COMPTOIR_PIN"] = pin
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args], env=full_env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """A data folder with the demo school (60 students) imported, reused by read-only tests."""
    folder = tmp_path_factory.mktemp("cli") / "terminal"
    run(folder, "init", "--name", "Cantine 1", check_rc=0)
    demo = folder.parent / "demo.json"
    run(folder, "demo-data", "--students", "60", "--output", str(demo), check_rc=0)
    run(folder, "import", str(demo), check_rc=0)
    return folder


@pytest.fixture
def fresh(tmp_path, school):
    """A private copy of the demo terminal for tests that write."""
    import shutil
    folder = tmp_path / "terminal"
    shutil.copytree(school, folder)
    return folder


def sell(folder, *args, operator="Marie", pin="1234"):
    return run(folder, "sell", *args, operator=operator, pin=pin)


def test_init_makes_private_folder_and_files(school):
    assert stat.S_IMODE(school.stat().st_mode) == 0o700
    assert stat.S_IMODE((school / "comptoir.db").stat().st_mode) == 0o600
    assert 'name = "Cantine 1"' in (school / "terminal.toml").read_text()
    again = run(school, "init", check_rc=0)
    assert "déjà initialisée" in again.stdout


def test_sell_and_refusals_exit_codes(fresh):
    ok = sell(fresh, "--badge", Badge.EMMA, "SOUP", "JUICEx2")
    assert ok.returncode == 0, ok.stderr
    assert "Vente n°1 — Emma Dubois (1A)" in ok.stdout and "21,60" in ok.stdout
    cases = [
        (sell(fresh, "--badge", Badge.EMMA, "SOUP"), 4, "Confirmer une deuxième vente"),
        (sell(fresh, "--badge", Badge.NOAH, "SOUP"), 3, "il manque 1,00"),
        (sell(fresh, "--badge", Badge.LUCAS_BLOCKED, "SOUP"), 3, "Badge bloqué"),
        (sell(fresh, "--badge", "zz", "SOUP"), 3, "illisible"),
        (sell(fresh, "--badge", Badge.LINA, "SOUP"), 4, "ALLERGIE"),
        (sell(fresh, "--badge", Badge.LINA, "SOUP", pin="0000"), 5, "PIN incorrect"),
        (sell(fresh, "--badge", Badge.LINA, "SOUP", operator="Nobody"), 5, "Opérateur inconnu"),
        (sell(fresh, "--badge", Badge.LINA, "SOUP=x"), 2, "illisible\xa0: 'SOUP=x'"),
        (run(fresh, "sell", "--badge", Badge.LINA, "SOUP"), 2, "quel opérateur\xa0?"),
        (run(fresh, "sell", "--badge", Badge.LINA, "SOUP", operator="Marie"), 2, "pas de code PIN"),
        (run(fresh, "void", "1", operator="Marie", pin="1234"), 5, "réservée à un responsable"),
    ]
    for proc, code, needle in cases:
        assert proc.returncode == code, (proc.args, proc.stdout, proc.stderr)
        assert needle in proc.stderr, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("comptoir: ")        # one clear line
    confirmed = sell(fresh, "--badge", Badge.LINA, "SOUP", "--confirm", "allergen")
    assert confirmed.returncode == 0
    journal = run(fresh, "journal", "export", "--format", "json", check_rc=0)
    assert [e["seq"] for e in json.loads(journal.stdout)] == [1, 2]        # refusals wrote nothing


def test_supervisor_flow_pickup_void_reports(fresh):
    sell(fresh, "--badge", Badge.EMMA, "SOUP")
    assert run(fresh, "pickup", "--badge", Badge.LOUIS_RESERVED, operator="Marie", pin="1234",
               check_rc=0).stdout.startswith("Retrait n°2")
    again = run(fresh, "pickup", "--badge", Badge.LOUIS_RESERVED, operator="Marie", pin="1234", check_rc=3)
    assert "Déjà retiré le" in again.stderr and "«\xa0Cantine 1\xa0»" in again.stderr
    void = run(fresh, "void", "1", "--reason", "erreur", operator="Luc", pin="5678", check_rc=0)
    assert "Annulation n°3 de la vente n°1\xa0: 1,00\xa0€ recrédités" in void.stdout
    assert "Portefeuille\xa0: 25,00\xa0€" in run(fresh, "balance", "--badge", Badge.EMMA, check_rc=0).stdout
    x = run(fresh, "report", "x", operator="Marie", pin="1234", check_rc=0).stdout
    assert "Rapport X" in x and "Annulations\xa0: 1 (1,00\xa0€)" in x
    z = run(fresh, "report", "z", operator="Luc", pin="5678", check_rc=0).stdout
    assert "Rapport Z — clôture n°4" in z
    closed = sell(fresh, "--badge", Badge.LINA, "APPLE")
    assert closed.returncode == 3 and "clôturée" in closed.stderr
    assert "clôturée (Z)" in run(fresh, "status", check_rc=0).stdout


def test_pickup_of_an_allergen_needs_confirm_allergen(fresh, tmp_path):
    """Issue 13, point 2: the command line's pickup asks like its sale (exit 4, --confirm)."""
    from zoneinfo import ZoneInfo

    from sync.common.clock import SystemClock, business_day
    today = business_day(SystemClock().now(), ZoneInfo("Europe/Brussels")).isoformat()
    file = tmp_path / "lina.json"
    file.write_text(json.dumps({"reservations": [{
        "id": "R-LINA", "day": today, "student_id": "S00003", "article_code": "SANDW-HAM",
        "quantity": 1, "status": "reserved"}]}))
    run(fresh, "import", str(file), check_rc=0)
    asked = run(fresh, "pickup", "--badge", Badge.LINA, operator="Marie", pin="1234", check_rc=4)
    assert "ALLERGIE" in asked.stderr and "Sandwich jambon contient gluten" in asked.stderr
    done = run(fresh, "pickup", "--badge", Badge.LINA, "--confirm", "allergen", operator="Marie",
               pin="1234", check_rc=0)
    assert "Lina El Amrani" in done.stdout and "1 × Sandwich jambon" in done.stdout
    entries = json.loads(run(fresh, "journal", "export", "--format", "json", check_rc=0).stdout)
    assert [e["kind"] for e in entries] == ["pickup"]


def test_copies_on_reception_terminal(fresh):
    toml = fresh / "terminal.toml"
    toml.write_text(toml.read_text().replace('profile = "canteen"', 'profile = "reception"'))
    proc = run(fresh, "copies", "--badge", Badge.EMMA, "--bw", "12", "--colour", "2",
               operator="Marie", pin="1234", check_rc=0)
    assert "Photocopies n°1" in proc.stdout and "2,20" in proc.stdout


def test_check_names_the_first_tampered_entry(fresh):
    for uid in (Badge.EMMA, Badge.LINA, Badge.LOUIS_RESERVED):
        sell(fresh, "--badge", uid, "APPLE")
    assert "journal de 3 opérations vérifié" in run(fresh, "check", check_rc=0).stdout
    conn = sqlite3.connect(fresh / "comptoir.db")
    conn.execute("DROP TRIGGER journal_append_only_u")       # behind the program's back
    conn.execute("UPDATE journal SET body = replace(body, '\"qty\":1', '\"qty\":9') WHERE seq = 2")
    conn.commit()
    conn.close()
    proc = run(fresh, "check", check_rc=1)
    assert "Journal altéré à l'opération n°2" in proc.stderr
    assert "hash does not match" in proc.stderr
    refused = sell(fresh, "--badge", Badge.EMMA, "APPLE")
    assert refused.returncode == 1 and "n°2" in refused.stderr        # no more sales, anywhere
    assert "n°2" in run(fresh, "status", check_rc=0).stdout


def test_check_detects_a_deleted_entry(fresh):
    for uid in (Badge.EMMA, Badge.LINA, Badge.LOUIS_RESERVED):
        sell(fresh, "--badge", uid, "APPLE")
    conn = sqlite3.connect(fresh / "comptoir.db")
    conn.execute("DROP TRIGGER journal_append_only_d")
    conn.execute("DELETE FROM journal WHERE seq = 2")
    conn.commit()
    conn.close()
    proc = run(fresh, "check", check_rc=1)
    assert "n°2" in proc.stderr and "missing" in proc.stderr


def test_journal_export_csv_with_dates_to_file(fresh):
    sell(fresh, "--badge", Badge.EMMA, "SOUP")
    out = fresh.parent / "export.csv"
    run(fresh, "journal", "export", "--format", "csv", "--from", "2000-01-01", "--to", "2999-12-31",
        "--output", str(out), check_rc=0)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("seq,uuid,ts,day,kind,device,operator,student,amount_cents")
    assert len(lines) == 2 and ",sale," in lines[1] and "SOUPx1" in lines[1]
    empty = run(fresh, "journal", "export", "--from", "2000-01-01", "--to", "2000-01-02", check_rc=0)
    assert empty.stdout.splitlines() == [lines[0]]
    bad = run(fresh, "journal", "export", "--from", "yesterday", check_rc=2)
    assert "une date comme 2026-11-25 était attendue" in bad.stderr


def test_import_errors_leave_store_unchanged(fresh):
    bad = fresh.parent / "bad.json"
    bad.write_text('{"reservations": [{"id": "R1", "day": "2026-11-24", "student_id": "S00001",'
                   ' "article_code": "NOPE", "quantity": 1}]}')
    proc = run(fresh, "import", str(bad), check_rc=1)
    assert "unknown article code 'NOPE'" in proc.stderr and "rien n'a été modifié" in proc.stderr
    conn = sqlite3.connect(fresh / "comptoir.db")
    assert conn.execute("SELECT COUNT(*) FROM reservations WHERE id = 'R1'").fetchone() == (0,)


def test_bad_config_names_the_key(fresh):
    (fresh / "terminal.toml").write_text("[policy]\noverdraft_limit_cents = 'lots'\n")
    proc = run(fresh, "status", check_rc=1)
    assert "policy.overdraft_limit_cents: must be a whole number" in proc.stderr


def test_no_store_yet(tmp_path):
    proc = run(tmp_path / "nothing", "status", check_rc=1)
    assert "comptoir init" in proc.stderr


def test_operator_add_first_admin_then_others(tmp_path):
    folder = tmp_path / "t"
    run(folder, "init", check_rc=0)
    run(folder, "operator", "add", "Root", "--role", "admin", env={"COMPTOIR_NEW_PIN": "4321"}, check_rc=0)
    no_session = run(folder, "operator", "add", "Nadia", env={"COMPTOIR_NEW_PIN": "1111"}, check_rc=2)
    assert "quel opérateur\xa0?" in no_session.stderr
    run(folder, "operator", "add", "Nadia", "--role", "seller", operator="Root", pin="4321",
        env={"COMPTOIR_NEW_PIN": "1111"}, check_rc=0)
    listing = run(folder, "operator", "list", check_rc=0).stdout
    assert "Nadia" in listing and "Root" in listing and "4321" not in listing


def test_status_reports_everything(school):
    out = run(school, "status", check_rc=0).stdout
    from kiosk.store.schema import CURRENT_VERSION
    for needle in ("Cantine 1 (canteen)", f"schéma v{CURRENT_VERSION}", "Intégrité    \xa0: OK",
                   "Journal      \xa0: 0", "60 élèves", "en attente d'envoi"):
        assert needle in out, out


@pytest.mark.parametrize("command", [("sell", "--badge", Badge.EMMA, "SOUP"),
                                     ("report", "x")])
def test_a_closed_output_does_not_turn_what_was_done_into_a_failure(fresh, command):
    """`comptoir sell … | head -1`: the reader of stdout goes away. The sale is in the journal,
    so the exit code is 0 and stderr says it was done: a wrapper retrying on failure must
    not sell twice (issue 13, point 6)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(COMPTOIR_DATA=str(fresh), COMPTOIR_OPERATOR="Luc", COMPTOIR_PIN="5678")
    read, write = os.pipe()
    os.close(read)                                   # nobody will ever read what it prints
    try:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *command], env=env,
                              stdout=write, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              text=True, timeout=60)
    finally:
        os.close(write)
    assert proc.returncode == 0, proc.stderr
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr
    assert "sortie" in proc.stderr and "fait" in proc.stderr, proc.stderr    # said on stderr
    sales = sqlite3.connect(fresh / "comptoir.db").execute(
        "SELECT COUNT(*) FROM journal WHERE kind = 'sale'").fetchone()[0]
    assert sales == (1 if command[0] == "sell" else 0)
