"""``comptoir badge block|unblock --badge UID``: a lost badge, blocked (or unblocked) by a
supervisor at this terminal, and on every terminal once synced (``kiosk.badges``)."""
from __future__ import annotations

from kiosk.cli.base import Context, _


def cmd_badge(ctx: Context) -> None:
    session = ctx.session()
    if ctx.args.action == "block":
        done = ctx.service.block_badge(session, ctx.args.badge)
        text = _("Badge {uid} of {name} blocked: refused here from now on, and on every"
                 " terminal from its next sync.")
    else:
        done = ctx.service.unblock_badge(session, ctx.args.badge)
        text = _("Badge {uid} of {name} unblocked: accepted here from now on, and on every"
                 " terminal from its next sync.")
    ctx.out(text.format(uid=done.uid, name=done.name))
