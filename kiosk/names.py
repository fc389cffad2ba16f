"""Article and category names in the screen's language. The platform sends each name in the
languages the school fills (``sync.models.Names``: French always, Dutch and English when the
school uses them); a language left empty shows the school's language (the terminal's
``[terminal] language``), then French. What the journal recorded (a sale's lines keep the
French name, as receipts print it) is shown again by code, in the screen's language.

>>> pick({"fr": "Potage", "nl": "Soep"}, "nl", school="fr")
'Soep'
>>> pick({"fr": "Potage", "nl": "Soep"}, "en", school="nl")
'Soep'
>>> pick({"fr": "Potage"}, "en")
'Potage'
>>> from kiosk.demo.store import demo_service
>>> service, _session = demo_service()
>>> book = read(service.store)
>>> book.article("SOUP", "nl"), book.category("drink", "en"), book.article("NOPE", "nl", "Nope")
('Soep met brood', 'Drinks', 'Nope')
>>> book.localise({"article": "Potage et pain", "code": "SOUP", "articles": ["SOUP"]}, "en")
{'article': 'Soup and bread', 'code': 'SOUP', 'articles': ['SOUP']}
>>> service.store.close()
"""
from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping
from typing import NamedTuple

from kiosk.store import Store
from sync.common.i18n import DEFAULT_LANGUAGE, LANGUAGES, coded, translator

# A wallet named with the plain word (a school with one wallet: "Portefeuille") is shown with
# the word of the screen's language; a name the school chose ("Repas") is shown as it is.
WALLET = coded("wallet_default", "Wallet")


def wallet(name: str, lang: str) -> str:
    """
    >>> wallet("Portefeuille", "nl"), wallet("Repas", "nl")
    ('Portemonnee', 'Repas')
    """
    if name.strip().casefold() in _wallet_words():
        return translator(lang).pgettext("wallet_default", WALLET)
    return name


@functools.cache
def _wallet_words() -> frozenset[str]:
    return frozenset(translator(lang).pgettext("wallet_default", WALLET).casefold()
                     for lang in LANGUAGES)

Names = Mapping[str, "str | None"]


def pick(names: Names, lang: str, school: str = DEFAULT_LANGUAGE) -> str:
    """The name in ``lang``, else in the school's language, else French, else any."""
    for choice in (lang, school, DEFAULT_LANGUAGE, *LANGUAGES):
        if names.get(choice):
            return str(names[choice])
    return ""


class NameBook(NamedTuple):
    """Every article's and category's names, by code, read in one go (a few dozen rows)."""
    articles: dict[str, dict[str, str | None]]
    categories: dict[str, dict[str, str | None]]
    school: str = DEFAULT_LANGUAGE

    def article(self, code: str, lang: str, default: str | None = None) -> str:
        names = self.articles.get(code)
        return pick(names, lang, self.school) if names else (default or code)

    def category(self, code: str, lang: str, default: str | None = None) -> str:
        names = self.categories.get(code)
        return pick(names, lang, self.school) if names else (default or code)

    def articles_text(self, codes: list[str], lang: str) -> str:
        return ", ".join(self.article(c, lang) for c in codes)

    def localise(self, params: Mapping[str, object], lang: str) -> dict[str, object]:
        """A refusal's or a question's parameters with the article and category names in
        ``lang``: the counter names them in French and adds their codes (``code``, the
        allergen alert's ``articles``, ``category_code``)."""
        out = dict(params)
        codes = params.get("articles")
        if isinstance(codes, (list, tuple)) and codes:
            out["article"] = self.articles_text([str(c) for c in codes], lang)
        elif isinstance(params.get("code"), str) and "article" in params:
            out["article"] = self.article(str(params["code"]), lang, str(params["article"]))
        if isinstance(params.get("wallet"), str):
            out["wallet"] = wallet(str(params["wallet"]), lang)
        if isinstance(params.get("category_code"), str) and "category" in params:
            out["category"] = self.category(str(params["category_code"]), lang,
                                            str(params["category"]))
        return out


EMPTY = NameBook({}, {})


def read(store: Store, school: str = DEFAULT_LANGUAGE) -> NameBook:
    with store.read() as conn:
        return read_in(conn, school)


def read_in(conn: sqlite3.Connection, school: str = DEFAULT_LANGUAGE) -> NameBook:
    """The same, in a transaction the caller holds."""
    articles = {code: {"fr": fr, "nl": nl, "en": en} for code, fr, nl, en in conn.execute(
        "SELECT code, name_fr, name_nl, name_en FROM articles")}
    categories = {code: {"fr": fr, "nl": nl, "en": en} for code, fr, nl, en in conn.execute(
        "SELECT code, name, name_nl, name_en FROM categories")}
    return NameBook(articles, categories, school)


def renamed(lines: list[dict], book: NameBook, lang: str) -> list[dict]:
    """Journal lines (``article`` code, ``name`` as recorded) with their names in ``lang``."""
    return [{**line, "name": book.article(line.get("article", ""), lang, line.get("name"))}
            for line in lines]
