"""The office's own movements on a wallet, each with the reason the office gives (kept as
the movement's label, shown in the wallet's history):

- ``topup``: money received (cash at the office, a transfer matched by hand): a credit;
- ``correction``: a mistake put right, either way; the only movement that may take a
  wallet below zero (the wallet is then shown as negative until it is topped up);
- ``repayment``: money given back to the family (leaving the school): a debit, never more
  than the wallet holds.

The balance invariant (``ledger``) holds: each is a row of ``wallet_movements``.
"""
from __future__ import annotations

import logging

from sync.common.money import parse_euros
from sync.models import MAX_CENTS
from sync.server import ledger
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.ledger import LedgerRefusal, euros

log = logging.getLogger("comptoir.central")

KINDS = ("topup", "correction", "repayment")
MAX_REASON = 200


def amount_in_cents(amount_cents: int | None, amount: str | None) -> int:
    """The amount given either in cents or as the office types it in euros ("12,50",
    "-3"); ``invalid`` when neither or both, or when the euros cannot be read exactly."""
    if (amount_cents is None) == (amount is None or amount.strip() == ""):
        raise CentralError("invalid", "give the amount, in euros (e.g. 12,50) or in cents")
    if amount_cents is not None:
        return amount_cents
    try:
        return parse_euros(str(amount))
    except ValueError:
        raise CentralError("invalid", "amount {amount!r}: not an amount in euros (e.g. 12,50"
                                      " or -3)", amount=str(amount)[:30]) from None


def adjust(db: Database, school_id: str, wallet_id: str, kind: str, amount_cents: int,
           reason: str) -> dict:
    """One office movement (``kind``: topup, correction, repayment) of ``amount_cents``
    (above zero, but signed for a correction) with its ``reason``. Returns the Adjustment
    fields."""
    reason = " ".join(str(reason or "").split())
    if kind not in KINDS:
        raise CentralError("invalid", "unknown kind {kind!r} (topup, correction or repayment)",
                           kind=str(kind)[:20])
    if not reason:
        raise CentralError("invalid", "the reason is required: say why, for the wallet's"
                                      " history")
    if len(reason) > MAX_REASON:
        raise CentralError("invalid", "the reason is too long ({length} characters, at most"
                                      " {limit})", length=len(reason), limit=MAX_REASON)
    if type(amount_cents) is not int or amount_cents == 0 or abs(amount_cents) > MAX_CENTS:
        raise CentralError("invalid", "the amount must be a whole number of cents, not zero")
    if kind != "correction" and amount_cents < 0:
        raise CentralError("invalid", "a top-up or a repayment is above zero (a correction"
                                      " may be below)")
    cents = -amount_cents if kind == "repayment" else amount_cents
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT balance_cents FROM wallets WHERE school_id = ? AND id = ?",
                         (school_id, wallet_id)).fetchone()
        if row is None:
            raise LedgerRefusal("not_found", "no wallet {wallet!r} in this school",
                                wallet=wallet_id)
        if kind == "repayment" and row[0] < amount_cents:
            raise LedgerRefusal("insufficient_balance", "the wallet holds {balance}: at most"
                                " that can be given back", balance=euros(row[0]),
                                missing_cents=amount_cents - max(row[0], 0))
        movement, balance = ledger.move(db, conn, school_id, wallet_id, kind, cents,
                                        label=reason)
    log.info("%s of %s on wallet %s", kind, euros(cents), wallet_id)
    return {"movement_id": movement, "wallet_id": wallet_id, "kind": kind,
            "amount_cents": cents, "balance_cents": balance, "negative": balance < 0,
            "reason": reason}


def wallet(db: Database, school_id: str, wallet_id: str) -> dict:
    """A wallet with its owner, balance (``negative`` when below zero) and whole history.
    Returns the WalletPage fields."""
    history = ledger.wallet_history(db, school_id, wallet_id)
    with db.transaction(write=False) as conn:
        name, student, first, last = db.execute(
            conn, "SELECT w.name, w.student_id, s.first_name, s.last_name FROM wallets w"
                  " LEFT JOIN students s ON s.school_id = w.school_id AND s.id = w.student_id"
                  " WHERE w.school_id = ? AND w.id = ?", (school_id, wallet_id)).fetchone()
    return {**history, "name": name, "student_id": student,
            "student_name": f"{first} {last}" if first else None,
            "negative": history["balance_cents"] < 0}


def negative_wallets(db: Database, school_id: str) -> list[dict]:
    """The school's wallets below zero, lowest first."""
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT w.id, w.name, w.student_id, s.first_name, s.last_name,"
                                " w.balance_cents FROM wallets w LEFT JOIN students s"
                                " ON s.school_id = w.school_id AND s.id = w.student_id"
                                " WHERE w.school_id = ? AND w.balance_cents < 0"
                                " ORDER BY w.balance_cents, w.id", (school_id,)).fetchall()
    return [{"wallet_id": w, "name": name, "student_id": student,
             "student_name": f"{first} {last}" if first else None, "balance_cents": cents}
            for w, name, student, first, last, cents in rows]
