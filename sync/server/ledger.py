"""The platform's money: sandwich reservations, top-ups and bank transfers, each one a
movement in the wallet's history (table ``wallet_movements``).

The parents' manuals say (``/work/shared/seeds``): "Réservation = Paiement" — the article is
debited from the wallet the moment it is reserved; reservations and cancellations close at the
school's cutoff that morning (8:15 or 8:30: ``cutoff``, default 08:30 in the school's time zone); a
cancellation before the cutoff refunds; "si le solde du portefeuille est à 0, vous ne pourrez
effectuer aucune réservation"; parents top up by bank transfer with the wallet's structured
communication, credited when the finance office imports the bank statement (``import_bank``,
lines parsed by ``bank_statement``).

Every function here works through the database's public interface
(``Database.transaction``, ``Database.execute``) with portable SQL (``?`` placeholders,
integer cents, ISO text), so that it works on each backend. Every change of a wallet's
balance or of a reservation takes a new change version (``Database.next_versions``): the
terminals' next pull delivers it, with the wallet's ``included_seq`` untouched (a platform
movement is no terminal's entry). Days are the school's, in its own time zone.

Balance invariant, for every wallet: balance = opening balance (when first loaded)
+ top-ups + transfers − pushed sales + pushed voids − reservations + refunds.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sync.common.clock import business_day, local_time
from sync.common.money import format_cents
from sync.common.wallets import paying_wallet
from sync.models import MAX_CENTS
from sync.server import bank_statement, diet, school_days
from sync.server.database import Connection, Database
from sync.server.devices import Device
from sync.server.errors import CentralError, Phrase
from sync.server.schools import (
    TIMEZONE,
    require_school,
    set_setting_values,
    setting_values,
    timezone_in,
    zone,
)

log = logging.getLogger("comptoir.central")

DEFAULT_CUTOFF = "08:30"
CUTOFF = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Movement kinds: money in from the desk or a transfer, a reservation's debit, its refund.
MOVEMENT_KINDS = ("topup", "transfer", "reservation", "refund")


class LedgerRefusal(CentralError):
    """A refusal of the ledger; ``missing_cents`` says how much the wallet lacks."""

    def __init__(self, code: str, text: str, *, missing_cents: int | None = None, **params: Any):
        super().__init__(code, text, **params)
        self.missing_cents = missing_cents


def euros(cents: int) -> str:
    """Cents for a message, as the school writes them.

    >>> euros(-270)
    '-2,70\\xa0€'
    """
    return format_cents(cents)


# -- the school's settings ----------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    cutoff: time                # reservations for a day close at this local time that day
    timezone: ZoneInfo


def settings(db: Database, school_id: str, conn: Connection | None = None) -> Settings:
    """The school's reservation cutoff and time zone (defaults: 08:30, Europe/Brussels)."""
    values = setting_values(db, school_id, conn)
    cutoff = CUTOFF.match(values.get("reservation_cutoff", DEFAULT_CUTOFF))
    if cutoff is None:      # set_settings writes only HH:MM: someone wrote the table by hand
        raise CentralError("invalid", "school {school!r}: unreadable reservation cutoff",
                           school=school_id)
    hours, minutes = cutoff.groups()
    return Settings(time(int(hours), int(minutes)), timezone_in(values))


def set_settings(db: Database, school_id: str, *, cutoff: str | None = None,
                 timezone: str | None = None) -> Settings:
    """Change the school's cutoff ("08:15") and/or time zone ("Europe/Brussels")."""
    set_setting_values(db, school_id, settings_changes(cutoff=cutoff, timezone=timezone))
    return settings(db, school_id)


def settings_changes(*, cutoff: str | None = None, timezone: str | None = None) -> dict[str, str]:
    """The school_settings rows that set the cutoff and/or time zone, checked (``invalid``)."""
    values = {}
    if cutoff is not None:
        if not CUTOFF.match(cutoff.strip()):
            raise CentralError("invalid", "cutoff {cutoff!r}: not a time of day HH:MM"
                                          " (e.g. 08:15)", cutoff=cutoff)
        values["reservation_cutoff"] = cutoff.strip()
    if timezone is not None:
        values[TIMEZONE] = zone(timezone).key
    return values


