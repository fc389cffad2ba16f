"""The school's roster: students, their class, badges and wallets (each with its structured
communication), loaded from the school's CSV or JSON export and refreshed by loading it again.

A refresh updates names, classes, badges and wallets' names and communications; it never
changes a balance (money moves only with top-ups, transfers, reservations and the terminals'
sales), never deletes anyone (a student absent from the file is left as is), and keeps what
the roster does not carry (photos, allergen flags, parents' limits). A student's badge that
the file no longer lists is blocked (a replaced card stops working); one blocked as lost (at a
terminal or by the office, ``sync.server.badges``) stays blocked until unblocked. A new wallet
starts at zero and, without a communication in the file, gets a new one of its own, which it
keeps.

The whole file is checked before anything is written: one bad line refuses the file with every
problem's line number, and nothing changes.

CSV: one line per student and wallet, with a first line of column names (any order):
``student_id, last_name, first_name, class`` (required) and ``badges`` (UIDs separated by
spaces or ``|``), ``wallet_id``, ``wallet_kind`` (default ``main``), ``wallet_name`` (default
``Portefeuille``), ``communication``, ``parent_emails`` (optional; the parents' addresses,
separated by spaces or ``|``: their accounts on the parents' pages, ``sync.server.parents``;
with the column, a student's parents are exactly those listed). A student with a second wallet gets a second
line with the same id and names; the first wallet listed is the default one. ``;`` is the
separator when the first line has one, else ``,``.

JSON: ``{"format": "comptoir-roster/1", "students": [{"id", "first_name", "last_name",
"class_name", "badges": [...], "wallets": [{"id", "kind", "name",
"structured_communication"}], "parent_emails": [...]}]}``; a problem names the student's position
(``students[3]``).
"""
from __future__ import annotations

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field

from sync.common.communications import structured_communication
from sync.common.errors import Refusal
from sync.common.uids import normalise_uid
from sync.server import parents
from sync.server.bank_statement import parse_communication
from sync.server.database import Database
from sync.server.errors import CentralError, Joined, Phrase
from sync.server.schools import require_school
from sync.server.staff import clean_email

FORMAT = "comptoir-roster/1"
REQUIRED = ("student_id", "last_name", "first_name", "class")
OPTIONAL = ("badges", "wallet_id", "wallet_kind", "wallet_name", "communication",
            "parent_emails")
ALIASES = {"class_name": "class", "badge": "badges", "structured_communication": "communication"}
MAX_PROBLEMS = 20           # listed in one refusal; the rest are counted


@dataclass
class RosterWallet:
    where: str                  # "line 4" or "students[3].wallets[0]"
    id: str
    kind: str
    name: str
    communication: str | None   # None: keep the wallet's own, or make one for a new wallet


@dataclass
class RosterStudent:
    where: str
    id: str
    first_name: str
    last_name: str
    class_name: str
    badges: list[tuple[str, str]] = field(default_factory=list)      # (uid, where)
    wallets: list[RosterWallet] = field(default_factory=list)
    parent_emails: list[str] | None = None      # None: the file does not say (left as is)


class _Problems(list):
    def refuse_if_any(self) -> None:
        if self:
            shown = self[:MAX_PROBLEMS]
            if len(self) > MAX_PROBLEMS:
                shown.append(Phrase("… and {count} more", count=len(self) - MAX_PROBLEMS))
            raise CentralError("invalid", "roster refused, nothing changed:\n  {problems}",
                               problems=Joined("\n  ", shown))


# -- reading --------------------------------------------------------------------------------
def parse(text: str) -> tuple[list[RosterStudent], bool]:
    """The roster's students (JSON when the text starts with ``{``, else CSV) and whether it
    lists badges (a file without badges leaves them alone)."""
    problems = _Problems()
    if text.lstrip().startswith("{"):
        students, has_badges = _parse_json(text, problems)
    else:
        students, has_badges = _parse_csv(text, problems)
    if not students and not problems:
        problems.append(Phrase("the roster lists no student"))
    _check_unique(students, problems)
    problems.refuse_if_any()
    return students, has_badges


def _text(value: object, where: str, name: str, problems: list, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Phrase("{where}: {name} is missing", where=where, name=name))
        return ""
    if not isinstance(value, str):
        problems.append(Phrase("{where}: {name} is not text", where=where, name=name))
        return ""
    return value.strip()


def _badges(raw: list[str], where: str, problems: list) -> list[tuple[str, str]]:
    found = []
    for uid in raw:
        try:
            found.append((normalise_uid(uid), where))
        except Refusal:     # a UID is personal data: its position only, never its value
            problems.append(Phrase("{where}: badge #{number} is not a badge UID"
                                   " (4 to 10 bytes in hexadecimal)", where=where,
                                   number=len(found) + 1))
    return found


