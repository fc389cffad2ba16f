"""The OpenAPI-driven fuzz (tests/server_fuzz.py) of every operation without a token, or with
the other kind (a device's on admin routes, the admin's on terminal calls): each is refused
(401/403, an ``ErrorBody`` that fits the served schema), never a 5xx."""
from __future__ import annotations

import pytest

from .server_fuzz import fuzz_operations, serve_fuzzed

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=70)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    yield from serve_fuzzed(tmp_path_factory)


@pytest.mark.parametrize("tokens", ["none", "swapped"])
def test_openapi_fuzz_finds_no_5xx(fuzzed, tokens):
    fuzz_operations(fuzzed, tokens)