# -- movements ------------------------------------------------------------------------------
def _move(db: Database, conn: Connection, school_id: str, wallet_id: str, kind: str, cents: int, *,
          reservation_id: str | None = None, source_key: str | None = None,
          label: str | None = None) -> tuple[str, int]:
    """Add ``cents`` (signed) to a wallet's balance, with a new change version, and record the
    movement; returns (movement id, new balance). Must run in the caller's write txn."""
    row = db.execute(conn, "SELECT balance_cents FROM wallets WHERE school_id = ? AND id = ?",
                     (school_id, wallet_id)).fetchone()
    if row is None:
        raise LedgerRefusal("not_found", "no wallet {wallet!r} in this school", wallet=wallet_id)
    balance = row[0] + cents
    if abs(balance) > MAX_CENTS:
        raise CentralError("invalid", "the balance would be {balance}: refused",
                           balance=euros(balance))
    version = db.next_versions(conn, 1)
    db.execute(conn, "UPDATE wallets SET balance_cents = ?, version = ? WHERE school_id = ?"
                     " AND id = ?", (balance, version, school_id, wallet_id))
    movement_id = "M" + secrets.token_hex(8)
    db.execute(conn, "INSERT INTO wallet_movements (school_id, id, wallet_id, kind, amount_cents,"
                     " ts, day, reservation_id, source_key, label)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (school_id, movement_id, wallet_id, kind, cents, db.stamp(),
                business_day(db.now(), settings(db, school_id, conn).timezone).isoformat(),
                reservation_id, source_key, label))
    return movement_id, balance


move = _move    # for the office's money modules (bank_import, wallet_ops)


def topup(db: Database, school_id: str, wallet_id: str, amount_cents: int,
          label: str | None = None) -> dict:
    """Credit a wallet (money received at the desk, a correction...): ``amount_cents`` > 0.
    Returns the TopupAnswer fields."""
    if type(amount_cents) is not int or not 0 < amount_cents <= MAX_CENTS:
        raise CentralError("invalid", "a top-up is a whole number of cents above zero")
    with db.transaction() as conn:
        movement, balance = _move(db, conn, school_id, wallet_id, "topup", amount_cents,
                                  label=label)
    log.info("top-up %s on wallet %s", euros(amount_cents), wallet_id)
    return {"movement_id": movement, "wallet_id": wallet_id, "amount_cents": amount_cents,
            "balance_cents": balance}


# -- reservations -------------------------------------------------------------------------
def _check_open(db: Database, conn: Connection, school_id: str, day: date, what: str) -> None:
    """Reservations and cancellations for ``day`` close at the school's cutoff that morning
    (``what``: "reservation" or "cancellation"; each has its own sentences, for the
    translations)."""
    s = settings(db, school_id, conn)
    now = db.now().astimezone(s.timezone)
    shown, cutoff = f"{day:%d/%m/%Y}", f"{s.cutoff:%H:%M}"
    reserving = what == "reservation"
    if day < now.date():
        if reserving:
            raise LedgerRefusal("too_late", "{day} is past: no reservation any more", day=shown)
        raise LedgerRefusal("too_late", "{day} is past: no cancellation any more", day=shown)
    if now >= datetime.combine(day, s.cutoff, tzinfo=s.timezone):
        if reserving:
            raise LedgerRefusal("too_late", "Reservations for {day} closed at {cutoff} that"
                                " morning", day=shown, cutoff=cutoff)
        raise LedgerRefusal("too_late", "Cancellations for {day} closed at {cutoff} that"
                            " morning", day=shown, cutoff=cutoff)


def _record(row: tuple[Any, ...]) -> dict:
    return {"id": row[0], "day": row[1], "student_id": row[2], "article_code": row[3],
            "quantity": row[4], "status": row[5]}


