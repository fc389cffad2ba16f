"""Money in and out (``sync.common.money``): the amounts a school types and reads.

Each case pins a rule the mutation run (``make mutation``, docs/mutation.md) found unpinned:
whole euros, one cent, zero, a minus sign, and the way each language writes an amount."""
from __future__ import annotations

import pytest

from sync.common.money import format_cents, parse_euros


@pytest.mark.parametrize("text, cents", [
    ("20", 2000),               # whole euros: no decimals is not "20 cents"
    ("0", 0),
    ("0,01", 1),                # one cent
    ("0.01", 1),
    ("1,5", 150),               # one decimal is tenths
    ("1.50", 150),
    ("12,34", 1234),
    (" 2 € ", 200),
    ("2 EUR", 200),
    ("-5", -500),               # `--euros -5` is minus five euros, never plus five
    ("-0,01", -1),
])
def test_parse_euros_reads_what_people_write(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,234", "1.2.3", "--5", "5-", "€", "1,", ",5",
                                  "1 000", "+5"])
def test_parse_euros_refuses_rather_than_guesses(text):
    with pytest.raises(ValueError, match="not an amount in euros"):
        parse_euros(text)


def test_parse_euros_takes_any_object_as_its_text():
    assert parse_euros(7) == 700            # an int from a config file reads as euros too


@pytest.mark.parametrize("lang, cents, shown", [
    ("fr", 1999, "19,99\xa0€"),
    ("fr_BE", 1999, "19,99\xa0€"),
    ("nl", 1999, "€\xa019,99"),             # Dutch: the sign first, a decimal comma
    ("nl_BE", 1, "€\xa00,01"),
    ("en", 1999, "€19.99"),                 # English: the sign first, a decimal point
    ("en", -5, "-€0.05"),
    ("fr", 0, "0,00\xa0€"),
    ("fr", 1, "0,01\xa0€"),
    ("fr", -150, "-1,50\xa0€"),
    ("fr", 123456, "1\u202f234,56\xa0€"),
])
def test_format_cents_in_each_language(lang, cents, shown):
    assert format_cents(cents, lang) == shown


def test_format_cents_defaults_to_the_schools_french_in_euros():
    assert format_cents(250) == "2,50\xa0€"
    assert format_cents(250, "en", "USD") == "US$2.50"

