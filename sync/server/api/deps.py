"""What routes declare they need, as ``Annotated`` types FastAPI resolves per request: the
store (``Store``), the terminal behind a bearer token (``CurrentDevice``; its reported
version and last sighting are recorded on the way) and the school meant (``SchoolId``:
``?school=ID``, needed only when the platform has several).

An admin's token is checked by ``admin_auth``, which the admin routers declare for all their
routes at once (``APIRouter(dependencies=[Depends(admin_auth)])``): a route added to one of
them cannot forget it."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sync.server.api.http import bearer
from sync.server.devices import Device
from sync.server.errors import CentralError
from sync.server.storage import CentralStore


def get_store(request: Request) -> CentralStore:
    return request.app.state.store


Store = Annotated[CentralStore, Depends(get_store)]


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
