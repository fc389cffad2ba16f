"""Time that goes backwards (or leaps forwards) is flagged, never hidden.

The journal's order is its ``seq``: reports, the chain and the platform trust that order, not
the timestamps. Each entry keeps its wall-clock time as the clock gave it (``ts``), even when
that clock was wrong. What this module adds is the record of the clock's jumps: the first
entry made after one carries, in its hashed body,

    "clock_jump": {"seconds": -3600, "prev_ts": "2026-11-24T11:30:00.000000Z"}

``seconds`` is how far the wall clock moved against the time that really elapsed (negative:
set back), as this process measured it (``Clock.monotonic()``); when it could not (the jump
happened while no counter ran, or in another process), it is how far this entry's time is
before the previous entry's (``prev_ts``). A field in the next entry's body rather than an
entry of its own: the chain, the seq numbering and the push are unchanged, and a platform one
release older stores the body as it is (it keeps unknown fields), so nothing waits for an
upgrade. Reports (``kiosk.reports``), the terminal's status and the X/Z slips show them.

>>> from datetime import datetime, timezone
>>> from sync.common.clock import ManualClock
>>> clock = ManualClock(datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc))
>>> guard = ClockGuard(clock)
>>> _ = clock.advance(minutes=30)
>>> guard.measured()
0
>>> _ = clock.jump(hours=-1)
>>> guard.measured()
-3600
"""
from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from sync.common.clock import Clock, parse_iso_utc

FIELD = "clock_jump"
BACK_SECONDS = 60            # set back by more than this: flagged (NTP's small steps are not)
FORWARD_SECONDS = 15 * 60    # leapt forward by more than this: flagged


class ClockGuard:
    """Watches a clock against its own elapsed time (its ``monotonic()``: ``SystemClock``'s
    is the machine's, ``ManualClock``'s moves with ``advance`` and not with ``jump``). A clock
    without one (e.g. the demo walk's) is watched only through the journal's order."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self._monotonic: Callable[[], float] | None = getattr(clock, "monotonic", None)
        self._lock = threading.Lock()
        self._base = self._reading()

    def _reading(self) -> tuple[datetime, float] | None:
        if self._monotonic is None:
            return None
        return self.clock.now(), self._monotonic()

    def measured(self) -> int:
        """Seconds the wall clock jumped since the last entry this guard stamped (or since it
        was made): 0 when within the bounds (``BACK_SECONDS``, ``FORWARD_SECONDS``)."""
        with self._lock:
            return _significant(self._drift(self._reading()))

    def _drift(self, now: tuple[datetime, float] | None) -> float:
        if now is None or self._base is None:
            return 0.0
        (wall0, mono0), (wall, mono) = self._base, now
        return (wall - wall0).total_seconds() - (mono - mono0)

    def take(self) -> int:
        """``measured()``, and start measuring again from now (an entry is being stamped)."""
        with self._lock:
            now = self._reading()
            seconds = _significant(self._drift(now))
            self._base = now
            return seconds


def _significant(drift: float) -> int:
    return round(drift) if drift < -BACK_SECONDS or drift > FORWARD_SECONDS else 0


def stamp(conn: sqlite3.Connection, prev_seq: int, ts: str, guard: ClockGuard | None) -> dict | None:
    """The ``clock_jump`` field for a new entry timestamped ``ts`` that follows entry
    ``prev_seq`` (inside the append's transaction), or None when time went on as it should."""
    measured = guard.take() if guard is not None else 0
    row = conn.execute("SELECT ts FROM journal WHERE seq = ?", (prev_seq,)).fetchone() if prev_seq else None
    prev_ts = row[0] if row else None
    behind = 0          # this entry's time before the previous one's: by how much (< 0)
    if prev_ts is not None:
        try:
            gap = (parse_iso_utc(ts) - parse_iso_utc(prev_ts)).total_seconds()
        except ValueError:          # a timestamp that is no time: the chain check names it
            gap = 0.0
        behind = math.floor(gap) if gap < 0 else 0
    seconds = measured or behind    # measured: the jump itself; behind: at least that much
    if not seconds:
        return None
    out: dict = {"seconds": seconds}
    if prev_ts is not None:
        out["prev_ts"] = prev_ts
    return out


class Jump(NamedTuple):
    seq: int          # the first entry after the jump (the one that carries it)
    ts: str           # that entry's time, as the clock gave it
    seconds: int      # negative: set back


_JUMPS_SQL = ("SELECT seq, ts, body ->> '$.clock_jump.seconds' FROM journal"
              " WHERE seq >= ? AND instr(body, '\"clock_jump\":') > 0 ORDER BY seq")


def jumps_since(conn: sqlite3.Connection, close_seq: int) -> list[Jump]:
    """The jumps recorded since the last Z (entry ``close_seq``), that Z's own included: a
    jump found as the day was closed is shown the next day, not lost."""
    return [Jump(seq, ts, int(seconds)) for seq, ts, seconds in conn.execute(_JUMPS_SQL, (close_seq,))
            if isinstance(seconds, int)]


def jump_of(data: dict) -> int | None:
    """The seconds an entry's body says the clock jumped just before it, or None."""
    jump = data.get(FIELD)
    if isinstance(jump, dict) and type(jump.get("seconds")) is int:
        return jump["seconds"]
    return None
