"""The central server fuzzed with hypothesis-built bodies over real loopback HTTP (the helpers
and the OpenAPI-driven fuzz: tests/server_fuzz.py): journal pushes chained correctly, so that
the body itself is judged, and any JSON (or not JSON) posted to the enrolment and the journal.
No answer is a 5xx; every error answer is a ``sync.protocol.ErrorBody``. Also: the schema
the server serves lists exactly the API's paths (the OpenAPI fuzz files fuzz each of them)."""
from __future__ import annotations

import json

import pytest
import requests
from hypothesis import given, settings, strategies as st

from sync import protocol
from sync.common.chain import canonical_json, chain_hash
from sync.server import reports

from .server_fuzz import JSON, SETTINGS, check_answer, entry_body, operations, serve_fuzzed

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=10)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    yield from serve_fuzzed(tmp_path_factory)


def test_the_served_schema_lists_every_path_of_the_api(fuzzed):
    assert operations(fuzzed)          # the paths are compared there (server_fuzz.ALL_PATHS)


def test_pushes_of_generated_entries_get_no_5xx(fuzzed):
    """Chained correctly (right seq, prev_hash and hash), so the body itself is judged."""
    def state() -> tuple[int, str]:
        r = requests.get(fuzzed.url + protocol.DEVICE, headers=fuzzed.auth(fuzzed.token))
        check_answer(r, "GET device")
        answer = protocol.DeviceState.model_validate(r.json())
        return answer.high_water, answer.last_hash

    @settings(max_examples=120, **SETTINGS)
    @given(bodies=st.lists(entry_body(fuzzed.wallets), min_size=1, max_size=3),
           canonical=st.booleans() | st.just(True), keep_seq=st.booleans() | st.just(True))
    def push(bodies, canonical, keep_seq):
        seq, prev = state()
        entries = []
        for data in bodies:
            seq += 1
            if isinstance(data, dict) and keep_seq:
                data = dict(data, seq=seq, device=fuzzed.device_id)
            try:
                body = canonical_json(data) if canonical else json.dumps(data)
            except ValueError:      # no canonical form (an integer beyond 64 bits): sent as is
                body = json.dumps(data)
            if len(body) < 2:
                body = body + " "
            entries.append({"seq": seq, "body": body, "prev_hash": prev,
                            "hash": chain_hash(prev, body)})
            prev = entries[-1]["hash"]
        r = requests.post(fuzzed.url + protocol.JOURNAL, json={"entries": entries},
                          headers=fuzzed.auth(fuzzed.token))
        check_answer(r, f"POST journal {entries!r}")
        if r.status_code == 200:
            protocol.PushResponse.model_validate(r.json())

    push()
    assert state()[0] > 0, "no generated entry was ever applied: the fuzz stayed shallow"
    # The reports and the pull now read what the fuzz left in the database.
    for params in ({}, {"period": "today"}, {"from": "2026-01-01", "to": "2026-12-31"}):
        check_answer(requests.get(fuzzed.url + reports.ADMIN_SALES, params=params,
                                  headers=fuzzed.auth(fuzzed.admin)), f"GET sales {params}")
    check_answer(requests.get(fuzzed.url + protocol.CHANGES, headers=fuzzed.auth(fuzzed.token)),
                 "GET changes")


# -- raw JSON (and non-JSON) bodies, whatever the schema says ----------------------------------
@pytest.mark.parametrize("path", [protocol.ENROL, protocol.JOURNAL])
def test_posts_of_any_json_get_no_5xx(fuzzed, path):
    @settings(max_examples=60, **SETTINGS)
    @given(body=JSON | st.fixed_dictionaries({"code": JSON, "device_id": JSON})
           | st.fixed_dictionaries({"entries": st.lists(st.dictionaries(
               st.sampled_from(["seq", "body", "prev_hash", "hash", "x"]), JSON), max_size=3)}),
           raw=st.none() | st.binary(max_size=50), token=st.sampled_from(["device", "none"]))
    def post(body, raw, token):
        headers = fuzzed.auth(fuzzed.token if token == "device" else None)
        if raw is None:
            r = requests.post(fuzzed.url + path, json=body, headers=headers)
        else:
            r = requests.post(fuzzed.url + path, data=raw,
                              headers=headers | {"Content-Type": "application/json"})
        check_answer(r, f"POST {path} json={body!r} data={raw!r} token={token}")

    post()
