"""The counter service's rules: every refusal leaves the store as it was."""
from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from kiosk import importer
from kiosk.config import PolicySection, PrintingSection, TerminalConfig, TerminalSection
from kiosk.counter import CounterService
from kiosk.demo.school import Badge, structured_communication
from sync.common.errors import AuthError, NeedsConfirmation, Refusal, StoreError

from .conftest import TODAY


def snapshot(store):
    """Everything a refused operation must leave untouched."""
    conn = store.conn
    return (conn.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM journal").fetchone(),
            conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM postings").fetchone(),
            conn.execute("SELECT id, status, delivered_seq FROM reservations ORDER BY id").fetchall(),
            conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone())


def refused(service, fn, *args, code, **kwargs):
    before = snapshot(service.store)
    with pytest.raises((Refusal, NeedsConfirmation)) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.message("en")
    assert snapshot(service.store) == before
    return info.value


def balance(service, uid):
    return service.identify(uid).wallets[0].balance_cents


# -- identify -------------------------------------------------------------------------------
def test_identify_shows_student_wallet_and_todays_reservations(service):
    who = service.identify(Badge.LOUIS_RESERVED)
    assert who.student.display_name == "Louis Dupont" and who.student.class_name == "2A"
    assert [w.balance_cents for w in who.wallets] == [1000]
    assert who.wallets[0].structured_communication.startswith("+++")
    assert [(r["article"], r["status"]) for r in who.reservations] == [("SANDW-CHEESE", "reserved")]
    assert who.stale is False


@pytest.mark.parametrize("uid, code", [
    (Badge.UNKNOWN, "unknown_badge"), (Badge.LUCAS_BLOCKED, "blocked_badge"),
    (Badge.ZOE_NO_WALLET, "no_wallet"), ("not-a-uid", "bad_badge"), ("04 A1", "bad_badge")])
def test_identify_refusals(service, uid, code):
    with pytest.raises(Refusal) as info:
        service.identify(uid)
    assert info.value.code == code


def test_uid_is_normalised(service):
    assert service.identify("04:a1:b2:c3").student.id == service.identify(Badge.EMMA).student.id


# -- selling --------------------------------------------------------------------------------
def test_sale_debits_wallet_and_journals_lines(service, marie):
    result = service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 2})
    assert result.total_cents == 200
    assert result.wallets[0].balance_cents == 2300 == balance(service, Badge.EMMA)
    entry = result.entry
    assert (entry.seq, entry.kind, entry.amount_cents, entry.day) == (1, "sale", -200, TODAY)
    assert [(line["article"], line["qty"], line["total_cents"]) for line in entry.data["lines"]] == [
        ("SOUP", 1, 100), ("APPLE", 2, 100)]
    assert entry.data["operator"] == marie.operator_id


@pytest.mark.parametrize("uid, cart, code", [
    (Badge.UNKNOWN, {"SOUP": 1}, "unknown_badge"),
    (Badge.LUCAS_BLOCKED, {"SOUP": 1}, "blocked_badge"),
    (Badge.ZOE_NO_WALLET, {"SOUP": 1}, "no_wallet"),
    (Badge.EMMA, {}, "empty_cart"),
    (Badge.EMMA, {"SOUP": 0}, "bad_quantity"),
    (Badge.EMMA, {"SOUP": -1}, "bad_quantity"),
    (Badge.EMMA, {"CAVIAR": 1}, "unknown_article"),
    (Badge.EMMA, {"COPY-BW": 1}, "article_not_sold_here"),     # reception article at canteen
    (Badge.CHLOE, {"JUICE": 1}, "category_blocked"),          # parents blocked drinks
])
def test_sale_refusals_change_nothing(service, marie, uid, cart, code):
    refused(service, service.sell, marie, uid, cart, code=code)


