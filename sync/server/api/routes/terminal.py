"""The terminal protocol (``sync.protocol``): enrolment with a one-time code, then, with the
terminal's own token, journal push, change pull and the platform's view of its chain."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from sync import protocol
from sync.models import MAX_SEQ
from sync.server import allowance, chain_copy, terminal_health
from sync.server.api.deps import CurrentDevice, Store, known_query_only
from sync.server.api.http import ERRORS, json_answer

# Every route of this router, the ones added later included, refuses unknown query parameters.
router = APIRouter(tags=["terminal"], dependencies=[Depends(known_query_only)],
                   responses=ERRORS | {422: {"model": protocol.ErrorBody, "description":
                                             "the request does not fit the protocol (a query"
                                             " parameter the route does not take included)"}})


@router.post(protocol.ENROL, response_model=protocol.EnrolResponse)
def enrol(req: protocol.EnrolRequest, store: Store) -> Response:
    return json_answer(protocol.EnrolResponse(**store.enrol(req.code, req.device_id)))


@router.post(protocol.JOURNAL, response_model=protocol.PushResponse)
def push(req: protocol.PushRequest, me: CurrentDevice, store: Store) -> Response:
    return json_answer(protocol.PushResponse(**store.push(me, req.entries)))


@router.get(protocol.CHANGES, response_model=protocol.PullPage)
def changes(me: CurrentDevice, store: Store, cursor: str = "",
            limit: int = Query(protocol.MAX_PAGE_RECORDS, ge=1,
                               le=protocol.MAX_PAGE_RECORDS),
            offline: bool = Query(False, alias=protocol.OFFLINE_PARAM)) -> Response:
    page = store.pull(me, cursor, limit)
    if offline:         # asked for: the school's offline allowance and who shares it
        page["offline"] = allowance.terms(store, me.school_id)
    return json_answer(protocol.PullPage.model_validate(page))


@router.get(protocol.DEVICE, response_model=protocol.DeviceState)
def device_state(me: CurrentDevice, store: Store) -> Response:
    return json_answer(protocol.DeviceState(**store.device_state(me)))


@router.get(protocol.JOURNAL, response_model=protocol.JournalPage)
def own_journal(me: CurrentDevice, store: Store, after: int = Query(0, ge=0, le=MAX_SEQ),
                limit: int = Query(protocol.MAX_JOURNAL_ENTRIES, ge=1,
                                   le=protocol.MAX_JOURNAL_ENTRIES)) -> Response:
    """This terminal's own entries back (a terminal put back from an older backup)."""
    return json_answer(protocol.JournalPage(**chain_copy.entries(store, me, after, limit)))


@router.post(protocol.HEALTH, response_model=protocol.HealthAck)
def health(req: protocol.HealthReport, me: CurrentDevice, store: Store) -> Response:
    """How the terminal is: kept as its latest report, for the office (``terminal_health``)."""
    return json_answer(protocol.HealthAck(
        received_at=terminal_health.record(store, me.id, me.school_id, req)))
