"""The central server's reporting answers (admins and, later, the parents' portal), apart from
the terminal protocol (``sync.protocol``): terminals never see these.

    GET /api/v1/admin/sales    (admin token)  ->  SalesJournal
    GET /api/v1/admin/devices  (admin token)  ->  DeviceList
    GET /api/v1/openapi.json   (admin token)  ->  the OpenAPI description of the whole API
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.protocol import API

ADMIN_SALES = f"{API}/admin/sales"   # ?student=&wallet=&device=&article=&period=&from=&to=
MAX_SALES_ROWS = 10_000              # rows per answer (limit)
ADMIN_DEVICES = f"{API}/admin/devices"
ADMIN_OPENAPI = f"{API}/openapi.json"  # served to admins only: no public /docs, /openapi.json


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JournalRow(_Report):
    """One article line of the sales journal."""
    ts: str                         # the entry's instant, ISO 8601 UTC, as the terminal wrote it
    local_time: str                 # the same in the school's time zone, ISO 8601 with
                                    # its offset
    day: str                        # the business day (YYYY-MM-DD)
    # reservation / refund: paid / refunded on the platform (no device, no seq)
    kind: Literal["sale", "photocopy", "void", "pickup", "reservation", "refund"]
    device_id: str | None
    device_name: str | None         # "Cantine 1"
    seq: int | None = Field(ge=1)   # the entry's seq on that device
    ref_seq: int | None = None      # a void: the seq of the entry it cancels
    student_id: str | None
    student_name: str | None        # "Emma Dubois"
    wallet_id: str | None           # None for a pickup (it moves no money)
    wallet_name: str | None
    article: str                    # the article code
    article_name: str               # its name when sold
    quantity: int
    amount_cents: int               # negative: a purchase or reservation; positive: a void's
                                    # credit or a refund; 0: a pickup


class SalesJournal(_Report):
    school_id: str
    period: Literal["today", "yesterday", "last_7_days", "last_30_days", "this_month",
                    "last_month", "custom"]
    first_day: date                 # the period, both days included
    last_day: date
    count: int = Field(ge=0)        # rows matching, all pages together
    total_cents: int                # their amounts added up, all pages together
    offset: int = Field(ge=0)
    rows: list[JournalRow]          # newest first


class DeviceInfo(_Report):
    """One terminal of the school, as the platform last heard from it."""
    id: str
    name: str                       # "Cantine 1"
    enrolled_at: str                # ISO 8601 UTC
    revoked_at: str | None
    version: str | None             # what it reports ("1.4.0"), "unknown", None: never heard
    last_seen_at: str | None        # its last authenticated request (to the minute), UTC
    high_water: int = Field(ge=0)   # the last seq of its journal the platform holds
    conflicts: int = Field(ge=0)    # entries it sent that differed from ones held (evidence)


class DeviceList(_Report):
    school_id: str
    devices: list[DeviceInfo]       # by name
