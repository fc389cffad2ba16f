"""What the reader tests share: a callback that records events and states, a wait, and the
``started`` fixture (import it into a test module to use it)."""
from __future__ import annotations

import threading
import time

import pytest


class Recorder:
    """Pass ``rec.event``, ``rec.state`` and ``rec.refusal`` to ``reader.start``; read
    ``uids`` / ``statuses`` / ``refused``."""

    def __init__(self) -> None:
        self.events = []
        self.statuses = []
        self.refused = []
        self._cond = threading.Condition()

    def event(self, event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def refusal(self, refused) -> None:
        with self._cond:
            self.refused.append(refused)
            self._cond.notify_all()

    def state(self, status) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    @property
    def uids(self) -> list[str]:
        with self._cond:
            return [e.uid for e in self.events]

    @property
    def last_state(self):
        """The last state reported, or a placeholder before the reader's thread reports one
        (a predicate must not fail on an empty list while the thread is starting)."""
        from drivers.badge.base import Status
        with self._cond:
            return self.statuses[-1] if self.statuses else Status(None, "no state yet")

    def wait(self, predicate, timeout: float, what: str = "") -> float:
        """Wait until ``predicate(self)`` holds; fail the test after ``timeout`` seconds.
        Returns how long it took."""
        start = time.monotonic()
        deadline = start + timeout
        with self._cond:
            # Re-checked every 20 ms too: a predicate may look at more than the recorder.
            while not predicate(self) and time.monotonic() < deadline:
                self._cond.wait(min(0.02, max(0.0, deadline - time.monotonic())))
            if not predicate(self):
                raise AssertionError(f"not within {timeout} s: {what or predicate}; "
                                     f"events {[e.uid for e in self.events]}, "
                                     f"states {self.statuses}")
        return time.monotonic() - start

    def wait_events(self, n: int, timeout: float) -> float:
        return self.wait(lambda r: len(r.events) >= n, timeout, f"{n} badge event(s)")


@pytest.fixture
def started():
    """``start(reader)`` starts it with a fresh Recorder and returns that; every reader
    started so is stopped at the end of the test."""
    readers = []

    def start(reader):
        rec = Recorder()
        reader.start(rec.event, rec.state, rec.refusal)
        readers.append(reader)
        return rec
    yield start
    for reader in readers:
        reader.stop()
