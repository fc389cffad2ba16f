"""The back office's students as a JSON API (issue 16, point 3: ``sync.server.students``,
``student_photos``, ``students_api``), over real loopback HTTP, on a SQLite file and on
PostgreSQL (``backend``): search, a student's page, flags and limits, badges, photos, the
roster upload; bad input of every kind refused with a clear message and nothing changed; a
student of another school answered exactly as an unknown one."""
from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
import requests
from PIL import Image

from kiosk.demo.school import Badge
from sync import protocol
from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.photos import MAX_PHOTO_BYTES, PHOTO as TERMINAL_PHOTO, ref_of
from sync.server import students_api as api
from sync.server.storage import CentralStore

from .central_db import central_rows
from .conftest import BRUSSELS
from .loopback import Served

EMMA, LINA, LUCAS = "S00001", "S00003", "S00004"     # the demo school's students
OTHER = "B00001"                                    # a student of the other school


class Office:
    """The platform with two schools, served; calls made as school A's office."""

    def __init__(self, store: CentralStore, url: str, token: str, backend: str):
        self.store, self.url, self.token, self.backend = store, url, token, backend

    def call(self, method: str, path: str, school: str = "school-a", **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} | kw.pop("headers", {})
        return requests.request(method, self.url + path, params={"school": school,
                                **kw.pop("params", {})}, headers=headers, timeout=60, **kw)

    def rows(self, sql: str, params=()) -> list:
        return central_rows(self.store, sql, params)

    def version(self, student: str) -> int:
        return self.rows("SELECT version FROM students WHERE school_id = 'school-a' AND id = ?",
                         (student,))[0][0]


@pytest.fixture(scope="module")
def office(central_dbs, demo_data):
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS))
    store = CentralStore(central_dbs.new(), create=True, now=clock.now)
    store.add_school("Institut Saint-Michel", "school-a")
    store.load("school-a", DataSet.model_validate(demo_data))
    store.add_school("Athénée Royal", "school-b")
    store.load("school-b", DataSet.model_validate({
        "categories": [{"code": "food", "name": "Repas"}],
        "students": [{"id": OTHER, "first_name": "Zélie", "last_name": "Autre",
                      "class_name": "1A"},
                     {"id": EMMA, "first_name": "Same", "last_name": "Id", "class_name": "6Z"}],
        "badges": [{"uid": "04B0B0B0", "student_id": OTHER}]}))
    served = Served(store)
    yield Office(store, served.url, store.create_admin_token(), central_dbs.backend)
    served.stop()
    store.close()


def refused(r: requests.Response, status: int, code: str, text: str = "") -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = protocol.ErrorBody.model_validate(r.json())
    assert body.error == code, body
    assert text in body.message, body.message
    return body.message


def ok(r: requests.Response, model, status: int = 200):
    assert r.status_code == status, (r.status_code, r.text)
    return model.model_validate(r.json())


def image_bytes(fmt: str, size=(1600, 1200), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)).save(out, fmt)
    return out.getvalue()


# -- search ---------------------------------------------------------------------------------------
def test_search_by_name_class_and_id_within_the_school_and_bounded(office):
    def search(q: str = "", **params) -> api.StudentList:
        return ok(office.call("GET", api.STUDENTS, params={"q": q, **params}), api.StudentList)

    assert [s.id for s in search("dubois EMMA").students] == [EMMA]      # words, any case
    assert [s.id for s in search("s00003").students] == [LINA]
    assert search("s00003").students[0].flags == ["gluten"]
    in_1a = search("1a").students
    assert in_1a and all("1A" in s.class_name or "1a" in s.id.lower() for s in in_1a)
    page = search(limit=10)
    assert len(page.students) == 10 and page.more
    names = [(s.last_name, s.first_name, s.id) for s in page.students]
    assert names == sorted(names)
    rest = search(limit=200, offset=10)
    assert not rest.more and len(rest.students) == 60 - 10       # the demo school's 60
    # Another school's students are not found, even by their exact id or name.
    assert search(OTHER).students == [] and search("zélie").students == []
    assert [s.last_name for s in search(EMMA).students] == ["Dubois"]
    # LIKE's own characters are plain characters.
    assert search("%").students == [] and search("_").students == []

    for params, where in (({"q": "x" * 101}, "q"), ({"limit": 0}, "limit"),
                          ({"limit": 201}, "limit"), ({"limit": "ten"}, "limit"),
                          ({"offset": -1}, "offset")):
        refused(office.call("GET", api.STUDENTS, params=params), 422, "invalid", where)
    refused(office.call("GET", api.STUDENTS, params={"q": "a b c d e f"}), 422, "invalid",
            "5 words at most")


