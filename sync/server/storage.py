"""The central database: schema and every SQL statement of the reference server.

On a SQLite file or a PostgreSQL database (``backends``: ``--db central.db`` or ``--db
postgresql://user@host/db``), with the same SQL: plain and portable on purpose (``?``
placeholders, ``ON CONFLICT … DO UPDATE``, ``BIGINT`` for cents, seqs and versions, 0/1 for
booleans, ISO text for instants). Every statement runs in ``_txn`` through ``_x``, which give
both backends the same transactions: one writer at a time, readers on one snapshot (see
``backends``).

The sales journal parents see (``sales_journal``) reads the pushed entries back, one row per
article line, filtered by period preset (``period_days``), student, wallet, device and article
text; it is served to admins with their own tokens (``admin_tokens``), never to terminals.

Pull cursors rest on one global change counter (table ``change_counter``): every write of an
entity row takes the next value as the row's ``version``, inside the write transaction. As
writers are serialised (SQLite's write lock; the writers' advisory lock on PostgreSQL),
versions become visible in order and "rows with version > cursor" never skips a late commit.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.chain import GENESIS, KINDS, chain_hash, is_canonical
from sync.models import DataSet
from sync.protocol import PushedEntry
from sync.server import migrations
from sync.server.backends import open_database

log = logging.getLogger("comptoir.central")

SCHEMA_VERSION = 1
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 10
CODE_TTL = timedelta(days=7)
# "v2:<epoch>:<version>"; pages of a full resync carry ":full" so every one of them says so,
# but the cursor after its last page is a plain one (the next pull is incremental). The epoch
# changes each time the server starts (``new_epoch``): a database restored from a backup
# reuses version numbers a terminal has already seen, and only a new epoch tells it so.
CURSOR = re.compile(r"^v2:([0-9a-f]{8}):(\d{1,18})(:full)?$")


def make_cursor(epoch: str, version: int, full: bool = False) -> str:
    """A pull cursor (what ``CURSOR`` reads): changes after ``version`` of this ``epoch``."""
    return f"v2:{epoch}:{version}" + (":full" if full else "")
BRUSSELS = ZoneInfo("Europe/Brussels")     # the schools' business days
# The period presets of the parents' "journal des ventes" (see ``period_days``).
PERIODS = ("today", "yesterday", "last_7_days", "last_30_days", "this_month", "last_month",
           "custom")
DEFAULT_PERIOD = "last_30_days"
JOURNAL_KINDS = ("sale", "photocopy", "void", "pickup")   # the kinds with article lines


class CentralError(Exception):
    """A refusal with a protocol error code (``sync.protocol.ErrorCode``)."""

    def __init__(self, code: str, message: str, *, seq: int | None = None,
                 expected_seq: int | None = None):
        super().__init__(message)
        self.code, self.message, self.seq, self.expected_seq = code, message, seq, expected_seq


class _Conflict(Exception):
    def __init__(self, entry: PushedEntry):
        self.entry = entry


@dataclass(frozen=True)
class Device:
    id: str
    school_id: str
    name: str


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def fold(text: str) -> str:
    """Text for matching: case and accents ignored ("Végétarien" -> "vegetarien")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def period_name(period: str | None, has_days: bool = False) -> str:
    """The preset meant (one of ``PERIODS``): ``period`` (hyphens allowed), or if none, ``custom``
    when days are given and the default (the last 30 days) when not."""
    name = (period or "").strip().lower().replace("-", "_")
    if not name:
        return "custom" if has_days else DEFAULT_PERIOD
    if name not in PERIODS:
        raise CentralError("invalid", f"unknown period {period!r} (known: {', '.join(PERIODS)})")
    return name


