"""The counter's commands: set up, import, operators, sell, photocopies, balance, pickup, void,
X and Z reports."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kiosk.cli import by_name
from kiosk.cli.base import (
    CONFIG_NAME,
    DB_NAME,
    Context,
    UsageError,
    _,
    parse_items,
    read_pin,
    write_atomically,
)

if TYPE_CHECKING:
    from kiosk.counter import SaleResult


def N_(text: str) -> str:
    """Marks ``text`` for extraction; translated where it is shown."""
    return text


# The store's tables as counts are shown ("Import done: 60 students, ...").
TABLES = {"categories": N_("categories"), "articles": N_("articles"), "students": N_("students"),
          "badges": N_("badges"), "wallets": N_("wallets"), "operators": N_("operators"),
          "reservations": N_("reservations")}


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {_(TABLES.get(t, t))}" for t, n in counts.items())


def cmd_init(ctx: Context) -> None:
    from kiosk.config import render_config
    from kiosk.store import open_store
    folder = ctx.folder
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)                 # personal data of minors: owner only
    config_path = folder / CONFIG_NAME
    if not config_path.exists():
        write_atomically(config_path, render_config(ctx.args.name, ctx.args.profile))
    existed = (folder / DB_NAME).exists()
    store = open_store(folder / DB_NAME, create=True)
    os.chmod(folder / DB_NAME, 0o600)
    done = _("Terminal already set up: {folder}") if existed else _("Terminal set up: {folder}")
    ctx.out(done.format(folder=folder))
    ctx.out(_("  terminal: {device}  (configuration: {path})").format(device=store.device_id,
                                                                      path=config_path))


def cmd_import(ctx: Context) -> None:
    from kiosk import importer
    data = importer.load_file(ctx.args.file)
    counts = importer.apply(ctx.service.store, data, ctx.service.clock.now(), str(ctx.args.file))
    ctx.out(_("Import done: {counts}").format(counts=counts_text(counts) or _("nothing")))


def cmd_operator(ctx: Context) -> None:
    from kiosk import operators
    store = ctx.service.store
    roles = {"seller": _("seller"), "supervisor": _("supervisor"), "admin": _("admin")}
    if ctx.args.action == "add":
        first = not operators.list_operators(store)
        by = None if first else ctx.session()
        pin = read_pin(_("PIN for {name}").format(name=ctx.args.name), env="COMPTOIR_NEW_PIN")
        if "COMPTOIR_NEW_PIN" not in os.environ and read_pin(_("Again"), "COMPTOIR_NEW_PIN") != pin:
            raise UsageError(detail=_("the two PINs differ"))
        operators.add_operator(store, ctx.args.name, ctx.args.role, pin, by=by)
        ctx.out(_("Operator added: {name} ({role})").format(name=ctx.args.name,
                                                            role=roles[ctx.args.role]))
    elif ctx.args.action == "unlock":
        ctx.service.unlock_operator(ctx.session(), ctx.args.name)
        ctx.out(_("Operator unlocked: {name}").format(name=ctx.args.name))
    else:
        for op in operators.list_operators(store):
            state = _("active") if op["active"] else _("inactive")
            ctx.out(f"{op['name']:<20} {roles.get(op['role'], op['role']):<11} {state}")


def _show_sale(ctx: Context, result: SaleResult, title: str) -> None:
    """``title`` is a translated line with ``{seq}``, e.g. "Sale no. {seq}"."""
    s = result.student
    ctx.out(f"{title.format(seq=result.entry.seq)} — {s.display_name} ({s.class_name})")
    for line in result.lines:
        name = ctx.article_name(line["article"], line["name"])
        ctx.out(f"  {line['qty']:>3} × {name:<28} {ctx.money(line['total_cents']):>10}")
    total = _("Total")
    ctx.out(f"  {total:<34} {ctx.money(result.total_cents):>10}")
    for w in result.wallets:
        ctx.out("  " + _("New balance of '{wallet}': {amount}").format(
            wallet=w.name, amount=ctx.money(w.balance_cents)))


def cmd_sell(ctx: Context) -> None:
    session = ctx.session()
    who = by_name.who(ctx)
    result = ctx.service.sell(session, who, parse_items(ctx.args.items),
                              confirm=ctx.args.confirm)
    _show_sale(ctx, result, _("Sale no. {seq}"))
    by_name.note(ctx, who)


def cmd_copies(ctx: Context) -> None:
    session = ctx.session()
    who = by_name.who(ctx)
    result = ctx.service.photocopies(session, who, bw=ctx.args.bw,
                                     colour=ctx.args.colour, confirm=ctx.args.confirm)
    _show_sale(ctx, result, _("Photocopies no. {seq}"))
    by_name.note(ctx, who)


def cmd_balance(ctx: Context) -> None:
    who = ctx.service.identify(ctx.args.badge)
    s = who.student
    ctx.out(f"{s.display_name} ({s.class_name})")
    for w in who.wallets:
        ctx.out("  " + _("{wallet}: {amount}   (transfer: {reference})").format(
            wallet=w.name, amount=ctx.money(w.balance_cents), reference=w.structured_communication))
    if s.flags:
        ctx.out("  " + _("Allergies/diet: {flags}").format(flags=", ".join(s.flags)))
    status = {"reserved": _("reserved"), "delivered": _("delivered"), "cancelled": _("cancelled")}
    for r in who.reservations:
        ctx.out("  " + _("Reserved today: {quantity} × {article} ({status})").format(
            quantity=r["quantity"], article=ctx.article_name(r["article"], r["name"]),
            status=status.get(r["status"], r["status"])))
    if who.stale:
        ctx.out("  " + _("(old data: the offline cap applies)"))


def cmd_pickup(ctx: Context) -> None:
    session = ctx.session()
    who = by_name.who(ctx)
    result = ctx.service.pickup(session, who, ctx.args.reservation or None,
                                confirm=ctx.args.confirm)
    ctx.out(_("Pickup no. {seq}").format(seq=result.entry.seq)
            + f" — {result.student.display_name} ({result.student.class_name})")
    for item in result.delivered:
        ctx.out(f"  {item['qty']} × {ctx.article_name(item.get('article'), item['name'])}")
    by_name.note(ctx, who)


def cmd_void(ctx: Context) -> None:
    session = ctx.session()
    result = ctx.service.void(session, ctx.args.seq, ctx.args.reason)
    ctx.out(_("Void no. {seq} of sale no. {voided}: {amount} credited back").format(
        seq=result.entry.seq, voided=result.voided_seq, amount=ctx.money(result.credited_cents)))


def cmd_report(ctx: Context) -> None:
    session = ctx.session()
    service = ctx.service
    report = service.report_x(session) if ctx.args.which == "x" else service.close_day(session)
    title = (_("X report (running totals)") if report.kind == "X" else
             _("Z report — close no. {seq}").format(seq=report.close_seq))
    ctx.out(f"{title} — {service.config.terminal.name}")
    from kiosk import receipts
    for line in receipts.period_lines(ctx.lang, report.days or [report.day],
                                      *report.period(service.config.tz)):
        ctx.out("  " + line)
    ctx.out("  " + _("Entries no. {first} to no. {last} ({count})").format(
        first=report.first_seq or "-", last=report.last_seq or "-", count=report.entries))
    for jump in report.clock_jumps:
        ctx.out("  ! " + receipts.clock_jump(ctx.lang, jump["seq"], jump["seconds"]))
    for code, a in sorted(report.articles.items()):
        name = ctx.article_name(code, a["name"])
        ctx.out(f"  {a['qty']:>4} × {name:<28} {ctx.money(a['total_cents']):>10}")
    picked_up, sales = _("picked up"), _("sales")
    for code, p in sorted(report.pickups.items()):
        ctx.out(f"  {p['qty']:>4} × {ctx.article_name(code, p['name']):<28} {picked_up:>10}")
    ctx.out("  " + _("Voids: {count} ({amount})").format(
        count=report.voids["count"], amount=ctx.money(report.voids["total_cents"])))
    if report.cash["count"]:
        ctx.out("  " + _("Cash top-ups: {count} ({amount})").format(
            count=report.cash["count"], amount=ctx.money(report.cash["total_cents"])))
    for op in report.operators.values():
        ctx.out(f"  {op['name']:<20} {op['sales']:>4} {sales}  {ctx.money(op['total_cents']):>10}")
    ctx.out("  " + _("Gross total {gross} — net {net}").format(
        gross=ctx.money(report.gross_cents), net=ctx.money(report.net_cents)))
    if report.last_hash:
        ctx.out("  " + _("Last hash: {hash}").format(hash=report.last_hash))
    if report.kind == "X" and ctx.args.print:
        from kiosk import print_jobs
        print_jobs.enqueue_x_report(service.store, report, service.clock.now())
        ctx.out("  " + _("X report queued for printing."))
    elif report.kind == "Z":
        ctx.out("  " + _("Z report queued for printing."))
