"""How the platform answers: every body is a model (``sync.protocol``, ``reports``,
``ledger_api``), every refusal a ``sync.protocol.ErrorBody`` whose code says the status."""
from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from sync import protocol
from sync.server.errors import CentralError

STATUS = {"unauthorized": 401, "revoked": 403, "forbidden": 403, "bad_code": 403,
          "invalid": 422, "gap": 409, "conflict": 409, "chain_broken": 422,
          "cursor_expired": 410, "server_error": 500, "not_found": 404, "too_late": 409,
          "insufficient_balance": 409, "not_cancellable": 409, "allergen": 409,
          "allergen_refused": 409, "closed": 409}
# Documented on every route: a refusal's body (the fuzz test checks answers against it).
ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": protocol.ErrorBody}
                                           for status in sorted(set(STATUS.values()) - {500})}


def error_response(code: str, message: str, status: int | None = None,
                   **extra: Any) -> JSONResponse:
    body = protocol.ErrorBody.model_validate({"error": code, "message": message, **extra})
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status or STATUS[code])


def json_answer(model: BaseModel) -> Response:
    """A model, serialised once by pydantic: the route's ``response_model`` documents it, and
    FastAPI does not validate it a second time (a pull page may carry a whole school)."""
    return Response(model.model_dump_json(), media_type="application/json")


def answer(model: type[BaseModel], data: Any, status: int = 200) -> Response:
    """What a domain function returned, checked as ``model`` and sent (``json_answer``)."""
    sent = json_answer(model.model_validate(data))
    sent.status_code = status
    return sent


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CentralError("unauthorized", "missing bearer token")
    return token.strip()


def query_day(text: str, name: str) -> date | None:
    """A query's day (YYYY-MM-DD); empty is none."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CentralError("invalid", "{name}: not a day (YYYY-MM-DD)", name=name) from None


# -- exception handlers (``app.create_app`` registers them) ------------------------------
async def refused(request: Request, exc: Exception) -> JSONResponse:
    """A ``CentralError``: its code, message and the fields it carries."""
    assert isinstance(exc, CentralError)
    return error_response(exc.code, exc.message, seq=exc.seq, expected_seq=exc.expected_seq,
                          missing_cents=getattr(exc, "missing_cents", None),
                          allergens=getattr(exc, "allergens", None))


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A request FastAPI could not read: where and what only, never the input (it may hold
    personal data)."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return error_response("invalid", f"{where}: {first.get('msg', 'invalid request')}")


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (an unknown path, a method not allowed) as ErrorBody too."""
    assert isinstance(exc, HTTPException)
    code = {401: "unauthorized", 403: "forbidden"}.get(exc.status_code, "invalid")
    if exc.status_code >= 500:
        code = "server_error"
    return error_response(code, str(exc.detail), exc.status_code)
