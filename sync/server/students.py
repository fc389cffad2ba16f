"""The school's students as the back office sees and changes them (issue 16, point 3): search,
a student's page (wallets, balances, history, badges, flags, limits, photo), and the changes
the office makes there. The roster file itself is ``roster``; photos are ``student_photos``.

Every function is scoped to one school: a student, badge or wallet of another school is
``not_found``, exactly as an unknown one. Every change is one transaction and gives the rows it
touches a new change version, so the terminals' next pull carries it. A badge is blocked or
unblocked through ``badges.decide``, the very decision a terminal's ``badge_block`` entry makes.

Search: words (at most ``MAX_WORDS``), each the start of the last name, first name, class or
student id, without regard to ASCII case ("dub em" finds Emma Dubois, "3b" a class, "S0004"
ids), through an index on each (``LOWER(column)``), ordered by name and cut at ``limit``: a
school of 100,000 students answers a page, not the school. An empty search lists everyone by
name along the ``students_by_name`` index.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

from sync.common.errors import Refusal
from sync.common.uids import normalise_uid
from sync.models import MAX_CENTS
from sync.server import badges, ledger
from sync.server.database import Connection, Database
from sync.server.errors import CentralError

MAX_QUERY = 100             # characters of a search
MAX_WORDS = 5
MAX_LIMIT = 200
MAX_FLAGS = 30
MAX_FLAG = 40               # characters of one flag
MAX_BLOCKED = 200           # blocked categories of one student
FEW = 2000                  # a search's first word matching at most this many: sorted alone
HISTORY = 50                # movements per wallet on the student's page (newest first)

_STUDENT = ("id", "first_name", "last_name", "class_name", "photo_ref", "daily_limit_cents",
            "blocked_categories", "blocked_articles", "flags")


_COLUMNS = ("last_name", "first_name", "class_name", "id")
# A photo is there only when the platform holds the file its ref names (a roster may name
# one it never received): else the pages show "no photo", not a broken image.
_HELD = ("EXISTS (SELECT 1 FROM student_photos p WHERE p.school_id = s.school_id"
         " AND p.student_id = s.id AND p.ref = s.photo_ref)")


def _starts(word: str) -> tuple[str, str]:
    """The range of lower-case texts that start with ``word``: ``>= low`` and ``< high``
    (texts compare as bytes on both backends, and U+10FFFF comes after every character)."""
    low = word.lower()
    return low, low + "\U0010ffff"


def search(db: Database, school_id: str, query: str = "", limit: int = 50,
           offset: int = 0) -> dict:
    """The school's students matching ``query`` (every word the start of their names, class
    or id), by name: ``{"students": [...], "more": bool}`` (``more``: another page exists)."""
    query = " ".join(query.split())
    if len(query) > MAX_QUERY:
        raise CentralError("invalid", "a search has {max} characters at most", max=MAX_QUERY)
    words = query.split(" ") if query else []
    if len(words) > MAX_WORDS:
        raise CentralError("invalid", "a search has {max} words at most", max=MAX_WORDS)
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise CentralError("invalid", "limit: 1 to {max}; offset: 0 or more", max=MAX_LIMIT)
    where, params = ["s.school_id = ?"], [school_id]
    for word in words:
        where.append("(" + " OR ".join(f"(LOWER(s.{c}) >= ? AND LOWER(s.{c}) < ?)"
                                       for c in _COLUMNS) + ")")
        params += list(_starts(word)) * len(_COLUMNS)
    select = ("SELECT s.id, s.first_name, s.last_name, s.class_name, s.flags, " + _HELD
              + " FROM students s")
    tail = " ORDER BY s.last_name, s.first_name, s.id LIMIT ? OFFSET ?"
    with db.transaction(write=False) as conn:
        # The first word's matches through its indexes; few of them (a name, an id): sort
        # just those. Many (or no word): walk the school by name, stopping at the page.
        few = False
        if words:
            union = " UNION ".join(f"SELECT id AS sid FROM students WHERE school_id = ?"
                                   f" AND LOWER({c}) >= ? AND LOWER({c}) < ?" for c in _COLUMNS)
            first = [school_id, *_starts(words[0])] * len(_COLUMNS)
            few = len(db.execute(conn, f"SELECT sid FROM ({union}) m LIMIT ?",
                                 (*first, FEW + 1)).fetchall()) <= FEW
        if few:
            rows = db.execute(conn, f"{select} JOIN ({union}) m ON s.id = m.sid WHERE "
                              + " AND ".join(where) + tail,
                              (*first, *params, limit + 1, offset)).fetchall()
        else:
            rows = db.execute(conn, f"{select} WHERE " + " AND ".join(where) + tail,
                              (*params, limit + 1, offset)).fetchall()
    found = [{"id": r[0], "first_name": r[1], "last_name": r[2], "class_name": r[3],
              "has_photo": bool(r[5]), "flags": json.loads(r[4])} for r in rows[:limit]]
    return {"students": found, "more": len(rows) > limit}


def _student(db: Database, conn: Connection, school_id: str, student_id: str) -> dict:
    row = db.execute(conn, f"SELECT {', '.join(_STUDENT)}, {_HELD} FROM students s"
                           " WHERE school_id = ? AND id = ?", (school_id, student_id)).fetchone()
    if row is None:
        raise CentralError("not_found", "no student {student!r} in this school",
                           student=student_id[:64])
    found = dict(zip(_STUDENT, row[:-1], strict=True))
    found["has_photo"] = bool(row[-1])
    for name in ("blocked_categories", "blocked_articles", "flags"):
        found[name] = json.loads(found[name])
    return found


def detail(db: Database, school_id: str, student_id: str) -> dict:
    """A student's page: the student, badges, wallets with balances and their last
    movements (``HISTORY``, newest first), and the school's categories (to block some)."""
    with db.transaction(write=False) as conn:
        student = _student(db, conn, school_id, student_id)
        found_badges = [{"uid": uid, "status": status, "status_at": at, "status_by": by}
                        for uid, status, at, by in db.execute(
                            conn, "SELECT uid, status, status_at, status_by FROM badges"
                                  " WHERE school_id = ? AND student_id = ? ORDER BY uid",
                            (school_id, student_id))]
        wallets = [{"id": w[0], "kind": w[1], "name": w[2], "structured_communication": w[3],
                    "is_default": bool(w[4]), "balance_cents": w[5]}
                   for w in db.execute(conn, "SELECT id, kind, name, structured_communication,"
                                             " is_default, balance_cents FROM wallets"
                                             " WHERE school_id = ? AND student_id = ?"
                                             " ORDER BY is_default DESC, id",
                                       (school_id, student_id))]
        categories = [{"code": c, "name": n} for c, n in db.execute(
            conn, "SELECT code, name FROM categories WHERE school_id = ? ORDER BY code",
            (school_id,))]
    for wallet in wallets:      # the ledger's own history: one rule for what a movement is
        movements = ledger.wallet_history(db, school_id, wallet["id"])["movements"]
        wallet["movements_total"] = len(movements)
        wallet["movements"] = movements[::-1][:HISTORY]
    return {"student": student, "badges": found_badges, "wallets": wallets,
            "categories": categories}


