"""The role table's rows of the money pages and their JSON API (``roles.Row``). The page
upload of a bank statement (a file, which rows do not send) is checked role by role in
test_money_pages.py."""
from __future__ import annotations

import itertools

from kiosk.demo.school import structured_communication
from sync.models import DataSet
from sync.server import money_api

from .platform import Platform, School
from .roles import Row

_n = itertools.count(1)


def new_wallet(platform: Platform, school: School) -> dict[str, str]:
    """A new student of the school with a wallet holding 10,00 €."""
    n = next(_n)
    student, wallet = f"S-MONEY-{n}", f"W-MONEY-{n}"
    platform.store.load(school.id, DataSet.model_validate({
        "students": [{"id": student, "first_name": "Jules", "last_name": f"Martin {n}",
                      "class_name": "2B"}],
        "wallets": [{"id": wallet, "student_id": student, "kind": "main", "name": "Repas",
                     "structured_communication": structured_communication(700_000_000 + n),
                     "is_default": True, "balance_cents": 1000, "included_seq": 0}]}))
    return {"wallet": wallet}


ROWS = [
    Row("GET", "/money", "money.read"),
    Row("GET", "/money/wallets/{wallet}", "money.read", setup=new_wallet),
    Row("POST", "/money/wallets/{wallet}", "money.write",
        form={"kind": "topup", "amount": "5,00", "reason": "espèces au secrétariat"},
        setup=new_wallet),
    Row("GET", money_api.NEGATIVE, "money.read"),
    Row("GET", money_api.WALLET.replace("{wallet_id}", "{wallet}"), "money.read",
        setup=new_wallet),
    Row("POST", money_api.ADJUSTMENTS.replace("{wallet_id}", "{wallet}"), "money.write",
        json={"kind": "correction", "amount": "-2,50", "reason": "erreur d'encodage"},
        setup=new_wallet),
]
