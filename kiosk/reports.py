"""X and Z reports: totals over the journal entries since the last day close.

The X report is read-only; the Z report is the same figures recorded in a ``close`` entry
(its ``summary()`` goes into the hashed body, so only integers and text).

Entries are taken in the journal's order (``seq``), never by their time. A report names the
period it really covers: its first and last entry's time, every business day its entries were
made on (a terminal not closed over a weekend: several), and each jump of the clock recorded
among them (``kiosk.clock_guard``); ``day`` is the day the report was made (a Z: the day it
closes)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from kiosk import clock_guard, journal
from sync.common.clock import iso_utc, parse_iso_utc


@dataclass
class Report:
    kind: str                      # "X" or "Z"
    day: str
    generated_at: str
    first_seq: int | None = None   # entries covered (the close entry itself excluded)
    last_seq: int | None = None
    last_hash: str | None = None
    entries: int = 0
    articles: dict = field(default_factory=dict)    # code -> {name, qty, total_cents}
    operators: dict = field(default_factory=dict)   # id -> {name, sales, total_cents, voids}
    voids: dict = field(default_factory=lambda: {"count": 0, "total_cents": 0})
    pickups: dict = field(default_factory=dict)     # code -> {name, qty}
    # cash taken at the desk for top-ups (kiosk.cash_topups): in the drawer, not a sale
    cash: dict = field(default_factory=lambda: {"count": 0, "total_cents": 0})
    gross_cents: int = 0           # sales + photocopies
    net_cents: int = 0             # gross - voids
    close_seq: int | None = None   # the Z's own entry, once recorded
    first_ts: str | None = None    # the period covered: the first and last entry's time
    last_ts: str | None = None     # (as the clock gave it: see clock_jumps)
    days: list = field(default_factory=list)          # business days of the entries, in order
    clock_jumps: list = field(default_factory=list)   # [{seq, seconds}]: the clock's jumps

    def period(self, tz: tzinfo) -> tuple[datetime, datetime] | tuple[None, None]:
        """The first and last entry's time in ``tz`` (the school's), or (None, None)."""
        if self.first_ts is None or self.last_ts is None:
            return None, None
        return parse_iso_utc(self.first_ts).astimezone(tz), parse_iso_utc(self.last_ts).astimezone(tz)

    def summary(self) -> dict:
        return {"kind": self.kind, "day": self.day, "first_seq": self.first_seq,
                "last_seq": self.last_seq, "last_hash": self.last_hash, "entries": self.entries,
                "articles": self.articles, "operators": self.operators, "voids": self.voids,
                "pickups": self.pickups, "cash": self.cash, "gross_cents": self.gross_cents,
                "net_cents": self.net_cents, "first_ts": self.first_ts, "last_ts": self.last_ts,
                "days": self.days, "clock_jumps": self.clock_jumps}


def build(conn: sqlite3.Connection, kind: str, after_seq: int, day: str, now: datetime) -> Report:
    names = dict(conn.execute("SELECT id, name FROM operators"))
    report = Report(kind=kind, day=day, generated_at=iso_utc(now))
    closed = journal.get(conn, after_seq) if after_seq else None
    if closed is not None and (jump := clock_guard.jump_of(closed.data)) is not None:
        report.clock_jumps.append({"seq": closed.seq, "seconds": jump})   # at the last Z itself
    for entry in journal.entries(conn, "seq > ?", (after_seq,)):
        report.first_seq = report.first_seq or entry.seq
        report.last_seq, report.last_hash = entry.seq, entry.hash
        report.first_ts, report.last_ts = report.first_ts or entry.ts, entry.ts
        if entry.day not in report.days:
            report.days.append(entry.day)
        if (jump := clock_guard.jump_of(entry.data)) is not None:
            report.clock_jumps.append({"seq": entry.seq, "seconds": jump})
        report.entries += 1
        op = report.operators.setdefault(entry.operator_id or "-", {
            "name": names.get(entry.operator_id, entry.operator_id or "-"),
            "sales": 0, "total_cents": 0, "voids": 0, "voids_cents": 0})
        if entry.kind in ("sale", "photocopy"):
            for line in entry.data["lines"]:
                a = report.articles.setdefault(line["article"], {"name": line["name"], "qty": 0,
                                                                 "total_cents": 0})
                a["qty"] += line["qty"]
                a["total_cents"] += line["total_cents"]
            report.gross_cents += -entry.amount_cents
            op["sales"] += 1
            op["total_cents"] += -entry.amount_cents
        elif entry.kind == "void":
            report.voids["count"] += 1
            report.voids["total_cents"] += entry.amount_cents
            op["voids"] += 1
            op["voids_cents"] += entry.amount_cents
        elif entry.kind == "cash_topup":
            report.cash["count"] += 1
            report.cash["total_cents"] += entry.data["cash_cents"]
        elif entry.kind == "pickup":
            for item in entry.data["items"]:
                p = report.pickups.setdefault(item["article"], {"name": item["name"], "qty": 0})
                p["qty"] += item["qty"]
    report.net_cents = report.gross_cents - report.voids["total_cents"]
    report.days.sort()            # a clock set back across midnight: still in calendar order
    return report
