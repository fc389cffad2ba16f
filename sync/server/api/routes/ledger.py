"""The platform's money and roster (``sync.server.ledger_api``): reservations, top-ups,
bank statements, the roster file, a wallet's history. Admin tokens only, but for reserving and
cancelling (``reservations_router``), which the office's staff may do too (``reservations.write``)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.server import bank_statement, ledger, ledger_api, roster
from sync.server.api.deps import SchoolId, Store, admin_auth, office
from sync.server.api.http import ERRORS, json_answer, query_day
from sync.server.permissions import Staff

router = APIRouter(tags=["ledger"], dependencies=[Depends(admin_auth)], responses=ERRORS)
# Reserving and cancelling: the office's staff too (``office``: session, staff or admin token).
reservations_router = APIRouter(tags=["ledger"], responses=ERRORS)


@reservations_router.post(ledger_api.RESERVATIONS, response_model=ledger_api.ReservationAnswer)
def reserve(req: ledger_api.ReservationRequest, store: Store,
            staff: Annotated[Staff, office("reservations.write")]) -> Response:
    return json_answer(ledger_api.ReservationAnswer.model_validate(ledger.create_reservation(
        store, staff.school_id, req.student_id, req.day, req.article_code, req.quantity,
        req.confirm_allergens)))


@reservations_router.post(ledger_api.CANCEL, response_model=ledger_api.CancelAnswer)
def cancel(reservation_id: str, store: Store,
           staff: Annotated[Staff, office("reservations.write")]) -> Response:
    return json_answer(ledger_api.CancelAnswer.model_validate(
        ledger.cancel_reservation(store, staff.school_id, reservation_id)))


@router.get(ledger_api.RESERVATIONS, response_model=ledger_api.ReservationList)
def reservation_list(store: Store, school_id: SchoolId, day: str = "",
                     student: str = "") -> Response:
    found = ledger.reservations(store, school_id, day=query_day(day, "day"),
                                student_id=student or None)
    return json_answer(ledger_api.ReservationList.model_validate({"reservations": found}))


@router.post(ledger_api.TOPUPS, response_model=ledger_api.TopupAnswer)
def topup(req: ledger_api.TopupRequest, store: Store, school_id: SchoolId) -> Response:
    return json_answer(ledger_api.TopupAnswer.model_validate(ledger.topup(
        store, school_id, req.wallet_id, req.amount_cents, req.label)))


# The two file imports take the file itself as the body (text/csv, application/json).
@router.post(ledger_api.BANK_IMPORT, response_model=ledger_api.BankImport)
async def bank_import(request: Request, store: Store, school_id: SchoolId) -> Response:
    text = bank_statement.read_text(await request.body())
    found = await run_in_threadpool(lambda: ledger.import_bank(store, school_id, text))
    return json_answer(ledger_api.BankImport.model_validate(found))


@router.post(ledger_api.ROSTER, response_model=ledger_api.RosterImport)
async def roster_import(request: Request, store: Store, school_id: SchoolId) -> Response:
    text = bank_statement.read_text(await request.body())
    found = await run_in_threadpool(lambda: roster.import_roster(store, school_id, text))
    return json_answer(ledger_api.RosterImport.model_validate(found))


@router.get(ledger_api.WALLET_HISTORY, response_model=ledger_api.WalletHistory)
def wallet_history(wallet_id: str, store: Store, school_id: SchoolId) -> Response:
    return json_answer(ledger_api.WalletHistory.model_validate(
        ledger.wallet_history(store, school_id, wallet_id)))
