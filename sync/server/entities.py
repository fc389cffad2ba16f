"""The entities terminals pull (categories, articles, students, badges, wallets, operators,
reservations): how each DataSet list maps to its table, and ``load``, which upserts a whole
DataSet (the demo school, a school's export) giving a new change version only to rows that
really change."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sync.models import DataSet
from sync.server.database import Connection, Database
from sync.server.errors import CentralError


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _names(fr: str, nl: str | None, en: str | None) -> str | dict:
    """A category's names as terminals read them: the plain French name when it has no
    other (what terminals before the translated names read), else every language."""
    return {"fr": fr, "nl": nl, "en": en} if nl or en else fr


@dataclass(frozen=True)
class Entity:
    """How one DataSet list maps to its table: ``to_row`` (model -> column values, key first)
    and ``to_record`` (row -> DataSet-shaped dict)."""
    name: str
    columns: tuple[str, ...]
    to_row: Callable
    to_record: Callable


ENTITIES = (
    Entity("categories", ("code", "name", "name_nl", "name_en", "wallet_kind"),
           lambda c: (c.code, c.name.fr, c.name.nl, c.name.en, c.wallet_kind),
           lambda r: {"code": r[0], "name": _names(r[1], r[2], r[3]), "wallet_kind": r[4]}),
    Entity("articles", ("code", "name_fr", "name_nl", "name_en", "price_cents", "category",
                        "allergens", "profiles", "reservable", "active"),
           lambda a: (a.code, a.name.fr, a.name.nl, a.name.en, a.price_cents, a.category,
                      _json(a.allergens), _json(a.profiles), int(a.reservable), int(a.active)),
           lambda r: {"code": r[0], "name": {"fr": r[1], "nl": r[2], "en": r[3]},
                      "price_cents": r[4], "category": r[5], "allergens": json.loads(r[6]),
                      "profiles": json.loads(r[7]), "reservable": bool(r[8]),
                      "active": bool(r[9])}),
    Entity("students", ("id", "first_name", "last_name", "class_name", "photo_ref",
                        "daily_limit_cents", "blocked_categories", "blocked_articles", "flags"),
           lambda s: (s.id, s.first_name, s.last_name, s.class_name, s.photo_ref,
                      s.daily_limit_cents, _json(s.blocked_categories),
                      _json(s.blocked_articles), _json(s.flags)),
           lambda r: {"id": r[0], "first_name": r[1], "last_name": r[2], "class_name": r[3],
                      "photo_ref": r[4], "daily_limit_cents": r[5],
                      "blocked_categories": json.loads(r[6]),
                      "blocked_articles": json.loads(r[7]), "flags": json.loads(r[8])}),
    Entity("badges", ("uid", "student_id", "status"),
           lambda b: (b.uid, b.student_id, b.status),
           lambda r: {"uid": r[0], "student_id": r[1], "status": r[2]}),
    Entity("wallets", ("id", "student_id", "kind", "name", "structured_communication",
                       "is_default", "balance_cents"),
           lambda w: (w.id, w.student_id, w.kind, w.name, w.structured_communication,
                      int(w.is_default), w.balance_cents),
           lambda r: {"id": r[0], "student_id": r[1], "kind": r[2], "name": r[3],
                      "structured_communication": r[4], "is_default": bool(r[5]),
                      "balance_cents": r[6]}),
    Entity("operators", ("id", "name", "role", "pin_hash", "active", "unlocked_at"),
           lambda o: (o.id, o.name, o.role, o.pin_hash, int(o.active), o.unlocked_at),
           lambda r: {"id": r[0], "name": r[1], "role": r[2], "pin_hash": r[3],
                      "active": bool(r[4]), "unlocked_at": r[5]}),
    Entity("reservations", ("id", "day", "student_id", "article_code", "quantity", "status"),
           lambda r: (r.id, r.day.isoformat(), r.student_id, r.article_code, r.quantity,
                      r.status),
           lambda r: {"id": r[0], "day": r[1], "student_id": r[2], "article_code": r[3],
                      "quantity": r[4], "status": r[5]}),
)


def load(db: Database, school_id: str, data: DataSet) -> dict[str, int]:
    """Upsert a DataSet into a school in one transaction. Only rows that actually change
    get a new version (re-loading the same file costs the terminals nothing). A known
    wallet keeps its balance and a delivered or cancelled reservation its status
    (``_kept``): a file's balance is only the opening balance of a new wallet."""
    counts = {}
    with db.transaction() as conn:
        _check_references(db, conn, school_id, data)
        for entity in ENTITIES:
            rows = [entity.to_row(m) for m in getattr(data, entity.name)]
            cols = entity.columns
            old = {r[0]: tuple(r) for r in db.execute(
                conn, f"SELECT {', '.join(cols)} FROM {entity.name} WHERE school_id = ?",
                (school_id,))}
            rows = [_kept(entity.name, row, old.get(row[0])) for row in rows]
            if entity.name == "badges":     # a block or unblock stands (sync.server.badges)
                decided = {r[0] for r in db.execute(
                    conn, "SELECT uid FROM badges WHERE school_id = ? AND status_by IS NOT NULL",
                    (school_id,))}
                rows = [row[:-1] + (old[row[0]][-1],) if row[0] in decided else row
                        for row in rows]
            changed = [row for row in rows if old.get(row[0]) != row]
            if not changed:
                continue
            first = db.next_versions(conn, len(changed))
            sql = (f"INSERT INTO {entity.name} (school_id, {', '.join(cols)}, version)"
                   f" VALUES ({', '.join('?' * (len(cols) + 2))})"
                   f" ON CONFLICT (school_id, {cols[0]}) DO UPDATE SET "
                   + ", ".join(f"{c} = excluded.{c}" for c in cols[1:] + ("version",)))
            db.execute_many(conn, sql, [(school_id, *row, first + offset)
                                        for offset, row in enumerate(changed)])
            if entity.name == "wallets":    # a new wallet's balance is its opening (verify)
                db.execute_many(conn, "UPDATE wallets SET opening_cents = balance_cents"
                                      " WHERE school_id = ? AND id = ?",
                                [(school_id, row[0]) for row in changed if row[0] not in old])
            counts[entity.name] = len(changed)
    return counts


