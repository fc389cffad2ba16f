"""Translations: gettext catalogues (fr, nl, en) made and kept with Babel, read with Python's
``gettext``.

Where they live: ``sync/common/locale/comptoir.pot`` (the template, extracted from the code
with the mapping in ``babel.cfg``) and ``sync/common/locale/<lang>/LC_MESSAGES/comptoir.po``.
A translator runs, from the repository root::

    pybabel extract -F babel.cfg -o sync/common/locale/comptoir.pot --add-location=file \
        --sort-output --project=Comptoir --copyright-holder="the Comptoir contributors" .
    pybabel update -i sync/common/locale/comptoir.pot -d sync/common/locale -D comptoir
    pybabel compile -d sync/common/locale -D comptoir --statistics    # optional, see below

then translates what is new or fuzzy in each ``.po`` (any PO editor) and runs
``tests/test_translations.py``, which fails on a message missing, empty, fuzzy or left in
English, on placeholders that differ, and on catalogues out of step with the code.

The msgid convention:

* **Coded messages** (the error codes of ``sync.common.messages``, the touch app's keys in
  ``kiosk.ui.texts``): the code is the ``msgctxt`` and the English text the ``msgid``, marked
  with :func:`coded`. The code is what programs and tests rely on and it never changes; the
  English text is what a translator reads (a bare code tells a translator nothing), and when
  it changes, ``pybabel update`` marks the translations fuzzy so they are looked at again.
* **Everything else** (the command line's lines and help, the log lines of the sync agent and
  the print worker): the English text is the ``msgid``, marked with ``_()`` as gettext users
  expect. Placeholders are ``str.format`` names (``{seq}``), never positional, so a
  translation may put them in another order (``%s`` only in log calls, as logging wants).

To translate in a module: ``_ = translator(lang).gettext`` (or ``gettext_for(lang)``), then
``_("Sale no. {seq}").format(seq=...)``; the call must hold the literal text for extraction
(``babel.cfg`` lists the folders scanned). Never build a msgid from pieces or an f-string.

English is the source language; ``en/comptoir.po`` still holds every message (its msgstr
mostly equal to the msgid) so that an English wording can be fixed without touching the code.
An unknown language falls back to French, the school's language.

``.mo`` files are build products, never committed. :func:`translator` uses
``<lang>/LC_MESSAGES/comptoir.mo`` when ``pybabel compile`` made one newer than the ``.po``;
else it compiles the ``.po`` with Babel in memory and keeps the result in the user's cache
(``$XDG_CACHE_HOME/comptoir/locale``, named after a hash of the ``.po``), so only the first
start after an install or an edit pays for it (about 200 ms for a language, mostly importing and
running Babel's ``.po`` reader; reading the cached ``.mo`` takes about 1 ms).

>>> translator("nl").pgettext("empty_cart", "The cart is empty.")
'Het mandje is leeg.'
>>> translator("fr").gettext("Sale no. {seq}")
'Vente n°{seq}'
>>> normalise("nl_BE.UTF-8"), normalise("de"), normalise(None)
('nl', 'fr', 'fr')
"""
from __future__ import annotations

import functools
import gettext
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

DOMAIN = "comptoir"
LANGUAGES = ("fr", "nl", "en")
DEFAULT_LANGUAGE = "fr"
SOURCE_LANGUAGE = "en"              # the language of the msgids
LOCALE_DIR = Path(__file__).with_name("locale")


def coded(code: str, text: str) -> str:
    """Marks a coded message for extraction (``msgctxt`` = ``code``, ``msgid`` = English
    ``text``) and returns the text unchanged: translate it later with
    ``translator(lang).pgettext(code, text)``."""
    return text


def normalise(lang: str | None) -> str:
    """'nl', 'nl_BE', 'nl-BE.UTF-8' → 'nl'; anything we do not speak → French."""
    short = (lang or "").replace("-", "_").split(".")[0].split("_")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(po: bytes | Path, lang: str) -> bytes:
    """A ``.po`` catalogue → the bytes of its ``.mo`` (fuzzy entries left out, as gettext
    does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    data = po.read_bytes() if isinstance(po, Path) else po
    catalog = read_po(io.BytesIO(data), locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _cache_dir() -> Path | None:
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:                              # no home directory at all
        return None
    return Path(base) / "comptoir" / "locale"


def _mo_bytes(lang: str) -> bytes:
    po = po_path(lang)
    compiled = po.with_suffix(".mo")                  # made by `pybabel compile`
    try:
        if compiled.stat().st_mtime >= po.stat().st_mtime:
            return compiled.read_bytes()
    except OSError:
        pass
    source = po.read_bytes()
    cache = _cache_dir()
    name = f"{lang}-{hashlib.sha256(source).hexdigest()[:20]}.mo"
    if cache is not None:
        try:
            return (cache / name).read_bytes()
        except OSError:
            pass
    data = compile_po(source, lang)
    if cache is not None:
        try:                                          # a read-only home only costs time
            _keep(cache, name, lang, data)
        except OSError:
            pass
    return data


def _keep(cache: Path, name: str, lang: str, data: bytes) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{name}.{os.getpid()}"
    tmp.write_bytes(data)
    os.replace(tmp, cache / name)                     # readers never see half a file
    for stale in cache.glob(f"{lang}-*.mo"):          # made from an older .po
        if stale.name != name:
            stale.unlink(missing_ok=True)


def translator(lang: str | None = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (normalised, see :func:`normalise`): ``.gettext(text)`` for
    plain messages, ``.pgettext(code, text)`` for coded ones. A missing catalogue gives the
    English source texts. Loaded once per language and process."""
    return _translator(normalise(lang))


@functools.cache
def _translator(lang: str) -> gettext.NullTranslations:
    try:
        return gettext.GNUTranslations(io.BytesIO(_mo_bytes(lang)))
    except OSError:
        return gettext.NullTranslations()


class CommandLanguage:
    """The language of every line a command line prints, help included, chosen once by its
    ``main`` (the terminal's ``comptoir`` and the platform's ``comptoir central`` hold one
    each): ``_ = language.gettext`` in its modules, ``language.set(code)`` at the start.

    >>> language = CommandLanguage()
    >>> language.set("nl"); language.gettext("Sale no. {seq}")
    'Verkoop nr. {seq}'
    """

    def __init__(self) -> None:
        self.code = DEFAULT_LANGUAGE

    def set(self, code: str) -> None:
        self.code = code

    def gettext(self, text: str) -> str:
        return translator(self.code).gettext(text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translator(self.code).ngettext(singular, plural, n)

    def pgettext(self, context: str, text: str) -> str:
        return translator(self.code).pgettext(context, text)


def gettext_for(lang: str | None) -> Callable[[str], str]:
    """``_ = gettext_for(lang)``: the ``gettext`` function of that language."""
    return translator(lang).gettext
