"""The print queue in the store (table ``print_jobs``) and what each job prints.

A job is a row: ``kind``, the journal entry it prints (``entry_seq``) or a JSON ``payload``,
``status`` pending → printed once the printer confirmed it (or failed when it can never print:
e.g. its entry is missing), ``attempts``, ``sends`` and ``last_error``. A job whose bytes went
out without a confirmation is ``unconfirmed``: it may have printed, or not (the printer went
silent, lost power): it prints again, marked as a possible second copy (DUPLICATA), once the
printer confirms again: a receipt is never lost. On a printer declared without status
(``[printer] confirm = "none"``) a job ends ``sent``: sent, unconfirmed. Enqueuing is one
INSERT inside the caller's transaction: a sale never waits for paper. The worker
(``kiosk.print_worker``) renders jobs with ``render_job`` — from the journal, so a receipt says
what the chained entry says — and marks them.

Kinds: ``receipt`` (a sale, photocopies, a void or a cash top-up entry), ``void``, ``z_report`` (the close
entry), ``x_report`` (payload: the report), ``pick_list`` and ``uncollected_list`` (payload: the day),
``low_balance`` (payload: the wallet and the suggested top-up).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from drivers.printer.document import Document
from kiosk import journal, names, payments, receipts
from kiosk.config import TerminalConfig
from sync.common.clock import iso_utc, parse_iso_utc
from sync.common.communications import validate_structured_communication
from sync.common.errors import Refusal

if TYPE_CHECKING:
    from kiosk.reports import Report
    from kiosk.store import Store

KINDS = ("receipt", "void", "z_report", "x_report", "pick_list", "uncollected_list", "low_balance")
LIST_KINDS = ("pick_list", "uncollected_list")
RECEIPT_KINDS = ("sale", "photocopy", "void")


class JobError(Exception):
    """This job can never be printed as it stands (its entry is missing, its payload is
    unreadable): it is marked failed with this reason, and can be reprinted once fixed."""


# -- enqueue ----------------------------------------------------------------------------------
# Built once: json.dumps with options makes a new encoder per call, on the sale path here.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_INSERT = "INSERT INTO print_jobs (created_at, kind, entry_seq, payload) VALUES (?, ?, ?, ?)"


def enqueue(conn: sqlite3.Connection, kind: str, now: datetime, entry_seq: int | None = None,
            payload: dict | None = None) -> int:
    """Queue a job inside the caller's write transaction; returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown print job kind {kind!r}")
    text = _JSON.encode(payload) if payload else "{}"
    return _inserted(conn.execute(_INSERT, (iso_utc(now), kind, entry_seq, text)))


def enqueue_x_report(store: Store, report: Report, now: datetime) -> int:
    with store.write() as conn:
        return enqueue(conn, "x_report", now, payload={"report": report.summary(),
                                                       "generated_at": report.generated_at})


def enqueue_list(store: Store, day: str, now: datetime, kind: str = "pick_list") -> int:
    """A day's reservations for the kitchen: ``pick_list`` (all of them) or
    ``uncollected_list`` (those not picked up yet). The worker reads them when it prints."""
    if kind not in LIST_KINDS:
        raise ValueError(f"unknown list {kind!r}")
    with store.write() as conn:
        return enqueue(conn, kind, now, payload={"day": day})


def enqueue_low_balance(store: Store, wallet_id: str, now: datetime, amount_cents: int = 0) -> int:
    """The top-up slip for a wallet (``amount_cents``: the suggested top-up, 0 for none)."""
    with store.write() as conn:
        if conn.execute("SELECT 1 FROM wallets WHERE id = ?", (wallet_id,)).fetchone() is None:
            raise Refusal("no_wallet")
        return enqueue(conn, "low_balance", now,
                       payload={"wallet_id": wallet_id, "amount_cents": amount_cents})


