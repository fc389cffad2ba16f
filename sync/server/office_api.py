"""The back office's answers about terminals and reports (``terminal_board``,
``office_reports``), for the pages and a school's own scripts. Every route takes the school
from the person behind the request (``api.deps.office``); ``?lang=fr|nl|en`` says sentences
and the CSV's headers in that language.

    GET  /api/v1/admin/terminals                        terminals.read  -> TerminalList
    GET  /api/v1/admin/terminals/{id}                   terminals.read  -> TerminalDetail
    POST /api/v1/admin/terminals/{id}/revoke            terminals.write -> TerminalInfo
    POST /api/v1/admin/terminals/{id}/replace           terminals.write -> EnrolCode
    POST /api/v1/admin/enrol-codes  EnrolCodeRequest    terminals.write -> EnrolCode
    GET  /api/v1/admin/reports/journal(.csv)            reports.read    -> SalesJournal / CSV
    GET  /api/v1/admin/reports/z                        reports.read    -> ZReport
    GET  /api/v1/admin/reports/daily-totals             reports.read    -> DailyTotals
    GET  /api/v1/admin/reports/sales-by-day             reports.read    -> Series
    GET  /api/v1/admin/reports/sales-by-hour?day=       reports.read    -> Series
    GET  /api/v1/admin/reports/kitchen?day=             reports.read    -> KitchenList
    GET  /api/v1/admin/reports/uncollected?day=         reports.read    -> Uncollected

Periods: ``?period=`` one of ``sales_journal.PERIODS`` (``custom`` with ``from`` and ``to``).
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.protocol import API, HealthReport

TERMINALS = f"{API}/admin/terminals"
TERMINAL = f"{TERMINALS}/{{device_id}}"
REVOKE = f"{TERMINAL}/revoke"
REPLACE = f"{TERMINAL}/replace"
ENROL_CODES = f"{API}/admin/enrol-codes"
REPORTS = f"{API}/admin/reports"
JOURNAL = f"{REPORTS}/journal"
JOURNAL_CSV = f"{REPORTS}/journal.csv"
Z = f"{REPORTS}/z"
DAILY_TOTALS = f"{REPORTS}/daily-totals"
SALES_BY_DAY = f"{REPORTS}/sales-by-day"
SALES_BY_HOUR = f"{REPORTS}/sales-by-hour"
KITCHEN = f"{REPORTS}/kitchen"
UNCOLLECTED = f"{REPORTS}/uncollected"
# Every JSON path of this module (the OpenAPI fuzz test lists the served ones).
PATHS = frozenset({TERMINALS, TERMINAL, REVOKE, REPLACE, ENROL_CODES, JOURNAL, JOURNAL_CSV, Z,
                   DAILY_TOTALS, SALES_BY_DAY, SALES_BY_HOUR, KITCHEN, UNCOLLECTED})
Period = Literal["today", "yesterday", "last_7_days", "last_30_days", "this_month",
                 "last_month", "custom"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- terminals ---------------------------------------------------------------------------------
class TerminalHealth(HealthReport):
    """A terminal's latest health report, as the platform received it."""
    received_at: str                # ISO 8601 UTC, the platform's time
    age_minutes: int                # how old it is now
    printer_bad_since: str | None   # the first of the reports in a row whose printer failed


class TerminalInfo(_Answer):
    id: str
    name: str
    enrolled_at: str
    revoked_at: str | None
    version: str | None             # what it reports ("1.4.0"), "unknown"; None: never heard
    last_seen_at: str | None        # ISO 8601 UTC
    high_water: int                 # the last seq received
    last_entry_at: str | None       # that entry's time, as the terminal wrote it
    last_z_day: str | None          # the last day it closed (Z) that the platform received
    conflicts: int
    status: Literal["active", "silent", "revoked"]
    # From its latest health report (issue 18 point 6); None: not reported.
    entries_waiting: int | None
    printer: str | None
    reader: str | None
    health: TerminalHealth | None = None
    warnings: list[str] = []        # terminal_health.WARNINGS codes


