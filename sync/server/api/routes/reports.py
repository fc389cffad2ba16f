"""The admins' reports (``sync.server.reports``): the sales journal parents see, and the
school's terminals with the version each one reports. Admin tokens only."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from sync.server import reports
from sync.server.api.deps import SchoolId, Store, admin_auth
from sync.server.api.http import ERRORS, json_answer, query_day

router = APIRouter(tags=["reports"], dependencies=[Depends(admin_auth)], responses=ERRORS)


@router.get(reports.ADMIN_SALES, response_model=reports.SalesJournal)
def sales(store: Store, school_id: SchoolId, student: str = "", wallet: str = "",
          device: str = "", article: str = "", period: str = "",
          first: str = Query("", alias="from"), last: str = Query("", alias="to"),
          limit: int = Query(1000, ge=1, le=reports.MAX_SALES_ROWS),
          offset: int = Query(0, ge=0)) -> Response:
    """The sales journal parents see; empty parameters are no filter."""
    found = store.sales_journal(
        school_id, student_id=student or None, wallet_id=wallet or None,
        device_id=device or None, article_text=article or None, period=period or None,
        first_day=query_day(first, "from"), last_day=query_day(last, "to"), limit=limit,
        offset=offset)
    return json_answer(reports.SalesJournal.model_validate(found))


@router.get(reports.ADMIN_DEVICES, response_model=reports.DeviceList)
def devices(store: Store, school_id: SchoolId) -> Response:
    """The school's terminals: enrolled, revoked, the version each reports, last seen."""
    return json_answer(reports.DeviceList.model_validate(
        {"school_id": school_id, "devices": store.device_list(school_id)}))