def _check_references(db: Database, conn: Connection, school_id: str, data: DataSet) -> None:
    def known(table, key, extra):
        rows = db.execute(conn, f"SELECT {key} FROM {table} WHERE school_id = ?", (school_id,))
        return {r[0] for r in rows} | {getattr(m, key) for m in extra}
    students = known("students", "id", data.students)
    categories = known("categories", "code", data.categories)
    articles = known("articles", "code", data.articles)
    for name in ("badges", "wallets", "reservations"):
        for m in getattr(data, name):
            if m.student_id not in students:
                raise CentralError("invalid", "{table}: unknown student {student!r}",
                                   table=name, student=m.student_id)
    for a in data.articles:
        if a.category not in categories:
            raise CentralError("invalid", "articles: unknown category {category!r}",
                               category=a.category)
    for r in data.reservations:
        if r.article_code not in articles:
            raise CentralError("invalid", "reservations: unknown article {article!r}",
                               article=r.article_code)


def _kept(entity: str, row: tuple, old: tuple | None) -> tuple:
    """``row`` as ``load`` may write it over ``old``: a wallet's balance moves only with money
    (pushed sales, top-ups, reservations, refunds), never with a re-loaded file; a reservation
    delivered or cancelled (and refunded) is never made "reserved" again."""
    if old is not None and (entity == "wallets"
                            or (entity == "reservations" and old[-1] != "reserved")):
        return row[:-1] + (old[-1],)    # balance_cents / status: the last column of both
    return row
