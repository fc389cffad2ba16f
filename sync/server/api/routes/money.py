"""The office's money (``sync.server.money_api``): bank statements, top-ups, corrections,
repayments, a wallet's page. Every query is scoped to the staff's school."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.server import bank_import, money_api, wallet_ops
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, json_answer
from sync.server.permissions import Staff

router = APIRouter(tags=["money"], responses=ERRORS)
Reader = Annotated[Staff, office("money.read")]
Writer = Annotated[Staff, office("money.write")]


@router.post(money_api.STATEMENTS, response_model=money_api.StatementImport)
async def import_statement(request: Request, store: Store, staff: Writer,
                           format: str = "") -> Response:
    data = await request.body()     # at most MAX_BODY: api.middleware refuses more
    found = await run_in_threadpool(
        lambda: bank_import.import_statement(store, staff.school_id, data, format))
    return json_answer(money_api.StatementImport.model_validate(found))


@router.post(money_api.ADJUSTMENTS, response_model=money_api.Adjustment)
def adjust(wallet_id: str, req: money_api.AdjustmentRequest, store: Store,
           staff: Writer) -> Response:
    cents = wallet_ops.amount_in_cents(req.amount_cents, req.amount)
    return json_answer(money_api.Adjustment.model_validate(wallet_ops.adjust(
        store, staff.school_id, wallet_id, req.kind, cents, req.reason)))


@router.get(money_api.WALLET, response_model=money_api.WalletPage)
def wallet(wallet_id: str, store: Store, staff: Reader) -> Response:
    return json_answer(money_api.WalletPage.model_validate(
        wallet_ops.wallet(store, staff.school_id, wallet_id)))


@router.get(money_api.NEGATIVE, response_model=money_api.NegativeWallets)
def negative(store: Store, staff: Reader) -> Response:
    return json_answer(money_api.NegativeWallets.model_validate(
        {"wallets": wallet_ops.negative_wallets(store, staff.school_id)}))
