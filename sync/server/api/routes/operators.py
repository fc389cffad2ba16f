"""The operators of the school's terminals as a JSON API (``sync.server.operators`` does the
work). A PIN is in the answer of the one call that sets it (creating, resetting), never
again; the hash is never shown.

    GET  /api/v1/admin/operators                  -> OperatorList
    POST /api/v1/admin/operators                  NewOperator -> OperatorWithPin
    GET  /api/v1/admin/operators/{id}             -> OperatorOut
    PUT  /api/v1/admin/operators/{id}             OperatorFields -> OperatorOut
    POST /api/v1/admin/operators/{id}/pin         PinReset -> OperatorWithPin
    POST /api/v1/admin/operators/{id}/deactivate (or /activate) -> OperatorOut
    POST /api/v1/admin/operators/{id}/unlock      -> OperatorOut (lifted at the next pull)
    GET  /api/v1/admin/operator-locks             -> LockList (from the terminals' health)

Reading needs ``operators.read``, writing ``operators.write``; an id of another school is
``not_found``, as an unknown one."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from sync.protocol import API
from sync.server import operators
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, answer
from sync.server.api_model import ApiModel
from sync.server.permissions import Staff

OPERATORS = f"{API}/admin/operators"
OPERATOR = OPERATORS + "/{operator_id}"
LOCKS = f"{API}/admin/operator-locks"

router = APIRouter(tags=["operators"], responses=ERRORS)
Reader = Annotated[Staff, office("operators.read")]
Writer = Annotated[Staff, office("operators.write")]


class OperatorOut(ApiModel):
    id: str
    name: str
    role: operators.Role
    active: bool
    unlocked_at: str | None = None      # the office's last unlock (ISO 8601 UTC)


class Lock(ApiModel):
    operator_id: str
    operator_name: str
    device_id: str
    device_name: str
    until: str                          # ISO 8601 UTC, as the terminal reported it
    reported_at: str                    # when the platform received that report


class LockList(ApiModel):
    locks: list[Lock]


class OperatorList(ApiModel):
    operators: list[OperatorOut]


class OperatorWithPin(ApiModel):
    operator: OperatorOut
    pin: str            # shown this once: only its hash is kept


@router.get(OPERATORS, response_model=OperatorList)
def operator_list(store: Store, staff: Reader) -> Response:
    return answer(OperatorList, {"operators": operators.operators(store, staff.school_id)})


@router.post(OPERATORS, response_model=OperatorWithPin, status_code=201)
def operator_create(new: operators.NewOperator, store: Store, staff: Writer) -> Response:
    found, pin = operators.create_operator(store, staff.school_id, new)
    return answer(OperatorWithPin, {"operator": found, "pin": pin}, 201)


@router.get(OPERATOR, response_model=OperatorOut)
def operator_get(operator_id: str, store: Store, staff: Reader) -> Response:
    return answer(OperatorOut, operators.operator(store, staff.school_id, operator_id))


@router.put(OPERATOR, response_model=OperatorOut)
def operator_update(operator_id: str, fields: operators.OperatorFields, store: Store,
                    staff: Writer) -> Response:
    return answer(OperatorOut,
                  operators.update_operator(store, staff.school_id, operator_id, fields))


@router.post(OPERATOR + "/pin", response_model=OperatorWithPin)
def operator_pin(operator_id: str, reset: operators.PinReset, store: Store,
                 staff: Writer) -> Response:
    found, pin = operators.reset_pin(store, staff.school_id, operator_id, reset)
    return answer(OperatorWithPin, {"operator": found, "pin": pin})


@router.post(OPERATOR + "/deactivate", response_model=OperatorOut)
def operator_deactivate(operator_id: str, store: Store, staff: Writer) -> Response:
    return answer(OperatorOut,
                  operators.set_operator_active(store, staff.school_id, operator_id, False))


@router.post(OPERATOR + "/activate", response_model=OperatorOut)
def operator_activate(operator_id: str, store: Store, staff: Writer) -> Response:
    return answer(OperatorOut,
                  operators.set_operator_active(store, staff.school_id, operator_id, True))


@router.post(OPERATOR + "/unlock", response_model=OperatorOut)
def operator_unlock(operator_id: str, store: Store, staff: Writer) -> Response:
    return answer(OperatorOut, operators.unlock(store, staff.school_id, operator_id))


@router.get(LOCKS, response_model=LockList)
def operator_locks(store: Store, staff: Reader) -> Response:
    return answer(LockList, {"locks": operators.lockouts(store, staff.school_id)})
