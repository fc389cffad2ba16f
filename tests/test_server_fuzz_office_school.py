"""The OpenAPI-driven fuzz (tests/server_fuzz.py) with the right token, on one group of
operations: the back office's catalogue, operators, calendar, terminals and reports routes,
with the admin's token. Positive and negative data; no 5xx, every answer fits the served
schema."""
from __future__ import annotations

import pytest

from .server_fuzz import fuzz_operations, serve_fuzzed

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=35)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    yield from serve_fuzzed(tmp_path_factory)


def test_openapi_fuzz_finds_no_5xx(fuzzed):
    fuzz_operations(fuzzed, "right", "office-school")
