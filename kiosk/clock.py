"""Time in one place: wall-clock instants are aware UTC datetimes; the business day is the
date in the terminal's time zone (Europe/Brussels unless configured). Tests pass a
``ManualClock`` to move time without sleeping."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **kwargs) -> datetime:
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now


def business_day(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def iso_utc(instant: datetime) -> str:
    """Journal timestamp: UTC, microseconds, 'Z' suffix (stable text for hashing)."""
    return instant.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_iso_utc(text: str) -> datetime:
    # fromisoformat (3.11 reads the 'Z') is ~20x faster than strptime: it is on the sale path.
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {text!r}")
    return instant
