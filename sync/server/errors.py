"""The platform's refusals: one exception type carrying a protocol error code, so that every
layer (store, ledger, routes, command line) refuses the same way and the HTTP layer maps the
code to a status once (``api.http.STATUS``).

What a refusal says is written once, in English, with named ``{placeholders}``:
``CentralError("not_found", "no wallet {wallet!r} in this school", wallet=wallet_id)``. That
English text is both the message of the HTTP API's error body (``message``, for programs and
the tests, unchanged) and the msgid of the gettext catalogues (``babel.cfg`` extracts the
second argument of ``CentralError``/``LedgerRefusal`` and the first of ``Phrase``), so the
command line can say it in the language asked (:meth:`CentralError.say`) without a second copy
of any message. The same holds for the problems the platform reports in its answers (a bank
statement's unmatched lines, a roster's bad lines): they are :class:`Phrase` objects, strings
whose value is the English text, which remember their msgid and parameters.
"""
from __future__ import annotations

from typing import Any, Self

from sync.common.i18n import translator


def say(value: Any, lang: str) -> str:
    """``value`` in ``lang`` if it knows how to be said (a :class:`Phrase`), else as it is."""
    return value.say(lang) if isinstance(value, (Phrase, Joined)) else str(value)


class Phrase(str):
    """English text made from a msgid and named parameters, that can be said in another
    language. Its value is the English text (what the API answers and the tests compare);
    without parameters the msgid is taken as it is (no ``{}`` formatting). Parameters that are
    Phrases are translated too.

    >>> p = Phrase("{where}: {problem}", where=Phrase("line {line}", line=3),
    ...            problem=Joined("; ", [Phrase("the amount is zero"), "x"]))
    >>> p, p.say("fr"), p.say("nl")
    ('line 3: the amount is zero; x', 'ligne 3\\xa0: le montant est nul; x', 'regel 3: het bedrag is nul; x')
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Self:
        self = super().__new__(cls, msgid.format(**params) if params else msgid)
        self.msgid, self.params = msgid, params
        return self

    def say(self, lang: str) -> str:
        text = translator(lang).gettext(self.msgid)
        if not self.params:
            return text
        return text.format(**{k: say(v, lang) if isinstance(v, (Phrase, Joined)) else v
                              for k, v in self.params.items()})


class Joined(str):
    """Phrases (or plain strings) joined by a separator that no language changes, said part by
    part: ``Joined("; ", reasons)``."""

    sep: str
    parts: list[Any]

    def __new__(cls, sep: str, parts: list[Any]) -> Self:
        self = super().__new__(cls, sep.join(map(str, parts)))
        self.sep, self.parts = sep, list(parts)
        return self

    def say(self, lang: str) -> str:
        return self.sep.join(say(p, lang) for p in self.parts)


class CentralError(Exception):
    """A refusal with a protocol error code (``sync.protocol.ErrorCode``) and a message:
    ``message`` in English (the API's), ``say(lang)`` in a language of the catalogues.
    ``text`` is the msgid, formatted with ``params`` (and ``seq``/``expected_seq``) when any
    are given; a :class:`Phrase` is taken as it is."""

    def __init__(self, code: str, text: str, *, seq: int | None = None,
                 expected_seq: int | None = None, **params: Any):
        if not isinstance(text, Phrase):
            protocol = {"seq": seq, "expected_seq": expected_seq}
            fields = {k: v for k, v in protocol.items() if v is not None and "{" + k in text}
            text = Phrase(text, **fields, **params)
        self.phrase = text
        message = str(text)
        super().__init__(message)
        self.code, self.message, self.seq, self.expected_seq = code, message, seq, expected_seq

    def say(self, lang: str) -> str:
        """The message in ``lang`` (the command line's)."""
        return self.phrase.say(lang)
