"""A terminal's cash top-up (journal kind ``cash_topup``, ``kiosk.cash_topups``): cash taken
at a reception desk and credited to a wallet. Push applies it like any entry (its one
posting credits the wallet, exactly once per seq); this is the shape it must have.

>>> check_entry({"cash_cents": 500, "amount_cents": 500,
...              "postings": [{"wallet": "W1", "amount_cents": 500}]}) is None
True
>>> check_entry({"cash_cents": 500, "amount_cents": -500,
...              "postings": [{"wallet": "W1", "amount_cents": -500}]})
'a cash top-up credits one wallet with the cash taken'
"""
from __future__ import annotations

from sync.server.errors import Phrase

KIND = "cash_topup"


def check_entry(data: dict) -> Phrase | None:
    """Why a pushed cash top-up is malformed, or None: one posting, crediting exactly the
    cash taken (above zero)."""
    cash, postings = data.get("cash_cents"), data.get("postings")
    if (type(cash) is not int or cash <= 0 or not isinstance(postings, list)
            or len(postings) != 1 or postings[0].get("amount_cents") != cash):
        return Phrase("a cash top-up credits one wallet with the cash taken")
    return None
