"""The devices: the receipt printer (test page, status, the queue, slips, pick lists, reprint)
and the badge reader's test."""
from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from kiosk.cli.base import DB_NAME, Context, ReaderError, UsageError, _, labelled, parse_day
from sync.common.errors import ComptoirError

if TYPE_CHECKING:
    from drivers.printer.base import ReceiptPrinter
    from drivers.printer.status import PrinterStatus
    from kiosk.print_worker import PrintWorker


def _printer(ctx: Context) -> ReceiptPrinter | None:
    """The configured printer (None for backend "none"); bad settings are a ConfigError."""
    from kiosk.hardware import open_printer
    from sync.common.errors import ConfigError
    try:
        return open_printer(ctx.config.printer, ctx.folder)
    except ValueError as e:
        raise ConfigError(detail=f"[printer]: {e}") from None


def _worker(ctx: Context, printer: ReceiptPrinter | None) -> PrintWorker:
    from kiosk.print_worker import PrintWorker
    return PrintWorker(ctx.folder / DB_NAME, ctx.config, printer)


def _print_waiting(ctx: Context, what: str) -> None:
    """Print what is queued now if no other program of this terminal does it; say how it went."""
    from kiosk.print_worker import AlreadyPrinting
    printer = _printer(ctx)
    if printer is None:
        raise ComptoirError("printer_none")
    worker = _worker(ctx, printer)
    try:
        worker.run_once()
    except AlreadyPrinting:
        ctx.out(_("{what}: queued for printing.").format(what=what) + " " + worker.status().message)
        return
    status = worker.status()
    if status.state != "ok":
        raise ComptoirError("usage", detail=_("{what} waiting: {message}").format(
            what=what, message=status.message))
    ctx.out(_("{what}: printed.").format(what=what))


def cmd_printer(ctx: Context) -> None:
    from kiosk import print_jobs
    from kiosk.hardware import printer_message
    action = ctx.args.action
    if action == "test":
        _printer_test(ctx)
    elif action == "status":
        printer = _printer(ctx)
        row = labelled({"printer": _("Printer"), "state": _("State"), "queue": _("Queue")})
        ctx.out(row("printer", _("none") if printer is None else
                    _("{name} ({where}), {columns} columns, profile {profile}, code page {codepage}")
                    .format(name=printer.name, where=printer.where, columns=printer.columns,
                            profile=printer.profile, codepage=printer.codepage)))
        status = None
        if printer is not None:
            status, how = printer_condition(ctx, printer)
            ctx.out(row("state", printer_message(status, ctx.lang) + how))
        with ctx.service.store.read() as conn:
            counts = print_jobs.counts(conn)
            waiting = print_jobs.next_pending(conn)
        ctx.out(row("queue", queue_text(counts)))
        if waiting and waiting["last_error"]:
            ctx.out(_("Last error ({attempts} attempts): {error}").format(
                attempts=waiting["attempts"], error=waiting["last_error"]))
        if status is not None and not status.ok:
            raise ComptoirError(status.code, **status.params)
    elif action == "run":
        _printer_run(ctx)
    elif action == "slip":
        service = ctx.service
        if not ctx.args.badge:
            raise UsageError(detail=_("printer slip needs --badge UID"))
        wallet = service.identify(ctx.args.badge).wallets[0]
        amount = ctx.config.school.topup_amount_cents if ctx.args.amount is None else ctx.args.amount
        print_jobs.enqueue_low_balance(service.store, wallet.id, service.clock.now(), amount)
        _print_waiting(ctx, _("Top-up slip"))
    elif action == "picklist":
        service = ctx.service
        day = parse_day(ctx.args.day, "--day")
        print_jobs.enqueue_list(service.store, day.isoformat() if day else service.today(),
                                service.clock.now())
        _print_waiting(ctx, _("Sandwich list"))


