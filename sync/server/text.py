"""Matching text the way people type it: the sales journal's article search and the bank
statement's column names both ignore case and accents."""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Text for matching: case and accents ignored.

    >>> fold("Végétarien")
    'vegetarien'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
