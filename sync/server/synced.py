"""Writing one row that terminals pull (``entities.ENTITIES``) from the back office: the row
as the model gives it, with a new change version taken in the caller's transaction, so that
every terminal of the school gets it with its next pull (``pull``)."""
from __future__ import annotations

from pydantic import BaseModel

from sync.server.database import Connection, Database
from sync.server.entities import ENTITIES, Entity

BY_NAME: dict[str, Entity] = {entity.name: entity for entity in ENTITIES}


def upsert(db: Database, conn: Connection, school_id: str, table: str,
           model: BaseModel) -> None:
    """Insert or replace ``model`` (a ``sync.models`` Category, Article or Operator) in its
    table of ``school_id``, under a new change version."""
    entity = BY_NAME[table]
    cols = entity.columns
    version = db.next_versions(conn, 1)
    db.execute(conn, f"INSERT INTO {table} (school_id, {', '.join(cols)}, version)"
                     f" VALUES ({', '.join('?' * (len(cols) + 2))})"
                     f" ON CONFLICT (school_id, {cols[0]}) DO UPDATE SET "
                     + ", ".join(f"{c} = excluded.{c}" for c in cols[1:] + ("version",)),
               (school_id, *entity.to_row(model), version))


def records(db: Database, conn: Connection, school_id: str, table: str,
            key: str | None = None) -> list[dict]:
    """The school's rows of ``table`` as DataSet records (one, by its key, or all of them
    in key order)."""
    entity = BY_NAME[table]
    cols = entity.columns
    sql = f"SELECT {', '.join(cols)} FROM {table} WHERE school_id = ?"
    params: tuple = (school_id,)
    if key is not None:
        sql, params = sql + f" AND {cols[0]} = ?", (school_id, key)
    rows = db.execute(conn, sql + f" ORDER BY {cols[0]}", params).fetchall()
    return [entity.to_record(row) for row in rows]
