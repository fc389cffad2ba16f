"""Every page and JSON route of the back office × every role: allowed or refused as
``sync.server.permissions`` says (the rows: ``tests/web/pages_*.py``); an unsafe request
without the CSRF token, or from another site, is refused and changes nothing; without a
session a page sends the browser to sign in and the JSON API answers 401."""
from __future__ import annotations

import pytest
import requests

from sync.common.i18n import LANGUAGES
from sync.server.permissions import PERMISSIONS, ROLES
from sync.server.web import auth

from .roles import Row, all_rows

ROWS = all_rows()


def test_the_rows_name_known_permissions():
    assert ROWS
    assert {row.permission for row in ROWS} - {None} <= set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_what_its_permissions_allow(platform, school, role):
    http = platform.session(school.members[role])
    wrong = []
    for row in ROWS:
        allowed = row.permission is None or role in PERMISSIONS[row.permission]
        answer = _send(http, row, platform, school)
        if allowed and answer.status_code in (401, 403, 404, 422, 500):
            wrong.append(f"{row}: {answer.status_code} for an allowed {role}")
        if not allowed and answer.status_code != 403:
            wrong.append(f"{row}: {answer.status_code} for a {role}, not 403")
        if answer.status_code == 403 and row.is_page:
            assert "<h1>" in answer.text, f"{row}: a 403 page is a page"
    assert not wrong, "\n".join(wrong)


def test_unsafe_requests_without_the_csrf_token_or_from_elsewhere_are_refused(platform, school):
    admin = platform.session(school.members["admin"])
    for row in [r for r in ROWS if r.unsafe]:
        sent = row.request(platform, school)
        no_token = admin.request(**sent, allow_redirects=False)
        assert no_token.status_code == 403, f"{row} without a token: {no_token.status_code}"
        forged = _with_token(sent, admin, row)
        forged["headers"] = {**forged.get("headers", {}), "Origin": "http://evil.example"}
        elsewhere = admin.request(**forged, allow_redirects=False)
        assert elsewhere.status_code == 403, f"{row} from elsewhere: {elsewhere.status_code}"
        if row.is_page:                 # a page that says why, in the reader's language
            assert any(auth.csrf_error().say(lang) in no_token.text for lang in LANGUAGES)


def test_without_a_session_pages_send_to_sign_in_and_the_api_answers_401(platform, school):
    anonymous = requests.Session()
    anonymous.headers["Origin"] = platform.url
    for row in ROWS:
        answer = anonymous.request(**row.request(platform, school), allow_redirects=False)
        if row.is_page:
            assert answer.status_code == 303, f"{row}: {answer.status_code}"
            assert answer.headers["location"].startswith("/login?next=/"), row
        else:
            assert answer.status_code == 401, f"{row}: {answer.status_code}"


def _send(http: requests.Session, row: Row, platform, school) -> requests.Response:
    sent = _with_token(row.request(platform, school), http, row)
    return http.request(**sent, allow_redirects=False)


def _with_token(sent: dict, http: requests.Session, row: Row) -> dict:
    sent = dict(sent)
    if row.unsafe and "data" in sent:
        sent["data"] = {**sent["data"], "csrf_token": http.csrf}  # type: ignore[attr-defined]
    elif row.unsafe:
        sent["headers"] = {"X-CSRF-Token": http.csrf}  # type: ignore[attr-defined]
    return sent
