"""The counter's money rules at their exact edges, through the counter service on a real store:
a sale that reaches the overdraft limit, the daily limit or the offline cap exactly is sold; one
cent beyond is refused with what is missing, and nothing is written. And the receipt prints the
balance the counter showed at the sale, for the wallet the sale debited.

Each case pins a rule the mutation run (``make mutation``, docs/mutation.md) found unpinned
(``>`` read as ``>=`` in a check: no test sold to exactly the limit)."""
from __future__ import annotations

import pytest

from kiosk import importer, print_jobs
from kiosk.config import PolicySection, PrintingSection, TerminalConfig
from kiosk.counter import CounterService
from kiosk.demo.school import Badge, structured_communication

from .test_counter import refused


def set_balance(service, clock, demo_data, wallet_id: str, cents: int) -> None:
    """The platform's balance for a wallet, as a pull brings it."""
    wallet = next(w for w in demo_data["wallets"] if w["id"] == wallet_id)
    importer.apply(service.store, importer.parse({"wallets": [{**wallet, "balance_cents": cents}]}),
                   clock.now())


def counter(store, clock, **policy) -> CounterService:
    return CounterService(store, TerminalConfig(policy=PolicySection(**policy)), clock)


# -- the overdraft limit ----------------------------------------------------------------------
@pytest.mark.parametrize("limit", [0, 500])
def test_a_sale_to_exactly_the_overdraft_limit_is_sold_one_cent_more_is_not(
        store, clock, marie, demo_data, limit):
    service = counter(store, clock, overdraft_limit_cents=limit)
    set_balance(service, clock, demo_data, "W00001", 100 - limit)      # soup: 1,00 €
    result = service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert result.wallets[0].balance_cents == -limit                  # exactly at the limit
    set_balance(service, clock, demo_data, "W00002", 99 - limit)       # Noah: one cent short
    error = refused(service, service.sell, marie, Badge.NOAH, {"SOUP": 1},
                    code="insufficient_balance")
    assert error.params == {"wallet": "Portefeuille", "missing_cents": 1,
                            "balance_cents": 99 - limit}


def test_the_overdraft_limit_is_checked_per_wallet_on_what_it_pays(store, clock, marie, demo_data):
    service = counter(store, clock, overdraft_limit_cents=30)
    importer.apply(store, importer.parse({
        "categories": [{"code": "snack", "name": "Collations", "wallet_kind": "supplies"}],
        "wallets": [{"id": "W-SUP-1", "student_id": "S00001", "kind": "supplies",
                     "name": "Fournitures", "structured_communication": structured_communication(999_999),
                     "is_default": False, "balance_cents": 20}]}), clock.now())
    result = service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 1})   # 0,50 € from 0,20 € + 0,30 €
    assert {w.id: w.balance_cents for w in result.wallets} == {"W00001": 2400, "W-SUP-1": -30}
    # the postings in wallet order, whatever the cart's order: the same sale, the same entry
    assert result.entry.data["postings"] == [{"wallet": "W-SUP-1", "amount_cents": -50},
                                             {"wallet": "W00001", "amount_cents": -100}]
    clock.advance(10)
    error = refused(service, service.sell, marie, Badge.EMMA, {"APPLE": 1}, code="insufficient_balance")
    assert error.params == {"wallet": "Fournitures", "missing_cents": 50, "balance_cents": -30}


# -- the daily limit and the offline cap ------------------------------------------------------
def test_a_sale_to_exactly_the_daily_limit_is_sold(service, marie, clock):
    # Chloé: parents' limit 3,00 € per day. A cheese sandwich (2,80 €): 0,20 € left.
    service.sell(marie, Badge.CHLOE, {"SANDW-CHEESE": 1})
    clock.advance(10)
    error = refused(service, service.sell, marie, Badge.CHLOE, {"APPLE": 1}, code="daily_limit")
    assert (error.params["limit_cents"], error.params["spent_cents"]) == (300, 280)


def test_a_sale_to_exactly_the_daily_limit_is_sold_exactly(service, marie, clock, demo_data):
    chloe = next(s for s in demo_data["students"] if s["first_name"] == "Chloé")
    importer.apply(service.store, importer.parse({"students": [{**chloe, "daily_limit_cents": 330}]}),
                   clock.now())
    service.sell(marie, Badge.CHLOE, {"SANDW-CHEESE": 1})                # 2,80 €
    clock.advance(10)
    assert service.sell(marie, Badge.CHLOE, {"APPLE": 1}).total_cents == 50   # 3,30 €: the limit
    clock.advance(10)
    error = refused(service, service.sell, marie, Badge.CHLOE, {"APPLE": 1}, code="daily_limit")
    assert (error.params["limit_cents"], error.params["spent_cents"]) == (330, 330)


