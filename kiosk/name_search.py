"""Finding a student by name, for a student who forgot the badge (``kiosk.by_name``).

What is typed is folded the way the names are: case, accents and the letters some languages
write as one (ß, ø, œ, æ, ł...) do not matter, so a keyboard without accents finds everyone,
and apostrophes and hyphens are optional. Each word typed must be found in the first or last
name (in any order), or be the student's class. Typed characters are literal: ``%`` and
``_`` match only themselves (the matching is Python's, not SQL's ``LIKE``).

Results come best first (whole words, then starts of words, then anywhere in the name), then
by last name, first name and class; with the class, so that namesakes can be told apart.

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
_folded: dict[str, str] = {}
_FOLDED_MAX = 400_000         # names seen (a search reads every student's names again)


def fold(text: str) -> str:
    """``text`` as searches compare it: lower case, without accents, single spaces."""
    done = _folded.get(text)
    if done is not None:
        return done
    if text.isascii():
        out = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        out = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        out = out.translate(_LETTERS)        # casefold may give some back (ẞ → ss is fine)
    out = " ".join(out.translate(_MARKS).split())
    if len(_folded) >= _FOLDED_MAX:
        _folded.clear()
    _folded[text] = out
    return out


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


def _rank(tokens: tuple[str, ...], first: str, last: str, class_name: str) -> int | None:
    """0 per word typed that is a whole word of the name (or the class), 1 per start of a
    word, 2 anywhere in the name; None when a word is not found."""
    name = fold(first) + " " + fold(last)
    name_words = name.split()
    klass = fold(class_name).replace(" ", "")
    total = 0
    for token in tokens:
        if token in name_words or token == klass:
            continue
        if token not in name:
            return None
        total += 1 if any(w.startswith(token) for w in name_words) else 2
    return total


def _sort_key(tokens: tuple[str, ...], first: str, last: str, class_name: str) -> str | None:
    """One text SQLite sorts the matches by (the function registered for a search)."""
    rank = _rank(tokens, first or "", last or "", class_name or "")
    if rank is None:
        return None
    return f"{rank:04d}\x1f{fold(last or '')}\x1f{fold(first or '')}\x1f{fold(class_name or '')}"


_SEARCH_SQL = (
    "SELECT id, first_name, last_name, class_name, k FROM (SELECT id, first_name, last_name,"
    " class_name, comptoir_name_key(first_name, last_name, class_name) AS k FROM students)"
    " WHERE k IS NOT NULL ORDER BY k, id LIMIT ?")


def search(store: Store, text: str, limit: int = MAX_RESULTS) -> Matches:
    """The students whose name matches ``text``, best first, at most ``limit`` of them. One
    pass over the students in SQLite, with the matching done by a function registered on
    the connection for this search (no index to keep: names come and change with each pull)."""
    tokens = words(text)
    if not tokens:
        return Matches([], False)
    with store.read() as conn:
        _register(conn, tokens)
        rows = conn.execute(_SEARCH_SQL, (limit + 1,)).fetchall()
    found = [Found(sid, first, last, klass, key.startswith("0000"))
             for sid, first, last, klass, key in rows[:limit]]
    return Matches(found, len(rows) > limit)


def _register(conn: sqlite3.Connection, tokens: tuple[str, ...]) -> None:
    def key(first: str, last: str, class_name: str) -> str | None:
        return _sort_key(tokens, first, last, class_name)
    conn.create_function("comptoir_name_key", 3, key, deterministic=True)


def only_match(matches: Matches) -> Found | None:
    """The one student a search names: the only one found, or the only one whose name has
    every word typed as a whole word ("Jean Martin", not "Jean Martinez"). None otherwise."""
    if len(matches.found) == 1 and not matches.more:
        return matches.found[0]
    exact = [f for f in matches.found if f.exact]
    if len(exact) == 1 and (len(matches.found) > 1 or not matches.more):
        return exact[0]
    return None
