"""What the pages add to the platform's app (``install``, called by ``app.create_app``): the
pages' routers (``pages``), the static files (``/static``), and refusals answered as pages
outside ``/api/``: not signed in → the sign-in page (with the way back), forbidden → a 403
page, not found → a 404 page, anything else → a page with the message in the reader's
language. The JSON API (``/api/...``) answers as before."""
from __future__ import annotations

import os
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from sync.server.api import http
from sync.server.errors import CentralError
from sync.server.web import auth, templating
from sync.server.web.pages import router as pages

STATIC = templating.TEMPLATES.with_name("static")


SECURE_ENV = "COMPTOIR_SECURE_COOKIES"      # 1: always Secure (behind a TLS proxy), 0: never


def install(app: FastAPI, secure_cookies: bool | None = None) -> None:
    """``secure_cookies``: mark the session cookie Secure; ``None``: as ``SECURE_ENV`` says,
    else when the request came over https (``serve --tls-cert``, or a proxy on this machine
    that says so in ``X-Forwarded-Proto``)."""
    if secure_cookies is None and os.environ.get(SECURE_ENV, "") in ("0", "1"):
        secure_cookies = os.environ[SECURE_ENV] == "1"
    app.state.secure_cookies = secure_cookies
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(CentralError, _refused)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/"))


async def _refused(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await http.refused(request, exc)
    assert isinstance(exc, CentralError)
    if exc.code == "unauthorized":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.url.path == "/" and auth.parent_signed_in(request) is not None:
            return templating.redirect(request, "/parents")     # a parent's home (issue 17)
        login = "/parents/login" if request.url.path.startswith("/parents") else "/login"
        return templating.redirect(request, login + "?next=" + quote(back, safe="/"))
    return templating.error_page(request, http.STATUS.get(exc.code, 422),
                      exc.say(templating.language(request)))


async def _invalid(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await http.invalid_request(request, exc)
    _ = templating.gettext_of(request)
    return templating.error_page(request, 422, _("This request could not be read."))


async def _http_error(request: Request, exc: Exception) -> Response:
    if not is_page(request):
        return await http.http_error(request, exc)
    assert isinstance(exc, HTTPException)
    return templating.error_page(request, exc.status_code, "")
