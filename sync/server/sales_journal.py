"""The sales journal parents see (the seeds' "journal des ventes"): the pushed entries read
back, one row per article line, with the reservations and refunds made on the platform,
filtered by period preset (``period_days``), student, wallet, device and article text.

Days, "today" and local times are the school's own, in its time zone
(``schools.timezone_of``). Served to admins with their own tokens, never to terminals.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from sync.common.clock import business_day, local_time
from sync.server import ledger
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.schools import timezone_of
from sync.server.text import fold

# The period presets of the parents' "journal des ventes" (see ``period_days``).
PERIODS = ("today", "yesterday", "last_7_days", "last_30_days", "this_month", "last_month",
           "custom")
DEFAULT_PERIOD = "last_30_days"
JOURNAL_KINDS = ("sale", "photocopy", "void", "pickup")   # the kinds with article lines
ROW_KINDS = (*JOURNAL_KINDS, "reservation", "refund")     # and the platform's own rows


def period_name(period: str | None, has_days: bool = False) -> str:
    """The preset meant (one of ``PERIODS``): ``period`` (hyphens allowed), or if none, ``custom``
    when days are given and the default (the last 30 days) when not."""
    name = (period or "").strip().lower().replace("-", "_")
    if not name:
        return "custom" if has_days else DEFAULT_PERIOD
    if name not in PERIODS:
        raise CentralError("invalid", "unknown period {period!r} (known: {known})",
                           period=period, known=", ".join(PERIODS))
    return name


def period_days(period: str | None, today: date, first_day: date | None = None,
                last_day: date | None = None) -> tuple[date, date]:
    """The days a sales-journal period covers, ``(first, last)``, both included, in the
    school's business days (in its own time zone), ``today`` being today's business day.

    The presets are the parents' manuals' ("périodes prédéfinies (aujourd'hui, hier,
    7 derniers jours, 30 derniers jours, ce mois-ci, mois dernier) ou une période
    personnalisée"; the sales journal's dates "fonctionne[nt] de la même manière" as the
    financial operations'). They say no more, so they are read the way such pickers count:

    - ``today`` (aujourd'hui), ``yesterday`` (hier): that one day;
    - ``last_7_days`` (7 derniers jours): today and the 6 days before; ``last_30_days``
      (30 derniers jours): today and the 29 days before. Today is included: a parent
      looking at the last 7 days expects to see this noon's soup;
    - ``this_month`` (ce mois-ci): from the 1st of this month to today (no later day has
      sales yet);
    - ``last_month`` (mois dernier): the whole previous calendar month (December of last
      year in January);
    - ``custom`` (période personnalisée): "un premier clic sur le calendrier pour
      sélectionner la date de début et ensuite un second pour sélectionner la date de fin":
      ``first_day`` to ``last_day``, both needed, both included, the start not after the end.

    Nothing at all is the manuals' default list, "les opérations des 30 derniers jours";
    days without a preset are ``custom``. Names may be written with hyphens
    (``last-7-days``, as on the command line).
    """
    name = period_name(period, first_day is not None or last_day is not None)
    if name != "custom":
        if first_day or last_day:
            raise CentralError("invalid", "period {period!r} takes no from/to days"
                                          " (they are for the custom period)", period=name)
        month_start = today.replace(day=1)
        if name == "today":
            return today, today
        if name == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        if name == "last_7_days":
            return today - timedelta(days=6), today
        if name == "last_30_days":
            return today - timedelta(days=29), today
        if name == "this_month":
            return month_start, today
        last_of_previous = month_start - timedelta(days=1)      # last_month
        return last_of_previous.replace(day=1), last_of_previous
    if first_day is None or last_day is None:
        raise CentralError("invalid", "a custom period needs both its first and last day")
    if first_day > last_day:
        raise CentralError("invalid", "the period starts ({first}) after it ends ({last})",
                           first=first_day, last=last_day)
    return first_day, last_day


def sales_journal(db: Database, school_id: str, *, student_id: str | None = None,
                  wallet_id: str | None = None, device_id: str | None = None,
                  article_text: str | None = None, period: str | None = None,
                  first_day: date | None = None, last_day: date | None = None,
                  limit: int | None = None, offset: int = 0,
                  today: date | None = None, kind: str | None = None) -> dict:
    """The school's sales journal: one row per article line of its sales, photocopies,
    voids and pickups, and of the reservations and refunds made on the platform
    (``ledger.journal_lines``; they have no device), newest first, over a period
    (``period_days``; ``today`` defaults to the school's business day now, in its own time
    zone, which also gives the rows' ``local_time``). Filters, all optional
    and together: the student, the wallet (its lines only; pickups move no money, so they
    have none), the device (its id or its name; it leaves the platform's rows out) and
    article text (in the code or the name, every word, case and
    accents ignored), and the operation's ``kind`` (one of ``ROW_KINDS``). Returns the
    ``reports.SalesJournal`` fields: ``count`` and
    ``total_cents`` cover every matching row, ``rows`` the page ``offset``/``limit``.

    School, days, device, student and wallet are filtered in SQL; the article lines live
    in the entry bodies, so they are expanded and matched here."""
    tz = timezone_of(db, school_id)
    today = today or business_day(db.now(), tz)
    first, last = period_days(period, today, first_day, last_day)
    where = ["d.school_id = ?", "j.day >= ?", "j.day <= ?",
             f"j.kind IN ({', '.join('?' * len(JOURNAL_KINDS))})"]
    params: list = [school_id, first.isoformat(), last.isoformat(), *JOURNAL_KINDS]
    if kind is not None and kind not in ROW_KINDS:
        raise CentralError("invalid", "unknown operation type {kind!r} (known: {known})",
                           kind=kind[:40], known=", ".join(ROW_KINDS))
    if kind:
        where.append("j.kind = ?")
        params.append(kind)
    if device_id:
        where.append("(d.id = ? OR d.name = ?)")
        params += [device_id, device_id]
    if student_id:
        where.append("j.student_id = ?")
        params.append(student_id)
    if wallet_id:
        where.append("EXISTS (SELECT 1 FROM postings p WHERE p.device_id = j.device_id"
                     " AND p.seq = j.seq AND p.wallet_id = ?)")
        params.append(wallet_id)
    with db.transaction(write=False) as conn:
        entries = db.execute(conn, "SELECT j.device_id, d.name, j.seq, j.kind, j.ts, j.day,"
                                   " j.student_id, s.first_name, s.last_name, j.body"
                                   " FROM journal j JOIN devices d ON d.id = j.device_id"
                                   " LEFT JOIN students s ON s.school_id = d.school_id"
                                   " AND s.id = j.student_id WHERE " + " AND ".join(where)
                             + " ORDER BY j.ts DESC, j.device_id, j.seq DESC",
                             params).fetchall()
        wallets = dict(db.execute(conn, "SELECT id, name FROM wallets WHERE school_id = ?",
                                  (school_id,)))
        articles = dict(db.execute(conn, "SELECT code, name_fr FROM articles"
                                         " WHERE school_id = ?", (school_id,)))
        # Reservations and refunds are made on the platform: no device has them.
        platform = [] if device_id or kind in JOURNAL_KINDS else [
            r for r in ledger.journal_lines(db, conn, school_id, first, last, tz,
                                            student_id=student_id, wallet_id=wallet_id)
            if not kind or r["kind"] == kind]
    words = fold(article_text or "").split()
    rows = []
    for dev, dev_name, seq, kind, ts, day, student, first_name, last_name, body in entries:
        data = json.loads(body)
        for code, name, qty, cents, wallet in _entry_lines(kind, data):
            name = name or articles.get(code) or code
            if wallet_id and wallet != wallet_id:
                continue
            if words and not all(w in fold(f"{code} {name}") for w in words):
                continue
            rows.append({
                "ts": ts, "local_time": local_time(ts, tz), "day": day, "kind": kind,
                "device_id": dev, "device_name": dev_name, "seq": seq,
                "ref_seq": _int_or_none(data.get("ref_seq")) if kind == "void" else None,
                "student_id": student,
                "student_name": f"{first_name} {last_name}" if first_name else None,
                "wallet_id": wallet, "wallet_name": wallets.get(wallet),
                "article": code, "article_name": name, "quantity": qty,
                "amount_cents": cents})
    if platform:
        rows += [r for r in platform if not words
                 or all(w in fold(f"{r['article']} {r['article_name']}") for w in words)]
        rows.sort(key=lambda r: r["ts"], reverse=True)      # stable: ties keep their order
    end = None if limit is None else offset + limit
    return {"school_id": school_id, "period": period_name(period, first_day is not None
                                                          or last_day is not None),
            "first_day": first, "last_day": last,
            "count": len(rows), "total_cents": sum(r["amount_cents"] for r in rows),
            "offset": offset, "rows": rows[offset:end]}


def entry_lines(kind: str, data: dict) -> list[tuple[str, str | None, int, int, str | None]]:
    """The article lines of an entry body (``_entry_lines``), for the office's reports."""
    return _entry_lines(kind, data)


def _int(value: object, default: int = 0) -> int:
    """An integer field as written (never a bool or a float), else ``default``."""
    return value if type(value) is int else default


def _int_or_none(value: object) -> int | None:
    return value if type(value) is int else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _entry_lines(kind: str, data: dict) -> list[tuple[str, str | None, int, int, str | None]]:
    """``(article code, name, quantity, signed cents, wallet)`` for each line of an entry body
    as the terminal writes it (``kiosk.counter``): a sale or photocopy debits its ``lines``
    (negative), a void credits back the voided entry's lines (positive), a pickup's ``items``
    move no money (0, no wallet). Lines of another shape (``quantity``, ``price_cents``,
    no ``wallet``) are read as well as can be: a line without its wallet is the entry's only
    posting's; an entry that moved money without one readable line shows one row per posting,
    so that the rows always show where the money went."""
    postings = data.get("postings") or []
    only_wallet = postings[0]["wallet"] if len(postings) == 1 else None
    if kind == "pickup":
        items = data.get("items")
        return [(str(i.get("article", "")), _str(i.get("name")),
                 _int(i.get("qty", i.get("quantity")), 1), 0, None)
                for i in (items if isinstance(items, list) else []) if isinstance(i, dict)]
    sign = 1 if kind == "void" else -1
    lines = data.get("lines")
    found = []
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict):
            continue
        qty = _int(line.get("qty", line.get("quantity")), 1)
        total = line.get("total_cents")
        if type(total) is not int:
            total = _int(line.get("unit_cents", line.get("price_cents"))) * qty
        wallet = _str(line.get("wallet")) or only_wallet
        found.append((str(line.get("article", "")), _str(line.get("name")), qty,
                      sign * abs(total), wallet))
    if not found:
        found = [("", None, 0, p["amount_cents"], p["wallet"]) for p in postings
                 if p["amount_cents"]]
    return found
