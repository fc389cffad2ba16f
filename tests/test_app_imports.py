"""What the touch app's process loads: its status bar asks every second whether the terminal
is enrolled, and that must not load the sync agent's HTTP client (requests and its
dependencies: 14 MiB of the app's resident memory, benchmarks/bench_ui.py). A new
interpreter opens a real demo terminal and reads its status the way the status thread does."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.demo.folder import make_demo_folder

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
from drivers.badge.simulated import SimulatedReader
from kiosk.ui.terminal import Terminal
terminal = Terminal.open(sys.argv[1], reader=SimulatedReader())
snapshot = terminal.status_snapshot()
terminal.close()
print(sorted(m for m in ("requests", "urllib3", "sync.client", "sync.agent") if m in sys.modules))
"""


def test_reading_the_status_does_not_load_the_http_client(tmp_path):
    make_demo_folder(tmp_path / "data", students=20)
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "data")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
