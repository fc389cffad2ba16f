"""The role table's rows of the school calendar's pages and JSON API (``roles.Row``)."""
from __future__ import annotations

import itertools
from datetime import timedelta

from sync.server import school_calendar, schools

from .platform import Platform, School
from .roles import Row

_n = itertools.count(1)


def future_day(platform: Platform, school: School) -> dict[str, str]:
    """A day ahead of the school's today, a new one at each call."""
    day = schools.today(platform.store, school.id) + timedelta(days=10 + next(_n) % 200)
    return {"day": day.isoformat()}


def new_closure(platform: Platform, school: School) -> dict[str, str]:
    """A closure of the school, to reopen."""
    day = schools.today(platform.store, school.id) + timedelta(days=10 + next(_n) % 200)
    done = school_calendar.add_closure(platform.store, school.id, day, day, "Fête de l'école")
    return {"id": done["closure"]["id"], "day": day.isoformat()}


SETTINGS = {"weekdays": [1, 2, 4, 5], "year_first": None, "year_last": None,
            "horizon_days": 30, "cutoff": "08:30"}
CLOSURE = {"first_day": "{day}", "last_day": "{day}", "reason": "Journée pédagogique"}

ROWS = [
    Row("GET", "/calendar", "calendar.read"),
    Row("GET", "/calendar?month=2027-02", "calendar.read"),
    Row("POST", "/calendar/closures", "calendar.write", form=CLOSURE, setup=future_day),
    Row("POST", "/calendar/closures/{id}/remove", "calendar.write", setup=new_closure),
    Row("POST", "/calendar/settings", "calendar.write",
        form={"weekday": ["1", "2", "4", "5"], "year_first": "", "year_last": "",
              "cutoff": "08:30", "horizon_days": "30"}),
    Row("GET", "/api/v1/admin/calendar/settings", "calendar.read"),
    Row("PUT", "/api/v1/admin/calendar/settings", "calendar.write", json=SETTINGS),
    Row("GET", "/api/v1/admin/calendar/month", "calendar.read"),
    Row("GET", "/api/v1/admin/calendar/open-days?first={day}&last={day}", "calendar.read",
        setup=future_day),
    Row("GET", "/api/v1/admin/calendar/closures", "calendar.read"),
    Row("GET", "/api/v1/admin/calendar/closures/preview?first={day}&last={day}",
        "calendar.read", setup=future_day),
    Row("POST", "/api/v1/admin/calendar/closures", "calendar.write", json=CLOSURE,
        setup=future_day),
    Row("DELETE", "/api/v1/admin/calendar/closures/{id}", "calendar.write", setup=new_closure),
]
