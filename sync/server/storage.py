"""``CentralStore``: the central database with every operation of the platform as a method,
for the command line, the tests and the benchmarks, which hold one object.

The work lives in the modules each method names, over the public interface of
``database.Database`` (which ``CentralStore`` is): ``schools``, ``entities`` (the DataSet
a school loads), ``devices`` (enrolment, tokens, what the platform knows of terminals),
``admins`` (admin tokens), ``push``, ``pull`` and ``sales_journal``. The money (``ledger``)
and the roster (``roster``) are functions taking the store, as the HTTP routes call them.
"""
from __future__ import annotations

from datetime import date, timedelta

from sync.models import DataSet
from sync.protocol import PushedEntry
from sync.server import admins, devices, entities, pull, push, sales_journal, schools
from sync.server.database import Database
from sync.server.devices import Device
from sync.server.errors import CentralError

__all__ = ["CentralError", "CentralStore", "Device"]


class CentralStore(Database):
    """The central database, a SQLite file or a PostgreSQL database (``db``: a path or a
    ``postgresql://`` URL; ``create=True`` makes its tables). Safe to share between the
    server's worker threads; ``close()`` (or ``with``) gives a PostgreSQL pool's connections
    back."""

    # -- schools and their data (``schools``, ``entities``) --------------------------------
    def add_school(self, name: str, school_id: str | None = None) -> str:
        return schools.add_school(self, name, school_id)

    def school_id(self, school_id: str | None = None) -> str:
        """The school meant: the one given (it must exist), or the only one there is."""
        return schools.resolve_school(self, school_id)

    def load(self, school_id: str, data: DataSet) -> dict[str, int]:
        """Upsert a DataSet into a school (``entities.load``); counts of changed rows."""
        return entities.load(self, school_id, data)

    # -- terminals (``devices``) -----------------------------------------------------------
    def create_enrol_code(self, school_id: str, device_name: str,
                          ttl: timedelta = devices.CODE_TTL, replaces: str | None = None) -> str:
        return devices.create_enrol_code(self, school_id, device_name, ttl, replaces)

    def enrol(self, code: str, device_id: str) -> dict:
        return devices.enrol(self, code, device_id)

    def authenticate(self, token: str, user_agent: str | None = None) -> Device:
        return devices.authenticate(self, token, user_agent)

    def revoke(self, device_id: str) -> None:
        devices.revoke(self, device_id)

    def device_state(self, device: Device) -> dict:
        return devices.device_state(self, device)

    def conflicts(self, device_id: str) -> list[dict]:
        return devices.conflicts(self, device_id)

    def device_list(self, school_id: str) -> list[dict]:
        """The school's terminals with their reported version and last sighting."""
        return devices.device_list(self, school_id)

    # -- admins (``admins``) ---------------------------------------------------------------
    def create_admin_token(self) -> str:
        return admins.create_admin_token(self)

    def admin_tokens(self) -> list[dict]:
        return admins.admin_tokens(self)

    def revoke_admin_token(self, token_id: str) -> None:
        admins.revoke_admin_token(self, token_id)

    def authenticate_admin(self, token: str) -> None:
        admins.authenticate_admin(self, token)

    # -- the protocol (``push``, ``pull``) and the sales journal ---------------------------
    def push(self, device: Device, entries: list[PushedEntry]) -> dict:
        return push.push(self, device, entries)

    def pull(self, device: Device, cursor: str, limit: int) -> dict:
        return pull.pull(self, device, cursor, limit)

    def sales_journal(self, school_id: str, *, student_id: str | None = None,
                      wallet_id: str | None = None, device_id: str | None = None,
                      article_text: str | None = None, period: str | None = None,
                      first_day: date | None = None, last_day: date | None = None,
                      limit: int | None = None, offset: int = 0,
                      today: date | None = None) -> dict:
        return sales_journal.sales_journal(
            self, school_id, student_id=student_id, wallet_id=wallet_id, device_id=device_id,
            article_text=article_text, period=period, first_day=first_day, last_day=last_day,
            limit=limit, offset=offset, today=today)
