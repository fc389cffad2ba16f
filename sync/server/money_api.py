"""The office's money as a JSON API (``money.read``/``money.write``, through
``api.deps.office``): bank statements in every form Belgian banks deliver, the office's own
movements on a wallet, a wallet's page, the wallets below zero. The work is in
``bank_import`` and ``wallet_ops``; ``api.routes.money`` serves them.

    POST /api/v1/admin/money/bank-statements?format=   the file as the body -> StatementImport
    POST /api/v1/admin/money/wallets/{id}/adjustments  AdjustmentRequest -> Adjustment
    GET  /api/v1/admin/money/wallets/{id}              -> WalletPage
    GET  /api/v1/admin/money/negative-wallets          -> NegativeWallets

``format`` is ``coda``, ``camt053`` or ``csv``; empty, it is read from the file's first
characters. A file over ``bank_import.MAX_BYTES`` is refused (``invalid``) before it is read
whole.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.models import MAX_CENTS
from sync.protocol import API
from sync.server.ledger_api import Movement

MONEY = f"{API}/admin/money"
STATEMENTS = f"{MONEY}/bank-statements"
ADJUSTMENTS = f"{MONEY}/wallets/{{wallet_id}}/adjustments"
WALLET = f"{MONEY}/wallets/{{wallet_id}}"
NEGATIVE = f"{MONEY}/negative-wallets"
PATHS = (STATEMENTS, ADJUSTMENTS, WALLET, NEGATIVE)


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatementLine(_Msg):
    line: int                   # in the file, from 1 (camt: the line of the element)
    day: date
    wallet_id: str
    amount_cents: int


class Unmatched(_Msg):
    line: int
    reason: str
    date: str                   # as written in the file
    amount: str
    communication: str


class StatementImport(_Msg):
    format: Literal["coda", "camt053", "csv"]
    lines: int                  # credit lines read
    credited: list[StatementLine]
    credited_cents: int
    already_imported: list[StatementLine]   # by an earlier file, in this form or another
    already_imported_cents: int
    unmatched: list[Unmatched]  # credited nothing: for the office to look at
    debits_skipped: int         # the account's debits: no wallet's business


class AdjustmentRequest(_Msg):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)   # "5" is no number
    kind: Literal["topup", "correction", "repayment"]
    # the amount in cents, or in euros as typed ("12,50", "-3"): one of the two
    amount_cents: int | None = Field(default=None, ge=-MAX_CENTS, le=MAX_CENTS)
    amount: str | None = Field(default=None, max_length=30)
    reason: str = Field(max_length=1000)


class Adjustment(_Msg):
    movement_id: str
    wallet_id: str
    kind: str
    amount_cents: int           # signed: a repayment is below zero
    balance_cents: int
    negative: bool
    reason: str


class WalletPage(_Msg):
    wallet_id: str
    name: str
    student_id: str
    student_name: str | None
    balance_cents: int
    negative: bool              # below zero (after a correction): shown as such
    movements: list[Movement]   # oldest first; the office's carry their reason as label


class NegativeWallet(_Msg):
    wallet_id: str
    name: str
    student_id: str
    student_name: str | None
    balance_cents: int


class NegativeWallets(_Msg):
    wallets: list[NegativeWallet]
