"""What routes declare they need, as ``Annotated`` types FastAPI resolves per request: the
store (``Store``), the terminal behind a bearer token (``CurrentDevice``; its reported
version and last sighting are recorded on the way) and the school meant (``SchoolId``:
``?school=ID``, needed only when the platform has several).

An admin's token is checked by ``admin_auth``, which the admin routers declare for all their
routes at once (``APIRouter(dependencies=[Depends(admin_auth)])``): a route added to one of
them cannot forget it. The same way, the terminal protocol's router declares
``known_query_only``: a query parameter its route does not take is refused (``422 invalid``),
not ignored."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from sync.server import staff_tokens
from sync.server.api.http import bearer
from sync.server.devices import Device
from sync.server.errors import CentralError
from sync.server.permissions import Staff, require
from sync.server.staff_sessions import Parent
from sync.server.storage import CentralStore
from sync.server.web import auth


def get_store(request: Request) -> CentralStore:
    return request.app.state.store


Store = Annotated[CentralStore, Depends(get_store)]


def known_query_only(request: Request) -> None:
    """Refuse a query parameter the route does not declare (a typo, a parameter of a newer
    protocol): the protocol is strict both ways, and an ignored ``?limt=10`` would answer
    something else than what was asked."""
    unknown = sorted(set(request.query_params) - _query_names(request.scope.get("route")))
    if unknown:
        raise CentralError("invalid", "unknown query parameter {name!r}", name=unknown[0][:40])


def _query_names(route: Any) -> frozenset[str]:
    """The query parameters a route takes, its dependencies' included (by their alias);
    worked out once per route (routes are not hashable: kept by identity)."""
    known = _QUERY_NAMES.get(id(route))
    if known is not None and known[0] is route:
        return known[1]
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is not None:
            names.update(field.alias for field in dependant.query_params)
            pending.extend(dependant.dependencies)
    _QUERY_NAMES[id(route)] = (route, frozenset(names))
    return frozenset(names)


_QUERY_NAMES: dict[int, tuple[Any, frozenset[str]]] = {}


def current_device(request: Request, store: Store) -> Device:
    """The terminal whose token the request carries; what its User-Agent says of its
    version is recorded (``devices.note_seen``)."""
    return store.authenticate(bearer(request), request.headers.get("user-agent", ""))


CurrentDevice = Annotated[Device, Depends(current_device)]


def admin_auth(request: Request, store: Store) -> None:
    """An admin's token, or a refusal (a terminal's token is ``forbidden``)."""
    store.authenticate_admin(bearer(request))


def school_id(store: Store, school: str = "") -> str:
    """The school a request means: ``?school=ID``, or the platform's only school."""
    try:
        return store.school_id(school or None)
    except CentralError as e:
        raise CentralError(e.code, e.message.replace("--school-id", "?school=")) from None


SchoolId = Annotated[str, Depends(school_id)]


def office(permission: str | None = None) -> Any:
    """What a back-office route declares: ``staff: Annotated[Staff, office("catalogue.write")]``.
    The person behind the request (``Staff``: their school, their role), refused
    (``forbidden``) when their role lacks ``permission`` (``sync.server.permissions``);
    ``office()`` without one: anyone signed in (their own account's pages).

    Who: a member's personal token (``Authorization: Bearer cst_...``, ``staff_tokens``)
    acts as that member; an admin token stands for the office's admin of the school meant
    (``?school=``); else the staff session cookie of the pages
    (``web.auth``), whose unsafe requests must carry the session's CSRF token and come from
    this site. Without either: ``unauthorized`` (the pages send the browser to sign in)."""

    def staff(request: Request, store: Store, csrf: Annotated[str, Depends(auth.sent_csrf)],
              school: str = "") -> Staff:
        personal = None
        if "authorization" in request.headers:
            personal = staff_tokens.authenticate(store, bearer(request))
        if personal is not None:
            who = personal
        elif "authorization" in request.headers:
            meant = school_id(store, school)
            store.authenticate_admin(bearer(request))
            who = Staff(id="admin-token", school_id=meant, role="admin", name="admin token")
        else:
            session = auth.signed_in(request)
            if session is None:
                raise CentralError("unauthorized", "sign in first")
            auth.check_csrf(request, session, csrf)
            who = session.staff
        if permission is not None:
            require(who, permission)
        return who

    return Depends(staff)


def current_parent(request: Request, csrf: Annotated[str, Depends(auth.sent_csrf)]) -> Parent:
    """The parent behind a request of the parents' pages or their JSON API (issue 17): the
    session cookie of a parent (a staff session is not one: ``unauthorized``), its unsafe
    requests with the session's CSRF token, from this site, as ``office()``'s."""
    session = auth.parent_signed_in(request)
    if session is None:
        raise CentralError("unauthorized", "sign in first")
    auth.check_csrf(request, session, csrf)
    return session.parent


CurrentParent = Annotated[Parent, Depends(current_parent)]
