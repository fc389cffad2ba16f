"""Wallets: their opening balance; the platform's verifications of what it holds.

``wallets.opening_cents`` is the balance a wallet had when it was first loaded (a DataSet's
``balance_cents`` of a new wallet, 0 from a roster): with it, every balance can be recomputed
from all its movements (``sync.server.verify``). A database upgraded to this revision has its
openings taken from its state at the upgrade: opening = balance − the platform's movements −
the terminals' postings (what the database holds then is the baseline).

``verifications``: one row per run of ``sync.server.verify`` (nightly, ``comptoir central
verify``, the admin endpoint), with what it found. ``night`` is set for the nightly run only,
unique per school, so that several server processes run it once a night.

Revision 0006, after 0005. A column with a default and a new table: older releases can still
serve the database (a wallet they create has an opening of 0).
"""
from sync.server.migrations import execute

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every wallet's opening: its balance less what moved it (tests/test_server_verify.py runs it).
OPENINGS = ("UPDATE wallets SET opening_cents = balance_cents"
            " - COALESCE((SELECT SUM(m.amount_cents) FROM wallet_movements m"
            " WHERE m.school_id = wallets.school_id AND m.wallet_id = wallets.id), 0)"
            " - COALESCE((SELECT SUM(p.amount_cents) FROM postings p JOIN devices d"
            " ON d.id = p.device_id WHERE d.school_id = wallets.school_id"
            " AND p.wallet_id = wallets.id), 0)")


def upgrade() -> None:
    execute("ALTER TABLE wallets ADD COLUMN opening_cents BIGINT NOT NULL DEFAULT 0")
    execute(OPENINGS)
    execute("CREATE TABLE IF NOT EXISTS verifications (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " school_id TEXT NOT NULL REFERENCES schools(id), night TEXT, trigger TEXT NOT NULL,"
            " started_at TEXT NOT NULL, finished_at TEXT, problems INTEGER,"
            " findings TEXT)")
    execute("CREATE UNIQUE INDEX IF NOT EXISTS verifications_night"
            " ON verifications (school_id, night)")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
