"""The allergen and diet rule, one for every path an article reaches a student: a sale or
photocopy at the counter, the pickup of a reservation, the reservation itself on the platform.
Both ends import it; each turns the verdict into its own refusal or question.

A student's ``flags`` (gluten, pork, nuts...) conflict with an article whose ``allergens``
(its allergen and diet tags) name one of them; tags compare without regard to case or
surrounding blanks. The school's policy says what a conflict does: ``confirm`` (the default)
asks for an explicit confirmation, ``refuse`` never lets the article through.

>>> conflicts(["gluten", "Pork"], ["pork ", "gluten", "milk"])
('gluten', 'pork')
>>> check("confirm", ["gluten"], [("Sandwich jambon", ["gluten", "pork"]), ("Pomme", [])], False)
Verdict(outcome='ask', articles=('Sandwich jambon',), flags=('gluten',))
>>> check("confirm", ["gluten"], [("Sandwich jambon", ["gluten"])], True).outcome
'confirmed'
>>> check("refuse", ["gluten"], [("Sandwich jambon", ["gluten"])], True).outcome
'refuse'
>>> check("refuse", ["nuts"], [("Sandwich jambon", ["gluten"])], False).outcome
'clear'
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

# The tags an article may carry and a student's flags name (the terminal says each in its
# language, kiosk.ui.texts "flag_*"): the 14 allergens of EU regulation 1169/2011, then diets.
ALLERGENS = ("gluten", "crustaceans", "egg", "fish", "peanuts", "soy", "milk", "nuts",
             "celery", "mustard", "sesame", "sulphites", "lupin", "molluscs")
DIETS = ("pork", "meat")
CODES = ALLERGENS + DIETS

POLICIES = ("confirm", "refuse")
DEFAULT_POLICY = "confirm"
CONFIRMATION = "allergen"        # the code a caller passes to confirm (terminal and platform)

Outcome = Literal["clear", "confirmed", "ask", "refuse"]


def _tag(text: str) -> str:
    return text.strip().casefold()


def conflicts(flags: Iterable[str], allergens: Iterable[str]) -> tuple[str, ...]:
    """The student's flags that the article's allergen/diet tags hit, sorted (as the article
    names them, in lower case)."""
    wanted = {_tag(f) for f in flags}
    if not wanted:
        return ()
    return tuple(sorted({_tag(a) for a in allergens} & wanted))


class Verdict(NamedTuple):
    outcome: Outcome                 # clear: no conflict; confirmed: conflict, confirmed under
                                     # "confirm"; ask: needs the confirmation; refuse: blocked
    articles: tuple[str, ...]        # the names of the articles that conflict
    flags: tuple[str, ...]           # the student's flags they hit, sorted


def check(policy: str, flags: Iterable[str], articles: Iterable[tuple[str, Iterable[str]]],
          confirmed: bool) -> Verdict:
    """What the school's ``policy`` says about handing ``articles`` ((name, allergen tags)
    pairs) to a student with ``flags``, given whether the operator (or the parent) has
    ``confirmed`` the alert. An unknown policy refuses: the safe side."""
    flags = tuple(flags)
    hits = [(name, found) for name, tags in articles if (found := conflicts(flags, tags))]
    if not hits:
        return Verdict("clear", (), ())
    names = tuple(dict.fromkeys(name for name, _ in hits))
    found = tuple(sorted({f for _, tags in hits for f in tags}))
    if policy != "confirm":
        return Verdict("refuse", names, found)
    return Verdict("confirmed" if confirmed else "ask", names, found)
