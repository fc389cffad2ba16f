"""Schema versions. ``PRAGMA user_version`` holds the version of a store; ``MIGRATIONS[n]``
takes a store from version n to n+1. Migrations only ever add: a store written by an older
version opens with its data intact. Never edit a migration that has shipped; add one."""
from __future__ import annotations

import json
import sqlite3

# The journal and its postings are append-only: the program has no UPDATE or DELETE path on
# them, and these triggers make SQLite refuse one too.
_APPEND_ONLY = """
CREATE TRIGGER {t}_append_only_u BEFORE UPDATE ON {t}
BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;
CREATE TRIGGER {t}_append_only_d BEFORE DELETE ON {t}
BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;
"""

V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    wallet_kind TEXT            -- which of the student's wallets pays; NULL: the default one
);
CREATE TABLE articles (
    code TEXT PRIMARY KEY,
    name_fr TEXT NOT NULL, name_nl TEXT, name_en TEXT,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    category TEXT NOT NULL,
    allergens TEXT NOT NULL DEFAULT '[]',     -- JSON list of flags (gluten, pork, nuts...)
    profiles TEXT NOT NULL DEFAULT '[]',      -- JSON list of terminal profiles selling it
    reservable INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE students (
    id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    class_name TEXT NOT NULL,
    photo_ref TEXT,
    daily_limit_cents INTEGER,                -- parents' limit per day; NULL: none
    blocked_categories TEXT NOT NULL DEFAULT '[]',
    blocked_articles TEXT NOT NULL DEFAULT '[]',
    flags TEXT NOT NULL DEFAULT '[]'          -- allergen and diet flags
);
CREATE INDEX students_class ON students(class_name);
CREATE TABLE badges (
    uid TEXT PRIMARY KEY,                     -- upper-case hex, no separators
    student_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'blocked'))
);
CREATE INDEX badges_student ON badges(student_id);
CREATE TABLE wallets (
    id TEXT PRIMARY KEY,
    student_id TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'main',
    name TEXT NOT NULL,
    structured_communication TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 1,
    balance_cents INTEGER NOT NULL,           -- last balance received from the server...
    included_seq INTEGER NOT NULL DEFAULT 0   -- ...which includes this terminal's entries up to here
);
CREATE INDEX wallets_student ON wallets(student_id);
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    student_id TEXT NOT NULL,
    article_code TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('reserved', 'delivered', 'cancelled')),
    delivered_at TEXT, delivered_where TEXT, delivered_seq INTEGER
);
CREATE INDEX reservations_student_day ON reservations(student_id, day);
CREATE INDEX reservations_day ON reservations(day);
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('seller', 'supervisor', 'admin')),
    pin_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    lock_count INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

