"""Stateful property test of the counter: random sequences of sells, photocopies, voids,
pickups, day closes, clock moves and balance updates from a simulated server.

An independent model keeps, for every wallet, the balance the server last sent and the seq
of this terminal it included, plus every posting the terminal reported in its results. After
every step:

* displayed balance = server balance + this terminal's postings not yet included
  (postings are negative for a sale: "server balance − entries not yet included");
* the journal's seq run 1..N without a gap, N = the model's count of successful entries;
* the hash chain verifies from the genesis;
* the journal's amounts equal its postings, and the postings equal the model's;

and a refused operation (``Refusal``, ``NeedsConfirmation``, ``AuthError``) changed nothing:
no entry, no posting, no balance, no reservation. The model also says which refusals are
possible for each operation (order-independent: the refusal code must be one the model
finds applicable, and an operation the model finds nothing against must go through).
"""
from __future__ import annotations

import copy
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk import importer, journal
from kiosk.config import PolicySection, TerminalConfig, TerminalSection
from kiosk.counter import CounterService
from kiosk.demo.school import DEMO_PINS, SANDWICHES, Badge, generate, structured_communication
from kiosk.store import open_store
from sync.common.clock import ManualClock, business_day, iso_utc
from sync.common.errors import AuthError, NeedsConfirmation, Refusal

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=80)

BRUSSELS = ZoneInfo("Europe/Brussels")
START = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)     # a Tuesday, lunchtime
START_DAY = START.date()


def _school() -> dict:
    """The demo school, small, plus a few things that make the money paths richer: a second
    wallet (kind ``snack``) paying for snacks for two students (one of them in the red), more
    students with allergen flags, an inactive article and more reservations for the first
    day. Generated once (the operators' PINs are argon2-hashed)."""
    data = copy.deepcopy(generate(students=12, day=START_DAY, operators=True))
    for student in data["students"]:
        if student["id"] in ("S00010", "S00012"):
            student["flags"] = {"S00010": ["nuts"], "S00012": ["pork", "milk"]}[student["id"]]
    for category in data["categories"]:
        if category["code"] == "snack":
            category["wallet_kind"] = "snack"
    data["articles"].append({
        "code": "OLD-CAKE", "name": {"fr": "Gâteau (plus vendu)"}, "price_cents": 150,
        "category": "snack", "allergens": ["gluten", "egg"], "profiles": ["canteen"],
        "reservable": False, "active": False})
    for number, (student_id, balance) in enumerate((("S00001", 300), ("S00009", -100)), start=1):
        data["wallets"].append({
            "id": f"WS{number:04d}", "student_id": student_id, "kind": "snack",
            "name": "Collations", "structured_communication": structured_communication(
                260_000_000 + number), "is_default": False, "balance_cents": balance,
            "included_seq": 0})
    for student_id, article, qty in (("S00009", "SANDW-HAM", 1), ("S00010", "SANDW-TUNA", 1),
                                     ("S00010", "SANDW-VEG", 2), ("S00003", "SANDW-CHEESE", 1)):
        number = sum(r["student_id"] == student_id for r in data["reservations"])
        data["reservations"].append({
            "id": f"R{START_DAY:%Y%m%d}-{student_id}-x{number}", "day": START_DAY.isoformat(),
            "student_id": student_id, "article_code": article, "quantity": qty,
            "status": "reserved"})
    return data


SCHOOL = _school()
SCHOOL_SET = importer.parse(SCHOOL)          # validated once; fails loudly if the data is bad
WALLET_RECORDS = {w["id"]: w for w in SCHOOL["wallets"]}
CANTEEN = TerminalConfig()
RECEPTION = TerminalConfig(terminal=TerminalSection(name="Accueil", profile="reception"))
POLICY: PolicySection = CANTEEN.policy

ARTICLES = {a["code"]: a for a in SCHOOL["articles"]}
CATEGORY_WALLET = {c["code"]: c.get("wallet_kind") for c in SCHOOL["categories"]}
STUDENTS = {s["id"]: s for s in SCHOOL["students"]}
CANTEEN_CODES = sorted(c for c, a in ARTICLES.items() if "canteen" in a["profiles"] and a["active"])
BADGE_UIDS = [b["uid"] for b in SCHOOL["badges"]]
ALL_UIDS = BADGE_UIDS + [Badge.UNKNOWN]
BAD_UID = "ZZ-not-a-badge"

