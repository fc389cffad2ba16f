"""The platform's HTTP application: ``create_app(store)`` assembles the API's routers
(``api.main``), its middleware (``api.middleware``) and how refusals are answered
(``api.http``). Only transport lives in ``api``; every decision is in the store's modules,
``ledger`` and ``roster``.

Every answer is a model (``sync.protocol`` for terminals, ``reports`` and ``ledger_api``
for admins), errors included (``sync.protocol.ErrorBody``). The OpenAPI description is served
to admins only (``reports.ADMIN_OPENAPI``)."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.server.api.http import error_response
from sync.server.api.main import api_router
from sync.server.api.middleware import CatchAll, RequestBody
from sync.server.errors import CentralError
from sync.server.storage import CentralStore


def create_app(store: CentralStore) -> FastAPI:
    app = FastAPI(title="Comptoir central", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(RequestBody)
    app.add_middleware(CatchAll)        # added last: runs first

    @app.exception_handler(CentralError)
    async def _refused(request, exc: CentralError):
        return error_response(exc.code, exc.message, seq=exc.seq, expected_seq=exc.expected_seq,
                              missing_cents=getattr(exc, "missing_cents", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc: RequestValidationError):
        # Where and what only: never echo the input (it may hold personal data).
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_response("invalid", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request, exc: StarletteHTTPException):
        code = {401: "unauthorized", 403: "forbidden"}.get(exc.status_code, "invalid")
        if exc.status_code >= 500:
            code = "server_error"
        return error_response(code, str(exc.detail), exc.status_code)

    app.include_router(api_router)
    return app