def test_a_sale_to_exactly_the_offline_cap_is_sold_one_more_is_not(store, clock, marie):
    service = counter(store, clock, stale_after_minutes=30, offline_daily_cap_cents=450)
    clock.advance(minutes=31)                               # no pull for 31 minutes: stale
    assert service.is_stale()
    sold = service.sell(marie, Badge.EMMA, {"SANDW-HAM": 1, "SOUP": 1, "APPLE": 1})   # 4,50 €
    assert sold.total_cents == 450
    clock.advance(10)
    error = refused(service, service.sell, marie, Badge.EMMA, {"APPLE": 1}, code="offline_cap")
    assert (error.params["cap_cents"], error.params["spent_cents"]) == (450, 450)
    # another student, one cent over the cap in one sale (4,50 € against a cap of 4,49 €)
    tight = counter(store, clock, stale_after_minutes=30, offline_daily_cap_cents=449)
    error = refused(tight, tight.sell, marie, Badge.LOUIS_RESERVED,
                    {"SANDW-HAM": 1, "SOUP": 1, "APPLE": 1}, code="offline_cap")
    assert (error.params["cap_cents"], error.params["spent_cents"]) == (449, 0)


def test_the_offline_cap_does_not_apply_to_fresh_data(store, clock, marie):
    service = counter(store, clock, stale_after_minutes=30, offline_daily_cap_cents=100)
    clock.advance(minutes=30)                               # exactly the age that is still fresh
    assert not service.is_stale() and not service.identify(Badge.EMMA).stale
    assert service.sell(marie, Badge.EMMA, {"SANDW-HAM": 1}).total_cents == 300
    clock.advance(1)
    assert service.is_stale() and service.identify(Badge.EMMA).stale
    refused(service, service.sell, marie, Badge.LOUIS_RESERVED, {"SANDW-HAM": 1}, code="offline_cap")


def test_a_terminal_that_never_pulled_is_stale(tmp_path, clock):
    from kiosk.store import open_store
    store = open_store(tmp_path / "new.db", create=True)
    try:
        assert CounterService(store, TerminalConfig(), clock).is_stale()
    finally:
        store.close()


# -- the balance on the receipt ---------------------------------------------------------------
def test_the_receipt_prints_the_balance_the_counter_showed_for_the_wallet_it_debited(
        store, clock, marie, demo_data):
    config = TerminalConfig(printing=PrintingSection(receipt="always"))
    service = CounterService(store, config, clock)
    importer.apply(store, importer.parse({"wallets": [{
        "id": "W-SUP-1", "student_id": "S00001", "kind": "supplies", "name": "Fournitures",
        "structured_communication": structured_communication(999_999), "is_default": False,
        "balance_cents": 700}]}), clock.now())
    sale = service.sell(marie, Badge.EMMA, {"SOUP": 1})          # from the main wallet only
    assert [w.balance_cents for w in sale.wallets if w.id == "W00001"] == [2400]
    # a top-up arrives from the platform before the receipt is printed
    set_balance(service, clock, demo_data, "W00001", 5000)
    with store.read() as conn:
        (job_id,) = conn.execute("SELECT id FROM print_jobs WHERE kind = 'receipt'").fetchone()
        job = print_jobs.get_job(conn, job_id)
        assert job["payload"] == {"balances": [["W00001", 2400]]}
        doc = print_jobs.render_job(conn, job, config, 42)
    text = " ".join(" ".join(doc.text_lines()).split())
    assert "Nouveau solde Portefeuille 24,00 €" in text
    assert "Fournitures" not in text


def test_no_receipt_queued_unless_the_terminal_prints_them(service, marie, store):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert store.conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone() == (0,)


def test_a_sale_answers_who_what_and_journals_its_terminal(service, marie):
    """What the counter screen shows after a sale comes from its result; the entry names the
    terminal (the platform applies each terminal's chain) and records confirmations only when
    one was needed."""
    sale = service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 2})
    assert sale.student.first_name == "Emma"
    assert [(line["article"], line["qty"], line["total_cents"]) for line in sale.lines] == [
        ("SOUP", 1, 100), ("APPLE", 2, 100)]
    assert list(sale.lines) == sale.entry.data["lines"] and sale.total_cents == 200
    assert sale.entry.data["device"] == service.store.device_id and sale.entry.data["device"]
    assert "confirmed" not in sale.entry.data
