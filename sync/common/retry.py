"""Retrying with backoff, written once: the pause after each failure in a row grows from
``base`` by ``factor`` up to ``cap``, optionally spread by ``jitter`` (so that a school's
terminals do not all come back at the same second), and a success starts again from ``base``.

The sync agent's loop (``sync.agent``: 1 s to 5 min, jitter ±50 %) and the print worker
(``kiosk.print_worker``: 1 s to 30 s, no jitter) both use it. It only computes pauses: the
caller waits (on its own event, its own clock), which keeps it pure and testable.

>>> b = Backoff(base=1.0, factor=2.0, cap=30.0)
>>> [b.failed() for _ in range(7)]
[1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
>>> b.failures
7
>>> b.succeeded()
>>> b.failed()
1.0

With jitter, the pause is spread around the same curve by the random source given:

>>> class Fixed:                       # a fake random source: always the top of the range
...     def uniform(self, low, high):
...         return high
>>> jittery = Backoff(base=1.0, cap=300.0, jitter=0.5, rng=Fixed())
>>> jittery.failed(), jittery.failed()
(1.5, 3.0)
"""
from __future__ import annotations

import random as _random
from typing import Protocol


class RandomSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


class Backoff:
    """A backoff policy and its count of failures in a row.

    ``jitter`` is a fraction: the pause is multiplied by a number drawn uniformly in
    ``[1 - jitter, 1 + jitter]`` from ``rng`` (``random`` by default)."""

    def __init__(self, base: float = 1.0, factor: float = 2.0, cap: float = 300.0,
                 jitter: float = 0.0, rng: RandomSource | None = None):
        if base <= 0 or factor < 1 or cap < base or not 0 <= jitter < 1:
            raise ValueError("backoff: need 0 < base <= cap, factor >= 1, 0 <= jitter < 1")
        self.base, self.factor, self.cap, self.jitter = base, factor, cap, jitter
        self.rng: RandomSource = rng if rng is not None else _random.Random()
        self.failures = 0

    def delay(self, failures: int) -> float:
        """The pause, before jitter, after ``failures`` failures in a row (0 after none)."""
        if failures <= 0:
            return 0.0
        # capped before it can overflow: factor ** failures grows without bound
        pause = self.base
        for _ in range(failures - 1):
            pause *= self.factor
            if pause >= self.cap:
                return self.cap
        return min(self.cap, pause)

    def failed(self) -> float:
        """Count one more failure; returns how long to wait before the next attempt."""
        self.failures += 1
        pause = self.delay(self.failures)
        if self.jitter:
            pause *= self.rng.uniform(1 - self.jitter, 1 + self.jitter)
        return pause

    def succeeded(self) -> None:
        """It worked: the next failure waits ``base`` again."""
        self.failures = 0
