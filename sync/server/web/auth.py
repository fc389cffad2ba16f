"""Who is behind a request of the pages: the staff session cookie, and the checks of an unsafe
request made with it (CSRF). ``api.deps.office`` asks here; the login page sets the cookie.

The cookie (``COOKIE``) is HttpOnly, SameSite=Lax and Secure when the platform is served over
https (``secure_cookies``: the app's setting, ``None`` to follow the request's scheme). An
unsafe request (POST, PUT, PATCH, DELETE) made with the cookie must carry the session's CSRF
token (a form's hidden ``csrf_token`` field, or the ``X-CSRF-Token`` header) and come from
this site (its ``Origin``, else its ``Referer``); otherwise it is refused, never applied.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from sync.server import staff_sessions
from sync.server.errors import CentralError
from sync.server.staff_sessions import ParentSignedIn, SignedIn
from sync.server.storage import CentralStore

COOKIE = "comptoir_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def signed_in(request: Request) -> SignedIn | None:
    """The request's live session, if any (looked up once per request)."""
    if not hasattr(request.state, "signed_in"):
        token = request.cookies.get(COOKIE, "")
        store: CentralStore = request.app.state.store
        request.state.signed_in = staff_sessions.resolve(store, token) if token else None
    return request.state.signed_in


def parent_signed_in(request: Request) -> ParentSignedIn | None:
    """The request's live parent's session, if any (the same cookie: a session is a staff
    member's or a parent's, never both)."""
    if not hasattr(request.state, "parent_signed_in"):
        token = request.cookies.get(COOKIE, "")
        store: CentralStore = request.app.state.store
        request.state.parent_signed_in = (staff_sessions.resolve_parent(store, token)
                                          if token else None)
    return request.state.parent_signed_in


def same_origin(request: Request) -> bool:
    """The request comes from a page of this site (its Origin, else its Referer)."""
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer", "")
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""
    return origin.lower() == own


def check_csrf(request: Request, session: SignedIn | ParentSignedIn, sent: str) -> None:
    """Refuse (``forbidden``) an unsafe request of a session without its token or from
    another site."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request) or not staff_sessions.csrf_matches(session.token, sent):
        raise csrf_error()


def csrf_error() -> CentralError:
    return CentralError("forbidden", "this form has expired or did not come from this site:"
                                     " reload the page and try again")


async def sent_csrf(request: Request) -> str:
    """The CSRF token an unsafe request carries (header, else form field)."""
    if request.method in SAFE_METHODS:
        return ""
    header = request.headers.get(CSRF_HEADER, "")
    if header or "form" not in request.headers.get("content-type", ""):
        return header
    value = (await request.form()).get(CSRF_FIELD, "")
    return value if isinstance(value, str) else ""


def secure(request: Request) -> bool:
    setting = getattr(request.app.state, "secure_cookies", None)
    return request.url.scheme == "https" if setting is None else bool(setting)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(staff_sessions.LIFETIME.total_seconds()),
                        path="/", httponly=True, samesite="lax", secure=secure(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                           secure=secure(request))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
