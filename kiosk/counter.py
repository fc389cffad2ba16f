"""The counter service: everything a counter does, for the touch UI and the CLI alike.

Each operation that writes is one ``Store.write()`` transaction: every rule is checked inside
it (so two processes selling at once see each other), and either the journal entry and its
effects are all committed, or a ``Refusal``/``NeedsConfirmation`` leaves nothing behind.

>>> from kiosk.demo.store import demo_service
>>> service, session = demo_service()          # a tiny in-temp-folder school, logged in
>>> service.sell(session, "04A1B2C3", {"SOUP": 1}).total_cents
100
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from kiosk import anchors, badges, by_name, diet, holders, journal, offline, operators, print_jobs, reports
from kiosk.backup import in_background as back_up_in_background
from kiosk.by_name import Who
from kiosk.cash_topups import CashTopup, take_cash
from kiosk.clock_guard import ClockGuard
from kiosk.config import TerminalConfig
from kiosk.holders import Identity, Student, Wallet
from kiosk.journal import Entry
from kiosk.operators import Session
from kiosk.store import Store
from sync.common.clock import BusinessDay, Clock, SystemClock, iso_utc, parse_iso_utc
from sync.common.errors import NeedsConfirmation, Refusal
from sync.common.uids import normalise_uid
from sync.common.wallets import paying_wallet

SPENDING_KINDS = ("sale", "photocopy")
_parse_cached = functools.lru_cache(maxsize=16)(parse_iso_utc)   # last_pull_at, per sale

# What a sale is asked for: article code -> quantity, or (code, quantity) pairs.
Cart = Mapping[str, int] | Iterable[tuple[str, int]]


class SaleResult(NamedTuple):
    entry: Entry
    student: Student
    lines: tuple[dict, ...]
    total_cents: int
    wallets: tuple[Wallet, ...]      # balances after the sale


class PickupResult(NamedTuple):
    entry: Entry
    student: Student
    delivered: tuple[dict, ...]


class VoidResult(NamedTuple):
    entry: Entry
    voided_seq: int
    credited_cents: int


@dataclass
class _Cart:
    lines: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line["total_cents"] for line in self.lines)


class CounterService:
    def __init__(self, store: Store, config: TerminalConfig | None = None,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.config = config or TerminalConfig()
        self.clock = clock or SystemClock()
        self.clock_guard = ClockGuard(self.clock)     # jumps recorded in the journal
        self._tz = self.config.tz
        self._day = BusinessDay(self._tz)
        self._stale_after = timedelta(minutes=self.config.policy.stale_after_minutes)
        self._monitor: threading.Thread | None = None
        self._stop_monitor = threading.Event()

    # -- operators ------------------------------------------------------------------------
    def login(self, name: str, pin: str) -> Session:
        return operators.login(self.store, name, pin, self.clock.now())

    def unlock_operator(self, session: Session, name: str) -> None:
        operators.unlock(self.store, name, session)

    # -- time and freshness ----------------------------------------------------------------
    def today(self) -> str:
        return self._day.of(self.clock.now())

    def is_stale(self, state: holders.State | None = None, now: datetime | None = None) -> bool:
        """No successful pull (or import) for ``stale_after_minutes``: the offline cap applies."""
        if state is None:
            with self.store.read() as conn:
                state = holders.read_state(conn)
        return self._stale_since(state.last_pull_at, now)

    def _stale_since(self, last_pull: str | None, now: datetime | None = None) -> bool:
        if last_pull is None:
            return True
        return (now or self.clock.now()) - _parse_cached(last_pull) > self._stale_after

    def day_closed(self) -> bool:
        """Has today been closed (Z report) on this terminal?"""
        with self.store.read() as conn:
            return holders.read_state(conn).close_day == self.today()

    # -- identify --------------------------------------------------------------------------
    def identify(self, uid: str) -> Identity:
        """Who holds this badge, their balances and today's reservations; or a ``Refusal``
        (unknown badge, blocked badge, no wallet)."""
        uid = normalise_uid(uid)
        now = self.clock.now()
        rows = self.store.fetch_all(holders.IDENTIFY_SQL, {"uid": uid, "day": self._day.of(now)})
        holder = holders.holder_of(rows)
        if not holder.wallets:
            raise Refusal("no_wallet")
        last_pull_at, reservations = rows[0][20], rows[0][21]
        return Identity(uid, holder.student, holder.wallets, holders.reservations_of(reservations),
                        self._stale_since(last_pull_at, now), holder.spent_today_cents)

    def recent_entries(self, student_id: str, limit: int = 5) -> list[Entry]:
        """The student's last purchases on this terminal (balance screen)."""
        with self.store.read() as conn:
            return list(journal.entries(
                conn, "seq IN (SELECT seq FROM journal WHERE student_id = ? AND kind IN"
                      " ('sale','photocopy','void','pickup') ORDER BY seq DESC LIMIT ?)",
                (student_id, limit)))[::-1]

    # -- selling ---------------------------------------------------------------------------
    def sell(self, session: Session, uid: Who, cart: Cart,
             confirm: Iterable[str] = ()) -> SaleResult:
        """Sell ``cart`` (article code → quantity) to the badge holder (or to a student found
        by name, ``uid`` a ``kiosk.by_name.Lookup``).

        Refusals (nothing debited): badge unknown/blocked/without wallet, day closed, unknown,
        inactive or not-sold-here article, parents' blocked article or category, daily limit,
        offline cap, insufficient balance (with the missing amount). Needs confirmation:
        ``double_tap`` (same badge within ``double_tap_seconds`` of a sale) and ``allergen``
        (an article contains one of the student's allergen/diet flags)."""
        return self._sell(session, uid, cart, set(confirm), kind="sale")

    def photocopies(self, session: Session, uid: Who, bw: int = 0, colour: int = 0,
                    confirm: Iterable[str] = ()) -> SaleResult:
        """Black-and-white and colour pages, priced from the article list."""
        pages = {}
        for code, count in ((self.config.photocopy.bw_article, bw),
                            (self.config.photocopy.colour_article, colour)):
            if not isinstance(count, int) or count < 0:
                raise Refusal("bad_quantity", article=code, quantity=count)
            if count:
                pages[code] = count
        return self._sell(session, uid, pages, set(confirm), kind="photocopy")

    def _sell(self, session: Session, uid: Who, cart: Cart, confirm: set[str],
              kind: str) -> SaleResult:
        session.require("sell")
        self.store.health.raise_if_bad()
        uid = by_name.normalise(uid)
        wanted = _merge_cart(cart)
        now = self.clock.now()
        today = self._day.of(now)
        with self.store.write() as conn:
            state, holder = by_name.state_and_holder(conn, uid, today)
            try:
                student, wallets = holder.student, holder.wallets
                if not wallets:
                    raise Refusal("no_wallet")
                confirmed = self._check_double_tap(holder.last_sale_ts, now, confirm)
                cart_ = self._price(conn, wanted, student, wallets)
                debits: dict[str, int] = {}
                for line in cart_.lines:
                    debits[line["wallet"]] = debits.get(line["wallet"], 0) + line["total_cents"]
                self._check_spending(holder, cart_.total, self.is_stale(state, now))
                for wallet in wallets:
                    if wallet.id not in debits:       # another wallet's state is not this sale's business
                        continue
                    available = wallet.balance_cents + self.config.policy.overdraft_limit_cents
                    if debits[wallet.id] > available:
                        raise Refusal("insufficient_balance", wallet=wallet.name,
                                      missing_cents=debits[wallet.id] - available,
                                      balance_cents=wallet.balance_cents)
                offline.check(conn, wallets, debits, now)     # platform out of reach: floor limit
                confirmed += self._check_allergens(cart_, student, confirm)
                entry = journal.append(
                    conn, head=state.head, device_id=self.store.device_id, kind=kind,
                    ts=iso_utc(now), day=today, guard=self.clock_guard,
                    operator_id=session.operator_id, student_id=student.id,
                    postings=[(w, -c) for w, c in sorted(debits.items())],
                    details={"lines": cart_.lines, **({"confirmed": confirmed} if confirmed else {}),
                             **by_name.details(uid)})
            except (Refusal, NeedsConfirmation) as e:
                # Refused once the badge is known: the error names its holder, so the counter
                # shows who it was (name, photo) from this one call.
                e.student = holder.student
                raise
            after = tuple(w.debited(debits.get(w.id, 0)) for w in wallets)
            if self.config.printing.receipt == "always":
                # the balances the counter shows now, for the receipt printed later
                self._enqueue_print(conn, "receipt", entry.seq, now, {"balances": [
                    [w.id, w.balance_cents] for w in after if w.id in debits]})
        return SaleResult(entry, student, tuple(cart_.lines), cart_.total, after)

    def _price(self, conn: sqlite3.Connection, wanted: dict[str, int], student: Student,
               wallets: tuple[Wallet, ...]) -> _Cart:
        cart = _Cart()
        profile = self.config.terminal.profile
        for code, qty in wanted.items():
            row = conn.execute(
                "SELECT a.name_fr, a.price_cents, a.category, a.allergens, a.profiles, a.active,"
                " c.wallet_kind, c.name FROM articles a LEFT JOIN categories c ON c.code = a.category"
                " WHERE a.code = ?", (code,)).fetchone()
            if row is None:
                raise Refusal("unknown_article", article=code)
            name, price, category, allergens, profiles, active, wallet_kind, category_name = row
            if not active:
                raise Refusal("article_inactive", article=name, code=code)
            if profile not in holders.json_list(profiles):
                raise Refusal("article_not_sold_here", article=name, code=code)
            if code in student.blocked_articles:
                raise Refusal("article_blocked", article=name, code=code)
            if category in student.blocked_categories:
                raise Refusal("category_blocked", article=name, code=code,
                              category=category_name or category, category_code=category)
            line = {"article": code, "name": name, "qty": qty, "unit_cents": price,
                    "total_cents": qty * price, "wallet": paying_wallet(wallets, wallet_kind).id}
            if allergens != "[]":        # recorded with the sale only when there are some
                line["allergens"] = holders.json_list(allergens)
            cart.lines.append(line)
        return cart

    def _check_spending(self, holder: holders.Holder, total: int, stale: bool) -> None:
        limit, spent = holder.student.daily_limit_cents, holder.spent_today_cents
        if limit is not None and spent + total > limit:
            raise Refusal("daily_limit", limit_cents=limit, spent_cents=spent)
        cap = self.config.policy.offline_daily_cap_cents
        if stale and spent + total > cap:
            raise Refusal("offline_cap", cap_cents=cap, spent_cents=spent)

    # The two checks below return the confirmations that were needed and given (they are
    # recorded in the entry), or raise NeedsConfirmation.
    def _check_double_tap(self, last_sale_ts: str | None, now: datetime,
                          confirm: Collection[str]) -> list[str]:
        if last_sale_ts:
            ago = (now - parse_iso_utc(last_sale_ts)).total_seconds()
            if 0 <= ago < self.config.policy.double_tap_seconds:
                if "double_tap" not in confirm:
                    raise NeedsConfirmation("double_tap", seconds=max(1, round(ago)))
                return ["double_tap"]
        return []

    def _check_allergens(self, cart: _Cart, student: Student,
                         confirm: Collection[str]) -> list[str]:
        return diet.confirmations(self.config.policy.allergen_policy, student,
                                  ((line["name"], line.get("allergens", ())) for line in cart.lines),
                                  confirm, {line["name"]: line["article"] for line in cart.lines})

    # -- reservations ----------------------------------------------------------------------
    def pickup(self, session: Session, uid: Who, reservation_ids: Iterable[str] | None = None,
               confirm: Iterable[str] = ()) -> PickupResult:
        """Deliver today's reserved items (all of them, or the ones named). Already paid at
        reservation time: the entry moves no money. A second pickup is refused with when and
        where the first one happened. The allergen rule applies as for a sale."""
        session.require("pickup")
        self.store.health.raise_if_bad()
        uid = by_name.normalise(uid)
        now = self.clock.now()
        today = self._day.of(now)
        with self.store.write() as conn:
            state, holder = by_name.state_and_holder(conn, uid, today)
            student = holder.student
            todays = {r["id"]: r for r in self._reservations(conn, student.id, today)}
            if reservation_ids is None:
                chosen = [r for r in todays.values() if r["status"] == "reserved"]
                if not chosen:
                    done = [r for r in todays.values() if r["status"] == "delivered"]
                    if done:
                        raise Refusal("already_delivered", when=self._local_time(done[0]["delivered_at"]),
                                      where=done[0]["delivered_where"])
                    raise Refusal("no_reservation")
            else:
                chosen = []
                for rid in dict.fromkeys(reservation_ids):
                    r = todays.get(rid)
                    if r is None:
                        raise Refusal("reservation_not_found", reservation=rid)
                    if r["status"] == "delivered":
                        raise Refusal("already_delivered", when=self._local_time(r["delivered_at"]),
                                      where=r["delivered_where"])
                    if r["status"] == "cancelled":
                        raise Refusal("reservation_cancelled")
                    chosen.append(r)
                if not chosen:
                    raise Refusal("no_reservation")
            items = [{"reservation": r["id"], "article": r["article"], "name": r["name"],
                      "qty": r["quantity"]} for r in chosen]
            try:
                confirmed = diet.pickup_confirmations(conn, self.config.policy.allergen_policy,
                                                      student, items, set(confirm))
            except (Refusal, NeedsConfirmation) as e:
                e.student = student
                raise
            details = {"items": items, **({"confirmed": confirmed} if confirmed else {}),
                       **by_name.details(uid)}
            entry = journal.append(conn, head=state.head, device_id=self.store.device_id,
                                   kind="pickup", ts=iso_utc(now), day=today, guard=self.clock_guard,
                                   operator_id=session.operator_id,
                                   student_id=student.id, details=details)
            conn.executemany(
                "UPDATE reservations SET status = 'delivered', delivered_at = ?, delivered_where = ?,"
                " delivered_seq = ? WHERE id = ?",
                [(entry.ts, self.config.terminal.name, entry.seq, r["id"]) for r in chosen])
        return PickupResult(entry, student, tuple(items))

    def reservations_of_day(self, day: str | None = None) -> list[dict]:
        """All reservations of a day with student and article names (pick list, pickup screen)."""
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT r.id, r.student_id, s.first_name, s.last_name, s.class_name, r.article_code,"
                " COALESCE(a.name_fr, r.article_code), r.quantity, r.status, r.delivered_at,"
                " r.delivered_where FROM reservations r LEFT JOIN students s ON s.id = r.student_id"
                " LEFT JOIN articles a ON a.code = r.article_code WHERE r.day = ?"
                " ORDER BY s.class_name, s.last_name, s.first_name", (day or self.today(),))
            keys = ("id", "student_id", "first_name", "last_name", "class_name", "article", "name",
                    "quantity", "status", "delivered_at", "delivered_where")
            return [dict(zip(keys, row)) for row in rows]

    # -- voids -----------------------------------------------------------------------------
    def void(self, session: Session, seq: int, reason: str = "") -> VoidResult:
        """Void a sale or photocopy of today (supervisor or admin, once): a new entry that
        credits back exactly what the original debited."""
        session.require("void")
        self.store.health.raise_if_bad()
        now = self.clock.now()
        today = self._day.of(now)
        with self.store.write() as conn:
            original = journal.get(conn, seq)
            if original is None:
                raise Refusal("void_not_found", seq=seq)
            if original.kind not in SPENDING_KINDS:
                raise Refusal("void_wrong_kind", seq=seq, kind=original.kind)
            if original.day != today:
                raise Refusal("void_not_today", seq=seq, day=original.day)
            state = holders.read_state(conn)
            if seq <= state.close_seq:
                raise Refusal("void_closed", seq=seq)
            done = conn.execute("SELECT seq FROM journal WHERE ref_seq = ? AND kind = 'void'",
                                (seq,)).fetchone()
            if done:
                raise Refusal("already_voided", seq=seq, void_seq=done[0])
            credits = [(p["wallet"], -p["amount_cents"]) for p in original.data["postings"]]
            entry = journal.append(
                conn, head=state.head, device_id=self.store.device_id, kind="void",
                ts=iso_utc(now), day=today, guard=self.clock_guard,
                operator_id=session.operator_id, student_id=original.student_id,
                postings=credits, ref_seq=seq,
                details={"lines": original.data.get("lines", []), "reason": reason})
            if self.config.printing.receipt == "always":
                self._enqueue_print(conn, "void", entry.seq, now)
        return VoidResult(entry, seq, entry.amount_cents)

    # -- reports ---------------------------------------------------------------------------
    def report_x(self, session: Session) -> reports.Report:
        """Running totals since the last day close; writes nothing."""
        session.require("report_x")
        with self.store.read() as conn:
            close_seq = holders.read_state(conn).close_seq
            return reports.build(conn, "X", close_seq, self.today(), self.clock.now())

    def close_day(self, session: Session) -> reports.Report:
        """Z report: totals since the last close, recorded as a ``close`` journal entry. After
        it, this terminal sells nothing more today and today's sales can no longer be voided."""
        session.require("close_day")
        self.store.health.raise_if_bad()
        now = self.clock.now()
        today = self._day.of(now)
        with self.store.write() as conn:
            state = holders.read_state(conn)
            holders.refuse_if_closed(state, today)
            report = reports.build(conn, "Z", state.close_seq, today, now)
            entry = journal.append(conn, head=state.head, device_id=self.store.device_id,
                                   kind="close", ts=iso_utc(now), day=today, guard=self.clock_guard,
                                   operator_id=session.operator_id,
                                   details={"report": report.summary()})
            self._enqueue_print(conn, "z_report", entry.seq, now)
            anchors.record_close(conn, entry.seq, entry.hash)   # the journal must keep it
        report.close_seq = entry.seq
        # the day's sales backed up (kiosk.backup), on a thread of its own: nothing waits
        back_up_in_background(self.store.path, self.config, self.clock)
        return report

    # -- badges and printing ---------------------------------------------------------------
    def block_badge(self, session: Session, uid: str) -> badges.BadgeChange:
        """A lost badge: refused here at once, everywhere once synced (``kiosk.badges``)."""
        return badges.set_status(self.store, session, uid, True, self.clock.now(), self._day,
                                 self.clock_guard)

    def unblock_badge(self, session: Session, uid: str) -> badges.BadgeChange:
        """A found badge works again: here at once, everywhere once synced."""
        return badges.set_status(self.store, session, uid, False, self.clock.now(), self._day,
                                 self.clock_guard)

    def cash_topup(self, session: Session, who: Who, amount_cents: int,
                   **which: str | None) -> CashTopup:
        """Cash taken at the desk, credited to a wallet (``kiosk.cash_topups``)."""
        return take_cash(self.store, session, who, amount_cents, self.clock.now(), self._day,
                         self.clock_guard, **which)

    def request_receipt(self, seq: int, kind: str = "receipt") -> int:
        """Queue a (re)print of entry ``seq``; the printer worker does the rest."""
        with self.store.write() as conn:
            if journal.get(conn, seq) is None:
                raise Refusal("void_not_found", seq=seq)
            return self._enqueue_print(conn, kind, seq, self.clock.now())

    def request_list(self, kind: str, day: str | None = None) -> int:
        """Queue a printed list of a day's reservations: ``pick_list`` (everything to prepare)
        or ``uncollected_list`` (reserved, not picked up yet)."""
        return print_jobs.enqueue_list(self.store, day or self.today(), self.clock.now(), kind)

    @staticmethod
    def _enqueue_print(conn: sqlite3.Connection, kind: str, seq: int, now: datetime,
                       payload: dict | None = None) -> int:
        """One row in the print queue, in the caller's transaction: the printer worker
        (``kiosk.print_worker``) prints it; a sale never waits for the printer."""
        return print_jobs.enqueue(conn, kind, now, seq, payload)

    # -- integrity monitor -----------------------------------------------------------------
    def start_integrity_monitor(self) -> None:
        """Re-check the store in a background thread (``kiosk.integrity``: the chain every
        ``integrity_check_minutes``, SQLite's pages nightly). A failure blocks sales."""
        if self._monitor:
            return
        from kiosk.integrity import monitor
        args = (self.store, self.clock, self._tz, self.config.policy.integrity_check_minutes * 60,
                self._stop_monitor)
        self._monitor = threading.Thread(target=monitor, args=args, name="integrity-monitor", daemon=True)
        self._monitor.start()

    def stop_integrity_monitor(self) -> None:
        self._stop_monitor.set()
        if self._monitor:
            self._monitor.join(timeout=5)
            self._monitor = None

    # -- lookups ---------------------------------------------------------------------------
    def wallets_of(self, student_id: str) -> tuple[Wallet, ...]:
        """A student's wallets with displayed balances (default wallet first)."""
        with self.store.read() as conn:
            rows = conn.execute(f"SELECT {holders.WALLET_COLUMNS} FROM wallets w WHERE w.student_id = ?",
                                (student_id,)).fetchall()
        return holders.wallets_of_rows(rows)

    def _reservations(self, conn: sqlite3.Connection, student_id: str, day: str) -> tuple[dict, ...]:
        text = conn.execute(f"SELECT {holders.RESERVATIONS_JSON.format(student=':student')}",
                            {"student": student_id, "day": day}).fetchone()[0]
        return holders.reservations_of(text)

    def _local_time(self, ts: str | None) -> str:
        if not ts:
            return "?"
        try:
            return parse_iso_utc(ts).astimezone(self._tz).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return ts


def _merge_cart(cart: Cart) -> dict[str, int]:
    items = cart.items() if isinstance(cart, Mapping) else cart
    merged: dict[str, int] = {}
    for code, qty in items:
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0 or qty > 999:
            raise Refusal("bad_quantity", article=code, quantity=qty)
        merged[str(code)] = merged.get(str(code), 0) + qty
    if not merged:
        raise Refusal("empty_cart")
    return merged
