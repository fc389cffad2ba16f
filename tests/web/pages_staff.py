"""The role table's rows of the staff accounts and the account pages (``roles.Row``)."""
from __future__ import annotations

import itertools

from sync.server import staff as accounts

from .platform import Platform, School
from .roles import Row

_n = itertools.count(1)


def new_member(platform: Platform, school: School) -> dict[str, str]:
    """A new (invited) supervisor of the school, to change, and a fresh email to invite."""
    n = next(_n)
    member = accounts.add_staff(platform.store, school.id, f"member{n}@example.be",
                                f"Member {n}", "supervisor")
    return {"id": member.id, "email": f"new{n}@example.be"}


ROWS = [
    Row("GET", "/", None),
    Row("GET", "/account", None),
    Row("POST", "/account/language", None, form={"lang": "fr"}),
    Row("GET", "/staff", "staff.manage"),
    Row("POST", "/staff", "staff.manage", form={"email": "{email}", "name": "New",
                                                 "role": "accountant"}, setup=new_member),
    Row("GET", "/staff/{id}", "staff.manage", setup=new_member),
    Row("POST", "/staff/{id}", "staff.manage", form={"action": "role", "role": "accountant"},
        setup=new_member),
    Row("POST", "/account/tokens", None, form={"label": "script"}),
    Row("GET", "/api/v1/admin/me", None),
    Row("GET", "/api/v1/admin/me/tokens", None),
    Row("POST", "/api/v1/admin/me/tokens", None, json={"label": "script"}),
    Row("PATCH", "/api/v1/admin/me", None, json={"lang": "nl"}),
    Row("GET", "/api/v1/admin/staff", "staff.manage"),
    Row("POST", "/api/v1/admin/staff", "staff.manage",
        json={"email": "{email}", "name": "New", "role": "supervisor"}, setup=new_member),
    Row("GET", "/api/v1/admin/staff/{id}", "staff.manage", setup=new_member),
    Row("PATCH", "/api/v1/admin/staff/{id}", "staff.manage", json={"disabled": True},
        setup=new_member),
    Row("POST", "/api/v1/admin/staff/{id}/link", "staff.manage", setup=new_member),
]
