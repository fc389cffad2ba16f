"""Cash top-up at the reception desk ("rechargement interne"): a supervisor takes cash from
a student or a parent and credits the student's wallet.

It is a journal entry of its own kind, ``cash_topup``: one posting crediting the wallet, and
``cash_cents`` (the cash taken into the drawer) in its body. The credit shows at this counter
at once (the balance shown adds this terminal's entries the platform has not applied); the
sync agent pushes the entry with the rest of the journal and the platform credits the
wallet when it applies it, exactly once (``sync.server.push``: idempotent on the entry's
seq). A receipt is always printed (the family's proof of payment), and the day's cash is in
this terminal's X and Z reports (``kiosk.reports``). The parents' daily limit does not
count it as spending (``kiosk.holders``).

A platform older than this kind refuses the push (``invalid``: "unknown kind") and keeps
nothing of it: the entry waits on the terminal until the platform is updated.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from kiosk import by_name, journal, print_jobs
from kiosk.clock_guard import ClockGuard
from kiosk.holders import Student, Wallet
from kiosk.operators import Session
from kiosk.store import Store
from sync.common.clock import BusinessDay, iso_utc
from sync.common.errors import Refusal

KIND = "cash_topup"
MAX_CASH_CENTS = 100_000        # 1 000 € in cash at a school desk: beyond, a typing error


class CashTopup(NamedTuple):
    entry: journal.Entry
    student: Student
    wallet: Wallet              # its balance as the counter shows it after the top-up
    amount_cents: int


def take_cash(store: Store, session: Session, who: by_name.Who, amount_cents: int,
              now: datetime, day: BusinessDay, guard: ClockGuard | None = None, *,
              student_id: str | None = None, wallet_id: str | None = None) -> CashTopup:
    """Credit ``amount_cents`` of cash to the wallet of the student behind ``who`` (a badge's
    UID), or ``student_id`` (the supervisor knows who stands at the desk); the student's
    default wallet unless ``wallet_id``. Supervisor or admin only; refused on a closed day."""
    session.require("cash_topup")
    store.health.raise_if_bad()
    if type(amount_cents) is not int or not 0 < amount_cents <= MAX_CASH_CENTS:
        raise Refusal("bad_cash_amount", max_cents=MAX_CASH_CENTS)
    if student_id is not None:
        who = by_name.Lookup(student_id, session.operator_id, session.name)
    who = by_name.normalise(who)
    today = day.of(now)
    with store.write() as conn:
        state, holder = by_name.state_and_holder(conn, who, today)
        wallets = holder.wallets
        if not wallets:
            raise Refusal("no_wallet")
        wallet = next((w for w in wallets if w.id == wallet_id), None) if wallet_id else \
            next((w for w in wallets if w.is_default), wallets[0])
        if wallet is None:
            raise Refusal("unknown_wallet", wallet=wallet_id)
        entry = journal.append(conn, head=state.head, device_id=store.device_id, kind=KIND,
                               ts=iso_utc(now), day=today, guard=guard,
                               operator_id=session.operator_id, student_id=holder.student.id,
                               postings=[(wallet.id, amount_cents)],
                               details={"cash_cents": amount_cents})
        print_jobs.enqueue(conn, "receipt", now, entry.seq)
    return CashTopup(entry, holder.student, wallet.debited(-amount_cents), amount_cents)
