"""Read-only views of the store that screens list (articles on sale here, today's sales to
void, students to find a lost badge, sync and print state). No rule lives here: selling,
voiding and blocking go through the counter service.

>>> from kiosk.demo.store import demo_service
>>> service, session = demo_service()
>>> [a.code for a in articles(service.store, "canteen")][:3]
['SOUP', 'SANDW-HAM', 'SANDW-CHEESE']
>>> service.sell(session, "04A1B2C3", {"SOUP": 2}).total_cents
200
>>> [(s.seq, s.amount_cents, s.voided) for s in sales_of_day(service.store, service.today())]
[(1, -200, False)]
>>> terminal_status(service.store).waiting
1
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

import json
import sqlite3
from typing import NamedTuple

from kiosk import clock_guard, journal
from kiosk.names import pick
from kiosk.store import Store, space


class Article(NamedTuple):
    code: str
    names: dict            # language -> name (fr always there)
    price_cents: int
    category: str
    category_name: str     # in French
    allergens: tuple[str, ...]
    category_names: dict | None = None      # language -> name
    school: str = "fr"     # the language a missing name falls back to (kiosk.names)

    def name(self, lang: str) -> str:
        return pick(self.names, lang, self.school)

    def category_label(self, lang: str) -> str:
        return pick(self.category_names or {"fr": self.category_name}, lang, self.school)


def articles(store: Store, profile: str, school: str = "fr") -> list[Article]:
    """Active articles sold at this terminal profile, in the import's order."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT a.code, a.name_fr, a.name_nl, a.name_en, a.price_cents, a.category,"
            " COALESCE(c.name, a.category), c.name_nl, c.name_en, a.allergens, a.profiles"
            " FROM articles a LEFT JOIN categories c ON c.code = a.category WHERE a.active"
            " ORDER BY a.rowid").fetchall()
    out = []
    for code, fr, nl, en, price, category, cat_fr, cat_nl, cat_en, allergens, profiles in rows:
        if profile not in json.loads(profiles):
            continue
        names = {k: v for k, v in (("fr", fr), ("nl", nl), ("en", en)) if v}
        category_names = {k: v for k, v in (("fr", cat_fr), ("nl", cat_nl), ("en", cat_en)) if v}
        out.append(Article(code, names, price, category, cat_fr, tuple(json.loads(allergens)),
                           category_names, school))
    return out


class SaleLine(NamedTuple):
    seq: int
    ts: str
    kind: str                 # sale | photocopy
    student: str              # "First Last (class)"
    amount_cents: int         # negative: what was debited
    articles: str             # "2 × Potage et pain, 1 × Eau 50 cl"
    voided: bool
    lines: tuple = ()         # (qty, article code, name as recorded): shown in any language


def sales_of_day(store: Store, day: str, limit: int = 200) -> list[SaleLine]:
    """A day's sales and photocopies at this terminal, newest first, with whether each one
    has been voided already (the admin screen's void list)."""
    with store.read() as conn:
        voided = {r[0] for r in conn.execute(
            "SELECT ref_seq FROM journal WHERE kind = 'void' AND day = ?", (day,))}
        names = {r[0]: f"{r[1]} {r[2]} ({r[3]})" for r in conn.execute(
            "SELECT id, first_name, last_name, class_name FROM students WHERE id IN"
            " (SELECT student_id FROM journal WHERE day = ?)", (day,))}
        entries = list(journal.entries(
            conn, "seq IN (SELECT seq FROM journal WHERE day = ? AND kind IN ('sale', 'photocopy')"
                  " ORDER BY seq DESC LIMIT ?)", (day, limit)))[::-1]
    return [SaleLine(e.seq, e.ts, e.kind, names.get(e.student_id, e.student_id or "?"),
                     e.amount_cents,
                     ", ".join(f"{line['qty']} × {line['name']}" for line in e.data.get("lines", [])),
                     e.seq in voided,
                     tuple((line["qty"], line.get("article", ""), line["name"])
                           for line in e.data.get("lines", [])))
            for e in entries]


