"""`make mutation`: mutation testing of the money rules with mutmut, one module at a time,
then each module's score and its surviving mutants (docs/mutation.md explains each one left).

    python scripts/mutation.py [MODULE ...] [--jobs N] [--min 95] [--report-only]

MODULE is one of the keys of MODULES (default: all, smallest first). mutmut's settings (which
files it mutates, which fast tests it may run) are in pyproject.toml, [tool.mutmut]; it works
in a copy of the tree, mutants/ (not committed). Exit status 1 when a module scores below
--min percent, so a rule that loses its test shows up as a failure, not a number to read.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CS = "kiosk.counter.xǁCounterServiceǁ"

# module -> (source file, the mutant names it scores: whole module, or the functions that hold
# the money rules when the file holds other things too)
MODULES: dict[str, tuple[str, list[str]]] = {
    "money": ("sync/common/money.py", ["sync.common.money.*"]),
    "payments": ("kiosk/payments.py", ["kiosk.payments.*"]),
    "receipts": ("kiosk/receipts.py", ["kiosk.receipts.x_sale_receipt__mutmut_*",
                                       "kiosk.receipts.x_void_receipt__mutmut_*"]),
    "bank_statement": ("sync/server/bank_statement.py", ["sync.server.bank_statement.*"]),
    "journal": ("kiosk/journal.py", ["kiosk.journal.*"]),
    "counter": ("kiosk/counter.py", [f"{_CS}{name}__mutmut_*" for name in
                                     ("_sell", "_check_spending", "is_stale", "_stale_since")]),
}

KILLED = {1, 3, 36, 37, -24, 24, 152, 255}      # mutmut's exit codes: killed, timeout, type check
SKIPPED = {34}


def run(module: str, jobs: int) -> int:
    _, globs = MODULES[module]
    print(f"== {module}: mutmut run {' '.join(globs)}", flush=True)
    return subprocess.call([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs),
                            *globs], cwd=ROOT, stdout=subprocess.DEVNULL)


def score(module: str) -> tuple[int, int, list[str]]:
    """(killed, counted, the names of those not killed) from mutmut's results file."""
    path, globs = MODULES[module]
    meta = ROOT / "mutants" / (path + ".meta")
    results = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
    killed, counted, alive = 0, 0, []
    for name, code in sorted(results.items()):
        if not any(fnmatch.fnmatchcase(name, g) for g in globs) or code in SKIPPED:
            continue
        counted += 1
        if code in KILLED:
            killed += 1
        else:
            alive.append(f"{name} ({'not run' if code is None else code})")
    return killed, counted, alive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=", ".join(MODULES))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    parser.add_argument("--min", type=float, default=95.0, help="lowest score accepted (%%)")
    parser.add_argument("--report-only", action="store_true", help="print the last results")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)} (known: {', '.join(MODULES)})")
    failed = []
    for module in modules:
        if not args.report_only and run(module, args.jobs) != 0:
            failed.append(f"{module}: mutmut failed")
    print()
    for module in modules:
        killed, counted, alive = score(module)
        percent = 100.0 * killed / counted if counted else 0.0
        print(f"{module:15} {percent:5.1f} %  ({killed} of {counted} mutants killed)")
        for name in alive:
            print(f"    survived: {name}")
        if percent < args.min:
            failed.append(f"{module}: {percent:.1f} % < {args.min:g} %")
    for line in failed:
        print("make mutation:", line, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
