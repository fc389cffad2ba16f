"""The OpenAPI-driven fuzz of the reference central server (schemathesis + hypothesis) over
real loopback HTTP, shared by the ``test_server_fuzz*.py`` files (a helper, not a test): no
request, with or without a token, gets a 5xx, every error answer is a
``sync.protocol.ErrorBody`` (the admins' reports use the same error body), and every answer
fits the schema the served description gives for its status.

The schema is the one the running server serves to admins (``reports.ADMIN_OPENAPI``, with
an admin token: there is no public ``/openapi.json``), fetched over HTTP like the requests
that follow. Deterministic (``derandomize``, no example database).

The fuzz is split over several files, each with its own server, because ``make test`` keeps a
file on one worker (``--dist loadfile``): as one file it was 4-5 minutes of one worker.
Every operation of the schema belongs to exactly one group (``group_of``), and each group is
fuzzed by one file."""
from __future__ import annotations

import time
import uuid
from collections import Counter
from http.cookiejar import DefaultCookiePolicy

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation.modes import GenerationMode

from kiosk.demo.school import generate
from sync import photos, protocol
from sync.common.chain import KINDS
from sync.models import DataSet
from sync.server import calendar_api, integrity_api, ledger_api, money_api, office_api, reports, students_api
from sync.server.api.routes import catalogue, operators, parents as parents_api, staff as staff_routes
from sync.server.storage import CentralStore

from .conftest import LUNCH
from .loopback import Served

EXAMPLES = 20           # per operation and generation mode, with the right token
# An office route read with GET takes only ids (an unknown one is a 404) and query strings
# (filters, dates): fewer examples find the same refusals, and the deep code is the writes'.
EXAMPLES_READ = 6
# Without a token, or with the other kind: every route's authentication runs before its
# parameters and body are read (FastAPI solves the dependencies first), so each example is
# refused the same way; a few per operation, of well-formed data only (malformed data meets
# the same refusal first), check that refusal on every route.
EXAMPLES_REFUSED = 4
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SENT: Counter = Counter()  # answers by status (shown with pytest -s)
SPENT: Counter = Counter()  # seconds by operation (shown with pytest -s)


class Fuzzed:
    def __init__(self, url: str, store: CentralStore, device_id: str, token: str, admin: str,
                 wallets: list[str]):
        self.url, self.store, self.device_id = url, store, device_id
        self.token, self.admin, self.wallets = token, admin, wallets
        self.operations: list | None = None
        # One connection kept alive for all the requests; no cookie is ever kept, so a
        # request carries only the headers it is given (a staff sign-in's cookie would
        # otherwise authenticate the "none" requests that follow).
        self.session = requests.Session()
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def auth(self, token: str | None) -> dict:
        return {"Authorization": f"Bearer {token}"} if token else {}


def serve_fuzzed(tmp_path_factory):
    """A module fixture's body: a central server with a demo school and an enrolled device."""
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
    fuzzed = Fuzzed(served.url, store, device_id, token, store.create_admin_token(),
                    [w["id"] for w in data["wallets"]])
    yield fuzzed
    fuzzed.session.close()
    served.stop()
    print(f"\nserver fuzz: {sum(SENT.values())} requests, by status {dict(sorted(SENT.items()))};"
          " seconds by operation: " + ", ".join(f"{op} {t:.1f}" for op, t in SPENT.most_common()))


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


# -- the OpenAPI-driven fuzz: every operation, positive and negative data ------------------
# The back office's catalogue and operators (sync.server.api.routes.catalogue, .operators).
OFFICE_CATALOGUE = {path + tail for path in (catalogue.ARTICLE, operators.OPERATOR)
                    for tail in ("", "/activate", "/deactivate")} | {
    catalogue.CATEGORIES, catalogue.CATEGORY, catalogue.ARTICLES, operators.OPERATORS,
    operators.OPERATOR + "/pin", operators.OPERATOR + "/unlock", operators.LOCKS}
ALL_PATHS = {protocol.ENROL, protocol.JOURNAL, protocol.CHANGES, protocol.DEVICE, protocol.HEALTH,
             reports.ADMIN_SALES, reports.ADMIN_DEVICES, ledger_api.RESERVATIONS, ledger_api.CANCEL,
             ledger_api.TOPUPS, ledger_api.BANK_IMPORT, ledger_api.ROSTER, ledger_api.WALLET_HISTORY,
             integrity_api.ADMIN_VERIFY, integrity_api.ADMIN_PROBLEMS,
             *staff_routes.PATHS, *OFFICE_CATALOGUE, *students_api.PATHS, photos.PHOTO,
             calendar_api.SETTINGS, calendar_api.MONTH, calendar_api.OPEN_DAYS,
             calendar_api.CLOSURES, calendar_api.PREVIEW, calendar_api.CLOSURE,
             *money_api.PATHS, *office_api.PATHS, *parents_api.PATHS}
