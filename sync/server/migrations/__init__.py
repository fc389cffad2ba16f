"""The central database's schema migrations: numbered Alembic revisions of plain SQL.

Every change to the platform's schema is one file of ``versions/``, named after its revision
(``0002_devices_version.py`` is revision ``0002``, revising ``0001``), whose ``upgrade()`` runs
portable SQL (see ``backends``) with ``execute``: the same text on SQLite and PostgreSQL.
Alembic runs them over a SQLAlchemy connection made from the same ``--db`` (the app's own
queries stay raw SQL over sqlite3/psycopg) and records the revision in ``alembic_version``.

    upgrade(open_database(db), create=True)    # a new database, or any older one, at HEAD

When upgrades run: at every open of the store (``CentralStore``, hence ``comptoir central
init``, ``serve`` and every other command), as release 0.1.0 ran its ``CREATE … IF NOT
EXISTS`` at every open, so a school without IT upgrades by installing the new version and
restarting the server; ``comptoir central migrate --db …`` does the same explicitly and says
the revision before and after. A database already at ``HEAD`` costs one read (no SQLAlchemy,
no Alembic, no lock).

- **One transaction, one writer.** An upgrade is one transaction: every revision it runs and
  the new ``alembic_version`` commit together or not at all (SQLite and PostgreSQL both have
  transactional DDL), so a failed upgrade leaves the database at the revision it had, which
  the previous release still serves. It is a write like any other: on SQLite it begins with
  ``BEGIN IMMEDIATE`` (the database's write lock), on PostgreSQL it first takes the writers'
  advisory lock (``backends.WRITER_LOCK``, for the transaction). Several processes started at
  once on one database therefore upgrade one after the other: the first runs the revisions,
  the others find ``HEAD`` once they hold the lock, and change nothing.
- **A database of release 0.1.0** has no ``alembic_version``; it is known by its
  ``central_meta`` row ``schema = 1``. Revision 0001 is 0.1.0's schema, all ``CREATE … IF NOT
  EXISTS``: run on such a database it creates nothing (it is the stamp, and it adds any table
  or index an early 0.1.0 database would lack, as 0.1.0 itself did at each open), then the
  later revisions run. ``central_meta``'s ``schema = 1`` stays: 0.1.0 checks it, and can still
  serve a database at 0002 (new nullable columns only). A revision that 0.1.0 must not serve
  sets it to 2 so that 0.1.0 refuses the database.
- **A database newer than the code** (a revision not in ``versions/``, e.g. after a rollback
  of the software) is refused with ``SchemaError`` and never touched. Revisions only go
  forward: ``downgrade()`` is not written; going back means restoring a backup.
- A revision's SQL must keep to what a transaction may hold on both backends (no ``CREATE
  INDEX CONCURRENTLY``, no ``VACUUM``). Values are literals in the text: ``execute`` passes
  no parameters, so ``%`` and ``?`` are plain characters. On SQLite, foreign keys are not
  enforced while revisions run (SQLite's own way to rebuild a table: new table, copy,
  drop, rename), so a revision that moves rows keeps them consistent itself.

Adding a migration: ``python -m sync.server.migrations new "devices: last IP"`` writes the
next numbered file in ``versions/``; fill its ``upgrade()`` and bump nothing else (``HEAD``
follows the files).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sync.server.backends import WRITER_LOCK, postgres_ddl
from sync.server.errors import Phrase

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

    from sync.server.backends import PostgreSQL, SQLite

log = logging.getLogger("comptoir.central")

FOLDER = Path(__file__).resolve().parent
VERSIONS = FOLDER / "versions"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
# The revisions, oldest first, read from the file names (a test checks that Alembic agrees).
REVISIONS: tuple[str, ...] = tuple(sorted(
    m.group(1) for m in map(_REVISION_FILE.match, (p.name for p in VERSIONS.iterdir())) if m))
HEAD = REVISIONS[-1]
NO_CENTRAL_DATABASE = Phrase("no central database (make one with 'comptoir central init')")


class SchemaError(Exception):
    """The database's schema cannot be brought to this code's: the message (``args[0]``, a
    ``Phrase``) says why."""


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` found and left: revisions (``before`` None: no schema at all, or
    ``unversioned``: release 0.1.0's schema with no revision recorded)."""
    before: str | None
    after: str
    unversioned: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after


def describe(revision: str | None, unversioned: bool = False) -> str:
    """A revision for people: ``0002 (head)``, ``none (release 0.1.0's schema)``."""
    if revision is None:
        if unversioned:
            return Phrase("none (release 0.1.0's schema)")
        return Phrase("none (empty database)")
    return Phrase("{revision} (head)", revision=revision) if revision == HEAD else revision


def _state(rows: Callable[[str], list], tables_sql: str) -> tuple[str | None, bool]:
    """``(revision, unversioned)`` of a database: its recorded revision; ``(None, True)`` for
    release 0.1.0's schema; ``(None, False)`` when it holds no central schema at all."""
    tables = {row[0] for row in rows(tables_sql)}
    if "alembic_version" in tables:
        found = rows("SELECT version_num FROM alembic_version")
        if len(found) != 1:
            raise SchemaError(Phrase("not a central database ({rows} rows in alembic_version)",
                                     rows=len(found)))
        return found[0][0], False
    if "central_meta" in tables:
        found = rows("SELECT value FROM central_meta WHERE name = 'schema'")
        if found and found[0][0] == "1":
            return None, True
        raise SchemaError(Phrase("not a central database of a known schema (central_meta:"
                                 " schema {schema})", schema=found[0][0] if found else "-"))
    return None, False