def _emails(raw: str, where: str, problems: list) -> list[str]:
    found = []
    for number, email in enumerate((e for e in re.split(r"[\s|,]+", raw) if e), 1):
        try:
            found.append(clean_email(email))
        except CentralError:    # an address is personal data: its position only
            problems.append(Phrase("{where}: parent e-mail #{number} is not an e-mail address",
                                   where=where, number=number))
    return found


def _communication(raw: str, where: str, problems: list) -> str | None:
    if not raw:
        return None
    try:
        return parse_communication(raw)
    except ValueError as e:
        problems.append(Phrase("{where}: communication: {problem}", where=where,
                               problem=e.args[0]))
        return None


def _parse_csv(text: str, problems: list) -> tuple[list[RosterStudent], bool]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=";" if ";" in first else ",")
    columns: dict[str, int] | None = None
    students: dict[str, RosterStudent] = {}
    for cells in reader:
        where = Phrase("line {line}", line=reader.line_num)
        if not any(c.strip() for c in cells):
            continue
        if columns is None:
            columns = {ALIASES.get(c.strip().lower(), c.strip().lower()): i
                       for i, c in enumerate(cells)}
            missing = [c for c in REQUIRED if c not in columns]
            unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
            if missing or unknown:
                found = [Phrase("{where}: the column names must include {required}"
                                " (optional: {optional})", where=where,
                                required=", ".join(REQUIRED), optional=", ".join(OPTIONAL))]
                if missing:
                    found.append(Phrase("missing: {columns}", columns=", ".join(missing)))
                if unknown:
                    found.append(Phrase("unknown: {columns}", columns=", ".join(unknown)))
                problems.append(Joined("; ", found))
                return [], False
            continue
        if len(cells) > len(columns):
            problems.append(Phrase("{where}: {cells} cells for {columns} columns", where=where,
                                   cells=len(cells), columns=len(columns)))
            continue

        def cell(name: str, cells: list[str] = cells, columns: dict[str, int] = columns) -> str:
            i = columns.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        sid = _text(cell("student_id"), where, "student_id", problems)
        student = RosterStudent(where, sid,
                                _text(cell("first_name"), where, "first_name", problems),
                                _text(cell("last_name"), where, "last_name", problems),
                                _text(cell("class"), where, "class", problems))
        student.badges = _badges([u for u in re.split(r"[\s|]+", cell("badges")) if u], where,
                                 problems)
        if "parent_emails" in columns:
            student.parent_emails = _emails(cell("parent_emails"), where, problems)
        wallet_id = cell("wallet_id")
        if wallet_id:
            student.wallets.append(RosterWallet(
                where, wallet_id, cell("wallet_kind") or "main",
                cell("wallet_name") or "Portefeuille",
                _communication(cell("communication"), where, problems)))
        elif cell("communication") or cell("wallet_kind") or cell("wallet_name"):
            problems.append(Phrase("{where}: wallet columns filled without a wallet_id", where=where))
        if not sid:
            continue
        known = students.get(sid)
        if known is None:
            students[sid] = student
            continue
        # Another line of the same student: another wallet (and maybe more badges).
        same = (known.first_name, known.last_name, known.class_name) == (
            student.first_name, student.last_name, student.class_name)
        if not same:
            problems.append(Phrase("{where}: student {student} has other names or class than"
                                   " on {other}", where=where, student=sid, other=known.where))
        known.badges += student.badges
        known.wallets += student.wallets
        if known.parent_emails is not None and student.parent_emails:
            known.parent_emails += student.parent_emails
    if columns is None:
        problems.append(Phrase("the file is empty"))
    return list(students.values()), columns is not None and "badges" in columns


