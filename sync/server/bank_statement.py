"""Reading a bank statement (CSV) of transfers to the school's account: for each line its date,
its amount in euros and the structured communication the parent gave, which names the wallet
to top up (``ledger.import_bank`` does the crediting).

The file: one transfer per line, columns ``date, amount, communication`` and optionally a bank
``reference`` (the transaction's id in the statement). A first line of column names is
optional; with one, the columns may come in any order and others (account, name...) are
ignored. The separator is ``;`` when the first line has one (Belgian banks' exports), else
``,`` (then an amount with a decimal comma must be quoted). Dates ``2026-11-20``,
``20/11/2026``, ``20-11-2026`` or ``20.11.2026``; amounts in euros with a decimal comma or
dot (``25``, ``25,5``, ``25.50 €``); communications ``+++090/9337/55493+++``,
``***090/9337/55493***`` or the 12 digits alone.

Nothing is guessed: a line that cannot be read exactly is a problem with its line number and
the reason, never a credit.

>>> lines, problems = parse("date;amount;communication\\n20/11/2026;25,00;+++090/9337/55493+++\\n"
...                         "21/11/2026;10;090933755490\\n")
>>> [(x.line, x.day.isoformat(), x.amount_cents, x.communication) for x in lines]
[(2, '2026-11-20', 2500, '+++090/9337/55493+++')]
>>> problems[0]["line"], problems[0]["reason"]
(3, 'bad check digit (mod 97): the communication was mistyped')
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

from stdnum.be import ogm_vcs
from stdnum.exceptions import InvalidChecksum, ValidationError

from sync.common.communications import formatted
from sync.models import MAX_CENTS
from sync.server.errors import CentralError, Joined, Phrase
from sync.server.text import fold

COLUMNS = {     # the names a header may give each column (compared case and accents folded)
    "date": {"date", "day", "jour", "date valeur", "date de valeur", "value date", "datum",
             "valutadatum", "date d'execution", "date operation", "booking date"},
    "amount": {"amount", "montant", "bedrag", "amount eur", "montant eur"},
    "communication": {"communication", "structured communication", "communication structuree",
                      "mededeling", "gestructureerde mededeling"},
    "reference": {"reference", "bank reference", "reference bancaire", "ref", "referentie",
                  "transaction id", "id"},
}
ORDER = ("date", "amount", "communication", "reference")     # without a header
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_BE_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_AMOUNT = re.compile(r"^\+?(\d{1,12})(?:[.,](\d{1,2}))?$")
_WRAPPED = re.compile(r"^(\+{3}|\*{3})?(.*?)(\+{3}|\*{3})?$")
NOT_STRUCTURED = Phrase("not a structured communication (+++xxx/xxxx/xxxxx+++)")


@dataclass(frozen=True)
class BankLine:
    line: int                   # in the file, from 1
    day: date
    amount_cents: int           # > 0
    communication: str          # "+++ddd/dddd/ddddd+++", as wallets hold it
    key: str                    # the same transfer imported again has the same key
    written: dict = field(compare=False)    # date, amount, communication as in the file

    def problem(self, reason: str) -> dict:
        return {"line": self.line, "reason": reason, **self.written}


def read_text(data: bytes) -> str:
    """A statement file's text: UTF-8 (with or without BOM), else Windows-1252 (older
    banking software)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_day(text: str) -> date:
    """A statement's day, written the ISO way or the Belgian way (day first).

    >>> parse_day("3/2/2026"), parse_day("2026-02-03")
    (datetime.date(2026, 2, 3), datetime.date(2026, 2, 3))
    """
    text = text.strip()
    m = _ISO_DAY.match(text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _BE_DAY.match(text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(text)


def parse_amount(text: str) -> int:
    """Euros to cents: a credit, so above zero.

    >>> parse_amount("25,5"), parse_amount("+1 250.00 €")
    (2550, 125000)
    """
    cleaned = re.sub(r"(?i)[\s\u00a0\u202f]|€|eur", "", text)
    if cleaned.startswith("-"):
        raise ValueError(Phrase("not a credit (the amount is below zero)"))
    m = _AMOUNT.match(cleaned)
    if not m:
        raise ValueError(Phrase("bad amount (euros with a decimal comma or dot, e.g. 25,00)"))
    cents = int(m[1]) * 100 + int((m[2] or "0").ljust(2, "0"))
    if cents == 0:
        raise ValueError(Phrase("the amount is zero"))
    if cents > MAX_CENTS:
        raise ValueError(Phrase("the amount is too large"))
    return cents


def parse_communication(text: str) -> str:
    """A structured communication as wallets hold it, checked (mod 97).

    >>> parse_communication("***090/9337/55493***"), parse_communication(" 090933755493 ")
    ('+++090/9337/55493+++', '+++090/9337/55493+++')
    """
    wrapped = _WRAPPED.match(text.strip())
    if wrapped is None:     # a line break inside the text (a quoted cell): ``.`` stops there
        raise ValueError(NOT_STRUCTURED)
    inner = wrapped[2]
    digits = re.sub(r"[\s/.-]", "", inner)
    if not digits:
        raise ValueError(Phrase("no structured communication"))
    if not re.fullmatch(r"\d{12}", digits):
        raise ValueError(NOT_STRUCTURED)
    try:
        ogm_vcs.validate(digits)
    except InvalidChecksum:
        raise ValueError(Phrase("bad check digit (mod 97): the communication was mistyped")) from None
    except ValidationError:
        raise ValueError(NOT_STRUCTURED) from None
    return formatted(digits)


def _header(cells: list[str]) -> dict[str, int] | None:
    """Column positions when ``cells`` are column names; None when they are data."""
    try:
        parse_day(cells[0])
        return None
    except ValueError:
        pass
    found = {}
    for i, cell in enumerate(cells):
        name = re.sub(r"\s+", " ", fold(cell).strip().strip("\"'"))
        for column, names in COLUMNS.items():
            if name in names and column not in found:
                found[column] = i
    if not found:
        return None     # not a header either: the line is reported as a bad one
    missing = [c for c in ORDER[:3] if c not in found]
    if missing:
        raise CentralError("invalid", "line 1: the column names have no {missing} column"
                           " (expected date, amount, communication)", missing=", ".join(missing))
    return found


def parse(text: str) -> tuple[list[BankLine], list[dict]]:
    """The lines of a statement that can be read, and the problems (line number, reason and
    the cells as written) of those that cannot, in file order."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines: list[BankLine] = []
    problems: list[dict] = []
    columns: dict[str, int] | None = None
    seen: dict[str, int] = {}       # times each (day, amount, communication) came in the file
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if columns is None:
            columns = _header(cells)
            if columns is not None:
                continue
            columns = {name: i for i, name in enumerate(ORDER)}

        def cell(name: str, cells: list[str] = cells, columns: dict[str, int] = columns) -> str:
            i = columns.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        written = {"date": cell("date"), "amount": cell("amount"),
                   "communication": cell("communication")}
        reasons = []
        if len(cells) < 3:
            reasons.append(Phrase("expected at least 3 columns: date, amount, communication"))
        try:
            day = parse_day(written["date"])
        except ValueError:
            reasons.append(Phrase("bad date (e.g. 20/11/2026 or 2026-11-20)"))
        try:
            cents = parse_amount(written["amount"])
        except ValueError as e:
            reasons.append(e.args[0])
        try:
            communication = parse_communication(written["communication"])
        except ValueError as e:
            reasons.append(e.args[0])
        if reasons:
            problems.append({"line": number, "reason": Joined("; ", reasons), **written})
            continue
        reference = cell("reference")
        if reference:
            key = "bank-ref:" + hashlib.sha256(reference.encode()).hexdigest()
        else:
            # The same transfer twice in one file (same day, amount and communication) is
            # two transfers; in another file covering the same days it is the same ones.
            same = f"{day.isoformat()}|{cents}|{communication}"
            seen[same] = seen.get(same, 0) + 1
            key = "bank:" + hashlib.sha256(f"{same}|{seen[same]}".encode()).hexdigest()
        lines.append(BankLine(number, day, cents, communication, key, written))
    return lines, problems
