"""What each printed slip says, for 32, 42 or 48 characters per line: sale receipt, void
receipt, X and Z reports, the kitchen's sandwich pick list, the low-balance slip with the
top-up instructions (and its EPC QR code), and the printer test page. The printer driver
(``drivers.printer``) only prints the ``Document`` these make: what a slip says is the
terminal's business.

Layouts are pure: plain values in (names, cents, an aware local datetime), a ``Document`` out.
Amounts go through ``sync.common.money.format_cents`` (fr-BE by default); the words follow the
terminal's language (fr, nl, en). They are in the gettext catalogues (``sync.common.i18n``), as
the screens' are (``kiosk.ui.texts``): the key of :data:`TEXTS` is the ``msgctxt``, its English
text the ``msgid``.

>>> from datetime import datetime
>>> doc = sale_receipt(32, school="Institut Saint-Michel", terminal="Cantine 1",
...     operator="Marie", when=datetime(2026, 11, 24, 12, 5), seq=17,
...     student="Emma Dubois (1A)",
...     lines=[{"qty": 2, "name": "Potage et pain", "total_cents": 200}],
...     total_cents=200, balances=[("Portefeuille", 2300)])
>>> print("\\n".join(doc.text_lines()))
Institut
Saint-Michel
Cantine 1
--------------------------------
Ticket n°17
24/11/2026 12:05 Servi par Marie
Emma Dubois (1A)
--------------------------------
2 x Potage et pain        2,00 €
--------------------------------
TOTAL                     2,00 €
Nouveau solde
Portefeuille             23,00 €
<BLANKLINE>
Merci et bon appétit !
>>> _t("nl", "slip_receipt", seq=17), _t("en", "slip_receipt", seq=17)
('Ticket nr. 17', 'Receipt 17')
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from drivers.printer.document import Document
from sync.common.i18n import coded, translator
from sync.common.money import format_cents

TEXTS: dict[str, str] = {      # key: English source text (the msgid)
    # sale and void receipts
    "slip_receipt": coded("slip_receipt", "Receipt {seq}"),
    "slip_photocopy": coded("slip_photocopy", "Copies {seq}"),
    "slip_void": coded("slip_void", "VOID {seq}"),
    "slip_of_sale": coded("slip_of_sale", "of sale {seq}"),
    "slip_operator": coded("slip_operator", "Served by {operator}"),
    "slip_total": coded("slip_total", "TOTAL"),
    "slip_credited": coded("slip_credited", "Credited back"),
    "slip_reason": coded("slip_reason", "Reason: {reason}"),
    "slip_balance": coded("slip_balance", "New balance {wallet}"),
    "slip_thanks": coded("slip_thanks", "Thank you, enjoy!"),
    "slip_cash": coded("slip_cash", "CASH TOP-UP {seq}"),
    "slip_cash_received": coded("slip_cash_received", "Cash received"),
    "slip_cash_total": coded("slip_cash_total", "Cash top-ups: {count}"),
    # X and Z reports
    "slip_x": coded("slip_x", "X REPORT"),
    "slip_z": coded("slip_z", "Z REPORT"),
    "slip_x_sub": coded("slip_x_sub", "Running totals (nothing closed)"),
    "slip_z_sub": coded("slip_z_sub", "Day close {seq}"),
    "slip_day": coded("slip_day", "Day {day}"),
    "slip_entries": coded("slip_entries", "Entries {first} to {last} ({count})"),
    # the period a report covers, and the clock's jumps within it (kiosk.clock_guard)
    "slip_days": coded("slip_days", "Days {days}"),
    "slip_hours": coded("slip_hours", "From {first} to {last}"),
    "slip_period": coded("slip_period", "From {first} to {last}"),
    "slip_clock_back": coded("slip_clock_back", "Clock set back {duration} (entry {seq})"),
    "slip_clock_forward": coded("slip_clock_forward", "Clock set forward {duration} (entry {seq})"),
    "slip_clock_order": coded("slip_clock_order", "Times as the clock gave them: the order is"
                              " the entries' numbers."),
    "slip_seconds": coded("slip_seconds", "{seconds} s"),
    "slip_minutes": coded("slip_minutes", "{minutes} min"),
    "slip_hours_minutes": coded("slip_hours_minutes", "{hours} h {minutes} min"),
    "slip_articles": coded("slip_articles", "Articles sold"),
    "slip_none": coded("slip_none", "(none)"),
    "slip_pickups": coded("slip_pickups", "Reservations picked up"),
    "slip_voids": coded("slip_voids", "Voids: {count}"),
    "slip_operators": coded("slip_operators", "By operator (number of sales)"),
    "slip_gross": coded("slip_gross", "Gross total"),
    "slip_net": coded("slip_net", "Net total"),
    "slip_hash": coded("slip_hash", "Last hash:"),
    "slip_printed": coded("slip_printed", "Printed {when}"),
    # the kitchen's pick list
    "slip_picklist": coded("slip_picklist", "SANDWICHES"),
    "slip_uncollected": coded("slip_uncollected", "NOT COLLECTED"),
    "slip_picklist_day": coded("slip_picklist_day", "Reservations for {day}"),
    "slip_per_type": coded("slip_per_type", "Total per sandwich"),
    "slip_per_class": coded("slip_per_class", "By class and student"),
    "slip_class": coded("slip_class", "Class {name}"),
    "slip_pieces": coded("slip_pieces", "{count} in all"),
    # the low-balance slip
    "slip_low": coded("slip_low", "LOW BALANCE"),
    "slip_wallet_balance": coded("slip_wallet_balance", "Balance {wallet}"),
    "slip_topup": coded("slip_topup", "To top up, make a bank transfer:"),
    "slip_to": coded("slip_to", "Beneficiary: {name}"),
    "slip_iban": coded("slip_iban", "IBAN: {iban}"),
    "slip_bic": coded("slip_bic", "BIC: {bic}"),
    "slip_communication": coded("slip_communication", "Structured communication:"),
    "slip_amount": coded("slip_amount", "Suggested amount: {amount}"),
    "slip_scan": coded("slip_scan", "Or scan this code with your banking app:"),
    "slip_delay": coded("slip_delay",
                        "The money shows on the wallet about 4 working days after the transfer."),
    # a job printed again because the first printing was not confirmed
    "slip_duplicate": coded("slip_duplicate", "DUPLICATE"),
    "slip_duplicate_why": coded("slip_duplicate_why", "Possible second copy: the printer did not "
                                "confirm the first printing."),
    # the printer test page
    "slip_test": coded("slip_test", "PRINTER TEST"),
    "slip_accents": coded("slip_accents", "Accents:"),
    "slip_names": coded("slip_names", "Names in other alphabets:"),
    "slip_bold": coded("slip_bold", "Bold text"),
    "slip_double": coded("slip_double", "Double size"),
    "slip_columns": coded("slip_columns", "{n} columns:"),
    "slip_qr": coded("slip_qr", "QR code (test transfer):"),
    "slip_end": coded("slip_end", "End of test"),
}
ACCENTS = "é è à ç € ù â ê ô ë ï ü « »"
# names the code page lacks: other code pages (Ł ő Ж), transliteration (Ș ễ), a picture (the rest)
NAMES = ("Łukasz Kőrösi · Жанна · Ștefan Nguyễn", "محمد  שירה  李小龙")


def _t(lang: str | None, key: str, **params: object) -> str:
    """The text ``key`` of :data:`TEXTS` in ``lang`` (French for a language we do not speak),
    its ``{placeholders}`` filled in."""
    return translator(lang).pgettext(key, TEXTS[key]).format(**params)


def _when(when: datetime) -> str:
    return when.strftime("%d/%m/%Y %H:%M")


def _day(iso_day: str) -> str:
    y, m, d = iso_day.split("-")
    return f"{d}/{m}/{y}"


def duration(lang: str | None, seconds: int) -> str:
    """How long, for people: ``45 s``, ``12 min``, ``1 h 05 min`` (the sign is the caller's).

    >>> duration("fr", -3600), duration("en", 45), duration("nl", 61 * 3600 + 300)
    ('1 h 00 min', '45 s', '61 u 05 min')
    """
    seconds = abs(seconds)
    if seconds < 60:
        return _t(lang, "slip_seconds", seconds=seconds)
    hours, minutes = divmod(round(seconds / 60), 60)
    if not hours:
        return _t(lang, "slip_minutes", minutes=minutes)
    return _t(lang, "slip_hours_minutes", hours=hours, minutes=f"{minutes:02d}")


def clock_jump(lang: str | None, seq: int, seconds: int) -> str:
    """One jump of the clock, as a report and the terminal's status say it.

    >>> clock_jump("fr", 17, -3600)
    'Horloge reculée de 1 h 00 min (opération n°17)'
    """
    key = "slip_clock_back" if seconds < 0 else "slip_clock_forward"
    return _t(lang, key, duration=duration(lang, seconds), seq=seq)


def period_lines(lang: str | None, days: list[str], first: datetime | None,
                 last: datetime | None) -> list[str]:
    """The period a report covers: its day (or every day, when its entries span several) and
    its first and last entry's time (local datetimes).

    >>> from datetime import datetime
    >>> period_lines("fr", ["2026-11-20", "2026-11-23"], datetime(2026, 11, 20, 16, 5),
    ...              datetime(2026, 11, 23, 9, 40))
    ['Journées\\xa0: 20/11/2026, 23/11/2026', 'Du 20/11/2026 16:05 au 23/11/2026 09:40']
    """
    lines = []
    if len(days) > 1:
        lines.append(_days(lang, days))
    elif days:
        lines.append(_t(lang, "slip_day", day=_day(days[0])))
    if first is not None and last is not None:
        if len(days) > 1 or first.date() != last.date():
            lines.append(_t(lang, "slip_period", first=_when(first), last=_when(last)))
        else:
            lines.append(_t(lang, "slip_hours", first=first.strftime("%H:%M"),
                            last=last.strftime("%H:%M")))
    return lines


def _days(lang: str | None, days: list[str]) -> str:
    return _t(lang, "slip_days", days=", ".join(_day(d) for d in days))


def _header(doc: Document, school: str, terminal: str) -> None:
    if school:
        doc.title(school)
    doc.line(terminal, align="center")


# -- sales ------------------------------------------------------------------------------------
def sale_receipt(columns: int, *, school: str, terminal: str, operator: str, when: datetime,
                 seq: int, student: str, lines: list[dict], total_cents: int,
                 balances: list[tuple[str, int]], kind: str = "sale", lang: str = "fr") -> Document:
    """The student's receipt: who, when, what, total, and each debited wallet's new balance.
    ``lines`` are the journal entry's lines (qty, name, total_cents)."""
    money = lambda cents: format_cents(cents, lang)  # noqa: E731
    doc = Document(columns)
    _header(doc, school, terminal)
    doc.rule()
    title = "slip_photocopy" if kind == "photocopy" else "slip_receipt"
    doc.line(_t(lang, title, seq=seq), bold=True)
    doc.pair(_when(when), _t(lang, "slip_operator", operator=operator))
    doc.line(student)
    doc.rule()
    for line in lines:
        doc.pair(f"{line['qty']} x {line['name']}", money(line["total_cents"]))
    doc.rule()
    doc.pair(_t(lang, "slip_total"), money(total_cents), bold=True)
    for wallet, cents in balances:
        doc.pair(_t(lang, "slip_balance", wallet=wallet), money(cents))
    doc.blank()
    doc.line(_t(lang, "slip_thanks"), align="center")
    return doc


def cash_receipt(columns: int, *, school: str, terminal: str, operator: str, when: datetime,
                 seq: int, student: str, amount_cents: int, balances: list[tuple[str, int]],
                 lang: str = "fr") -> Document:
    """The family's proof of a cash top-up at the desk: who, when, how much, new balance."""
    doc = Document(columns)
    _header(doc, school, terminal)
    doc.rule()
    doc.line(_t(lang, "slip_cash", seq=seq), bold=True)
    doc.pair(_when(when), _t(lang, "slip_operator", operator=operator))
    doc.line(student)
    doc.rule()
    doc.pair(_t(lang, "slip_cash_received"), format_cents(amount_cents, lang), bold=True)
    for wallet, cents in balances:
        doc.pair(_t(lang, "slip_balance", wallet=wallet), format_cents(cents, lang))
    return doc


def void_receipt(columns: int, *, school: str, terminal: str, operator: str, when: datetime,
                 seq: int, voided_seq: int, student: str, lines: list[dict], credited_cents: int,
                 reason: str, balances: list[tuple[str, int]], lang: str = "fr") -> Document:
    """The void: which sale it cancels, what it gave back, and the new balances."""
    money = lambda cents: format_cents(cents, lang)  # noqa: E731
    doc = Document(columns)
    _header(doc, school, terminal)
    doc.rule()
    doc.line(_t(lang, "slip_void", seq=seq), bold=True)
    doc.line(_t(lang, "slip_of_sale", seq=voided_seq), bold=True)
    doc.pair(_when(when), _t(lang, "slip_operator", operator=operator))
    doc.line(student)
    doc.rule()
    for line in lines:
        doc.pair(f"{line['qty']} x {line['name']}", money(-line["total_cents"]))
    doc.rule()
    doc.pair(_t(lang, "slip_credited"), money(credited_cents), bold=True)
    if reason:
        doc.line(_t(lang, "slip_reason", reason=reason))
    for wallet, cents in balances:
        doc.pair(_t(lang, "slip_balance", wallet=wallet), money(cents))
    return doc


# -- reports ----------------------------------------------------------------------------------
def report(columns: int, summary: dict, *, school: str, terminal: str, when: datetime,
           close_seq: int | None = None, lang: str = "fr",
           period: tuple[datetime, datetime] | None = None) -> Document:
    """An X (running totals) or Z (day close) report from ``kiosk.reports.Report.summary()``.
    ``period``: its first and last entry's time, local (a summary of an older version has
    neither, nor ``days``: its ``day`` is then the only date said)."""
    money = lambda cents: format_cents(cents, lang)  # noqa: E731
    z = summary["kind"] == "Z"
    doc = Document(columns)
    _header(doc, school, terminal)
    doc.rule()
    doc.line(_t(lang, "slip_z" if z else "slip_x"), bold=True, double=True, align="center")
    doc.line(_t(lang, "slip_z_sub", seq=close_seq) if z else _t(lang, "slip_x_sub"), align="center")
    first, last = period or (None, None)
    for text in period_lines(lang, summary.get("days") or [summary["day"]], first, last):
        doc.line(text)
    doc.line(_t(lang, "slip_entries", first=summary.get("first_seq") or "-",
                last=summary.get("last_seq") or "-", count=summary.get("entries", 0)))
    for jump in summary.get("clock_jumps") or ():
        doc.line("! " + clock_jump(lang, jump["seq"], jump["seconds"]), bold=True)
    if summary.get("clock_jumps"):
        doc.line(_t(lang, "slip_clock_order"))
    doc.rule()
    doc.line(_t(lang, "slip_articles"), bold=True)
    for _code, a in sorted(summary["articles"].items()):
        doc.pair(f"{a['qty']} x {a['name']}", money(a["total_cents"]))
    if not summary["articles"]:
        doc.line(_t(lang, "slip_none"))
    if summary.get("pickups"):
        doc.line(_t(lang, "slip_pickups"), bold=True)
        for _code, p in sorted(summary["pickups"].items()):
            doc.line(f"{p['qty']} x {p['name']}")
    voids = summary["voids"]
    doc.pair(_t(lang, "slip_voids", count=voids["count"]), money(-voids["total_cents"]))
    if summary.get("cash", {}).get("count"):        # a Z of an older version has no "cash"
        cash = summary["cash"]
        doc.pair(_t(lang, "slip_cash_total", count=cash["count"]), money(cash["total_cents"]),
                 bold=True)
    doc.rule()
    doc.line(_t(lang, "slip_operators"), bold=True)
    for op in sorted(summary["operators"].values(), key=lambda o: o["name"]):
        doc.pair(f"{op['name']} ({op['sales']})", money(op["total_cents"]))
    doc.rule()
    doc.pair(_t(lang, "slip_gross"), money(summary["gross_cents"]))
    doc.pair(_t(lang, "slip_net"), money(summary["net_cents"]), bold=True)
    if summary.get("last_hash"):
        doc.line(_t(lang, "slip_hash"))
        doc.line(summary["last_hash"])
    doc.line(_t(lang, "slip_printed", when=_when(when)))
    return doc


# -- kitchen ----------------------------------------------------------------------------------
def pick_list(columns: int, *, day: str, reservations: list[dict], terminal: str = "",
              lang: str = "fr", uncollected: bool = False) -> Document:
    """The kitchen's list for ``day``: how many of each sandwich, then class by class who gets
    what. ``reservations``: dicts with class_name, last_name, first_name, name (the article)
    and quantity (cancelled ones are the caller's to leave out). ``uncollected``: the same
    list, titled for the end of service (the caller passes only what was not picked up)."""
    doc = Document(columns)
    title = "slip_uncollected" if uncollected else "slip_picklist"
    doc.line(_t(lang, title), bold=True, double=True, align="center")
    doc.line(_t(lang, "slip_picklist_day", day=_day(day)), align="center")
    if terminal:
        doc.line(terminal, align="center")
    doc.rule()
    doc.line(_t(lang, "slip_per_type"), bold=True)
    per_type: dict[str, int] = defaultdict(int)
    for r in reservations:
        per_type[r["name"]] += r["quantity"]
    for name, count in sorted(per_type.items()):
        doc.pair(name, str(count))
    if not per_type:
        doc.line(_t(lang, "slip_none"))
    doc.line(_t(lang, "slip_pieces", count=sum(per_type.values())), bold=True)
    doc.rule()
    doc.line(_t(lang, "slip_per_class"), bold=True)
    by_class: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for r in reservations:
        who = f"{r['last_name']} {r['first_name']}"
        by_class[r["class_name"] or "?"][who].append((r["name"], r["quantity"]))
    for class_name in sorted(by_class):
        doc.blank()
        doc.line(_t(lang, "slip_class", name=class_name), bold=True)
        for who in sorted(by_class[class_name]):
            items = sorted(by_class[class_name][who])
            doc.pair(who, f"{items[0][1]} x {items[0][0]}")
            for name, qty in items[1:]:
                doc.pair("", f"{qty} x {name}")
    return doc


# -- top-ups ----------------------------------------------------------------------------------
def low_balance_slip(columns: int, *, school: str, iban: str, bic: str, student: str,
                     wallet: str, balance_cents: int, communication: str, amount_cents: int,
                     epc_payload: str | None, when: datetime, lang: str = "fr") -> Document:
    """For the student to take home: the balance, and how the parents top up the wallet (the
    school's IBAN, the wallet's structured communication, an EPC QR code for banking apps).
    ``iban`` is formatted for reading (``kiosk.payments.format_iban``)."""
    money = lambda cents: format_cents(cents, lang)  # noqa: E731
    doc = Document(columns)
    if school:
        doc.title(school)
    doc.line(_t(lang, "slip_low"), bold=True, double=True, align="center")
    doc.rule()
    doc.line(student, bold=True)
    doc.pair(_t(lang, "slip_wallet_balance", wallet=wallet), money(balance_cents), bold=True)
    doc.line(_when(when))
    doc.rule()
    doc.line(_t(lang, "slip_topup"))
    doc.line(_t(lang, "slip_to", name=school))
    doc.line(_t(lang, "slip_iban", iban=iban))
    if bic:
        doc.line(_t(lang, "slip_bic", bic=bic))
    doc.line(_t(lang, "slip_communication"))
    doc.line(communication, bold=True, align="center")
    if amount_cents:
        doc.line(_t(lang, "slip_amount", amount=money(amount_cents)))
    if epc_payload:
        doc.line(_t(lang, "slip_scan"))
        doc.qr(epc_payload)
    doc.line(_t(lang, "slip_delay"))
    return doc


# -- the printer test page ---------------------------------------------------------------------
TEST_WIDTHS = (32, 42, 48)


def test_page(columns: int, *, description: list[str], epc_payload: str | None,
              lang: str = "fr") -> Document:
    """A page that shows what the printer does: its settings, the accents and the euro sign
    in the chosen code page, names in other alphabets (other code pages, transliterated, or
    drawn: ``drivers.printer.letters``), bold and double size, one ruler per supported width (the widest
    ruler that stays on one line is the ``columns`` to configure) and a QR code."""
    doc = Document(max(TEST_WIDTHS))      # rulers wider than the paper wrap: that is the test
    doc.line(_t(lang, "slip_test"), bold=True, double=True, align="center")
    for text in description:
        doc.line(text)
    doc.line("=" * min(columns, max(TEST_WIDTHS)))
    doc.line(_t(lang, "slip_accents"))
    doc.line(ACCENTS)
    doc.line(_t(lang, "slip_names"))
    for names in NAMES:
        doc.line(names)
    doc.line(_t(lang, "slip_bold"), bold=True)
    doc.line(_t(lang, "slip_double"), double=True)
    for width in TEST_WIDTHS:
        doc.line(_t(lang, "slip_columns", n=width))
        doc.line(("1234567890" * 5)[:width])
    if epc_payload:
        doc.line(_t(lang, "slip_qr"))
        doc.qr(epc_payload)
    doc.line(_t(lang, "slip_end"), align="center")
    return doc


test_page.__test__ = False  # type: ignore[attr-defined]  # pytest: a layout, not a test


def duplicate(doc: Document, lang: str | None = None) -> Document:
    """``doc`` marked as a possible second copy: printed again because the printer did not
    confirm the first printing (it may be on paper already, whole or in part).

    >>> doc = Document(32)
    >>> doc.line("Ticket n°17")
    >>> print("\\n".join(duplicate(doc, "fr").text_lines()))
    DUPLICATA
    Copie possible : l'imprimante
    n'a pas confirmé la première
    impression.
    --------------------------------
    Ticket n°17
    --------------------------------
    DUPLICATA
    """
    out = Document(doc.columns)
    out.title(_t(lang, "slip_duplicate"))
    out.line(_t(lang, "slip_duplicate_why"), align="center")
    out.rule()
    out.items += doc.items
    out.rule()
    out.title(_t(lang, "slip_duplicate"))
    return out