def test_insufficient_balance_gives_missing_amount(service, marie):
    error = refused(service, service.sell, marie, Badge.NOAH, {"SOUP": 1}, code="insufficient_balance")
    assert error.params["missing_cents"] == 100
    assert "il manque 1,00" in error.message("fr")
    error = refused(service, service.sell, marie, Badge.ADAM, {"SANDW-HAM": 1},
                    code="insufficient_balance")
    assert error.params["missing_cents"] == 530        # balance -2,30 € and 3,00 € to pay


def test_a_refusal_once_the_badge_is_known_names_its_holder(service, marie):
    """The counter shows who was refused (name, photo) from the sale call alone."""
    error = refused(service, service.sell, marie, Badge.NOAH, {"SOUP": 1}, code="insufficient_balance")
    assert error.student.first_name == "Noah"
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    with pytest.raises(NeedsConfirmation) as asked:
        service.sell(marie, Badge.EMMA, {"SOUP": 1})
    assert asked.value.code == "double_tap" and asked.value.student.first_name == "Emma"
    for badge, code in ((Badge.UNKNOWN, "unknown_badge"), (Badge.LUCAS_BLOCKED, "blocked_badge")):
        error = refused(service, service.sell, marie, badge, {"SOUP": 1}, code=code)
        assert not hasattr(error, "student")          # nobody to name


def test_overdraft_limit_from_config(store, clock, marie):
    config = TerminalConfig(policy=PolicySection(overdraft_limit_cents=500))
    service = CounterService(store, config, clock)
    result = service.sell(marie, Badge.NOAH, {"SANDW-HAM": 1})
    assert result.wallets[0].balance_cents == -300
    error = refused(service, service.sell, marie, Badge.NOAH, {"SANDW-HAM": 1}, confirm={"double_tap"},
                    code="insufficient_balance")
    assert error.params["missing_cents"] == 100


def test_inactive_article_refused(service, marie, demo_data, clock):
    soup = next(a for a in demo_data["articles"] if a["code"] == "SOUP")
    importer.apply(service.store, importer.parse({"articles": [{**soup, "active": False}]}), clock.now())
    refused(service, service.sell, marie, Badge.EMMA, {"SOUP": 1}, code="article_inactive")


def test_blocked_article_refused(service, marie, demo_data, clock):
    emma = next(s for s in demo_data["students"] if s["id"] == "S00001")
    importer.apply(service.store, importer.parse({"students": [{**emma, "blocked_articles": ["JUICE"]}]}),
                   clock.now())
    error = refused(service, service.sell, marie, Badge.EMMA, {"SOUP": 1, "JUICE": 1},
                    code="article_blocked")
    assert error.params["article"] == "Jus d'orange"
    assert service.sell(marie, Badge.EMMA, {"SOUP": 1}).total_cents == 100


def test_daily_limit_counts_todays_spending(service, marie, clock):
    # Chloé: parents' limit 3,00 € per day.
    service.sell(marie, Badge.CHLOE, {"SANDW-CHEESE": 1})            # 2,80 €
    clock.advance(10)
    error = refused(service, service.sell, marie, Badge.CHLOE, {"APPLE": 1}, code="daily_limit")
    assert (error.params["limit_cents"], error.params["spent_cents"]) == (300, 280)
    clock.advance(days=1)
    assert service.sell(marie, Badge.CHLOE, {"APPLE": 1}).total_cents == 50


def test_offline_cap_applies_only_when_data_is_stale(store, clock, marie):
    config = TerminalConfig(policy=PolicySection(stale_after_minutes=30, offline_daily_cap_cents=400))
    service = CounterService(store, config, clock)
    service.sell(marie, Badge.EMMA, {"SANDW-HAM": 1, "SOUP": 1, "APPLE": 1})   # 4,50 €, fresh data
    clock.advance(minutes=31)
    assert service.identify(Badge.EMMA).stale
    error = refused(service, service.sell, marie, Badge.EMMA, {"APPLE": 1}, code="offline_cap")
    assert (error.params["cap_cents"], error.params["spent_cents"]) == (400, 450)
    service.sell(marie, Badge.LOUIS_RESERVED, {"SOUP": 1, "APPLE": 1})         # under the cap
    refused(service, service.sell, marie, Badge.LOUIS_RESERVED, {"SANDW-HAM": 1},
            confirm={"double_tap"}, code="offline_cap")


