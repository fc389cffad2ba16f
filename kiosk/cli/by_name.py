"""``--name`` and ``--supervisor`` for the commands that serve a student (sell, copies, pickup):
a student who forgot the badge is found by name and a supervisor confirms with their PIN
(``$COMPTOIR_SUPERVISOR_PIN``, or asked). When several students match, they are listed on
this terminal's own output (name and class) and nothing is done."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.cli.base import Context, UsageError, _, read_pin
from sync.common.errors import Refusal

if TYPE_CHECKING:
    import argparse

    from kiosk.by_name import Who


def add_arguments(command: argparse.ArgumentParser) -> None:
    """``--badge UID`` or ``--name TEXT`` (one of them), and ``--supervisor NAME``."""
    who = command.add_mutually_exclusive_group(required=True)
    who.add_argument("--badge")
    who.add_argument("--name", help=_("no badge: the student's name (add the class to tell"
                                      " namesakes apart); needs --supervisor"))
    command.add_argument("--supervisor", help=_("with --name: the supervisor who confirms (PIN"
                                                " from $COMPTOIR_SUPERVISOR_PIN or asked)"))


def who(ctx: Context) -> Who:
    """The badge given, or the one student ``--name`` finds, confirmed by the supervisor."""
    args = ctx.args
    if args.name is None:
        return args.badge
    if not args.supervisor:
        raise UsageError(detail=_("--name needs --supervisor NAME (a supervisor confirms with"
                                  " their PIN)"))
    from kiosk import by_name, name_search
    store = ctx.service.store
    matches = name_search.search(store, args.name)
    found = name_search.only_match(matches)
    if found is None:
        if not matches.found:
            raise Refusal("name_not_found")
        ctx.out(_("Students matching:"))
        for f in matches.found:
            ctx.out(f"  {f.display_name} ({f.class_name})")
        if matches.more:
            ctx.out("  …")
        raise Refusal("name_ambiguous")
    pin = read_pin(_("PIN of {name}").format(name=args.supervisor), env="COMPTOIR_SUPERVISOR_PIN")
    return by_name.authorise(store, found.student_id, args.supervisor, pin,
                             ctx.service.clock.now())


def note(ctx: Context, served: Who) -> None:
    """The line under a sale or pickup made without a badge."""
    from kiosk.by_name import Lookup
    if isinstance(served, Lookup):
        ctx.out("  " + _("Without badge: found by name, confirmed by {supervisor}").format(
            supervisor=served.supervisor))
