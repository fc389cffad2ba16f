"""The allergen and diet rule at the counter (``sync.common.allergens``, the one rule the
platform applies too), for a sale and for the pickup of a reservation alike: the terminal's
``[policy] allergen_policy`` says whether a conflict asks the operator (``NeedsConfirmation``
``allergen``, answered by calling again with ``allergen`` in ``confirm``) or is refused
(``Refusal`` ``allergen_refused``). Either names the articles and the student's flags.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from kiosk.holders import Student, json_list
from sync.common import allergens
from sync.common.errors import NeedsConfirmation, Refusal


def confirmations(policy: str, student: Student, articles: Iterable[tuple[str, Iterable[str]]],
                  confirm: Collection[str], codes: Mapping[str, str] | None = None) -> list[str]:
    """``articles``: (name, allergen tags) of what the student is handed; ``codes``: their
    codes by name (the refusal or question then lists them in ``articles``: a screen names
    them in its own language). Returns the confirmations needed and given (``["allergen"]``,
    recorded in the entry) or ``[]``; raises the refusal or the question."""
    if not student.flags:            # most students: nothing to look at
        return []
    verdict = allergens.check(policy, student.flags, articles,
                              allergens.CONFIRMATION in confirm)
    if verdict.outcome == "clear":
        return []
    params: dict[str, Any] = {"article": ", ".join(verdict.articles),
                              "flags": list(verdict.flags)}
    if codes:
        params["articles"] = [codes[name] for name in verdict.articles if name in codes]
    if verdict.outcome == "refuse":
        raise Refusal("allergen_refused", **params)
    if verdict.outcome == "ask":
        raise NeedsConfirmation(allergens.CONFIRMATION, **params)
    return [allergens.CONFIRMATION]


def pickup_confirmations(conn: sqlite3.Connection, policy: str, student: Student,
                         items: Iterable[dict], confirm: Collection[str]) -> list[str]:
    """The same rule for reserved items (``{"article": code, "name": ...}``) being handed
    over: their articles' tags are read in the pickup's own transaction."""
    if not student.flags:
        return []
    items = list(items)
    codes = sorted({i["article"] for i in items})
    tags = dict(conn.execute(
        f"SELECT code, allergens FROM articles WHERE code IN ({','.join('?' * len(codes))})",
        codes).fetchall())
    return confirmations(policy, student,
                         ((i["name"], json_list(tags.get(i["article"], "[]"))) for i in items),
                         confirm, {i["name"]: i["article"] for i in items})
