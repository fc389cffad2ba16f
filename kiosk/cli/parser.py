"""The command line's grammar; the help texts we write are in the command line's language
(argparse's own words, "usage:", "options:", stay as argparse says them)."""
from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli import by_name
from kiosk.cli.admin import cmd_check, cmd_enrol, cmd_journal, cmd_status, cmd_sync
from kiosk.cli.apps import cmd_demo_data, cmd_ui
from kiosk.cli.backups import cmd_backup, cmd_restore
from kiosk.cli.badges import cmd_badge
from kiosk.cli.base import _
from kiosk.cli.cash import cmd_cash_topup
from kiosk.cli.counter import (
    cmd_balance,
    cmd_copies,
    cmd_import,
    cmd_init,
    cmd_operator,
    cmd_pickup,
    cmd_report,
    cmd_sell,
    cmd_void,
)
from kiosk.cli.devices import cmd_printer, cmd_reader, cmd_reprint
from sync.common.i18n import LANGUAGES
from sync.common.version import version


def _window(text: str) -> str:
    from kiosk.config import window_size
    size = window_size(text)
    if size is None:
        raise argparse.ArgumentTypeError(_("a size like 1280x800, not {text!r}").format(text=text))
    return f"{size[0]}x{size[1]}"


def add_global_options(p: argparse.ArgumentParser, default: str | None = None, data: bool = True) -> None:
    """``--data`` and ``--lang`` before the command; ``--lang`` after it too (and ``--data``
    for ``ui``): ``default`` is SUPPRESS there, not to undo what was given before it."""
    if data:
        p.add_argument("--data", default=default,
                       help=_("data folder (default: $COMPTOIR_DATA or ~/.local/share/comptoir)"))
    p.add_argument("--lang", choices=LANGUAGES, default=default,
                   help=_("language of what is printed (default: $COMPTOIR_LANG, else the"
                          " terminal's [terminal] language)"))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="comptoir", description=_("Comptoir school counter terminal."))
    p.add_argument("--version", action="version", version=f"comptoir {version()}",
                   help=_("show the version of Comptoir and exit"))
    add_global_options(p)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_, operator=False):
        c = sub.add_parser(name, help=help_, description=help_)
        c.set_defaults(func=func)
        if name != "ui":
            add_global_options(c, default=argparse.SUPPRESS, data=False)
        if operator:
            c.add_argument("--operator", help=_("operator name (PIN from $COMPTOIR_PIN or asked)"))
        return c

    def confirmable(c):
        c.add_argument("--confirm", action="append", default=[], choices=("allergen", "double_tap"),
                       help=_("the operator confirms this warning"))

    c = command("init", cmd_init, _("create the data folder, its configuration and the store"))
    c.add_argument("--name", default=_("Till"),
                   help=_("terminal name shown on receipts (e.g. 'Cantine 1')"))
    c.add_argument("--profile", default="canteen", choices=("canteen", "reception"))
    c = command("import", cmd_import,
                _("load students, badges, wallets, articles, operators, reservations"))
    c.add_argument("file", type=Path)
    c = command("demo-data", cmd_demo_data, _("write the demo school as an import file"))
    c.add_argument("--students", type=int, default=800)
    c.add_argument("--seed", type=int, default=2026)
    c.add_argument("--output", "-o")
    c = command("operator", cmd_operator, _("add, unlock or list operators"), operator=True)
    c.add_argument("action", choices=("add", "unlock", "list"))
    c.add_argument("name", nargs="?")
    c.add_argument("--role", choices=("seller", "supervisor", "admin"), default="seller")
    c = command("sell", cmd_sell, _("sell articles to a badge: ITEM is CODE, CODE=2 or CODEx2"),
                operator=True)
    by_name.add_arguments(c)
    c.add_argument("items", nargs="+", metavar="ITEM")
    confirmable(c)
    c = command("copies", cmd_copies, _("photocopies: black-and-white and colour pages"),
                operator=True)
    by_name.add_arguments(c)
    c.add_argument("--bw", type=int, default=0)
    c.add_argument("--colour", "--color", type=int, default=0)
    confirmable(c)
    c = command("balance", cmd_balance, _("who holds this badge, balances, today's reservations"))
    c.add_argument("--badge", required=True)
    c = command("pickup", cmd_pickup, _("deliver today's reserved sandwiches"), operator=True)
    by_name.add_arguments(c)
    c.add_argument("--reservation", action="append",
                   help=_("only this reservation id (repeatable)"))
    confirmable(c)
    c = command("void", cmd_void, _("void a sale of today (supervisor)"), operator=True)
    c.add_argument("seq", type=int)
    c.add_argument("--reason", default="")
    c = command("badge", cmd_badge, _("block a lost badge, or unblock it (supervisor): every"
                                      " terminal follows at its next sync"), operator=True)
    c.add_argument("action", choices=("block", "unblock"))
    c.add_argument("--badge", required=True)
    c = command("cash-topup", cmd_cash_topup, _("cash taken at the desk, credited to a wallet"
                                                " (supervisor); a receipt is printed"),
                operator=True)
    who = c.add_mutually_exclusive_group(required=True)
    who.add_argument("--badge")
    who.add_argument("--student", help=_("the student's id, when the badge is not there"))
    c.add_argument("--euros", required=True, help=_("the cash taken, e.g. 20 or 12,50"))
    c.add_argument("--wallet", help=_("which wallet (default: the student's default one)"))
    c = command("report", cmd_report, _("x: running totals; z: close the day (and print it)"),
                operator=True)
    c.add_argument("which", choices=("x", "z"))
    c.add_argument("--print", action="store_true", help=_("x: print it too (z is always printed)"))
    c = command("journal", cmd_journal, _("export the journal"))
    c.add_argument("action", choices=("export",))
    c.add_argument("--format", choices=("csv", "json"), default="csv")
    c.add_argument("--from", dest="from_", metavar="DAY")
    c.add_argument("--to", metavar="DAY")
    c.add_argument("--output", "-o")
    c = command("enrol", cmd_enrol, _("enrol this terminal with the platform (one-time code)"))
    c.add_argument("url", help=_("the platform's address, e.g. https://comptoir.school.be"))
    c.add_argument("code", help=_("the one-time code an admin made ('comptoir central enrol-code')"))
    c = command("sync", cmd_sync, _("push the journal and pull the platform's changes"))
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help=_("one round, then exit (the default)"))
    mode.add_argument("--daemon", action="store_true", help=_("keep syncing until stopped"))
    c.add_argument("--full", action="store_true", help=_("full resync and consistency check"))
    c = command("ui", cmd_ui, _("the touch screen (Kivy)"))
    add_global_options(c, default=argparse.SUPPRESS)
    c.add_argument("--demo", action="store_true",
                   help=_("demo school in the data folder if empty, simulated reader, badges to"
                          " tap on screen"))
    c.add_argument("--profile", choices=("canteen", "reception"),
                   help=_("with --demo, for a new demo folder (default canteen)"))
    c.add_argument("--badge-panel", action="store_true",
                   help=_("the demo badges on screen (simulated reader) on this folder, whatever"
                          " it holds"))
    c.add_argument("--scenario", metavar="OUT",
                   help=_("walk the scripted demo on this folder under a virtual X screen;"
                          " screenshots and receipts into OUT"))
    c.add_argument("--self-service", action="store_true",
                   help=_("balance check only, for students (no operator)"))
    c.add_argument("--fullscreen", action="store_true",
                   help=_("kiosk mode: full screen, no window decorations, the panel's size (the"
                          " default on a terminal, see [ui] window; the demo opens a window)"))
    c.add_argument("--window", metavar="WxH", type=_window,
                   help=_("a window of this size instead (development), e.g. 1280x800"))
    sub.add_parser("central", help=_("the reference central server (see 'comptoir central --help')"),
                   add_help=False)
    c = command("printer", cmd_printer, _("test: print a test page; status; run: print the queue"
                                          " until stopped; slip: a top-up slip for a badge;"
                                          " picklist: the kitchen's list"))
    c.add_argument("action", choices=("test", "status", "run", "slip", "picklist"))
    c.add_argument("--once", action="store_true", help=_("run: print what is waiting, then exit"))
    c.add_argument("--badge", help=_("slip: whose wallet"))
    c.add_argument("--amount", type=int, metavar="CENTS",
                   help=_("slip: suggested top-up in cents (default [school] topup_amount_cents)"))
    c.add_argument("--day", metavar="DAY", help=_("picklist: the day (default today)"))
    c = command("reprint", cmd_reprint, _("print the last receipt again"))
    c.add_argument("which", choices=("last",))
    c = command("reader", cmd_reader,
                _("test: show the badge reader's state and each badge tapped"))
    c.add_argument("action", choices=("test",))
    c.add_argument("--count", type=int, help=_("stop after this many badges"))
    c.add_argument("--seconds", type=float, help=_("stop after this many seconds"))
    command("backup", cmd_backup, _("back the store up now (online, checked) into the backup"
                                    " folders of [backup]"))
    c = command("restore", cmd_restore, _("put a backup in place of a lost or damaged store, then"
                                          " fetch back from the platform what it lacks"))
    c.add_argument("file", nargs="?", help=_("the backup file (default: the newest one)"))
    c.add_argument("--force", action="store_true",
                   help=_("replace a store that is intact (it is kept aside)"))
    command("check", cmd_check, _("verify the database and the whole journal chain"))
    command("status", cmd_status, _("terminal state: integrity, journal, sync, printing"))
    return p