def _parse_json(text: str, problems: list) -> tuple[list[RosterStudent], bool]:
    try:
        data = json.loads(text)
    except ValueError as e:
        problems.append(Phrase("not JSON: {error}", error=e))
        return [], False
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        problems.append(Phrase('a JSON roster starts with {{"format": "{format}", "students": [...]}}',
                               format=FORMAT))
        return [], False
    unknown = set(data) - {"format", "students"}
    if unknown:
        problems.append(Phrase("unknown keys: {keys}", keys=", ".join(sorted(unknown))))
    raw_students = data.get("students")
    if not isinstance(raw_students, list):
        problems.append(Phrase("students: a list is expected"))
        return [], False
    students, has_badges = [], False
    for i, raw in enumerate(raw_students):
        where = f"students[{i}]"
        if not isinstance(raw, dict):
            problems.append(Phrase("{where}: an object is expected", where=where))
            continue
        unknown = set(raw) - {"id", "first_name", "last_name", "class_name", "badges", "wallets",
                              "parent_emails"}
        if unknown:
            problems.append(Phrase("{where}: unknown keys: {keys}", where=where,
                                   keys=", ".join(sorted(unknown))))
        student = RosterStudent(where, _text(raw.get("id"), where, "id", problems),
                                _text(raw.get("first_name"), where, "first_name", problems),
                                _text(raw.get("last_name"), where, "last_name", problems),
                                _text(raw.get("class_name"), where, "class_name", problems))
        if "badges" in raw:
            has_badges = True
            badges = raw["badges"]
            if not isinstance(badges, list) or not all(isinstance(b, str) for b in badges):
                problems.append(Phrase("{where}.badges: a list of UIDs is expected", where=where))
            else:
                student.badges = _badges(badges, where, problems)
        if "parent_emails" in raw:
            emails = raw["parent_emails"]
            if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
                problems.append(Phrase("{where}.parent_emails: a list of e-mail addresses is"
                                       " expected", where=where))
            else:
                student.parent_emails = _emails(" ".join(emails), where, problems)
        wallets = raw.get("wallets", [])
        if not isinstance(wallets, list):
            problems.append(Phrase("{where}.wallets: a list is expected", where=where))
            wallets = []
        for j, w in enumerate(wallets):
            wwhere = f"{where}.wallets[{j}]"
            if not isinstance(w, dict):
                problems.append(Phrase("{where}: an object is expected", where=wwhere))
                continue
            unknown = set(w) - {"id", "kind", "name", "structured_communication"}
            if unknown:
                problems.append(Phrase("{where}: unknown keys: {keys}", where=wwhere,
                                       keys=", ".join(sorted(unknown))))
            student.wallets.append(RosterWallet(
                wwhere, _text(w.get("id"), wwhere, "id", problems),
                _text(w.get("kind"), wwhere, "kind", problems, False) or "main",
                _text(w.get("name"), wwhere, "name", problems, False) or "Portefeuille",
                _communication(_text(w.get("structured_communication"), wwhere,
                                     "structured_communication", problems, False),
                               wwhere, problems)))
        students.append(student)
    return students, has_badges


def _check_unique(students: list[RosterStudent], problems: list) -> None:
    """Within the file: a student, wallet, badge or communication appears for one owner."""
    # Where each was first seen (a badge: its student too).
    seen_students: dict[str, str] = {}
    seen_wallets: dict[str, str] = {}
    seen_badges: dict[str, tuple[str, str]] = {}
    seen_comms: dict[str, str] = {}
    for s in students:
        if s.id in seen_students:
            problems.append(Phrase("{where}: student {student} is already on {other}",
                                   where=s.where, student=s.id, other=seen_students[s.id]))
        seen_students.setdefault(s.id, s.where)
        for uid, where in s.badges:
            owner = seen_badges.setdefault(uid, (s.id, where))
            if owner[0] != s.id:
                problems.append(Phrase("{where}: a badge is also given to student {student}"
                                       " ({other})", where=where, student=owner[0],
                                       other=owner[1]))
        kinds = set()
        for w in s.wallets:
            if w.id in seen_wallets:
                problems.append(Phrase("{where}: wallet {wallet} is already on {other}",
                                       where=w.where, wallet=w.id, other=seen_wallets[w.id]))
            seen_wallets.setdefault(w.id, w.where)
            if w.kind in kinds:
                problems.append(Phrase("{where}: student {student} has two wallets of kind {kind!r}",
                                       where=w.where, student=s.id, kind=w.kind))
            kinds.add(w.kind)
            if w.communication:
                if w.communication in seen_comms:
                    problems.append(Phrase("{where}: communication {communication} is already"
                                           " on {other}", where=w.where,
                                           communication=w.communication,
                                           other=seen_comms[w.communication]))
                seen_comms.setdefault(w.communication, w.where)


