"""The office's money pages: a bank statement uploaded (CODA, camt.053 or CSV) with the
result of each line, the wallets below zero, a wallet's page with its history and the
form of a top-up, a correction or a repayment, each with its reason. The work is in
``bank_import`` and ``wallet_ops``, the same as the JSON API's (``api.routes.money``)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.common.money import format_cents
from sync.server import bank_import, wallet_ops
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError, say
from sync.server.permissions import Staff
from sync.server.web import templating
from sync.server.web.nav import N_

router = APIRouter()
Reader = Annotated[Staff, office("money.read")]
Writer = Annotated[Staff, office("money.write")]
Text = Annotated[str, Form()]
KINDS = ("topup", "correction", "repayment")
# A wallet's movements as the office reads them (translated in the template).
MOVEMENT_NAMES = {
    "topup": N_("top-up"), "correction": N_("correction"), "repayment": N_("repayment"),
    "transfer": N_("bank transfer"), "reservation": N_("reservation"), "refund": N_("refund"),
    "sale": N_("sale"), "photocopy": N_("photocopies"), "void": N_("void"),
    "cash_topup": N_("cash at the desk")}


def _index(request: Request, store: Store, staff: Staff, status: int = 200,
           **context: object) -> Response:
    return templating.render(request, "money/index.html", {
        "negative": wallet_ops.negative_wallets(store, staff.school_id), "error": "",
        "result": None, **context}, status)


@router.get("/money")
def money_page(request: Request, store: Store, staff: Reader, wallet: str = "") -> Response:
    if wallet.strip():          # the "find a wallet" form
        return templating.redirect(request, f"/money/wallets/{wallet.strip()[:64]}")
    return _index(request, store, staff)


@router.post("/money/bank-statements")
async def upload_statement(request: Request, store: Store, staff: Writer,
                           statement: Annotated[UploadFile | None, File()] = None) -> Response:
    _ = templating.gettext_of(request)
    data = await statement.read(bank_import.MAX_BYTES + 1) if statement is not None else b""
    try:
        if not data:
            raise CentralError("invalid", "choose the statement file (CODA, camt.053 XML or CSV)")
        result = await run_in_threadpool(
            lambda: bank_import.import_statement(store, staff.school_id, data))
    except CentralError as e:
        if e.code not in ("invalid",):
            raise
        return _index(request, store, staff, 422, error=e.say(templating.language(request)))
    lang = templating.language(request)
    rows = [{**c, "status": "credited"} for c in result["credited"]]
    rows += [{**c, "status": "already"} for c in result["already_imported"]]
    rows += [{**u, "status": "unmatched", "reason": say(u["reason"], lang)}
             for u in result["unmatched"]]
    result["rows"] = sorted(rows, key=lambda r: r["line"])      # in the file's order
    return _index(request, store, staff, result=result,
                  filename=(statement.filename or "")[:120] if statement else "")


def _wallet(request: Request, store: Store, staff: Staff, wallet_id: str, status: int = 200,
            **context: object) -> Response:
    page = wallet_ops.wallet(store, staff.school_id, wallet_id)
    page["movements"] = list(reversed(page["movements"]))         # newest first
    return templating.render(request, "money/wallet.html", {
        "wallet": page, "movement_names": MOVEMENT_NAMES, "errors": {}, "values": {"kind": "topup"},
        **context}, status)


@router.get("/money/wallets/{wallet_id}")
def wallet_page(request: Request, store: Store, staff: Reader, wallet_id: str) -> Response:
    return _wallet(request, store, staff, wallet_id)


@router.post("/money/wallets/{wallet_id}")
def adjust(request: Request, store: Store, staff: Writer, wallet_id: str, kind: Text = "",
           amount: Text = "", reason: Text = "") -> Response:
    _ = templating.gettext_of(request)
    lang = templating.language(request)
    values = {"kind": kind[:20], "amount": amount[:30], "reason": reason[:1000]}
    errors: dict[str, str] = {}
    wallet_ops.wallet(store, staff.school_id, wallet_id)        # another school's: 404
    try:
        cents = wallet_ops.amount_in_cents(None, amount)
    except CentralError as e:
        errors["amount"] = e.say(lang)
    if not errors:
        try:
            done = wallet_ops.adjust(store, staff.school_id, wallet_id, kind, cents, reason)
        except CentralError as e:
            if e.code == "not_found":
                raise
            field = "reason" if "reason" in e.message else "kind" if "kind" in e.message \
                else "amount"
            errors[field] = e.say(lang)
    if errors:
        return _wallet(request, store, staff, wallet_id, 422, errors=errors, values=values)
    message = _("Saved: the balance is now {balance}.").format(
        balance=format_cents(done["balance_cents"], lang))
    return templating.redirect(request, f"/money/wallets/{wallet_id}", message)
