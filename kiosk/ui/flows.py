"""What one badge tap does at a paying screen, run on the worker thread: who it is (for the
photo and the name, even when the sale is refused), then the charge itself. The screen gets
one ``TapOutcome`` and only shows it.

>>> from kiosk.demo import demo_service
>>> service, session = demo_service()
>>> out = charge(service, "04112233445566", lambda confirm: service.sell(session,
...              "04112233445566", {"SOUP": 1}, confirm))
>>> out.identity.student.first_name, out.error.code, out.error.params["missing_cents"]
('Noah', 'insufficient_balance', 100)
"""
from __future__ import annotations

import time
from typing import Callable, NamedTuple

from kiosk.counter import Identity, SaleResult
from kiosk.errors import AuthError, ComptoirError, Refusal


class TapOutcome(NamedTuple):
    uid: str
    identity: Identity | None       # None: the badge itself was refused (unknown, blocked...)
    result: SaleResult | None       # the sale, when it went through
    error: ComptoirError | None     # Refusal, NeedsConfirmation, AuthError or StoreError
    sale_seconds: float             # time spent in the counter service's sale call

    @property
    def student(self):
        if self.result is not None:
            return self.result.student
        return self.identity.student if self.identity else None


def charge(service, uid: str, pay: Callable[[tuple], SaleResult], confirm=()) -> TapOutcome:
    """``pay(confirm)`` is the counter-service call (sell, photocopies) for this badge."""
    try:
        identity = service.identify(uid)
    except Refusal as e:
        return TapOutcome(uid, None, None, e, 0.0)
    started = time.perf_counter()
    try:
        result = pay(tuple(confirm))
    except ComptoirError as e:
        return TapOutcome(uid, identity, None, e, time.perf_counter() - started)
    return TapOutcome(uid, identity, result, None, time.perf_counter() - started)


def identify(service, uid: str) -> tuple[Identity | None, ComptoirError | None]:
    """Who holds the badge (balance and pickup screens), or why not."""
    try:
        return service.identify(uid), None
    except (Refusal, AuthError) as e:
        return None, e
