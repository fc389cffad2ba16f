"""``comptoir``: the terminal from the command line, all of it through the counter service.

Exit codes: 0 done; 1 error (store, config, import); 2 bad usage; 3 refused (nothing
written); 4 the operator must confirm (re-run with ``--confirm CODE``); 5 operator not allowed
(unknown, wrong PIN, locked, role); 6 the disk is full (nothing written: run it again once
space is freed; reading commands still work). Errors are one line on stderr.

The data folder is ``--data DIR``, else ``$COMPTOIR_DATA``, else ``~/.local/share/comptoir``.
Commands acting for an operator take ``--operator NAME`` (or ``$COMPTOIR_OPERATOR``) and read the
PIN from ``$COMPTOIR_PIN`` or ask for it; a PIN is never an argument (it would show in ``ps``).
Every line is in the terminal's language: ``--lang fr|nl|en``, else ``$COMPTOIR_LANG``, else
``[terminal] language`` of the data folder's ``terminal.toml`` (see ``kiosk.cli.base``).

The modules: ``base`` (context, language, shared parsing), ``counter`` (selling and its
reports), ``badges`` (a lost badge blocked, unblocked), ``admin`` (journal, check, status,
enrol, sync), ``devices`` (printer, reader), ``apps`` (demo data and the touch app: the only
imports of the demo tooling), ``parser``.
"""
from __future__ import annotations

import argparse
import sys

from kiosk.cli.base import (
    EXIT,
    EXIT_BY_CODE,
    Context,
    GuardedStdout,
    UsageError,
    _,
    choose_language,
    data_dir,
    set_language,
)
from sync.common.errors import ComptoirError

__all__ = ["main"]


def _language_of(argv: list[str]) -> str:
    """The language, read before the whole command line is (its help is in that language)."""
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--data")
    early.add_argument("--lang")
    known, _rest = early.parse_known_args(argv)
    return choose_language(known.lang, data_dir(known))


def _central_args(argv: list[str]) -> list[str] | None:
    """``comptoir [--lang L] [--data D] central ARGS`` → the platform's own command line (it
    takes ``--lang`` too; the data folder is the terminal's, of no use to it); None when the
    command is not ``central``.

    >>> _central_args(["--lang", "nl", "central", "sales"]), _central_args(["status"])
    (['--lang', 'nl', 'sales'], None)
    """
    given: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--lang", "--data") and i + 1 < len(argv):
            given += argv[i:i + 2] if argv[i] == "--lang" else []
            i += 2
        elif argv[i].startswith(("--lang=", "--data=")):
            given += [argv[i]] if argv[i].startswith("--lang=") else []
            i += 1
        else:
            break
    return given + argv[i + 1:] if argv[i:i + 1] == ["central"] else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    central = _central_args(argv)
    if central is not None:              # the platform side has its own commands
        from sync.server.cli import main as central_main
        return central_main(central)
    lang = _language_of(argv)
    set_language(lang)
    from kiosk.cli.parser import build_parser
    args = build_parser().parse_args(argv)
    if args.command == "operator" and args.action in ("add", "unlock") and not args.name:
        print("comptoir: " + _("operator add/unlock needs a NAME"), file=sys.stderr)
        return 2
    stdout = sys.stdout = GuardedStdout(sys.stdout)
    try:
        code = _run(args, lang)
        stdout.flush()
    finally:
        sys.stdout = stdout.inner
    if stdout.lost and code == 0:
        print("comptoir: " + _("the output was closed before it was all read; what was asked"
                               " was done"), file=sys.stderr)
    return code


def _run(args: argparse.Namespace, lang: str) -> int:
    """The command, and its exit code (the module's docstring lists them)."""
    try:
        ctx = Context(args, lang)
        args.func(ctx)
        return 0
    except UsageError as e:
        print(f"comptoir: {e.message(lang)}", file=sys.stderr)
        return 2
    except ComptoirError as e:
        print(f"comptoir: {e.message(lang)}", file=sys.stderr)
        return EXIT_BY_CODE.get(e.code) or next(
            (code for cls, code in EXIT.items() if isinstance(e, cls)), 1)
    except KeyboardInterrupt:
        print("comptoir: " + _("interrupted, nothing was half saved"), file=sys.stderr)
        return 130
