"""Who holds a badge, as a tap reads it: the student, their wallets with the balances the
counter shows, today's activity at this terminal, and the terminal's own state, each in one
statement (every tap runs one; they are built once, here).

The balance shown is the platform's last balance plus this terminal's own entries it had not
included yet (DESIGN.md, "the money rules"): ``WALLET_COLUMNS`` computes it in SQL.
"""
from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from kiosk import journal
from sync.common.errors import Refusal

# A wallet as the counter shows it: the platform's last balance plus this terminal's own
# entries the platform had not included yet (DESIGN.md, "the money rules").
WALLET_COLUMNS = (
    "w.id, w.name, w.kind, w.structured_communication, w.is_default, w.balance_cents,"
    " w.included_seq, w.balance_cents + COALESCE((SELECT SUM(p.amount_cents) FROM postings p"
    " WHERE p.wallet_id = w.id AND p.seq > w.included_seq), 0)")


# What the service hands out (Student, Wallet, Identity and the results) are NamedTuples:
# immutable like frozen dataclasses, but far cheaper to build, and several are built per tap.
class Student(NamedTuple):
    id: str
    first_name: str
    last_name: str
    class_name: str
    photo_ref: str | None
    daily_limit_cents: int | None
    blocked_categories: tuple[str, ...]
    blocked_articles: tuple[str, ...]
    flags: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Wallet(NamedTuple):
    id: str
    name: str
    kind: str
    structured_communication: str
    is_default: bool
    server_balance_cents: int     # as last received from the platform
    included_seq: int             # this terminal's entries the platform had applied then
    balance_cents: int            # what the counter shows: server balance + own later entries

    def debited(self, cents: int) -> Wallet:
        if not cents:
            return self
        return Wallet(self.id, self.name, self.kind, self.structured_communication, self.is_default,
                      self.server_balance_cents, self.included_seq, self.balance_cents - cents)


class Identity(NamedTuple):
    uid: str
    student: Student
    wallets: tuple[Wallet, ...]
    reservations: tuple[dict, ...]   # today's, with their delivery state
    stale: bool                      # no successful pull for too long: offline cap applies
    spent_today_cents: int           # at this terminal (daily limit, offline cap)


class State(NamedTuple):
    close_seq: int              # the last day close (Z) entry, 0 if none
    close_day: str | None
    last_pull_at: str | None    # the last successful pull or import
    head: tuple[int, str]       # (seq, hash) of the newest entry: what a new entry chains to


# Scalar subqueries only: SQLite answers each from an index (or the table's last row), with
# no temporary table, and once per statement (they do not depend on the row).
STATE_COLUMNS = (
    "COALESCE((SELECT seq FROM journal WHERE kind = 'close' ORDER BY seq DESC LIMIT 1), 0),"
    " (SELECT day FROM journal WHERE kind = 'close' ORDER BY seq DESC LIMIT 1),"
    " (SELECT value FROM sync_state WHERE key = 'last_pull_at'),"
    " (SELECT seq FROM journal ORDER BY seq DESC LIMIT 1),"
    " (SELECT hash FROM journal ORDER BY seq DESC LIMIT 1)")
STATE_SQL = f"SELECT {STATE_COLUMNS}"


def read_state(conn: sqlite3.Connection) -> State:
    """The terminal's own state in one read. Inside a write transaction, ``head`` stays the
    chain's head until this transaction appends."""
    return state_of(conn.execute(STATE_SQL).fetchone())


def state_of(row: Sequence[Any]) -> State:
    close_seq, close_day, last_pull_at, head_seq, head_hash = row
    return State(close_seq, close_day, last_pull_at,
                  (head_seq, head_hash) if head_seq else (0, journal.GENESIS))


def refuse_if_closed(state: State, today: str) -> None:
    if state.close_day == today:
        raise Refusal("day_closed", day=today)


class Holder(NamedTuple):
    student: Student
    wallets: tuple[Wallet, ...]
    last_sale_ts: str | None     # today, at this terminal (double tap)
    spent_today_cents: int       # today, at this terminal, net of voids (limits)