def create_reservation(db: Database, school_id: str, student_id: str, day: date,
                       article_code: str, quantity: int = 1,
                       confirm_allergens: bool = False) -> dict:
    """Reserve ``quantity`` of a reservable article for a student on ``day`` and pay for it at
    once from the wallet that pays for the article's category (its ``wallet_kind``, else the
    student's default wallet). Refused after the cutoff, for a day the school is closed or
    beyond its horizon (``school_days``), for an article that is not
    reservable, and when the balance does not cover it (``missing_cents``; a wallet at zero
    or below reserves nothing, even a free article); by the school's allergen policy when
    the article hits one of the student's allergy or diet flags (``diet``: refused, or
    refused unless ``confirm_allergens``). Returns the ReservationAnswer fields."""
    if type(quantity) is not int or not 1 <= quantity <= 50:
        raise CentralError("invalid", "quantity: 1 to 50")
    with db.transaction() as conn:
        require_school(db, conn, school_id)
        _check_open(db, conn, school_id, day, "reservation")
        school_days.check_reservable(db, conn, school_id, day)     # open day, within horizon
        if not db.execute(conn, "SELECT 1 FROM students WHERE school_id = ? AND id = ?",
                          (school_id, student_id)).fetchone():
            raise LedgerRefusal("not_found", "no student {student!r} in this school",
                                student=student_id)
        article = db.execute(conn, "SELECT a.name_fr, a.price_cents, a.reservable, a.active,"
                                   " c.wallet_kind, a.allergens FROM articles a"
                                   " LEFT JOIN categories c"
                                   " ON c.school_id = a.school_id AND c.code = a.category"
                                   " WHERE a.school_id = ? AND a.code = ?",
                             (school_id, article_code)).fetchone()
        if article is None:
            raise LedgerRefusal("not_found", "no article {article!r} in this school",
                                article=article_code)
        name, price, reservable, active, wallet_kind, tags = article
        if not reservable or not active:
            raise CentralError("invalid", "{article} cannot be reserved", article=name)
        confirmed = diet.check_reservation(db, conn, school_id, student_id, name, tags,
                                           confirm_allergens)
        wallets = db.execute(conn, "SELECT id, kind, balance_cents, name FROM wallets"
                                   " WHERE school_id = ? AND student_id = ?"
                                   " ORDER BY is_default DESC, id",
                             (school_id, student_id)).fetchall()
        if not wallets:
            raise CentralError("invalid", "student {student!r} has no wallet: nothing can"
                                          " be reserved", student=student_id)
        wallet = paying_wallet(wallets, wallet_kind, kind=itemgetter(1))
        wallet_id, _, balance, wallet_name = wallet
        cost = price * quantity
        if balance <= 0:
            raise LedgerRefusal("insufficient_balance",
                                "the wallet {wallet!r} is at {balance}: no reservation is"
                                " possible (top it up first)", wallet=wallet_name,
                                balance=euros(balance),
                                missing_cents=cost - balance if cost > balance else None)
        if balance < cost:
            raise LedgerRefusal("insufficient_balance",
                                "{cost} to pay, {balance} in the wallet {wallet!r}:"
                                " {missing} missing", cost=euros(cost), balance=euros(balance),
                                wallet=wallet_name, missing=euros(cost - balance),
                                missing_cents=cost - balance)
        reservation_id = _new_reservation_id(db, conn, school_id, day)
        db.execute(conn, "INSERT INTO reservations (school_id, id, day, student_id, article_code,"
                         " quantity, status, version) VALUES (?, ?, ?, ?, ?, ?, 'reserved', ?)",
                   (school_id, reservation_id, day.isoformat(), student_id, article_code, quantity,
                    db.next_versions(conn, 1)))
        _, balance = _move(db, conn, school_id, wallet_id, "reservation", -cost,
                           reservation_id=reservation_id, label=name)
    log.info("reservation %s for %s: %s debited", reservation_id, day, euros(cost))
    return {"reservation": {"id": reservation_id, "day": day.isoformat(),
                            "student_id": student_id, "article_code": article_code,
                            "quantity": quantity, "status": "reserved"},
            "wallet_id": wallet_id, "amount_cents": -cost, "balance_cents": balance,
            "confirmed": confirmed}


