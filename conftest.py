"""Collection rules for the whole repository (pytest runs tests/ and, with --doctest-modules,
the docstring examples of kiosk, sync and drivers: see pyproject.toml).

Importing a module is how pytest finds its examples. The touch app's screens (``kiosk/ui``)
import Kivy when imported, and Kivy must not be imported before the UI tests have set up its
environment (a virtual X screen, no argument parsing, its own home folder: tests/ui/conftest.py).
So the doctest collection leaves out exactly the modules whose import imports Kivy (at module
level, themselves or through a module of ours they import at module level), found by reading
the source, not from a list; the plain-Python modules of kiosk/ui (terminal, flows, texts,
formats, topup, present...) are collected like any other. A module left out may not carry
examples: tests/test_doctest_collection.py fails if one does, so none is silently skipped.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGES = ("kiosk", "sync", "drivers")


def _module_file(name: str) -> Path | None:
    """The source file of one of our modules (``kiosk.ui.app``), or None (not ours)."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> list[str]:
    """What importing the file runs: its module-level imports (those inside functions run
    later, and ``if TYPE_CHECKING:`` blocks never), with ``from a import b`` giving ``a`` and
    ``a.b`` (which may be a submodule), relative imports resolved."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: list[str] = []
    pending = list(ast.parse(path.read_text(encoding="utf-8"), str(path)).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body
    return names


_VISITING: set[Path] = set()       # the modules on the current path of the walk (a cycle stops)


@cache
def imports_kivy(path: Path) -> bool:
    """True when importing the module imports Kivy: itself at module level, or through one of
    our modules it imports at module level (parent packages included). Each module's answer
    is computed once (without the cache the walk is exponential in the tree's depth)."""
    _VISITING.add(path)
    try:
        for name in _top_level_imports(path):
            if name == "kivy" or name.startswith("kivy."):
                return True
            parts = name.split(".")
            for i in range(1, len(parts) + 1):          # the packages on the way, then the module
                dep = _module_file(".".join(parts[:i]))
                if dep is not None and dep not in _VISITING and imports_kivy(dep):
                    return True
        return False
    finally:
        _VISITING.discard(path)


def headless_unsafe(path: Path) -> bool:
    """The modules of ours whose import would import Kivy (the touch app's screens)."""
    return (path.suffix == ".py" and path.name != "conftest.py"
            and any(ROOT / p in path.parents for p in PACKAGES) and imports_kivy(path))


# Alembic's environment script runs a migration when imported: Alembic loads it, never us.
NOT_MODULES = {ROOT / "sync" / "server" / "migrations" / "env.py"}


def pytest_ignore_collect(collection_path: Path, config):
    if collection_path in NOT_MODULES or headless_unsafe(collection_path):
        return True
    return None
