"""What every command shares: the data folder, the language, the lazily opened context, the
errors of the command line, and small parsers.

The language of every line the command line prints (and of its help): ``--lang``, else
``$COMPTOIR_LANG``, else ``[terminal] language`` of the data folder's ``terminal.toml``, else
French. ``_`` translates into it (``set_language`` is called once, by ``main``).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sync.common.errors import AuthError, ComptoirError, NeedsConfirmation, Refusal
from sync.common.i18n import DEFAULT_LANGUAGE, LANGUAGES, CommandLanguage

if TYPE_CHECKING:
    from kiosk.counter import CounterService
    from kiosk.operators import Session

DB_NAME = "comptoir.db"
CONFIG_NAME = "terminal.toml"
EXIT = {Refusal: 3, NeedsConfirmation: 4, AuthError: 5}
EXIT_BY_CODE = {"disk_full": 6}    # nothing saved: run it again once space is freed

LANGUAGE = CommandLanguage()        # chosen once by main (choose_language)
set_language = LANGUAGE.set
_ = LANGUAGE.gettext                # English text in, the command line's language out


def current_language() -> str:
    return LANGUAGE.code


class UsageError(ComptoirError):
    code = "usage"


class ReaderError(ComptoirError):
    code = "reader_unavailable"


# -- plumbing -------------------------------------------------------------------------------
def labelled(labels: dict[str, str]) -> Callable[[str, object], str]:
    """``row(key, value)``: "Label    : value" lines whose values line up, the labels padded
    to one width in every language (where the padding goes is the translation's choice)."""
    width = max(13, *(len(label) for label in labels.values()))
    row = _("{label}:{pad} {value}")
    return lambda key, value: row.format(label=labels[key], pad=" " * (width - len(labels[key])),
                                         value=value)


def data_dir(args: argparse.Namespace) -> Path:
    folder = args.data or os.environ.get("COMPTOIR_DATA")
    if folder:
        return Path(folder)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "comptoir"


def choose_language(cli_lang: str | None, folder: Path) -> str:
    """``--lang``, ``$COMPTOIR_LANG``, the terminal's configured language, French: the first
    one given (an unreadable configuration is reported later, by the command)."""
    if cli_lang in LANGUAGES:
        return cli_lang
    env = (os.environ.get("COMPTOIR_LANG") or "").strip().lower()
    if env in LANGUAGES:
        return env
    from kiosk.config import load_config
    try:
        return load_config(folder / CONFIG_NAME).terminal.language
    except (ComptoirError, OSError):
        return DEFAULT_LANGUAGE


class Context:
    """What a command needs, opened lazily: config, store, service, operator session."""

    def __init__(self, args: argparse.Namespace, lang: str | None = None):
        self.args = args
        self.folder = data_dir(args)
        self._service: CounterService | None = None
        self._names: dict[str, str] | None = None
        from kiosk.config import load_config
        config = load_config(self.folder / CONFIG_NAME)
        if lang and lang != config.terminal.language:    # --lang: the worker's words follow too
            config = replace(config, terminal=replace(config.terminal, language=lang))
        self.config = config
        self.lang = config.terminal.language

    @property
    def service(self) -> CounterService:
        if self._service is None:
            from kiosk.counter import CounterService
            from kiosk.store import open_store
            store = open_store(self.folder / DB_NAME)
            self._service = CounterService(store, self.config)
        return self._service

    def session(self) -> Session:
        name = self.args.operator or os.environ.get("COMPTOIR_OPERATOR")
        if not name:
            raise UsageError(detail=_("which operator? give --operator NAME"
                                      " (or set COMPTOIR_OPERATOR)"))
        return self.service.login(name, read_pin(_("PIN")))

    def article_name(self, code: str | None, fallback: str) -> str:
        """The article's name in this language (the school's catalogue may carry one)."""
        if self._names is None:
            column = {"nl": "name_nl", "en": "name_en"}.get(self.lang, "name_fr")
            with self.service.store.read() as conn:
                self._names = dict(conn.execute(
                    f"SELECT code, COALESCE({column}, name_fr) FROM articles").fetchall())
        return self._names.get(code or "") or fallback

    def money(self, cents: int) -> str:
        from sync.common.money import format_cents
        return format_cents(cents, self.lang)

    def out(self, text: str = "", flush: bool = False) -> None:
        print(text, flush=flush)


class GuardedStdout:
    """``sys.stdout`` for one command, so that a reader who goes away (``comptoir sell … |
    head -1``) changes nothing of what the command does: the first write that finds the pipe
    closed points the file descriptor at /dev/null, the rest of the output goes there, and the
    exit code still says what happened to the money (a wrapper that retries on failure must
    not sell twice). ``lost`` tells whether some output was not read."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                return self.inner.write(text)
            except BrokenPipeError:
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self.inner.flush()
            except BrokenPipeError:
                self._lose()

    def _lose(self) -> None:
        self.lost = True
        # What is still in the buffer is flushed at exit, to /dev/null now: no second error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.inner.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:        # isatty, fileno, encoding…: the real one's
        return getattr(self.inner, name)


def read_pin(prompt: str, env: str = "COMPTOIR_PIN") -> str:
    pin = os.environ.get(env)
    if pin is not None:
        return pin
    if not sys.stdin.isatty():
        raise UsageError(detail=_("no PIN: set {env} or run from a terminal to be asked")
                         .format(env=env))
    return getpass.getpass(f"{prompt}: ")


def write_atomically(path: Path, text: str) -> None:
    """Write next to the target, fsync, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def parse_items(items: list[str]) -> list[tuple[str, int]]:
    """``SOUP`` / ``SOUP=2`` / ``SOUPx2`` / ``2xSOUP`` → (code, quantity).

    >>> parse_items(["soup", "SANDWICH=2", "2xJUICE"])
    [('SOUP', 1), ('SANDWICH', 2), ('JUICE', 2)]
    """
    cart = []
    for item in items:
        code, qty = item, "1"
        if "=" in item:
            code, qty = item.split("=", 1)
        elif "x" in item.lower():
            left, _x, right = item.rpartition("x") if item[-1:].isdigit() else item.partition("x")
            if right.isdigit():
                code, qty = left, right
            elif left.isdigit():
                code, qty = right, left
        if not qty.isdigit() or not code:
            raise UsageError(detail=_("cannot read {item}: write CODE, CODE=2 or CODEx2")
                             .format(item=repr(item)))
        cart.append((code.strip().upper(), int(qty)))
    return cart


def parse_day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(detail=_("{option}: expected a date like 2026-11-25, got {text}")
                         .format(option=name, text=repr(text))) from None