def test_double_tap_asks_within_two_seconds(service, marie, clock):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    clock.advance(1.5)
    refused(service, service.sell, marie, Badge.EMMA, {"SOUP": 1}, code="double_tap")
    second = service.sell(marie, Badge.EMMA, {"SOUP": 1}, confirm={"double_tap"})
    assert second.entry.data["confirmed"] == ["double_tap"]
    clock.advance(2.0)
    assert service.sell(marie, Badge.EMMA, {"SOUP": 1}).wallets[0].balance_cents == 2200


def test_allergen_alert_needs_explicit_confirmation(service, marie):
    error = refused(service, service.sell, marie, Badge.LINA, {"SOUP": 1, "APPLE": 1}, code="allergen")
    assert error.params == {"article": "Potage et pain", "flags": ["gluten"], "articles": ["SOUP"]}
    result = service.sell(marie, Badge.LINA, {"SOUP": 1, "APPLE": 1}, confirm={"allergen"})
    assert result.entry.data["confirmed"] == ["allergen"]
    assert service.sell(marie, Badge.LINA, {"APPLE": 1}, confirm={"double_tap"}).total_cents == 50


def test_allergen_policy_refuse(store, clock, marie):
    service = CounterService(store, TerminalConfig(policy=PolicySection(allergen_policy="refuse")), clock)
    refused(service, service.sell, marie, Badge.LINA, {"SOUP": 1}, confirm={"allergen"},
            code="allergen_refused")


def test_category_pays_from_its_own_wallet(service, marie, demo_data, clock):
    # Emma gets a second wallet for school supplies; the shop category is paid from it.
    importer.apply(service.store, importer.parse({
        "categories": [{"code": "snack", "name": "Collations", "wallet_kind": "supplies"}],
        "wallets": [{"id": "W-SUP-1", "student_id": "S00001", "kind": "supplies", "name": "Fournitures",
                     "structured_communication": structured_communication(999_999),
                     "is_default": False, "balance_cents": 60}]}), clock.now())
    result = service.sell(marie, Badge.EMMA, {"SOUP": 1, "APPLE": 1})
    assert {p["wallet"]: p["amount_cents"] for p in result.entry.data["postings"]} == {
        "W00001": -100, "W-SUP-1": -50}
    assert {w.id: w.balance_cents for w in result.wallets} == {"W00001": 2400, "W-SUP-1": 10}
    clock.advance(5)
    error = refused(service, service.sell, marie, Badge.EMMA, {"APPLE": 1}, code="insufficient_balance")
    assert error.params["wallet"] == "Fournitures" and error.params["missing_cents"] == 40


def test_receipts_queued_when_configured(store, clock, marie):
    config = TerminalConfig(printing=PrintingSection(receipt="always"))
    service = CounterService(store, config, clock)
    seq = service.sell(marie, Badge.EMMA, {"SOUP": 1}).entry.seq
    assert store.conn.execute("SELECT kind, entry_seq, status FROM print_jobs").fetchall() == [
        ("receipt", seq, "pending")]


def test_disk_full_is_a_clear_error_and_nothing_is_kept(service, marie):
    conn = service.store.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")   # the file may not grow: SQLITE_FULL
    before = snapshot(service.store)
    with pytest.raises(StoreError) as info:
        for _i in range(200):
            service.sell(marie, Badge.EMMA, {"SOUP": 1}, confirm={"double_tap"})
    assert info.value.code == "disk_full"
    assert "Disque plein" in str(info.value)
    after_seq = snapshot(service.store)[0][1]
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert service.store.check_integrity(full=True).ok
    assert snapshot(service.store)[0][1] == after_seq >= before[0][1]   # no half entry


