"""A live platform for the back office's tests: the real app served over loopback (uvicorn in
a thread, ``tests/loopback.py``) on a fresh central database of the module's backend, its
clock a ``ManualClock`` (sessions' idle timeout, lockouts), and schools made with one staff
member per role, each with a known password (a helper, not a test)."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

from sync.common.clock import ManualClock
from sync.server import staff_links
from sync.server.permissions import ROLES
from sync.server.storage import CentralStore

from ..loopback import Served

PASSWORD = "correct horse battery"          # every test member's password
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    name: str
    role: str
    password: str = PASSWORD


@dataclass
class School:
    """A school with one member per role: ``school.members["supervisor"].email``."""

    id: str
    name: str
    members: dict[str, Member] = field(default_factory=dict)


class Platform:
    """``platform.url``, ``platform.store`` (the same database the server uses),
    ``platform.clock`` (advance it to age sessions), ``platform.school()``,
    ``platform.session(member)`` (a signed-in ``requests.Session``)."""

    def __init__(self, db: str):
        self.clock = ManualClock(datetime.now(timezone.utc))
        self.store = CentralStore(db, create=True, now=self.clock.now)
        self.served = Served(self.store)
        self.url = self.served.url
        self.admin_token = self.store.create_admin_token()

    def close(self) -> None:
        self.served.stop()
        self.store.close()

    def school(self, name: str | None = None) -> School:
        """A new school with an admin, a supervisor and an accountant (passwords set)."""
        n = next(_numbers)
        name = name or f"École {n}"
        school = School(self.store.add_school(name, f"school-{n}"), name)
        for role in ROLES:
            school.members[role] = self.member(school, role)
        return school

    def member(self, school: School, role: str, password: str = PASSWORD) -> Member:
        n = next(_numbers)
        account, token = staff_links.invite(self.store, school.id, f"{role}{n}@school{n}.be",
                                            f"{role.title()} {n}", role)
        staff_links.use_link(self.store, token, password)
        return Member(account.id, account.email, account.name, role, password)

    def session(self, member: Member) -> requests.Session:
        """A ``requests.Session`` signed in as ``member`` (through the JSON API), its
        ``csrf`` attribute the session's CSRF token, sending this site's Origin."""
        http = requests.Session()
        http.headers["Origin"] = self.url
        answer = http.post(f"{self.url}/api/v1/admin/login",
                           json={"email": member.email, "password": member.password})
        assert answer.status_code == 200, answer.text
        http.csrf = answer.json()["csrf_token"]  # type: ignore[attr-defined]
        return http


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
