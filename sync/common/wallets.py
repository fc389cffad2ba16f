"""Which of a student's wallets pays for an article: the rule both ends apply (the counter
when it sells, the platform when a parent reserves).

A student may have several wallets (the seeds' "le ou les portefeuilles": meals, school
supplies…). The article's category names the wallet kind that pays for it; a student without
a wallet of that kind, or a category without a kind, pays from the default wallet. An article
is never split across wallets.

>>> from collections import namedtuple
>>> W = namedtuple("W", "id kind")
>>> mine = [W("W1", "main"), W("W1F", "supplies")]       # default wallet first
>>> paying_wallet(mine, "supplies").id
'W1F'
>>> paying_wallet(mine, "trips").id, paying_wallet(mine, None).id
('W1', 'W1')
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TypeVar

W = TypeVar("W")


def paying_wallet(wallets: Sequence[W], category_kind: str | None,
                  kind: Callable[[W], str] = attrgetter("kind")) -> W:
    """The wallet of ``category_kind`` if the student has one, else the default wallet.
    ``wallets`` are ordered default-first and not empty; ``kind`` reads a wallet's kind."""
    if category_kind:
        for wallet in wallets:
            if kind(wallet) == category_kind:
                return wallet
    return wallets[0]