# -- changes ------------------------------------------------------------------------------------
def _flags(flags: list[Any]) -> list[str]:
    """Flags as the allergen rule compares them (``sync.common.allergens``: trimmed, case
    folded), each once, in the order given."""
    if len(flags) > MAX_FLAGS:
        raise CentralError("invalid", "{max} allergen and diet flags at most", max=MAX_FLAGS)
    kept: list[str] = []
    for flag in flags:
        if not isinstance(flag, str):
            raise CentralError("invalid", "a flag is a word (gluten, pork, nuts…)")
        tag = unicodedata.normalize("NFC", flag).strip().casefold()
        if not tag or len(tag) > MAX_FLAG or not tag.isprintable():
            raise CentralError("invalid", "a flag is a word of 1 to {max} characters"
                                          " (gluten, pork, nuts…)", max=MAX_FLAG)
        if tag not in kept:
            kept.append(tag)
    return kept


def update(db: Database, school_id: str, student_id: str, *, flags: list[Any],
           daily_limit_cents: int | None, blocked_categories: list[Any]) -> dict:
    """Set a student's allergen and diet flags, the parents' daily limit (None: no limit) and
    blocked categories (codes of the school's categories), all or nothing; returns the
    student. Nothing changed: no new version (the terminals pull nothing)."""
    kept_flags = _flags(flags)
    if daily_limit_cents is not None and (isinstance(daily_limit_cents, bool) or not isinstance(
            daily_limit_cents, int) or not 0 <= daily_limit_cents <= MAX_CENTS):
        raise CentralError("invalid", "the daily limit is an amount in cents, 0 or more")
    if len(blocked_categories) > MAX_BLOCKED or not all(
            isinstance(c, str) for c in blocked_categories):
        raise CentralError("invalid", "blocked categories: a list of category codes")
    blocked = list(dict.fromkeys(blocked_categories))
    with db.transaction() as conn:
        student = _student(db, conn, school_id, student_id)
        known = {r[0] for r in db.execute(conn, "SELECT code FROM categories WHERE school_id = ?",
                                          (school_id,))}
        unknown = [c for c in blocked if c not in known]
        if unknown:
            raise CentralError("invalid", "no category {category!r} in this school",
                               category=unknown[0][:40])
        new = {"flags": kept_flags, "daily_limit_cents": daily_limit_cents,
               "blocked_categories": blocked}
        if all(student[k] == v for k, v in new.items()):
            return student
        db.execute(conn, "UPDATE students SET flags = ?, daily_limit_cents = ?,"
                         " blocked_categories = ?, version = ? WHERE school_id = ? AND id = ?",
                   (json.dumps(kept_flags, ensure_ascii=False), daily_limit_cents,
                    json.dumps(blocked, ensure_ascii=False), db.next_versions(conn, 1),
                    school_id, student_id))
    return {**student, **new}