CREATE TABLE journal (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    uuid TEXT NOT NULL,                       -- UUIDv7: unique by construction, not indexed
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'pickup', 'photocopy', 'close')),
    ts TEXT NOT NULL,
    day TEXT NOT NULL,
    operator_id TEXT,
    student_id TEXT,
    amount_cents INTEGER NOT NULL,            -- net effect on the student's wallets
    ref_seq INTEGER,                          -- a void: the entry it voids
    body TEXT NOT NULL,                       -- canonical JSON, what the hash covers
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- Every index here is one more page written, checksummed and fsynced with each sale: only
-- what the sale path needs (exports by date scan the table).
CREATE INDEX journal_student_day ON journal(student_id, day);
CREATE INDEX journal_kind ON journal(kind);
CREATE INDEX journal_ref ON journal(ref_seq) WHERE ref_seq IS NOT NULL;
""" + _APPEND_ONLY.format(t="journal") + """
CREATE TABLE print_jobs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    entry_seq INTEGER,
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'printed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    printed_at TEXT
);
CREATE INDEX print_jobs_status ON print_jobs(status);
"""

# Version 2: per-wallet postings, so that a displayed balance is one indexed sum whatever the
# size of the journal (version 1 parsed entry bodies). Backfilled from the journal itself.
V2 = """
CREATE TABLE postings (
    seq INTEGER NOT NULL,
    wallet_id TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (seq, wallet_id)
) WITHOUT ROWID;
CREATE INDEX postings_wallet ON postings(wallet_id, seq);
""" + _APPEND_ONLY.format(t="postings")


def _v2(conn: sqlite3.Connection) -> None:
    for stmt in _split(V2):
        conn.execute(stmt)
    rows = conn.execute("SELECT seq, body FROM journal ORDER BY seq")
    conn.executemany(
        "INSERT INTO postings (seq, wallet_id, amount_cents) VALUES (?, ?, ?)",
        ((seq, p["wallet"], p["amount_cents"])
         for seq, body in rows for p in json.loads(body).get("postings", [])),
    )


# Version 3: the index on journal.kind was written by every sale but only ever used to find
# the last day close; a partial index on the close entries does that job for free.
V3 = """
DROP INDEX journal_kind;
CREATE INDEX journal_closes ON journal(seq) WHERE kind = 'close';
"""


def _v3(conn: sqlite3.Connection) -> None:
    for stmt in _split(V3):
        conn.execute(stmt)


# Version 4: postings keyed by wallet. A displayed balance reads one wallet's postings after
# its included seq: with (wallet_id, seq) as the table's own key that is one range of the
# table, and a sale writes one page fewer than with the old (seq, wallet_id) key plus an
# index on (wallet_id, seq). The chain check, which reads postings by entry, looks them up
# by key (kiosk.journal.verify). Rebuilt from the old table, row for row.
V4 = """
CREATE TABLE postings_v4 (
    wallet_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (wallet_id, seq)
) WITHOUT ROWID;
INSERT INTO postings_v4 (wallet_id, seq, amount_cents)
    SELECT wallet_id, seq, amount_cents FROM postings ORDER BY wallet_id, seq;
DROP TABLE postings;
ALTER TABLE postings_v4 RENAME TO postings;
""" + _APPEND_ONLY.format(t="postings")


def _v4(conn: sqlite3.Connection) -> None:
    before = conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM postings").fetchone()
    for stmt in _split(V4):
        conn.execute(stmt)
    after = conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM postings").fetchone()
    if after != before:        # cannot happen; if it did, the transaction is rolled back
        raise RuntimeError(f"postings rebuild lost rows: {before} -> {after}")


# Version 5: two more journal kinds, a badge blocked (lost, stolen) and unblocked, which the
# platform applies and hands to every terminal. SQLite cannot change a CHECK: the journal is
# rebuilt, row for row, with its indexes and its append-only triggers.
V5 = """
CREATE TABLE journal_v5 (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    uuid TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'pickup', 'photocopy', 'close',
                                       'badge_block', 'badge_unblock')),
    ts TEXT NOT NULL,
    day TEXT NOT NULL,
    operator_id TEXT,
    student_id TEXT,
    amount_cents INTEGER NOT NULL,
    ref_seq INTEGER,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO journal_v5 SELECT seq, uuid, kind, ts, day, operator_id, student_id, amount_cents,
    ref_seq, body, prev_hash, hash FROM journal ORDER BY seq;
