"""The sync protocol, version 1: every message a terminal and the central platform exchange.

Both ends import these models: the agent builds its requests and checks the answers with
them, the server parses requests and builds answers with them. An answer that does not fit
its model is garbage, whatever its HTTP status. Described, with examples, in
``docs/sync-protocol.md``.

Transport: HTTPS + JSON (gzip both ways), ``Authorization: Bearer <token>`` on every call
but enrolment. All paths start with ``API``.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync.models import MAX_CENTS, MAX_SEQ, DataSet

API = "/api/v1"
MAX_PUSH_ENTRIES = 500          # per push request
MAX_PAGE_RECORDS = 2000         # records per pull page, all entity kinds together
HEX64 = re.compile(r"^[0-9a-f]{64}$")

# Paths (relative to the server's base URL).
ENROL = f"{API}/enrol"          # POST EnrolRequest -> EnrolResponse (no token yet)
JOURNAL = f"{API}/journal"      # POST PushRequest -> PushResponse
CHANGES = f"{API}/changes"      # GET ?cursor=...&limit=... -> PullPage
DEVICE = f"{API}/device"        # GET -> DeviceState (the nightly consistency check)
OFFLINE_PARAM = "offline"       # CHANGES?offline=true: each page carries OfflineTerms
# GET JOURNAL?after=N&limit=M -> JournalPage: the calling terminal's own entries after seq N,
# as the platform holds them (a terminal put back from an older backup fetches them back)
MAX_JOURNAL_ENTRIES = 1000      # per JournalPage
# POST HealthReport -> HealthAck: how the terminal is, once per sync round (issue 18 point 6).
# Its own call, not a field of the push: an older platform answers 404 and the agent goes on,
# where a push carrying an unknown field would be refused whole (extra="forbid").
HEALTH = f"{API}/terminal/health"


class _Msg(BaseModel):
    # strict: a number sent as a string ("0.0") is a wrong answer, not a number (tests/test_sync_hostile.py)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EnrolRequest(_Msg):
    code: str = Field(min_length=6, max_length=64)     # the one-time code an admin made
    device_id: str = Field(min_length=8, max_length=64)  # the terminal store's own id


class EnrolResponse(_Msg):
    device_id: str
    device_name: str            # as the admin named it ("Cantine 1")
    school_id: str
    school_name: str
    token: str = Field(min_length=32)   # shown once; the server keeps only its hash


class PushedEntry(_Msg):
    """A journal entry exactly as the terminal chained it: ``hash`` must equal
    ``sha256(prev_hash + body)``, and ``body`` is the canonical JSON the hash covers."""
    seq: int = Field(ge=1, le=MAX_SEQ)
    body: str = Field(min_length=2, max_length=200_000)
    prev_hash: str
    hash: str

    @field_validator("prev_hash", "hash")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not HEX64.match(value):
            raise ValueError("not a sha256 hex digest")
        return value


class PushRequest(_Msg):
    entries: list[PushedEntry] = Field(min_length=1, max_length=MAX_PUSH_ENTRIES)


class PushResponse(_Msg):
    high_water: int = Field(ge=0, le=MAX_SEQ)   # the terminal's last seq the server holds
    last_hash: str                  # its hash (the genesis hash when high_water is 0)
    applied: int = Field(ge=0, le=MAX_PUSH_ENTRIES)   # entries newly applied by this request


class OfflineTerms(_Msg):
    """What a terminal may sell per wallet while it cannot reach the platform: the school's
    offline allowance, shared by its active terminals (``docs/offline.md``)."""
    allowance_cents: int = Field(ge=0, le=MAX_CENTS)
    terminals: int = Field(ge=1, le=1_000_000)


class PullPage(DataSet):
    """One page of changes since a cursor: the same record shapes as a ``comptoir import``
    file. Every wallet's ``included_seq`` is the calling terminal's seq that its
    ``balance_cents`` includes, read in the same transaction as the balance."""
    cursor: str = Field(min_length=1, max_length=200)   # give it back to get what follows
    has_more: bool
    full: bool = False          # this page belongs to a full resync (cursor was empty)
    # Only when the terminal asks (``OFFLINE_PARAM``): a terminal older than this field
    # would refuse a page that has it.
    offline: OfflineTerms | None = None


class DeviceState(_Msg):
    device_id: str
    device_name: str
    high_water: int = Field(ge=0, le=MAX_SEQ)
    last_hash: str
    server_time: str            # ISO 8601 UTC


class JournalPage(_Msg):
    """The calling terminal's own entries after ``after``, in seq order, exactly as it pushed
    them, with the platform's high-water mark for it; ``has_more``: ask again after the last
    one. The terminal checks each link from its own entry ``after`` (``kiosk.recovery``)."""
    entries: list[PushedEntry] = Field(max_length=MAX_JOURNAL_ENTRIES)
    high_water: int = Field(ge=0, le=MAX_SEQ)
    last_hash: str
    has_more: bool


# The states a terminal reports for its printer and reader: codes the office's pages word,
# never a driver's English. "none": the terminal has none; "unknown": nothing seen yet.
PrinterCode = Literal["ok", "offline", "silent", "paper_out", "cover_open", "error", "busy",
                      "none", "unknown"]
ReaderCode = Literal["ok", "not_started", "stopped", "not_found", "setup", "service",
                     "unplugged", "failed", "none", "unknown"]
StartReason = Literal["clean", "crash", "update"]


class LockedOperator(_Msg):
    operator_id: str = Field(min_length=1, max_length=64)   # an id only: never a name
    until: str = Field(max_length=40)                       # ISO 8601 UTC


class HealthReport(_Msg):
    """How the terminal is (issue 18 point 6). Every field may be missing (None: "not
    reported"); no badge UID and no name in it."""
    version: str = Field(max_length=64)
    disk_free_bytes: int | None = Field(default=None, ge=0, le=2**62)
    disk_free_percent: float | None = Field(default=None, ge=0, le=100)
    printer: PrinterCode = "unknown"
    printer_since: str | None = Field(default=None, max_length=40)
    reader: ReaderCode = "unknown"
    entries_waiting: int = Field(default=0, ge=0, le=MAX_SEQ)
    print_jobs_waiting: int = Field(default=0, ge=0, le=MAX_SEQ)
    print_jobs_failed: int = Field(default=0, ge=0, le=MAX_SEQ)
    last_backup_at: str | None = Field(default=None, max_length=40)
    clock_offset_seconds: float | None = Field(default=None, ge=-1e9, le=1e9)
    started_at: str | None = Field(default=None, max_length=40)
    start_reason: StartReason | None = None
    locked_operators: list[LockedOperator] = Field(default=[], max_length=1000)


class HealthAck(_Msg):
    received_at: str            # ISO 8601 UTC


ErrorCode = Literal[
    "unauthorized",     # 401: no token, unknown token
    "revoked",          # 403: the token was revoked by an admin
    "forbidden",        # 403: not this terminal's or school's to see or push
    "bad_code",         # 403: enrolment code unknown, used or expired
    "invalid",          # 422: the request does not fit the protocol
    "gap",              # 409: first pushed seq is not high_water + 1 (expected_seq says which)
    "conflict",         # 409: a seq the server holds came again with another hash (recorded)
    "chain_broken",     # 422: prev_hash or hash does not check out
    "cursor_expired",   # 410: too old to serve: pull again with no cursor (full resync)
    "server_error",     # 500
    # The platform's admin endpoints only (``sync.server.ledger_api``), never to a terminal:
    "not_found",        # 404: no such student, article, wallet or reservation in the school
    "too_late",         # 409: the day's reservation cutoff has passed (or the day is past)
    "insufficient_balance",  # 409: the wallet does not cover it (missing_cents says how much)
    "not_cancellable",  # 409: the reservation is already delivered or cancelled
    "allergen",         # 409: the article is on the student's allergy/diet list: confirm it
    "allergen_refused",  # 409: ... and the school's policy refuses it
    "closed",           # 409: no reservation that day (closed, no school day, too far ahead)
]


class ErrorBody(_Msg):
    error: ErrorCode
    message: str
    expected_seq: int | None = Field(default=None, ge=1, le=MAX_SEQ)   # gap: what comes next
    seq: int | None = Field(default=None, ge=1, le=MAX_SEQ)   # conflict / chain_broken
    missing_cents: int | None = Field(default=None, ge=0, le=2 * MAX_CENTS)  # insufficient_balance
    allergens: list[str] | None = None      # allergen, allergen_refused: the student's flags hit
