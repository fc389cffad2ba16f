"""My account: change one's password and language, sign out everywhere, personal API
tokens for scripts."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.server import staff as accounts, staff_sessions, staff_tokens
from sync.server.api.deps import Store, office
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import auth, templating

router = APIRouter()
Me = Annotated[Staff, office()]
Text = Annotated[str, Form()]


def _page(request: Request, store: Store, staff: Staff, status: int = 200,
          **context: object) -> Response:
    account = accounts.get_staff(store, staff.school_id, staff.id)
    return templating.render(request, "account/account.html", {
        "account": account, "errors": {}, "tokens": staff_tokens.tokens(store, staff),
        **context}, status)


@router.get("/account")
def account_page(request: Request, store: Store, staff: Me) -> Response:
    return _page(request, store, staff)


@router.post("/account/password")
def change_password(request: Request, store: Store, staff: Me, current: Text = "",
                    password: Text = "", again: Text = "") -> Response:
    _ = templating.gettext_of(request)
    lang = templating.language(request)
    errors = {}
    if password != again:
        errors["again"] = _("The two passwords differ.")
    else:
        try:
            accounts.change_password(store, staff, current, password)
        except CentralError as e:
            errors["current" if "current" in e.message else "password"] = e.say(lang)
    if errors:
        return _page(request, store, staff, 422, errors=errors)
    session = auth.signed_in(request)
    staff_sessions.close_all(store, staff, keep=session.token if session else None)
    return templating.redirect(request, "/account", _("Your password is changed."))


@router.post("/account/language")
def change_language(request: Request, store: Store, staff: Me, lang: Text = "") -> Response:
    try:
        accounts.set_language(store, staff, lang)
    except CentralError as e:
        return _page(request, store, staff, 422,
                     errors={"lang": e.say(templating.language(request))})
    response = templating.redirect(request, "/account")
    response.set_cookie(templating.LANG_COOKIE, lang, max_age=365 * 86400, path="/",
                        samesite="lax")
    return response


@router.post("/account/logout-everywhere")
def logout_everywhere(request: Request, store: Store, staff: Me) -> Response:
    _ = templating.gettext_of(request)
    staff_sessions.close_all(store, staff)
    response = templating.redirect(request, "/login", _("You are signed out everywhere."))
    auth.clear_session_cookie(request, response)
    return response


@router.post("/account/tokens")
def make_token(request: Request, store: Store, staff: Me, label: Text = "") -> Response:
    try:
        token = staff_tokens.create(store, staff, label)
    except CentralError as e:
        return _page(request, store, staff, 422,
                     errors={"label": e.say(templating.language(request))})
    return _page(request, store, staff, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, store: Store, staff: Me, token_id: str) -> Response:
    _ = templating.gettext_of(request)
    staff_tokens.revoke(store, staff, token_id)
    return templating.redirect(request, "/account", _("The token is revoked."))
