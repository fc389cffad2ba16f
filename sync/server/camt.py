"""Reading an ISO 20022 camt.053 statement (``BkToCstmrStmt``), the XML form of the same
statements Belgian banks deliver as CODA.

Each booked credit entry (``Ntry`` with ``CdtDbtInd`` CRDT, status BOOK) holds one or more
transactions (``NtryDtls/TxDtls``); the structured communication is in
``RmtInf/Strd/CdtrRefInf/Ref`` (12 digits, or written ``+++…+++``), the amount in the
transaction's ``Amt`` (``AmtDtls/TxAmt/Amt``), else the entry's when it holds one
transaction. The account is the statement's ``Acct/Id/IBAN``, the day the entry's
``BookgDt``: the same transaction read from a CODA file has the same key (``coda.line_key``).

The XML is read with the standard library's expat, with the care defusedxml takes: a
document type declaration (and so any entity, internal or external) is refused, never
expanded; so is any namespace but camt.053's.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.parsers import expat

from sync.server.bank_statement import BankLine, parse_communication
from sync.server.coda import Occurrences
from sync.server.errors import CentralError, Joined, Phrase

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}$")


def looks_like(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("<")


class _NoDoctype(Exception):
    pass


def read_xml(data: bytes) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The document's root and each element's line; ``invalid`` for XML that is not well
    formed or declares a document type (entities)."""
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> None:
        raise _NoDoctype

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[builder.start("{" + tag if "}" in tag else tag, attrs)] = parser.CurrentLineNumber

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse    # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end("{" + tag if "}" in tag else tag)
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except _NoDoctype:
        raise CentralError("invalid", "the XML file declares a document type (DTD or"
                                      " entities): refused, a bank statement has none") from None
    except expat.ExpatError as e:
        raise CentralError("invalid", "line {line}: not well-formed XML ({why})",
                           line=e.lineno, why=expat.ErrorString(e.code)) from None
    return builder.close(), lines


def parse(data: bytes) -> tuple[list[BankLine], list[dict], int]:
    """The credit transactions that name a wallet's communication, the problems of the
    other credits (line of their element, reason, as written), and the number of debit
    entries skipped. Not a camt.053 document: refused whole (``invalid``)."""
    root, lines_of = read_xml(data)
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if not NAMESPACE.match(namespace):
        raise CentralError("invalid", "not a camt.053 statement: the XML namespace is {ns!r}"
                                      " (expected urn:iso:std:iso:20022:tech:xsd:"
                                      "camt.053.001.xx)", ns=namespace[:80])
    ns = {"c": namespace}
    if root.tag != f"{{{namespace}}}Document" or root.find("c:BkToCstmrStmt", ns) is None:
        raise CentralError("invalid", "not a camt.053 statement: no BkToCstmrStmt in the"
                                      " Document")
    found: list[BankLine] = []
    problems: list[dict] = []
    debits = 0
    occurrences = Occurrences()
    for stmt in root.iterfind("c:BkToCstmrStmt/c:Stmt", ns):
        account = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id",
                                                                  ns)
        for entry in stmt.iterfind("c:Ntry", ns):
            if _text(entry, "c:CdtDbtInd", ns) != "CRDT":
                debits += 1
                continue
            status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)
            if status not in ("BOOK", ""):
                continue        # pending or information only: booked on a later statement
            booked = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm",
                                                                  ns)[:10]
            details = entry.findall("c:NtryDtls/c:TxDtls", ns) or [entry]
            for tx in details:
                amount = entry.find("c:Amt", ns) if len(details) == 1 else None
                amount = (tx.find("c:Amt", ns) if tx.find("c:Amt", ns) is not None
                          else tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)) if amount is None \
                    else amount
                result = _transaction(tx, lines_of.get(tx, 0), account, booked, amount,
                                      occurrences, ns)
                if isinstance(result, BankLine):
                    found.append(result)
                else:
                    problems.append(result)
    return found, problems, debits


def _text(element: ET.Element, path: str, ns: dict[str, str]) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _transaction(tx: ET.Element, line: int, account: str, booked: str,
                 amount: ET.Element | None, occurrences: Occurrences,
                 ns: dict[str, str]) -> BankLine | dict:
    written_amount = (amount.text or "").strip() if amount is not None else ""
    reference = _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
    written = {"date": booked, "amount": written_amount,
               "communication": reference or _text(tx, "c:RmtInf/c:Ustrd", ns)[:60]}
    reasons: list[str] = []
    day = None
    try:
        day = date.fromisoformat(booked)
    except ValueError:
        reasons.append(Phrase("bad date (e.g. 20/11/2026 or 2026-11-20)"))
    cents = 0
    try:
        value = Decimal(written_amount) * 100
        if value != value.to_integral_value() or value <= 0 or value > 10**11:
            raise InvalidOperation
        cents = int(value)
    except InvalidOperation:
        reasons.append(Phrase("bad amount (euros with a decimal comma or dot, e.g. 25,00)"))
    currency = amount.get("Ccy", "") if amount is not None else ""
    if currency != "EUR":
        reasons.append(Phrase("not in euros ({currency})", currency=currency or "?"))
    communication = ""
    if not reference:
        reasons.append(Phrase("no structured communication"))
    else:
        try:
            communication = parse_communication(reference)
        except ValueError as e:
            reasons.append(e.args[0])
    if reasons or day is None:
        return {"line": line, "reason": Joined("; ", reasons), **written}
    return BankLine(line, day, cents, communication,
                    occurrences.key(account, day, cents, communication), written)
