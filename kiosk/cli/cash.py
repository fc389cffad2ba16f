"""``comptoir cash-topup --badge UID --euros 20``: cash taken at the reception desk by a
supervisor, credited to the student's wallet, a receipt printed (``kiosk.cash_topups``)."""
from __future__ import annotations

from kiosk.cli.base import Context, UsageError, _
from sync.common.money import parse_euros


def cmd_cash_topup(ctx: Context) -> None:
    try:
        cents = parse_euros(ctx.args.euros)
    except ValueError:
        raise UsageError(detail=_("--euros: an amount in euros, e.g. 20 or 12,50")) from None
    session = ctx.session()
    done = ctx.service.cash_topup(session, ctx.args.badge, cents, student_id=ctx.args.student,
                                  wallet_id=ctx.args.wallet)
    ctx.out(_("Cash top-up no. {seq}: {amount} received for {name}; new balance of {wallet}:"
              " {balance}. Receipt queued for printing.").format(
        seq=done.entry.seq, amount=ctx.money(done.amount_cents),
        name=done.student.display_name, wallet=done.wallet.name,
        balance=ctx.money(done.wallet.balance_cents)))