# -- loading --------------------------------------------------------------------------------
def import_roster(db: Database, school_id: str, text: str) -> dict:
    """Load or refresh the school's roster from a CSV or JSON text, all or nothing. Returns
    the RosterImport fields (counts of what changed)."""
    students, has_badges = parse(text)
    counts = dict.fromkeys(("students_added", "students_updated", "badges_changed",
                            "badges_blocked", "wallets_added", "wallets_updated",
                            "parents_added"), 0)
    with db.transaction() as conn:
        require_school(db, conn, school_id)
        x = db.execute
        old_students = {r[0]: tuple(r[1:]) for r in x(
            conn, "SELECT id, first_name, last_name, class_name FROM students"
                  " WHERE school_id = ?", (school_id,))}
        old_wallets = {r[0]: tuple(r[1:]) for r in x(
            conn, "SELECT id, student_id, kind, name, structured_communication, is_default"
                  " FROM wallets WHERE school_id = ?", (school_id,))}
        old_badges = {r[0]: tuple(r[1:]) for r in x(
            conn, "SELECT uid, student_id, status, status_by FROM badges WHERE school_id = ?",
            (school_id,))}
        _check_against(students, old_wallets)

        def version() -> int:
            return db.next_versions(conn, 1)

        used = {w[3] for w in old_wallets.values()} | {
            w.communication for s in students for w in s.wallets if w.communication}
        for s in students:
            names = (s.first_name, s.last_name, s.class_name)
            if s.id not in old_students:
                x(conn, "INSERT INTO students (school_id, id, first_name, last_name, class_name,"
                        " photo_ref, daily_limit_cents, blocked_categories, blocked_articles,"
                        " flags, version) VALUES (?, ?, ?, ?, ?, NULL, NULL, '[]', '[]', '[]', ?)",
                  (school_id, s.id, *names, version()))
                counts["students_added"] += 1
            elif old_students[s.id] != names:
                x(conn, "UPDATE students SET first_name = ?, last_name = ?, class_name = ?,"
                        " version = ? WHERE school_id = ? AND id = ?",
                  (*names, version(), school_id, s.id))
                counts["students_updated"] += 1
            for rank, w in enumerate(s.wallets):
                old = old_wallets.get(w.id)
                communication = w.communication or (old[3] if old else _new_communication(used))
                row = (s.id, w.kind, w.name, communication, int(rank == 0))
                if old is None:
                    x(conn, "INSERT INTO wallets (school_id, id, student_id, kind, name,"
                            " structured_communication, is_default, balance_cents, version)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                      (school_id, w.id, *row, version()))
                    counts["wallets_added"] += 1
                elif old != row:     # never the balance
                    x(conn, "UPDATE wallets SET kind = ?, name = ?, structured_communication = ?,"
                            " is_default = ?, version = ? WHERE school_id = ? AND id = ?",
                      (*row[1:], version(), school_id, w.id))
                    counts["wallets_updated"] += 1
        if has_badges:
            listed = {uid: s.id for s in students for uid, _ in s.badges}
            for uid, sid in listed.items():
                had = old_badges.get(uid)
                if had and had[1] == "blocked" and had[2] is not None:
                    continue    # blocked as lost (sync.server.badges): only an unblock revives it
                if had is None or had[:2] != (sid, "active"):
                    x(conn, "INSERT INTO badges (school_id, uid, student_id, status, version)"
                            " VALUES (?, ?, ?, 'active', ?) ON CONFLICT (school_id, uid)"
                            " DO UPDATE SET student_id = excluded.student_id,"
                            " status = excluded.status, version = excluded.version",
                      (school_id, uid, sid, version()))
                    counts["badges_changed"] += 1
            in_roster = {s.id for s in students}
            for uid, (sid, status, _by) in old_badges.items():
                if sid in in_roster and uid not in listed and status == "active":
                    x(conn, "UPDATE badges SET status = 'blocked', version = ?"
                            " WHERE school_id = ? AND uid = ?", (version(), school_id, uid))
                    counts["badges_blocked"] += 1
        listed_parents = {s.id: s.parent_emails for s in students if s.parent_emails is not None}
        if listed_parents:
            counts["parents_added"] = parents.link_from_roster(db, conn, school_id, listed_parents)
    listed_ids = {s.id for s in students}
    changed = counts["students_added"] + counts["students_updated"]
    return {**counts, "students": len(students),
            "students_unchanged": len(students) - changed,
            "not_in_roster": len(set(old_students) - listed_ids)}


def _check_against(students: list[RosterStudent], old_wallets: dict) -> None:
    """Against what the platform holds: a wallet stays with its student (its money is
    theirs), and a communication names one wallet."""
    problems = _Problems()
    owner_of = {old[3]: wid for wid, old in old_wallets.items()}
    for s in students:
        for w in s.wallets:
            old = old_wallets.get(w.id)
            if old and old[0] != s.id:
                problems.append(Phrase("{where}: wallet {wallet} belongs to student {owner}, not"
                                       " {student} (a wallet never changes hands)",
                                       where=w.where, wallet=w.id, owner=old[0], student=s.id))
            other = owner_of.get(w.communication) if w.communication else None
            if other and other != w.id and not _freed(other, students):
                problems.append(Phrase("{where}: communication {communication} is wallet"
                                       " {wallet}'s", where=w.where,
                                       communication=w.communication, wallet=other))
    problems.refuse_if_any()


def _freed(wallet_id: str, students: list[RosterStudent]) -> bool:
    """Whether the file gives that wallet another communication (so its old one is free)."""
    return any(w.id == wallet_id and w.communication for s in students for w in s.wallets)


def _new_communication(used: set[str]) -> str:
    """A structured communication no wallet of the school has yet."""
    while True:
        communication = structured_communication(secrets.randbelow(10**10 - 1) + 1)
        if communication not in used:
            used.add(communication)
            return communication
