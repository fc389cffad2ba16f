"""``api_router``: every area's router, in one place for ``app.create_app`` to include.
A new area (the school's back office, the parents' pages) is a router added here."""
from __future__ import annotations

from fastapi import APIRouter

from sync.server.api.routes import (
    calendar,
    catalogue,
    integrity,
    ledger,
    money,
    office_reports,
    office_terminals,
    openapi,
    operators,
    parents,
    photos,
    reports,
    staff,
    students,
    terminal,
)

api_router = APIRouter()
api_router.include_router(terminal.router)
api_router.include_router(reports.router)
api_router.include_router(ledger.router)
api_router.include_router(ledger.reservations_router)
api_router.include_router(integrity.router)
api_router.include_router(catalogue.router)
api_router.include_router(operators.router)
api_router.include_router(students.router)
api_router.include_router(photos.router)
api_router.include_router(calendar.router)
api_router.include_router(money.router)
api_router.include_router(office_terminals.router)
api_router.include_router(office_reports.router)
api_router.include_router(openapi.router)
api_router.include_router(staff.router)
api_router.include_router(parents.router)
