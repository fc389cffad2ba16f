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
from starlette.exceptions import HTTPException

from sync.server.api import http
from sync.server.api.main import api_router
from sync.server.api.middleware import CatchAll, RequestBody
from sync.server.errors import CentralError
from sync.server.storage import CentralStore
from sync.server.web import site


def create_app(store: CentralStore) -> FastAPI:
    app = FastAPI(title="Comptoir central", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store                 # what ``api.deps.Store`` hands to the routes
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(RequestBody)
    app.add_middleware(CatchAll)            # added last: runs first
    app.add_exception_handler(CentralError, http.refused)
    app.add_exception_handler(RequestValidationError, http.invalid_request)
    app.add_exception_handler(HTTPException, http.http_error)
    app.include_router(api_router)
    site.install(app)                       # the back office's pages (sync.server.web)
    return app