def _new_reservation_id(db: Database, conn: Connection, school_id: str, day: date) -> str:
    while True:
        candidate = f"R{day:%Y%m%d}-{secrets.token_hex(4).upper()}"
        if not db.execute(conn, "SELECT 1 FROM reservations WHERE school_id = ? AND id = ?",
                          (school_id, candidate)).fetchone():
            return candidate


def cancel_reservation(db: Database, school_id: str, reservation_id: str) -> dict:
    """Cancel a reservation before its day's cutoff and refund what it debited (to the wallet
    it came from). A reservation loaded from a file without a payment here refunds nothing.
    Returns the CancelAnswer fields."""
    with db.transaction() as conn:
        row = db.execute(conn, "SELECT id, day, student_id, article_code, quantity, status"
                               " FROM reservations WHERE school_id = ? AND id = ?",
                         (school_id, reservation_id)).fetchone()
        if row is None:
            raise LedgerRefusal("not_found", "no reservation {reservation!r} in this school",
                                reservation=reservation_id)
        if row[5] != "reserved":
            if row[5] == "cancelled":
                raise LedgerRefusal("not_cancellable", "reservation {reservation} is already"
                                    " cancelled", reservation=reservation_id)
            raise LedgerRefusal("not_cancellable", "reservation {reservation} is already"
                                " delivered", reservation=reservation_id)
        _check_open(db, conn, school_id, date.fromisoformat(row[1]), "cancellation")
        wallet_id, refunded, balance = refund_reservation(db, conn, school_id, reservation_id)
    log.info("reservation %s cancelled: %s refunded", reservation_id, euros(refunded))
    return {"reservation": _record(row) | {"status": "cancelled"}, "wallet_id": wallet_id,
            "refunded_cents": refunded, "balance_cents": balance}


def refund_reservation(db: Database, conn: Connection, school_id: str, reservation_id: str,
                       reason: str | None = None) -> tuple[str | None, int, int | None]:
    """Cancel a reservation and give back, as "refund" movements, what it debited (to the
    wallet it came from), in the caller's write transaction; ``reason`` (a closure's) is kept
    on the reservation and in the refund's label, for the parents. Returns (the wallet
    refunded, the cents refunded, its balance); a reservation loaded without a payment here
    refunds nothing."""
    db.execute(conn, "UPDATE reservations SET status = 'cancelled', version = ?, cancel_reason = ?"
                     " WHERE school_id = ? AND id = ?",
               (db.next_versions(conn, 1), reason, school_id, reservation_id))
    paid = db.execute(conn, "SELECT wallet_id, SUM(amount_cents), MAX(label)"
                            " FROM wallet_movements WHERE school_id = ? AND reservation_id = ?"
                            " GROUP BY wallet_id ORDER BY wallet_id",
                      (school_id, reservation_id)).fetchall()
    wallet_id, refunded, balance = None, 0, None
    for wallet_id, cents, label in paid:
        cents = int(cents)      # SUM may come back as a decimal (PostgreSQL)
        if cents < 0:
            _, balance = _move(db, conn, school_id, wallet_id, "refund", -cents,
                               reservation_id=reservation_id,
                               label=f"{label} ({reason})" if reason else label)
            refunded -= cents
    return wallet_id, refunded, balance


def reservations(db: Database, school_id: str, *, day: date | None = None,
                 student_id: str | None = None) -> list[dict]:
    """The school's reservations (of a day, of a student), by day then id."""
    where, params = ["school_id = ?"], [school_id]
    if day:
        where.append("day = ?")
        params.append(day.isoformat())
    if student_id:
        where.append("student_id = ?")
        params.append(student_id)
    with db.transaction(write=False) as conn:
        rows = db.execute(conn, "SELECT id, day, student_id, article_code, quantity, status"
                                " FROM reservations WHERE " + " AND ".join(where)
                          + " ORDER BY day, id", params).fetchall()
    return [_record(r) for r in rows]


