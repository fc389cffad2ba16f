"""Bad input on every form of the back office (issue 16): each page form of the role table
(``tests/web/pages_*.py``) posted empty, with its fields 1 MB long, and with a value of the
wrong type in each typed field, answers a page that says what is wrong (4xx, an alert), and
changes nothing in the school's data (nothing half-applied); on SQLite and PostgreSQL."""
from __future__ import annotations

from ..central_db import central_rows
from .roles import Row, all_rows

MB = "x" * (1024 * 1024)
# What a form's change may touch: every table of the school's data (not the sessions).
TABLES = ("articles", "badges", "categories", "change_counter", "devices", "enrol_codes",
          "operators", "reservations", "school_closures", "school_settings", "schools",
          "staff", "staff_invitations", "staff_tokens", "student_photos", "students",
          "wallet_movements", "wallets")
# Page forms whose fields all have a meaning when empty (the empty post is their action).
EMPTY_IS_AN_ANSWER = {"/terminals/{id}/replace", "/account/language",
                      "/students/{id}/settings"}
# A value of the wrong type for each typed field (a number, a day, a time, a choice).
WRONG = {"first_day": "demain", "last_day": "31/02/2026", "weekday": "huit",
         "cutoff": "8h30", "horizon_days": "trente", "price": "deux euros",
         "amount": "cinq", "daily_limit": "3 euros 50", "kind": "cadeau", "role": "janitor",
         "lang": "klingon", "category": "no-such-category", "profiles": "kitchen-robot",
         "active": "peut-être", "blocked": "no-such-category", "uid": "not a badge!"}

# (a form whose one field is the action it names has nothing to leave empty or make huge)
FORMS = [row for row in all_rows() if row.is_page and row.method == "POST"
         and set(row.form or {}) - {"action"}]


def snapshot(platform) -> dict[str, list]:
    return {t: sorted(map(repr, central_rows(platform.store, f"SELECT * FROM {t}")))
            for t in TABLES}


def posted(platform, school, http, row: Row, change) -> tuple[object, bool]:
    """Post ``row``'s form changed by ``change(form)`` with ``http`` (the admin's session):
    the answer, and whether the school's data stayed as it was."""
    sent = row.request(platform, school)            # its setup first: then the snapshot
    before = snapshot(platform)
    data = change(dict(sent["data"]))
    answer = http.post(sent["url"], data={**data, "csrf_token": http.csrf},
                       allow_redirects=False)
    return answer, snapshot(platform) == before


def refused_clearly(answer) -> str | None:
    if not 400 <= answer.status_code < 500:
        return f"answered {answer.status_code}"
    if 'role="alert"' not in answer.text and "<h1>" not in answer.text:
        return "no message on the page"
    return None


def _empty(form: dict) -> dict:
    return {k: v for k, v in form.items() if k == "action"}


def _huge(form: dict) -> dict:
    return {k: (v if k == "action" else MB) for k, v in form.items()}


def _wrong(form: dict) -> dict:
    return {k: WRONG.get(k, v) for k, v in form.items()}


CASES = [("empty", _empty), ("1 MB fields", _huge), ("wrong types", _wrong)]


def test_every_form_refuses_bad_input_clearly_and_changes_nothing(platform, school):
    assert len(FORMS) >= 15
    http = platform.session(school.members["admin"])
    wrong = []
    for case, change in CASES:
        for row in FORMS:
            if case == "empty" and row.path in EMPTY_IS_AN_ANSWER:
                continue
            if case == "wrong types" and not set(row.form or {}) & set(WRONG):
                continue
            answer, unchanged = posted(platform, school, http, row, change)
            why = refused_clearly(answer)
            if why or not unchanged:
                wrong.append(f"{case}: {row} {row.form}: {why or 'answered'}"
                             + ("" if unchanged else ", and changed the school's data"))
    assert not wrong, "\n".join(wrong)
