"""The admins' answers about the platform's integrity (``verify``, ``problems``):

    POST /api/v1/admin/verify    (admin token)  ->  VerifyAnswer   verify the school now
    GET  /api/v1/admin/problems  (admin token)  ->  ProblemList    what the office must look at

``?lang=fr|nl|en`` says the sentences in that language (English by default, as the API's
error messages); ``?school=ID`` when the platform holds several schools.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from sync.protocol import API

ADMIN_VERIFY = f"{API}/admin/verify"
ADMIN_PROBLEMS = f"{API}/admin/problems"
Lang = Literal["fr", "nl", "en"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VerifyFinding(_Answer):
    code: str                       # which check: gap, link, hash, column, balance, ...
    device_id: str | None
    seq: int | None
    wallet_id: str | None
    message: str


class VerifyAnswer(_Answer):
    school_id: str
    verification_id: int
    started_at: str
    finished_at: str
    ok: bool
    devices: int
    entries: int
    wallets: int
    findings: list[VerifyFinding]


class ProblemRow(_Answer):
    kind: str                       # conflict, verification, verification_unfinished, silent
    since: str
    device_id: str | None
    device_name: str | None
    seq: int | None
    wallet_id: str | None
    detail: str
    meaning: str
    resolution: str


class ProblemList(_Answer):
    school_id: str
    problems: list[ProblemRow]
