"""The role table's rows (a helper, not a test): every page and JSON route of the back office
with the permission it needs. Each area lists its rows in its own ``tests/web/pages_<area>.py``
(``ROWS = [Row(...), ...]``); ``test_role_table.py`` collects every such file."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .platform import Platform, School

Setup = Callable[[Platform, School], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """``method path`` needs ``permission`` (``None``: anyone signed in). ``path``, ``form``
    (a page's form fields, sent form-encoded with the CSRF token) and ``json`` (a JSON body)
    may hold ``{name}`` placeholders, filled by ``setup(platform, school)`` (called afresh for
    each role: make there what the request changes, e.g. a new article to delete)."""

    method: str
    path: str
    permission: str | None
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    setup: Setup | None = field(default=None, compare=False)

    @property
    def is_page(self) -> bool:
        return not self.path.startswith("/api/")

    @property
    def unsafe(self) -> bool:
        return self.method not in ("GET", "HEAD")

    def request(self, platform: Platform, school: School) -> dict[str, Any]:
        """What ``requests.Session.request`` takes for this row: method, url, data/json."""
        values = self.setup(platform, school) if self.setup else {}
        fill = _filler(values)
        out: dict[str, Any] = {"method": self.method,
                               "url": platform.url + self.path.format(**values)}
        if self.form is not None:
            out["data"] = {k: fill(v) for k, v in self.form.items()}
        if self.json is not None:
            out["json"] = fill(self.json)
        return out

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _filler(values: dict[str, Any]) -> Callable[[Any], Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**values)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value
    return fill


def all_rows() -> list[Row]:
    """Every ``ROWS`` of every ``tests/web/pages_*.py``."""
    rows: list[Row] = []
    for path in sorted(Path(__file__).parent.glob("pages_*.py")):
        rows += importlib.import_module(f"{__package__}.{path.stem}").ROWS
    return rows
