"""Students: the back office's search, and their photos.

The office searches a school's students by the start of their names, class or id
(``sync.server.students``): an index on each, in lower case, so that a search on a
100,000-student school reads the rows that match, not the school; and one by name for the
list of everyone, read in order up to its limit. A student's badges and wallets are read by
student (the student's page).

Photos (``student_photos``): the one photo the office uploaded for a student, already checked,
resized and re-encoded as JPEG, kept as base64 text (the same on SQLite and PostgreSQL, and
what the terminals fetch). ``ref`` is what ``students.photo_ref`` names (``photos/<hash>.jpg``):
a new photo is a new ref, so the terminals' next pull carries the change and they fetch it.

Revision 0011, after 0010 (the school calendar). New indexes and a new table: older
releases can still serve the database.
"""
from sync.server.migrations import execute

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("CREATE INDEX IF NOT EXISTS students_by_name"
            " ON students (school_id, last_name, first_name, id)")
    # What a search compares (``students.search``: the start of each, in lower case).
    for column in ("last_name", "first_name", "class_name", "id"):
        execute(f"CREATE INDEX IF NOT EXISTS students_search_{column}"
                f" ON students (school_id, (LOWER({column})))")
    execute("CREATE INDEX IF NOT EXISTS badges_by_student ON badges (school_id, student_id)")
    execute("CREATE INDEX IF NOT EXISTS wallets_by_student ON wallets (school_id, student_id)")
    execute("CREATE TABLE IF NOT EXISTS student_photos (school_id TEXT NOT NULL"
            " REFERENCES schools(id), student_id TEXT NOT NULL, ref TEXT NOT NULL,"
            " content_b64 TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL,"
            " PRIMARY KEY (school_id, student_id))")
    # Not unique: two students may have the very same picture (a placeholder).
    execute("CREATE INDEX IF NOT EXISTS student_photos_ref ON student_photos"
            " (school_id, ref)")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
