"""ASGI middleware of the platform: request bodies read once and bounded (``MAX_BODY``,
gzip bombs included), and an unexpected exception turned into a 500 ``server_error`` that
logs its type only (a message may quote personal data)."""
from __future__ import annotations

import logging
import zlib

from starlette.datastructures import Headers

from sync.server.api.http import error_response

log = logging.getLogger("comptoir.central")

MAX_BODY = 10 * 1024 * 1024     # bytes, before and after gzip
TOO_LARGE = f"request body too large (at most {MAX_BODY // 2**20} MB)"


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
            refuse = error_response("invalid", TOO_LARGE, 413)
        chunks, size, more = [], 0, refuse is None
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_BODY:
                refuse, more = error_response("invalid", TOO_LARGE, 413), False
        body = b"".join(chunks)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if refuse is None and encoding == "gzip":
            try:
                body = _gunzip(body)
            except _TooLarge:
                refuse = error_response("invalid", TOO_LARGE, 413)
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
