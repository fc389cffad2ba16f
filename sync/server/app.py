"""The HTTP layer of the reference central server: ``create_app(store)``.

Only transport here (auth header, gzip, size limit, error bodies); every decision is in
``storage.CentralStore``, ``ledger`` (reservations, top-ups, bank statements) and ``roster``.
Every answer is a ``sync.protocol`` model, errors included, but the admins' ones, which are
``sync.server.reports`` and ``sync.server.ledger_api`` models (with admin tokens, not
terminal ones)."""
from __future__ import annotations

import logging
import zlib
from datetime import date

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import protocol
from sync.server import bank_statement, ledger, ledger_api, reports, roster
from sync.server.storage import CentralError, CentralStore, Device

log = logging.getLogger("comptoir.central")

MAX_BODY = 10 * 1024 * 1024     # bytes, before and after gzip
STATUS = {"unauthorized": 401, "revoked": 403, "forbidden": 403, "bad_code": 403,
          "invalid": 422, "gap": 409, "conflict": 409, "chain_broken": 422,
          "cursor_expired": 410, "server_error": 500, "not_found": 404, "too_late": 409,
          "insufficient_balance": 409, "not_cancellable": 409}


def error_response(code: str, message: str, status: int | None = None, **extra) -> JSONResponse:
    body = protocol.ErrorBody(error=code, message=message, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status or STATUS[code])


def _answer(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CentralError("unauthorized", "missing bearer token")
    return token.strip()


def _day(text: str, name: str) -> date | None:
    """A query's day (YYYY-MM-DD); empty is none."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CentralError("invalid", f"{name}: not a day (YYYY-MM-DD)") from None


class _TooLarge(Exception):
    pass


def _gunzip(data: bytes) -> bytes:
    """Inflate one gzip member, refusing more than MAX_BODY of output (a gzip bomb)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_BODY + 1)
    if len(out) > MAX_BODY:
        raise _TooLarge
    if not inflater.eof or inflater.unused_data:
        raise ValueError("truncated or trailing data")
    return out


class RequestBody:
    """ASGI middleware: read the request body (at most MAX_BODY), inflate it when it comes
    with ``Content-Encoding: gzip``, and hand the plain body on."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        refuse = None
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            refuse = error_response("invalid", "request body too large", 413)
        chunks, size, more = [], 0, refuse is None
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_BODY:
                refuse, more = error_response("invalid", "request body too large", 413), False
        body = b"".join(chunks)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if refuse is None and encoding == "gzip":
            try:
                body = _gunzip(body)
            except _TooLarge:
                refuse = error_response("invalid", "request body too large", 413)
            except (zlib.error, ValueError):
                refuse = error_response("invalid", "request body is not valid gzip")
        elif refuse is None and encoding not in ("identity", ""):
            refuse = error_response("invalid", f"unsupported content encoding {encoding!r}")
        if refuse is not None:
            return await refuse(scope, receive, send)
        scope = dict(scope, headers=[(k, v) for k, v in scope["headers"]
                                     if k not in (b"content-encoding", b"content-length")]
                     + [(b"content-length", str(len(body)).encode())])
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a 500 ``server_error`` and one log
    line with its type only. (Starlette's own handler would log the full traceback, whose
    messages may quote personal data, e.g. a pydantic error's input value.)"""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        started = False

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"),
                      scope.get("path"))
            if scope["type"] == "http" and not started:
                await error_response("server_error", "internal error")(scope, receive, send)