# -- a student's page -----------------------------------------------------------------------------
def test_a_students_page_and_another_schools_student_is_not_found(office):
    page = ok(office.call("GET", api.STUDENT.format(student_id=EMMA)), api.StudentDetail)
    assert (page.student.first_name, page.student.last_name) == ("Emma", "Dubois")
    assert [(b.uid, b.status) for b in page.badges] == [(Badge.EMMA, "active")]
    [wallet] = page.wallets
    assert wallet.balance_cents == 2500 and wallet.is_default
    assert wallet.movements_total == len(wallet.movements)
    assert {c.code for c in page.categories} >= {"soup", "drink"}

    for sid in (OTHER, "nobody", "x" * 300):
        unknown = refused(office.call("GET", api.STUDENT.format(student_id=sid)), 404,
                          "not_found")
        assert unknown.startswith("no student") and "Zélie" not in unknown
    # Same id in both schools: each school sees its own.
    theirs = ok(office.call("GET", api.STUDENT.format(student_id=EMMA), school="school-b"),
                api.StudentDetail)
    assert theirs.student.last_name == "Id"


def test_a_photo_reference_the_platform_does_not_hold_is_no_photo(office):
    # The demo roster names photos/S00001.jpg for Emma, a file the platform never received:
    # the page and the search say "no photo" (the office's page shows its placeholder).
    page = ok(office.call("GET", api.STUDENT.format(student_id=EMMA)), api.StudentDetail)
    assert page.student.photo_ref == "photos/S00001.jpg" and page.student.has_photo is False
    [row] = ok(office.call("GET", api.STUDENTS, params={"q": EMMA}), api.StudentList).students
    assert row.has_photo is False
    refused(office.call("GET", api.PHOTO.format(student_id=EMMA)), 404, "not_found")


def test_no_token_or_a_terminals_token_reaches_nothing(office):
    r = requests.get(office.url + api.STUDENT.format(student_id=EMMA), timeout=10,
                     params={"school": "school-a"})
    refused(r, 401, "unauthorized")
    token = requests.post(office.url + protocol.ENROL, timeout=10, json={
        "code": office.store.create_enrol_code("school-a", "Caisse"),
        "device_id": "terminal-token-test"}).json()["token"]
    r = office.call("GET", api.STUDENT.format(student_id=EMMA),
                    headers={"Authorization": f"Bearer {token}"})
    refused(r, 403, "forbidden")


# -- flags, limits, blocked categories ------------------------------------------------------------
def test_settings_change_in_one_go_with_a_new_version_and_bad_input_changes_nothing(office):
    path = api.SETTINGS.format(student_id=EMMA)
    before = office.version(EMMA)
    done = ok(office.call("PUT", path, json={"flags": [" Gluten", "pork", "gluten"],
                                             "daily_limit_cents": 450,
                                             "blocked_categories": ["drink", "drink"]}),
              api.StudentRecord)
    assert done.flags == ["gluten", "pork"] and done.blocked_categories == ["drink"]
    assert done.daily_limit_cents == 450
    after = office.version(EMMA)
    assert after > before
    # The same again changes nothing, and costs the terminals nothing.
    ok(office.call("PUT", path, json={"flags": ["gluten", "pork"], "daily_limit_cents": 450,
                                      "blocked_categories": ["drink"]}), api.StudentRecord)
    assert office.version(EMMA) == after

    stored = office.rows("SELECT flags, daily_limit_cents, blocked_categories FROM students"
                         " WHERE school_id = 'school-a' AND id = ?", (EMMA,))
    bad = [({}, "flags"),
           ({"flags": "gluten", "daily_limit_cents": None, "blocked_categories": []}, "flags"),
           ({"flags": [1], "daily_limit_cents": None, "blocked_categories": []}, "flags"),
           ({"flags": ["x" * 41], "daily_limit_cents": None, "blocked_categories": []}, "flag"),
           ({"flags": ["  "], "daily_limit_cents": None, "blocked_categories": []}, "flag"),
           ({"flags": ["a"] * 31, "daily_limit_cents": None, "blocked_categories": []}, "flags"),
           ({"flags": [], "daily_limit_cents": -1, "blocked_categories": []}, "daily_limit"),
           ({"flags": [], "daily_limit_cents": 10**30, "blocked_categories": []}, "daily_limit"),
           ({"flags": [], "daily_limit_cents": "lots", "blocked_categories": []}, "daily_limit"),
           ({"flags": [], "daily_limit_cents": None, "blocked_categories": ["nope"]},
            "no category 'nope'"),
           ({"flags": [], "daily_limit_cents": None, "blocked_categories": ["food"]},
            "no category 'food'"),                 # school B's category
           ({"flags": [], "daily_limit_cents": None, "blocked_categories": [],
             "photo_ref": "x"}, "photo_ref")]
    for body, where in bad:
        refused(office.call("PUT", path, json=body), 422, "invalid", where)
    refused(office.call("PUT", path, data=b"not json",
                        headers={"Content-Type": "application/json"}), 422, "invalid")
    refused(office.call("PUT", api.SETTINGS.format(student_id=OTHER), json={
        "flags": [], "daily_limit_cents": None, "blocked_categories": []}), 404, "not_found")
    assert office.rows("SELECT flags, daily_limit_cents, blocked_categories FROM students"
                       " WHERE school_id = 'school-a' AND id = ?", (EMMA,)) == stored
    assert office.version(EMMA) == after
    assert office.rows("SELECT flags FROM students WHERE school_id = 'school-b'"
                       " AND id = ?", (EMMA,)) == [("[]",)]


