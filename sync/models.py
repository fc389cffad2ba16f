"""The platform's data as terminals receive it: the shape of a ``comptoir import`` file today
and of the sync pull's pages tomorrow. Unknown fields are errors (a typo must not pass as
missing data); ids are the platform's own; money is integer cents."""
from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from sync.common.communications import validate_structured_communication

PIN_HASH = re.compile(r"^\$argon2id\$")
# Bounds on every number, so that nothing a server sends can overflow SQLite's 64-bit integers
# (an unbounded int would pass validation and fail in the store).
MAX_CENTS = 10**11              # a billion euros: far beyond any school wallet
MAX_SEQ = 2**62
Cents = int


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class Names(_Model):
    """A name in the catalogue's languages. The school fills the ones it uses; a screen in a
    language left empty shows the school's language (``kiosk.names``). A plain string (older
    platforms and files: one name per article or category) is the school's name, kept in
    ``fr``, the one always there."""
    fr: str = Field(min_length=1)
    nl: str | None = None
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, value: object) -> object:
        if isinstance(value, str):
            return {"fr": value}
        if isinstance(value, dict):          # an empty translation is a missing one
            return {k: (v or None) if k in ("nl", "en") else v for k, v in value.items()}
        return value


class Category(_Model):
    code: str = Field(min_length=1)
    name: Names
    wallet_kind: str | None = None     # which wallet pays; None: the student's default wallet


class Article(_Model):
    code: str = Field(min_length=1, max_length=40)
    name: Names
    price_cents: Cents = Field(ge=0, le=1_000_000)
    category: str = Field(min_length=1)
    allergens: list[str] = []
    profiles: list[Literal["canteen", "reception"]] = ["canteen"]
    reservable: bool = False
    active: bool = True


class Student(_Model):
    id: str = Field(min_length=1)
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    class_name: str = Field(min_length=1)
    photo_ref: str | None = None
    daily_limit_cents: Cents | None = Field(default=None, ge=0, le=MAX_CENTS)
    blocked_categories: list[str] = []
    blocked_articles: list[str] = []
    flags: list[str] = []              # allergen and diet flags: gluten, pork, nuts...


class Badge(_Model):
    uid: str
    student_id: str = Field(min_length=1)
    status: Literal["active", "blocked"] = "active"

    @field_validator("uid")
    @classmethod
    def _uid(cls, value: str) -> str:
        from sync.common.errors import Refusal
        from sync.common.uids import normalise_uid
        try:
            return normalise_uid(value)
        except Refusal:
            raise ValueError("not a badge UID (4 to 10 bytes in hexadecimal)") from None


class Wallet(_Model):
    id: str = Field(min_length=1)
    student_id: str = Field(min_length=1)
    kind: str = "main"
    name: str = Field(min_length=1)
    structured_communication: str
    is_default: bool = True
    balance_cents: Cents = Field(ge=-MAX_CENTS, le=MAX_CENTS)
    included_seq: int = Field(default=0, ge=0, le=MAX_SEQ)   # this terminal's entries the balance includes

    @field_validator("structured_communication")
    @classmethod
    def _ogm(cls, value: str) -> str:
        try:
            return validate_structured_communication(value)
        except ValueError:
            raise ValueError("not a valid Belgian structured communication "
                             "(+++xxx/xxxx/xxxxx+++ with its mod-97 check)") from None


class Operator(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Literal["seller", "supervisor", "admin"]
    pin_hash: str = Field(pattern=PIN_HASH.pattern)
    active: bool = True
    # The office's last unlock (ISO 8601 UTC): a terminal clears a lock that began before it.
    unlocked_at: str | None = Field(default=None, max_length=40)

    @model_serializer(mode="wrap")
    def _no_unlock_no_field(self, handler: SerializerFunctionWrapHandler) -> dict:
        """Left out when None: a terminal older than the field refuses it (extra="forbid")."""
        data = handler(self)
        if data.get("unlocked_at") is None:
            data.pop("unlocked_at", None)
        return data


class Reservation(_Model):
    id: str = Field(min_length=1)
    day: date
    student_id: str = Field(min_length=1)
    article_code: str = Field(min_length=1)
    quantity: int = Field(ge=1, le=50)
    status: Literal["reserved", "delivered", "cancelled"] = "reserved"


class DataSet(_Model):
    """A whole import file (every list optional)."""
    format: Literal["comptoir-data/1"] = "comptoir-data/1"
    categories: list[Category] = []
    articles: list[Article] = []
    students: list[Student] = []
    badges: list[Badge] = []
    wallets: list[Wallet] = []
    operators: list[Operator] = []
    reservations: list[Reservation] = []
