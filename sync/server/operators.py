"""The operators of the school's terminals, as its office keeps them: name, role (seller,
supervisor, admin), active or not, and the PIN.

A PIN is chosen by the office or drawn at random (``sync.common.pins.new_pin``), handed back
once by the call that sets it, and stored only as its Argon2id hash, which is what the
terminals pull: no call ever shows it again. Every write is one transaction scoped to the
school and takes a new change version (``synced.upsert``), so terminals get it with their
next pull; a terminal that gets a new PIN hash forgets that operator's lockout
(``kiosk.importer``): resetting the PIN is how the office unlocks an operator. Operators are
deactivated, never deleted: the journal names them."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.common.pins import HASHER, PIN as PIN_RULE, new_pin
from sync.models import Operator
from sync.server import synced, terminal_health
from sync.server.database import Connection, Database
from sync.server.errors import CentralError

ROLES = ("seller", "supervisor", "admin")
Role = Literal["seller", "supervisor", "admin"]
PIN_PATTERN = PIN_RULE.pattern


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              str_strip_whitespace=True)


class OperatorFields(_In):
    name: str = Field(min_length=1, max_length=60)
    role: Role
    active: bool = True


class NewOperator(_In):
    name: str = Field(min_length=1, max_length=60)
    role: Role
    pin: str | None = Field(default=None, pattern=PIN_PATTERN)   # None: drawn at random


class PinReset(_In):
    pin: str | None = Field(default=None, pattern=PIN_PATTERN)   # None: drawn at random


def operators(db: Database, school_id: str) -> list[dict]:
    """The school's operators by name (never their PIN hash)."""
    with db.transaction(write=False) as conn:
        found = synced.records(db, conn, school_id, "operators")
    return sorted((_shown(o) for o in found), key=lambda o: o["name"].casefold())


def operator(db: Database, school_id: str, operator_id: str) -> dict:
    with db.transaction(write=False) as conn:
        return _shown(_operator_in(db, conn, school_id, operator_id))


def create_operator(db: Database, school_id: str, new: NewOperator) -> tuple[dict, str]:
    """A new operator; returns it and its PIN (the one given or drawn), to show once."""
    pin = new.pin or new_pin()
    pin_hash = HASHER.hash(pin)             # slow: outside the transaction
    operator_id = "op-" + uuid.uuid4().hex[:12]
    with db.transaction() as conn:
        _check_name(db, conn, school_id, new.name, operator_id)
        synced.upsert(db, conn, school_id, "operators", Operator(
            id=operator_id, name=new.name, role=new.role, pin_hash=pin_hash))
        return _shown(_operator_in(db, conn, school_id, operator_id)), pin


def update_operator(db: Database, school_id: str, operator_id: str,
                    fields: OperatorFields) -> dict:
    """Rename, change the role, deactivate or reactivate; the PIN stays."""
    with db.transaction() as conn:
        old = _operator_in(db, conn, school_id, operator_id)
        _check_name(db, conn, school_id, fields.name, operator_id)
        return _write(db, conn, school_id, old, name=fields.name, role=fields.role,
                      active=fields.active)


def set_operator_active(db: Database, school_id: str, operator_id: str, active: bool) -> dict:
    with db.transaction() as conn:
        old = _operator_in(db, conn, school_id, operator_id)
        return _shown(old) if old["active"] == active else _write(
            db, conn, school_id, old, active=active)


def reset_pin(db: Database, school_id: str, operator_id: str,
              reset: PinReset) -> tuple[dict, str]:
    """A new PIN (the one given or drawn): returns the operator and the PIN, to show once."""
    pin = reset.pin or new_pin()
    pin_hash = HASHER.hash(pin)
    with db.transaction() as conn:
        old = _operator_in(db, conn, school_id, operator_id)
        return _write(db, conn, school_id, old, pin_hash=pin_hash), pin


def unlock(db: Database, school_id: str, operator_id: str) -> dict:
    """Lift the operator's lockout at every terminal: an unlock stamp (the platform's time)
    that the terminals pull and apply to a lock that began before it (``kiosk.operators``)."""
    with db.transaction() as conn:
        old = _operator_in(db, conn, school_id, operator_id)
        return _write(db, conn, school_id, old, unlocked_at=db.stamp())


def lockouts(db: Database, school_id: str, now: datetime | None = None) -> list[dict]:
    """Who is locked out on which terminal, by the terminals' latest health reports
    (``terminal_health.locked_operators``), with the operator's name; ids the school does
    not know are left out."""
    names = {o["id"]: o["name"] for o in operators(db, school_id)}
    return [lock | {"operator_name": names[lock["operator_id"]]}
            for lock in terminal_health.locked_operators(db, school_id, now)
            if lock["operator_id"] in names]


def _write(db: Database, conn: Connection, school_id: str, old: dict, **changes: object) -> dict:
    synced.upsert(db, conn, school_id, "operators", Operator.model_validate({**old, **changes}))
    return _shown(_operator_in(db, conn, school_id, old["id"]))


def _check_name(db: Database, conn: Connection, school_id: str, name: str,
                operator_id: str) -> None:
    """Names are what operators log in with: unique in the school without regard to case,
    the inactive ones' included (a terminal refuses a pull that would make two alike)."""
    for other in synced.records(db, conn, school_id, "operators"):
        if other["id"] != operator_id and other["name"].casefold() == name.casefold():
            raise CentralError("invalid", "an operator is already named {name!r}", name=name)


def _operator_in(db: Database, conn: Connection, school_id: str, operator_id: str) -> dict:
    found = synced.records(db, conn, school_id, "operators", operator_id)
    if not found:
        raise CentralError("not_found", "no operator {id!r} in this school",
                           id=operator_id[:40])
    return found[0]


def _shown(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "pin_hash"}