def reprint_last(store: Store, now: datetime) -> tuple[int, int]:
    """Queue again the receipt of the terminal's last sale, photocopies or void; returns
    (job id, entry seq). Nothing to reprint: ``Refusal('nothing_to_reprint')``."""
    with store.write() as conn:
        row = conn.execute("SELECT seq, kind FROM journal WHERE kind IN ('sale', 'photocopy', 'void')"
                           " ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            raise Refusal("nothing_to_reprint")
        seq, kind = row
        return enqueue(conn, "void" if kind == "void" else "receipt", now, seq), seq


def reprint(store: Store, job_id: int, now: datetime) -> int:
    """A new job printing the same thing as job ``job_id`` (printed, failed or pending)."""
    with store.write() as conn:
        row = conn.execute("SELECT kind, entry_seq, payload FROM print_jobs WHERE id = ?",
                           (job_id,)).fetchone()
        if row is None:
            raise Refusal("nothing_to_reprint")
        return _inserted(conn.execute(_INSERT, (iso_utc(now), *row)))


def _inserted(cursor: sqlite3.Cursor) -> int:
    assert cursor.lastrowid is not None          # (an INSERT's cursor always has it)
    return cursor.lastrowid


# -- the worker's side ------------------------------------------------------------------------
class Job(dict):
    """A print_jobs row as a dict (id, created_at, kind, entry_seq, payload, status,
    attempts, last_error, printed_at, sends); ``payload`` parsed."""


_COLUMNS = ("id, created_at, kind, entry_seq, payload, status, attempts, last_error, printed_at,"
            " sends")
WAITING = ("pending", "unconfirmed")           # jobs still to print
STATUSES = ("pending", "unconfirmed", "printed", "sent", "failed")


def _job(row: tuple) -> Job:
    job = Job(zip(_COLUMNS.split(", "), row))
    try:
        job["payload"] = json.loads(job["payload"] or "{}")
    except ValueError:
        job["payload"] = None        # render_job says it is unreadable
    return job


def next_pending(conn: sqlite3.Connection) -> Job | None:
    """The oldest job still to print (pending, or unconfirmed: sent without a confirmation):
    receipts come out in the order of the sales."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE status IN ('pending', 'unconfirmed')"
                       " ORDER BY id LIMIT 1").fetchone()
    return _job(row) if row else None


def get_job(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Jobs per status (pending, unconfirmed, printed, sent, failed), and ``waiting``: the
    jobs still to print (pending and unconfirmed)."""
    found = dict(conn.execute("SELECT status, COUNT(*) FROM print_jobs GROUP BY status"))
    out = {s: found.get(s, 0) for s in STATUSES}
    out["waiting"] = out["pending"] + out["unconfirmed"]
    return out


def mark_printed(conn: sqlite3.Connection, job_id: int, now: datetime, confirmed: bool = True) -> None:
    """The printer confirmed the job (``confirmed=False``: sent to a printer without status,
    the job ends ``sent``)."""
    conn.execute("UPDATE print_jobs SET status = ?, attempts = attempts + 1, sends = sends + 1,"
                 " last_error = NULL, printed_at = ? WHERE id = ? AND status IN ('pending', 'unconfirmed')",
                 ("printed" if confirmed else "sent", iso_utc(now), job_id))


def mark_attempt(conn: sqlite3.Connection, job_id: int, error: str) -> None:
    """The printer could not take it: the job stays where it was (pending or unconfirmed),
    with why."""
    conn.execute("UPDATE print_jobs SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                 (error, job_id))


def mark_unconfirmed(conn: sqlite3.Connection, job_id: int, error: str) -> None:
    """Its bytes went to the printer, no confirmation came: it may have printed. It will
    print again, marked as a possible second copy."""
    conn.execute("UPDATE print_jobs SET status = 'unconfirmed', attempts = attempts + 1,"
                 " sends = sends + 1, last_error = ? WHERE id = ? AND status IN ('pending', 'unconfirmed')",
                 (error, job_id))


def mark_failed(conn: sqlite3.Connection, job_id: int, error: str) -> None:
    conn.execute("UPDATE print_jobs SET status = 'failed', attempts = attempts + 1,"
                 " last_error = ? WHERE id = ?", (error, job_id))


# -- rendering --------------------------------------------------------------------------------
def render_job(conn: sqlite3.Connection, job: Job, config: TerminalConfig, columns: int) -> Document:
    """The document job ``job`` prints, read from the store in ``conn`` (one snapshot).
    ``JobError`` when it can never be printed."""
    if job["payload"] is None:
        raise JobError("unreadable payload")
    render = _RENDERERS.get(job["kind"])
    if render is None:
        raise JobError(f"unknown kind {job['kind']!r}")
    doc = render(_Context(conn, config, columns), job)
    if job.get("status") == "unconfirmed":          # it may be on paper already
        doc = receipts.duplicate(doc, config.terminal.language)
    return doc


class _Context:
    def __init__(self, conn: sqlite3.Connection, config: TerminalConfig, columns: int):
        self.conn, self.config, self.columns = conn, config, columns
        self.lang = config.terminal.language     # the school's: receipts are in its language
        self._names: names.NameBook | None = None

    def named(self, lines: list[dict]) -> list[dict]:
        """Lines with their article names in the receipt's language (kiosk.names)."""
        if self._names is None:
            self._names = names.read_in(self.conn, self.lang)
        return names.renamed(lines, self._names, self.lang)

    def named_summary(self, summary: dict) -> dict:
        articles = {code: {**a, "article": code} for code, a in summary["articles"].items()}
        pickups = {code: {**p, "article": code} for code, p in summary.get("pickups", {}).items()}
        return {**summary,
                "articles": dict(zip(articles, self.named(list(articles.values())))),
                "pickups": dict(zip(pickups, self.named(list(pickups.values()))))}

    def local(self, ts: str) -> datetime:
        return parse_iso_utc(ts).astimezone(self.config.tz)

    def period(self, summary: dict) -> tuple[datetime, datetime] | None:
        """A report's first and last entry's time, in the school's time zone."""
        first, last = summary.get("first_ts"), summary.get("last_ts")
        try:
            return (self.local(first), self.local(last)) if first and last else None
        except ValueError:
            return None

    def entry(self, job: Job) -> journal.Entry:
        entry = journal.get(self.conn, job["entry_seq"]) if job["entry_seq"] else None
        if entry is None:
            raise JobError(f"journal entry {job['entry_seq']} not found")
        return entry

    def operator(self, operator_id: str | None) -> str:
        row = self.conn.execute("SELECT name FROM operators WHERE id = ?", (operator_id,)).fetchone()
        return row[0] if row else (operator_id or "-")

    def student(self, student_id: str | None) -> str:
        row = self.conn.execute("SELECT first_name, last_name, class_name FROM students WHERE id = ?",
                                (student_id,)).fetchone()
        return f"{row[0]} {row[1]} ({row[2]})" if row else (student_id or "-")

    def balances_after(self, entry: journal.Entry) -> list[tuple[str, int]]:
        """Each wallet the entry moved, with its balance as the counter showed it right after
        that entry: the platform's balance, plus this terminal's entries up to this one that
        it had not included, minus the later ones it had."""
        out = []
        for posting in entry.data.get("postings", []):
            row = self.conn.execute(
                "SELECT w.name, w.balance_cents + COALESCE((SELECT SUM(CASE WHEN p.seq > w.included_seq"
                " AND p.seq <= :seq THEN p.amount_cents WHEN p.seq > :seq AND p.seq <= w.included_seq"
                " THEN -p.amount_cents ELSE 0 END) FROM postings p WHERE p.wallet_id = w.id), 0)"
                " FROM wallets w WHERE w.id = :wallet",
                {"seq": entry.seq, "wallet": posting["wallet"]}).fetchone()
            if row:
                out.append((row[0], row[1]))
        return out

    def header(self) -> dict:
        return {"school": self.config.school.name, "terminal": self.config.terminal.name}


def _receipt(ctx: _Context, job: Job) -> Document:
    entry = ctx.entry(job)
    if entry.kind == "void":
        return _void(ctx, job)
    if entry.kind == "cash_topup":
        return receipts.cash_receipt(
            ctx.columns, **ctx.header(), operator=ctx.operator(entry.operator_id),
            when=ctx.local(entry.ts), seq=entry.seq, student=ctx.student(entry.student_id),
            amount_cents=entry.amount_cents, lang=ctx.lang,
            balances=[(names.wallet(w, ctx.lang), c) for w, c in ctx.balances_after(entry)])
    if entry.kind not in ("sale", "photocopy"):
        raise JobError(f"entry {entry.seq} is a {entry.kind}, not a sale")
    balances = job["payload"].get("balances")
    if balances:                  # recorded at the sale: exactly what the counter showed
        marks = ",".join("?" * len(balances))
        wallets = dict(ctx.conn.execute(f"SELECT id, name FROM wallets WHERE id IN ({marks})",
                                        [w for w, _ in balances]))
        balances = [(wallets.get(w, w), cents) for w, cents in balances]
    else:
        balances = ctx.balances_after(entry)
    return receipts.sale_receipt(
        ctx.columns, **ctx.header(), operator=ctx.operator(entry.operator_id),
        when=ctx.local(entry.ts), seq=entry.seq, student=ctx.student(entry.student_id),
        lines=ctx.named(entry.data.get("lines", [])), total_cents=-entry.amount_cents,
        balances=[(names.wallet(w, ctx.lang), cents) for w, cents in balances],
        kind=entry.kind, lang=ctx.lang)


def _void(ctx: _Context, job: Job) -> Document:
    entry = ctx.entry(job)
    if entry.kind != "void":
        raise JobError(f"entry {entry.seq} is a {entry.kind}, not a void")
    if entry.ref_seq is None:
        raise JobError(f"void {entry.seq} names no sale")
    return receipts.void_receipt(
        ctx.columns, **ctx.header(), operator=ctx.operator(entry.operator_id),
        when=ctx.local(entry.ts), seq=entry.seq, voided_seq=entry.ref_seq,
        student=ctx.student(entry.student_id), lines=ctx.named(entry.data.get("lines", [])),
        credited_cents=entry.amount_cents, reason=entry.data.get("reason", ""),
        balances=[(names.wallet(w, ctx.lang), c) for w, c in ctx.balances_after(entry)],
        lang=ctx.lang)


def _z_report(ctx: _Context, job: Job) -> Document:
    entry = ctx.entry(job)
    if entry.kind != "close":
        raise JobError(f"entry {entry.seq} is a {entry.kind}, not a day close")
    summary = entry.data["report"]
    return receipts.report(ctx.columns, ctx.named_summary(summary), **ctx.header(),
                           when=ctx.local(entry.ts), close_seq=entry.seq, lang=ctx.lang,
                           period=ctx.period(summary))


def _x_report(ctx: _Context, job: Job) -> Document:
    try:
        summary, at = job["payload"]["report"], job["payload"]["generated_at"]
    except KeyError as e:
        raise JobError(f"payload without {e}") from None
    return receipts.report(ctx.columns, ctx.named_summary(summary), **ctx.header(),
                           when=ctx.local(at), lang=ctx.lang, period=ctx.period(summary))


def _pick_list(ctx: _Context, job: Job) -> Document:
    day = job["payload"].get("day")
    if not day:
        raise JobError("payload without the day")
    uncollected = job["kind"] == "uncollected_list"
    rows = ctx.conn.execute(
        "SELECT s.class_name, s.last_name, s.first_name, COALESCE(a.name_fr, r.article_code),"
        " r.quantity, r.article_code FROM reservations r LEFT JOIN students s ON s.id = r.student_id"
        " LEFT JOIN articles a ON a.code = r.article_code"
        " WHERE r.day = ? AND r.status " + ("= 'reserved'" if uncollected else "!= 'cancelled'"),
        (day,)).fetchall()
    keys = ("class_name", "last_name", "first_name", "name", "quantity", "article")
    return receipts.pick_list(ctx.columns, day=day,
                              reservations=ctx.named([dict(zip(keys, r)) for r in rows]),
                             terminal=ctx.config.terminal.name, lang=ctx.lang,
                             uncollected=uncollected)


def _low_balance(ctx: _Context, job: Job) -> Document:
    wallet_id = job["payload"].get("wallet_id")
    row = ctx.conn.execute(
        "SELECT w.name, w.structured_communication, w.student_id, w.balance_cents"
        " + COALESCE((SELECT SUM(p.amount_cents) FROM postings p WHERE p.wallet_id = w.id"
        " AND p.seq > w.included_seq), 0) FROM wallets w WHERE w.id = ?", (wallet_id,)).fetchone()
    if row is None:
        raise JobError(f"wallet {wallet_id} not found")
    name, communication, student_id, balance = row
    return low_balance_document(ctx.config, ctx.columns, student=ctx.student(student_id),
                                wallet=name, balance_cents=balance, communication=communication,
                                amount_cents=job["payload"].get("amount_cents") or 0,
                                when=ctx.local(job["created_at"]))


def low_balance_document(config: TerminalConfig, columns: int, *, student: str, wallet: str,
                         balance_cents: int, communication: str, amount_cents: int,
                         when: datetime) -> Document:
    """The top-up slip, with the EPC QR code when the school's IBAN is set and an amount is
    suggested (a banking app needs both)."""
    school = config.school
    try:
        iban = payments.format_iban(school.iban)
        communication = validate_structured_communication(communication)
    except ValueError as e:
        raise JobError(str(e)) from None
    bic = school.bic or payments.bic_of(school.iban) or ""
    qr = (payments.epc_payload(school.name, school.iban, amount_cents, communication, bic or None)
          if amount_cents > 0 and school.name else None)
    return receipts.low_balance_slip(
        columns, school=school.name, iban=iban, bic=bic, student=student, wallet=wallet,
        balance_cents=balance_cents, communication=communication, amount_cents=amount_cents,
        epc_payload=qr, when=when, lang=config.terminal.language)


_RENDERERS: dict[str, Callable[[_Context, Job], Document]] = {
    "receipt": _receipt, "void": _void, "z_report": _z_report, "x_report": _x_report,
    "pick_list": _pick_list, "uncollected_list": _pick_list, "low_balance": _low_balance}