# -- photocopies ----------------------------------------------------------------------------
@pytest.fixture
def reception(store, clock):
    return CounterService(store, TerminalConfig(terminal=TerminalSection(profile="reception",
                                                                         name="Accueil")), clock)


def test_photocopies_priced_from_article_list(reception, marie):
    result = reception.photocopies(marie, Badge.EMMA, bw=12, colour=3)
    assert result.entry.kind == "photocopy"
    assert result.total_cents == 12 * 10 + 3 * 50
    assert result.wallets[0].balance_cents == 2500 - 270


def test_photocopies_need_pages(reception, marie):
    refused(reception, reception.photocopies, marie, Badge.EMMA, code="empty_cart")
    refused(reception, reception.photocopies, marie, Badge.EMMA, bw=-2, code="bad_quantity")


def test_canteen_articles_not_sold_at_reception(reception, marie):
    refused(reception, reception.sell, marie, Badge.EMMA, {"SOUP": 1}, code="article_not_sold_here")


# -- pickups --------------------------------------------------------------------------------
def test_pickup_then_second_pickup_refused_with_when_and_where(service, marie, clock):
    result = service.pickup(marie, Badge.LOUIS_RESERVED)
    assert [(i["article"], i["qty"]) for i in result.delivered] == [("SANDW-CHEESE", 1)]
    assert result.entry.kind == "pickup" and result.entry.amount_cents == 0
    assert balance(service, Badge.LOUIS_RESERVED) == 1000        # paid at reservation time
    clock.advance(minutes=5)
    error = refused(service, service.pickup, marie, Badge.LOUIS_RESERVED, code="already_delivered")
    assert error.params == {"when": "24/11/2026 12:00", "where": "Caisse"}


def test_pickup_of_a_named_reservation(service, marie):
    rid = service.identify(Badge.LOUIS_RESERVED).reservations[0]["id"]
    refused(service, service.pickup, marie, Badge.LOUIS_RESERVED, ["R-nope"], code="reservation_not_found")
    service.pickup(marie, Badge.LOUIS_RESERVED, [rid])
    refused(service, service.pickup, marie, Badge.LOUIS_RESERVED, [rid], code="already_delivered")


def test_pickup_without_reservation(service, marie):
    refused(service, service.pickup, marie, Badge.EMMA, code="no_reservation")


def test_cancelled_reservation_cannot_be_picked_up(service, marie, demo_data, clock):
    r = next(r for r in demo_data["reservations"] if r["student_id"] == "S00008")
    importer.apply(service.store, importer.parse({"reservations": [{**r, "status": "cancelled"}]}),
                   clock.now())
    refused(service, service.pickup, marie, Badge.LOUIS_RESERVED, [r["id"]], code="reservation_cancelled")
    refused(service, service.pickup, marie, Badge.LOUIS_RESERVED, code="no_reservation")


def test_reservations_of_day_lists_the_pick_list(service, marie, demo_data):
    rows = service.reservations_of_day()
    assert len(rows) == len(demo_data["reservations"])
    assert {r["status"] for r in rows} == {"reserved"}
    service.pickup(marie, Badge.LOUIS_RESERVED)
    louis = [r for r in service.reservations_of_day() if r["student_id"] == "S00008"]
    assert louis[0]["status"] == "delivered" and louis[0]["delivered_where"] == "Caisse"


def _reserve_for_lina(service, clock, *codes):
    """Today's reservations for Lina (gluten flag), as a pull brings them."""
    rows = [{"id": f"R-LINA-{i}", "day": TODAY, "student_id": "S00003", "article_code": code,
             "quantity": 1, "status": "reserved"} for i, code in enumerate(codes)]
    importer.apply(service.store, importer.parse({"reservations": rows}), clock.now())
    return [r["id"] for r in rows]


