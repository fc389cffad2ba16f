"""The office's reports (issue 16, point 8), over what the terminals pushed and the
reservations made on the platform, each scoped to one school and a period of business days
(``sales_journal.period_days``: the seeds' presets or a custom period):

- ``z_against_platform``: per terminal and day, what the platform received against the Z
  report the terminal closed its day with (its ``close`` entry carries the Z's figures,
  ``kiosk.reports``);
- ``daily_totals``: per day, by article and by category;
- ``sales_by_day``, ``sales_by_hour``: what the plots draw;
- ``kitchen_list``, ``uncollected``: a day's reservations by article and class, and those
  reserved but not delivered.

Money is counted as the terminal's Z counts it (``kiosk.reports.build``): ``gross`` the sales
and photocopies, ``voids`` what voids gave back, ``net`` their difference; amounts positive.
Totals come from the journal's columns (indexed by day); only the per-article reports read
entry bodies, where article lines live.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import orjson

from sync.common.clock import business_day, parse_iso_utc
from sync.server.database import Connection, Database
from sync.server.errors import CentralError
from sync.server.sales_journal import entry_lines, period_days, period_name
from sync.server.schools import timezone_of

MONEY_KINDS = ("sale", "photocopy", "void")
MAX_DAYS = 366              # the longest period a report covers (a school year and more)
LUNCH_HOURS = range(11, 15)  # the lunch service's hours, always on the hourly plot


def period(db: Database, school_id: str, name: str | None = None,
           first_day: date | None = None, last_day: date | None = None) -> dict:
    """The period meant: ``{"period", "first_day", "last_day"}``; ``invalid`` for an unknown
    preset, a custom period without both days, starting after it ends or longer than
    ``MAX_DAYS``."""
    today = business_day(db.now(), timezone_of(db, school_id))
    first, last = period_days(name, today, first_day, last_day)
    if (last - first).days >= MAX_DAYS:
        raise CentralError("invalid", "a report covers at most {days} days", days=MAX_DAYS)
    return {"period": period_name(name, first_day is not None or last_day is not None),
            "first_day": first, "last_day": last}


def _scope(school_id: str, span: dict, device_id: str | None) -> tuple[str, list]:
    where = "d.school_id = ? AND j.day >= ? AND j.day <= ?"
    params: list = [school_id, span["first_day"].isoformat(), span["last_day"].isoformat()]
    if device_id:                       # its id or its name, as in the sales journal
        where += " AND (d.id = ? OR d.name = ?)"
        params += [device_id, device_id]
    return where, params


def require_terminal(db: Database, school_id: str, device: str,
                     conn: Connection | None = None) -> None:
    """Refuse (``not_found``) a terminal (id or name) that is not the school's: another
    school's answers as an unknown one."""
    sql, params = "SELECT 1 FROM devices WHERE school_id = ? AND (id = ? OR name = ?)", (
        school_id, device, device)
    if conn is None:
        with db.transaction(write=False) as own:
            found = db.execute(own, sql, params).fetchone()
    else:
        found = db.execute(conn, sql, params).fetchone()
    if found is None:
        raise CentralError("not_found", "no terminal {device!r} in this school",
                           device=device[:64])


def _totals(by_kind: dict[str, tuple[int, int]]) -> dict:
    """Figures as a Z counts them, from ``kind -> (entries, summed cents)``."""
    sales = sum(by_kind.get(k, (0, 0))[0] for k in ("sale", "photocopy"))
    gross = -sum(by_kind.get(k, (0, 0))[1] for k in ("sale", "photocopy"))
    voids = by_kind.get("void", (0, 0))[1]
    return {"sales": sales, "voids": by_kind.get("void", (0, 0))[0], "gross_cents": gross,
            "voids_cents": voids, "net_cents": gross - voids}


