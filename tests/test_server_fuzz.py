"""An OpenAPI-driven fuzz of the reference central server (schemathesis + hypothesis) over
real loopback HTTP: no request, with or without a token, gets a 5xx, every error answer is a
``sync.protocol.ErrorBody`` (the admins' reports use the same error body), and every answer
fits the schema the served description gives for its status.

The schema is the one the running server serves to admins (``reports.ADMIN_OPENAPI``, with
an admin token: there is no public ``/openapi.json``), fetched over HTTP like the requests
that follow. Deterministic (``derandomize``, no example database)."""
from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation.modes import GenerationMode

from kiosk.demo.school import generate
from sync import photos, protocol
from sync.common.chain import KINDS, canonical_json, chain_hash
from sync.models import DataSet
from sync.server import calendar_api, integrity_api, ledger_api, money_api, office_api, reports, students_api
from sync.server.api.routes import catalogue, operators, staff as staff_routes
from sync.server.storage import CentralStore

from .conftest import LUNCH
from .loopback import Served

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=960)

EXAMPLES = 30           # per operation and generation mode, with the right token
# Without a token, or with the other kind: every route's authentication runs before its
# parameters and body are read (FastAPI solves the dependencies first), so each example is
# refused the same way; a few per operation check that refusal on every route.
EXAMPLES_REFUSED = 6
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SENT: Counter = Counter()  # answers by status (shown with pytest -s)


class Fuzzed:
    def __init__(self, url: str, store: CentralStore, device_id: str, token: str, admin: str,
                 wallets: list[str]):
        self.url, self.store, self.device_id = url, store, device_id
        self.token, self.admin, self.wallets = token, admin, wallets

    def auth(self, token: str | None) -> dict:
        return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    store = CentralStore(tmp_path_factory.mktemp("central") / "central.db", create=True)
    store.add_school("School A", "school-a")
    data = generate(students=5, day=LUNCH.date())
    store.load("school-a", DataSet.model_validate(data))
    served = Served(store)
    device_id = str(uuid.uuid4())
    r = requests.post(served.url + protocol.ENROL,
                      json={"code": store.create_enrol_code("school-a", "Fuzz"),
                            "device_id": device_id})
    assert r.status_code == 200, r.text
    token = protocol.EnrolResponse.model_validate(r.json()).token
    yield Fuzzed(served.url, store, device_id, token, store.create_admin_token(),
                 [w["id"] for w in data["wallets"]])
    served.stop()
    print(f"\nserver fuzz: {sum(SENT.values())} requests, by status {dict(sorted(SENT.items()))}")


def check_answer(r: requests.Response, what: str) -> None:
    """No 5xx; an error answer is an ErrorBody."""
    SENT[r.status_code] += 1
    assert r.status_code < 500, f"{r.status_code} on {what}: {r.text[:500]}"
    if r.status_code >= 400:
        protocol.ErrorBody.model_validate(r.json())


# -- hypothesis-built journal pushes that pass the chain check (reaching parse_body and the apply)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)
CENTS = st.integers(-1000, 1000) | st.integers(-2**70, 2**70)
TEXT = st.text(max_size=30)


