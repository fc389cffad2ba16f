"""The parents' pages (issue 17): signing in with the username and password, the login
token's page (the first visit, and after "mot de passe oublié"), the children ("Se connecter
avec ce compte"), a child's wallets and latest movements, a wallet's top-up by transfer with
its EPC QR code, the account (password, language), signing out. Same session cookie, CSRF
and language rules as the back office (``web.auth``): a parent's session opens none of the
office's pages, and a staff session none of these."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.common.i18n import LANGUAGES
from sync.server import family, parents, staff_sessions, wallet_ops
from sync.server.api.deps import CurrentParent, Store
from sync.server.api.routes.parents import site
from sync.server.errors import CentralError
from sync.server.web import auth, templating
from sync.server.web.pages.students import KINDS

router = APIRouter()
Text = Annotated[str, Form()]
HOME = "/parents"


def _page(request: Request, template: str, context: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    return templating.render(request, "parents/" + template,
                             {"errors": {}, "values": {}, **(context or {})}, status)


def _signed_in(request: Request, store: Store, account: parents.ParentAccount,
               next_path: str = HOME) -> Response:
    """Open the parent's session (and remember their language), then go on."""
    token = staff_sessions.open_session(store, account.id, "parent")
    response = templating.redirect(request, templating.local_path(next_path, HOME))
    auth.set_session_cookie(request, response, token)
    if account.lang:
        response.set_cookie(templating.LANG_COOKIE, account.lang, max_age=365 * 86400,
                            path="/", samesite="lax")
    return response


@router.get(HOME + "/login")
def login_page(request: Request, next: str = HOME) -> Response:
    if auth.parent_signed_in(request) is not None:
        return templating.redirect(request, templating.local_path(next, HOME))
    return _page(request, "login.html", {"next": templating.local_path(next, HOME)})


@router.post(HOME + "/login")
def login(request: Request, store: Store, username: Text = "", password: Text = "",
          next: Text = HOME) -> Response:
    if not auth.same_origin(request):
        return templating.csrf_refused(request)
    try:
        account = parents.sign_in(store, username, password, auth.client_address(request))
    except CentralError as e:
        return _page(request, "login.html", {
            "next": templating.local_path(next, HOME), "username": username[:254],
            "error": e.say(templating.language(request))}, 401)
    return _signed_in(request, store, account, next)


@router.get(parents.TOKEN_PATH)
def token_page(request: Request, token: str = "", username: str = "") -> Response:
    return _page(request, "token.html", {"values": {"token": token[:100],
                                                    "username": username[:254]}})


@router.post(parents.TOKEN_PATH)
def use_token(request: Request, store: Store, username: Text = "", token: Text = "",
              password: Text = "", again: Text = "") -> Response:
    """"Vous serez connectés automatiquement": the password set, the parent is signed in."""
    if not auth.same_origin(request):
        return templating.csrf_refused(request)
    lang = templating.language(request)
    errors: dict[str, str] = {}
    try:
        parents.token_account(store, token)
        if password != again:
            errors["again"] = CentralError("invalid", "the two passwords differ").say(lang)
        else:
            account = parents.use_token(store, username, token, password)
    except CentralError as e:
        errors["token" if e.message.startswith("this login token") else "password"] = e.say(lang)
    if errors:
        return _page(request, "token.html", {"errors": errors, "values": {
            "username": username[:254], "token": token[:100]}}, 422)
    return _signed_in(request, store, account)


@router.get(HOME + "/forgot")
def forgot_page(request: Request) -> Response:
    return _page(request, "forgot.html")


@router.post(HOME + "/forgot")
def forgot(request: Request, store: Store, login: Text = "") -> Response:
    if not auth.same_origin(request):
        return templating.csrf_refused(request)
    _ = templating.gettext_of(request)
    if not login.strip():
        return _page(request, "forgot.html", {"errors": {"login": _(
            "Type your username or your e-mail address.")}}, 422)
    parents.forgot(store, login, site(request))
    return templating.redirect(request, parents.TOKEN_PATH, _(
        "If the school has this username or address, a new login token has just been sent"
        " to its e-mail address."))


@router.get(HOME + "/language")
def choose_language(request: Request, store: Store, to: str = "", next: str = HOME) -> Response:
    """The language switch: remembered by this browser, and by the account when signed in."""
    response = templating.redirect(request, templating.local_path(next, HOME))
    session = auth.parent_signed_in(request)
    if to in LANGUAGES:
        response.set_cookie(templating.LANG_COOKIE, to, max_age=365 * 86400, path="/",
                            samesite="lax")
        if session is not None:
            parents.set_language(store, session.parent, to)
    return response


@router.post(HOME + "/logout")
def logout(request: Request, store: Store, parent: CurrentParent) -> Response:
    session = auth.parent_signed_in(request)
    if session is not None:
        staff_sessions.close(store, session.token)
    _ = templating.gettext_of(request)
    response = templating.redirect(request, HOME + "/login", _("You are signed out."))
    auth.clear_session_cookie(request, response)
    return response


@router.get(HOME)
def children(request: Request, store: Store, parent: CurrentParent) -> Response:
    return _page(request, "children.html", {"children": parents.children(store, parent)})


@router.get(HOME + "/children/{student_id}")
def child(request: Request, student_id: str, store: Store, parent: CurrentParent) -> Response:
    return _page(request, "child.html", {**family.dashboard(store, parent, student_id),
                                         "KINDS": KINDS})


@router.get(HOME + "/children/{student_id}/wallets/{wallet_id}/topup")
def topup(request: Request, student_id: str, wallet_id: str, store: Store,
          parent: CurrentParent, amount: str = "") -> Response:
    errors, cents = {}, None
    if amount.strip():
        try:
            cents = wallet_ops.amount_in_cents(None, amount[:30])
            if cents <= 0:
                raise CentralError("invalid", "the amount must be more than zero")
        except CentralError as e:
            errors["amount"], cents = e.say(templating.language(request)), None
    return _page(request, "topup.html", {
        "t": family.topup(store, parent, student_id, wallet_id, cents),
        "amount": amount[:30], "errors": errors}, 422 if errors else 200)


@router.get(HOME + "/account")
def account_page(request: Request, store: Store, parent: CurrentParent) -> Response:
    return _page(request, "account.html",
                 {"account": parents.get_parent(store, parent.school_id, parent.id)})


@router.post(HOME + "/account/password")
def change_password(request: Request, store: Store, parent: CurrentParent,
                    current: Text = "", password: Text = "", again: Text = "") -> Response:
    _ = templating.gettext_of(request)
    session = auth.parent_signed_in(request)
    try:
        if password != again:
            raise CentralError("invalid", "the two passwords differ")
        parents.change_password(store, parent, current, password,
                                session.token if session else "")
    except CentralError as e:
        field = "current" if "current" in e.message else "password"
        return _page(request, "account.html", {
            "account": parents.get_parent(store, parent.school_id, parent.id),
            "errors": {field: e.say(templating.language(request))}}, 422)
    return templating.redirect(request, HOME + "/account", _("Your password is changed."))