uids = st.sampled_from(BADGE_UIDS * 3 + [Badge.UNKNOWN, BAD_UID])
GOOD_UIDS = [b["uid"] for b in SCHOOL["badges"] if b["status"] == "active"
             and any(w["student_id"] == b["student_id"] for w in SCHOOL["wallets"])]
# Mostly canteen articles, quantities 1-3; sometimes an article not sold here, an inactive or
# unknown one, a quantity of 0, an empty cart.
filled_carts = st.dictionaries(
    st.sampled_from(CANTEEN_CODES * 4 + ["COPY-BW", "TSHIRT", "OLD-CAKE", "NOPE"]),
    st.sampled_from([1] * 6 + [2, 2, 3, 3, 0]), min_size=1, max_size=3)
carts = st.sampled_from([True] * 12 + [False]).flatmap(
    lambda filled: filled_carts if filled else st.just({}))
confirms = st.sets(st.sampled_from(["double_tap", "allergen"]))
STEPS = [1, 1, 3, 3, 30, 600, 3700]        # seconds: double-tap window (2 s), staleness (60 min)


class CounterMachine(RuleBasedStateMachine):

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="comptoir-prop-"))
        self.clock = ManualClock(START)
        self.store = open_store(self.folder / "comptoir.db", create=True)
        importer.apply(self.store, SCHOOL_SET, self.clock.now())
        self.canteen = CounterService(self.store, CANTEEN, self.clock)
        self.reception = CounterService(self.store, RECEPTION, self.clock)
        self.marie = self.canteen.login("Marie", DEMO_PINS["Marie"])     # seller
        self.luc = self.canteen.login("Luc", DEMO_PINS["Luc"])           # supervisor

        # -- the model --------------------------------------------------------------------
        self.badges = {b["uid"]: (b["student_id"], b["status"]) for b in SCHOOL["badges"]}
        self.wallets = {w["id"]: dict(student=w["student_id"], kind=w["kind"],
                                      default=w["is_default"], initial=w["balance_cents"],
                                      other=0, server=w["balance_cents"], included=0)
                        for w in SCHOOL["wallets"]}
        self.postings: list[tuple[int, str, int]] = []      # (seq, wallet, cents) as reported
        self.entries: dict[int, dict] = {}                   # seq -> kind, day, student, ts...
        self.voided: set[int] = set()
        self.last_seq = 0
        self.last_close = (0, None)                          # (seq, day)
        self.last_pull = self.clock.now()
        self.reservations = {r["id"]: dict(r) for r in SCHOOL["reservations"]}
        self.turn = self.queue = 0

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- model helpers -------------------------------------------------------------------
    def today(self) -> str:
        return business_day(self.clock.now(), BRUSSELS).isoformat()

    def displayed(self, wallet_id: str) -> int:
        w = self.wallets[wallet_id]
        return w["server"] + sum(c for s, wid, c in self.postings
                                 if wid == wallet_id and s > w["included"])

    def student_wallets(self, student_id: str) -> list[str]:
        """Default wallet first, then by id (the counter's order)."""
        ids = [wid for wid, w in self.wallets.items() if w["student"] == student_id]
        return sorted(ids, key=lambda wid: (not self.wallets[wid]["default"], wid))

    def stale(self) -> bool:
        return self.clock.now() - self.last_pull > timedelta(minutes=POLICY.stale_after_minutes)

    def spent_today(self, student_id: str) -> int:
        today = self.today()
        return -sum(e["amount"] for e in self.entries.values()
                    if e["student"] == student_id and e["day"] == today)

    def record(self, entry, kind: str, student_id: str | None, postings, **extra) -> None:
        assert entry.seq == self.last_seq + 1, (entry.seq, self.last_seq)
        assert entry.kind == kind and entry.day == self.today()
        assert entry.ts == iso_utc(self.clock.now())
        assert entry.student_id == student_id
        reported = sorted((p["wallet"], p["amount_cents"]) for p in entry.data["postings"])
        assert reported == sorted(postings), (reported, postings)
        assert entry.amount_cents == sum(c for _, c in postings)
        self.last_seq = entry.seq
        self.postings += [(entry.seq, w, c) for w, c in reported]
        self.entries[entry.seq] = dict(kind=kind, day=entry.day, student=student_id,
                                       amount=entry.amount_cents, postings=reported,
                                       at=self.clock.now(), **extra)

    def snapshot(self):
        """Everything a refused operation must leave alone, read from the store."""
        conn = self.store.conn
        return (journal.last_link(conn),
                conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0)"
                             " FROM postings").fetchone(),
                {w.id: (w.balance_cents, w.server_balance_cents, w.included_seq)
                 for sid in STUDENTS for w in self.canteen.wallets_of(sid)},
                conn.execute("SELECT id, status, delivered_seq FROM reservations"
                             " ORDER BY id").fetchall(),
                conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone())

    def attempt(self, action: str, expected: set[str], call):
        """Run ``call``; a refusal must carry one of the ``expected`` codes and change nothing;
        success is only allowed when nothing was expected against it."""
        before = self.snapshot()
        try:
            result = call()
        except (Refusal, NeedsConfirmation, AuthError) as e:
            event(f"{action}: refused {e.code}")
            assert e.code in expected, f"{action}: refused {e.code!r}, model expected {expected}"
            assert self.snapshot() == before, f"{action}: refused {e.code!r} but the store changed"
            return None
        event(f"{action}: ok")
        assert not expected, f"{action}: went through, model expected one of {expected}"
        return result

    def badge_reasons(self, uid: str):
        """(reasons, student_id or None) for the badge checks."""
        if uid == BAD_UID:
            return {"bad_badge"}, None
        if uid not in self.badges:
            return {"unknown_badge"}, None
        student_id, status = self.badges[uid]
        if status != "active":
            return {"blocked_badge"}, None
        return set(), student_id

    def sale_reasons(self, uid: str, cart: dict[str, int], confirm: set[str], profile: str):
        """Every reason the model finds to refuse this sale, and the debits if none."""
        reasons, student_id = self.badge_reasons(uid)
        if any(q <= 0 or q > 999 for q in cart.values()):
            reasons.add("bad_quantity")
        if not cart:
            reasons.add("empty_cart")
        today = self.today()
        if self.last_close[1] == today:
            reasons.add("day_closed")
        student = STUDENTS.get(student_id)
        wallet_ids = self.student_wallets(student_id) if student else []
        if student and not wallet_ids:
            reasons.add("no_wallet")
            student = None
        if student and "double_tap" not in confirm:
            previous = [e for s, e in self.entries.items() if e["student"] == student_id
                        and e["day"] == today and e["kind"] in ("sale", "photocopy")]
            if previous:
                ago = (self.clock.now() - previous[-1]["at"]).total_seconds()
                if 0 <= ago < POLICY.double_tap_seconds:
                    reasons.add("double_tap")
        debits: dict[str, int] = {}
        total, hits = 0, False
        for code, qty in cart.items():
            article = ARTICLES.get(code)
            if article is None:
                reasons.add("unknown_article")
                continue
            if not article["active"]:
                reasons.add("article_inactive")
            if profile not in article["profiles"]:
                reasons.add("article_not_sold_here")
            if student is None:
                continue
            if code in student.get("blocked_articles", []):
                reasons.add("article_blocked")
            if article["category"] in student.get("blocked_categories", []):
                reasons.add("category_blocked")
            if set(student.get("flags", [])) & set(article["allergens"]):
                hits = True
            kind = CATEGORY_WALLET.get(article["category"])
            wallet = next((w for w in wallet_ids if kind and self.wallets[w]["kind"] == kind),
                          wallet_ids[0])
            debits[wallet] = debits.get(wallet, 0) + qty * article["price_cents"]
            total += qty * article["price_cents"]
        if student is not None:
            spent = self.spent_today(student_id)
            limit = student.get("daily_limit_cents")
            if limit is not None and spent + total > limit:
                reasons.add("daily_limit")
            if self.stale() and spent + total > POLICY.offline_daily_cap_cents:
                reasons.add("offline_cap")
            for wallet, debit in debits.items():
                if debit > self.displayed(wallet) + POLICY.overdraft_limit_cents:
                    reasons.add("insufficient_balance")
            if hits and "allergen" not in confirm:
                reasons.add("allergen")
        return reasons, student_id, debits, total

    def check_sale(self, result, kind, student_id, debits, total, before):
        self.record(result.entry, kind, student_id, [(w, -c) for w, c in debits.items()])
        assert result.total_cents == total
        assert result.student.id == student_id
        for wallet, debit in debits.items():
            # The sale itself never takes a wallet below the overdraft limit.
            assert before[wallet] - debit >= -POLICY.overdraft_limit_cents
        for w in result.wallets:
            assert w.balance_cents == self.displayed(w.id), (w, self.displayed(w.id))

    # -- rules: the counter ----------------------------------------------------------------
    @rule(uid=uids, cart=carts, confirm=confirms, supervisor=st.booleans())
    def sell(self, uid, cart, confirm, supervisor):
        session = self.luc if supervisor else self.marie
        reasons, student_id, debits, total = self.sale_reasons(uid, cart, confirm, "canteen")
        before = {w: self.displayed(w) for w in debits}
        result = self.attempt("sell", reasons,
                              lambda: self.canteen.sell(session, uid, cart, confirm=confirm))
        if result is not None:
            self.check_sale(result, "sale", student_id, debits, total, before)

    @rule(uid=st.sampled_from(GOOD_UIDS), cart=st.dictionaries(
        st.sampled_from(CANTEEN_CODES), st.integers(1, 3), min_size=1, max_size=3),
        confirm=st.sampled_from([{"allergen"}, {"allergen"}, {"double_tap", "allergen"}, set()]))
    def sell_plain(self, uid, cart, confirm):
        """An ordinary sale (the rule above mostly finds reasons to refuse)."""
        self.sell(uid, cart, confirm, supervisor=False)

    @rule()
    def serve_soup(self):
        """A soup for the next badge in the queue. (Rules are drawn from a list sorted by number
        of arguments, and the first one is drawn more often: let it be a sale that usually
        goes through, so that journals grow.)"""
        self.queue += 1
        self.clock.advance(5)
        self.sell(GOOD_UIDS[self.queue % len(GOOD_UIDS)], {"SOUP": 1}, {"allergen"}, False)

    @rule(uid=st.sampled_from(ALL_UIDS), bw=st.integers(-1, 25), colour=st.integers(0, 6),
          confirm=confirms)
    def photocopies(self, uid, bw, colour, confirm):
        if bw < 0:
            reasons, student_id, debits, total = {"bad_quantity"}, None, {}, 0
        else:
            cart = {code: n for code, n in (("COPY-BW", bw), ("COPY-COLOUR", colour)) if n}
            reasons, student_id, debits, total = self.sale_reasons(uid, cart, confirm, "reception")
        before = {w: self.displayed(w) for w in debits}
        result = self.attempt("photocopies", reasons, lambda: self.reception.photocopies(
            self.marie, uid, bw=bw, colour=colour, confirm=confirm))
        if result is not None:
            self.check_sale(result, "photocopy", student_id, debits, total, before)

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), supervisor=st.sampled_from([True, True, True, False]))
    def void(self, data, supervisor):
        spending = [s for s, e in self.entries.items() if e["kind"] in ("sale", "photocopy")]
        voidable = [s for s in spending if s not in self.voided and s > self.last_close[0]
                    and self.entries[s]["day"] == self.today()]
        # Mostly an entry that can be voided; else any entry, or a seq that does not exist.
        seq = data.draw(st.sampled_from(voidable * 6 + list(self.entries) * 2
                                        + [-1, 0, self.last_seq + 1]), label="seq")
        session = self.luc if supervisor else self.marie
        original = self.entries.get(seq)
        if original is None:
            reasons = {"void_not_found"}
        elif original["kind"] not in ("sale", "photocopy"):
            reasons = {"void_wrong_kind"}
        else:
            reasons = set()
            if original["day"] != self.today():
                reasons.add("void_not_today")
            if seq <= self.last_close[0]:
                reasons.add("void_closed")
            if seq in self.voided:
                reasons.add("already_voided")
        if not supervisor:
            reasons.add("forbidden")
        result = self.attempt("void", reasons, lambda: self.canteen.void(session, seq, "test"))
        if result is not None:
            credits = [(w, -c) for w, c in original["postings"]]
            self.record(result.entry, "void", original["student"], credits, ref=seq)
            assert result.voided_seq == seq and result.entry.ref_seq == seq
            assert result.credited_cents == -original["amount"]
            self.voided.add(seq)

    @rule(data=st.data(), confirm=st.sampled_from([set(), {"allergen"}]))
    def pickup(self, data, confirm):
        today = self.today()
        # Mostly a student with a reservation today; sometimes anyone, or a bad badge.
        booked = {r["student_id"] for r in self.reservations.values() if r["day"] == today}
        uid = data.draw(st.sampled_from(
            [u for u in BADGE_UIDS if self.badges[u][0] in booked] * 3 + ALL_UIDS + [BAD_UID]),
            label="uid")
        reasons, student_id = self.badge_reasons(uid)
        if self.last_close[1] == today:
            reasons.add("day_closed")
        mine = sorted(rid for rid, r in self.reservations.items()
                      if r["student_id"] == student_id and r["day"] == today)
        others = sorted(set(self.reservations) - set(mine)) + ["R-NOPE"]
        ids = None
        if data.draw(st.booleans(), label="choose reservations"):
            ids = data.draw((st.lists(st.sampled_from(mine), max_size=3) if mine else st.just([]))
                            | st.lists(st.sampled_from(others), min_size=1, max_size=1),
                            label="reservation ids")
        if student_id is not None:
            if ids is None:
                chosen = [rid for rid in mine if self.reservations[rid]["status"] == "reserved"]
                if not chosen:
                    delivered = any(self.reservations[rid]["status"] == "delivered"
                                    for rid in mine)
                    reasons.add("already_delivered" if delivered else "no_reservation")
            else:
                chosen = list(dict.fromkeys(ids))
                for rid in chosen:
                    status = self.reservations[rid]["status"] if rid in mine else None
                    if status is None:
                        reasons.add("reservation_not_found")
                    elif status == "delivered":
                        reasons.add("already_delivered")
                    elif status == "cancelled":
                        reasons.add("reservation_cancelled")
                if not chosen:
                    reasons.add("no_reservation")
            # the allergen rule, as for a sale (issue 13, point 2)
            flags = set(STUDENTS[student_id].get("flags", []))
            if any(flags & set(ARTICLES[self.reservations[rid]["article_code"]]["allergens"])
                   for rid in chosen if rid in mine) and "allergen" not in confirm:
                reasons.add("allergen")
        result = self.attempt("pickup", reasons,
                              lambda: self.canteen.pickup(self.marie, uid, ids, confirm))
        if result is not None:
            self.record(result.entry, "pickup", student_id, [])
            assert sorted(i["reservation"] for i in result.delivered) == sorted(chosen)
            for rid in chosen:
                self.reservations[rid]["status"] = "delivered"
            rows = dict(self.store.conn.execute(
                "SELECT id, delivered_seq FROM reservations WHERE status = 'delivered'"))
            assert all(rows[rid] == result.entry.seq for rid in chosen)

    @precondition(lambda self: self.last_close[1] != self.today())
    @rule(supervisor=st.sampled_from([True, True, False]))
    def close_day(self, supervisor):
        """Z report (once a day: the refusal of a second close is checked right after)."""
        session = self.luc if supervisor else self.marie
        reasons = set() if supervisor else {"forbidden"}
        report = self.attempt("close_day", reasons, lambda: self.canteen.close_day(session))
        if report is not None:
            entry = journal.get(self.store.conn, report.close_seq)
            self.record(entry, "close", None, [])
            self.last_close = (entry.seq, entry.day)
            self.attempt("close_day", {"day_closed"}, lambda: self.canteen.close_day(self.luc))

    # -- rules: the world around it --------------------------------------------------------
    @rule(seconds=st.sampled_from(STEPS))
    def wait(self, seconds):
        self.clock.advance(seconds)

    @rule(to=st.sampled_from(["next_day", "before_midnight"]))
    def jump(self, to):
        local = self.clock.now().astimezone(BRUSSELS)
        if to == "next_day":
            self.clock.advance(days=1)
        else:
            target = datetime.combine(local.date(), datetime.max.time().replace(microsecond=0),
                                      BRUSSELS) - timedelta(seconds=1)   # 23:59:58
            if target > local:
                self.clock.advance((target - local).total_seconds())

    @rule(data=st.data())
    def server_balances(self, data):
        """A sync pull: for some wallets, the server's balance including this terminal's
        entries up to some k (never going back), other terminals' sales and top-ups."""
        chosen = data.draw(st.lists(st.sampled_from(sorted(self.wallets)), min_size=1,
                                    max_size=3, unique=True), label="wallets")
        records = []
        for wallet_id in chosen:
            w = self.wallets[wallet_id]
            k = data.draw(st.integers(w["included"], self.last_seq), label=f"{wallet_id} included")
            w["other"] += data.draw(st.sampled_from([0, 0, 0, 500, 2000, -150]),
                                    label=f"{wallet_id} top-up")
            w["included"] = k
            w["server"] = w["initial"] + w["other"] + sum(
                c for s, wid, c in self.postings if wid == wallet_id and s <= k)
            records.append({**WALLET_RECORDS[wallet_id], "balance_cents": w["server"],
                            "included_seq": k})
        importer.apply(self.store, importer.parse({"wallets": records}), self.clock.now())
        self.last_pull = self.clock.now()

    @rule(data=st.data())
    def server_reservations(self, data):
        """A sync pull bringing today's reservations: new ones, or known ones sent again
        (reserved or cancelled: a reservation delivered here stays delivered)."""
        today = self.today()
        known = sorted(rid for rid, r in self.reservations.items() if r["day"] == today)
        students = sorted({b[0] for b in self.badges.values()})
        new = data.draw(st.lists(st.tuples(st.sampled_from(students),
                                           st.sampled_from(SANDWICHES), st.integers(1, 2)),
                                 max_size=3), label="new")
        again = data.draw(st.lists(st.tuples(st.sampled_from(known),
                                             st.sampled_from(["reserved", "cancelled"])),
                                   max_size=2, unique_by=lambda t: t[0])
                          if known else st.just([]), label="again")
        records = []
        for student_id, article, qty in new:
            rid = f"R{today.replace('-', '')}-{student_id}-n{len(self.reservations)}"
            r = dict(id=rid, day=today, student_id=student_id, article_code=article,
                     quantity=qty, status="reserved")
            self.reservations[rid] = dict(r)
            records.append(r)
        for rid, status in again:
            r = self.reservations[rid]
            records.append({**{k: r[k] for k in ("id", "day", "student_id", "article_code",
                                                  "quantity")}, "status": status})
            if r["status"] != "delivered":
                r["status"] = status
        importer.apply(self.store, importer.parse({"reservations": records}), self.clock.now())
        self.last_pull = self.clock.now()

    # -- invariants ------------------------------------------------------------------------
    @invariant()
    def displayed_balance_is_server_balance_plus_own_later_entries(self):
        seen = set()
        for student_id in STUDENTS:
            for w in self.canteen.wallets_of(student_id):
                seen.add(w.id)
                m = self.wallets[w.id]
                assert (w.server_balance_cents, w.included_seq) == (m["server"], m["included"])
                assert w.balance_cents == self.displayed(w.id), (
                    w.id, w.balance_cents, self.displayed(w.id))
        assert seen == set(self.wallets)
        # What a badge tap shows is the same figure (one badge per step, in turn: identify
        # is the same query as above, checking them all each step costs a third of the run).
        self.turn += 1
        uid = GOOD_UIDS[self.turn % len(GOOD_UIDS)]
        student_id = self.badges[uid][0]
        shown = {w.id: w.balance_cents for w in self.canteen.identify(uid).wallets}
        assert shown == {w: self.displayed(w) for w in self.student_wallets(student_id)}

    @invariant()
    def journal_contiguous_and_chain_valid(self):
        conn = self.store.conn
        seqs = [r[0] for r in conn.execute("SELECT seq FROM journal ORDER BY seq")]
        assert seqs == list(range(1, self.last_seq + 1))
        report = journal.verify(conn)
        assert report.ok, (report.bad_seq, report.reason)
        assert report.last_seq == self.last_seq and report.checked == self.last_seq

    @invariant()
    def postings_match_journal_and_model(self):
        conn = self.store.conn
        total_journal = conn.execute(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM journal").fetchone()[0]
        rows = sorted(conn.execute("SELECT seq, wallet_id, amount_cents FROM postings"))
        assert total_journal == sum(c for _, _, c in rows)
        assert rows == sorted(self.postings)

    @invariant()
    def reservations_match_model(self):
        rows = dict(self.store.conn.execute("SELECT id, status FROM reservations"))
        assert rows == {rid: r["status"] for rid, r in self.reservations.items()}


CounterMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=50, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow])
TestCounterProperties = CounterMachine.TestCase