# -- the terminal's Z against the platform ------------------------------------------------
def z_against_platform(db: Database, school_id: str, span: dict,
                       device_id: str | None = None) -> list[dict]:
    """Per terminal and day of ``span`` (``period``) with sales or a Z, by day then terminal:
    the platform's totals of the entries of that day; the terminal's Z of that day if it was
    received (its figures, the days it covers, its seq range) and the platform's totals over
    the same entries (its seq range), with the difference of their net (Z minus platform).
    ``status``: ``match``, ``difference`` (gross, voids or net differ) or ``no_z``."""
    where, params = _scope(school_id, span, device_id)
    with db.transaction(write=False) as conn:
        if device_id:
            require_terminal(db, conn=conn, school_id=school_id, device=device_id)
        grouped = db.execute(conn, "SELECT j.device_id, d.name, j.day, j.kind, COUNT(*),"
                                   " SUM(j.amount_cents) FROM journal j JOIN devices d"
                                   " ON d.id = j.device_id WHERE " + where
                                   + " AND j.kind IN ('sale', 'photocopy', 'void')"
                                   " GROUP BY j.device_id, d.name, j.day, j.kind",
                             params).fetchall()
        closes = db.execute(conn, "SELECT j.device_id, d.name, j.day, j.seq, j.body FROM journal"
                                  " j JOIN devices d ON d.id = j.device_id WHERE " + where
                                  + " AND j.kind = 'close' ORDER BY j.seq", params).fetchall()
        days: dict[tuple[str, str], dict] = {}
        names: dict[str, str] = {}
        for device, name, day, kind, count, cents in grouped:
            names[device] = name
            days.setdefault((day, device), {})[kind] = (int(count), int(cents or 0))
        zs = {}
        for device, name, day, seq, body in closes:
            names[device] = name
            days.setdefault((day, device), {})
            zs[(day, device)] = _z_of(db, conn, device, seq, body)
    rows = []
    for (day, device), by_kind in sorted(days.items()):
        z = zs.get((day, device))
        row = {"device_id": device, "device_name": names[device], "day": day,
               "platform": _totals(by_kind), "z": None, "platform_for_z": None,
               "difference_cents": None, "status": "no_z"}
        if z is not None:
            mine = z.pop("platform_for_z")
            same = all(z[k] == mine[k] for k in ("gross_cents", "voids_cents", "net_cents"))
            row |= {"z": z, "platform_for_z": mine,
                    "difference_cents": z["net_cents"] - mine["net_cents"],
                    "status": "match" if same else "difference"}
        rows.append(row)
    return rows


def _z_of(db: Database, conn: Connection, device: str, seq: int, body: str) -> dict:
    report = orjson.loads(body).get("report")
    report = report if isinstance(report, dict) else {}
    first, last = _int(report.get("first_seq")), _int(report.get("last_seq"))
    voids = report.get("voids")
    voids = voids if isinstance(voids, dict) else {}
    by_kind = {kind: (int(n), int(c or 0)) for kind, n, c in db.execute(
        conn, "SELECT kind, COUNT(*), SUM(amount_cents) FROM journal WHERE device_id = ?"
              " AND seq >= ? AND seq <= ? AND kind IN ('sale', 'photocopy', 'void')"
              " GROUP BY kind", (device, first, last)).fetchall()} if first else {}
    days = report.get("days")
    return {"seq": seq, "first_seq": first or None, "last_seq": last or None,
            "days": [d for d in days if isinstance(d, str)] if isinstance(days, list) else [],
            "gross_cents": _int(report.get("gross_cents")),
            "voids_cents": _int(voids.get("total_cents")),
            "net_cents": _int(report.get("net_cents")), "platform_for_z": _totals(by_kind)}


def _int(value: object) -> int:
    return value if type(value) is int else 0