def create_app(store: CentralStore) -> FastAPI:
    app = FastAPI(title="Comptoir central", docs_url=None, redoc_url=None, openapi_url=None)
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

    def device(request: Request) -> Device:
        return store.authenticate(_bearer(request))

    def admin(request: Request) -> None:
        store.authenticate_admin(_bearer(request))

    @app.post(protocol.ENROL)
    def enrol(req: protocol.EnrolRequest) -> Response:
        return _answer(protocol.EnrolResponse(**store.enrol(req.code, req.device_id)))

    @app.post(protocol.JOURNAL)
    def push(req: protocol.PushRequest, me: Device = Depends(device)) -> Response:
        return _answer(protocol.PushResponse(**store.push(me, req.entries)))

    @app.get(protocol.CHANGES)
    def changes(cursor: str = "",
                limit: int = Query(protocol.MAX_PAGE_RECORDS, ge=1, le=protocol.MAX_PAGE_RECORDS),
                me: Device = Depends(device)) -> Response:
        return _answer(protocol.PullPage.model_validate(store.pull(me, cursor, limit)))

    @app.get(protocol.DEVICE)
    def device_state(me: Device = Depends(device)) -> Response:
        return _answer(protocol.DeviceState(**store.device_state(me)))

    def school_of(school: str) -> str:
        try:
            return store.school_id(school or None)
        except CentralError as e:
            raise CentralError(e.code, e.message.replace("--school-id", "?school=")) from None

    # -- reports (admin token) -----------------------------------------------------------
    @app.get(reports.ADMIN_SALES, dependencies=[Depends(admin)])
    def sales(student: str = "", wallet: str = "", device: str = "", article: str = "",
              period: str = "", first: str = Query("", alias="from"),
              last: str = Query("", alias="to"), school: str = "",
              limit: int = Query(1000, ge=1, le=reports.MAX_SALES_ROWS),
              offset: int = Query(0, ge=0)) -> Response:
        """The sales journal parents see; empty parameters are no filter."""
        school_id = school_of(school)
        found = store.sales_journal(
            school_id, student_id=student or None, wallet_id=wallet or None,
            device_id=device or None, article_text=article or None, period=period or None,
            first_day=_day(first, "from"), last_day=_day(last, "to"), limit=limit,
            offset=offset)
        return _answer(reports.SalesJournal.model_validate(found))

    # -- the ledger and the roster (admin token) -----------------------------------------
    @app.post(ledger_api.RESERVATIONS, dependencies=[Depends(admin)])
    def reserve(req: ledger_api.ReservationRequest, school: str = "") -> Response:
        return _answer(ledger_api.ReservationAnswer.model_validate(ledger.create_reservation(
            store, school_of(school), req.student_id, req.day, req.article_code, req.quantity)))

    @app.post(ledger_api.CANCEL, dependencies=[Depends(admin)])
    def cancel(reservation_id: str, school: str = "") -> Response:
        return _answer(ledger_api.CancelAnswer.model_validate(
            ledger.cancel_reservation(store, school_of(school), reservation_id)))

    @app.get(ledger_api.RESERVATIONS, dependencies=[Depends(admin)])
    def reservation_list(day: str = "", student: str = "", school: str = "") -> Response:
        found = ledger.reservations(store, school_of(school), day=_day(day, "day"),
                                    student_id=student or None)
        return _answer(ledger_api.ReservationList(reservations=found))

    @app.post(ledger_api.TOPUPS, dependencies=[Depends(admin)])
    def topup(req: ledger_api.TopupRequest, school: str = "") -> Response:
        return _answer(ledger_api.TopupAnswer.model_validate(ledger.topup(
            store, school_of(school), req.wallet_id, req.amount_cents, req.label)))

    # The two file imports take the file itself as the body (text/csv, application/json).
    @app.post(ledger_api.BANK_IMPORT, dependencies=[Depends(admin)])
    async def bank_import(request: Request, school: str = "") -> Response:
        text = bank_statement.read_text(await request.body())
        found = await run_in_threadpool(lambda: ledger.import_bank(store, school_of(school), text))
        return _answer(ledger_api.BankImport.model_validate(found))

    @app.post(ledger_api.ROSTER, dependencies=[Depends(admin)])
    async def roster_import(request: Request, school: str = "") -> Response:
        text = bank_statement.read_text(await request.body())
        found = await run_in_threadpool(
            lambda: roster.import_roster(store, school_of(school), text))
        return _answer(ledger_api.RosterImport.model_validate(found))

    @app.get(ledger_api.WALLET_HISTORY, dependencies=[Depends(admin)])
    def wallet_history(wallet_id: str, school: str = "") -> Response:
        return _answer(ledger_api.WalletHistory.model_validate(
            ledger.wallet_history(store, school_of(school), wallet_id)))

    return app
