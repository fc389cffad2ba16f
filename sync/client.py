"""The one HTTP client of the terminal: a ``requests`` session with the bearer token, gzip
both ways, timeouts, and the TLS rule. Every answer is parsed into its protocol model: one
that does not fit is ``GarbageAnswer``, whatever its status code. Hostile bytes stay a
one-line error: the JSON is parsed by pydantic's own parser (bounded nesting, strict UTF-8,
no lone surrogates, bounded numbers), only ``application/json`` is read, and text the platform
sends (an error's message) is flattened to one short line (``one_line``).

TLS is always verified (requests' default, never turned off here), against the system's
trusted CAs or a CA bundle the configuration names (``[sync] ca_file``). Plain ``http://`` is refused
unless the host is loopback or the terminal's config says ``allow_http = true``.
"""
from __future__ import annotations

import gzip
import ipaddress
import re
import zlib
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from pydantic import BaseModel, ValidationError

from sync.common.errors import ComptoirError
from sync.common.version import user_agent
from sync.protocol import ErrorBody

M = TypeVar("M", bound=BaseModel)
TIMEOUT = (3.05, 20)            # connect, read (seconds)
MAX_ANSWER_BYTES = 50_000_000   # a pull page is a few MB at most; more is garbage


class SyncError(ComptoirError):
    """Base of what a sync call can end in. ``code`` is for the status line."""


class Offline(SyncError):
    code = "offline"            # no connection, timeout, connection cut: try again later


class GarbageAnswer(SyncError):
    code = "garbage_answer"     # the server answered something that is not the protocol


class Refused(SyncError):
    """The server answered with a protocol error body (``error`` says which)."""

    def __init__(self, status: int, body: ErrorBody):
        super().__init__("refused", status=status, error=body.error, detail=one_line(body.message))
        self.status, self.body = status, body


class InsecureURL(SyncError):
    code = "insecure_url"


def check_url(url: str, allow_http: bool = False) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InsecureURL(detail=f"not an http(s) URL: {url!r}")
    if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
        raise InsecureURL(detail="plain http is only allowed to this machine (loopback);"
                                 " use https, or set [sync] allow_http = true")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Client:
    def __init__(self, base_url: str, token: str | None = None, allow_http: bool = False,
                 timeout: float | tuple[float, float] = TIMEOUT, ca_file: str = "") -> None:
        self.base_url = check_url(base_url, allow_http)
        self.timeout = timeout
        self.session = requests.Session()
        # Certificates are always verified: against the system's CAs, or the school's own.
        # Passed with every request: requests lets REQUESTS_CA_BUNDLE override session.verify.
        self.verify = ca_file or True
        self.session.headers["Accept-Encoding"] = "gzip"
        self.session.headers["User-Agent"] = user_agent("terminal")   # comptoir/0.2.0 (terminal)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, message: BaseModel, answer: type[M]) -> M:
        body = gzip.compress(message.model_dump_json().encode("utf-8"), compresslevel=5)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        return self._call("POST", path, answer, data=body, headers=headers)

    def get(self, path: str, answer: type[M], params: dict | None = None) -> M:
        return self._call("GET", path, answer, params=params)

    def _call(self, method: str, path: str, answer: type[M], **kwargs: Any) -> M:
        try:
            response = self.session.request(method, self.base_url + path, timeout=self.timeout,
                                            stream=True, verify=self.verify, **kwargs)
            content = _read_capped(response)
        except requests.exceptions.SSLError as e:
            raise SyncError("tls_error", detail=_tls_reason(e)) from None
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError, urllib3.exceptions.HTTPError) as e:
            raise Offline(detail=type(e).__name__) from None
        except (requests.exceptions.ContentDecodingError, OSError, EOFError) as e:
            raise GarbageAnswer(detail=f"undecodable answer ({type(e).__name__})") from None
        if not content:     # the protocol never answers empty: the connection was cut
            raise Offline(detail=f"empty answer (HTTP {response.status_code}), connection cut")
        status = response.status_code
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":      # a proxy's page, a captive portal, a wrong server
            raise GarbageAnswer(detail=f"HTTP {status}, {one_line(kind or 'no content type', 60)!r}"
                                       " is not JSON")
        if status >= 400:
            try:
                error = ErrorBody.model_validate_json(content)
            except ValidationError as e:
                raise GarbageAnswer(detail=f"HTTP {status} " + (
                    _not_json(e) or "without an error body")) from None
            raise Refused(status, error)
        try:
            return answer.model_validate_json(content)
        except ValidationError as e:
            first = e.errors()[0]
            raise GarbageAnswer(detail=_not_json(e) or one_line(
                f"{answer.__name__}: {e.error_count()} problem(s), first:"
                f" {first['loc']} {first['msg']}")) from None

    def close(self) -> None:
        self.session.close()


def one_line(text: str, limit: int = 200) -> str:
    """Text the platform sent, made fit for a status line: one line of printable characters
    (newlines, escape sequences and the like become spaces), at most ``limit`` characters.

    >>> one_line("Traceback:\\n  File x\\x1b[31m") + "|", len(one_line("a" * 500))
    ('Traceback: File x [31m|', 200)
    """
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _not_json(error: ValidationError) -> str:
    """What is wrong when the bytes are not JSON at all (invalid UTF-8 or escapes, nesting
    deeper than the parser's limit, numbers out of range, cut short), else ``""``."""
    first = error.errors()[0]
    return f"not JSON: {one_line(first['msg'], 120)}" if first["type"] == "json_invalid" else ""


def _tls_reason(error: Exception) -> str:
    """The verifier's own words ("Hostname mismatch…", "unable to get local issuer
    certificate"), not urllib3's retry wrapper around them."""
    found = re.search(r"certificate verify failed: (.+?)\s*\(_ssl", str(error))
    return found.group(1).rstrip(". ") if found else str(error)[:160]


def _read_capped(response: requests.Response) -> bytes:
    """The answer's bytes, decompressed here rather than by urllib3: a gzip stream must be
    complete (checksum and length trailer included) and its output stay under the cap."""
    raw, size = [], 0
    for chunk in response.raw.stream(65536, decode_content=False):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            response.close()
            raise GarbageAnswer(detail=f"answer larger than {MAX_ANSWER_BYTES} bytes")
        raw.append(chunk)
    body = b"".join(raw)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise GarbageAnswer(detail=f"unknown content encoding {encoding!r}")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_ANSWER_BYTES + 1)
    except zlib.error:
        raise GarbageAnswer(detail="corrupt gzip answer") from None
    if len(out) > MAX_ANSWER_BYTES or inflater.unconsumed_tail:
        raise GarbageAnswer(detail=f"answer larger than {MAX_ANSWER_BYTES} bytes")
    if not inflater.eof:
        raise GarbageAnswer(detail="gzip answer cut short (no complete trailer)")
    return out
