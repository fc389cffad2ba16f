"""Importing a bank statement uploaded by the office, in any form Belgian banks deliver it:
CODA (``coda``), ISO 20022 camt.053 XML (``camt``) or the CSV export (``bank_statement``).
Each credit line is credited to the wallet its structured communication names, reported as
already imported (the same transaction from an earlier file, in this form or another), or
unmatched with its line and reason; all in one transaction: an error refuses the whole file.

>>> detect(b"<?xml version='1.0'?><Document/>"), detect(b"date;amount;communication")
('camt053', 'csv')
"""
from __future__ import annotations

import logging

from sync.server import bank_statement, camt, coda, ledger
from sync.server.bank_statement import BankLine
from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.schools import require_school

log = logging.getLogger("comptoir.central")

MAX_BYTES = 5 * 1024 * 1024      # a year of a school's CODA files is far less
FORMATS = ("coda", "camt053", "csv")


def too_large(size: int) -> CentralError:
    return CentralError("invalid", "the file is too large ({size} MB): a bank statement has"
                                   " at most {limit} MB", size=round(size / 2**20, 1),
                        limit=MAX_BYTES // 2**20)


def detect(data: bytes) -> str:
    """The statement's form, by its first characters."""
    head = bank_statement.read_text(data[:256])
    if camt.looks_like(head):
        return "camt053"
    if coda.looks_like(head):
        return "coda"
    return "csv"


def parse(data: bytes, form: str = "") -> tuple[str, list[BankLine], list[dict], int]:
    """(form, lines, problems, debits skipped) of a statement file."""
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    if not data.strip():
        raise CentralError("invalid", "the file is empty")
    form = form or detect(data)
    if form not in FORMATS:
        raise CentralError("invalid", "unknown statement format {format!r} (coda, camt053"
                                      " or csv)", format=form[:20])
    if form == "camt053":
        return (form, *camt.parse(data))
    text = bank_statement.read_text(data)
    if form == "coda":
        return (form, *coda.parse(text))
    lines, problems = bank_statement.parse(text)
    return form, lines, problems, 0


def import_statement(db: Database, school_id: str, data: bytes, form: str = "") -> dict:
    """Credit the wallets a statement names, once. Returns the StatementImport fields."""
    form, lines, unmatched, debits = parse(data, form)
    with db.transaction() as conn:
        require_school(db, conn, school_id)
        credited, already = ledger.credit_lines(db, conn, school_id, lines, unmatched)
    unmatched.sort(key=lambda u: u["line"])
    log.info("bank import (%s): %d credited, %d already imported, %d unmatched", form,
             len(credited), len(already), len(unmatched))
    return {"format": form, "lines": len(lines) + len(unmatched),
            "credited": credited, "credited_cents": sum(c["amount_cents"] for c in credited),
            "already_imported": already,
            "already_imported_cents": sum(a["amount_cents"] for a in already),
            "unmatched": unmatched, "debits_skipped": debits}
