"""Money, times and ages for people, in the screen's language (Babel), in the terminal's
time zone.

>>> from zoneinfo import ZoneInfo
>>> from datetime import datetime, timezone
>>> clock_time("2026-11-24T11:05:00.000000Z", ZoneInfo("Europe/Brussels"), "fr")
'12:05'
>>> ago("2026-11-24T11:00:00.000000Z", datetime(2026, 11, 24, 11, 3, tzinfo=timezone.utc), "fr")
'il y a 3 minutes'
>>> ago(None, datetime(2026, 11, 24, tzinfo=timezone.utc), "en")
'never'
>>> ago("2026-11-24T11:00:00.000000Z", datetime(2026, 11, 24, 11, 0, 40, tzinfo=timezone.utc), "fr")
"il y a moins d'une minute"
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, format_timedelta

from kiosk.ui.texts import tr
from sync.common.clock import parse_iso_utc
from sync.common.money import LOCALES, format_cents


def money(cents: int, lang: str) -> str:
    return format_cents(cents, lang)


def _instant(ts: str | datetime) -> datetime:
    return ts if isinstance(ts, datetime) else parse_iso_utc(ts)


def clock_time(ts: str | datetime, tz: ZoneInfo, lang: str) -> str:
    return format_time(_instant(ts), "HH:mm", tzinfo=tz, locale=LOCALES.get(lang, lang))


def day_and_time(ts: str | datetime, tz: ZoneInfo, lang: str) -> str:
    return format_datetime(_instant(ts), "short", tzinfo=tz, locale=LOCALES.get(lang, lang))


def long_day(day: str | date, lang: str) -> str:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(day, "full", locale=LOCALES.get(lang, lang))


def ago(ts: str | None, now: datetime, lang: str) -> str:
    """'il y a 3 minutes'; 'jamais' when there is no such time."""
    if not ts:
        return tr("never", lang)
    delta = _instant(ts) - now
    if abs(delta.total_seconds()) < 60:
        # by the minute: an age in seconds would redraw the status bar every second, and a
        # frame drawn then delays the answer to a badge tapped at that moment
        return tr("just_now", lang)
    return format_timedelta(delta, add_direction=True, threshold=1.0, locale=LOCALES.get(lang, lang))
