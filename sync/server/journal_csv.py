"""The sales journal as a CSV file that a Belgian office's Excel opens as it is:

- UTF-8 with a byte order mark (without it Excel reads "Émilie" and "€" as Latin-1);
- ``;`` between fields (Excel in a French or Dutch Belgian locale splits on ``;``, a comma
  being the decimal separator there);
- amounts in euros with a decimal comma and no currency sign or thousands separator
  ("-3,50"), so Excel reads a number it can add up; dates as dd/mm/yyyy and times as
  hh:mm:ss in the school's time zone;
- a text field that starts as a formula would (``=``, ``+``, ``-``, ``@``, a tab) gets a
  leading apostrophe: a student's or an article's name never runs as a formula.

Headers and operation types are in the language asked (the office's).
"""
from __future__ import annotations

import csv
import io

from sync.server.errors import Phrase

BOM = "\ufeff"
HEADERS = (Phrase("Date"), Phrase("Time"), Phrase("Operation"), Phrase("Terminal"),
           Phrase("Entry no."), Phrase("Student id"), Phrase("Student"), Phrase("Wallet"),
           Phrase("Article code"), Phrase("Article"), Phrase("Quantity"),
           Phrase("Amount (EUR)"))
KIND_NAMES = {"sale": Phrase("sale"), "photocopy": Phrase("photocopy"), "void": Phrase("void"),
              "pickup": Phrase("pickup"), "reservation": Phrase("reservation"),
              "refund": Phrase("refund")}


def euros(cents: int) -> str:
    """Cents as Excel's Belgian locale reads a number of euros.

    >>> euros(-350), euros(123456), euros(5), euros(0)
    ('-3,50', '1234,56', '0,05', '0,00')
    """
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def journal_csv(rows: list[dict], lang: str) -> str:
    """The rows of a sales journal (``sales_journal``), newest first, as the file's text."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([h.say(lang) for h in HEADERS])
    for r in rows:
        local = r["local_time"]             # 2026-11-24T12:05:00+01:00
        day = local[:10]
        writer.writerow([
            f"{day[8:10]}/{day[5:7]}/{day[:4]}", local[11:19],
            KIND_NAMES[r["kind"]].say(lang), _text(r["device_name"]),
            "" if r["seq"] is None else r["seq"], _text(r["student_id"]),
            _text(r["student_name"]), _text(r["wallet_name"]), _text(r["article"]),
            _text(r["article_name"]), r["quantity"], euros(r["amount_cents"])])
    return out.getvalue()
