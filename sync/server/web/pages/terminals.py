"""The terminals' pages (``sync.server.terminal_board``): the list with a form for an
enrolment code, a terminal's page (revoke with confirmation, replace), the code with its QR."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.server import terminal_board
from sync.server.api.deps import Store, office
from sync.server.api.routes.office_terminals import server_url
from sync.server.errors import CentralError
from sync.server.permissions import Staff
from sync.server.web import templating
from sync.server.web.health_words import WORDS

router = APIRouter()
Reader = Annotated[Staff, office("terminals.read")]
Writer = Annotated[Staff, office("terminals.write")]
Text = Annotated[str, Form()]


def _list(request: Request, store: Store, staff: Staff, status: int = 200,
          **context: object) -> Response:
    return templating.render(request, "terminals/list.html", {
        "terminals": terminal_board.terminal_list(store, staff.school_id), "errors": {},
        "name": "", **WORDS, **context}, status)


@router.get("/terminals")
def terminal_list(request: Request, store: Store, staff: Reader) -> Response:
    return _list(request, store, staff)


def _code_page(request: Request, made: dict) -> Response:
    _ = templating.gettext_of(request)
    made = made | {"qr_svg": terminal_board.qr_svg(made["qr_text"], _(
        "QR code of the enrolment code {code}", code=made["code"]))}
    return templating.render(request, "terminals/code.html", {"made": made})


@router.post("/terminals/codes")
def new_code(request: Request, store: Store, staff: Writer, name: Text = "") -> Response:
    _ = templating.gettext_of(request)
    try:
        if not name.strip():
            raise CentralError("invalid", "a new terminal needs a name")
        made = terminal_board.new_enrol_code(store, staff.school_id, name[:200],
                                             server_url(request))
    except CentralError as e:
        return _list(request, store, staff, 422, name=name[:60],
                     errors={"name": e.say(templating.language(request))})
    return _code_page(request, made)


def _terminal(request: Request, store: Store, staff: Staff, device_id: str,
              status: int = 200, **context: object) -> Response:
    lang = templating.language(request)
    found = terminal_board.terminal_detail(store, staff.school_id, device_id, lang=lang)
    return templating.render(request, "terminals/terminal.html",
                             {"t": found, **WORDS, **context}, status)


@router.get("/terminals/{device_id}")
def terminal(request: Request, store: Store, staff: Reader, device_id: str) -> Response:
    return _terminal(request, store, staff, device_id)


@router.post("/terminals/{device_id}/revoke")
def revoke(request: Request, store: Store, staff: Writer, device_id: str,
           confirm: Text = "") -> Response:
    """Revoking takes the box "yes, cut it off" ticked: a click alone changes nothing."""
    _ = templating.gettext_of(request)
    if confirm != "yes":
        terminal_board.terminal_detail(store, staff.school_id, device_id)   # 404 first
        return _terminal(request, store, staff, device_id, 422, revoke_error=_(
            "Tick the box to confirm: the terminal will be refused at once."))
    try:
        terminal_board.revoke(store, staff.school_id, device_id)
    except CentralError as e:
        if e.code == "not_found":
            raise
        return _terminal(request, store, staff, device_id, 422,
                         revoke_error=e.say(templating.language(request)))
    return templating.redirect(request, f"/terminals/{device_id}",
                               _("The terminal is revoked: it is refused from now on."))


@router.post("/terminals/{device_id}/replace")
def replace(request: Request, store: Store, staff: Writer, device_id: str) -> Response:
    return _code_page(request, terminal_board.new_enrol_code(
        store, staff.school_id, "", server_url(request), replaces=device_id))
