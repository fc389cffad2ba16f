"""The role table's rows of the terminals' pages and JSON API (``roles.Row``)."""
from __future__ import annotations

import itertools
import uuid

from .platform import Platform, School
from .roles import Row

_n = itertools.count(1)


def new_terminal(platform: Platform, school: School) -> dict[str, str]:
    """A terminal newly enrolled in the school (to look at, revoke or replace)."""
    store = platform.store
    device = store.enrol(store.create_enrol_code(school.id, f"Caisse {next(_n)}"),
                         str(uuid.uuid4()))
    return {"id": device["device_id"]}


API = "/api/v1/admin"
ROWS = [
    Row("GET", "/terminals", "terminals.read"),
    Row("POST", "/terminals/codes", "terminals.write", form={"name": "Cantine 9"}),
    Row("GET", "/terminals/{id}", "terminals.read", setup=new_terminal),
    Row("POST", "/terminals/{id}/revoke", "terminals.write", form={"confirm": "yes"},
        setup=new_terminal),
    Row("POST", "/terminals/{id}/replace", "terminals.write", form={}, setup=new_terminal),
    Row("GET", f"{API}/terminals", "terminals.read"),
    Row("GET", f"{API}/terminals/{{id}}", "terminals.read", setup=new_terminal),
    Row("POST", f"{API}/terminals/{{id}}/revoke", "terminals.write", setup=new_terminal),
    Row("POST", f"{API}/terminals/{{id}}/replace", "terminals.write", json={},
        setup=new_terminal),
    Row("POST", f"{API}/enrol-codes", "terminals.write", json={"name": "Cantine 9"}),
]
