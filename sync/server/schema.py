"""The platform's tables: every ``CREATE`` statement of the central database, in the order
they run (``database.Database`` runs each one when it opens a database).

Plain portable SQL for both backends (``BIGINT`` for cents, seqs and versions, 0/1 for
booleans, ISO text for instants). ``devices.version`` and ``devices.last_seen_at`` are what a
terminal last reported of itself (its software version, from its User-Agent) and when it was
last heard from; both stay NULL until its first authenticated request.
"""
from __future__ import annotations

DDL = [
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
    " high_water BIGINT NOT NULL DEFAULT 0, last_hash TEXT NOT NULL,"
    " version TEXT, last_seen_at TEXT)",
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
