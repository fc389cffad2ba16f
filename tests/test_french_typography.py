"""French typography in the French catalogue: a no-break space before ":", ";", "!" and "?"
and inside « », so that "par défaut : 25,00 €" never breaks before its colon and never shows
"défaut: 25,00 €". The project writes U+00A0 (a receipt printer's code page has it, U+202F
it has not); U+202F is accepted too. What is not French prose is left alone: placeholders,
URLs, times (8:30, HH:MM), JSON keys, an HTTP header and a sign standing alone ("?")."""
from __future__ import annotations

import re

from babel.messages.pofile import read_po

from sync.common import i18n

NBSP, NNBSP = "\u00a0", "\u202f"
FRENCH = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "comptoir.po"
# Spans that are not prose, masked (same length) before the marks are checked.
NOT_PROSE = re.compile(r"\{\{|\}\}|\{[^{}]*\}"            # placeholders, literal braces
                       r"|[a-z][a-z0-9+.-]*://\S*|urn:\S+"  # URLs
                       r"|\d+:\d+|HH:MM"                    # times
                       r'|"\w+":'                           # a JSON key shown as an example
                       r"|Authorization: Bearer")            # an HTTP header, as typed


def masked(text: str) -> str:
    return NOT_PROSE.sub(lambda m: "x" * len(m.group()), text)


def problems(text: str) -> list[str]:
    """Where ``text`` (French) lacks its no-break space, as short excerpts."""
    mask, found = masked(text), []
    for i, c in enumerate(mask):
        before, after = text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else ""
        if (c in ":;!?»" and before not in ("", NBSP, NNBSP)) or (
                c == "«" and after not in (NBSP, NNBSP)):
            found.append(text[max(0, i - 20):i + 10])
    return found


def test_problems_are_found_and_what_is_not_prose_is_left_alone():
    assert problems("par défaut: 25,00 €") == ["par défaut: 25,00 €"]
    assert problems("Supprimer ?") and problems("Enfin!") and problems("« Soupe »")
    fine = (f"par défaut{NBSP}: 25,00 €", f"Supprimer{NNBSP}?", f"«{NBSP}Soupe{NBSP}»",
            "à 8:30 ou 08:15 (HH:MM)", "voir https://comptoir.example/login?next=/",
            f"l'élève {{student!r}} inconnu{NBSP}; {{{{\"format\": \"{{f}}\"}}}}",
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", "postgresql://h/db",
            "?")                                            # a sign alone, not a sentence
    assert [t for t in fine if problems(t)] == []


def test_every_french_translation_has_its_no_break_spaces():
    with open(FRENCH, "rb") as f:
        catalogue = read_po(f)
    bad = []
    for message in catalogue:
        texts = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        bad += [f"{message.id!r}: {p!r}" for text in texts if message.id and text
                for p in problems(text)]
    assert not bad, f"{len(bad)} French texts without their no-break space:\n" + "\n".join(bad[:40])
