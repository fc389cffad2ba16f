"""The school's catalogue, as its office keeps it: categories (and the wallet kind that pays
for them), articles (price, category, allergen and diet tags, names in FR/NL/EN, the counters
that show them, reservable, active).

Every write is one transaction scoped to the school and gives the rows it changes a new
change version (``synced.upsert``): terminals get them with their next pull. Nothing is ever
deleted: an article the journal has sold keeps its name and price history there, so an
article leaves the counters by being deactivated (``set_article_active``); a category is
renamed, never removed (terminals would keep a removed one anyway: pulls carry no deletions).
Codes are keys (the journal and reservations name them): they never change."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync.common.allergens import CODES as ALLERGEN_CODES
from sync.models import Article, Category, Names
from sync.server import synced
from sync.server.database import Connection, Database
from sync.server.errors import CentralError

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"     # SOUP, SANDW-HAM: what a terminal types
MAX_PRICE_CENTS = 1_000_000                       # sync.models.Article's bound: 10.000,00 €
PROFILES = ("canteen", "reception")               # the kinds of counter (sync.models.Article)
Profile = Literal["canteen", "reception"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              str_strip_whitespace=True)


class NamesIn(_In):
    """A name in the school's languages: French always, Dutch and English when used."""
    fr: str = Field(min_length=1, max_length=80)
    nl: str | None = Field(default=None, max_length=80)
    en: str | None = Field(default=None, max_length=80)

    def names(self) -> Names:
        return Names(fr=self.fr, nl=self.nl or None, en=self.en or None)


class CategoryFields(_In):
    name: NamesIn
    wallet_kind: str | None = Field(default=None, max_length=40)   # None: the default wallet


class NewCategory(CategoryFields):
    code: str = Field(pattern=CODE)


class ArticleFields(_In):
    name: NamesIn
    price_cents: int = Field(ge=0, le=MAX_PRICE_CENTS)
    category: str = Field(min_length=1, max_length=40)
    allergens: list[str] = Field(default=[], max_length=len(ALLERGEN_CODES))
    profiles: list[Profile] = Field(default=["canteen"], max_length=len(PROFILES))
    reservable: bool = False
    active: bool = True

    @field_validator("allergens")
    @classmethod
    def _allergens(cls, tags: list[str]) -> list[str]:
        unknown = [t for t in tags if t not in ALLERGEN_CODES]
        if unknown:
            raise ValueError(f"unknown allergen or diet tag {unknown[0][:40]!r}"
                             f" (known: {', '.join(ALLERGEN_CODES)})")
        return sorted(set(tags), key=ALLERGEN_CODES.index)

    @field_validator("profiles")
    @classmethod
    def _profiles(cls, profiles: list[str]) -> list[str]:
        return sorted(set(profiles), key=PROFILES.index)


class NewArticle(ArticleFields):
    code: str = Field(pattern=CODE)


# -- categories -------------------------------------------------------------------------------
def wallet_kinds(db: Database, conn: Connection, school_id: str) -> list[str]:
    """The wallet kinds the school's students have (``main``, ``photocopies``...): those a
    category may name."""
    return [r[0] for r in db.execute(conn, "SELECT DISTINCT kind FROM wallets"
                                           " WHERE school_id = ? ORDER BY kind", (school_id,))]


def categories(db: Database, school_id: str) -> dict:
    """The school's categories (with how many articles each has) and its wallet kinds."""
    with db.transaction(write=False) as conn:
        counts = dict(db.execute(conn, "SELECT category, COUNT(*) FROM articles"
                                       " WHERE school_id = ? GROUP BY category", (school_id,)))
        found = [_category(r, counts) for r in synced.records(db, conn, school_id, "categories")]
        return {"categories": found, "wallet_kinds": wallet_kinds(db, conn, school_id)}


def category(db: Database, school_id: str, code: str) -> dict:
    with db.transaction(write=False) as conn:
        return _category_in(db, conn, school_id, code)


def create_category(db: Database, school_id: str, new: NewCategory) -> dict:
    with db.transaction() as conn:
        if synced.records(db, conn, school_id, "categories", new.code):
            raise CentralError("invalid", "a category with the code {category!r} already exists",
                               category=new.code)
        return _write_category(db, conn, school_id, new.code, new, None)