def _check(revision: str | None, unversioned: bool, create: bool) -> None:
    if revision is not None and revision not in REVISIONS:
        raise SchemaError(Phrase(
            "the database is at schema revision {revision}, newer than this version of"
            " comptoir knows (up to {head}): run a version that knows it (the database was"
            " not changed)", revision=revision, head=HEAD))
    if revision is None and not unversioned and not create:
        raise SchemaError(NO_CENTRAL_DATABASE)


def current(backend: SQLite | PostgreSQL) -> tuple[str | None, bool]:
    """The database's ``(revision, unversioned)`` (see ``_state``), read through the app's
    own connection (``backend``: ``backends.open_database(db)``)."""
    with backend.transaction(write=False) as conn:
        return _state(lambda sql: conn.execute(backend.sql(sql)).fetchall(), backend.TABLES)


def upgrade(backend: SQLite | PostgreSQL, create: bool = False) -> Upgrade:
    """Bring the database to ``HEAD``, under the writers' lock, in one transaction.

    ``create``: a database with no schema at all gets one (``init``); without it, that is a
    ``SchemaError`` (no central database), as is a database at an unknown (newer) revision.
    Database errors are the backend's own (``backend.errors``), as for any statement."""
    if not create and backend.path is not None and not backend.path.exists():
        raise SchemaError(NO_CENTRAL_DATABASE)          # not even an empty file made
    before, unversioned = current(backend)
    _check(before, unversioned, create)
    if before == HEAD:
        return Upgrade(before, before)
    from sqlalchemy.exc import DBAPIError
    engine = backend.migration_engine()
    try:
        with engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")
            # Again, now that no other writer runs: another process may have upgraded it.
            before, unversioned = _state(lambda sql: conn.exec_driver_sql(sql).fetchall(),
                                         backend.TABLES)
            _check(before, unversioned, create)
            if before != HEAD:
                try:
                    _alembic_upgrade(conn)
                except DBAPIError as e:     # leaving the transaction rolls everything back
                    raise SchemaError(Phrase(
                        "upgrading the schema from {before} to {head} failed, the database was"
                        " not changed: {error}", before=describe(before, unversioned), head=HEAD,
                        error=" ".join(str(e.orig).split()))) from None
                after = _state(lambda sql: conn.exec_driver_sql(sql).fetchall(),
                               backend.TABLES)[0]
                assert after == HEAD, after
    except DBAPIError as e:
        if e.orig is None:
            raise
        raise e.orig from None          # the driver's own error, as the app's queries raise
    finally:
        engine.dispose()
    done = Upgrade(before, HEAD, unversioned)
    if done.changed:
        log.info("%s: schema upgraded from revision %s to %s", backend.label,
                 describe(before, unversioned), HEAD)
    return done


def _config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, made in code (no alembic.ini)."""
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(FOLDER).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _alembic_upgrade(conn: Connection, target: str = "head") -> None:
    from alembic import command
    command.upgrade(_config(conn), target)


class _Context(Protocol):
    """What ``run_env`` uses of Alembic's ``context``: the module ``env.py`` imports, which
    stands for the running ``EnvironmentContext``."""

    config: Config

    def is_offline_mode(self) -> bool: ...
    def configure(self, *, connection: Connection, transactional_ddl: bool,
                  transaction_per_migration: bool) -> None: ...
    def begin_transaction(self) -> AbstractContextManager[Any]: ...
    def run_migrations(self) -> None: ...


def run_env(context: _Context) -> None:
    """What ``env.py`` does: run the revisions on the connection ``upgrade`` holds, inside its
    transaction (Alembic then begins and commits nothing itself)."""
    conn = context.config.attributes.get("connection")
    if context.is_offline_mode() or conn is None:
        raise SchemaError(Phrase("migrations run through 'comptoir central migrate --db …'"
                                 " (or sync.server.migrations.upgrade), not the alembic"
                                 " command"))
    # SQLite's DDL is transactional too (Alembic assumes it is not).
    context.configure(connection=conn, transactional_ddl=True,
                      transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


def execute(statement: str) -> None:
    """In a revision's ``upgrade()``: run one statement of portable SQL (``backends``), as is
    on SQLite, in PostgreSQL's words on PostgreSQL (``backends.postgres_ddl``). No parameters:
    values are literals in the text."""
    from alembic import op
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        statement = postgres_ddl(statement)
    bind.exec_driver_sql(statement, execution_options={"no_parameters": True})


def new_revision(message: str) -> Path:
    """Write the next numbered revision file (``python -m sync.server.migrations new MSG``)."""
    number = f"{int(HEAD) + 1:04d}"
    slug = re.sub(r"\W+", "_", message.lower()).strip("_")[:40] or "change"
    path = VERSIONS / f"{number}_{slug}.py"
    path.write_text(_TEMPLATE.format(number=number, previous=HEAD, message=message),
                    encoding="utf-8")
    return path


_TEMPLATE = '''"""{message}

What it changes and why, for the next reader. Revision {number}, after {previous}.
Portable SQL through ``execute`` (see ``sync.server.migrations``): it runs inside the
upgrade's one transaction, on SQLite and PostgreSQL alike.
"""
from sync.server.migrations import execute

revision = "{number}"
down_revision = "{previous}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute("...")


def downgrade() -> None:
    raise NotImplementedError("revisions only go forward: restore a backup to go back")
'''
