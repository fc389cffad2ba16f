"""The staff accounts' JSON API (issue 16), what the pages do, for a school's own tools:
signing in and out (the session cookie), one's own account, and the admins' staff list,
invitations, roles and disabling. Every route declares its permission (``office``) and works
within the caller's school only."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sync.server import staff as accounts, staff_links, staff_sessions, staff_tokens
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, json_answer
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import auth

ADMIN = "/api/v1/admin"
router = APIRouter(tags=["staff"], responses=ERRORS)
Admin = Annotated[Staff, office("staff.manage")]
Me = Annotated[Staff, office()]
# every path of this router (the fuzz test lists the API's paths)
PATHS = frozenset(ADMIN + p for p in (
    "/login", "/logout", "/password-link", "/me", "/me/password", "/me/logout-everywhere",
    "/staff", "/staff/{staff_id}", "/staff/{staff_id}/link", "/me/tokens",
    "/me/tokens/{token_id}"))


class Member(BaseModel):
    id: str
    email: str
    name: str
    role: str
    disabled: bool
    has_password: bool
    lang: str
    locked_until: str | None


class MemberList(BaseModel):
    staff: list[Member]


class Invitation(BaseModel):
    email: str = Field(max_length=254)
    name: str = Field(max_length=100)
    role: Literal["admin", "supervisor", "accountant"]


class Invited(BaseModel):
    staff: Member
    link: str = Field(description="the one-time link to choose a password (shown once)")


class Change(BaseModel):
    role: Literal["admin", "supervisor", "accountant"] | None = None
    disabled: bool | None = None


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class SignedInAnswer(BaseModel):
    staff: Member
    csrf_token: str = Field(description="send it as X-CSRF-Token with unsafe requests")


class PasswordChange(BaseModel):
    current: str = Field(max_length=200)
    password: str = Field(max_length=200)


class LinkUse(BaseModel):
    token: str = Field(max_length=100)
    password: str = Field(max_length=200)


class Preferences(BaseModel):
    lang: Literal["fr", "nl", "en"]


class TokenInfo(BaseModel):
    id: str
    label: str
    created_at: str
    last_used: str | None


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class NewToken(BaseModel):
    label: str = Field(max_length=60)


class MadeToken(BaseModel):
    token: str = Field(description="the token (shown once): Authorization: Bearer <token>")


class Ended(BaseModel):
    sessions_ended: int


def _member(account: accounts.Account) -> Member:
    return Member(id=account.id, email=account.email, name=account.name, role=account.role,
                  disabled=account.disabled, has_password=account.has_password,
                  lang=account.lang, locked_until=account.locked_until)


def link_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"{staff_links.PATH}?token={token}"


# -- signing in and out ------------------------------------------------------------------------
@router.post(ADMIN + "/login", response_model=SignedInAnswer)
def login(req: Credentials, request: Request, store: Store) -> Response:
    """Sign in: the session cookie is set; unsafe requests then need the CSRF token."""
    if not auth.same_origin(request):
        raise auth.csrf_error()
    account = accounts.sign_in(store, req.email, req.password, auth.client_address(request))
    token = staff_sessions.open_session(store, account.id)
    response = json_answer(SignedInAnswer(staff=_member(account),
                                          csrf_token=staff_sessions.csrf_token(token)))
    auth.set_session_cookie(request, response, token)
    return response


@router.post(ADMIN + "/logout", response_model=Ended)
def logout(request: Request, store: Store, staff: Me) -> Response:
    session = auth.signed_in(request)
    if session is not None:
        staff_sessions.close(store, session.token)
    response = json_answer(Ended(sessions_ended=int(session is not None)))
    auth.clear_session_cookie(request, response)
    return response


@router.post(ADMIN + "/password-link", response_model=Member)
def use_link(req: LinkUse, store: Store) -> Response:
    """Choose one's password with a one-time link's token."""
    return json_answer(_member(staff_links.use_link(store, req.token, req.password)))


# -- my account --------------------------------------------------------------------------------
def _me(store: Store, staff: Staff) -> accounts.Account:
    if staff.id == "admin-token":
        raise CentralError("not_found", "an admin token has no account")
    return accounts.get_staff(store, staff.school_id, staff.id)


@router.get(ADMIN + "/me", response_model=Member)
def me(store: Store, staff: Me) -> Response:
    return json_answer(_member(_me(store, staff)))


@router.patch(ADMIN + "/me", response_model=Member)
def preferences(req: Preferences, store: Store, staff: Me) -> Response:
    _me(store, staff)
    accounts.set_language(store, staff, req.lang)
    return json_answer(_member(_me(store, staff)))


@router.post(ADMIN + "/me/password", response_model=Ended)
def change_password(req: PasswordChange, request: Request, store: Store, staff: Me) -> Response:
    """Change one's password; one's other sessions end."""
    _me(store, staff)
    accounts.change_password(store, staff, req.current, req.password)
    session = auth.signed_in(request)
    ended = staff_sessions.close_all(store, staff, keep=session.token if session else None)
    return json_answer(Ended(sessions_ended=ended))


@router.post(ADMIN + "/me/logout-everywhere", response_model=Ended)
def logout_everywhere(request: Request, store: Store, staff: Me) -> Response:
    _me(store, staff)
    response = json_answer(Ended(sessions_ended=staff_sessions.close_all(store, staff)))
    auth.clear_session_cookie(request, response)
    return response


@router.get(ADMIN + "/me/tokens", response_model=TokenList)
def my_tokens(store: Store, staff: Me) -> Response:
    _me(store, staff)
    return json_answer(TokenList.model_validate({"tokens": staff_tokens.tokens(store, staff)}))


@router.post(ADMIN + "/me/tokens", response_model=MadeToken, status_code=201)
def make_token(req: NewToken, store: Store, staff: Me) -> Response:
    """A personal API token for a script: it acts with one's role, in one's school."""
    _me(store, staff)
    answer = json_answer(MadeToken(token=staff_tokens.create(store, staff, req.label)))
    answer.status_code = 201
    return answer


@router.delete(ADMIN + "/me/tokens/{token_id}", response_model=TokenList)
def revoke_token(token_id: str, store: Store, staff: Me) -> Response:
    _me(store, staff)
    staff_tokens.revoke(store, staff, token_id)
    return json_answer(TokenList.model_validate({"tokens": staff_tokens.tokens(store, staff)}))


# -- the school's staff (admins) ---------------------------------------------------------------
@router.get(ADMIN + "/staff", response_model=MemberList)
def staff_list(store: Store, staff: Admin) -> Response:
    return json_answer(MemberList(staff=[_member(a) for a in
                                         accounts.list_staff(store, staff.school_id)]))


@router.post(ADMIN + "/staff", response_model=Invited, status_code=201)
def invite(req: Invitation, request: Request, store: Store, staff: Admin) -> Response:
    account, token = staff_links.invite(store, staff.school_id, req.email, req.name, req.role)
    answer = json_answer(Invited(staff=_member(account), link=link_url(request, token)))
    answer.status_code = 201
    return answer


@router.get(ADMIN + "/staff/{staff_id}", response_model=Member)
def member(staff_id: str, store: Store, staff: Admin) -> Response:
    return json_answer(_member(accounts.get_staff(store, staff.school_id, staff_id)))


@router.patch(ADMIN + "/staff/{staff_id}", response_model=Member)
def change(staff_id: str, req: Change, store: Store, staff: Admin) -> Response:
    return json_answer(_member(accounts.update_staff(store, staff.school_id, staff_id,
                                                     role=req.role, disabled=req.disabled)))


@router.post(ADMIN + "/staff/{staff_id}/link", response_model=Invited)
def new_link(staff_id: str, request: Request, store: Store, staff: Admin) -> Response:
    token = staff_links.new_link(store, staff.school_id, staff_id)
    return json_answer(Invited(staff=_member(accounts.get_staff(store, staff.school_id,
                                                                staff_id)),
                               link=link_url(request, token)))
