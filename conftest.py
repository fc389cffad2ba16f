"""Collection rules for the whole repository (pytest runs tests/ and, with --doctest-modules,
the docstring examples of kiosk, sync and drivers: see pyproject.toml).

Importing a module is how pytest finds its examples. The touch app's screens (``kiosk/ui``)
import Kivy when imported, and Kivy must not be imported before the UI tests have set up its
environment (a virtual X screen, no argument parsing, its own home folder: tests/ui/conftest.py).
So the doctest collection leaves out exactly the modules that import Kivy at module level; the
plain-Python modules of kiosk/ui (terminal, flows, texts, formats, topup, present...) are
collected like any other. A module left out may not carry examples: tests/test_doctest_collection.py
fails if one does, so no example is ever silently skipped.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UI = ROOT / "kiosk" / "ui"


@cache
def imports_kivy(path: Path) -> bool:
    """True when the module imports Kivy at module level (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(n == "kivy" or n.startswith("kivy.") for n in names):
            return True
    return False


def headless_unsafe(path: Path) -> bool:
    """The modules of the touch app whose import would import Kivy."""
    return path.suffix == ".py" and UI in path.parents and imports_kivy(path)


def pytest_ignore_collect(collection_path: Path, config):
    if headless_unsafe(collection_path):
        return True
    return None
