"""The platform's admin endpoints for money and roster (admin token; never a terminal's):
paths, requests and answers. The work is in ``ledger`` (reservations, top-ups, bank
statements) and ``roster``; ``app`` serves them.

    POST /api/v1/admin/reservations              ReservationRequest -> ReservationAnswer
    POST /api/v1/admin/reservations/{id}/cancel  -> CancelAnswer
    GET  /api/v1/admin/reservations?day=&student= -> ReservationList
    POST /api/v1/admin/topups                    TopupRequest -> TopupAnswer
    POST /api/v1/admin/bank-import               the statement (CSV text) -> BankImport
    POST /api/v1/admin/roster                    the roster (CSV or JSON text) -> RosterImport
    GET  /api/v1/admin/wallets/{id}/history      -> WalletHistory

Every one takes ``?school=ID`` when the platform has several schools. Refusals are
``sync.protocol.ErrorBody`` with the codes ``not_found``, ``too_late``,
``insufficient_balance`` (with ``missing_cents``), ``not_cancellable``, ``invalid``, ``closed``
(a day the school is closed or beyond its reservation horizon: ``school_days``), and
for a reservation of an article on the student's allergy and diet list ``allergen`` (the
school's policy is "confirm": send ``confirm_allergens: true`` to reserve it all the same) or
``allergen_refused`` (its policy is "refuse"), both with ``allergens`` (the flags hit).
"""
from __future__ import annotations

from datetime import date

from pydantic import Field

from sync.models import MAX_CENTS, Reservation
from sync.protocol import API
from sync.server.api_model import ApiModel as _Msg

RESERVATIONS = f"{API}/admin/reservations"
CANCEL = f"{API}/admin/reservations/{{reservation_id}}/cancel"
TOPUPS = f"{API}/admin/topups"
BANK_IMPORT = f"{API}/admin/bank-import"
ROSTER = f"{API}/admin/roster"
WALLET_HISTORY = f"{API}/admin/wallets/{{wallet_id}}/history"


class ReservationRequest(_Msg):
    student_id: str = Field(min_length=1, max_length=64)
    day: date
    article_code: str = Field(min_length=1, max_length=40)
    quantity: int = Field(default=1, ge=1, le=50)
    # The article hits one of the student's allergy or diet flags and the school's policy is
    # "confirm": the caller confirms explicitly (else refused with the code "allergen").
    confirm_allergens: bool = False


class ReservationAnswer(_Msg):
    reservation: Reservation
    wallet_id: str              # the wallet that paid
    amount_cents: int           # the debit (negative)
    balance_cents: int          # the wallet's balance after it
    confirmed: list[str] = []   # ["allergen"]: reserved on the caller's explicit confirmation


class CancelAnswer(_Msg):
    reservation: Reservation    # now "cancelled"
    wallet_id: str | None       # the wallet refunded (None: nothing was paid here)
    refunded_cents: int = Field(ge=0)
    balance_cents: int | None


class ReservationList(_Msg):
    reservations: list[Reservation]


class TopupRequest(_Msg):
    wallet_id: str = Field(min_length=1, max_length=64)
    amount_cents: int = Field(gt=0, le=MAX_CENTS)
    label: str | None = Field(default=None, max_length=200)     # "espèces au secrétariat"


class TopupAnswer(_Msg):
    movement_id: str
    wallet_id: str
    amount_cents: int
    balance_cents: int


class Credited(_Msg):
    line: int
    day: date
    wallet_id: str
    amount_cents: int


class Unmatched(_Msg):
    line: int                   # in the file, from 1
    reason: str                 # "bad check digit (mod 97)…", "unknown communication…"
    date: str                   # the cells as written
    amount: str
    communication: str


class BankImport(_Msg):
    lines: int                  # transfer lines read (not the header, not blank lines)
    matched: int                # credited now
    matched_cents: int
    already_imported: int       # credited by an earlier import of the same lines
    already_imported_cents: int
    credited: list[Credited]
    unmatched: list[Unmatched]  # credited nothing: for the finance office to look at


class RosterImport(_Msg):
    students: int               # in the file
    students_added: int
    students_updated: int
    students_unchanged: int
    not_in_roster: int          # the school's other students, left as they are
    badges_changed: int
    badges_blocked: int         # no longer listed for their student
    wallets_added: int
    wallets_updated: int
    parents_added: int = 0      # new parents' accounts (the parent_emails column, issue 17)


class Movement(_Msg):
    ts: str
    day: str
    kind: str                   # topup, transfer, reservation, refund; sale, photocopy, void
    amount_cents: int
    reservation_id: str | None
    label: str | None
    device_name: str | None     # a terminal's entry: which terminal, which seq
    seq: int | None


class WalletHistory(_Msg):
    wallet_id: str
    balance_cents: int
    movements: list[Movement]   # oldest first
