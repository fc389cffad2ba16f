"""Time in one place: wall-clock instants are aware UTC datetimes; the business day is the
date in the school's time zone (``DEFAULT_TIMEZONE`` unless the terminal's configuration or
the platform's school settings say another). Tests pass a ``ManualClock`` to move time
without sleeping."""
from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Brussels"     # a school that says nothing else counts its days here
_ELAPSED = getattr(_time, "CLOCK_BOOTTIME", _time.CLOCK_MONOTONIC)


class Clock(Protocol):
    """What the counter and the agent ask of a clock (``SystemClock``, ``ManualClock``)."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        """Seconds elapsed, whatever is done to the wall clock (``kiosk.clock_guard``
        compares the two to see the wall clock set back or leap forward). On Linux the time
        asleep counts too (``CLOCK_BOOTTIME``): a machine woken from suspend did not jump."""
        return _time.clock_gettime(_ELAPSED)


class ManualClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)
        self._elapsed = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Time passes: the wall clock and the elapsed time move together."""
        step = timedelta(seconds=seconds, **kwargs)
        self._now += step
        self._elapsed += step.total_seconds()
        return self._now

    def jump(self, seconds: float = 0, **kwargs: float) -> datetime:
        """The wall clock is set (by hand, by NTP, a board without a clock battery at boot):
        what it shows moves (negative: back), the time elapsed does not.

        >>> clock = ManualClock(datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc))
        >>> clock.jump(hours=-1).hour, clock.monotonic()
        (10, 0.0)
        """
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now


def business_day(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


class BusinessDay:
    """``business_day(instant, tz).isoformat()``, remembered from one local midnight to the
    next: every tap asks for it, and a time zone conversion costs more than two comparisons.

    >>> from zoneinfo import ZoneInfo
    >>> day = BusinessDay(ZoneInfo("Europe/Brussels"))
    >>> day.of(datetime(2026, 3, 28, 22, 59, tzinfo=timezone.utc))    # 23:59 in Brussels
    '2026-03-28'
    >>> day.of(datetime(2026, 3, 28, 23, 0, tzinfo=timezone.utc))     # midnight
    '2026-03-29'
    """

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self._span: tuple[datetime, datetime, str] | None = None   # [start, end) in UTC, day

    def of(self, instant: datetime) -> str:
        span = self._span          # one read: another thread may replace it meanwhile
        if span is not None and span[0] <= instant < span[1]:
            return span[2]
        day = business_day(instant, self.tz)
        start = datetime.combine(day, time(0), self.tz).astimezone(timezone.utc)
        end = datetime.combine(day + timedelta(days=1), time(0), self.tz).astimezone(timezone.utc)
        text = day.isoformat()
        self._span = (start, end, text)
        return text


def iso_utc(instant: datetime) -> str:
    """Journal timestamp: UTC, microseconds, 'Z' suffix (stable text for hashing)."""
    return instant.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_iso_utc(text: str) -> datetime:
    # fromisoformat (3.11 reads the 'Z') is ~20x faster than strptime: it is on the sale path.
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {text!r}")
    return instant


def local_time(ts: str, tz: ZoneInfo) -> str:
    """A journal timestamp (UTC) as the school's local time, ISO 8601 with its offset; text
    that is no timestamp is given back as it is (a report shows it rather than failing).

    >>> local_time("2026-07-01T10:00:00.000000Z", ZoneInfo("Europe/Brussels"))
    '2026-07-01T12:00:00+02:00'
    >>> local_time("2026-11-24T11:06:00.000000Z", ZoneInfo("Asia/Tokyo"))
    '2026-11-24T20:06:00+09:00'
    >>> local_time("not a time", ZoneInfo("Europe/Brussels"))
    'not a time'
    """
    try:
        return parse_iso_utc(ts).astimezone(tz).isoformat(timespec="seconds")
    except ValueError:
        return ts