@st.composite
def entry_body(draw, wallets: list[str]) -> dict | object:
    """A sale-like entry body, its fields sometimes twisted, or any JSON at all; one in four
    is a plain valid sale, so that every run reaches the apply (not only the refusals)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    if draw(st.integers(0, 3)) == 0:
        wallet, cents = draw(st.sampled_from(wallets)), draw(st.integers(1, 1000))
        return {"v": 1, "uuid": str(draw(st.uuids())), "kind": "sale",
                "ts": "2026-11-24T11:00:00.000000Z", "day": "2026-11-24", "operator": "op-marie",
                "student": "S00001", "amount_cents": -cents,
                "postings": [{"wallet": wallet, "amount_cents": -cents}],
                "lines": [{"article": "SANDW-HAM", "quantity": 1, "price_cents": cents}]}
    postings = draw(st.lists(st.fixed_dictionaries(
        {"wallet": st.sampled_from(wallets) | TEXT, "amount_cents": CENTS}), max_size=3))
    data = {"v": 1, "uuid": draw(TEXT), "kind": draw(st.sampled_from(KINDS) | TEXT),
            "ts": draw(st.sampled_from(["2026-11-24T11:00:00.000000Z"]) | TEXT),
            "day": draw(st.sampled_from(["2026-11-24"]) | TEXT),
            "operator": draw(st.none() | st.just("op-marie") | TEXT),
            "student": draw(st.none() | st.just("S00001") | TEXT),
            "amount_cents": sum(p["amount_cents"] for p in postings), "postings": postings,
            "lines": draw(st.lists(st.fixed_dictionaries(
                {"article": st.just("SANDW-HAM") | TEXT, "quantity": CENTS | JSON,
                 "price_cents": CENTS | JSON}), max_size=2)),
            "ref_seq": draw(st.none() | CENTS | JSON)}
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=2, unique=True)):
        if draw(st.booleans()):
            del data[key]
        else:
            data[key] = draw(JSON)
    return data


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


# -- the OpenAPI-driven fuzz: every operation, positive and negative data ------------------
# The back office's catalogue and operators (sync.server.api.routes.catalogue, .operators).
OFFICE_CATALOGUE = {path + tail for path in (catalogue.ARTICLE, operators.OPERATOR)
                    for tail in ("", "/activate", "/deactivate")} | {
    catalogue.CATEGORIES, catalogue.CATEGORY, catalogue.ARTICLES, operators.OPERATORS,
    operators.OPERATOR + "/pin", operators.OPERATOR + "/unlock", operators.LOCKS}
def operations(fuzzed: Fuzzed):
    schema = schemathesis.openapi.from_url(fuzzed.url + reports.ADMIN_OPENAPI,
                                           headers=fuzzed.auth(fuzzed.admin))
    found = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in found} == {protocol.ENROL, protocol.JOURNAL, protocol.CHANGES,
                                         protocol.DEVICE, protocol.HEALTH, reports.ADMIN_SALES,
                                         reports.ADMIN_DEVICES,
                                         ledger_api.RESERVATIONS, ledger_api.CANCEL,
                                         ledger_api.TOPUPS, ledger_api.BANK_IMPORT,
                                         ledger_api.ROSTER, ledger_api.WALLET_HISTORY,
                                         integrity_api.ADMIN_VERIFY, integrity_api.ADMIN_PROBLEMS,
                                         *staff_routes.PATHS, *OFFICE_CATALOGUE,
                                         *students_api.PATHS, photos.PHOTO,
                                         calendar_api.SETTINGS, calendar_api.MONTH,
                                         calendar_api.OPEN_DAYS, calendar_api.CLOSURES,
                                         calendar_api.PREVIEW, calendar_api.CLOSURE,
                                         *money_api.PATHS, *office_api.PATHS}
    return found


@pytest.mark.parametrize("tokens", ["none", "right", "swapped"])
def test_openapi_fuzz_finds_no_5xx(fuzzed, tokens):
    """``right``: a device's token on terminal calls, the admin's on reports (deep code);
    ``swapped``: the other one (forbidden / unauthorized); ``none``: no header."""
    for op in operations(fuzzed):
        admin = op.path.startswith(f"{protocol.API}/admin/")
        token = {"none": None, "right": fuzzed.admin if admin else fuzzed.token,
                 "swapped": fuzzed.token if admin else fuzzed.admin}[tokens]
        headers = fuzzed.auth(token)
        # Negative data needs something to break: /device has no parameter and no body.
        modes = [GenerationMode.POSITIVE] + (
            [GenerationMode.NEGATIVE] if len(op.query) or len(op.body) else [])
        examples = EXAMPLES if tokens == "right" else EXAMPLES_REFUSED
        for mode in modes:
            _fuzz_one(op, mode, fuzzed.url, headers, examples)()


def _fuzz_one(op, mode, url: str, headers: dict, examples: int):
    """The hypothesis test of one operation in one generation mode (made here so that it
    binds this operation's headers)."""
    @settings(max_examples=examples, **SETTINGS)
    @given(case=op.as_strategy(generation_mode=mode))
    def call(case):
        response = case.call(base_url=url, headers=headers)
        SENT[response.status_code] += 1
        # Every answer fits the model the served description gives for its status
        # (the route's response_model, or ErrorBody for a refusal).
        case.validate_response(response, headers=headers,
                               checks=[not_a_server_error, response_schema_conformance])
        assert response.status_code < 500, case.as_curl_command(headers=headers)
        if response.status_code >= 400:
            protocol.ErrorBody.model_validate(response.json())
    return call