# -- badges ---------------------------------------------------------------------------------------
def test_badges_added_blocked_and_unblocked_by_the_office(office):
    badges = api.BADGES.format(student_id=LINA)
    added = ok(office.call("POST", badges, json={"uid": "04:aa:bb:cc:dd"}), api.BadgeState, 201)
    assert (added.uid, added.status) == ("04AABBCCDD", "active")
    refused(office.call("POST", badges, json={"uid": "04AABBCCDD"}), 409, "conflict",
            "already has")
    refused(office.call("POST", api.BADGES.format(student_id=EMMA), json={"uid": Badge.LINA}),
            409, "conflict", "belongs to student S00003")
    for body in ({}, {"uid": ""}, {"uid": "zz"}, {"uid": "04" * 40}, {"uid": 4},
                 {"uid": "04AABBCCEE", "status": "x"}):
        refused(office.call("POST", badges, json=body), 422, "invalid")
    # School B's badge and student: as unknown.
    refused(office.call("POST", api.BADGES.format(student_id=OTHER), json={"uid": "04C0C0C0"}),
            404, "not_found")
    refused(office.call("POST", api.BADGE_BLOCK.format(student_id=LINA),
                        json={"uid": "04B0B0B0"}), 404, "not_found")

    block = api.BADGE_BLOCK.format(student_id=LINA)
    blocked = ok(office.call("POST", block, json={"uid": Badge.LINA}), api.BadgeState)
    assert (blocked.status, blocked.status_by) == ("blocked", "office")
    assert blocked.status_at is not None
    # A badge of another student of the same school is not this student's to block.
    refused(office.call("POST", block, json={"uid": Badge.EMMA}), 404, "not_found")
    unblocked = ok(office.call("POST", api.BADGE_UNBLOCK.format(student_id=LINA),
                               json={"uid": Badge.LINA}), api.BadgeState)
    assert unblocked.status == "active"
    assert office.rows("SELECT status FROM badges WHERE school_id = 'school-b'") == [("active",)]


