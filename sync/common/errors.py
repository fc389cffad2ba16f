"""Every failure a person may see is one of these: a stable ``code`` for programs (the UI
translates it), ``params`` for the message, and ``str(error)`` as one clear line in the
terminal's language (see ``sync.common.messages``)."""
from __future__ import annotations

from typing import Any


class ComptoirError(Exception):
    """Base class: ``code`` + ``params``, rendered by ``sync.common.messages``."""

    code = "error"

    def __init__(self, code: str | None = None, /, lang: str = "fr", **params: Any) -> None:
        self.code = code or self.code
        self.params = params
        self.lang = lang
        super().__init__(self.code)

    def message(self, lang: str | None = None) -> str:
        from sync.common.messages import render
        return render(self.code, self.params, lang or self.lang)

    def __str__(self) -> str:
        return self.message()


class Refusal(ComptoirError):
    """A sale, pickup or void that is refused: nothing was written, nothing debited."""

    student: Any    # set (the badge's holder) once the counter knows it; absent before


class NeedsConfirmation(ComptoirError):
    """The operation can go ahead only if the operator confirms ``code`` explicitly
    (``allergen`` or ``double_tap``): call again with that code in ``confirm``."""

    student: Any    # set (the badge's holder) once the counter knows it; absent before


class AuthError(ComptoirError):
    """Unknown operator, wrong PIN, locked operator, or a role that may not do this."""


class StoreError(ComptoirError):
    """The store cannot be used: corrupt file, broken journal chain, unknown schema."""


class ConfigError(ComptoirError):
    code = "config_error"


class DataImportError(ComptoirError):
    code = "import_error"
