"""Finding a student by name, for a student who forgot the badge (``kiosk.by_name``).

What is typed is folded the way the names are: case, accents and the letters some languages
write as one (ß, ø, œ, æ, ł...) do not matter, so a keyboard without accents finds everyone,
and apostrophes and hyphens are optional. Each word typed must be found in the first or last
name (in any order), or be the student's class. Typed characters are literal: ``%`` and
``_`` match only themselves (the matching is Python's, not SQL's ``LIKE``).

Results come best first (whole words, then starts of words, then anywhere in the name), then
by last name, first name and class; with the class, so that namesakes can be told apart.
The folded names are kept in memory and read again when an import or a pull changed
students: a search takes well under a millisecond for a school, tens of milliseconds for
100,000 students (benchmarks/bench_name_search.py).

>>> fold("Zoë MÜLLER-Straße"), fold("Søren Œlberg"), fold("O'Brien")
('zoe muller strasse', 'soren oelberg', 'obrien')
>>> from kiosk.demo.store import demo_service
>>> service, _session = demo_service()
>>> [(f.display_name, f.class_name) for f in search(service.store, "DUBOIS emma").found]
[('Emma Dubois', '1A')]
>>> search(service.store, "%").found
[]
>>> service.store.close()           # examples close what they open, as tests do
"""
from __future__ import annotations

import bisect
import json
import sqlite3
import unicodedata
from typing import NamedTuple

from kiosk.store import Store

MAX_RESULTS = 20
MIN_CHARACTERS = 2            # a search needs at least this many letters (or digits)

# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({
    "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "đ": "d", "Đ": "d",
    "ł": "l", "Ł": "l", "ħ": "h", "Ħ": "h", "ı": "i", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d",
    "ŀ": "l", "Ŀ": "l", "ĸ": "k"})
# Apostrophes vanish (O'Brien = obrien), hyphens and dots are spaces (Jean-Luc = jean luc).
_MARKS = str.maketrans({"'": "", "’": "", "ʼ": "", "`": "", "´": "", "-": " ", "‐": " ",
                        "‑": " ", "–": " ", ".": " ", ",": " "})


def fold(text: str) -> str:
    """``text`` as searches compare it: lower case, without accents, single spaces."""
    if text.isascii():
        out = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        out = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        out = out.translate(_LETTERS)        # casefold may give some back (ẞ → ss is fine)
    return " ".join(out.translate(_MARKS).split())


class Found(NamedTuple):
    student_id: str
    first_name: str
    last_name: str
    class_name: str
    exact: bool          # every word typed is a whole word of the name, or the class

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Matches(NamedTuple):
    found: list[Found]
    more: bool           # more students match than were listed: type more of the name


def words(text: str) -> tuple[str, ...]:
    """The words of a search, folded; () when there is too little to search for."""
    folded = fold(text).split()
    return tuple(folded) if sum(map(len, folded)) >= MIN_CHARACTERS else ()


# What a search compares, per student: (id, folded first name, folded last name, folded
# class without spaces, folded "first last"), and every folded name in one text (one line
# each) that ``str.find`` scans at C speed. Kept in memory per store file, and read again
# when the students changed: ``students_changed`` counts the imports and pulls that wrote
# students (kiosk.importer calls it in the same transaction); the count of students and the
# last rowid guard against any other writer.
class Roster(NamedTuple):
    students: list[tuple[str, str, str, str, str]]
    text: str                          # the folded names, one per line
    starts: list[int]                  # where each student's line starts in ``text``
    by_class: dict[str, list[int]]     # folded class -> students

    def having(self, word: str) -> set[int]:
        """The students whose folded name contains ``word``, or whose class it is."""
        found = set(self.by_class.get(word, ()))
        text, starts, at = self.text, self.starts, self.text.find(word)
        while at != -1:
            i = bisect.bisect_right(starts, at) - 1
            found.add(i)
            at = text.find(word, starts[i + 1]) if i + 1 < len(starts) else -1
        return found


