"""The role table's rows of the school calendar's pages and JSON API (``roles.Row``)."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from sync.models import DataSet
from sync.server import ledger, school_calendar, schools

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


def a_student(platform: Platform, school: School) -> dict[str, str]:
    """A new student of the school with 25 € in a wallet, a sandwich to reserve, and the
    next open day."""
    n = next(_n)
    platform.store.load(school.id, DataSet.model_validate({
        "categories": [{"code": "sandw", "name": {"fr": "Sandwichs"}}],
        "articles": [{"code": "SANDW-HAM", "name": {"fr": "Sandwich jambon"}, "price_cents": 300,
                      "category": "sandw", "reservable": True}],
        "students": [{"id": f"R{n}", "first_name": "Zoé", "last_name": "Test", "class_name": "1A"}],
        "wallets": [{"id": f"WR{n}", "student_id": f"R{n}", "kind": "main", "name": "Repas",
                     "structured_communication": "+++000/0000/00097+++", "is_default": True,
                     "balance_cents": 2500}]}))
    today = schools.today(platform.store, school.id)
    day = school_calendar.open_days(platform.store, school.id, today + timedelta(days=1),
                                    today + timedelta(days=8))[0]
    return {"student": f"R{n}", "day": day.isoformat()}


def a_reservation(platform: Platform, school: School) -> dict[str, str]:
    made = a_student(platform, school)
    done = ledger.create_reservation(platform.store, school.id, made["student"],
                                     date.fromisoformat(made["day"]), "SANDW-HAM")
    return {"id": done["reservation"]["id"]}


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
    # Reservations (refused for closed days and beyond the horizon: tests/test_school_calendar.py)
    Row("POST", "/api/v1/admin/reservations", "reservations.write", setup=a_student,
        json={"student_id": "{student}", "day": "{day}", "article_code": "SANDW-HAM"}),
    Row("POST", "/api/v1/admin/reservations/{id}/cancel", "reservations.write",
        setup=a_reservation),
]
