"""Staff accounts below the browser (issue 16, point 1): the domain functions and the JSON
API, on SQLite and PostgreSQL: lockout and its end, per-address throttling, one-time links,
the last admin kept, idle sessions ending, one school's staff never reaching another's,
admin tokens still accepted by ``office()``, and ``comptoir central init --admin-email``."""
from __future__ import annotations

import io

import pytest
import requests

from sync.server import staff as accounts, staff_links, staff_sessions
from sync.server.cli import main as central_main
from sync.server.errors import CentralError
from sync.server.storage import CentralStore

from .platform import PASSWORD

API = "/api/v1/admin"


def test_lockout_after_five_failures_and_the_same_answer_for_everything(platform, school):
    store, member = platform.store, platform.member(school, "supervisor")
    answers = set()
    for _attempt in range(accounts.MAX_FAILURES):
        with pytest.raises(CentralError) as refused:
            accounts.sign_in(store, member.email, "wrong password!", "192.0.2.1")
        answers.add((refused.value.code, refused.value.message))
    for email, password in ((member.email, PASSWORD), ("nobody@example.be", PASSWORD)):
        with pytest.raises(CentralError) as refused:        # locked, and unknown: the same
            accounts.sign_in(store, email, password, "192.0.2.2")
        answers.add((refused.value.code, refused.value.message))
    assert len(answers) == 1 and answers.pop()[0] == "unauthorized"
    platform.clock.advance(seconds=accounts.LOCK.total_seconds() + 1)
    assert accounts.sign_in(store, member.email, PASSWORD, "192.0.2.2").id == member.id


def test_an_address_guessing_many_emails_is_throttled(platform, school):
    member, address = platform.member(school, "accountant"), "198.51.100.7"
    for n in range(accounts.MAX_ADDRESS_FAILURES):
        with pytest.raises(CentralError):
            accounts.sign_in(platform.store, f"guess{n}@example.be", "x" * 12, address)
    with pytest.raises(CentralError):          # even the right password, from that address
        accounts.sign_in(platform.store, member.email, PASSWORD, address)
    assert accounts.sign_in(platform.store, member.email, PASSWORD, "198.51.100.8")


def test_a_link_works_once_and_expires(platform, school):
    store = platform.store
    account, token = staff_links.invite(store, school.id, "once@example.be", "Once", "admin")
    with pytest.raises(CentralError, match="at least 10"):
        staff_links.use_link(store, token, "short")
    staff_links.use_link(store, token, "long enough pass")
    with pytest.raises(CentralError, match="no longer valid"):
        staff_links.use_link(store, token, "another long one")
    late = staff_links.new_link(store, school.id, account.id)
    platform.clock.advance(seconds=staff_links.LINK_LIFETIME.total_seconds() + 1)
    with pytest.raises(CentralError, match="no longer valid"):
        staff_links.use_link(store, late, "another long one")


def test_bad_input_is_refused_and_nothing_is_made(platform, school):
    store = platform.store
    before = len(accounts.list_staff(store, school.id))
    for email, name, role in (("", "A", "admin"), ("not-an-email", "A", "admin"),
                              ("a@b.be", "", "admin"), ("a@b.be", "x" * 101, "admin"),
                              ("a@b.be", "A", "janitor"), ("x" * 300 + "@b.be", "A", "admin"),
                              (school.members["admin"].email, "Twice", "admin")):
        with pytest.raises(CentralError):
            staff_links.invite(store, school.id, email, name, role)
    assert len(accounts.list_staff(store, school.id)) == before


def test_the_school_keeps_an_active_admin(platform):
    school = platform.school()
    admin = school.members["admin"]
    with pytest.raises(CentralError, match="at least one active admin"):
        accounts.update_staff(platform.store, school.id, admin.id, role="supervisor")
    with pytest.raises(CentralError, match="at least one active admin"):
        accounts.update_staff(platform.store, school.id, admin.id, disabled=True)
    assert accounts.get_staff(platform.store, school.id, admin.id).role == "admin"


def test_an_idle_session_ends_and_a_disabled_account_is_signed_out(platform, school):
    member = platform.member(school, "supervisor")
    token = staff_sessions.open_session(platform.store, member.id)
    assert staff_sessions.resolve(platform.store, token) is not None
    platform.clock.advance(seconds=staff_sessions.IDLE.total_seconds() + 1)
    assert staff_sessions.resolve(platform.store, token) is None
    http = platform.session(member)
    assert http.get(f"{platform.url}{API}/me").status_code == 200
    accounts.update_staff(platform.store, school.id, member.id, disabled=True)
    assert http.get(f"{platform.url}{API}/me").status_code == 401