def test_pickup_of_an_allergen_asks_like_a_sale(service, marie, clock):
    """Issue 13, point 2: a student with a gluten flag picking up a reserved ham sandwich gets
    the same alert as at a sale, and nothing is handed over until it is confirmed."""
    ham, apple = _reserve_for_lina(service, clock, "SANDW-HAM", "APPLE")
    error = refused(service, service.pickup, marie, Badge.LINA, code="allergen")
    assert error.params == {"article": "Sandwich jambon", "flags": ["gluten"], "articles": ["SANDW-HAM"]}
    assert error.student.id == "S00003"                 # the screen shows who it is
    assert "Sandwich jambon contient gluten" in error.message("fr")
    refused(service, service.pickup, marie, Badge.LINA, [ham], code="allergen")
    picked = service.pickup(marie, Badge.LINA, [apple])            # no conflict: no question
    assert "confirmed" not in picked.entry.data
    picked = service.pickup(marie, Badge.LINA, confirm={"allergen"})
    assert [i["reservation"] for i in picked.delivered] == [ham]
    assert picked.entry.data["confirmed"] == ["allergen"]


def test_pickup_of_an_allergen_refused_by_policy(store, clock, marie):
    service = CounterService(store, TerminalConfig(policy=PolicySection(allergen_policy="refuse")),
                             clock)
    _reserve_for_lina(service, clock, "SANDW-CHEESE")
    error = refused(service, service.pickup, marie, Badge.LINA, confirm={"allergen"},
                    code="allergen_refused")
    assert error.params == {"article": "Sandwich fromage", "flags": ["gluten"],
                            "articles": ["SANDW-CHEESE"]}
    assert service.identify(Badge.LINA).reservations[0]["status"] == "reserved"


# -- voids ----------------------------------------------------------------------------------
def test_void_credits_back_once_and_needs_a_supervisor(service, marie, luc):
    sale = service.sell(marie, Badge.EMMA, {"SOUP": 1, "JUICE": 1})
    assert balance(service, Badge.EMMA) == 2280
    before = snapshot(service.store)
    with pytest.raises(AuthError) as info:
        service.void(marie, sale.entry.seq)
    assert info.value.code == "forbidden" and snapshot(service.store) == before
    result = service.void(luc, sale.entry.seq, reason="erreur")
    assert result.credited_cents == 220 and result.entry.ref_seq == sale.entry.seq
    assert balance(service, Badge.EMMA) == 2500
    error = refused(service, service.void, luc, sale.entry.seq, code="already_voided")
    assert error.params["void_seq"] == result.entry.seq


def test_void_refusals(service, marie, luc, clock):
    pickup = service.pickup(marie, Badge.LOUIS_RESERVED)
    refused(service, service.void, luc, 999, code="void_not_found")
    refused(service, service.void, luc, pickup.entry.seq, code="void_wrong_kind")
    sale = service.sell(marie, Badge.EMMA, {"SOUP": 1})
    clock.advance(days=1)
    refused(service, service.void, luc, sale.entry.seq, code="void_not_today")


