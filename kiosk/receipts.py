"""What each printed slip says, for 32, 42 or 48 characters per line: sale receipt, void
receipt, X and Z reports, the kitchen's sandwich pick list, the low-balance slip with the
top-up instructions (and its EPC QR code), and the printer test page. The printer driver
(``drivers.printer``) only prints the ``Document`` these make: what a slip says is the
terminal's business.

Layouts are pure: plain values in (names, cents, an aware local datetime), a ``Document`` out.
Amounts go through ``sync.common.money.format_cents`` (fr-BE by default); the words follow the
terminal's language (fr, nl, en).

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
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from drivers.printer.document import Document
from sync.common.money import format_cents

LABELS = {
    "fr": {"receipt": "Ticket n°{seq}", "void": "ANNULATION n°{seq}", "of_sale": "de la vente n°{seq}",
           "operator": "Servi par {operator}", "total": "TOTAL", "credited": "Recrédité",
           "reason": "Motif : {reason}", "balance": "Nouveau solde {wallet}", "thanks": "Merci et bon appétit !",
           "photocopy": "Photocopies n°{seq}",
           "x": "RAPPORT X", "z": "RAPPORT Z", "x_sub": "Totaux en cours (rien n'est clôturé)",
           "z_sub": "Clôture de la journée n°{seq}", "day": "Journée du {day}",
           "entries": "Opérations n°{first} à n°{last} ({count})", "articles": "Articles vendus",
           "pickups": "Réservations retirées", "voids": "Annulations : {count}",
           "operators": "Par opérateur (nombre de ventes)", "gross": "Total brut",
           "net": "Total net", "hash": "Empreinte finale :", "printed": "Imprimé le {when}",
           "none": "(aucune)",
           "picklist": "SANDWICHS", "uncollected": "NON RETIRÉS", "picklist_day": "Réservations du {day}",
           "per_type": "Total par sandwich", "per_class": "Par classe et par élève",
           "class": "Classe {name}", "pieces": "{count} pièces au total",
           "low": "SOLDE BAS", "wallet_balance": "Solde {wallet}",
           "topup": "Pour recharger, faites un virement :", "to": "Bénéficiaire : {name}",
           "iban": "IBAN : {iban}", "bic": "BIC : {bic}", "communication": "Communication structurée :",
           "amount": "Montant suggéré : {amount}", "scan": "Ou scannez ce code avec l'app de votre banque :",
           "delay": "L'argent apparaît sur le portefeuille environ 4 jours ouvrables après le virement.",
           "test": "TEST IMPRIMANTE", "columns": "{n} colonnes :", "accents": "Accents :",
           "bold": "Texte en gras", "double": "Double taille", "qr": "Code QR (virement de test) :",
           "end": "Fin du test"},
    "nl": {"receipt": "Ticket nr. {seq}", "void": "ANNULERING nr. {seq}", "of_sale": "van verkoop nr. {seq}",
           "operator": "Bediend door {operator}", "total": "TOTAAL", "credited": "Teruggestort",
           "reason": "Reden: {reason}", "balance": "Nieuw saldo {wallet}", "thanks": "Dank je en smakelijk!",
           "photocopy": "Kopieën nr. {seq}",
           "x": "X-RAPPORT", "z": "Z-RAPPORT", "x_sub": "Lopende totalen (niets afgesloten)",
           "z_sub": "Dagafsluiting nr. {seq}", "day": "Dag {day}",
           "entries": "Verrichtingen nr. {first} tot nr. {last} ({count})", "articles": "Verkochte artikelen",
           "pickups": "Afgehaalde reservaties", "voids": "Annuleringen: {count}",
           "operators": "Per operator (aantal verkopen)", "gross": "Bruto totaal",
           "net": "Netto totaal", "hash": "Laatste vingerafdruk:", "printed": "Afgedrukt op {when}",
           "none": "(geen)",
           "picklist": "BROODJES", "uncollected": "NIET AFGEHAALD", "picklist_day": "Reservaties van {day}",
           "per_type": "Totaal per broodje", "per_class": "Per klas en per leerling",
           "class": "Klas {name}", "pieces": "{count} stuks in totaal",
           "low": "LAAG SALDO", "wallet_balance": "Saldo {wallet}",
           "topup": "Opladen met een overschrijving:", "to": "Begunstigde: {name}",
           "iban": "IBAN: {iban}", "bic": "BIC: {bic}", "communication": "Gestructureerde mededeling:",
           "amount": "Voorgesteld bedrag: {amount}", "scan": "Of scan deze code met je bankapp:",
           "delay": "Het geld staat ongeveer 4 werkdagen na de overschrijving op de portefeuille.",
           "test": "PRINTERTEST", "columns": "{n} kolommen:", "accents": "Accenten:",
           "bold": "Vetgedrukt", "double": "Dubbele grootte", "qr": "QR-code (testoverschrijving):",
           "end": "Einde van de test"},
    "en": {"receipt": "Receipt {seq}", "void": "VOID {seq}", "of_sale": "of sale {seq}",
           "operator": "Served by {operator}", "total": "TOTAL", "credited": "Credited back",
           "reason": "Reason: {reason}", "balance": "New balance {wallet}", "thanks": "Thank you, enjoy!",
           "photocopy": "Copies {seq}",
           "x": "X REPORT", "z": "Z REPORT", "x_sub": "Running totals (nothing closed)",
           "z_sub": "Day close {seq}", "day": "Day {day}",
           "entries": "Entries {first} to {last} ({count})", "articles": "Articles sold",
           "pickups": "Reservations picked up", "voids": "Voids: {count}",
           "operators": "By operator (number of sales)", "gross": "Gross total",
           "net": "Net total", "hash": "Last hash:", "printed": "Printed {when}", "none": "(none)",
           "picklist": "SANDWICHES", "uncollected": "NOT COLLECTED", "picklist_day": "Reservations for {day}",
           "per_type": "Total per sandwich", "per_class": "By class and student",
           "class": "Class {name}", "pieces": "{count} in all",
           "low": "LOW BALANCE", "wallet_balance": "Balance {wallet}",
           "topup": "To top up, make a bank transfer:", "to": "Beneficiary: {name}",
           "iban": "IBAN: {iban}", "bic": "BIC: {bic}", "communication": "Structured communication:",
           "amount": "Suggested amount: {amount}", "scan": "Or scan this code with your banking app:",
           "delay": "The money shows on the wallet about 4 working days after the transfer.",
           "test": "PRINTER TEST", "columns": "{n} columns:", "accents": "Accents:",
           "bold": "Bold text", "double": "Double size", "qr": "QR code (test transfer):",
           "end": "End of test"},
}
ACCENTS = "é è à ç € ù â ê ô ë ï ü « »"


def _t(lang: str, key: str, **params) -> str:
    return (LABELS.get(lang) or LABELS["fr"])[key].format(**params)


def _when(when: datetime) -> str:
    return when.strftime("%d/%m/%Y %H:%M")


def _day(iso_day: str) -> str:
    y, m, d = iso_day.split("-")
    return f"{d}/{m}/{y}"


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
    doc.line(_t(lang, "photocopy" if kind == "photocopy" else "receipt", seq=seq), bold=True)
    doc.pair(_when(when), _t(lang, "operator", operator=operator))
    doc.line(student)
    doc.rule()
    for line in lines:
        doc.pair(f"{line['qty']} x {line['name']}", money(line["total_cents"]))
    doc.rule()
    doc.pair(_t(lang, "total"), money(total_cents), bold=True)
    for wallet, cents in balances:
        doc.pair(_t(lang, "balance", wallet=wallet), money(cents))
    doc.blank()
    doc.line(_t(lang, "thanks"), align="center")
    return doc


def void_receipt(columns: int, *, school: str, terminal: str, operator: str, when: datetime,
                 seq: int, voided_seq: int, student: str, lines: list[dict], credited_cents: int,
                 reason: str, balances: list[tuple[str, int]], lang: str = "fr") -> Document:
    """The void: which sale it cancels, what it gave back, and the new balances."""
    money = lambda cents: format_cents(cents, lang)  # noqa: E731
    doc = Document(columns)
    _header(doc, school, terminal)
    doc.rule()
    doc.line(_t(lang, "void", seq=seq), bold=True)
    doc.line(_t(lang, "of_sale", seq=voided_seq), bold=True)
    doc.pair(_when(when), _t(lang, "operator", operator=operator))
    doc.line(student)
    doc.rule()
    for line in lines:
        doc.pair(f"{line['qty']} x {line['name']}", money(-line["total_cents"]))
    doc.rule()
    doc.pair(_t(lang, "credited"), money(credited_cents), bold=True)
    if reason:
        doc.line(_t(lang, "reason", reason=reason))
    for wallet, cents in balances:
        doc.pair(_t(lang, "balance", wallet=wallet), money(cents))
    return doc


# -- reports ----------------------------------------------------------------------------------
def report(columns: int, summary: dict, *, school: str, terminal: str, when: datetime,
           close_seq: int | None = None, lang: str = "fr") -> Document:
    """An X (running totals) or Z (day close) report from ``kiosk.reports.Report.summary()``."""
    money = lambda cents: format_cents(cents, lang)  # noqa: E731
    z = summary["kind"] == "Z"
    doc = Document(columns)
    _header(doc, school, terminal)
    doc.rule()
    doc.line(_t(lang, "z" if z else "x"), bold=True, double=True, align="center")
    doc.line(_t(lang, "z_sub", seq=close_seq) if z else _t(lang, "x_sub"), align="center")
    doc.line(_t(lang, "day", day=_day(summary["day"])))
    doc.line(_t(lang, "entries", first=summary.get("first_seq") or "-",
                last=summary.get("last_seq") or "-", count=summary.get("entries", 0)))
    doc.rule()
    doc.line(_t(lang, "articles"), bold=True)
    for code, a in sorted(summary["articles"].items()):
        doc.pair(f"{a['qty']} x {a['name']}", money(a["total_cents"]))
    if not summary["articles"]:
        doc.line(_t(lang, "none"))
    if summary.get("pickups"):
        doc.line(_t(lang, "pickups"), bold=True)
        for code, p in sorted(summary["pickups"].items()):
            doc.line(f"{p['qty']} x {p['name']}")
    voids = summary["voids"]
    doc.pair(_t(lang, "voids", count=voids["count"]), money(-voids["total_cents"]))
    doc.rule()
    doc.line(_t(lang, "operators"), bold=True)
    for op in sorted(summary["operators"].values(), key=lambda o: o["name"]):
        doc.pair(f"{op['name']} ({op['sales']})", money(op["total_cents"]))
    doc.rule()
    doc.pair(_t(lang, "gross"), money(summary["gross_cents"]))
    doc.pair(_t(lang, "net"), money(summary["net_cents"]), bold=True)
    if summary.get("last_hash"):
        doc.line(_t(lang, "hash"))
        doc.line(summary["last_hash"])
    doc.line(_t(lang, "printed", when=_when(when)))
    return doc


# -- kitchen ----------------------------------------------------------------------------------
def pick_list(columns: int, *, day: str, reservations: list[dict], terminal: str = "",
              lang: str = "fr", uncollected: bool = False) -> Document:
    """The kitchen's list for ``day``: how many of each sandwich, then class by class who gets
    what. ``reservations``: dicts with class_name, last_name, first_name, name (the article)
    and quantity (cancelled ones are the caller's to leave out). ``uncollected``: the same
    list, titled for the end of service (the caller passes only what was not picked up)."""
    doc = Document(columns)
    doc.line(_t(lang, "uncollected" if uncollected else "picklist"), bold=True, double=True,
             align="center")
    doc.line(_t(lang, "picklist_day", day=_day(day)), align="center")
    if terminal:
        doc.line(terminal, align="center")
    doc.rule()
    doc.line(_t(lang, "per_type"), bold=True)
    per_type: dict[str, int] = defaultdict(int)
    for r in reservations:
        per_type[r["name"]] += r["quantity"]
    for name, count in sorted(per_type.items()):
        doc.pair(name, str(count))
    if not per_type:
        doc.line(_t(lang, "none"))
    doc.line(_t(lang, "pieces", count=sum(per_type.values())), bold=True)
    doc.rule()
    doc.line(_t(lang, "per_class"), bold=True)
    by_class: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for r in reservations:
        who = f"{r['last_name']} {r['first_name']}"
        by_class[r["class_name"] or "?"][who].append((r["name"], r["quantity"]))
    for class_name in sorted(by_class):
        doc.blank()
        doc.line(_t(lang, "class", name=class_name), bold=True)
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
    doc.line(_t(lang, "low"), bold=True, double=True, align="center")
    doc.rule()
    doc.line(student, bold=True)
    doc.pair(_t(lang, "wallet_balance", wallet=wallet), money(balance_cents), bold=True)
    doc.line(_when(when))
    doc.rule()
    doc.line(_t(lang, "topup"))
    doc.line(_t(lang, "to", name=school))
    doc.line(_t(lang, "iban", iban=iban))
    if bic:
        doc.line(_t(lang, "bic", bic=bic))
    doc.line(_t(lang, "communication"))
    doc.line(communication, bold=True, align="center")
    if amount_cents:
        doc.line(_t(lang, "amount", amount=money(amount_cents)))
    if epc_payload:
        doc.line(_t(lang, "scan"))
        doc.qr(epc_payload)
    doc.line(_t(lang, "delay"))
    return doc


# -- the printer test page ---------------------------------------------------------------------
TEST_WIDTHS = (32, 42, 48)


def test_page(columns: int, *, description: list[str], epc_payload: str | None,
              lang: str = "fr") -> Document:
    """A page that shows what the printer does: its settings, the accents and the euro sign
    in the chosen code page, bold and double size, one ruler per supported width (the widest
    ruler that stays on one line is the ``columns`` to configure) and a QR code."""
    doc = Document(max(TEST_WIDTHS))      # rulers wider than the paper wrap: that is the test
    doc.line(_t(lang, "test"), bold=True, double=True, align="center")
    for text in description:
        doc.line(text)
    doc.line("=" * min(columns, max(TEST_WIDTHS)))
    doc.line(_t(lang, "accents"))
    doc.line(ACCENTS)
    doc.line(_t(lang, "bold"), bold=True)
    doc.line(_t(lang, "double"), double=True)
    for width in TEST_WIDTHS:
        doc.line(_t(lang, "columns", n=width))
        doc.line(("1234567890" * 5)[:width])
    if epc_payload:
        doc.line(_t(lang, "qr"))
        doc.qr(epc_payload)
    doc.line(_t(lang, "end"), align="center")
    return doc


test_page.__test__ = False     # pytest: a layout, not a test
