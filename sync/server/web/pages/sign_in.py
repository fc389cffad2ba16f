"""Signing in and out, the language switch, and the one-time link's page where an invited
member (or one whose password was reset) chooses a password."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.common.i18n import LANGUAGES
from sync.server import staff as accounts, staff_links, staff_sessions
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import auth, templating

router = APIRouter()
Text = Annotated[str, Form()]


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if auth.signed_in(request) is not None:
        return templating.redirect(request, templating.local_path(next))
    return templating.render(request, "auth/login.html", {"next": templating.local_path(next)})


@router.post("/login")
def login(request: Request, store: Store, email: Text = "", password: Text = "",
          next: Text = "/") -> Response:
    if not auth.same_origin(request):
        return templating.csrf_refused(request)
    try:
        account = accounts.sign_in(store, email, password, auth.client_address(request))
    except CentralError as e:
        return templating.render(request, "auth/login.html", {
            "next": templating.local_path(next), "email": email[:254],
            "error": e.say(templating.language(request))}, 401)
    token = staff_sessions.open_session(store, account.id)
    response = templating.redirect(request, templating.local_path(next))
    auth.set_session_cookie(request, response, token)
    if account.lang:
        response.set_cookie(templating.LANG_COOKIE, account.lang, max_age=365 * 86400,
                            path="/", samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request, store: Store, staff: Annotated[Staff, office()]) -> Response:
    session = auth.signed_in(request)
    if session is not None:
        staff_sessions.close(store, session.token)
    _ = templating.gettext_of(request)
    response = templating.redirect(request, "/login", _("You are signed out."))
    auth.clear_session_cookie(request, response)
    return response


@router.get("/language")
def choose_language(request: Request, to: str = "", next: str = "/") -> Response:
    """The language switch: remembered by this browser (the account's own choice is on the
    account page)."""
    response = templating.redirect(request, templating.local_path(next))
    if to in LANGUAGES:
        response.set_cookie(templating.LANG_COOKIE, to, max_age=365 * 86400, path="/",
                            samesite="lax")
    return response


@router.get(staff_links.PATH)
def welcome_page(request: Request, store: Store, token: str = "") -> Response:
    try:
        account = staff_links.link_account(store, token)
    except CentralError as e:
        return templating.render(request, "auth/welcome.html",
                                 {"expired": e.say(templating.language(request))}, 404)
    return templating.render(request, "auth/welcome.html", {"token": token, "account": account})


@router.post(staff_links.PATH)
def welcome(request: Request, store: Store, token: Text = "", password: Text = "",
            again: Text = "") -> Response:
    if not auth.same_origin(request):
        return templating.csrf_refused(request)
    _ = templating.gettext_of(request)
    try:
        account = staff_links.link_account(store, token)
        if password != again:
            raise CentralError("invalid", "the two passwords differ")
        staff_links.use_link(store, token, password)
    except CentralError as e:
        said = e.say(templating.language(request))
        context: dict[str, object] = {"expired": said}
        if not e.message.startswith("this link"):
            context = {"token": token, "errors": {"password": said}, "account": account}
        return templating.render(request, "auth/welcome.html", context, 422)
    return templating.redirect(request, "/login",
                               _("Your password is set: sign in with it."))
