"""Every page of the back office (each GET page row of the role table, ``pages_*.py``) loaded
in the browser and audited with axe-core: no serious or critical violation, for the admin
(who sees every form) and the accountant (who sees the read-only views). A page added to the
role table is audited without anyone writing a test for it.

On SQLite only: the pages are the same HTML on both backends (the same templates over the same
school), and that every page renders on PostgreSQL too is tests/web/test_role_table.py's (the
admin loads each one there); an audit is 20 s of browser per role."""
from __future__ import annotations

import pytest

from .browser import audit, new_context, page_as
from .roles import all_rows

# A long file (two audits of ~20 s in CI): started first when make test spreads the files.
pytestmark = pytest.mark.slow(seconds=45)

PAGES = [row for row in all_rows() if row.is_page and row.method == "GET"]


@pytest.fixture(scope="module")
def backend() -> str:
    """This module's platform runs on SQLite only (the module's docstring says why)."""
    return "sqlite"


@pytest.mark.parametrize("role", ["admin", "accountant"])
def test_every_page_passes_the_accessibility_audit(browser, platform, school, role):
    assert len(PAGES) >= 15
    context = new_context(browser, platform)
    page = page_as(context, platform, school.members[role])
    seen = set()
    try:
        for row in PAGES:
            url = row.request(platform, school)["url"]
            answer = page.goto(url)
            assert answer is not None and answer.status in (200, 403), f"{row}: {answer and answer.status}"
            if answer.status == 403:        # the refusal page, audited once
                if "forbidden" in seen:
                    continue
                seen.add("forbidden")
            audit(page)
    finally:
        context.close()