# -- totals by article and category --------------------------------------------------------
def daily_totals(db: Database, school_id: str, span: dict) -> dict:
    """Per day of ``span`` with sales, and over the whole period: by article (quantity and
    cents sold, voided, net) and by category (net), from the terminals' sales, photocopies
    and voids. Reservations are paid on the platform: the kitchen's list counts them."""
    where, params = _scope(school_id, span, None)
    with db.transaction(write=False) as conn:
        entries = db.execute(conn, "SELECT j.day, j.kind, j.body FROM journal j JOIN devices d"
                                   " ON d.id = j.device_id WHERE " + where
                                   + " AND j.kind IN ('sale', 'photocopy', 'void')",
                             params).fetchall()
        articles = {code: (name, category) for code, name, category in db.execute(
            conn, "SELECT code, name_fr, category FROM articles WHERE school_id = ?",
            (school_id,))}
        categories = dict(db.execute(conn, "SELECT code, name FROM categories"
                                           " WHERE school_id = ?", (school_id,)).fetchall())
    per_day: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 4))
    sold_as: dict[str, str] = {}
    for day, kind, body in entries:
        for code, name, qty, cents, _ in entry_lines(kind, orjson.loads(body)):
            figures = per_day[day][code]
            at = 2 if kind == "void" else 0         # [sold qty, sold cents, voided qty, cents]
            figures[at] += qty
            figures[at + 1] += abs(cents)
            if name and code not in sold_as:
                sold_as[code] = name
    whole: dict[str, list[int]] = defaultdict(lambda: [0] * 4)
    days = []
    for day in sorted(per_day):
        for code, figures in per_day[day].items():
            whole[code] = [a + b for a, b in zip(whole[code], figures)]
        days.append(_table(day, per_day[day], articles, categories, sold_as))
    return {"school_id": school_id, **span, "days": days,
            "total": _table(None, whole, articles, categories, sold_as)}


def _table(day: str | None, figures: dict[str, list[int]], articles: dict,
           categories: dict, sold_as: dict) -> dict:
    rows: list[dict] = []
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for code, (sold_qty, sold, voided_qty, voided) in sorted(figures.items()):
        name, category = articles.get(code, (sold_as.get(code) or code, ""))
        rows.append({"article": code, "article_name": name, "category": category,
                     "sold_quantity": sold_qty, "sold_cents": sold,
                     "voided_quantity": voided_qty, "voided_cents": voided,
                     "net_quantity": sold_qty - voided_qty, "net_cents": sold - voided})
        by_category[category][0] += sold_qty - voided_qty
        by_category[category][1] += sold - voided
    return {"day": day, "net_cents": sum(r["net_cents"] for r in rows), "articles": rows,
            "categories": [{"category": c, "category_name": categories.get(c, c),
                            "net_quantity": q, "net_cents": cents}
                           for c, (q, cents) in sorted(by_category.items())]}


# -- what the plots draw -------------------------------------------------------------------
def sales_by_day(db: Database, school_id: str, span: dict) -> list[dict]:
    """Every day of ``span``, in order (days without sales too): sales and net cents."""
    where, params = _scope(school_id, span, None)
    with db.transaction(write=False) as conn:
        grouped = db.execute(conn, "SELECT j.day, j.kind, COUNT(*), SUM(j.amount_cents)"
                                   " FROM journal j JOIN devices d ON d.id = j.device_id"
                                   " WHERE " + where + " AND j.kind IN ('sale', 'photocopy',"
                                   " 'void') GROUP BY j.day, j.kind", params).fetchall()
    by_day: dict[str, dict] = defaultdict(dict)
    for day, kind, count, cents in grouped:
        by_day[day][kind] = (int(count), int(cents or 0))
    found, day = [], span["first_day"]
    while day <= span["last_day"]:
        totals = _totals(by_day.get(day.isoformat(), {}))
        found.append({"label": day.isoformat(), "sales": totals["sales"],
                      "net_cents": totals["net_cents"]})
        day += timedelta(days=1)
    return found