def period_days(period: str | None, today: date, first_day: date | None = None,
                last_day: date | None = None) -> tuple[date, date]:
    """The days a sales-journal period covers, ``(first, last)``, both included, in the
    school's business days (Europe/Brussels), ``today`` being today's business day.

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
            raise CentralError("invalid", f"period {name!r} takes no from/to days"
                                          " (they are for the custom period)")
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
        raise CentralError("invalid", f"the period starts ({first_day}) after it ends"
                                      f" ({last_day})")
    return first_day, last_day


# -- schema ------------------------------------------------------------------------------
_DDL = [
    "CREATE TABLE IF NOT EXISTS central_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS change_counter (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schools (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS enrol_codes (code_hash TEXT PRIMARY KEY,"
    " school_id TEXT NOT NULL REFERENCES schools(id), device_name TEXT NOT NULL,"
    " created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, used_by TEXT)",
    "CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY,"
    " school_id TEXT NOT NULL REFERENCES schools(id), name TEXT NOT NULL,"
    " token_hash TEXT NOT NULL UNIQUE, enrolled_at TEXT NOT NULL, revoked_at TEXT,"
    " high_water BIGINT NOT NULL DEFAULT 0, last_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS journal (device_id TEXT NOT NULL REFERENCES devices(id),"
    " seq BIGINT NOT NULL, uuid TEXT NOT NULL, kind TEXT NOT NULL, ts TEXT NOT NULL,"
    " day TEXT NOT NULL, operator_id TEXT, student_id TEXT, amount_cents BIGINT NOT NULL,"
    " body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
    " received_at TEXT NOT NULL, PRIMARY KEY (device_id, seq))",
    "CREATE TABLE IF NOT EXISTS postings (device_id TEXT NOT NULL, seq BIGINT NOT NULL,"
    " wallet_id TEXT NOT NULL, amount_cents BIGINT NOT NULL,"
    " PRIMARY KEY (device_id, seq, wallet_id))",
    # Never merged, never applied: kept for an admin to look at.
    "CREATE TABLE IF NOT EXISTS conflicts (device_id TEXT NOT NULL, seq BIGINT NOT NULL,"
    " hash TEXT NOT NULL, body TEXT NOT NULL, received_at TEXT NOT NULL,"
    " PRIMARY KEY (device_id, seq, hash))",
    # The entities terminals pull: one row per (school, key), each with its change version.
    "CREATE TABLE IF NOT EXISTS categories (school_id TEXT NOT NULL REFERENCES schools(id),"
    " code TEXT NOT NULL, name TEXT NOT NULL, wallet_kind TEXT, version BIGINT NOT NULL,"
    " PRIMARY KEY (school_id, code))",
    "CREATE TABLE IF NOT EXISTS articles (school_id TEXT NOT NULL REFERENCES schools(id),"
    " code TEXT NOT NULL, name_fr TEXT NOT NULL, name_nl TEXT, name_en TEXT,"
    " price_cents BIGINT NOT NULL, category TEXT NOT NULL, allergens TEXT NOT NULL,"
    " profiles TEXT NOT NULL, reservable INTEGER NOT NULL, active INTEGER NOT NULL,"
    " version BIGINT NOT NULL, PRIMARY KEY (school_id, code))",
    "CREATE TABLE IF NOT EXISTS students (school_id TEXT NOT NULL REFERENCES schools(id),"
    " id TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,"
    " class_name TEXT NOT NULL, photo_ref TEXT, daily_limit_cents BIGINT,"
    " blocked_categories TEXT NOT NULL, blocked_articles TEXT NOT NULL, flags TEXT NOT NULL,"
    " version BIGINT NOT NULL, PRIMARY KEY (school_id, id))",
    "CREATE TABLE IF NOT EXISTS badges (school_id TEXT NOT NULL REFERENCES schools(id),"
    " uid TEXT NOT NULL, student_id TEXT NOT NULL, status TEXT NOT NULL,"
    " version BIGINT NOT NULL, PRIMARY KEY (school_id, uid))",
    "CREATE TABLE IF NOT EXISTS wallets (school_id TEXT NOT NULL REFERENCES schools(id),"
    " id TEXT NOT NULL, student_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,"
    " structured_communication TEXT NOT NULL, is_default INTEGER NOT NULL,"
    " balance_cents BIGINT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (school_id, id))",
    "CREATE TABLE IF NOT EXISTS operators (school_id TEXT NOT NULL REFERENCES schools(id),"
    " id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, pin_hash TEXT NOT NULL,"
    " active INTEGER NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (school_id, id))",
    # Admins' (reporting) tokens: only their hash. Terminal tokens are in ``devices``.
    "CREATE TABLE IF NOT EXISTS admin_tokens (token_hash TEXT PRIMARY KEY,"
    " created_at TEXT NOT NULL)",
    # The sales journal's queries: a student's entries by day, a school's by day.
    "CREATE INDEX IF NOT EXISTS journal_student_day ON journal (student_id, day)",
    "CREATE INDEX IF NOT EXISTS journal_day ON journal (day)",
    "CREATE TABLE IF NOT EXISTS reservations (school_id TEXT NOT NULL REFERENCES schools(id),"
    " id TEXT NOT NULL, day TEXT NOT NULL, student_id TEXT NOT NULL,"
    " article_code TEXT NOT NULL, quantity INTEGER NOT NULL, status TEXT NOT NULL,"
    " version BIGINT NOT NULL, PRIMARY KEY (school_id, id))",
    # The platform's own money movements (``ledger``): top-ups, bank transfers, reservations
    # and their refunds. ``source_key`` makes an imported bank line count once.
    "CREATE TABLE IF NOT EXISTS wallet_movements (school_id TEXT NOT NULL REFERENCES"
    " schools(id), id TEXT NOT NULL, wallet_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " amount_cents BIGINT NOT NULL, ts TEXT NOT NULL, day TEXT NOT NULL,"
    " reservation_id TEXT, source_key TEXT, label TEXT, PRIMARY KEY (school_id, id))",
    "CREATE UNIQUE INDEX IF NOT EXISTS wallet_movements_source"
    " ON wallet_movements (school_id, source_key)",
    "CREATE INDEX IF NOT EXISTS wallet_movements_wallet"
    " ON wallet_movements (school_id, wallet_id, ts)",
    "CREATE INDEX IF NOT EXISTS wallet_movements_day ON wallet_movements (school_id, day)",
    "CREATE INDEX IF NOT EXISTS wallets_communication"
    " ON wallets (school_id, structured_communication)",
    # Per-school settings of the ledger (reservation cutoff "08:30", time zone).
    "CREATE TABLE IF NOT EXISTS school_settings (school_id TEXT NOT NULL REFERENCES schools(id),"
    " name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (school_id, name))",
]


@dataclass(frozen=True)
class _Entity:
    """How one DataSet list maps to its table: ``to_row`` (model -> column values, key first)
    and ``to_record`` (row -> DataSet-shaped dict)."""
    name: str
    columns: tuple[str, ...]
    to_row: Callable
    to_record: Callable


ENTITIES = (
    _Entity("categories", ("code", "name", "wallet_kind"),
            lambda c: (c.code, c.name, c.wallet_kind),
            lambda r: {"code": r[0], "name": r[1], "wallet_kind": r[2]}),
    _Entity("articles", ("code", "name_fr", "name_nl", "name_en", "price_cents", "category",
                         "allergens", "profiles", "reservable", "active"),
            lambda a: (a.code, a.name.fr, a.name.nl, a.name.en, a.price_cents, a.category,
                       _json(a.allergens), _json(a.profiles), int(a.reservable), int(a.active)),
            lambda r: {"code": r[0], "name": {"fr": r[1], "nl": r[2], "en": r[3]},
                       "price_cents": r[4], "category": r[5], "allergens": json.loads(r[6]),
                       "profiles": json.loads(r[7]), "reservable": bool(r[8]),
                       "active": bool(r[9])}),
    _Entity("students", ("id", "first_name", "last_name", "class_name", "photo_ref",
                         "daily_limit_cents", "blocked_categories", "blocked_articles", "flags"),
            lambda s: (s.id, s.first_name, s.last_name, s.class_name, s.photo_ref,
                       s.daily_limit_cents, _json(s.blocked_categories),
                       _json(s.blocked_articles), _json(s.flags)),
            lambda r: {"id": r[0], "first_name": r[1], "last_name": r[2], "class_name": r[3],
                       "photo_ref": r[4], "daily_limit_cents": r[5],
                       "blocked_categories": json.loads(r[6]),
                       "blocked_articles": json.loads(r[7]), "flags": json.loads(r[8])}),
    _Entity("badges", ("uid", "student_id", "status"),
            lambda b: (b.uid, b.student_id, b.status),
            lambda r: {"uid": r[0], "student_id": r[1], "status": r[2]}),
    _Entity("wallets", ("id", "student_id", "kind", "name", "structured_communication",
                        "is_default", "balance_cents"),
            lambda w: (w.id, w.student_id, w.kind, w.name, w.structured_communication,
                       int(w.is_default), w.balance_cents),
            lambda r: {"id": r[0], "student_id": r[1], "kind": r[2], "name": r[3],
                       "structured_communication": r[4], "is_default": bool(r[5]),
                       "balance_cents": r[6]}),
    _Entity("operators", ("id", "name", "role", "pin_hash", "active"),
            lambda o: (o.id, o.name, o.role, o.pin_hash, int(o.active)),
            lambda r: {"id": r[0], "name": r[1], "role": r[2], "pin_hash": r[3],
                       "active": bool(r[4])}),
    _Entity("reservations", ("id", "day", "student_id", "article_code", "quantity", "status"),
            lambda r: (r.id, r.day.isoformat(), r.student_id, r.article_code, r.quantity,
                       r.status),
            lambda r: {"id": r[0], "day": r[1], "student_id": r[2], "article_code": r[3],
                       "quantity": r[4], "status": r[5]}),
)


class CentralStore:
    """The central database, a SQLite file or a PostgreSQL database (``db``: a path or a
    ``postgresql://`` URL). Safe to share between the server's worker threads; ``close()``
    (or ``with``) gives a PostgreSQL pool's connections back."""

    def __init__(self, db: str | Path, create: bool = False,
                 now: Callable[[], datetime] | None = None):
        self.db = str(db)                   # as given (a URL may hold a password: never shown)
        self._db = open_database(db)
        self.path: Path | None = self._db.path     # the SQLite file (None on PostgreSQL)
        self.label = where = self._db.label        # for people: a URL without its password
        self._now = now or (lambda: datetime.now(timezone.utc))
        try:
            if create:
                self._db.prepare()
            # The schema at HEAD: made (create), upgraded, or refused (see migrations).
            self.schema = migrations.upgrade(self._db, create=create)
        except migrations.SchemaError as e:
            self.close()
            raise CentralError("invalid", f"{where}: {e}") from None
        except self._db.unreachable as e:
            self.close()
            raise CentralError("invalid", f"{where}: cannot open the central database"
                                          f" ({' '.join(str(e).split())})") from None
        except self._db.errors as e:
            self.close()
            raise CentralError("invalid", f"{where}: not a central database ({e})") from None
        except CentralError:
            self.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "CentralStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing: every statement goes through these two (``backends`` says what differs) --
    def _txn(self, write: bool = True):
        """``with self._txn() as conn:`` one transaction; ``write=False``: a read-only one on
        one snapshot. Writers run one at a time on both backends."""
        return self._db.transaction(write)

    def _x(self, conn, sql: str, params=()):
        """Run one statement written with ``?`` placeholders; returns the cursor."""
        return conn.execute(self._db.sql(sql), params)

    def _xmany(self, conn, sql: str, rows: list) -> None:
        """Run one statement for each row of parameters (in one round trip on PostgreSQL)."""
        if rows:
            self._db.executemany(conn, self._db.sql(sql), rows)

    def _versions(self, conn, count: int) -> int:
        """Reserve ``count`` change versions; returns the first."""
        self._x(conn, "UPDATE change_counter SET value = value + ? WHERE id = 1", (count,))
        last = self._x(conn, "SELECT value FROM change_counter WHERE id = 1").fetchone()[0]
        return last - count + 1

    def _stamp(self) -> str:
        return iso_utc(self._now())

    # -- schools -------------------------------------------------------------------------
    def add_school(self, name: str, school_id: str | None = None) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        school_id = school_id or (re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
                                  or secrets.token_hex(4))
        with self._txn() as conn:
            if self._x(conn, "SELECT 1 FROM schools WHERE id = ?", (school_id,)).fetchone():
                raise CentralError("invalid", f"school {school_id!r} already exists")
            self._x(conn, "INSERT INTO schools (id, name, created_at) VALUES (?, ?, ?)",
                    (school_id, name, self._stamp()))
        return school_id

    def school_id(self, school_id: str | None = None) -> str:
        """The school meant: the one given (it must exist), or the only one there is."""
        with self._txn(write=False) as conn:
            ids = [r[0] for r in self._x(conn, "SELECT id FROM schools ORDER BY id")]
        if school_id is not None:
            if school_id not in ids:
                raise CentralError("invalid", f"no school {school_id!r}")
            return school_id
        if len(ids) != 1:
            raise CentralError("invalid", "no school yet (run 'comptoir central init')" if not ids
                               else "several schools: say which with --school-id")
        return ids[0]

    # -- the platform's data -------------------------------------------------------------
    def load(self, school_id: str, data: DataSet) -> dict[str, int]:
        """Upsert a DataSet into a school in one transaction. Only rows that actually change
        get a new version (re-loading the same file costs the terminals nothing). A known
        wallet keeps its balance and a delivered or cancelled reservation its status
        (``_kept``): a file's balance is only the opening balance of a new wallet."""
        counts = {}
        with self._txn() as conn:
            self._check_references(conn, school_id, data)
            for entity in ENTITIES:
                rows = [entity.to_row(m) for m in getattr(data, entity.name)]
                cols = entity.columns
                old = {r[0]: tuple(r) for r in self._x(
                    conn, f"SELECT {', '.join(cols)} FROM {entity.name} WHERE school_id = ?",
                    (school_id,))}
                rows = [_kept(entity.name, row, old.get(row[0])) for row in rows]
                changed = [row for row in rows if old.get(row[0]) != row]
                if not changed:
                    continue
                first = self._versions(conn, len(changed))
                sql = (f"INSERT INTO {entity.name} (school_id, {', '.join(cols)}, version)"
                       f" VALUES ({', '.join('?' * (len(cols) + 2))})"
                       f" ON CONFLICT (school_id, {cols[0]}) DO UPDATE SET "
                       + ", ".join(f"{c} = excluded.{c}" for c in cols[1:] + ("version",)))
                self._xmany(conn, sql, [(school_id, *row, first + offset)
                                        for offset, row in enumerate(changed)])
                counts[entity.name] = len(changed)
        return counts

    def _check_references(self, conn, school_id: str, data: DataSet) -> None:
        def known(table, key, extra):
            return {r[0] for r in self._x(conn, f"SELECT {key} FROM {table} WHERE school_id = ?",
                                          (school_id,))} | {getattr(m, key) for m in extra}
        students = known("students", "id", data.students)
        categories = known("categories", "code", data.categories)
        articles = known("articles", "code", data.articles)
        for name in ("badges", "wallets", "reservations"):
            for m in getattr(data, name):
                if m.student_id not in students:
                    raise CentralError("invalid", f"{name}: unknown student {m.student_id!r}")
        for a in data.articles:
            if a.category not in categories:
                raise CentralError("invalid", f"articles: unknown category {a.category!r}")
        for r in data.reservations:
            if r.article_code not in articles:
                raise CentralError("invalid", f"reservations: unknown article {r.article_code!r}")

    # -- enrolment and devices -----------------------------------------------------------
    def create_enrol_code(self, school_id: str, device_name: str, ttl: timedelta = CODE_TTL) -> str:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = self._now()
        with self._txn() as conn:
            self._x(conn, "INSERT INTO enrol_codes (code_hash, school_id, device_name, created_at,"
                          " expires_at) VALUES (?, ?, ?, ?, ?)",
                    (sha256(raw), school_id, device_name, iso_utc(now), iso_utc(now + ttl)))
        return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"

    def enrol(self, code: str, device_id: str) -> dict:
        """Spend a one-time code on a terminal; returns the EnrolResponse fields. A device id
        already known in the same school is re-enrolled: new token (the old one stops working),
        revocation lifted, its journal and high-water mark kept (the store is the same)."""
        token, now = secrets.token_urlsafe(32), self._stamp()
        with self._txn() as conn:
            row = self._x(conn, "SELECT c.school_id, c.device_name, c.expires_at, c.used_at,"
                                " s.name FROM enrol_codes c JOIN schools s ON s.id = c.school_id"
                                " WHERE c.code_hash = ?",
                          (sha256(normalise_code(code)),)).fetchone()
            if row is None or row[3] is not None or row[2] <= now:
                raise CentralError("bad_code", "enrolment code unknown, already used or expired")
            school_id, name, _, _, school_name = row
            known = self._x(conn, "SELECT school_id FROM devices WHERE id = ?",
                            (device_id,)).fetchone()
            if known and known[0] != school_id:
                raise CentralError("forbidden", "this terminal is enrolled in another school")
            self._x(conn, "INSERT INTO devices (id, school_id, name, token_hash, enrolled_at,"
                          " high_water, last_hash) VALUES (?, ?, ?, ?, ?, 0, ?)"
                          " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                          " token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at,"
                          " revoked_at = NULL",
                    (device_id, school_id, name, sha256(token), now, GENESIS))
            self._x(conn, "UPDATE enrol_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
                    (now, device_id, sha256(normalise_code(code))))
        log.info("enrolled device %s in school %s%s", device_id, school_id,
                 " (re-enrolment)" if known else "")
        return {"device_id": device_id, "device_name": name, "school_id": school_id,
                "school_name": school_name, "token": token}

    def authenticate(self, token: str) -> Device:
        with self._txn(write=False) as conn:
            row = self._x(conn, "SELECT id, school_id, name, revoked_at FROM devices"
                                " WHERE token_hash = ?", (sha256(token),)).fetchone()
        if row is None:
            raise CentralError("unauthorized", "unknown token")
        if row[3] is not None:
            raise CentralError("revoked", "this terminal was revoked: enrol it again")
        return Device(row[0], row[1], row[2])

    def revoke(self, device_id: str) -> None:
        with self._txn() as conn:
            if self._x(conn, "UPDATE devices SET revoked_at = ? WHERE id = ?",
                       (self._stamp(), device_id)).rowcount == 0:
                raise CentralError("invalid", f"no device {device_id!r}")
        log.info("revoked device %s", device_id)

    def device_state(self, device: Device) -> dict:
        with self._txn(write=False) as conn:
            hw, last = self._x(conn, "SELECT high_water, last_hash FROM devices WHERE id = ?",
                               (device.id,)).fetchone()
        return {"device_id": device.id, "device_name": device.name, "high_water": hw,
                "last_hash": last, "server_time": self._stamp()}

    def conflicts(self, device_id: str) -> list[dict]:
        with self._txn(write=False) as conn:
            rows = self._x(conn, "SELECT seq, hash, body, received_at FROM conflicts"
                                 " WHERE device_id = ? ORDER BY seq, received_at",
                           (device_id,)).fetchall()
        return [dict(zip(("seq", "hash", "body", "received_at"), r)) for r in rows]

    # -- admins (reporting) -------------------------------------------------------------
    def create_admin_token(self) -> str:
        """A new admin token, returned once; only its hash is kept. Its id (``admin_tokens``,
        ``revoke_admin_token``) is the hash's first 12 characters: no secret."""
        token = secrets.token_urlsafe(32)
        with self._txn() as conn:
            self._x(conn, "INSERT INTO admin_tokens (token_hash, created_at) VALUES (?, ?)",
                    (sha256(token), self._stamp()))
        log.info("admin token %s created", sha256(token)[:12])
        return token

    def admin_tokens(self) -> list[dict]:
        """Every admin token: its id and when it was made (oldest first)."""
        with self._txn(write=False) as conn:
            rows = self._x(conn, "SELECT token_hash, created_at FROM admin_tokens"
                                 " ORDER BY created_at").fetchall()
        return [{"id": h[:12], "created_at": at} for h, at in rows]

    def revoke_admin_token(self, token_id: str) -> None:
        """Revoke the admin token whose id is ``token_id``: it is refused from then on."""
        token_id = token_id.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{12}", token_id):
            raise CentralError("invalid", "an admin token's id is 12 hexadecimal characters"
                                          " (see 'admin-token --list')")
        with self._txn() as conn:
            hashes = [r[0] for r in self._x(conn, "SELECT token_hash FROM admin_tokens")
                      if r[0].startswith(token_id)]
            if not hashes:
                raise CentralError("not_found", f"no admin token {token_id}")
            self._x(conn, "DELETE FROM admin_tokens WHERE token_hash = ?", (hashes[0],))
        log.info("admin token %s revoked", token_id)

    def authenticate_admin(self, token: str) -> None:
        """An admin's token passes; a terminal's is ``forbidden`` (terminals read no reports);
        anything else is ``unauthorized``."""
        with self._txn(write=False) as conn:
            if self._x(conn, "SELECT 1 FROM admin_tokens WHERE token_hash = ?",
                       (sha256(token),)).fetchone():
                return
            terminal = self._x(conn, "SELECT 1 FROM devices WHERE token_hash = ?",
                               (sha256(token),)).fetchone()
        if terminal:
            raise CentralError("forbidden", "a terminal's token cannot read reports")
        raise CentralError("unauthorized", "unknown token")

    # -- push ----------------------------------------------------------------------------
    def push(self, device: Device, entries: list[PushedEntry]) -> dict:
        """Apply a terminal's entries exactly once, in one transaction: all or nothing.
        Returns the PushResponse fields."""
        try:
            with self._txn() as conn:
                result = self._push(conn, device, entries)
        except _Conflict as c:
            # The request is rolled back, but the conflicting entry is evidence: keep it.
            with self._txn() as conn:
                self._x(conn, "INSERT INTO conflicts (device_id, seq, hash, body, received_at)"
                              " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (device.id, c.entry.seq, c.entry.hash, c.entry.body, self._stamp()))
            log.warning("conflict: device %s sent seq %d with another hash", device.id,
                        c.entry.seq)
            raise CentralError("conflict", f"entry {c.entry.seq} differs from the one already"
                               " received (recorded, not applied)", seq=c.entry.seq) from None
        if result["applied"]:
            log.info("push device %s: %d applied, high water %d", device.id,
                     result["applied"], result["high_water"])
        return result

    def _push(self, conn, device: Device, entries: list[PushedEntry]) -> dict:
        hw, last = self._x(conn, "SELECT high_water, last_hash FROM devices WHERE id = ?",
                           (device.id,)).fetchone()
        for i, e in enumerate(entries):
            if e.seq != entries[0].seq + i:
                raise CentralError("invalid", "entries must have contiguous increasing seq",
                                   seq=e.seq)
        now, applied, deltas, wallets_ok = self._stamp(), 0, {}, set()
        if len(entries) > 20:       # a terminal catching up names many wallets: one query
            wallets_ok = {r[0] for r in self._x(conn, "SELECT id FROM wallets"
                                                      " WHERE school_id = ?", (device.school_id,))}
        journal, postings = [], []      # the new rows, written together at the end
        for e in entries:
            if e.seq <= hw:
                row = self._x(conn, "SELECT hash FROM journal WHERE device_id = ? AND seq = ?",
                              (device.id, e.seq)).fetchone()
                if row and row[0] == e.hash:
                    continue        # already applied: a retry after a lost answer
                raise _Conflict(e)
            if e.seq != hw + 1:
                raise CentralError("gap", f"expected seq {hw + 1}, got {e.seq}",
                                   expected_seq=hw + 1)
            if e.prev_hash != last:
                raise CentralError("chain_broken", "prev_hash is not the previous entry's hash",
                                   seq=e.seq)
            if chain_hash(e.prev_hash, e.body) != e.hash:
                raise CentralError("chain_broken", "hash does not match the entry", seq=e.seq)
            data = _parse_body(e, device)
            for p in data["postings"]:
                if p["wallet"] not in wallets_ok:
                    if not self._x(conn, "SELECT 1 FROM wallets WHERE school_id = ? AND id = ?",
                                   (device.school_id, p["wallet"])).fetchone():
                        raise CentralError("invalid", f"entry {e.seq}: unknown wallet"
                                           f" {p['wallet']!r} in this school", seq=e.seq)
                    wallets_ok.add(p["wallet"])
                deltas[p["wallet"]] = deltas.get(p["wallet"], 0) + p["amount_cents"]
                postings.append((device.id, e.seq, p["wallet"], p["amount_cents"]))
            journal.append((device.id, e.seq, data["uuid"], data["kind"], data["ts"],
                            data["day"], data.get("operator"), data.get("student"),
                            data["amount_cents"], e.body, e.prev_hash, e.hash, now))
            if data["kind"] == "pickup":
                from sync.server import ledger      # here: ledger imports this module
                ledger.mark_delivered(self, conn, device, data)
            hw, last, applied = e.seq, e.hash, applied + 1
        if applied:
            self._xmany(conn, "INSERT INTO journal (device_id, seq, uuid, kind, ts, day,"
                              " operator_id, student_id, amount_cents, body, prev_hash, hash,"
                              " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        journal)
            self._xmany(conn, "INSERT INTO postings (device_id, seq, wallet_id, amount_cents)"
                              " VALUES (?, ?, ?, ?)", postings)
            # New balances and new versions, so that the next pulls deliver them.
            first = self._versions(conn, len(deltas)) if deltas else 0
            self._xmany(conn, "UPDATE wallets SET balance_cents = balance_cents + ?, version = ?"
                              " WHERE school_id = ? AND id = ?",
                        [(cents, first + offset, device.school_id, wallet)
                         for offset, (wallet, cents) in enumerate(sorted(deltas.items()))])
            self._x(conn, "UPDATE devices SET high_water = ?, last_hash = ? WHERE id = ?",
                    (hw, last, device.id))
        return {"high_water": hw, "last_hash": last, "applied": applied}

    # -- pull ----------------------------------------------------------------------------
    def new_epoch(self) -> str:
        """Start a new cursor epoch (``comptoir central serve`` does at each start): every
        terminal's next pull is a full resync, so none can miss a change whose version number
        a restored database hands out a second time. Costs each terminal one full pull."""
        epoch = secrets.token_hex(4)
        with self._txn() as conn:
            self._x(conn, "INSERT INTO central_meta (name, value) VALUES ('epoch', ?)"
                          " ON CONFLICT (name) DO UPDATE SET value = excluded.value", (epoch,))
        return epoch

    def _epoch(self, conn) -> str:
        row = self._x(conn, "SELECT value FROM central_meta WHERE name = 'epoch'").fetchone()
        return row[0] if row else "00000000"

    def pull(self, device: Device, cursor: str, limit: int) -> dict:
        """The school's rows changed since ``cursor`` ("" = everything), oldest change first,
        ``limit`` records in all kinds together; returns the PullPage fields."""
        match = CURSOR.match(cursor)
        if cursor and not match:
            raise CentralError("cursor_expired", "unreadable cursor: pull again without one")
        full = not cursor or bool(match.group(3))
        since = int(match.group(2)) if cursor else 0
        with self._txn(write=False) as conn:     # one snapshot: balances and high water agree
            epoch = self._epoch(conn)
            if cursor and match.group(1) != epoch:
                raise CentralError("cursor_expired", "the platform restarted (or was restored"
                                                     " from a backup): pull again without one")
            if since > self._x(conn, "SELECT value FROM change_counter WHERE id = 1").fetchone()[0]:
                raise CentralError("cursor_expired", "cursor from the future: pull again"
                                                     " without one")
            hw = self._x(conn, "SELECT high_water FROM devices WHERE id = ?",
                         (device.id,)).fetchone()[0]
            found = []
            for entity in ENTITIES:
                for row in self._x(conn, f"SELECT version, {', '.join(entity.columns)}"
                                         f" FROM {entity.name} WHERE school_id = ? AND version > ?"
                                         " ORDER BY version LIMIT ?",
                                   (device.school_id, since, limit + 1)):
                    found.append((row[0], entity, row[1:]))
        found.sort(key=lambda item: item[0])
        page = {entity.name: [] for entity in ENTITIES}
        for _, entity, row in found[:limit]:
            record = entity.to_record(row)
            if entity.name == "wallets":
                record["included_seq"] = hw
            page[entity.name].append(record)
        last = found[min(limit, len(found)) - 1][0] if found else since
        more = len(found) > limit
        return {**page, "cursor": make_cursor(epoch, last, full and more),
                "has_more": more, "full": full}

    # -- the sales journal (what parents see) ---------------------------------------------
    def sales_journal(self, school_id: str, *, student_id: str | None = None,
                      wallet_id: str | None = None, device_id: str | None = None,
                      article_text: str | None = None, period: str | None = None,
                      first_day: date | None = None, last_day: date | None = None,
                      limit: int | None = None, offset: int = 0,
                      today: date | None = None) -> dict:
        """The school's sales journal: one row per article line of its sales, photocopies,
        voids and pickups, and of the reservations and refunds made on the platform
        (``ledger.journal_lines``; they have no device), newest first, over a period
        (``period_days``; ``today`` defaults to the business day now). Filters, all optional
        and together: the student, the wallet (its lines only; pickups move no money, so they
        have none), the device (its id or its name; it leaves the platform's rows out) and
        article text (in the code or the name, every word, case and
        accents ignored). Returns the ``reports.SalesJournal`` fields: ``count`` and
        ``total_cents`` cover every matching row, ``rows`` the page ``offset``/``limit``.

        School, days, device, student and wallet are filtered in SQL; the article lines live
        in the entry bodies, so they are expanded and matched here."""
        today = today or self._now().astimezone(BRUSSELS).date()
        first, last = period_days(period, today, first_day, last_day)
        where = ["d.school_id = ?", "j.day >= ?", "j.day <= ?",
                 f"j.kind IN ({', '.join('?' * len(JOURNAL_KINDS))})"]
        params: list = [school_id, first.isoformat(), last.isoformat(), *JOURNAL_KINDS]
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
        with self._txn(write=False) as conn:
            entries = self._x(conn, "SELECT j.device_id, d.name, j.seq, j.kind, j.ts, j.day,"
                                    " j.student_id, s.first_name, s.last_name, j.body"
                                    " FROM journal j JOIN devices d ON d.id = j.device_id"
                                    " LEFT JOIN students s ON s.school_id = d.school_id"
                                    " AND s.id = j.student_id WHERE " + " AND ".join(where)
                              + " ORDER BY j.ts DESC, j.device_id, j.seq DESC",
                              params).fetchall()
            wallets = dict(self._x(conn, "SELECT id, name FROM wallets WHERE school_id = ?",
                                   (school_id,)))
            articles = dict(self._x(conn, "SELECT code, name_fr FROM articles"
                                          " WHERE school_id = ?", (school_id,)))
            # Reservations and refunds are made on the platform: no device has them.
            from sync.server import ledger
            platform = [] if device_id else ledger.journal_lines(
                self, conn, school_id, first, last, student_id=student_id, wallet_id=wallet_id)
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
                    "ts": ts, "local_time": _local_time(ts), "day": day, "kind": kind,
                    "device_id": dev, "device_name": dev_name, "seq": seq,
                    "ref_seq": _int(data.get("ref_seq"), None) if kind == "void" else None,
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


def _kept(entity: str, row: tuple, old: tuple | None) -> tuple:
    """``row`` as ``load`` may write it over ``old``: a wallet's balance moves only with money
    (pushed sales, top-ups, reservations, refunds), never with a re-loaded file; a reservation
    delivered or cancelled (and refunded) is never made "reserved" again."""
    if old is not None and (entity == "wallets"
                            or (entity == "reservations" and old[-1] != "reserved")):
        return row[:-1] + (old[-1],)    # balance_cents / status: the last column of both
    return row


def _local_time(ts: str) -> str:
    """A journal timestamp (UTC) as Brussels local time, ISO 8601 with its offset."""
    try:
        return parse_iso_utc(ts).astimezone(BRUSSELS).isoformat(timespec="seconds")
    except ValueError:
        return ts


def _int(value, default: int | None = 0) -> int | None:
    return value if type(value) is int else default


def _str(value) -> str | None:
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


def _parse_body(e: PushedEntry, device: Device) -> dict:
    """The fields the server keeps from an entry body, checked the way the terminal's own
    chain check does (canonical JSON, postings adding up to the amount)."""
    try:
        data = json.loads(e.body)
    except ValueError:
        raise CentralError("invalid", f"entry {e.seq}: body is not JSON", seq=e.seq) from None

    def bad(why: str):
        return CentralError("invalid", f"entry {e.seq}: {why}", seq=e.seq)

    if not isinstance(data, dict) or not is_canonical(data, e.body):
        raise bad("body is not a canonical JSON object")
    if data.get("seq") != e.seq or data.get("device") != device.id:
        raise bad("body seq or device does not match")
    if data.get("kind") not in KINDS:
        raise bad("unknown kind")
    for key in ("uuid", "ts", "day"):
        if not isinstance(data.get(key), str):
            raise bad(f"{key} missing")
    for key in ("student", "operator"):
        if not isinstance(data.get(key), (str, type(None))):
            raise bad(f"{key} is not a string")
    postings, amount = data.get("postings"), data.get("amount_cents")
    if (type(amount) is not int or not isinstance(postings, list)
            or not all(isinstance(p, dict) and isinstance(p.get("wallet"), str)
                       and type(p.get("amount_cents")) is int for p in postings)
            or sum(p["amount_cents"] for p in postings) != amount
            or len({p["wallet"] for p in postings}) != len(postings)):
        raise bad("amount_cents and postings do not add up")
    return data