def test_one_schools_staff_never_reach_another_school(platform, school):
    other = platform.school()
    theirs = other.members["supervisor"].id
    http = platform.session(school.members["admin"])
    for path in (f"/staff/{theirs}", f"{API}/staff/{theirs}"):
        assert http.get(platform.url + path).status_code == 404
    answer = http.patch(f"{platform.url}{API}/staff/{theirs}", json={"disabled": True},
                        headers={"X-CSRF-Token": http.csrf})  # type: ignore[attr-defined]
    assert answer.status_code == 404
    page = http.post(f"{platform.url}/staff/{theirs}", allow_redirects=False, data={
        "action": "disable", "csrf_token": http.csrf})  # type: ignore[attr-defined]
    assert page.status_code == 404
    listed = http.get(f"{platform.url}{API}/staff").json()["staff"]
    assert theirs not in {m["id"] for m in listed}
    assert not accounts.get_staff(platform.store, other.id, theirs).disabled


def test_the_json_api_invites_changes_and_an_admin_token_still_works(platform, school):
    http = platform.session(school.members["admin"])
    csrf = {"X-CSRF-Token": http.csrf}  # type: ignore[attr-defined]
    made = http.post(f"{platform.url}{API}/staff", headers=csrf,
                     json={"email": "Api.Made@Example.be", "name": "Api", "role": "accountant"})
    assert made.status_code == 201 and made.json()["staff"]["email"] == "api.made@example.be"
    token = made.json()["link"].split("token=")[1]
    assert requests.post(f"{platform.url}{API}/password-link",
                         json={"token": token, "password": "long enough pass"}).status_code == 200
    member_id = made.json()["staff"]["id"]
    changed = http.patch(f"{platform.url}{API}/staff/{member_id}", headers=csrf,
                         json={"role": "supervisor"})
    assert changed.json()["role"] == "supervisor"
    bad = http.patch(f"{platform.url}{API}/staff/{member_id}", headers=csrf,
                     json={"role": "janitor"})
    assert bad.status_code == 422
    by_token = requests.get(f"{platform.url}{API}/staff?school={school.id}",
                            headers={"Authorization": f"Bearer {platform.admin_token}"})
    assert by_token.status_code == 200 and member_id in {m["id"] for m in by_token.json()["staff"]}
    assert requests.get(f"{platform.url}{API}/staff?school={school.id}",
                        headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_personal_token_acts_with_its_members_role_until_revoked(platform, school):
    member = platform.member(school, "accountant")
    http = platform.session(member)
    csrf = {"X-CSRF-Token": http.csrf}  # type: ignore[attr-defined]
    made = http.post(f"{platform.url}{API}/me/tokens", headers=csrf, json={"label": "export"})
    assert made.status_code == 201
    script = {"Authorization": f"Bearer {made.json()['token']}"}
    assert requests.get(f"{platform.url}{API}/me", headers=script).json()["id"] == member.id
    assert requests.get(f"{platform.url}{API}/staff", headers=script).status_code == 403
    token_id = http.get(f"{platform.url}{API}/me/tokens").json()["tokens"][0]["id"]
    assert http.delete(f"{platform.url}{API}/me/tokens/{token_id}", headers=csrf).ok
    assert requests.get(f"{platform.url}{API}/me", headers=script).status_code == 401


def test_changing_ones_password_ends_the_other_sessions(platform, school):
    member = platform.member(school, "accountant")
    here, there = platform.session(member), platform.session(member)
    answer = here.post(f"{platform.url}{API}/me/password",
                       headers={"X-CSRF-Token": here.csrf},  # type: ignore[attr-defined]
                       json={"current": PASSWORD, "password": "a brand new password"})
    assert answer.json() == {"sessions_ended": 1}
    assert here.get(f"{platform.url}{API}/me").status_code == 200
    assert there.get(f"{platform.url}{API}/me").status_code == 401


def test_init_makes_the_first_admin(central_db, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("the first password\n"))
    assert central_main(["--lang", "en", "init", "--db", central_db, "--school", "First",
                         "--admin-email", "Head@School.be", "--admin-password-stdin"]) == 0
    assert "admin head@school.be can sign in" in capsys.readouterr().out
    with CentralStore(central_db) as store:
        account = accounts.sign_in(store, "head@school.be", "the first password", "127.0.0.1")
        assert account.role == "admin" and account.school_id == "first"
    assert central_main(["--lang", "en", "init", "--db", central_db, "--school", "Second",
                         "--admin-email", "second@school.be"]) == 0
    link = capsys.readouterr().out.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8765/welcome?token=")
    assert central_main(["--lang", "en", "init", "--db", central_db, "--school", "Third",
                         "--admin-email", "not an email"]) == 1
    with CentralStore(central_db) as store, store.transaction(write=False) as conn:
        schools = [r[0] for r in store.execute(conn, "SELECT id FROM schools ORDER BY id")]
    assert schools == ["first", "second"]           # the bad email: no school made either


def test_sign_in_goes_back_to_local_paths_only_and_refuses_other_sites(platform, school):
    member = school.members["accountant"]
    form = {"email": member.email, "password": member.password}
    for asked, landed in (("/account?tab=1", "/account?tab=1"), ("//evil.example/x", "/"),
                          ("https://evil.example/", "/")):
        http = requests.Session()
        answer = http.post(f"{platform.url}/login", data={**form, "next": asked},
                           headers={"Origin": platform.url}, allow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, landed)
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    forged = requests.post(f"{platform.url}/login", data=form, allow_redirects=False,
                           headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    page = requests.get(f"{platform.url}/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"