ROSTER_KEY = "students_changed"
_ROSTER_STATE = (
    f"SELECT (SELECT value FROM sync_state WHERE key = '{ROSTER_KEY}'),"
    " (SELECT COUNT(*) FROM students), (SELECT MAX(rowid) FROM students)")
_rosters: dict[str, tuple[tuple, Roster]] = {}


def students_changed(conn: sqlite3.Connection) -> None:
    """Called by whatever writes students, in its transaction: searches read them again."""
    conn.execute("INSERT INTO sync_state (key, value) VALUES (?, '1') ON CONFLICT(key) DO"
                 " UPDATE SET value = CAST(value AS INTEGER) + 1", (ROSTER_KEY,))


def _roster(store: Store) -> Roster:
    with store.read() as conn:
        state = tuple(conn.execute(_ROSTER_STATE).fetchone())
        cached = _rosters.get(str(store.path))
        if cached is not None and cached[0] == state:
            return cached[1]
        rows = conn.execute("SELECT id, first_name, last_name, class_name FROM students").fetchall()
    students, starts, at = [], [], 0
    by_class: dict[str, list[int]] = {}
    folded: dict[str, str] = {}          # first names and classes come back often

    def fold_once(text: str | None) -> str:
        done = folded.get(text or "")
        if done is None:
            done = folded[text or ""] = fold(text or "")
        return done
    for i, (sid, first, last, class_name) in enumerate(rows):
        f, n = fold_once(first), fold_once(last)
        class_key = fold_once(class_name).replace(" ", "")
        students.append((sid, f, n, class_key, f"{f} {n}"))
        by_class.setdefault(class_key, []).append(i)
        starts.append(at)
        at += len(f) + len(n) + 2
    roster = Roster(students, "\n".join(s[4] for s in students), starts, by_class)
    _rosters[str(store.path)] = (state, roster)
    return roster


def _rank(tokens: tuple[str, ...], name: str, class_key: str) -> int:
    """0 per word typed that is a whole word of the name (or the class), 1 per start of a
    word, 2 anywhere in the name (every word is known to be there)."""
    words_ = name.split()
    total = 0
    for token in tokens:
        if token in words_ or token == class_key:
            continue
        total += 1 if any(w.startswith(token) for w in words_) else 2
    return total


def search(store: Store, text: str, limit: int = MAX_RESULTS) -> Matches:
    """The students whose name matches ``text``, best first, at most ``limit`` of them: one
    pass over the folded names kept in memory (read again from the store when students
    changed), then the few matches looked up for their names as written."""
    tokens = words(text)
    if not tokens:
        return Matches([], False)
    roster = _roster(store)
    hits = []
    for i in roster.having(max(tokens, key=len)):       # the rarest word first, at C speed
        sid, first, last, class_key, name = roster.students[i]
        if all(token in name or token == class_key for token in tokens):
            hits.append((_rank(tokens, name, class_key), last, first, class_key, sid))
    hits.sort()
    chosen = hits[:limit]
    with store.read() as conn:
        written = {r[0]: r for r in conn.execute(
            "SELECT id, first_name, last_name, class_name FROM students WHERE id IN"
            " (SELECT value FROM json_each(?))", (json.dumps([h[4] for h in chosen]),))}
    found = []
    for rank, *_, sid in chosen:
        if sid in written:              # (a student gone since the roster was read: left out)
            _, first_name, last_name, class_name = written[sid]
            found.append(Found(sid, first_name, last_name, class_name, rank == 0))
    return Matches(found, len(hits) > limit)


def only_match(matches: Matches) -> Found | None:
    """The one student a search names: the only one found, or the only one whose name has
    every word typed as a whole word ("Jean Martin", not "Jean Martinez"). None otherwise."""
    if len(matches.found) == 1 and not matches.more:
        return matches.found[0]
    exact = [f for f in matches.found if f.exact]
    if len(exact) == 1 and (len(matches.found) > 1 or not matches.more):
        return exact[0]
    return None
