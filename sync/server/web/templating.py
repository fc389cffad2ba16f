"""Jinja2 for the pages: one environment per language, its gettext bound to the project's
catalogues (``sync.common.i18n``), and ``render`` that gives every template what the base
layout needs (who is signed in, the menu, the CSRF token, the flash messages, the language).

In a template: ``{{ _("Staff") }}``, with named ``str.format`` placeholders as everywhere in
the project: ``{{ _("{count} accounts", count=n) }}`` (the values are escaped);
``{{ cents|euros }}`` for money, ``{{ stamp|local }}`` for an instant (the school's time).

The language of a request: the browser's choice (the ``LANG_COOKIE``, set by the language
switch and at sign-in from the account's), else the account's, else ``Accept-Language``, else
French."""
from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sync.common.clock import DEFAULT_TIMEZONE, parse_iso_utc
from sync.common.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator
from sync.common.money import LOCALES, format_cents
from sync.server.web import auth, flash, nav

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE = "comptoir_lang"
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}
# Every page: no framing, no sniffing, nothing but our own files, no URL (tokens) to others.
HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:;"
                                      " frame-ancestors 'none'; form-action 'self'",
           "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


@functools.cache
def environment(lang: str) -> Environment:
    """The templates' environment in ``lang`` (made once per language)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    tr = translator(lang)

    def gettext(text: str, **params: Any) -> str:
        said = tr.gettext(text)
        return said.format(**params) if params else said

    def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
        return tr.ngettext(singular, plural, n).format(n=n, **params)

    def pgettext(context: str, text: str, **params: Any) -> str:
        said = tr.pgettext(context, text)
        return said.format(**params) if params else said

    env.install_gettext_callables(gettext, ngettext, newstyle=False,  # type: ignore[attr-defined]
                                  pgettext=pgettext)
    env.filters["euros"] = lambda cents: format_cents(int(cents), lang)
    env.filters["local"] = functools.partial(_local, lang=lang)
    env.globals.update(
        LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, ROLE_NAMES=nav.ROLE_NAMES,
        role_options=[(role, gettext(label)) for role, label in nav.ROLE_NAMES.items()],
        language_options=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES])
    return env


def _local(stamp: str | None, lang: str, format: str = "short") -> str:
    """An instant as the database keeps it, in the school's time zone and ``lang``."""
    if not stamp:
        return ""
    try:
        instant = parse_iso_utc(stamp).astimezone(ZoneInfo(DEFAULT_TIMEZONE))
    except ValueError:
        return stamp
    return format_datetime(instant, format, locale=LOCALES.get(lang, "fr_BE"))


def language(request: Request) -> str:
    """The language of this request's page (see the module's docstring)."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    session = auth.signed_in(request) or auth.parent_signed_in(request)
    if session is not None and session.lang in LANGUAGES:
        return session.lang
    return accepted(request.headers.get("accept-language", ""))


def accepted(header: str) -> str:
    """The first language of an ``Accept-Language`` header that we speak (by its weight).

    >>> accepted("de-DE,nl;q=0.8,fr;q=0.5"), accepted("en-GB"), accepted("")
    ('nl', 'en', 'fr')
    """
    ranked = []
    for n, part in enumerate(header.split(",")[:20]):
        code, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, n, code.strip()[:2].lower()))
    return next((code for _w, _n, code in sorted(ranked) if code in LANGUAGES), DEFAULT_LANGUAGE)


def gettext_of(request: Request) -> Callable[..., str]:
    """``_ = gettext_of(request)`` in a page's code: ``_("Saved.")``, ``_("{n} rows", n=3)``."""
    tr = translator(language(request))

    def gettext(text: str, **params: Any) -> str:
        said = tr.gettext(text)
        return said.format(**params) if params else said
    return gettext


def secure_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status: int = 200) -> HTMLResponse:
    """The page ``template`` (a path under ``templates/``) with ``context``, in the request's
    language, with what the base layout shows."""
    lang = language(request)
    session = auth.signed_in(request)
    parent = auth.parent_signed_in(request) if session is None else None
    messages = flash.pending(request)
    html = environment(lang).get_template(template).render(
        request=request, lang=lang, path=request.url.path, parent=parent,
        me=session.staff if session else None,
        csrf_token=session.csrf if session else parent.csrf if parent else "",
        nav=nav.visible(session.staff if session else None), flashes=messages,
        **(context or {}))
    response = HTMLResponse(html, status)
    if messages:
        response.delete_cookie(flash.COOKIE, path="/")
    secure_headers(response)
    return response


def redirect(request: Request, path: str, message: str | None = None,
             level: str = "success") -> RedirectResponse:
    """After a form: go to ``path`` (a local path), with a one-time ``message`` there."""
    response = RedirectResponse(local_path(path), status_code=303)
    if message:
        flash.add(request, response, message, level)
    secure_headers(response)
    return response


def local_path(path: str, default: str = "/") -> str:
    """``path`` if it is a path of this site, else ``default`` (never an open redirect).

    >>> local_path("/staff?x=1"), local_path("//evil.example/"), local_path("https://x/")
    ('/staff?x=1', '/', '/')
    """
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 1000:
        return default
    return path


def error_page(request: Request, status: int, message: str, **context: Any) -> HTMLResponse:
    """A refusal as a page: its status, and what went wrong in the reader's language."""
    return render(request, "errors/error.html", {"status": status, "message": message,
                                                 **context}, status)


def csrf_refused(request: Request) -> HTMLResponse:
    """The page for a form that came from elsewhere or without its token."""
    return error_page(request, 403, auth.csrf_error().say(language(request)))
