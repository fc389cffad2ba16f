"""The parents' JSON API (issue 17): the office's side (the school's parents' accounts,
"send login tokens", the school's bank account for top-ups) under ``/api/v1/admin/``, and
the parents' own (their children, a child's wallets, a wallet's top-up) under
``/api/v1/parents/``, what the parents' pages show, for the parent's session only."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sync.server import bank_details, family, parents
from sync.server.api.deps import CurrentParent, Store, office
from sync.server.api.http import ERRORS, json_answer
from sync.server.permissions import Staff

ADMIN = "/api/v1/admin"
OWN = "/api/v1/parents"
PARENTS, TOKENS, BANK = ADMIN + "/parents", ADMIN + "/parents/tokens", ADMIN + "/school/bank"
CHILDREN, CHILD = OWN + "/children", OWN + "/children/{student_id}"
TOPUP = CHILD + "/wallets/{wallet_id}/topup"
PATHS = frozenset((PARENTS, TOKENS, BANK, CHILDREN, CHILD, TOPUP))
router = APIRouter(tags=["parents"], responses=ERRORS)


class ParentOut(BaseModel):
    id: str
    email: str
    username: str
    has_password: bool
    lang: str
    mail_error: str = Field(description="why the last token e-mail failed (empty: it did not)")
    token_sent_at: str | None


class ParentList(BaseModel):
    parents: list[ParentOut]


class SendTokens(BaseModel):
    parent_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=5000, description="none: every parent without a password yet")


class Failure(BaseModel):
    parent_id: str
    email: str
    error: str


class Sent(BaseModel):
    sent: int
    failed: list[Failure]


class Bank(BaseModel):
    iban: str = Field(max_length=50)
    bic: str = Field("", max_length=20)
    name: str = Field("", max_length=200)


class Child(BaseModel):
    id: str
    first_name: str
    last_name: str
    class_name: str


class Children(BaseModel):
    children: list[Child]


class MovementOut(BaseModel):
    ts: str
    day: str
    kind: str
    amount_cents: int
    label: str | None = None
    device_name: str | None = None


class WalletOut(BaseModel):
    id: str
    name: str
    kind: str
    balance_cents: int
    structured_communication: str
    movements: list[MovementOut]


class Dashboard(BaseModel):
    child: Child
    wallets: list[WalletOut]


class TopUp(BaseModel):
    child: Child
    wallet: dict[str, str | int]
    communication: str
    iban: str
    bic: str
    beneficiary: str
    amount_cents: int | None
    days_to_arrive: int
    epc_payload: str | None
    qr: str | None = Field(description="the EPC QR code, an SVG data: URI")


def _out(account: parents.ParentAccount) -> ParentOut:
    return ParentOut(id=account.id, email=account.email, username=account.username,
                     has_password=account.has_password, lang=account.lang,
                     mail_error=account.mail_error, token_sent_at=account.token_sent_at)


def site(request: Request) -> str:
    """This platform's address as the parent's browser reaches it (the e-mail's links)."""
    return str(request.base_url).rstrip("/")


@router.get(PARENTS, response_model=ParentList)
def list_parents(store: Store, staff: Annotated[Staff, office("students.read")]) -> Response:
    return json_answer(ParentList(parents=[_out(p) for p in parents.list_parents(
        store, staff.school_id)]))


@router.post(TOKENS, response_model=Sent)
def send_tokens(req: SendTokens, request: Request, store: Store,
                staff: Annotated[Staff, office("students.write")], lang: str = "fr") -> Response:
    return json_answer(Sent.model_validate(parents.send_tokens(
        store, staff.school_id, req.parent_ids, site(request), lang)))


@router.get(BANK, response_model=Bank)
def get_bank(store: Store, staff: Annotated[Staff, office("money.read")]) -> Response:
    found = bank_details.details(store, staff.school_id)
    return json_answer(Bank(iban=found.iban, bic=found.bic, name=found.name))


@router.put(BANK, response_model=Bank)
def put_bank(req: Bank, store: Store, staff: Annotated[Staff, office("money.write")]) -> Response:
    found = bank_details.set_details(store, staff.school_id, req.iban, req.bic, req.name)
    return json_answer(Bank(iban=found.iban, bic=found.bic, name=found.name))


@router.get(CHILDREN, response_model=Children)
def children(store: Store, parent: CurrentParent) -> Response:
    return json_answer(Children.model_validate({"children": parents.children(store, parent)}))


@router.get(CHILD, response_model=Dashboard)
def child(student_id: str, store: Store, parent: CurrentParent) -> Response:
    return json_answer(Dashboard.model_validate(family.dashboard(store, parent, student_id)))


@router.get(TOPUP, response_model=TopUp)
def topup(student_id: str, wallet_id: str, store: Store, parent: CurrentParent,
          amount_cents: int | None = None) -> Response:
    return json_answer(TopUp.model_validate(family.topup(store, parent, student_id, wallet_id,
                                                         amount_cents)))