def sales_by_hour(db: Database, school_id: str, day: date) -> list[dict]:
    """The hours of ``day`` in the school's time zone (the lunch service's, and any other
    with sales), in order: sales and net cents of each."""
    tz = timezone_of(db, school_id)
    span = {"first_day": day, "last_day": day}
    where, params = _scope(school_id, span, None)
    with db.transaction(write=False) as conn:
        entries = db.execute(conn, "SELECT j.ts, j.kind, j.amount_cents FROM journal j"
                                   " JOIN devices d ON d.id = j.device_id WHERE " + where
                                   + " AND j.kind IN ('sale', 'photocopy', 'void')",
                             params).fetchall()
    hours: dict[int, list[int]] = {h: [0, 0] for h in LUNCH_HOURS}
    for ts, kind, cents in entries:
        try:
            hour = parse_iso_utc(ts).astimezone(tz).hour
        except ValueError:
            continue
        bucket = hours.setdefault(hour, [0, 0])
        bucket[0] += kind != "void"
        bucket[1] += -int(cents)
    for h in range(min(hours), max(hours)):         # no gap: an empty hour shows as one
        hours.setdefault(h, [0, 0])
    return [{"label": f"{h:02d}:00", "sales": n, "net_cents": cents}
            for h, (n, cents) in sorted(hours.items())]


# -- the kitchen ------------------------------------------------------------------------------
_RESERVED = ("SELECT r.id, r.student_id, s.first_name, s.last_name, s.class_name,"
             " r.article_code, a.name_fr, r.quantity, r.status FROM reservations r"
             " LEFT JOIN students s ON s.school_id = r.school_id AND s.id = r.student_id"
             " LEFT JOIN articles a ON a.school_id = r.school_id AND a.code = r.article_code"
             " WHERE r.school_id = ? AND r.day = ? AND r.status IN ({statuses})"
             " ORDER BY s.class_name, s.last_name, s.first_name, r.id")


def _reservations(db: Database, school_id: str, day: date, statuses: tuple[str, ...]) -> list:
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, _RESERVED.format(statuses=", ".join("?" * len(statuses))),
                          (school_id, day.isoformat(), *statuses)).fetchall()
    return [{"reservation_id": rid, "student_id": student,
             "student_name": f"{first} {last}" if first else student,
             "class_name": class_name or "", "article": code, "article_name": name or code,
             "quantity": int(qty), "status": status}
            for rid, student, first, last, class_name, code, name, qty, status in rows]


def kitchen_list(db: Database, school_id: str, day: date) -> dict:
    """What the kitchen prepares for ``day``: its reservations (cancelled ones left out) by
    article, and by class with each student's; ``delivered`` counts those handed over."""
    found = _reservations(db, school_id, day, ("reserved", "delivered"))
    by_article: dict[str, dict] = {}
    by_class: dict[str, dict] = {}
    for r in found:
        a = by_article.setdefault(r["article"], {"article": r["article"], "article_name":
                                                 r["article_name"], "quantity": 0,
                                                 "delivered": 0})
        a["quantity"] += r["quantity"]
        a["delivered"] += r["quantity"] if r["status"] == "delivered" else 0
        c = by_class.setdefault(r["class_name"], {"class_name": r["class_name"],
                                                  "articles": {}, "reservations": []})
        c["articles"][r["article"]] = c["articles"].get(r["article"], 0) + r["quantity"]
        c["reservations"].append(r)
    classes = [c | {"articles": [{"article": code, "article_name": by_article[code]
                                  ["article_name"], "quantity": qty}
                                 for code, qty in sorted(c["articles"].items())]}
               for _, c in sorted(by_class.items())]
    return {"school_id": school_id, "day": day, "quantity": sum(r["quantity"] for r in found),
            "by_article": sorted(by_article.values(), key=lambda a: a["article_name"]),
            "by_class": classes}


def uncollected(db: Database, school_id: str, day: date) -> dict:
    """``day``'s reservations not delivered (reserved, not handed over, not cancelled), by
    class and student."""
    found = _reservations(db, school_id, day, ("reserved",))
    return {"school_id": school_id, "day": day, "quantity": sum(r["quantity"] for r in found),
            "reservations": found}