DROP TABLE journal;
ALTER TABLE journal_v5 RENAME TO journal;
CREATE INDEX journal_student_day ON journal(student_id, day);
CREATE INDEX journal_ref ON journal(ref_seq) WHERE ref_seq IS NOT NULL;
CREATE INDEX journal_closes ON journal(seq) WHERE kind = 'close';
""" + _APPEND_ONLY.format(t="journal")


def _v5(conn: sqlite3.Connection) -> None:
    before = conn.execute("SELECT COUNT(*), MAX(seq), (SELECT hash FROM journal ORDER BY seq DESC"
                          " LIMIT 1) FROM journal").fetchone()
    for stmt in _split(V5):
        conn.execute(stmt)
    after = conn.execute("SELECT COUNT(*), MAX(seq), (SELECT hash FROM journal ORDER BY seq DESC"
                         " LIMIT 1) FROM journal").fetchone()
    if after != before:        # cannot happen; if it did, the transaction is rolled back
        raise RuntimeError(f"journal rebuild lost rows: {before} -> {after}")


def _v1(conn: sqlite3.Connection) -> None:
    for stmt in _split(V1):
        conn.execute(stmt)


def _split(script: str) -> list[str]:
    """Split DDL into statements (``executescript`` would commit our transaction)."""
    out, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf.append(line)
        if line.rstrip().endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out


# Version 6: a print job is printed only once the printer confirmed it. New states:
# ``unconfirmed`` (its bytes went out, no confirmation came: it prints again, marked as a
# possible second copy, once the printer confirms again) and ``sent`` (sent to a printer
# declared without status: nothing more can be known). ``sends``: how many times its bytes
# went to the printer. SQLite cannot change a CHECK: the table is rebuilt, row for row.
V6 = """
CREATE TABLE print_jobs_v6 (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    entry_seq INTEGER,
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'unconfirmed', 'printed', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    printed_at TEXT,
    sends INTEGER NOT NULL DEFAULT 0
);
INSERT INTO print_jobs_v6 (id, created_at, kind, entry_seq, payload, status, attempts,
                           last_error, printed_at, sends)
    SELECT id, created_at, kind, entry_seq, payload, status, attempts, last_error, printed_at,
           CASE WHEN status = 'printed' THEN 1 ELSE 0 END FROM print_jobs ORDER BY id;
DROP TABLE print_jobs;
ALTER TABLE print_jobs_v6 RENAME TO print_jobs;
CREATE INDEX print_jobs_status ON print_jobs(status);
"""


def _v6(conn: sqlite3.Connection) -> None:
    before = conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone()
    for stmt in _split(V6):
        conn.execute(stmt)
    if conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone() != before:
        raise RuntimeError("print_jobs rebuild lost rows")       # rolled back


# v7: categories get their names in the other languages (``name`` stays the French one, the
# one always there, as the articles' ``name_fr``); an empty one falls back (``kiosk.names``).
def _v7(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE categories ADD COLUMN name_nl TEXT")
    conn.execute("ALTER TABLE categories ADD COLUMN name_en TEXT")


# v8: entries set aside from the journal when a store restored from an older backup had sold
# on a fork of its own chain (``kiosk.recovery``): the platform's entries took their numbers,
# and each was sold again at the end of the chain (``replayed_seq``). Kept as they were.
def _v8(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE journal_forks (seq INTEGER NOT NULL, hash TEXT NOT NULL,"
                 " prev_hash TEXT NOT NULL, body TEXT NOT NULL, set_aside_at TEXT NOT NULL,"
                 " replayed_seq INTEGER, PRIMARY KEY (seq, hash))")


# v9: one more journal kind, cash taken at the desk for a top-up (``kiosk.cash_topups``). The
# journal is rebuilt as in v5, with the new CHECK (SQLite cannot change one).
V9 = V5.replace("journal_v5", "journal_v9").replace(
    "'badge_block', 'badge_unblock')", "'badge_block', 'badge_unblock', 'cash_topup')")


def _v9(conn: sqlite3.Connection) -> None:
    before = conn.execute("SELECT COUNT(*), MAX(seq), (SELECT hash FROM journal ORDER BY seq DESC"
                          " LIMIT 1) FROM journal").fetchone()
    for stmt in _split(V9):
        conn.execute(stmt)
    after = conn.execute("SELECT COUNT(*), MAX(seq), (SELECT hash FROM journal ORDER BY seq DESC"
                         " LIMIT 1) FROM journal").fetchone()
    if after != before:        # cannot happen; if it did, the transaction is rolled back
        raise RuntimeError(f"journal rebuild lost rows: {before} -> {after}")


MIGRATIONS = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]
CURRENT_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = CURRENT_VERSION) -> int:
    """Bring the store up to ``target`` in one transaction per step; returns the version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > CURRENT_VERSION:
        from sync.common.errors import StoreError
        raise StoreError("store_too_new", version=version, supported=CURRENT_VERSION)
    while version < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < target:
                MIGRATIONS[version](conn)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return version