def update_category(db: Database, school_id: str, code: str, fields: CategoryFields) -> dict:
    with db.transaction() as conn:
        old = _category_in(db, conn, school_id, code)
        return _write_category(db, conn, school_id, code, fields, old)


def _write_category(db: Database, conn: Connection, school_id: str, code: str,
                    fields: CategoryFields, old: dict | None) -> dict:
    kind = fields.wallet_kind or None
    # A kind already set stays valid (set by a file before any wallet had it); a new one
    # must be one the school's wallets have, or the terminal could not find who pays.
    if kind and kind != (old or {}).get("wallet_kind") \
            and kind not in wallet_kinds(db, conn, school_id):
        raise CentralError("invalid", "no wallet of the kind {kind!r} in this school",
                           kind=kind[:40])
    synced.upsert(db, conn, school_id, "categories",
                  Category(code=code, name=fields.name.names(), wallet_kind=kind))
    return _category_in(db, conn, school_id, code)


def _category_in(db: Database, conn: Connection, school_id: str, code: str) -> dict:
    found = synced.records(db, conn, school_id, "categories", code)
    if not found:
        raise CentralError("not_found", "no category {category!r} in this school",
                           category=code[:40])
    count = db.execute(conn, "SELECT COUNT(*) FROM articles WHERE school_id = ?"
                             " AND category = ?", (school_id, code)).fetchone()[0]
    return _category(found[0], {code: count})


def _category(record: dict, counts: dict) -> dict:
    return {**record, "name": Names.model_validate(record["name"]).model_dump(),
            "articles": counts.get(record["code"], 0)}


# -- articles ---------------------------------------------------------------------------------
def articles(db: Database, school_id: str, *, category: str | None = None,
             active: bool | None = None, profile: str | None = None,
             text: str | None = None) -> list[dict]:
    """The school's articles in code order, filtered: by category, active or not, shown on a
    kind of counter, a text in the code or any of the names (without regard to case)."""
    with db.transaction(write=False) as conn:
        found = synced.records(db, conn, school_id, "articles")
    needle = (text or "").strip().casefold()
    return [a for a in found
            if (category is None or a["category"] == category)
            and (active is None or a["active"] == active)
            and (profile is None or profile in a["profiles"])
            and (not needle or any(needle in (v or "").casefold()
                                   for v in (a["code"], *a["name"].values())))]


def article(db: Database, school_id: str, code: str) -> dict:
    with db.transaction(write=False) as conn:
        return _article_in(db, conn, school_id, code)


def create_article(db: Database, school_id: str, new: NewArticle) -> dict:
    with db.transaction() as conn:
        if synced.records(db, conn, school_id, "articles", new.code):
            raise CentralError("invalid", "an article with the code {article!r} already exists",
                               article=new.code)
        return _write_article(db, conn, school_id, new.code, new)


def update_article(db: Database, school_id: str, code: str, fields: ArticleFields) -> dict:
    with db.transaction() as conn:
        _article_in(db, conn, school_id, code)
        return _write_article(db, conn, school_id, code, fields)


def set_article_active(db: Database, school_id: str, code: str, active: bool) -> dict:
    """Take an article off the counters (or put it back): it stays in the catalogue, for the
    journal and the reports that name it."""
    with db.transaction() as conn:
        old = _article_in(db, conn, school_id, code)
        if old["active"] == active:
            return old
        # The rest as it is (tags a school's file gave are kept, known or not).
        synced.upsert(db, conn, school_id, "articles",
                      Article.model_validate({**old, "active": active}))
        return _article_in(db, conn, school_id, code)


def _write_article(db: Database, conn: Connection, school_id: str, code: str,
                   fields: ArticleFields) -> dict:
    if not synced.records(db, conn, school_id, "categories", fields.category):
        raise CentralError("invalid", "no category {category!r} in this school",
                           category=fields.category[:40])
    synced.upsert(db, conn, school_id, "articles", Article(
        code=code, name=fields.name.names(), price_cents=fields.price_cents,
        category=fields.category, allergens=fields.allergens, profiles=fields.profiles,
        reservable=fields.reservable, active=fields.active))
    return _article_in(db, conn, school_id, code)


def _article_in(db: Database, conn: Connection, school_id: str, code: str) -> dict:
    found = synced.records(db, conn, school_id, "articles", code)
    if not found:
        raise CentralError("not_found", "no article {article!r} in this school", article=code[:40])
    return found[0]