class StudentBadges(NamedTuple):
    student_id: str
    name: str
    class_name: str
    badges: tuple[tuple[str, str], ...]     # (uid, status)


def find_students(store: Store, text: str, limit: int = 12) -> list[StudentBadges]:
    """Students whose name or class contains ``text`` (a lost badge is blocked by finding
    its holder: the badge itself is not at the counter)."""
    text = text.strip()
    if not text:
        return []
    like = f"%{text}%"
    with store.read() as conn:
        rows = conn.execute(
            "SELECT s.id, s.first_name || ' ' || s.last_name, s.class_name FROM students s"
            " WHERE s.first_name || ' ' || s.last_name LIKE ? OR s.last_name || ' ' || s.first_name"
            " LIKE ? OR s.class_name LIKE ? ORDER BY s.class_name, s.last_name, s.first_name"
            " LIMIT ?", (like, like, like, limit)).fetchall()
        out = []
        for sid, name, class_name in rows:
            badges = tuple(conn.execute("SELECT uid, status FROM badges WHERE student_id = ?"
                                        " ORDER BY uid", (sid,)).fetchall())
            out.append(StudentBadges(sid, name, class_name, badges))
    return out


def reservation_counts(reservations: list[dict]) -> list[dict]:
    """Per article: reserved, delivered and left (cancelled ones do not count), from
    ``CounterService.reservations_of_day``.

    >>> reservation_counts([{"article": "H", "name": "Ham", "quantity": 2, "status": "delivered"},
    ...                     {"article": "H", "name": "Ham", "quantity": 1, "status": "reserved"}])
    [{'article': 'H', 'name': 'Ham', 'reserved': 3, 'delivered': 2, 'left': 1}]
    """
    counts: dict[str, dict] = {}
    for r in reservations:
        if r["status"] == "cancelled":
            continue
        c = counts.setdefault(r["article"], {"article": r["article"], "name": r["name"],
                                             "reserved": 0, "delivered": 0, "left": 0})
        c["reserved"] += r["quantity"]
        c["delivered" if r["status"] == "delivered" else "left"] += r["quantity"]
    return sorted(counts.values(), key=lambda c: c["name"])


class TerminalStatus(NamedTuple):
    sync: str | None            # online | offline | error | None (never synced)
    last_success_at: str | None
    last_pull_at: str | None    # the age of the data
    last_error: str
    last_error_at: str | None
    waiting: int                # journal entries not yet pushed
    pending_prints: int
    failed_prints: int
    enrolled: bool
    disk_full: bool = False     # nothing can be saved until space is freed (kiosk.store.space)
    last_error_coded: str = ""  # last_error as JSON {"code", "params"}: said in any language
    clock_jumps: tuple = ()     # the clock's jumps since the last Z (kiosk.clock_guard.Jump)
    pull_progress: str = ""     # an unfinished pull's progress (kiosk.pull_progress)


def terminal_status(store: Store, enrolled: bool = False) -> TerminalStatus:
    """What the status bar and the admin screen show, in one read."""
    with store.read() as conn:
        state = dict(conn.execute("SELECT key, value FROM sync_state"))
        last_seq = journal.last_link(conn)[0]
        jumps = tuple(clock_guard.jumps_since(conn, _last_close(conn)))
        prints = dict(conn.execute(         # unconfirmed jobs print again: they wait too
            "SELECT CASE status WHEN 'unconfirmed' THEN 'pending' ELSE status END, COUNT(*)"
            " FROM print_jobs WHERE status IN ('pending', 'unconfirmed', 'failed') GROUP BY 1"))
    return TerminalStatus(state.get("status"), state.get("last_success_at"),
                          state.get("last_pull_at"), state.get("last_error", ""),
                          state.get("last_error_at"), last_seq - int(state.get("pushed_seq", "0")),
                          prints.get("pending", 0), prints.get("failed", 0), enrolled,
                          store.read_only or space.is_full(store.path.parent),
                          state.get("last_error_coded", ""), clock_jumps=jumps,
                          pull_progress=state.get("pull_progress", ""))


def _last_close(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT seq FROM journal WHERE kind = 'close' ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else 0
