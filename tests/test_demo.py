"""``make demo`` without a display: the real scripts/demo.sh (the reference server on loopback,
a terminal enrolled to it, the touch app under Xvfb walked through a lunch service, the sales
pushed and shown as the platform's journal), run as a subprocess; the test checks what it
leaves behind: the screenshots, the receipts as the printer got them, the platform's journal."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=160)

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ["login", "cart", "cart-paid", "rush-three-soups", "insufficient-balance",
           "double-tap-question", "pickup-list", "pickup-found", "pickup-handed-over",
           "pickup-second-refused", "balance", "admin", "admin-synced", "report-x", "report-z"]


def comptoir_on_path(folder: Path, module: str = "kiosk.cli") -> str:
    """A ``comptoir`` command running this checkout with this interpreter (as make demo's
    .venv/bin/comptoir does), first on PATH with that interpreter's python3. ``module``:
    ``tests.slow_machine`` for a machine too slow for the double-tap window."""
    folder.mkdir()
    wrapper = folder / "comptoir"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
    wrapper.chmod(0o755)
    (folder / "python3").symlink_to(sys.executable)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def run_demo(tmp_path: Path, timeout: float = 150,
             module: str = "kiosk.cli") -> tuple[subprocess.CompletedProcess, Path]:
    demo_dir = tmp_path / "demo"
    env = dict(os.environ, DEMO_HEADLESS="1", DEMO_DIR=str(demo_dir),
               PATH=comptoir_on_path(tmp_path / "bin", module),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("COMPTOIR_DATA", None)
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "demo.sh")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)          # the script's trap stops its server and app
        out, _ = proc.communicate(timeout=20)
        raise AssertionError(f"make demo did not finish in {timeout} s:\n{out[-3000:]}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out), demo_dir


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(cmdline)
    return found


def test_headless_demo_walks_the_app_and_the_platform_sees_the_sales(tmp_path):
    # on a machine too slow for the double-tap window: the walk never depends on its speed
    result, demo_dir = run_demo(tmp_path, module="tests.slow_machine")
    out = result.stdout
    assert result.returncode == 0, out[-4000:]
    lines = out.strip().splitlines()
    assert lines[0] == f"Comptoir demo — folder: {demo_dir}" and lines[-1] == f"Demo done. Folder: {demo_dir}"

    shots = sorted((demo_dir / "out" / "screenshots").iterdir())
    assert [p.name for p in shots] == [f"{n:02d}-{name}.png" for n, name in enumerate(SCREENS, 1)], out
    for shot in shots:
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, shot   # a drawn screen, not blank

    receipts = demo_dir / "out" / "receipts"
    texts = sorted(receipts.glob("*.txt"))
    assert len(texts) == 6 == len(list(receipts.glob("*.escpos")))     # 5 sales and the Z report
    bodies = [t.read_text(encoding="utf-8") for t in texts]
    assert all(b.startswith("Institut Saint-Michel\nCantine 1\n") for b in bodies)
    assert "2 x Potage et pain" in bodies[0] and "Nouveau solde Portefeuille         22,20 €" in bodies[0]
    assert sum("1 x Potage et pain" in b for b in bodies[1:5]) == 4
    assert "RAPPORT Z" in bodies[5] and "6 x Potage et pain" in bodies[5]

    assert "[9/9] admin : Luc (responsable) : Synchronisé\xa0: 6 envoyée(s)" in out
    assert "Non montré : photocopies" in out                       # said, not pretended
    assert "    Emma Dubois (1A) : 20,20\xa0€" in out and "    Noah Peeters (1A) : 0,00\xa0€" in out
    journal = out[out.index("Journal des ventes"):]
    rows = [line for line in journal.splitlines() if "Cantine 1" in line]
    assert sum(" vente " in r and "Potage et pain" in r for r in rows) == 5
    assert any(" retrait " in r and "Louis Dupont" in r and "Sandwich fromage" in r for r in rows)
    assert "7 lignes — total\xa0: -6,80\xa0€" in journal

    assert processes_mentioning(str(demo_dir)) == []                # the server is stopped


def test_scenario_on_a_folder_without_a_terminal_says_so(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "--data", str(tmp_path / "none"),
                             "ui", "--scenario", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "pas de caisse dans" in result.stderr and "comptoir init" in result.stderr
    assert not (tmp_path / "out").exists()