# What a tap needs about the badge holder, in one query (built once: it runs on every tap).
HOLDER_COLUMNS = (
    "b.status, s.id, s.first_name, s.last_name, s.class_name, s.photo_ref,"
    " s.daily_limit_cents, s.blocked_categories, s.blocked_articles, s.flags,"
    " (SELECT j.ts FROM journal j WHERE j.student_id = s.id AND j.day = :day"
    "   AND j.kind IN ('sale', 'photocopy') ORDER BY j.seq DESC LIMIT 1),"
    " (SELECT -COALESCE(SUM(j.amount_cents), 0) FROM journal j"
    "   WHERE j.student_id = s.id AND j.day = :day AND j.kind != 'cash_topup'),"
    f" {WALLET_COLUMNS}")                       # columns 12-19
HOLDER_FROM = (
    " FROM badges b JOIN students s ON s.id = b.student_id"
    " LEFT JOIN wallets w ON w.student_id = s.id"
    " WHERE b.uid = :uid")
# What starts every sale and pickup: the terminal's state (columns 20-24) with the holder.
STATE_AND_HOLDER_SQL = f"SELECT {HOLDER_COLUMNS}, {STATE_COLUMNS}{HOLDER_FROM}"

# A student's reservations of a day as one JSON array (one value: it fits in a column).
RESERVATIONS_JSON = (
    "(SELECT json_group_array(json_array(r.id, r.article_code, COALESCE(a.name_fr, r.article_code),"
    " r.quantity, r.status, r.delivered_at, r.delivered_where)) FROM reservations r"
    " LEFT JOIN articles a ON a.code = r.article_code"
    " WHERE r.student_id = {student} AND r.day = :day)")
RESERVATION_KEYS = ("id", "article", "name", "quantity", "status", "delivered_at",
                     "delivered_where")

# identify: the holder, the freshness of the data and today's reservations in one statement,
# which is one snapshot by itself (no transaction to open and close around it).
IDENTIFY_SQL = (
    f"SELECT {HOLDER_COLUMNS}, (SELECT value FROM sync_state WHERE key = 'last_pull_at'),"
    f" {RESERVATIONS_JSON.format(student='s.id')}{HOLDER_FROM}")


def state_and_holder(conn: sqlite3.Connection, uid: str, today: str) -> tuple[State, Holder]:
    """What a sale or a pickup reads first, in one statement (it runs on every tap): the
    terminal's state, and everything about the badge holder (the student, their wallets with
    displayed balances, today's activity here). Refuses a closed day, then unknown and
    blocked badges; having no wallet is the caller's call (a pickup needs none)."""
    rows = conn.execute(STATE_AND_HOLDER_SQL, {"uid": uid, "day": today}).fetchall()
    state = state_of(rows[0][20:25]) if rows else read_state(conn)    # unknown badge: state alone
    refuse_if_closed(state, today)
    return state, holder_of(rows)


def holder_of(rows: Sequence[Sequence[Any]]) -> Holder:
    """The holder from the rows of ``HOLDER_COLUMNS`` (one per wallet)."""
    if not rows:
        raise Refusal("unknown_badge")
    first = rows[0]
    if first[0] != "active":
        raise Refusal("blocked_badge")
    student = Student._make((*first[1:7], json_list(first[7]), json_list(first[8]),
                             json_list(first[9])))
    wallets = wallets_of_rows([r[12:20] for r in rows if r[12] is not None])
    return Holder(student, wallets, first[10], first[11])


def reservations_of(text: str) -> tuple[dict, ...]:
    """Reservations from a ``RESERVATIONS_JSON`` value, by id (sorted here: see wallets_of_rows)."""
    if text == "[]":              # most students, most days: nothing to parse
        return ()
    return tuple(dict(zip(RESERVATION_KEYS, r)) for r in sorted(json.loads(text)))


def wallets_of_rows(rows: Iterable[Sequence[Any]]) -> tuple[Wallet, ...]:
    """Wallets from ``WALLET_COLUMNS`` rows, the default one first (ordered here rather than
    in SQL: an ORDER BY costs SQLite a temporary b-tree on every tap, for one or two rows)."""
    wallets = [Wallet._make((*r[:4], bool(r[4]), *r[5:])) for r in rows]
    if len(wallets) > 1:
        wallets.sort(key=lambda w: (not w.is_default, w.id))
    return tuple(wallets)


@functools.lru_cache(maxsize=4096)
def json_list(text: str) -> tuple:
    """The store keeps small lists (allergens, flags, profiles) as JSON text. The same few
    texts come back on every sale: parsing is cached on the text itself, so never stale."""
    return tuple(json.loads(text))
