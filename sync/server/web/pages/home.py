"""The back office's home: a dashboard with a link to each area the reader's role may open."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync.server.api.deps import office
from sync.server.permissions import Staff
from sync.server.web import templating

router = APIRouter()


@router.get("/")
def home(request: Request, staff: Annotated[Staff, office()]) -> Response:
    return templating.render(request, "home.html")
