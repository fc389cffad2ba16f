"""What a result screen says about a tap, as plain text in the screen's language (no Kivy):
green "PAID" with the name, class, what was bought and the new balance; red "REFUSED" with
the reason and, for a balance too low, the missing amount.

>>> from kiosk.demo.store import demo_service
>>> from kiosk.ui.flows import charge
>>> service, session = demo_service()
>>> out = charge(service, "04A1B2C3", lambda c: service.sell(session, "04A1B2C3", {"SOUP": 1}, c))
>>> shown = outcome(out, "fr")
>>> shown.kind, shown.name, shown.detail, shown.big
('ok', 'Emma Dubois — 1A', '1 × Potage et pain', 'Nouveau solde\\xa0: 24,00\\xa0€')
>>> out = charge(service, "05000000", lambda c: service.sell(session, "05000000", {"SOUP": 1}, c))
>>> outcome(out, "en").reason
'Unknown badge: it belongs to no student. Send the student to reception.'
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from kiosk.names import EMPTY, NameBook
from kiosk.ui.formats import money
from kiosk.ui.texts import tr
from sync.common.messages import render

if TYPE_CHECKING:
    from kiosk.holders import Student
    from kiosk.ui.flows import TapOutcome


class Shown(NamedTuple):
    kind: str           # ok | refused
    title: str          # PAYÉ / REFUSÉ
    name: str           # "Emma Dubois — 1A", or "" when the badge is not known
    detail: str         # what was bought
    big: str            # new balance, or the missing amount
    reason: str         # why it was refused


def student_line(student: Student | None) -> str:
    return f"{student.display_name} — {student.class_name}" if student else ""


def lines_text(lines: Iterable[dict], lang: str, names: NameBook = EMPTY) -> str:
    """'2 × Potage et pain, 1 × Eau 50 cl', article names in the screen's language when known
    (``names``: ``kiosk.names.read``)."""
    return ", ".join(f"{line['qty']} × {names.article(line['article'], lang, line['name'])}"
                     for line in lines)


def outcome(out: TapOutcome, lang: str, names: NameBook = EMPTY) -> Shown:
    student = student_line(out.student)
    if out.result is not None:
        touched = {line["wallet"] for line in out.result.lines}
        balances = [w for w in out.result.wallets if w.id in touched] or list(out.result.wallets[:1])
        big = " · ".join(tr("new_balance", lang, amount=money(w.balance_cents, lang)) for w in balances)
        return Shown("ok", tr("paid", lang), student, lines_text(out.result.lines, lang, names), big, "")
    error = out.error
    assert error is not None            # a tap has its sale or its error
    big = ""
    if error.code == "insufficient_balance":
        big = tr("missing", lang, amount=money(error.params["missing_cents"], lang))
    return Shown("refused", tr("refused", lang), student, "", big,
                 render(error.code, names.localise(error.params, lang), lang))
