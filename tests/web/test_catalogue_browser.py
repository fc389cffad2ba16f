"""The catalogue and the terminals' operators through a real browser (issue 16, points 2 and
5), on SQLite and PostgreSQL: a category and an article made from nothing (a wrong price
first, then "2,50", allergens, names in three languages), the filtered list, an article taken
off the counters; an operator added with a drawn PIN, a PIN reset shown once; and the
accessibility audit of each page (axe-core)."""
from __future__ import annotations

import re

from sync.server import catalogue, operators

from .browser import PHONE, audit, new_context, page_as


def test_the_office_builds_its_catalogue_and_operators(browser, platform, school):
    context = new_context(browser, platform)
    page = page_as(context, platform, school.members["admin"])

    page.goto("/catalogue/categories")
    page.fill("#f-code", "soup")                        # the French name missing
    page.click("form[action='/catalogue/categories'] button[type=submit]")
    assert page.locator("#f-name_fr-error").is_visible()
    assert page.get_attribute("#f-name_fr", "aria-describedby") == "f-name_fr-error"
    audit(page, "catalogue-categories-fr")
    page.fill("#f-name_fr", "Potages")
    page.fill("#f-name_nl", "Soepen")
    page.click("form[action='/catalogue/categories'] button[type=submit]")
    assert page.locator(".flash-success").is_visible()
    assert page.locator("table tr:has-text('Potages')").count() == 1

    page.goto("/catalogue/articles/new")
    page.fill("#f-code", "SOUP")
    page.fill("#f-name_fr", "Potage du jour")
    page.fill("#f-name_nl", "Dagsoep")
    page.fill("#f-name_en", "Soup of the day")
    page.fill("#f-price", "2,5x")
    page.select_option("#f-category", "soup")
    page.check("#f-allergen-gluten")
    page.check("#f-allergen-celery")
    page.check("#f-profile-reception")
    page.click("form[action='/catalogue/articles'] button[type=submit]")
    assert page.locator("#f-price-error").is_visible()           # nothing written
    assert catalogue.articles(platform.store, school.id) == []
    assert page.is_checked("#f-allergen-celery")                  # the form keeps its values
    audit(page, "catalogue-article-new-fr")
    page.fill("#f-price", "2,50")
    page.click("form[action='/catalogue/articles'] button[type=submit]")
    assert page.url.endswith("/catalogue/articles/SOUP")
    assert page.input_value("#f-price") == "2,50"
    audit(page, "catalogue-article-fr")
    [soup] = catalogue.articles(platform.store, school.id)
    assert (soup["price_cents"], soup["allergens"], soup["profiles"], soup["name"]) == (
        250, ["gluten", "celery"], ["canteen", "reception"],
        {"fr": "Potage du jour", "nl": "Dagsoep", "en": "Soup of the day"})

    page.click("form:has(input[value='deactivate']) button[type=submit]")
    assert page.locator(".flash-success").is_visible()
    assert catalogue.article(platform.store, school.id, "SOUP")["active"] is False
    page.goto("/catalogue?active=no&q=dagsoep")
    row = page.locator("table tbody tr")
    assert row.count() == 1 and "2,50" in row.inner_text()
    audit(page, "catalogue-articles-fr")

    page.goto("/operators")
    page.fill("#f-name", "Marie")
    page.click("form[action='/operators'] button[type=submit]")
    drawn = page.locator("#new-pin").inner_text()
    assert re.fullmatch(r"\d{6}", drawn)
    audit(page, "operators-list-fr")
    page.click("table a:has-text('Marie')")
    assert page.locator("#new-pin").count() == 0                   # never shown again
    audit(page, "operator-fr")
    page.fill("#f-pin", "12")
    page.click("form:has(input[value='pin']) button[type=submit]")
    assert page.locator("#f-pin-error").is_visible()
    page.fill("#f-pin", "4321")
    page.click("form:has(input[value='pin']) button[type=submit]")
    assert page.locator("#new-pin").inner_text() == "4321"
    page.select_option("#f-role", "supervisor")
    page.click("form:has(input[value='save']) button[type=submit]")
    page.click("form:has(input[value='deactivate']) button[type=submit]")
    [marie] = operators.operators(platform.store, school.id)
    assert (marie["role"], marie["active"]) == ("supervisor", False)
    context.close()

    phone = new_context(browser, platform, viewport=PHONE)     # an accountant, on a phone
    page = page_as(phone, platform, school.members["accountant"])
    page.goto("/catalogue/articles/SOUP")
    assert page.locator("form button[type=submit]:has-text('Enregistrer')").count() == 0
    audit(page, "catalogue-article-accountant-phone-fr")
    phone.close()


def test_another_schools_articles_and_operators_are_not_found(platform, school):
    """Signed in to school B, school A's codes and ids answer 404, page or JSON, read or
    write, exactly as unknown ones; nothing of A changes."""
    from .pages_catalogue import made
    mine = made(platform, school)
    other = platform.school()
    http = platform.session(other.members["admin"])
    for method, path, extra in (
            ("GET", "/catalogue/articles/{art}", {}),
            ("POST", "/catalogue/articles/{art}", {"data": {"action": "deactivate"}}),
            ("GET", "/catalogue/categories/{cat}", {}),
            ("POST", "/catalogue/categories/{cat}", {"data": {"name_fr": "Pris"}}),
            ("GET", "/operators/{op}", {}),
            ("POST", "/operators/{op}", {"data": {"action": "pin"}}),
            ("GET", "/api/v1/admin/catalogue/articles/{art}", {}),
            ("POST", "/api/v1/admin/catalogue/articles/{art}/deactivate", {}),
            ("GET", "/api/v1/admin/operators/{op}", {}),
            ("POST", "/api/v1/admin/operators/{op}/pin", {"json": {}})):
        if "data" in extra:
            extra = {"data": {**extra["data"], "csrf_token": http.csrf}}
        elif method == "POST":
            extra = {**extra, "headers": {"X-CSRF-Token": http.csrf}}
        answer = http.request(method, platform.url + path.format(**mine), **extra,
                              allow_redirects=False)
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert catalogue.article(platform.store, school.id, mine["art"])["active"] is True
    assert operators.operator(platform.store, school.id, mine["op"])["active"] is True