def printer_condition(ctx: Context, printer: ReceiptPrinter) -> tuple[PrinterStatus, str]:
    """How the printer is, and how we know: asked now (bounded by its status timeout), or, when
    another program of this terminal prints (the touch app), as that program last saw it (a
    printer serves one connection at a time: asking it behind that program's back could
    take its silence for a fault)."""
    from kiosk.print_worker import printing_elsewhere, published_status
    store = ctx.service.store
    if printing_elsewhere(store.path):
        seen = published_status(store)
        if seen is not None:
            status, at = seen
            return status, " " + _("(as the program that prints sees it, since {when})").format(
                when=at.astimezone(ctx.config.tz).strftime("%H:%M:%S"))
    return printer.status(), ""


def queue_text(counts: dict[str, int]) -> str:
    """The print queue in one line: waiting (of which to print again as a possible second
    copy), failed, printed, sent without confirmation."""
    text = _("{waiting} waiting, {failed} failed, {printed} printed").format(**counts)
    if counts["unconfirmed"]:
        text += " " + _("({count} unconfirmed: they print again marked DUPLICATE)").format(
            count=counts["unconfirmed"])
    if counts["sent"]:
        text += ", " + _("{count} sent without confirmation").format(count=counts["sent"])
    return text


def _printer_test(ctx: Context) -> None:
    from kiosk import payments
    from kiosk.hardware import PrinterUnavailable, printer_message
    from kiosk.receipts import test_page
    from sync.common.communications import structured_communication
    printer = _printer(ctx)
    if printer is None:
        raise ComptoirError("printer_none")
    school = ctx.config.school
    qr = _("Comptoir: QR code test")
    if school.iban and school.name:      # a 1 cent transfer to the school, never sent by itself
        qr = payments.epc_payload(school.name, school.iban, 1, structured_communication(1),
                                  school.bic or None)
    doc = test_page(printer.columns, lang=ctx.lang, epc_payload=qr, description=[
        f"{ctx.config.terminal.name} - {printer.name} ({printer.where})",
        _("Profile {profile}, code page {codepage}").format(profile=printer.profile,
                                                            codepage=printer.codepage),
        _("Configured: {columns} columns").format(columns=printer.columns)])
    try:
        status = printer.print(doc, name="test")
    except PrinterUnavailable as e:
        raise ComptoirError(e.status.code, **e.status.params) from None
    ctx.out(_("Test page printed ({name}, {where}).").format(name=printer.name, where=printer.where)
            + " " + printer_message(status, ctx.lang))


