"""Fixtures of the back office's tests (see ``tests/web/__init__.py`` and docs/web.md):

* ``platform``: a live platform over loopback on this module's backend (SQLite, then
  PostgreSQL: the ``backend`` fixture of tests/conftest.py), one per module;
* ``school``: a school of that platform with one staff member per role (one per module);
* ``browser``: one chromium for the whole session (``browser.py``).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from .browser import BROWSER_ENV, CHROMIUM, FLAGS
from .platform import Platform, School


@pytest.fixture(scope="module")
def platform(central_dbs):
    served = Platform(central_dbs.new())
    yield served
    served.close()


@pytest.fixture(scope="module")
def school(platform) -> School:
    return platform.school()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True,
                                     env=BROWSER_ENV)
        yield chromium
        chromium.close()
