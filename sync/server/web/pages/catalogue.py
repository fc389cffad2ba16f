"""The catalogue's pages: the articles (filtered list, a form for a new one or to change one:
price in euros, allergen and diet tags, names in three languages, the counters that show it),
the categories (list, form). The work is ``sync.server.catalogue``'s, as for the JSON API;
a form's errors are shown under their field, in the reader's language, nothing written."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from sync.common.allergens import CODES as ALLERGEN_CODES
from sync.common.money import parse_euros
from sync.server import catalogue
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import templating
from sync.server.web.nav import N_

router = APIRouter()
Reader = Annotated[Staff, office("catalogue.read")]
Writer = Annotated[Staff, office("catalogue.write")]
Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]

ALLERGEN_NAMES = {
    "gluten": N_("gluten"), "crustaceans": N_("crustaceans"), "egg": N_("egg"),
    "fish": N_("fish"), "peanuts": N_("peanuts"), "soy": N_("soy"), "milk": N_("milk"),
    "nuts": N_("nuts"), "celery": N_("celery"), "mustard": N_("mustard"),
    "sesame": N_("sesame"), "sulphites": N_("sulphites"), "lupin": N_("lupin"),
    "molluscs": N_("molluscs"), "pork": N_("pork"), "meat": N_("meat")}
COUNTER_NAMES = {"canteen": N_("canteen"), "reception": N_("reception desk")}
# What a field's error says on a page (pydantic's own words are English only).
FIELD_ERRORS = {
    "code": N_("1 to 40 letters, digits, '-', '_' or '.', starting with a letter or digit."),
    "name_fr": N_("The French name is required (at most 80 characters)."),
    "name_nl": N_("At most 80 characters."), "name_en": N_("At most 80 characters."),
    "price": N_("A price in euros from 0,00 to 10 000,00, for example 2,50."),
    "category": N_("Choose a category."), "allergens": N_("Unknown allergen or diet tag."),
    "profiles": N_("Unknown kind of counter."), "wallet_kind": N_("At most 40 characters.")}


def euros_text(cents: int) -> str:
    """Cents as the form shows them: ``250`` → ``"2,50"``."""
    return f"{cents // 100},{cents % 100:02d}"


def _field_errors(request: Request, e: ValidationError) -> dict[str, str]:
    _ = templating.gettext_of(request)
    errors: dict[str, str] = {}
    for problem in e.errors():
        loc = [str(p) for p in problem["loc"]]
        field = {"name": f"name_{loc[1] if len(loc) > 1 else 'fr'}",
                 "price_cents": "price"}.get(loc[0], loc[0])
        errors.setdefault(field, _(FIELD_ERRORS.get(field, N_("This value is not valid."))))
    return errors


def _names(fr: str, nl: str, en: str) -> dict[str, str | None]:
    return {"fr": fr[:200], "nl": nl[:200] or None, "en": en[:200] or None}


# -- articles ---------------------------------------------------------------------------------
@router.get("/catalogue")
def article_list(request: Request, store: Store, staff: Reader, category: str = "",
                 active: str = "", profile: str = "", q: str = "") -> Response:
    found = catalogue.articles(
        store, staff.school_id, category=category or None,
        active={"yes": True, "no": False}.get(active),
        profile=profile if profile in catalogue.PROFILES else None, text=q[:100])
    return templating.render(request, "catalogue/articles.html", {
        "articles": found, "categories": catalogue.categories(store, staff.school_id),
        "filters": {"category": category, "active": active, "profile": profile, "q": q[:100]},
        "COUNTER_NAMES": COUNTER_NAMES})


@router.get("/catalogue/articles/new")
def article_new(request: Request, store: Store, staff: Writer) -> Response:
    return _article_form(request, store, staff, None, {
        "price": "", "allergens": [], "profiles": ["canteen"], "active": True})


@router.get("/catalogue/articles/{code}")
def article_page(request: Request, store: Store, staff: Reader, code: str) -> Response:
    found = catalogue.article(store, staff.school_id, code)
    return _article_form(request, store, staff, found, {
        **found, "price": euros_text(found["price_cents"]),
        **{f"name_{k}": v or "" for k, v in found["name"].items()}})


@router.post("/catalogue/articles")
def article_create(request: Request, store: Store, staff: Writer, code: Text = "",
                   name_fr: Text = "", name_nl: Text = "", name_en: Text = "",
                   price: Text = "", category: Text = "", allergens: Texts = [],  # noqa: B006
                   profiles: Texts = [], reservable: Text = "",  # noqa: B006
                   active: Text = "") -> Response:
    values = {"code": code[:100], "name_fr": name_fr[:200], "name_nl": name_nl[:200],
              "name_en": name_en[:200], "price": price[:40], "category": category[:100],
              "allergens": allergens[:50], "profiles": profiles[:10],
              "reservable": bool(reservable), "active": bool(active)}
    return _article_save(request, store, staff, None, values)


@router.post("/catalogue/articles/{code}")
def article_change(request: Request, store: Store, staff: Writer, code: str,
                   action: Text = "save", name_fr: Text = "", name_nl: Text = "",
                   name_en: Text = "", price: Text = "", category: Text = "",
                   allergens: Texts = [], profiles: Texts = [],  # noqa: B006
                   reservable: Text = "", active: Text = "") -> Response:
    """``action``: ``save`` (the form), ``deactivate`` or ``activate`` (its own button)."""
    _ = templating.gettext_of(request)
    old = catalogue.article(store, staff.school_id, code)
    if action in ("deactivate", "activate"):
        catalogue.set_article_active(store, staff.school_id, code, action == "activate")
        return templating.redirect(request, f"/catalogue/articles/{code}", _(
            "The article is back on the counters.") if action == "activate" else _(
            "The article is off the counters (kept for the journal)."))
    values = {"code": code, "name_fr": name_fr[:200], "name_nl": name_nl[:200],
              "name_en": name_en[:200], "price": price[:40], "category": category[:100],
              "allergens": allergens[:50], "profiles": profiles[:10],
              "reservable": bool(reservable), "active": bool(active)}
    return _article_save(request, store, staff, old, values)


def _article_save(request: Request, store: Store, staff: Staff, old: dict | None,
                  values: dict[str, Any]) -> Response:
    _ = templating.gettext_of(request)
    errors: dict[str, str] = {}
    try:
        cents = parse_euros(values["price"])
    except ValueError:
        cents = -1                      # refused below, with the other fields' errors
    body = {"name": _names(values["name_fr"], values["name_nl"], values["name_en"]),
            "price_cents": cents, "category": values["category"],
            "allergens": values["allergens"], "profiles": values["profiles"],
            "reservable": values["reservable"], "active": values["active"]}
    try:
        if old is None:
            fields: catalogue.ArticleFields = catalogue.NewArticle.model_validate(
                {**body, "code": values["code"]})
        else:
            fields = catalogue.ArticleFields.model_validate(body)
    except ValidationError as e:
        errors = _field_errors(request, e)
    if not errors:
        try:
            if isinstance(fields, catalogue.NewArticle):
                saved = catalogue.create_article(store, staff.school_id, fields)
            else:
                saved = catalogue.update_article(store, staff.school_id, values["code"], fields)
            return templating.redirect(request, f"/catalogue/articles/{saved['code']}",
                                       _("The article is saved."))
        except CentralError as e:
            if e.code == "not_found" and old is not None and "article" in e.phrase.params:
                raise
            field = "category" if "category" in e.phrase.params else "code"
            errors[field] = e.say(templating.language(request))
    return _article_form(request, store, staff, old, values, errors, 422)


def _article_form(request: Request, store: Store, staff: Staff, old: dict | None,
                  values: dict[str, Any], errors: dict[str, str] | None = None,
                  status: int = 200) -> Response:
    return templating.render(request, "catalogue/article.html", {
        "article": old, "values": values, "errors": errors or {},
        "categories": catalogue.categories(store, staff.school_id)["categories"],
        "ALLERGEN_CODES": ALLERGEN_CODES, "ALLERGEN_NAMES": ALLERGEN_NAMES,
        "COUNTER_NAMES": COUNTER_NAMES, "may_write": staff.may("catalogue.write")}, status)


# -- categories -------------------------------------------------------------------------------
@router.get("/catalogue/categories")
def category_list(request: Request, store: Store, staff: Reader) -> Response:
    return _categories(request, store, staff, {})


@router.post("/catalogue/categories")
def category_create(request: Request, store: Store, staff: Writer, code: Text = "",
                    name_fr: Text = "", name_nl: Text = "", name_en: Text = "",
                    wallet_kind: Text = "") -> Response:
    values = {"code": code[:100], "name_fr": name_fr[:200], "name_nl": name_nl[:200],
              "name_en": name_en[:200], "wallet_kind": wallet_kind[:100]}
    errors = _category_save(request, store, staff, None, values)
    if errors:
        return _categories(request, store, staff, values, errors, 422)
    _ = templating.gettext_of(request)
    return templating.redirect(request, "/catalogue/categories", _("The category is saved."))


@router.get("/catalogue/categories/{code}")
def category_page(request: Request, store: Store, staff: Reader, code: str) -> Response:
    found = catalogue.category(store, staff.school_id, code)
    values = {**{f"name_{k}": v or "" for k, v in found["name"].items()},
              "wallet_kind": found["wallet_kind"] or ""}
    return _category_form(request, store, staff, found, values)


@router.post("/catalogue/categories/{code}")
def category_change(request: Request, store: Store, staff: Writer, code: str,
                    name_fr: Text = "", name_nl: Text = "", name_en: Text = "",
                    wallet_kind: Text = "") -> Response:
    found = catalogue.category(store, staff.school_id, code)
    values = {"name_fr": name_fr[:200], "name_nl": name_nl[:200], "name_en": name_en[:200],
              "wallet_kind": wallet_kind[:100]}
    errors = _category_save(request, store, staff, code, values)
    if errors:
        return _category_form(request, store, staff, found, values, errors, 422)
    _ = templating.gettext_of(request)
    return templating.redirect(request, "/catalogue/categories", _("The category is saved."))


def _category_save(request: Request, store: Store, staff: Staff, code: str | None,
                   values: dict[str, str]) -> dict[str, str]:
    body = {"name": _names(values["name_fr"], values["name_nl"], values["name_en"]),
            "wallet_kind": values["wallet_kind"] or None}
    try:
        if code is None:
            catalogue.create_category(store, staff.school_id, catalogue.NewCategory.model_validate(
                {**body, "code": values["code"]}))
        else:
            catalogue.update_category(store, staff.school_id, code,
                                      catalogue.CategoryFields.model_validate(body))
    except ValidationError as e:
        return _field_errors(request, e)
    except CentralError as e:
        field = "wallet_kind" if "kind" in e.phrase.params else "code"
        return {field: e.say(templating.language(request))}
    return {}


def _categories(request: Request, store: Store, staff: Staff, values: dict[str, str],
                errors: dict[str, str] | None = None, status: int = 200) -> Response:
    found = catalogue.categories(store, staff.school_id)
    return templating.render(request, "catalogue/categories.html", {
        **found, "values": values, "errors": errors or {},
        "wallet_options": _wallet_options(request, found["wallet_kinds"]),
        "may_write": staff.may("catalogue.write")}, status)


def _wallet_options(request: Request, kinds: list[str]) -> list[tuple[str, str]]:
    _ = templating.gettext_of(request)
    return [("", _("the student's default wallet"))] + [(k, k) for k in kinds]


def _category_form(request: Request, store: Store, staff: Staff, found: dict,
                   values: dict[str, str], errors: dict[str, str] | None = None,
                   status: int = 200) -> Response:
    return templating.render(request, "catalogue/category.html", {
        "category": found, "values": values, "errors": errors or {},
        "wallet_options": _wallet_options(
            request, catalogue.categories(store, staff.school_id)["wallet_kinds"]),
        "may_write": staff.may("catalogue.write")}, status)
