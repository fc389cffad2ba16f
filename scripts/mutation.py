"""`make mutation`: mutation testing of the money rules with mutmut, one module at a time,
then each module's score and its surviving mutants (docs/mutation.md explains each one left).

    python scripts/mutation.py [MODULE ...] [--jobs N] [--min 95] [--report-only | --again | --resume]

MODULE is one of the keys of MODULES (default: all, smallest first), each mutated alone with
only the fast tests that pin it (MODULES). mutmut's other settings are pyproject.toml's
[tool.mutmut] (which, as it is, runs all these modules with all these tests: `mutmut run`);
it works in copies of the tree under mutants/ (not committed), one folder per module.
Exit status 1 when a module scores below --min percent, so a rule that loses its test shows
up as a failure, not a number to read.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants" / "by-module"       # one mutmut working folder per module
_CS = "kiosk.counter.xǁCounterServiceǁ"


class Module(NamedTuple):
    path: str                   # the file mutated
    tests: list[str]            # the fast tests that pin its rules
    scored: list[str]           # the mutants scored: whole module, or the money rules' functions


MODULES: dict[str, Module] = {
    "money": Module("sync/common/money.py", ["tests/test_money.py"], ["sync.common.money.*"]),
    "payments": Module("kiosk/payments.py", ["tests/test_payments.py"], ["kiosk.payments.*"]),
    "receipts": Module("kiosk/receipts.py", ["tests/test_receipts.py", "tests/test_money_rules.py"],
                       ["kiosk.receipts.x_sale_receipt__mutmut_*",
                        "kiosk.receipts.x_void_receipt__mutmut_*"]),
    "bank_statement": Module("sync/server/bank_statement.py", ["tests/test_bank_statement.py"],
                             ["sync.server.bank_statement.*"]),
    "journal": Module("kiosk/journal.py", ["tests/test_journal.py"], ["kiosk.journal.*"]),
    "counter": Module("kiosk/counter.py", ["tests/test_counter.py", "tests/test_money_rules.py",
                                         "tests/test_offline.py", "tests/test_by_name.py"],
                      [f"{_CS}{name}__mutmut_*" for name in
                       ("_sell", "_check_spending", "is_stale", "_stale_since")]),
}
LINKED = ("kiosk", "sync", "drivers", "tests", "conftest.py", "setup.cfg")

KILLED = {1, 3, 36, 37, -24, 24, 152, 255}      # mutmut's exit codes: killed, timeout, type check
SKIPPED = {34}


def _toml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)        # strings, numbers and booleans are written alike


def workdir(module: str) -> Path:
    """A folder where mutmut sees the tree (linked) and a pyproject.toml whose [tool.mutmut]
    is the repository's, narrowed to this module's file and tests."""
    folder = WORK / module
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    text = (ROOT / "pyproject.toml").read_text()
    settings = tomllib.loads(text)["tool"]["mutmut"]
    settings |= {"only_mutate": [MODULES[module].path],
                 "pytest_add_cli_args_test_selection": MODULES[module].tests}
    head, _, rest = text.partition("[tool.mutmut]")
    rest = rest[rest.index("\n[") + 1:] if "\n[" in rest else ""
    table = "[tool.mutmut]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in settings.items())
    (folder / "pyproject.toml").write_text(head + rest + "\n" + table)
    return folder


def run(module: str, jobs: int, again: bool = False, resume: bool = False) -> int:
    globs = MODULES[module].scored
    if again:               # only the mutants the last run left alive (after adding tests)
        globs = [name.split(" ")[0] for name in score(module)[2]] or globs
    elif resume:            # only those an interrupted run had not reached
        globs = [name.split(" ")[0] for name in score(module)[2] if name.endswith("(not run)")] or globs
    shown = " ".join(globs) if len(globs) <= 4 else f"{len(globs)} mutants"
    print(f"== {module}: mutmut run {shown}", flush=True)
    return subprocess.call([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs),
                            *globs], cwd=workdir(module), stdout=subprocess.DEVNULL)


def score(module: str) -> tuple[int, int, list[str]]:
    """(killed, counted, the names of those not killed) from mutmut's results file."""
    path, _, globs = MODULES[module]
    meta = WORK / module / "mutants" / (path + ".meta")
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
    parser.add_argument("--again", action="store_true",
                        help="run again only the mutants the last run left alive")
    parser.add_argument("--resume", action="store_true",
                        help="run only the mutants an interrupted run had not reached")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)} (known: {', '.join(MODULES)})")
    failed = []
    for module in modules:
        if not args.report_only and run(module, args.jobs, args.again, args.resume) != 0:
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
