"""The role table's rows of the office's side of the parents' accounts (issue 17): the page
of the school's parents and its "send login tokens", the same as JSON, and the school's bank
account for top-ups (JSON). The parents' own pages are not staff pages:
test_parents_api.py checks that staff never open them and parents never the office's."""
from __future__ import annotations

from sync.server.api.routes import parents as parents_api

from .roles import Row

ROWS = [
    Row("GET", "/parent-accounts", "students.read"),
    Row("POST", "/parent-accounts/tokens", "students.write", form={}),
    Row("GET", parents_api.PARENTS, "students.read"),
    Row("POST", parents_api.TOKENS, "students.write", json={"parent_ids": []}),
    Row("GET", parents_api.BANK, "money.read"),
    Row("PUT", parents_api.BANK, "money.write",
        json={"iban": "BE04 3631 3602 2231", "bic": "", "name": "École"}),
]
