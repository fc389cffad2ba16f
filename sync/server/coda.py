"""Reading a CODA statement: Febelfin's fixed-width format, in which Belgian banks deliver
a day's movements of an account, one record of exactly 128 characters per line.

The records read (positions from 1, as Febelfin's standard numbers them):

- ``0`` header (pos 128: version 2) — must come first;
- ``1`` old balance: account structure (pos 2: ``0``/``1`` a BBAN in 6-17, ``2``/``3`` an
  IBAN in 6-39), currency (40-42 for an IBAN, 19-21 otherwise);
- ``2.1`` movement: sequence (3-6), detail number (7-10), the bank's reference (11-31),
  sign (32: ``0`` credit, ``1`` debit), amount in thousandths of the currency (33-47), value
  date (48-53, DDMMYY), transaction code (54-61), communication type (62: ``1`` structured),
  communication (63-115: for a Belgian structured one, ``101`` then its 12 digits), entry
  date (116-121);
- ``2.2``, ``2.3`` (the counterparty), ``3.x`` (information), ``4`` (free text), ``8`` (new
  balance): skipped;
- ``9`` trailer: must end the statement (a file cut short is refused whole).

A movement whose transaction code says "global amount, its details follow" (type ``1``) is
not a transfer of its own: its details (type ``5``) are. A debit is no top-up: counted, not
credited. A record whose length is not 128 refuses the whole file (a damaged file), naming
its line.
"""
from __future__ import annotations

import hashlib
from datetime import date

from sync.server.bank_statement import BankLine, parse_communication
from sync.server.errors import CentralError, Joined, Phrase

RECORD = 128


def looks_like(text: str) -> bool:
    """Does ``text`` start like a CODA file (a header record ``0000``)?"""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return len(first) >= 5 and first.startswith("00000") and first[5:11].isdigit()


def _day(text: str) -> date:
    """DDMMYY, this century."""
    if not text.isdigit():
        raise ValueError(text)
    return date(2000 + int(text[4:6]), int(text[2:4]), int(text[0:2]))


def line_key(account: str, day: date, cents: int, communication: str, occurrence: int) -> str:
    """What makes a statement line the same bank transaction in a CODA and a camt.053 file:
    the account credited, the booking day, the amount, the structured communication and its
    occurrence among the same four in the statement (two parents paying the same amount the
    same day with the same communication are two transfers). The bank's reference is not in
    it: banks do not write it the same way in both formats."""
    same = f"{account}|{day.isoformat()}|{cents}|{communication}|{occurrence}"
    return "stmt:" + hashlib.sha256(same.encode()).hexdigest()


class Occurrences:
    """Counts the lines with the same account, day, amount and communication."""

    def __init__(self) -> None:
        self.seen: dict[tuple, int] = {}

    def key(self, account: str, day: date, cents: int, communication: str) -> str:
        same = (account, day, cents, communication)
        self.seen[same] = self.seen.get(same, 0) + 1
        return line_key(account, day, cents, communication, self.seen[same])


def parse(text: str) -> tuple[list[BankLine], list[dict], int]:
    """The credit lines of a CODA file that name a wallet's communication, the problems
    (line number, reason, the cells as written) of the other credit lines, and the number of
    debits skipped. A file that is not CODA as the standard writes it is refused whole
    (``invalid``, naming the line)."""
    records = text.lstrip("\ufeff").splitlines()
    while records and not records[-1].strip():
        records.pop()
    if not records:
        raise CentralError("invalid", "the CODA file is empty")
    lines: list[BankLine] = []
    problems: list[dict] = []
    debits = 0
    account, currency, ended = "", "", True
    occurrences = Occurrences()
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD:
            raise CentralError("invalid", "line {line}: a CODA record has 128 characters, this"
                                          " one has {length}: the file is damaged",
                               line=number, length=len(record))
        kind = record[0]
        if number == 1 and kind != "0":
            raise CentralError("invalid", "line 1: a CODA file starts with its header record (0)")
        if kind == "0":
            ended = False
        elif kind == "1":
            structure = record[1]
            if structure in "23":
                account, currency = record[5:39].strip(), record[39:42]
            else:
                account, currency = record[5:17].strip(), record[18:21]
        elif kind == "2" and record[1] == "1":
            if record[31] == "1":
                debits += 1
                continue
            if record[53] == "1":       # a global amount whose details follow
                continue
            found = _movement(record, number, account, currency, occurrences)
            if isinstance(found, BankLine):
                lines.append(found)
            else:
                problems.append(found)
        elif kind == "9":
            ended = True
        elif kind not in "2348":
            raise CentralError("invalid", "line {line}: unknown CODA record type {kind!r}",
                               line=number, kind=kind)
    if not ended:
        raise CentralError("invalid", "the CODA file ends before its trailer record (9):"
                                      " it is incomplete")
    return lines, problems, debits


def _movement(record: str, number: int, account: str, currency: str,
              occurrences: Occurrences) -> BankLine | dict:
    """A credit record 2.1: its line, or its problem."""
    amount, booked = record[32:47], record[115:121]
    structured = record[61] == "1" and record[62:65] == "101"
    written_comm = record[65:77] if structured else record[62:115].strip()
    written = {"date": f"{booked[0:2]}/{booked[2:4]}/20{booked[4:6]}",
               "amount": f"{int(amount) // 1000},{int(amount) % 1000 // 10:02d}"
               if amount.isdigit() else amount, "communication": written_comm}
    reasons: list[str] = []
    try:
        day = _day(booked)
    except ValueError:
        reasons.append(Phrase("bad date (e.g. 20/11/2026 or 2026-11-20)"))
    if not amount.isdigit() or int(amount) % 10:
        reasons.append(Phrase("bad amount (euros with a decimal comma or dot, e.g. 25,00)"))
    elif int(amount) == 0:
        reasons.append(Phrase("the amount is zero"))
    if currency != "EUR":
        reasons.append(Phrase("not in euros ({currency})", currency=currency.strip() or "?"))
    communication = ""
    if not structured:
        reasons.append(Phrase("no structured communication"))
    else:
        try:
            communication = parse_communication(written_comm)
        except ValueError as e:
            reasons.append(e.args[0])
    if reasons:
        return {"line": number, "reason": Joined("; ", reasons), **written}
    cents = int(amount) // 10
    return BankLine(number, day, cents, communication,
                    occurrences.key(account, day, cents, communication), written)
