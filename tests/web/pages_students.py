"""The role table's rows of the students' pages and JSON API (``roles.Row``). Uploading a
photo (a file) is not a row: tests/web/test_students_browser.py and tests/test_students_api.py
check it, an accountant's refusal included."""
from __future__ import annotations

import io
import itertools

from PIL import Image

from sync.models import DataSet
from sync.server import student_photos

from .platform import Platform, School
from .roles import Row

_n = itertools.count(1)


def new_student(platform: Platform, school: School) -> dict[str, str]:
    """A new student of the school with a badge and a photo, and a badge UID still free."""
    n = next(_n)
    sid, uid = f"W{n:05d}", f"04{n:06X}"
    platform.store.load(school.id, DataSet.model_validate({
        "categories": [{"code": "drink", "name": "Boissons"}],
        "students": [{"id": sid, "first_name": "Prénom", "last_name": f"Nom{n}",
                      "class_name": "1A"}],
        "badges": [{"uid": uid, "student_id": sid}]}))
    png = io.BytesIO()
    Image.new("RGB", (40, 40), "teal").save(png, "PNG")
    student_photos.set_photo(platform.store, school.id, sid, png.getvalue())
    return {"id": sid, "uid": uid, "new_uid": f"05{n:06X}"}


_SETTINGS = {"flags": ["gluten"], "daily_limit_cents": 350, "blocked_categories": ["drink"]}
_API = "/api/v1/admin/students"

ROWS = [
    Row("GET", "/students", "students.read"),
    Row("GET", "/students?q=nom", "students.read"),
    Row("GET", "/students/{id}", "students.read", setup=new_student),
    Row("GET", "/students/roster", "students.write"),
    Row("POST", "/students/roster", "students.write", setup=new_student,
        form={"text": "student_id,last_name,first_name,class\n{id}R,Nom,Prénom,2B\n"}),
    Row("POST", "/students/{id}/settings", "students.write", setup=new_student,
        form={"flags": "gluten, pork", "daily_limit": "3,50", "blocked": "drink"}),
    Row("POST", "/students/{id}/badges", "students.write", setup=new_student,
        form={"action": "block", "uid": "{uid}"}),
    Row("POST", "/students/{id}/badges", "students.write", setup=new_student,
        form={"action": "add", "uid": "{new_uid}"}),
    Row("POST", "/students/{id}/photo", "students.write", setup=new_student,
        form={"action": "remove"}),
    Row("GET", _API, "students.read"),
    Row("GET", _API + "/{id}", "students.read", setup=new_student),
    Row("GET", _API + "/{id}/photo", "students.read", setup=new_student),
    Row("PUT", _API + "/{id}/settings", "students.write", json=_SETTINGS, setup=new_student),
    Row("POST", _API + "/{id}/badges", "students.write", json={"uid": "{new_uid}"},
        setup=new_student),
    Row("POST", _API + "/{id}/badges/block", "students.write", json={"uid": "{uid}"},
        setup=new_student),
    Row("POST", _API + "/{id}/badges/unblock", "students.write", json={"uid": "{uid}"},
        setup=new_student),
    Row("DELETE", _API + "/{id}/photo", "students.write", setup=new_student),
    Row("POST", _API + "/roster", "students.write", setup=new_student, json={
        "format": "comptoir-roster/1", "students": [
            {"id": "{id}J", "first_name": "A", "last_name": "B", "class_name": "3C"}]}),
]