# -- hooks called by push and the sales journal ---------------------------------------
def mark_delivered(db: Database, conn: Connection, device: Device, data: dict) -> None:
    """A pushed ``pickup`` entry (its ``items`` name their ``reservation``): those
    reservations are delivered, with a new version so that every terminal learns it. A
    reservation cancelled here but handed over by a terminal that did not know yet is
    delivered all the same (that is what happened), and logged for the finance office."""
    items = data.get("items")
    for item in items if isinstance(items, list) else []:
        rid = item.get("reservation") if isinstance(item, dict) else None
        if not isinstance(rid, str):
            continue
        row = db.execute(conn, "SELECT status FROM reservations WHERE school_id = ? AND id = ?",
                         (device.school_id, rid)).fetchone()
        if row is None or row[0] == "delivered":
            continue        # not one of the platform's, or told already by another terminal
        if row[0] == "cancelled":
            log.warning("reservation %s was cancelled (and refunded) but delivered by device %s",
                        rid, device.id)
        db.execute(conn, "UPDATE reservations SET status = 'delivered', version = ?"
                         " WHERE school_id = ? AND id = ?",
                   (db.next_versions(conn, 1), device.school_id, rid))


def journal_lines(db: Database, conn: Connection, school_id: str, first: date, last: date,
                  tz: ZoneInfo, *, student_id: str | None = None,
                  wallet_id: str | None = None) -> list[dict]:
    """The reservations and refunds made on the platform between two business days, as rows
    of the parents' sales journal (``sales_journal``; local times in ``tz``, the school's):
    no device, no seq."""
    where = ["m.school_id = ?", "m.kind IN ('reservation', 'refund')", "m.day >= ?",
             "m.day <= ?"]
    params: list = [school_id, first.isoformat(), last.isoformat()]
    if student_id:
        where.append("r.student_id = ?")
        params.append(student_id)
    if wallet_id:
        where.append("m.wallet_id = ?")
        params.append(wallet_id)
    rows = db.execute(conn, "SELECT m.ts, m.day, m.kind, r.student_id, s.first_name, s.last_name,"
                            " m.wallet_id, w.name, r.article_code, m.label, r.quantity,"
                            " m.amount_cents FROM wallet_movements m"
                            " JOIN reservations r ON r.school_id = m.school_id"
                            " AND r.id = m.reservation_id"
                            " LEFT JOIN students s ON s.school_id = m.school_id"
                            " AND s.id = r.student_id"
                            " LEFT JOIN wallets w ON w.school_id = m.school_id"
                            " AND w.id = m.wallet_id"
                            " WHERE " + " AND ".join(where) + " ORDER BY m.ts DESC, m.id",
                      params).fetchall()
    return [{"ts": ts, "local_time": local_time(ts, tz), "day": day, "kind": kind,
             "device_id": None, "device_name": None, "seq": None, "ref_seq": None,
             "student_id": student, "student_name": f"{first_name} {last_name}" if first_name
             else None, "wallet_id": wallet, "wallet_name": wallet_name, "article": code,
             "article_name": label or code, "quantity": qty, "amount_cents": cents}
            for (ts, day, kind, student, first_name, last_name, wallet, wallet_name, code, label,
                 qty, cents) in rows]


