"""``comptoir central verify|problems|integrity-settings``: the platform's own checks and what
the office must look at (``verify``, ``problems``, ``nightly``).

    verify     --db PATH [--anchors FILE] [--accept]  check the journal, postings and balances
                                                now; exit status 3 when something is wrong;
                                                --accept: after a restore, the database as
                                                it is becomes the reference (the anchors)
    problems   --db PATH                        conflicts, failed verifications, silent
                                                terminals: what each means, what to do
    integrity-settings --db PATH [--verify-at HH:MM] [--silence-hours N]
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sync.common.clock import local_time
from sync.server import nightly, problems, verify
from sync.server.cli_text import _, language, when
from sync.server.errors import say
from sync.server.schools import timezone_of
from sync.server.storage import CentralStore

COMMANDS = ("verify", "problems", "integrity-settings")
Command = Callable[[str, str], argparse.ArgumentParser]


def add_parsers(command: Command, db_option: Callable, school_option: Callable) -> None:
    p = command("verify", _("verify the stored journal, the postings and every wallet balance"
                            " now (nightly, serve does it itself)"))
    db_option(p)
    p.add_argument("--anchors", type=Path, help=_("the anchors file (default: beside the"
                                                  " database, or $COMPTOIR_CENTRAL_ANCHORS)"))
    p.add_argument("--accept", action="store_true",
                   help=_("after restoring the database from a backup, once checked: take it"
                          " as it is now as the reference of the next verifications"))
    school_option(p)
    p = command("problems", _("what the office must look at: conflicts, failed verifications,"
                              " terminals that stopped syncing"))
    db_option(p)
    school_option(p)
    p = command("integrity-settings", _("show or set when the nightly verification runs and"
                                        " after how long a silent terminal is a problem"))
    db_option(p)
    p.add_argument("--verify-at", metavar="HH:MM", help=_("local time, e.g. 02:00"))
    p.add_argument("--silence-hours", type=int, metavar="N", help=_("e.g. 48"))
    school_option(p)


def run(args: argparse.Namespace, store: CentralStore) -> None:
    lang = language()
    school_id = store.school_id(args.school_id)
    if args.command == "verify":
        result = verify.verify(store, school_id, anchors_path=args.anchors, accept=args.accept,
                               trigger="accepted" if args.accept else "command")
        print(_("school {school}: {devices} terminal(s), {entries} entries, {wallets} wallets"
                " verified").format(school=school_id, devices=result.devices,
                                    entries=result.entries, wallets=result.wallets))
        for f in result.findings:
            print("  " + say(verify.describe(f), lang))
        if result.findings:
            print(_("{count} problem(s): nothing was repaired; see comptoir central problems")
                  .format(count=len(result.findings)))
            raise SystemExit(3)
        print(_("all right"))
    elif args.command == "problems":
        found = problems.problems(store, school_id)
        tz = timezone_of(store, school_id)
        for p in found:
            d = p.as_dict(lambda phrase: say(phrase, lang))
            print(f"{when(local_time(d['since'], tz))}  [{p.kind}]  {d['detail']}")
            print("    " + d["meaning"])
            print("    " + _("what to do: {resolution}").format(resolution=d["resolution"]))
        if not found:
            print(_("no problem"))
    else:
        s = nightly.set_settings(store, school_id, at=args.verify_at, silence=args.silence_hours)
        print(_("nightly verification from {at} ({zone}); a terminal silent for more than"
                " {hours} h is a problem").format(at=s["verify_at"], zone=s["timezone"],
                                                  hours=s["silence_hours"]))