def _printer_run(ctx: Context) -> None:
    import logging
    import threading

    from kiosk.cli.logs import translate_logs
    from kiosk.print_worker import AlreadyPrinting
    printer = _printer(ctx)
    if printer is None:
        raise ComptoirError("printer_none")
    worker = _worker(ctx, printer)
    if ctx.args.once:
        try:
            printed = worker.run_once()
        except AlreadyPrinting:
            raise ComptoirError("printer_busy") from None
        status = worker.status()
        ctx.out(_("{printed} print(s); {waiting} waiting.").format(
            printed=printed, waiting=status.waiting) + " " + status.message)
        if status.state != "ok":
            raise ComptoirError("usage", detail=status.message)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    translate_logs()
    waiting = _("{message} ({waiting} waiting)")
    worker._on_status = lambda st: print(waiting.format(message=st.message, waiting=st.waiting),
                                         flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    try:
        worker.start()
    except AlreadyPrinting:
        raise ComptoirError("printer_busy") from None
    ctx.out(_("Printing continuously on {name} ({where}) (Ctrl+C to stop)").format(
        name=printer.name, where=printer.where))
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()


def cmd_reprint(ctx: Context) -> None:
    from kiosk import print_jobs
    service = ctx.service
    _job, seq = print_jobs.reprint_last(service.store, service.clock.now())
    _print_waiting(ctx, _("Receipt no. {seq}").format(seq=seq))


_POLL_SECONDS = 0.2     # how soon ``reader test`` notices Ctrl+C


def _show_pcsc_choice(ctx: Context, reader_filter: str) -> None:
    """Every reader pcscd lists, and which one the badge reader uses and why (the same
    ``choose_reader`` as the reader's)."""
    from drivers.badge.pcsc import CONTACT, CONTACTLESS, choose_reader, list_readers, slot_kind
    readers = list_readers()
    if readers is None:
        return              # pcscd does not answer: the reader's state says so below
    kinds = {CONTACTLESS: _("contactless"), CONTACT: _("contact"), None: _("kind not stated")}
    choice = choose_reader(readers, reader_filter)
    ctx.out(_("PC/SC readers found: {count}").format(count=len(readers)))
    for name in readers:
        kind = kinds.get(slot_kind(name), kinds[None])
        ctx.out(f"  {'→' if name == choice.reader else ' '} {name} ({kind})")
    why = {"configured": _("its name contains '{filter}' (reader.pcsc_reader)"),
           "contactless": _("it is the contactless slot"),
           "only": _("it is the only reader"),
           "first": _("it is the first reader, and no reader's name says contactless: set "
                      "reader.pcsc_reader to choose another"),
           "no_reader": _("no reader is plugged in"),
           "no_match": _("no reader's name contains '{filter}' (reader.pcsc_reader)"),
           "contact_only": _("only contact slots: a badge needs a contactless one (set "
                             "reader.pcsc_reader to use one of them anyway)")}[choice.why]
    why = why.format(filter=choice.filter)
    if choice.reader is None:
        ctx.out(_("No reader used: {why}").format(why=why), flush=True)
    else:
        ctx.out(_("Reader used: {name}, because {why}").format(name=choice.reader, why=why),
                flush=True)


def cmd_reader(ctx: Context) -> None:
    """``reader test``: the installer's check of the configured badge reader, on the local
    screen. It shows the UIDs on purpose (that is its use); it logs nothing."""
    import queue
    import time

    from drivers.badge import BadgeEvent, ReaderState
    from kiosk.hardware import RefusedRead, open_reader, refused_read_message
    args, section = ctx.args, ctx.config.reader
    if args.count is not None and args.count < 1:
        raise UsageError(detail=_("--count must be at least 1"))
    if args.seconds is not None and args.seconds <= 0:
        raise UsageError(detail=_("--seconds must be more than 0"))
    reader = open_reader(section)
    news: queue.Queue = queue.Queue()     # the reader's thread hands over; printing happens here
    chosen = (" " + _("(reader '{name}')").format(name=section.pcsc_reader)
              if section.backend == "pcsc" and section.pcsc_reader else "")
    ctx.out(_("Badge reader test: {backend}{chosen}. Present badges; Ctrl+C to stop.").format(
        backend=section.backend, chosen=chosen), flush=True)
    if section.backend == "pcsc":
        _show_pcsc_choice(ctx, section.pcsc_reader)
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    badges, ever_connected, last_status = 0, False, reader.status
    labels = {ReaderState.CONNECTED: _("reader connected"),
              ReaderState.DISCONNECTED: _("reader disconnected"),
              ReaderState.ERROR: _("reader in error")}
    # Ctrl+C only raises a flag: a KeyboardInterrupt thrown into queue.get() can leave the
    # queue's lock released twice ("release unlocked lock") and end in a traceback.
    stop: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda *_args: stop.append(1))
    reader.start(news.put, news.put, news.put)
    try:
        while not stop and (args.count is None or badges < args.count):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            try:
                item = news.get(timeout=_POLL_SECONDS if left is None else min(left, _POLL_SECONDS))
            except queue.Empty:
                continue
            stamp = time.strftime("%H:%M:%S")
            if isinstance(item, BadgeEvent):
                badges += 1
                ctx.out(f"[{stamp}] " + _("badge {count}: {raw}  →  {uid}   ({reader})").format(
                    count=badges, raw=item.raw or item.uid, uid=item.uid, reader=item.reader),
                    flush=True)
            elif isinstance(item, RefusedRead):
                ctx.out(f"[{stamp}] " + _("read refused: {message} ({detail})").format(
                    message=refused_read_message(item, ctx.lang), detail=item.detail), flush=True)
            else:
                last_status = item
                ever_connected |= item.state is ReaderState.CONNECTED
                detail = item.reason or reader.name
                ctx.out(f"[{stamp}] " + _("{state}: {detail}").format(
                    state=labels[item.state], detail=detail), flush=True)
    finally:
        signal.signal(signal.SIGINT, previous)
        reader.stop()
    ctx.out(_("{count} badge(s) read.").format(count=badges))
    if not ever_connected:
        raise ReaderError(detail=last_status.reason or _("never connected"))
