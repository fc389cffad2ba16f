"""The role table's rows of the catalogue and the terminals' operators (``roles.Row``): their
pages and their JSON API."""
from __future__ import annotations

import itertools

from sync.server import catalogue, operators

from .platform import Platform, School
from .roles import Row

_n = itertools.count(1)
CAT = "/api/v1/admin/catalogue"
OPS = "/api/v1/admin/operators"


def made(platform: Platform, school: School) -> dict[str, str]:
    """A new category, an article in it and an operator of the school (to read or change),
    and fresh codes and a fresh name for what a request creates."""
    n = next(_n)
    store = platform.store
    catalogue.create_category(store, school.id, catalogue.NewCategory.model_validate(
        {"code": f"CAT{n}", "name": {"fr": f"Catégorie {n}"}}))
    catalogue.create_article(store, school.id, catalogue.NewArticle.model_validate(
        {"code": f"ART{n}", "name": {"fr": f"Article {n}"}, "price_cents": 120,
         "category": f"CAT{n}"}))
    found, _pin = operators.create_operator(store, school.id, operators.NewOperator(
        name=f"Opérateur {n}", role="seller", pin="1234"))
    return {"cat": f"CAT{n}", "art": f"ART{n}", "op": found["id"], "new_cat": f"NEWCAT{n}",
            "new_art": f"NEWART{n}", "new_op": f"Nouveau {n}"}


ARTICLE_FORM = {"name_fr": "Crêpe", "price": "2,50", "category": "{cat}", "profiles": "canteen",
                "active": "1"}
ARTICLE_JSON = {"name": {"fr": "Crêpe"}, "price_cents": 250, "category": "{cat}"}

ROWS = [
    # the catalogue's pages
    Row("GET", "/catalogue", "catalogue.read", setup=made),
    Row("GET", "/catalogue/articles/new", "catalogue.write"),
    Row("GET", "/catalogue/articles/{art}", "catalogue.read", setup=made),
    Row("POST", "/catalogue/articles", "catalogue.write",
        form={"code": "{new_art}", **ARTICLE_FORM}, setup=made),
    Row("POST", "/catalogue/articles/{art}", "catalogue.write",
        form={"action": "save", **ARTICLE_FORM}, setup=made),
    Row("POST", "/catalogue/articles/{art}", "catalogue.write", form={"action": "deactivate"},
        setup=made),
    Row("GET", "/catalogue/categories", "catalogue.read"),
    Row("POST", "/catalogue/categories", "catalogue.write",
        form={"code": "{new_cat}", "name_fr": "Desserts"}, setup=made),
    Row("GET", "/catalogue/categories/{cat}", "catalogue.read", setup=made),
    Row("POST", "/catalogue/categories/{cat}", "catalogue.write", form={"name_fr": "Autre"},
        setup=made),
    # its JSON API
    Row("GET", f"{CAT}/categories", "catalogue.read"),
    Row("POST", f"{CAT}/categories", "catalogue.write",
        json={"code": "{new_cat}", "name": {"fr": "Desserts"}}, setup=made),
    Row("GET", f"{CAT}/categories/{{cat}}", "catalogue.read", setup=made),
    Row("PUT", f"{CAT}/categories/{{cat}}", "catalogue.write", json={"name": {"fr": "Autre"}},
        setup=made),
    Row("GET", f"{CAT}/articles", "catalogue.read"),
    Row("POST", f"{CAT}/articles", "catalogue.write",
        json={"code": "{new_art}", **ARTICLE_JSON}, setup=made),
    Row("GET", f"{CAT}/articles/{{art}}", "catalogue.read", setup=made),
    Row("PUT", f"{CAT}/articles/{{art}}", "catalogue.write", json=ARTICLE_JSON, setup=made),
    Row("POST", f"{CAT}/articles/{{art}}/deactivate", "catalogue.write", setup=made),
    Row("POST", f"{CAT}/articles/{{art}}/activate", "catalogue.write", setup=made),
    # the operators' pages
    Row("GET", "/operators", "operators.read"),
    Row("POST", "/operators", "operators.write", form={"name": "{new_op}", "role": "seller"},
        setup=made),
    Row("GET", "/operators/{op}", "operators.read", setup=made),
    Row("POST", "/operators/{op}", "operators.write", form={"action": "pin"}, setup=made),
    Row("POST", "/operators/{op}", "operators.write",
        form={"action": "save", "name": "{new_op}", "role": "supervisor"}, setup=made),
    # their JSON API
    Row("GET", OPS, "operators.read"),
    Row("POST", OPS, "operators.write", json={"name": "{new_op}", "role": "seller"}, setup=made),
    Row("GET", f"{OPS}/{{op}}", "operators.read", setup=made),
    Row("PUT", f"{OPS}/{{op}}", "operators.write", json={"name": "{new_op}", "role": "admin"},
        setup=made),
    Row("POST", f"{OPS}/{{op}}/pin", "operators.write", json={}, setup=made),
    Row("POST", f"{OPS}/{{op}}/deactivate", "operators.write", setup=made),
    # lockouts at the terminals (their health reports) and the office's unlock
    Row("POST", "/operators/{op}/unlock", "operators.write", form={}, setup=made),
    Row("POST", f"{OPS}/{{op}}/unlock", "operators.write", setup=made),
    Row("GET", "/api/v1/admin/operator-locks", "operators.read"),
]
