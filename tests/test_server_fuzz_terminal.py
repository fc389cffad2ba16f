"""The OpenAPI-driven fuzz (tests/server_fuzz.py) with the right token, on one group of
operations: the terminals' calls with a device's token, and the admin API that came before the
back office (sales, devices, verification, reservations, top-ups, bank import, roster, wallet
history) with the admin's. Positive and negative data; no 5xx, every answer fits the served
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
    fuzz_operations(fuzzed, "right", "terminal")