# -- photos ---------------------------------------------------------------------------------------
def test_a_photo_is_checked_shrunk_kept_and_served_to_the_schools_terminals(office):
    path = api.PHOTO.format(student_id=LUCAS)
    before = office.version(LUCAS)
    answer = ok(office.call("PUT", path, data=image_bytes("PNG", (2000, 1000), "RGBA"),
                            headers={"Content-Type": "image/png"}), api.PhotoAnswer)
    assert answer.ref and 0 < answer.bytes <= MAX_PHOTO_BYTES
    assert office.version(LUCAS) > before
    shown = office.call("GET", path)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert ref_of(shown.content) == answer.ref
    with Image.open(io.BytesIO(shown.content)) as kept:
        assert kept.format == "JPEG" and kept.size == (480, 240)

    # A terminal of the school fetches it by its name; one of the other school does not.
    code_a = office.store.create_enrol_code("school-a", "Cantine")
    code_b = office.store.create_enrol_code("school-b", "Cantine B")
    fetch = TERMINAL_PHOTO.format(name=answer.ref.split("/")[1])
    for code, status in ((code_a, 200), (code_b, 404)):
        token = requests.post(office.url + protocol.ENROL, timeout=10, json={
            "code": code, "device_id": f"terminal-{status}"}).json()["token"]
        r = requests.get(office.url + fetch, headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
        assert r.status_code == status, r.text
    refused(requests.get(office.url + fetch, timeout=10), 401, "unauthorized")

    ref = answer.ref
    bad = [(b"", "empty"), (b"GIF89a" + b"\0" * 64, "not a JPEG or PNG"),
           (image_bytes("GIF"), "not a JPEG or PNG"), (b"%PDF-1.4 hello", "not a JPEG or PNG"),
           (image_bytes("JPEG")[:400], "not a JPEG or PNG"),           # cut short
           (b"\xff" * (9 * 1024 * 1024), "larger than 8 MB")]
    for data, text in bad:
        refused(office.call("PUT", path, data=data), 422, "invalid", text)
    # 20 MB: refused by the platform's bound on any request body, before it is read.
    refused(office.call("PUT", path, data=b"\xff" * (20 * 1024 * 1024)), 413, "invalid",
            "too large")
    refused(office.call("PUT", api.PHOTO.format(student_id=OTHER), data=image_bytes("JPEG")),
            404, "not_found")
    refused(office.call("GET", api.PHOTO.format(student_id=OTHER)), 404, "not_found")
    assert office.rows("SELECT photo_ref FROM students WHERE school_id = 'school-a' AND id = ?",
                       (LUCAS,)) == [(ref,)]
    held = ok(office.call("GET", api.STUDENT.format(student_id=LUCAS)), api.StudentDetail)
    assert held.student.has_photo and held.student.photo_ref == ref
    [row] = ok(office.call("GET", api.STUDENTS, params={"q": LUCAS}), api.StudentList).students
    assert row.has_photo

    assert ok(office.call("DELETE", path), api.PhotoAnswer).ref is None
    refused(office.call("GET", path), 404, "not_found")
    assert office.rows("SELECT photo_ref FROM students WHERE school_id = 'school-a' AND id = ?",
                       (LUCAS,)) == [(None,)]


# -- the roster, uploaded -------------------------------------------------------------------------
def roster_csv(count: int, bad_line: int | None = None) -> str:
    lines = ["student_id,last_name,first_name,class,wallet_id"]
    for i in range(1, count + 1):
        lines.append(f"R{i:06d},Nom{i},Prénom{i},{1 + i % 6}A,RW{i:06d}")
    if bad_line is not None:        # line numbers count the header: line n is lines[n - 1]
        lines[bad_line - 1] = lines[bad_line - 1].replace(f",Nom{bad_line - 1},", ",,")
    return "\n".join(lines) + "\n"


def test_roster_upload_is_all_or_nothing_and_names_the_bad_line_among_100000(office):
    students = "SELECT COUNT(*) FROM students WHERE school_id = 'school-a'"
    [(before,)] = office.rows(students)
    # The file is refused before the database is touched: 100,000 lines on SQLite; fewer on
    # PostgreSQL, where the same parse would only cost the suite time again.
    lines, bad = (100_000, 73_412) if office.backend == "sqlite" else (10_000, 7_341)
    big = roster_csv(lines, bad_line=bad).encode()
    message = refused(office.call("POST", api.ROSTER, data=big,
                                  headers={"Content-Type": "text/csv"}), 422, "invalid")
    assert f"line {bad}: last_name is missing" in message and "nothing changed" in message
    assert message.count("line ") == 1
    assert office.rows(students) == [(before,)]

    done = office.call("POST", api.ROSTER, data=roster_csv(3).encode("utf-8"))
    assert done.status_code == 200, done.text
    assert json.loads(done.text)["students_added"] == 3
    assert office.rows(students) == [(before + 3,)]
    refused(office.call("POST", api.ROSTER, data=b""), 422, "invalid", "empty")
    refused(office.call("POST", api.ROSTER, data=b"x" * (11 * 1024 * 1024)), 413, "invalid",
            "too large")