# The groups, one per file (see their seconds there): the terminals' calls and the admin API
# that came before the back office; the back office's people and money; its school and days.
GROUPS = ("terminal", "office-people", "office-school")
_PEOPLE = (staff_routes.ADMIN + "/login", staff_routes.ADMIN + "/logout",
           staff_routes.ADMIN + "/password-link", staff_routes.ADMIN + "/me",
           staff_routes.ADMIN + "/staff", students_api.STUDENTS, money_api.MONEY,
           parents_api.PARENTS)


def group_of(op) -> str:
    if not op.path.startswith(f"{protocol.API}/admin/") or op.path in {
            reports.ADMIN_SALES, reports.ADMIN_DEVICES, integrity_api.ADMIN_VERIFY,
            integrity_api.ADMIN_PROBLEMS, ledger_api.RESERVATIONS, ledger_api.CANCEL,
            ledger_api.TOPUPS, ledger_api.BANK_IMPORT, ledger_api.ROSTER,
            ledger_api.WALLET_HISTORY}:
        return "terminal"
    return "office-people" if op.path.startswith(_PEOPLE) else "office-school"


def operations(fuzzed: Fuzzed) -> list:
    """Every operation of the served schema (all of them: a new route is fuzzed at once)."""
    if fuzzed.operations is None:
        # A generous timeout: the server builds its description at the first request (seconds
        # of CPU on a loaded machine; schemathesis waits 10 s by default).
        schema = schemathesis.openapi.from_url(fuzzed.url + reports.ADMIN_OPENAPI, timeout=120,
                                               headers=fuzzed.auth(fuzzed.admin))
        fuzzed.operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in fuzzed.operations} == ALL_PATHS
    return fuzzed.operations


def fuzz_operations(fuzzed: Fuzzed, tokens: str, group: str | None = None) -> None:
    """``right``: a device's token on terminal calls, the admin's on admin routes (deep code);
    ``swapped``: the other one (forbidden / unauthorized); ``none``: no header. Every
    operation of ``group`` (None: all of them), positive and negative data."""
    ops = [op for op in operations(fuzzed) if group is None or group_of(op) == group]
    assert ops, f"no operation in group {group}"
    for op in ops:
        admin = op.path.startswith(f"{protocol.API}/admin/")
        token = {"none": None, "right": fuzzed.admin if admin else fuzzed.token,
                 "swapped": fuzzed.token if admin else fuzzed.admin}[tokens]
        headers = fuzzed.auth(token)
        # Negative data needs something to break: /device has no parameter and no body.
        modes = [GenerationMode.POSITIVE] + (
            [GenerationMode.NEGATIVE] if tokens == "right" and (len(op.query) or len(op.body))
            else [])
        if tokens != "right":
            examples = EXAMPLES_REFUSED
        elif admin and op.method.upper() == "GET" and op.path != reports.ADMIN_SALES:
            examples = EXAMPLES_READ
        else:
            examples = EXAMPLES
        t0 = time.perf_counter()
        for mode in modes:
            _fuzz_one(op, mode, fuzzed, headers, examples)()
        SPENT[f"{op.method.upper()} {op.path} {tokens}"] += time.perf_counter() - t0


def _fuzz_one(op, mode, fuzzed: Fuzzed, headers: dict, examples: int):
    """The hypothesis test of one operation in one generation mode (made here so that it
    binds this operation's headers)."""
    @settings(max_examples=examples, **SETTINGS)
    @given(case=op.as_strategy(generation_mode=mode))
    def call(case):
        response = case.call(base_url=fuzzed.url, session=fuzzed.session, headers=headers)
        SENT[response.status_code] += 1
        # Every answer fits the model the served description gives for its status
        # (the route's response_model, or ErrorBody for a refusal).
        case.validate_response(response, headers=headers,
                               checks=[not_a_server_error, response_schema_conformance])
        assert response.status_code < 500, case.as_curl_command(headers=headers)
        if response.status_code >= 400:
            protocol.ErrorBody.model_validate(response.json())
    return call
