"""``comptoir import FILE``: load the platform's data (the ``sync.models.DataSet`` shape) into
the store. Everything is validated first (fields, references between entities, the wallets'
structured communications); then it is written in one transaction. A bad file changes nothing.

Records are upserted by id, as a sync pull does. What only the terminal knows is kept: an
operator's lockout state (unless the office reset the PIN or unlocked the operator since the
lock began: ``operators.office_unlocks``), and a reservation delivered here stays delivered."""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from kiosk import badges, journal, name_search, operators
from kiosk.store import Store
from sync.common.clock import iso_utc
from sync.common.errors import DataImportError
from sync.models import DataSet

MAX_SHOWN = 3


def load_file(path: str | Path) -> DataSet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataImportError(detail=f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise DataImportError(detail=f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise DataImportError(detail=f"{path}: {e.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataImportError(detail=f"{path}: not valid JSON (line {e.lineno}, column {e.colno}:"
                                     f" {e.msg})") from None
    return parse(raw, str(path))


def parse(raw: object, source: str = "data") -> DataSet:
    if not isinstance(raw, dict):
        raise DataImportError(detail=f"{source}: the top level must be a JSON object")
    try:
        return DataSet.model_validate(raw)
    except ValidationError as e:
        problems = [f"{_where(err['loc'])}: {err['msg']}" for err in e.errors()]
        raise DataImportError(detail=_join(source, problems)) from None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _join(source: str, problems: list[str]) -> str:
    more = len(problems) - MAX_SHOWN
    text = "; ".join(problems[:MAX_SHOWN])
    return f"{source}: {text}" + (f" (and {more} more)" if more > 0 else "")


def apply(store: Store, data: DataSet, now: datetime, source: str = "data",
          sync_state: dict[str, str] | None = None, references: bool = True,
          acknowledged_seq: int | None = None, complete: bool = True) -> dict[str, int]:
    """Validate references against the file and the store, then write everything at once.
    ``sync_state`` keys are written in the same transaction (the sync agent's pull cursor:
    a page and the cursor after it are kept together or not at all). ``references=False``
    (pull pages) skips the checks between records: pages come in the platform's change order,
    so a page may name a student that a later page of the same pull brings.
    This terminal's badge blocks and unblocks that the platform had not acknowledged when the
    data was read (entries after ``acknowledged_seq``; default: the agent's ``pushed_seq``)
    win over the data's badge status (``kiosk.badges``). ``complete=False`` (a pull page
    with more to come) leaves the data's age, ``last_pull_at``, as it was.
    Returns how many records of each kind were written."""
    with store.write() as conn:
        problems = _seq_problems(conn, data)
        if references:
            problems = _reference_problems(conn, data) + problems
        if problems:
            raise DataImportError(detail=_join(source, problems))
        try:
            _write(store, conn, data)
            badges.reapply_pending(conn, badges.acknowledged_seq(conn) if acknowledged_seq is None
                                   else acknowledged_seq)
        except (sqlite3.IntegrityError, OverflowError) as e:   # what the checks did not foresee
            raise DataImportError(detail=f"{source}: {e}") from None
        if complete:
            store.set_kv(conn, "sync_state", "last_pull_at", iso_utc(now))
        for key, value in (sync_state or {}).items():
            store.set_kv(conn, "sync_state", key, value)
    return {name: len(getattr(data, name)) for name in
            ("categories", "articles", "students", "badges", "wallets", "operators", "reservations")
            if getattr(data, name)}


def _known(conn: sqlite3.Connection, table: str, key: str, extra: Iterable[str]) -> set[str]:
    return {r[0] for r in conn.execute(f"SELECT {key} FROM {table}")} | set(extra)


def _reference_problems(conn: sqlite3.Connection, data: DataSet) -> list[str]:
    problems = []
    for name, key in (("categories", "code"), ("articles", "code"), ("students", "id"),
                      ("badges", "uid"), ("wallets", "id"), ("operators", "id"),
                      ("reservations", "id")):
        dupes = [k for k, n in Counter(getattr(r, key) for r in getattr(data, name)).items() if n > 1]
        if dupes:
            problems.append(f"{name}: {key} {dupes[0]!r} appears more than once")
    names = Counter(o.name.casefold() for o in data.operators)
    problems += [f"operators: name {n!r} appears more than once" for n, c in names.items() if c > 1]
    ids_in_file = {o.id for o in data.operators}
    taken = {name.casefold(): op_id for op_id, name in conn.execute("SELECT id, name FROM operators")
             if op_id not in ids_in_file}
    for i, o in enumerate(data.operators):
        if taken.get(o.name.casefold(), o.id) != o.id:
            problems.append(f"operators[{i}].name: {o.name!r} is already the name of operator"
                            f" {taken[o.name.casefold()]!r}")
    categories = _known(conn, "categories", "code", (c.code for c in data.categories))
    articles = _known(conn, "articles", "code", (a.code for a in data.articles))
    students = _known(conn, "students", "id", (s.id for s in data.students))
    for i, a in enumerate(data.articles):
        if a.category not in categories:
            problems.append(f"articles[{i}].category: unknown category {a.category!r}")
    for i, s in enumerate(data.students):
        for code in s.blocked_articles:
            if code not in articles:
                problems.append(f"students[{i}].blocked_articles: unknown article code {code!r}")
        for code in s.blocked_categories:
            if code not in categories:
                problems.append(f"students[{i}].blocked_categories: unknown category {code!r}")
    for name in ("badges", "wallets", "reservations"):
        for i, r in enumerate(getattr(data, name)):
            if r.student_id not in students:
                problems.append(f"{name}[{i}].student_id: unknown student {r.student_id!r}")
    for i, r in enumerate(data.reservations):
        if r.article_code not in articles:
            problems.append(f"reservations[{i}].article_code: unknown article code {r.article_code!r}")
    return problems


def _seq_problems(conn: sqlite3.Connection, data: DataSet) -> list[str]:
    """A balance can only include entries this terminal has made."""
    problems = []
    last_seq = journal.last_link(conn)[0]
    for i, w in enumerate(data.wallets):
        if w.included_seq > last_seq:
            problems.append(f"wallets[{i}].included_seq: {w.included_seq} is beyond this terminal's"
                            f" journal (last entry {last_seq}): data from another terminal?")
    return problems


def _write(store: Store, conn: sqlite3.Connection, data: DataSet) -> None:
    db = store.db   # sqlite-utils nests its writes in our transaction (savepoints)
    if data.categories:
        db.table("categories").upsert_all([{
            "code": c.code, "name": c.name.fr, "name_nl": c.name.nl, "name_en": c.name.en,
            "wallet_kind": c.wallet_kind} for c in data.categories], pk="code")
    if data.articles:
        db.table("articles").upsert_all([{
            "code": a.code, "name_fr": a.name.fr, "name_nl": a.name.nl, "name_en": a.name.en,
            "price_cents": a.price_cents, "category": a.category,
            "allergens": json.dumps(sorted(set(a.allergens))), "profiles": json.dumps(a.profiles),
            "reservable": a.reservable, "active": a.active} for a in data.articles], pk="code")
    if data.students:
        db.table("students").upsert_all([{
            **s.model_dump(exclude={"blocked_categories", "blocked_articles", "flags"}),
            "blocked_categories": json.dumps(s.blocked_categories),
            "blocked_articles": json.dumps(s.blocked_articles),
            "flags": json.dumps(sorted(set(s.flags)))} for s in data.students], pk="id")
        name_search.students_changed(conn)        # searches by name read them again
    if data.badges:
        db.table("badges").upsert_all([b.model_dump() for b in data.badges], pk="uid")
    if data.wallets:
        db.table("wallets").upsert_all([w.model_dump() for w in data.wallets], pk="id")
    if data.operators:
        # upsert_all touches only the columns given: local lockout counters are kept, except
        # for a new PIN (the office's reset is how it unlocks an operator).
        hashes = dict(conn.execute("SELECT id, pin_hash FROM operators"))
        db.table("operators").upsert_all([o.model_dump(exclude={"unlocked_at"})
                                          for o in data.operators], pk="id")
        conn.executemany("UPDATE operators SET failed_attempts = 0, lock_count = 0,"
                         " locked_until = NULL WHERE id = ?",
                         [(o.id,) for o in data.operators if hashes.get(o.id, o.pin_hash)
                          != o.pin_hash])
        operators.office_unlocks(conn, [(o.id, o.unlocked_at) for o in data.operators
                                        if o.unlocked_at])
    if data.reservations:
        conn.executemany(
            "INSERT INTO reservations (id, day, student_id, article_code, quantity, status)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET day = excluded.day,"
            " student_id = excluded.student_id, article_code = excluded.article_code,"
            " quantity = excluded.quantity, status = CASE WHEN reservations.status = 'delivered'"
            " THEN 'delivered' ELSE excluded.status END",
            [(r.id, r.day.isoformat(), r.student_id, r.article_code, r.quantity, r.status)
             for r in data.reservations])
