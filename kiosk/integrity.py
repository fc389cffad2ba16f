"""The integrity monitor: the store re-checked in the background while the terminal runs.

Every ``integrity_check_minutes`` (60) it checks the journal chain from its last verified
point (milliseconds). SQLite's page check (``PRAGMA quick_check``: every page of the file,
seconds on a big store) runs nightly instead: at the first round after 03:00 (local time)
when the terminal runs through the night, or soon after it starts when it was switched off
(the last page check older than the last 03:00). A start after an unclean shutdown has
already run it (``kiosk.store.sessions``). A failure blocks sales, as at start-up.

The monitor has its own connection, so a long check never holds up a sale."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.store import Store, open_store, sessions
from sync.common.clock import Clock, parse_iso_utc

NIGHT_HOUR = 3               # local time from which the day's page check is due
FIRST_ROUND_SECONDS = 30.0   # when due at start: shortly after, once the app is up


def pages_due(store: Store, now: datetime, tz: ZoneInfo) -> bool:
    """Is SQLite's page check due: was the last one before the most recent 03:00?"""
    last = store.meta(sessions.CHECKED_AT)
    if not last:
        return True
    local = now.astimezone(tz)
    night = local.replace(hour=NIGHT_HOUR, minute=0, second=0, microsecond=0)
    if night > local:
        night -= timedelta(days=1)
    try:
        return parse_iso_utc(last) < night
    except ValueError:
        return True


def monitor(main: Store, clock: Clock, tz: ZoneInfo, interval: float, stop: threading.Event) -> None:
    """The monitor's loop (its thread's target): sets ``main.health`` after each round."""
    checker = open_store(main.path, check=False)
    checker.clock = clock
    try:
        wait = min(interval, FIRST_ROUND_SECONDS) if pages_due(checker, clock.now(), tz) else interval
        while not stop.wait(wait):
            main.health = checker.check_integrity(pages=pages_due(checker, clock.now(), tz))
            wait = interval
    finally:
        checker.close()
