"""What a parent sees of a child (issue 17, points 2 and 3): "le ou les portefeuilles" with
their balance and latest movements (the back office's own reading, ``students.detail``), and
how to top one up "par virement bancaire": the school's IBAN, the wallet's structured
communication (the same for the whole schooling: the bank import matches it) and the EPC QR
code. Every function starts from the parent's own children (``parents.child``): another
child, or another child's wallet, is ``not_found`` exactly as an unknown id.
"""
from __future__ import annotations

from sync.server import bank_details, parents, students
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.staff_sessions import Parent

LATEST = 10             # movements shown per wallet on the dashboard
DAYS_TO_ARRIVE = 4      # "compter environ 4 jours" (the seeds): the bank statement's import


def dashboard(db: Database, parent: Parent, student_id: str) -> dict:
    """The child, and each wallet with its balance and latest movements (newest first)."""
    child = parents.child(db, parent, student_id)
    found = students.detail(db, parent.school_id, student_id)
    wallets = [{key: w[key] for key in ("id", "name", "kind", "balance_cents",
                                        "structured_communication", "movements")}
               for w in found["wallets"]]
    for wallet in wallets:
        wallet["movements"] = wallet["movements"][:LATEST]
    return {"child": child, "wallets": wallets}


def topup(db: Database, parent: Parent, student_id: str, wallet_id: str,
          amount_cents: int | None = None) -> dict:
    """How to top up one of the child's wallets by transfer, with the EPC QR code's text
    and image (none while the school has not given its IBAN)."""
    board = dashboard(db, parent, student_id)
    wallet = next((w for w in board["wallets"] if w["id"] == wallet_id), None)
    if wallet is None:
        raise CentralError("not_found", "no wallet {id!r} for this child", id=wallet_id[:40])
    bank = bank_details.details(db, parent.school_id)
    answer = {"child": board["child"], "wallet": {k: wallet[k] for k in
                                                  ("id", "name", "balance_cents")},
              "communication": wallet["structured_communication"], "iban": bank.iban_printed,
              "bic": bank.bic, "beneficiary": bank.name, "amount_cents": amount_cents,
              "days_to_arrive": DAYS_TO_ARRIVE, "epc_payload": None, "qr": None}
    if bank.iban:
        payload = bank_details.epc_payload(bank.name, bank.iban, bank.bic, amount_cents,
                                           wallet["structured_communication"])
        answer.update(epc_payload=payload, qr=bank_details.qr_data_uri(payload))
    return answer
