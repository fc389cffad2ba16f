"""``router``: every area's page router, in one place (an area adds its line here)."""
from __future__ import annotations

from fastapi import APIRouter

from sync.server.web.pages import (
    account,
    calendar,
    catalogue,
    home,
    money,
    operators,
    parent_accounts,
    parents,
    reports,
    sign_in,
    staff,
    students,
    terminals,
)

router = APIRouter(include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(home.router)
router.include_router(account.router)
router.include_router(staff.router)
router.include_router(catalogue.router)
router.include_router(operators.router)
router.include_router(students.router)
router.include_router(calendar.router)
router.include_router(money.router)
router.include_router(terminals.router)
router.include_router(reports.router)
router.include_router(parents.router)
router.include_router(parent_accounts.router)
