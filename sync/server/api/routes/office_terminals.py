"""The office's terminals (``sync.server.terminal_board``): the list, one terminal, enrolment
codes with their QR, revoke and replace. Scoped to the school of the person asking."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.server import office_api, terminal_board
from sync.server.api.deps import Store, office
from sync.server.api.http import ERRORS, json_answer
from sync.server.integrity_api import Lang
from sync.server.permissions import Staff

router = APIRouter(tags=["terminals"], responses=ERRORS)
Reader = Annotated[Staff, office("terminals.read")]
Writer = Annotated[Staff, office("terminals.write")]


def server_url(request: Request) -> str:
    """The platform's address as the office reached it: what a terminal enrols with."""
    return str(request.base_url).rstrip("/")


@router.get(office_api.TERMINALS, response_model=office_api.TerminalList)
def terminal_list(store: Store, staff: Reader) -> Response:
    return json_answer(office_api.TerminalList(school_id=staff.school_id, terminals=[
        office_api.TerminalInfo(**t) for t in terminal_board.terminal_list(store,
                                                                           staff.school_id)]))


@router.get(office_api.TERMINAL, response_model=office_api.TerminalDetail)
def terminal(device_id: str, store: Store, staff: Reader, lang: Lang = "en") -> Response:
    return json_answer(office_api.TerminalDetail.model_validate(
        terminal_board.terminal_detail(store, staff.school_id, device_id, lang=lang)))


@router.post(office_api.REVOKE, response_model=office_api.TerminalInfo)
def revoke(device_id: str, store: Store, staff: Writer) -> Response:
    return json_answer(office_api.TerminalInfo.model_validate(
        terminal_board.revoke(store, staff.school_id, device_id)))


@router.post(office_api.REPLACE, response_model=office_api.EnrolCode)
def replace(device_id: str, req: office_api.ReplaceRequest, request: Request, store: Store,
            staff: Writer) -> Response:
    return json_answer(office_api.EnrolCode.model_validate(terminal_board.new_enrol_code(
        store, staff.school_id, req.name, server_url(request), replaces=device_id)))


@router.post(office_api.ENROL_CODES, response_model=office_api.EnrolCode)
def enrol_code(req: office_api.EnrolCodeRequest, request: Request, store: Store,
               staff: Writer) -> Response:
    return json_answer(office_api.EnrolCode.model_validate(terminal_board.new_enrol_code(
        store, staff.school_id, req.name, server_url(request))))
