"""Money is integer cents everywhere; these two functions are the only way in and out.

>>> format_cents(-150, "fr_BE")
'-1,50\xa0€'
>>> parse_euros("1,50")
150
"""
from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_currency

LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_IE"}


def format_cents(cents: int, locale: str = "fr_BE", currency: str = "EUR") -> str:
    locale = LOCALES.get(locale, locale)
    return format_currency(Decimal(int(cents)).scaleb(-2), currency, locale=locale)


_EUROS = re.compile(r"^\s*(-?)(\d+)(?:[.,](\d{1,2}))?\s*(?:€|EUR)?\s*$")


def parse_euros(text: str) -> int:
    """'1,50', '1.5', '2' or '2 €' → cents. Anything else is a ValueError (never a guess)."""
    m = _EUROS.match(str(text))
    if not m:
        raise ValueError(f"not an amount in euros: {text!r}")
    sign, units, frac = m.groups()
    cents = int(units) * 100 + int((frac or "0").ljust(2, "0"))
    return -cents if sign else cents
