"""The API's own OpenAPI description, served to admins only: the public ``/docs``,
``/redoc`` and ``/openapi.json`` are off, so that the platform does not describe itself to
whoever finds it on the network; an admin (or the fuzz test) fetches it with a token."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sync.server import reports
from sync.server.api.deps import admin_auth

router = APIRouter(tags=["admin"], dependencies=[Depends(admin_auth)])


@router.get(reports.ADMIN_OPENAPI, response_model=dict[str, Any], include_in_schema=False)
def openapi(request: Request) -> dict[str, Any]:
    return request.app.openapi()
