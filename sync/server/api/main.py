"""``api_router``: every area's router, in one place for ``app.create_app`` to include.
A new area (the school's back office, the parents' pages) is a router added here."""
from __future__ import annotations

from fastapi import APIRouter

from sync.server.api.routes import calendar, integrity, ledger, openapi, reports, staff, terminal

api_router = APIRouter()
api_router.include_router(terminal.router)
api_router.include_router(reports.router)
api_router.include_router(ledger.router)
api_router.include_router(ledger.reservations_router)
api_router.include_router(integrity.router)
api_router.include_router(calendar.router)
api_router.include_router(openapi.router)
api_router.include_router(staff.router)
