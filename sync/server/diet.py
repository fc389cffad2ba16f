"""The allergen and diet rule on the platform (``sync.common.allergens``, the rule the
terminals apply at a sale and at a pickup): a reservation of an article whose allergen or
diet tags hit one of the student's flags follows the school's policy, the school setting
``allergen_policy``:

- ``confirm`` (the default, as on the terminals): refused with the code ``allergen`` (409,
  naming the article and the flags) unless the caller confirms explicitly
  (``confirm_allergens: true`` in the request, ``--confirm-allergens`` on the command line);
  a confirmed reservation answers ``confirmed: ["allergen"]``;
- ``refuse``: refused with the code ``allergen_refused`` (409), whatever the caller says.

The counter still asks (or refuses, by its own ``[policy] allergen_policy``) when the reserved
article is handed over: a confirmation given when reserving is not one given at the counter.
"""
from __future__ import annotations

import json
import logging

from sync.common import allergens
from sync.server.database import Connection, Database
from sync.server.errors import CentralError
from sync.server.schools import set_setting_values, setting_values

log = logging.getLogger("comptoir.central")

SETTING = "allergen_policy"


def policy(db: Database, school_id: str, conn: Connection | None = None) -> str:
    """The school's allergen policy: ``confirm`` (default) or ``refuse``."""
    value = setting_values(db, school_id, conn).get(SETTING, allergens.DEFAULT_POLICY)
    return value if value in allergens.POLICIES else "refuse"     # unreadable: the safe side


def set_policy(db: Database, school_id: str, value: str) -> str:
    value = value.strip()
    if value not in allergens.POLICIES:
        raise CentralError("invalid", "allergen policy {policy!r}: confirm or refuse",
                           policy=value)
    set_setting_values(db, school_id, {SETTING: value})
    return value


def check_reservation(db: Database, conn: Connection, school_id: str, student_id: str,
                      article: str, tags: str, confirmed: bool) -> list[str]:
    """Apply the rule to a reservation of ``article`` (its name; ``tags``: the article's
    allergens as stored, JSON) for ``student_id``, in the reservation's transaction. Returns
    the confirmations used (``["allergen"]`` or ``[]``); raises a ``CentralError``
    (``allergen`` or ``allergen_refused``) whose ``allergens`` are the flags hit."""
    row = db.execute(conn, "SELECT flags FROM students WHERE school_id = ? AND id = ?",
                     (school_id, student_id)).fetchone()
    flags = json.loads(row[0]) if row and row[0] else []
    if not flags:
        return []
    verdict = allergens.check(policy(db, school_id, conn), flags,
                              [(article, json.loads(tags or "[]"))], confirmed)
    found = list(verdict.flags)
    shown = ", ".join(found)
    if verdict.outcome == "refuse":
        error = CentralError("allergen_refused", "{article} contains {flags}, on this student's"
                             " allergy and diet list: the school does not allow reserving it",
                             article=article, flags=shown)
    elif verdict.outcome == "ask":
        error = CentralError("allergen", "{article} contains {flags}, on this student's allergy"
                             " and diet list: reserve it only with an explicit confirmation",
                             article=article, flags=shown)
    else:
        error = None
    if error is not None:
        error.allergens = found  # type: ignore[attr-defined]
        raise error
    if verdict.outcome == "confirmed":
        log.info("reservation of an article on a student's allergy and diet list: confirmed"
                 " by the caller")
        return [allergens.CONFIRMATION]
    return []