def _uid(uid: str) -> str:
    try:
        return normalise_uid(uid)
    except Refusal:     # never echoed: a UID is personal data
        raise CentralError("invalid", "not a badge UID (4 to 10 bytes in hexadecimal)") from None


def add_badge(db: Database, school_id: str, student_id: str, uid: str) -> dict:
    """Give a student a new badge (active at once). A badge the school already has is refused:
    a lost one is unblocked, not added again."""
    uid = _uid(uid)
    with db.transaction() as conn:
        _student(db, conn, school_id, student_id)
        row = db.execute(conn, "SELECT student_id FROM badges WHERE school_id = ? AND uid = ?",
                         (school_id, uid)).fetchone()
        if row is not None:
            if row[0] == student_id:
                raise CentralError("conflict", "this student already has that badge")
            raise CentralError("conflict", "that badge belongs to student {student}",
                               student=row[0])
        db.execute(conn, "INSERT INTO badges (school_id, uid, student_id, status, version)"
                         " VALUES (?, ?, ?, 'active', ?)",
                   (school_id, uid, student_id, db.next_versions(conn, 1)))
    return {"uid": uid, "status": "active", "status_at": None, "status_by": None}


def set_badge_status(db: Database, school_id: str, student_id: str, uid: str,
                     block: bool) -> dict:
    """Block (lost, stolen) or unblock one of the student's badges: ``badges.decide``, as a
    terminal's entry does, made now by the office."""
    uid = _uid(uid)
    with db.transaction() as conn:
        _student(db, conn, school_id, student_id)
        owner = db.execute(conn, "SELECT student_id FROM badges WHERE school_id = ? AND uid = ?",
                           (school_id, uid)).fetchone()
        if owner is None or owner[0] != student_id:
            raise CentralError("not_found", "this student has no such badge")
        decision = badges.decide(db, conn, school_id, uid, "blocked" if block else "active",
                                 db.now(), badges.OFFICE)
        assert decision is not None         # the row was read in this transaction
        row = db.execute(conn, "SELECT status, status_at, status_by FROM badges"
                               " WHERE school_id = ? AND uid = ?", (school_id, uid)).fetchone()
    return {"uid": uid, "status": row[0], "status_at": row[1], "status_by": row[2]}