# -- the wallet's history (the parents' "opérations financières") --------------------------
def wallet_history(db: Database, school_id: str, wallet_id: str) -> dict:
    """Every movement of a wallet, oldest first: the platform's (top-ups, transfers,
    reservations, refunds) and the terminals' pushed entries (sales, photocopies, voids).
    Returns the WalletHistory fields: ``balance_cents`` and the ``movements``."""
    with db.transaction(write=False) as conn:
        row = db.execute(conn, "SELECT balance_cents FROM wallets WHERE school_id = ? AND id = ?",
                         (school_id, wallet_id)).fetchone()
        if row is None:
            raise LedgerRefusal("not_found", "no wallet {wallet!r} in this school",
                                wallet=wallet_id)
        platform = db.execute(conn, "SELECT ts, day, kind, amount_cents, reservation_id, label"
                                    " FROM wallet_movements WHERE school_id = ? AND wallet_id = ?",
                              (school_id, wallet_id)).fetchall()
        pushed = db.execute(conn, "SELECT j.ts, j.day, j.kind, p.amount_cents, d.name, j.seq"
                                  " FROM postings p JOIN journal j ON j.device_id = p.device_id"
                                  " AND j.seq = p.seq JOIN devices d ON d.id = p.device_id"
                                  " WHERE d.school_id = ? AND p.wallet_id = ?",
                            (school_id, wallet_id)).fetchall()
    movements = [{"ts": ts, "day": day, "kind": kind, "amount_cents": cents,
                  "reservation_id": rid, "label": label, "device_name": None, "seq": None}
                 for ts, day, kind, cents, rid, label in platform]
    movements += [{"ts": ts, "day": day, "kind": kind, "amount_cents": cents,
                   "reservation_id": None, "label": None, "device_name": name, "seq": seq}
                  for ts, day, kind, cents, name, seq in pushed]
    movements.sort(key=lambda m: m["ts"])
    return {"wallet_id": wallet_id, "balance_cents": row[0], "movements": movements}


# -- bank statements --------------------------------------------------------------------------
def credit_lines(db: Database, conn: Connection, school_id: str,
                 lines: list[bank_statement.BankLine],
                 unmatched: list[dict]) -> tuple[list[dict], list[dict]]:
    """Credit each statement line to the one wallet its structured communication names, once:
    (credited, already imported), each ``{line, day, wallet_id, amount_cents}``. A line that
    names no wallet, or several, goes to ``unmatched`` with its reason (never a guess); one
    imported before (its ``key``, from this file or another, in any form) is not credited
    again. Runs in the caller's write transaction, for every statement form."""
    credited: list[dict] = []
    already: list[dict] = []
    for line in lines:
        found = db.execute(conn, "SELECT id FROM wallets WHERE school_id = ?"
                                 " AND structured_communication = ?",
                           (school_id, line.communication)).fetchall()
        if len(found) != 1:
            unmatched.append(line.problem(
                Phrase("unknown communication: no wallet has it") if not found else
                Phrase("{count} wallets have this communication: fix the roster first",
                       count=len(found))))
            continue
        row = {"line": line.line, "day": line.day, "wallet_id": found[0][0],
               "amount_cents": line.amount_cents}
        if db.execute(conn, "SELECT 1 FROM wallet_movements WHERE school_id = ?"
                            " AND source_key = ?", (school_id, line.key)).fetchone():
            already.append(row)
            continue
        _move(db, conn, school_id, row["wallet_id"], "transfer", line.amount_cents,
              source_key=line.key, label=f"virement du {line.day:%d/%m/%Y}")
        credited.append(row)
    return credited, already


def import_bank(db: Database, school_id: str, text: str) -> dict:
    """Credit the wallets named by the structured communications of a bank statement (CSV,
    ``bank_statement.parse``), all in one transaction. A line whose communication has a bad
    check digit or names no wallet, or whose amount or date cannot be read, is reported in
    ``unmatched`` (line number and reason) and credits nothing: never a guess. A line
    imported before (same bank reference, or same date, amount, communication and
    occurrence in its file) is counted in ``already_imported`` and not credited again.
    Returns the BankImport fields."""
    lines, unmatched = bank_statement.parse(text)
    total = len(lines) + len(unmatched)
    with db.transaction() as conn:
        require_school(db, conn, school_id)
        credited, already = credit_lines(db, conn, school_id, lines, unmatched)
    unmatched.sort(key=lambda u: u["line"])
    log.info("bank import: %d credited, %d already imported, %d unmatched", len(credited),
             len(already), len(unmatched))
    return {"lines": total, "matched": len(credited),
            "matched_cents": sum(c["amount_cents"] for c in credited),
            "already_imported": len(already),
            "already_imported_cents": sum(a["amount_cents"] for a in already),
            "credited": credited,
            "unmatched": unmatched}
