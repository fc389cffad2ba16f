"""The office's money over real loopback HTTP, on SQLite and PostgreSQL: bank statements as
Belgian banks deliver them (CODA, camt.053, CSV; tests/data/statement-*), credited once across
files and forms; top-ups, corrections (a wallet may go below zero, and shows it) and
repayments, each with its reason; bad input refused whole with a clear message."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import requests

from kiosk.demo.school import structured_communication
from sync import protocol
from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.server import money_api
from sync.server.storage import CentralStore

from .central_db import central_rows
from .conftest import BRUSSELS
from .loopback import Served

DATA = Path(__file__).parent / "data"
CODA = (DATA / "statement-2026-11-20.coda").read_bytes()
CAMT = (DATA / "statement-2026-11-20-21.camt053.xml").read_bytes()


class Office:
    def __init__(self, store: CentralStore, url: str, token: str):
        self.store, self.url, self.token = store, url, token
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.params = {"school": "school-a"}     # the platform has two schools

    def call(self, method: str, path: str, **kw) -> requests.Response:
        return self.http.request(method, self.url + path, **kw)

    def upload(self, data: bytes, **params) -> requests.Response:
        return self.call("POST", money_api.STATEMENTS, data=data, params=params)

    def adjust(self, wallet: str, **body) -> requests.Response:
        return self.call("POST", money_api.ADJUSTMENTS.format(wallet_id=wallet), json=body)

    def wallet(self, wallet: str) -> money_api.WalletPage:
        return ok(self.call("GET", money_api.WALLET.format(wallet_id=wallet)),
                  money_api.WalletPage)

    def balances(self, *wallets: str) -> list[int]:
        return [self.wallet(w).balance_cents for w in wallets]

    def movements(self) -> int:
        return central_rows(self.store, "SELECT COUNT(*) FROM wallet_movements")[0][0]


def ok(r: requests.Response, model):
    assert r.status_code == 200, (r.status_code, r.text)
    return model.model_validate(r.json())


def refused(r: requests.Response, status: int, code: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = protocol.ErrorBody.model_validate(r.json())
    assert body.error == code, body
    return body.message


@pytest.fixture(scope="module")
def office(central_dbs, demo_data):
    """The platform with the demo school, served on loopback (one per backend)."""
    db = central_dbs.new()
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS))
    store = CentralStore(db, create=True, now=clock.now)
    store.add_school("Institut Saint-Michel", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    store.add_school("École voisine", "school-b")
    served = Served(store)
    yield Office(store, served.url, store.create_admin_token())
    served.stop()
    store.close()


def test_coda_then_camt_credit_each_bank_transaction_once(office):
    before = office.balances("W00001", "W00002", "W00003", "W00005", "W00008")
    coda = ok(office.upload(CODA), money_api.StatementImport)
    assert coda.format == "coda" and coda.debits_skipped == 1
    assert [(c.line, c.wallet_id, c.amount_cents) for c in coda.credited] == [
        (3, "W00001", 2500), (6, "W00003", 1050), (17, "W00005", 2000), (20, "W00008", 1000)]
    assert [(u.line, u.reason) for u in coda.unmatched] == [
        (10, "bad check digit (mod 97): the communication was mistyped"),
        (13, "no structured communication")]
    assert coda.unmatched[1].communication == "repas Lucas novembre"
    # The camt.053 file covers the same 20 November and the 21st: only the 21st is new.
    camt = ok(office.upload(CAMT), money_api.StatementImport)
    assert camt.format == "camt053" and camt.debits_skipped == 1
    assert [(a.wallet_id, a.amount_cents) for a in camt.already_imported] == [
        ("W00001", 2500), ("W00003", 1050)]
    assert [(c.wallet_id, c.amount_cents) for c in camt.credited] == [("W00002", 400)]
    assert [u.reason for u in camt.unmatched] == [
        "bad check digit (mod 97): the communication was mistyped",
        "unknown communication: no wallet has it"]
    assert all(u.line > 0 for u in camt.unmatched)
    # Both again, in the other order: nothing more.
    for data in (CAMT, CODA):
        again = ok(office.upload(data), money_api.StatementImport)
        assert again.credited == [] and again.credited_cents == 0
    assert office.balances("W00001", "W00002", "W00003", "W00005", "W00008") == [
        before[0] + 2500, before[1] + 400, before[2] + 1050, before[3] + 2000, before[4] + 1000]
    history = office.wallet("W00001").movements
    assert [(m.kind, m.amount_cents, m.label) for m in history][-1:] == [
        ("transfer", 2500, "virement du 20/11/2026")]


def test_the_csv_export_still_reads(office):
    csv = f"Date;Montant;Communication\n22/11/2026;3,00;{structured_communication(250_000_009)}\n"
    found = ok(office.upload(csv.encode()), money_api.StatementImport)
    assert found.format == "csv" and [c.wallet_id for c in found.credited] == ["W00009"]


def damaged_coda() -> bytes:
    lines = CODA.decode().split("\r\n")
    lines[5] = lines[5][:-1]            # a record one character short
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize("data, params, expected", [
    (damaged_coda(), {}, "line 6: a CODA record has 128 characters, this one has 127"),
    (CODA.decode().rsplit("\r\n9", 1)[0].encode(), {}, "ends before its trailer record (9)"),
    (CAMT.replace(b"camt.053.001.02", b"camt.052.001.02"), {},
     "not a camt.053 statement: the XML namespace is"),
    (CAMT.replace(b"<Document", b"<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                  b"<Document", 1), {}, "declares a document type"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     b"<d>&b;</d>", {}, "declares a document type"),
    (CAMT[:400], {}, "not well-formed XML"),
    (b"", {}, "the file is empty"),
    (CODA, {"format": "mt940"}, "unknown statement format"),
])
def test_a_damaged_or_foreign_file_is_refused_whole(office, data, params, expected):
    movements = office.movements()
    assert expected in refused(office.upload(data, **params), 422, "invalid")
    assert office.movements() == movements


def test_a_bad_amount_in_a_statement_is_an_unmatched_line(office):
    bad = CAMT.replace(b'<Amt Ccy="EUR">4.00</Amt>', b'<Amt Ccy="EUR">12,5x</Amt>')
    found = ok(office.upload(bad), money_api.StatementImport)
    assert [u.amount for u in found.unmatched if u.amount == "12,5x"] == ["12,5x"]
    assert {u.reason for u in found.unmatched if u.amount == "12,5x"} == {
        "bad amount (euros with a decimal comma or dot, e.g. 25,00)"}


def test_a_50_mb_upload_is_refused_with_a_clear_message(office):
    movements = office.movements()
    huge = CODA + b" " * (50 * 2**20)
    assert refused(office.upload(huge), 413, "invalid") == (
        "request body too large (at most 10 MB)")
    big = CODA + b" " * (6 * 2**20)        # within what the platform reads, not a statement
    assert refused(office.upload(big), 422, "invalid") == (
        "the file is too large (6.0 MB): a bank statement has at most 5 MB")
    assert office.movements() == movements


def test_topup_correction_and_repayment_with_their_reason(office):
    start = office.wallet("W00011").balance_cents
    topup = ok(office.adjust("W00011", kind="topup", amount="12,50", reason="espèces au secrétariat"),
               money_api.Adjustment)
    assert (topup.amount_cents, topup.balance_cents) == (1250, start + 1250)
    # A correction may take the wallet below zero: it is then shown as negative.
    fix = ok(office.adjust("W00011", kind="correction", amount_cents=-(start + 1250 + 300),
                           reason="double encodage du 12/11"), money_api.Adjustment)
    assert (fix.balance_cents, fix.negative) == (-300, True)
    page = office.wallet("W00011")
    assert page.negative and page.balance_cents == -300
    negatives = ok(office.call("GET", money_api.NEGATIVE), money_api.NegativeWallets).wallets
    assert "W00011" in [w.wallet_id for w in negatives]
    # A repayment gives back at most what the wallet holds.
    refused(office.adjust("W00011", kind="repayment", amount_cents=100, reason="départ"),
            409, "insufficient_balance")
    ok(office.adjust("W00011", kind="topup", amount_cents=2300, reason="espèces"),
       money_api.Adjustment)
    back = ok(office.adjust("W00011", kind="repayment", amount="20", reason="départ de l'élève"),
              money_api.Adjustment)
    assert (back.amount_cents, back.balance_cents, back.negative) == (-2000, 0, False)
    assert [(m.kind, m.amount_cents, m.label) for m in office.wallet("W00011").movements][-4:] == [
        ("topup", 1250, "espèces au secrétariat"),
        ("correction", -(start + 1550), "double encodage du 12/11"),
        ("topup", 2300, "espèces"), ("repayment", -2000, "départ de l'élève")]


@pytest.mark.parametrize("body, expected", [
    ({"kind": "topup", "amount": "12,5x", "reason": "x"}, "not an amount in euros"),
    ({"kind": "topup", "amount_cents": 500, "reason": "   "}, "the reason is required"),
    ({"kind": "topup", "amount_cents": 500, "reason": "x" * 201}, "the reason is too long"),
    ({"kind": "topup", "amount_cents": -500, "reason": "x"}, "a top-up or a repayment is above"),
    ({"kind": "correction", "amount_cents": 0, "reason": "x"}, "not zero"),
    ({"kind": "topup", "reason": "x"}, "give the amount"),
    ({"kind": "topup", "amount": "5", "amount_cents": 500, "reason": "x"}, "give the amount"),
])
def test_bad_adjustments_are_refused_and_change_nothing(office, body, expected):
    movements = office.movements()
    assert expected in refused(office.adjust("W00012", **body), 422, "invalid")
    assert office.movements() == movements


def test_bad_types_and_kinds_are_refused(office):
    refused(office.adjust("W00012", kind="gift", amount_cents=5, reason="x"), 422, "invalid")
    refused(office.adjust("W00012", kind="topup", amount_cents="5", reason="x"), 422, "invalid")


def test_another_schools_wallet_is_not_found(office):
    """A wallet id of school-a asked as school-b's staff: 404, as an unknown one."""
    school_b = {"school": "school-b"}
    for r in (office.call("GET", money_api.WALLET.format(wallet_id="W00001"), params=school_b),
              office.call("POST", money_api.ADJUSTMENTS.format(wallet_id="W00001"),
                          params=school_b, json={"kind": "topup", "amount_cents": 5,
                                                 "reason": "x"})):
        refused(r, 404, "not_found")
    found = ok(office.call("POST", money_api.STATEMENTS, params=school_b, data=CODA),
               money_api.StatementImport)
    assert found.credited == [] and len(found.unmatched) == 6


def test_no_token_no_money(office):
    refused(requests.get(office.url + money_api.NEGATIVE, params={"school": "school-a"}), 401,
            "unauthorized")