# -- reports --------------------------------------------------------------------------------
def test_x_then_z_report_and_day_closed(service, marie, luc, clock):
    s1 = service.sell(marie, Badge.EMMA, {"SOUP": 2})
    service.sell(luc, Badge.LOUIS_RESERVED, {"SOUP": 1, "JUICE": 1})
    service.pickup(marie, Badge.LOUIS_RESERVED)
    clock.advance(10)
    void = service.void(luc, s1.entry.seq)
    x = service.report_x(marie)
    assert x.kind == "X" and (x.first_seq, x.last_seq, x.entries) == (1, 4, 4)
    assert x.articles == {"SOUP": {"name": "Potage et pain", "qty": 3, "total_cents": 300},
                          "JUICE": {"name": "Jus d'orange", "qty": 1, "total_cents": 120}}
    assert x.voids == {"count": 1, "total_cents": 200}
    assert (x.gross_cents, x.net_cents) == (420, 220)
    assert x.operators[marie.operator_id]["sales"] == 1 and x.operators[luc.operator_id]["voids"] == 1
    assert x.pickups == {"SANDW-CHEESE": {"name": "Sandwich fromage", "qty": 1}}
    assert x.last_hash == void.entry.hash
    assert service.store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0] == 4  # X wrote nothing

    with pytest.raises(AuthError):
        service.close_day(marie)
    z = service.close_day(luc)
    assert z.summary() == {**x.summary(), "kind": "Z"}
    close = service.store.conn.execute("SELECT seq, kind, body FROM journal ORDER BY seq DESC").fetchone()
    assert close[0] == z.close_seq == 5 and close[1] == "close"
    assert '"net_cents":220' in close[2]

    clock.advance(60)
    refused(service, service.sell, marie, Badge.EMMA, {"SOUP": 1}, code="day_closed")
    refused(service, service.pickup, marie, Badge.LOUIS_RESERVED, code="day_closed")
    refused(service, service.close_day, luc, code="day_closed")
    sale2 = service.sell  # next day: a new period starts from zero
    clock.advance(days=1)
    assert sale2(marie, Badge.EMMA, {"SOUP": 1}).entry.seq == 6
    x2 = service.report_x(marie)
    assert (x2.first_seq, x2.gross_cents) == (6, 100)


def test_void_of_a_closed_day_is_refused(service, marie, luc, clock):
    sale = service.sell(marie, Badge.EMMA, {"SOUP": 1})
    service.close_day(luc)
    refused(service, service.void, luc, sale.entry.seq, code="void_closed")


# -- blocking and health --------------------------------------------------------------------
def test_block_lost_badge(service, marie, luc):
    with pytest.raises(AuthError):
        service.block_badge(marie, Badge.EMMA)
    service.block_badge(luc, Badge.EMMA)
    refused(service, service.sell, marie, Badge.EMMA, {"SOUP": 1}, code="blocked_badge")


def test_sales_refused_on_a_broken_chain(service, marie, luc):
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    conn = sqlite3.connect(service.store.path)
    conn.execute("DROP TRIGGER journal_append_only_u")
    conn.execute("UPDATE journal SET amount_cents = -1 WHERE seq = 1")   # behind our back
    conn.commit()
    conn.close()
    health = service.store.check_integrity()    # the hourly check, or the next start
    assert not health.ok and health.bad_seq == 1
    for call in (lambda: service.sell(marie, Badge.LINA, {"APPLE": 1}),
                 lambda: service.pickup(marie, Badge.LOUIS_RESERVED),
                 lambda: service.void(luc, 1), lambda: service.close_day(luc)):
        with pytest.raises(StoreError) as info:
            call()
        assert info.value.code == "chain_broken"
        assert "n°1" in str(info.value)


def test_integrity_monitor_runs_in_background(store, clock, marie):
    config = TerminalConfig(policy=dataclasses.replace(PolicySection(), integrity_check_minutes=0))
    service = CounterService(store, config, clock)
    service.sell(marie, Badge.EMMA, {"SOUP": 1})
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER journal_append_only_u")
    conn.execute("UPDATE journal SET body = replace(body, 'Potage', 'Potion') WHERE seq = 1")
    conn.commit()
    conn.close()
    assert service.store.health.ok          # nobody has looked yet
    service.start_integrity_monitor()
    try:
        import time
        deadline = time.monotonic() + 10
        while service.store.health.ok and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        service.stop_integrity_monitor()
    assert service.store.health.code == "chain_broken"


def test_a_negative_wallet_not_used_by_the_sale_does_not_block_it(service, marie, clock):
    importer.apply(service.store, importer.parse({"wallets": [{
        "id": "W-SNACK", "student_id": "S00001", "kind": "snack", "name": "Collations",
        "structured_communication": structured_communication(260_000_001),
        "is_default": False, "balance_cents": -50}]}), clock.now())
    result = service.sell(marie, Badge.EMMA, {"SOUP": 1})          # paid from the main wallet
    assert {w.id: w.balance_cents for w in result.wallets} == {"W00001": 2400, "W-SNACK": -50}
