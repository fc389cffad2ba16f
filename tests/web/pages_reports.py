"""The role table's rows of the reports' pages and JSON API (``roles.Row``): every role of
the school reads them (``reports.read``)."""
from __future__ import annotations

from .roles import Row

API = "/api/v1/admin/reports"
ROWS = [Row("GET", path, "reports.read") for path in (
    "/reports", "/reports?period=yesterday&kind=sale", "/reports/z", "/reports/totals",
    "/reports/charts", "/reports/kitchen", "/reports/uncollected",
    f"{API}/journal", f"{API}/journal.csv", f"{API}/z", f"{API}/daily-totals",
    f"{API}/sales-by-day", f"{API}/sales-by-hour", f"{API}/kitchen", f"{API}/uncollected")]
