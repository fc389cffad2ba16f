"""The school's catalogue as a JSON API (``sync.server.catalogue`` does the work): what the
office's pages use, and a school's own tools may script.

    GET  /api/v1/admin/catalogue/categories              -> CategoryList
    POST /api/v1/admin/catalogue/categories              NewCategory -> CategoryOut
    GET  /api/v1/admin/catalogue/categories/{code}       -> CategoryOut
    PUT  /api/v1/admin/catalogue/categories/{code}       CategoryFields -> CategoryOut
    GET  /api/v1/admin/catalogue/articles?category=&active=&profile=&q= -> ArticleList
    POST /api/v1/admin/catalogue/articles                NewArticle -> Article
    GET  /api/v1/admin/catalogue/articles/{code}         -> Article
    PUT  /api/v1/admin/catalogue/articles/{code}         ArticleFields -> Article
    POST /api/v1/admin/catalogue/articles/{code}/deactivate (or /activate) -> Article

Reading needs ``catalogue.read``, writing ``catalogue.write``; a code of another school is
``not_found``, as an unknown one."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from sync.models import Article, Names
from sync.protocol import API
from sync.server import catalogue
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, answer
from sync.server.api_model import ApiModel
from sync.server.permissions import Staff

CATEGORIES = f"{API}/admin/catalogue/categories"
CATEGORY = CATEGORIES + "/{code}"
ARTICLES = f"{API}/admin/catalogue/articles"
ARTICLE = ARTICLES + "/{code}"

router = APIRouter(tags=["catalogue"], responses=ERRORS)
Reader = Annotated[Staff, office("catalogue.read")]
Writer = Annotated[Staff, office("catalogue.write")]


class CategoryOut(ApiModel):
    code: str
    name: Names
    wallet_kind: str | None     # the wallet kind that pays; None: the student's default wallet
    articles: int               # how many articles it has (active or not)


class CategoryList(ApiModel):
    categories: list[CategoryOut]
    wallet_kinds: list[str]     # the kinds the school's wallets have: what wallet_kind may be


class ArticleList(ApiModel):
    articles: list[Article]


@router.get(CATEGORIES, response_model=CategoryList)
def category_list(store: Store, staff: Reader) -> Response:
    return answer(CategoryList, catalogue.categories(store, staff.school_id))


@router.post(CATEGORIES, response_model=CategoryOut, status_code=201)
def category_create(new: catalogue.NewCategory, store: Store, staff: Writer) -> Response:
    return answer(CategoryOut, catalogue.create_category(store, staff.school_id, new), 201)


@router.get(CATEGORY, response_model=CategoryOut)
def category_get(code: str, store: Store, staff: Reader) -> Response:
    return answer(CategoryOut, catalogue.category(store, staff.school_id, code))


@router.put(CATEGORY, response_model=CategoryOut)
def category_update(code: str, fields: catalogue.CategoryFields, store: Store,
                    staff: Writer) -> Response:
    return answer(CategoryOut, catalogue.update_category(store, staff.school_id, code, fields))


@router.get(ARTICLES, response_model=ArticleList)
def article_list(store: Store, staff: Reader, category: str | None = None,
                 active: bool | None = None, profile: catalogue.Profile | None = None,
                 q: str | None = None) -> Response:
    found = catalogue.articles(store, staff.school_id, category=category, active=active,
                               profile=profile, text=q)
    return answer(ArticleList, {"articles": found})


@router.post(ARTICLES, response_model=Article, status_code=201)
def article_create(new: catalogue.NewArticle, store: Store, staff: Writer) -> Response:
    return answer(Article, catalogue.create_article(store, staff.school_id, new), 201)


@router.get(ARTICLE, response_model=Article)
def article_get(code: str, store: Store, staff: Reader) -> Response:
    return answer(Article, catalogue.article(store, staff.school_id, code))


@router.put(ARTICLE, response_model=Article)
def article_update(code: str, fields: catalogue.ArticleFields, store: Store,
                   staff: Writer) -> Response:
    return answer(Article, catalogue.update_article(store, staff.school_id, code, fields))


@router.post(ARTICLE + "/deactivate", response_model=Article)
def article_deactivate(code: str, store: Store, staff: Writer) -> Response:
    return answer(Article, catalogue.set_article_active(store, staff.school_id, code, False))


@router.post(ARTICLE + "/activate", response_model=Article)
def article_activate(code: str, store: Store, staff: Writer) -> Response:
    return answer(Article, catalogue.set_article_active(store, staff.school_id, code, True))
