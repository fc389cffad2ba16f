"""The school's bank account, for the parents' top-up by transfer (issue 17, point 3): the
IBAN, the BIC and the account holder's name, school settings the office sets
(``set_details``), and the EPC QR code ("EPC069-12", the SEPA credit transfer QR a banking app
scans) of a wallet's top-up: the wallet's structured communication in the structured
reference field, as the bank statement import matches it (``sync.server.ledger``).

>>> lines = epc_payload("Collège Saint-Michel", "BE04 3631 3602 2231", "BBRUBEBB",
...                     2000, "+++090/9337/55493+++").split("\\n")
>>> lines[:5]
['BCD', '002', '1', 'SCT', 'BBRUBEBB']
>>> lines[5:]
['Collège Saint-Michel', 'BE04363136022231', 'EUR20.00', '', '090933755493']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import segno
from stdnum import bic as stdnum_bic, iban as stdnum_iban
from stdnum.exceptions import ValidationError

from sync.server.database import Database
from sync.server.errors import CentralError
from sync.server.schools import set_setting_values, setting_values

SETTINGS = ("bank_iban", "bank_bic", "bank_name")
MAX_CENTS = 99_999_999_999      # EPC069-12: at most EUR999999999.99


@dataclass(frozen=True)
class BankDetails:
    iban: str           # compact, e.g. BE04363136022231 (empty: not set)
    bic: str
    name: str

    @property
    def iban_printed(self) -> str:
        return " ".join(self.iban[i:i + 4] for i in range(0, len(self.iban), 4))


def details(db: Database, school_id: str) -> BankDetails:
    values = setting_values(db, school_id)
    return BankDetails(values.get("bank_iban", ""), values.get("bank_bic", ""),
                       values.get("bank_name", ""))


def set_details(db: Database, school_id: str, iban: str, bic: str, name: str) -> BankDetails:
    """Check and keep the school's account (an empty IBAN removes it)."""
    name = " ".join(name.split())
    if not iban.strip():
        set_setting_values(db, school_id, dict.fromkeys(SETTINGS))
        return details(db, school_id)
    try:
        compact = stdnum_iban.validate(iban[:50])
    except ValidationError:
        raise CentralError("invalid", "not a valid IBAN: check it on the bank's paper") from None
    try:
        bic = stdnum_bic.validate(bic[:20]) if bic.strip() else ""
    except ValidationError:
        raise CentralError("invalid", "not a valid BIC (8 or 11 letters and digits)") from None
    if not 0 < len(name) <= 70 or any(ord(c) < 32 for c in name):
        raise CentralError("invalid", "the account holder's name has 1 to 70 characters")
    set_setting_values(db, school_id, {"bank_iban": compact, "bank_bic": bic, "bank_name": name})
    return details(db, school_id)


def epc_payload(name: str, iban: str, bic: str, amount_cents: int | None,
                communication: str) -> str:
    """The EPC QR code's text (version 002, UTF-8, SEPA credit transfer): BIC, name, IBAN,
    the amount (none: the parent types it), no purpose, the communication's 12 digits as the
    structured reference."""
    if amount_cents is not None and not 1 <= amount_cents <= MAX_CENTS:
        raise CentralError("invalid", "the amount must be between 0,01 and 999 999 999,99 €")
    amount = "" if amount_cents is None else f"EUR{amount_cents // 100}.{amount_cents % 100:02d}"
    reference = re.sub(r"\D", "", communication)
    return "\n".join(["BCD", "002", "1", "SCT", bic, name[:70], stdnum_iban.compact(iban),
                      amount, "", reference])


def qr_data_uri(payload: str) -> str:
    """The QR code as an SVG ``data:`` URI (the pages' CSP allows data: images): error
    correction M, as EPC069-12 asks."""
    return segno.make_qr(payload, error="m", encoding="utf-8").svg_data_uri(scale=4, border=4)
