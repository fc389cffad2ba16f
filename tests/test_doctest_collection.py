"""The docstring examples are collected by pytest itself (``--doctest-modules`` over kiosk,
sync and drivers, pyproject.toml), not from a hand-kept list: every module with an example is
collected, the only ones left out (the touch app's screens, which import Kivy) carry none, and
collecting does not import Kivy behind the UI tests' back."""
from __future__ import annotations

import doctest
import json
import subprocess
import sys

from conftest import ROOT, headless_unsafe

PACKAGES = ("kiosk", "sync", "drivers")
# What the hand-kept list of tests/test_doctests.py ran when it was removed: 20 modules,
# 28 docstrings with examples (pytest makes one item per docstring).
FORMER_ITEMS = 28


def modules_with_examples() -> set[str]:
    parser = doctest.DocTestParser()
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "__main__.py":
                continue
            if parser.get_examples(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(ROOT).as_posix())
    return found


COLLECT = """
import json, sys
import pytest

class Items:
    def pytest_collection_finish(self, session):
        self.ids = [item.nodeid for item in session.items]

items = Items()
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[1:]],
                   plugins=[items])
print(json.dumps({"code": int(code), "ids": items.ids, "kivy": "kivy" in sys.modules}))
"""


def collect(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", COLLECT, *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, check=False).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_modules_left_out_carry_no_examples():
    left_out = {p for p in modules_with_examples() if headless_unsafe(ROOT / p)}
    assert not left_out, f"these modules import Kivy and their examples would never run: {left_out}"


def test_every_module_with_examples_is_collected_without_importing_kivy():
    result = collect(*PACKAGES)
    assert result["code"] == 0
    collected = {nodeid.split("::")[0] for nodeid in result["ids"]}
    assert modules_with_examples() <= collected
    assert len(result["ids"]) >= FORMER_ITEMS
    assert not result["kivy"], "collecting the doctests imported Kivy"