class TerminalList(_Answer):
    school_id: str
    terminals: list[TerminalInfo]


class ConflictEntry(_Answer):
    seq: int
    hash: str
    body: str                       # cut to 400 characters
    received_at: str


class ProblemHere(_Answer):
    kind: str
    since: str
    device_id: str | None
    device_name: str | None
    seq: int | None
    wallet_id: str | None
    detail: str
    meaning: str
    resolution: str


class VerificationHere(_Answer):
    started_at: str
    finished_at: str
    school_ok: bool                 # the school's whole verification found nothing
    findings_here: int              # of which on this terminal


class ZSummary(_Answer):
    seq: int
    ts: str
    day: str
    entries: int
    gross_cents: int
    net_cents: int


class TerminalDetail(TerminalInfo):
    conflict_entries: list[ConflictEntry]
    problems: list[ProblemHere]
    verification: VerificationHere | None
    z_reports: list[ZSummary]       # newest first


class EnrolCodeRequest(_Answer):
    name: str = Field(min_length=1, max_length=60)


class ReplaceRequest(_Answer):
    name: str = Field("", max_length=60)   # empty: the replaced terminal's name


class EnrolCode(_Answer):
    code: str                       # "ABCD-EFGH-JK", shown once: only its hash is kept
    device_name: str
    expires_at: str
    replaces: str | None
    server_url: str
    qr_text: str                    # what the QR holds: "SERVER_URL CODE"
    qr_svg: str                     # the QR, an inline SVG


# -- reports -----------------------------------------------------------------------------------
class _Span(_Answer):
    school_id: str
    period: Period
    first_day: date
    last_day: date


class Totals(_Answer):
    sales: int                      # sale and photocopy entries
    voids: int
    gross_cents: int
    voids_cents: int
    net_cents: int


class ZFigures(_Answer):
    seq: int                        # the close entry
    first_seq: int | None           # the entries it covers
    last_seq: int | None
    days: list[str]                 # the business days of those entries
    gross_cents: int
    voids_cents: int
    net_cents: int


class ZRow(_Answer):
    device_id: str
    device_name: str
    day: str
    platform: Totals                # what the platform received of that terminal and day
    z: ZFigures | None
    platform_for_z: Totals | None   # what it received of the entries the Z covers
    difference_cents: int | None    # the Z's net minus the platform's, over the same entries
    status: Literal["match", "difference", "no_z"]


class ZReport(_Span):
    rows: list[ZRow]


class ArticleTotal(_Answer):
    article: str
    article_name: str
    category: str
    sold_quantity: int
    sold_cents: int
    voided_quantity: int
    voided_cents: int
    net_quantity: int
    net_cents: int


class CategoryTotal(_Answer):
    category: str
    category_name: str
    net_quantity: int
    net_cents: int


class DayTotals(_Answer):
    day: str | None                 # None: the whole period
    net_cents: int
    articles: list[ArticleTotal]
    categories: list[CategoryTotal]


class DailyTotals(_Span):
    days: list[DayTotals]
    total: DayTotals


class Point(_Answer):
    label: str                      # a day (YYYY-MM-DD) or an hour ("12:00")
    sales: int
    net_cents: int


class Series(_Answer):
    school_id: str
    first_day: date
    last_day: date
    points: list[Point]


class Reserved(_Answer):
    reservation_id: str
    student_id: str
    student_name: str
    class_name: str
    article: str
    article_name: str
    quantity: int
    status: Literal["reserved", "delivered"]


class ArticleCount(_Answer):
    article: str
    article_name: str
    quantity: int
    delivered: int = 0


class ClassList(_Answer):
    class_name: str
    articles: list[ArticleCount]
    reservations: list[Reserved]


class KitchenList(_Answer):
    school_id: str
    day: date
    quantity: int
    by_article: list[ArticleCount]
    by_class: list[ClassList]


class Uncollected(_Answer):
    school_id: str
    day: date
    quantity: int
    reservations: list[Reserved]
