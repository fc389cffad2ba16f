"""What one badge tap does at a paying screen, run on the worker thread: the charge itself,
one counter-service call that identifies the badge in the sale's own transaction. A refusal
made once the badge is known carries its holder (``error.student``), so the name and photo
show with the reason at no extra cost. The screen gets one ``TapOutcome`` and only shows it.

>>> from kiosk.demo.store import demo_service
>>> service, session = demo_service()
>>> out = charge(service, "04112233445566", lambda confirm: service.sell(session,
...              "04112233445566", {"SOUP": 1}, confirm))
>>> out.student.first_name, out.error.code, out.error.params["missing_cents"]
('Noah', 'insufficient_balance', 100)
>>> charge(service, "05000000", lambda confirm: service.sell(session, "05000000",
...        {"SOUP": 1}, confirm)).student is None
True
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from kiosk.by_name import Who
from kiosk.counter import CounterService, SaleResult
from kiosk.holders import Identity, Student
from kiosk.operators import Session
from sync.common.errors import AuthError, ComptoirError, Refusal

# What a paying screen charges a badge with: (service, session, uid, confirmations) -> the sale.
# The "uid" may be a student found by name (``kiosk.by_name.Lookup``): charged the same way.
PayCall = Callable[[CounterService, Session, Who, tuple], SaleResult]


class TapOutcome(NamedTuple):
    uid: Who
    result: SaleResult | None       # the sale, when it went through
    error: ComptoirError | None     # Refusal, NeedsConfirmation, AuthError or StoreError
    sale_seconds: float             # time spent in the counter service's sale call

    @property
    def student(self) -> Student | None:
        """Who it was: the sale's student, or the refused badge's holder when it is known
        (None for an unknown or blocked badge)."""
        if self.result is not None:
            return self.result.student
        return getattr(self.error, "student", None)


def charge(service: CounterService, uid: Who, pay: Callable[[tuple], SaleResult],
           confirm: Iterable[str] = ()) -> TapOutcome:
    """``pay(confirm)`` is the counter-service call (sell, photocopies) for this badge."""
    started = time.perf_counter()
    try:
        result = pay(tuple(confirm))
    except ComptoirError as e:
        return TapOutcome(uid, None, e, time.perf_counter() - started)
    return TapOutcome(uid, result, None, time.perf_counter() - started)


def identify(service: CounterService, uid: str) -> tuple[Identity | None, ComptoirError | None]:
    """Who holds the badge (balance and pickup screens), or why not."""
    try:
        return service.identify(uid), None
    except (Refusal, AuthError) as e:
        return None, e
