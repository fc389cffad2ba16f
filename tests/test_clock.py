"""The business day a sale is recorded under, including the cached ``BusinessDay``."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from sync.common.clock import BusinessDay, business_day

BRUSSELS = ZoneInfo("Europe/Brussels")
# Around both 2026 clock changes in Brussels (29 March, 25 October) and a few plain days.
_START = datetime(2026, 3, 27, tzinfo=timezone.utc)
_INSTANTS = st.one_of(
    st.integers(0, 5 * 86_400_000_000).map(lambda us: _START + timedelta(microseconds=us)),
    st.integers(0, 5 * 86_400_000_000).map(
        lambda us: datetime(2026, 10, 23, tzinfo=timezone.utc) + timedelta(microseconds=us)))


@settings(max_examples=300, deadline=None)
@given(st.lists(_INSTANTS, min_size=1, max_size=30), st.sampled_from(
    ["Europe/Brussels", "America/Sao_Paulo", "Pacific/Apia", "UTC"]))
def test_cached_day_is_the_local_date_whatever_the_order_of_instants(instants, zone):
    # Any order: a clock set back (NTP, a wrong manual setting) must move the day back too.
    tz = ZoneInfo(zone)
    day = BusinessDay(tz)
    for instant in instants:
        assert day.of(instant) == business_day(instant, tz).isoformat()


def test_the_day_changes_at_local_midnight_on_the_short_and_the_long_day():
    day = BusinessDay(BRUSSELS)
    # 29 March 2026 has 23 hours in Brussels, 25 October 25 hours.
    for date_, midnight_after in (("2026-03-29", datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc)),
                                  ("2026-10-25", datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc))):
        assert day.of(midnight_after - timedelta(microseconds=1)) == date_
        assert day.of(midnight_after) != date_
        assert day.of(midnight_after - timedelta(hours=12)) == date_
