"""The browser side of the back office's tests: Playwright driving Debian's chromium (never
``playwright install``: it would download a browser), the axe-core audit and screenshots
(a helper, not a test)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Browser, BrowserContext, Page

from .platform import Member, Platform

CHROMIUM = os.environ.get("COMPTOIR_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update",
         "--disable-default-apps", "--disable-extensions", "--disable-sync", "--no-first-run",
         "--mute-audio", "--metrics-recording-only", "--lang=fr-BE"]
# axe-core, as the PyPI package axe-playwright-python bundles it (MPL-2.0)
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
ARTEFACTS = Path(os.environ.get("COMPTOIR_ARTEFACTS", Path(__file__).parent / "artefacts"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The browser's locale of each page language, as a school's office has it: what date inputs
# show (dd/mm/yyyy, not the en-US mm/dd/yyyy) and how numbers are typed.
LOCALES = {"fr": "fr-BE", "nl": "nl-BE", "en": "en-GB"}
# Chromium draws a date input in its own process's language, whatever the page's locale: the
# school's French, so that a screenshot shows jj/mm/aaaa (Debian's chromium-l10n has its
# language files; without them it is always en-US).
BROWSER_ENV = {**os.environ, "LANG": "fr_BE.UTF-8", "LANGUAGE": "fr_BE:fr"}


def new_context(browser: Browser, platform: Platform, lang: str = "fr",
                viewport: dict | None = None) -> BrowserContext:
    """A fresh browser profile (no cookies) on the platform, asking for ``lang`` in that
    language's Belgian (British for English) locale. CSP is
    bypassed only so that the audit can inject axe-core."""
    return browser.new_context(base_url=platform.url, locale=LOCALES.get(lang, lang),
                               bypass_csp=True,
                               viewport=viewport or DESKTOP,  # type: ignore[arg-type]
                               extra_http_headers={"Accept-Language": lang})


def sign_in(page: Page, member: Member, next_path: str = "/") -> None:
    """Sign in through the login page, as a person does."""
    page.goto(f"/login?next={next_path}")
    page.fill("#f-email", member.email)
    page.fill("#f-password", member.password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def page_as(context: BrowserContext, platform: Platform, member: Member) -> Page:
    """A page of ``context`` signed in as ``member`` without loading the login page (the
    JSON API's login sets the same cookie in the context)."""
    answer = context.request.post("/api/v1/admin/login", headers={"Origin": platform.url},
                                  data={"email": member.email, "password": member.password})
    assert answer.status == 200, answer.text()
    return context.new_page()


def audit(page: Page, name: str | None = None) -> None:
    """Run axe-core on the page as it is; fail on a serious or critical violation. With
    ``name``, a screenshot is kept under ``ARTEFACTS`` too."""
    if name:
        screenshot(page, name)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{page.url}: accessibility violations:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:3]) for v in bad)


def screenshot(page: Page, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path
