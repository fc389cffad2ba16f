"""One-time messages shown on the next page ("Password changed."): kept in a short-lived
cookie between a form's redirect and the page it leads to, already in the reader's language.
The page escapes them like any text."""
from __future__ import annotations

import json
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import Response

COOKIE = "comptoir_flash"
LEVELS = ("success", "error", "info")


def add(request: Request, response: Response, text: str, level: str = "success") -> None:
    """Show ``text`` (translated already) on the next page this browser opens."""
    messages = pending(request) + [[level if level in LEVELS else "info", text[:500]]]
    response.set_cookie(COOKIE, quote(json.dumps(messages[-5:])), max_age=300, path="/",
                        httponly=True, samesite="lax")


def pending(request: Request) -> list[list[str]]:
    try:
        value = json.loads(unquote(request.cookies.get(COOKIE, "") or "[]"))
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [[str(m[0]), str(m[1])] for m in value
            if isinstance(m, list) and len(m) == 2 and m[0] in LEVELS]


def take(request: Request, response: Response) -> list[list[str]]:
    """The messages waiting (each shown once: the cookie is cleared)."""
    messages = pending(request)
    if messages:
        response.delete_cookie(COOKIE, path="/")
    return messages
