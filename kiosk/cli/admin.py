"""The terminal's own state and its platform: journal export, full check, status, enrolment,
sync."""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.base import DB_NAME, Context, _, labelled, parse_day, write_atomically
from kiosk.cli.counter import counts_text
from sync.common.errors import StoreError

if TYPE_CHECKING:
    from kiosk.store import Store

EXPORT_FIELDS = ("seq", "uuid", "ts", "day", "kind", "device", "operator", "student",
                 "amount_cents", "ref_seq", "articles", "hash")


def cmd_journal(ctx: Context) -> None:
    from kiosk import journal
    start, end = parse_day(ctx.args.from_, "--from"), parse_day(ctx.args.to, "--to")
    where, params = ["1"], []
    if start:
        where.append("day >= ?")
        params.append(start.isoformat())
    if end:
        where.append("day <= ?")
        params.append(end.isoformat())
    entries = list(journal.entries(ctx.service.store.conn, " AND ".join(where), tuple(params)))
    if ctx.args.format == "json":
        text = json.dumps([{**e.data, "prev_hash": e.prev_hash, "hash": e.hash} for e in entries],
                          ensure_ascii=False, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, EXPORT_FIELDS)
        writer.writeheader()
        for e in entries:
            items = e.data.get("lines") or e.data.get("items") or []
            writer.writerow({
                "seq": e.seq, "uuid": e.uuid, "ts": e.ts, "day": e.day, "kind": e.kind,
                "device": e.data["device"], "operator": e.operator_id or "",
                "student": e.student_id or "", "amount_cents": e.amount_cents,
                "ref_seq": e.ref_seq or "",
                "articles": " ".join(f"{i['article']}x{i['qty']}" for i in items), "hash": e.hash})
        text = buf.getvalue()
    if ctx.args.output:
        write_atomically(Path(ctx.args.output), text)
        print(_("{count} entries exported to {path}").format(count=len(entries),
                                                             path=ctx.args.output),
              file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_check(ctx: Context) -> None:
    from kiosk.store import open_store
    store = open_store(ctx.folder / DB_NAME, check=False)
    total = store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    show = sys.stderr.isatty() or total > 200_000
    line = _("  checking the journal: {seq}/{total}")

    def progress(seq):
        if show:
            print("\r" + line.format(seq=seq, total=total), end="", file=sys.stderr)

    health = store.check_integrity(full=True, progress=progress)
    if show:
        print(file=sys.stderr)
    health.raise_if_bad()
    ctx.out(_("Terminal intact: database OK, journal of {count} entries checked.")
            .format(count=total))


def cmd_status(ctx: Context) -> None:
    from kiosk import journal, print_jobs, pull_progress
    service = ctx.service
    store, conn = service.store, service.store.conn
    last_seq, last_hash = journal.last_link(conn)
    pushed = int(store.sync_state("pushed_seq") or "0")
    closed = service.day_closed()
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("students", "badges", "wallets", "articles", "operators")}
    health = store.health
    never = _("never")
    labels = {"terminal": _("Terminal"), "data": _("Data"), "integrity": _("Integrity"),
              "journal": _("Journal"), "day": _("Day"), "sync": _("Sync"),
              "platform": _("Platform"), "printing": _("Printing"), "content": _("Content"),
              "disk": _("Disk"), "clock": _("Clock"), "pull": _("Receiving"),
              "backup": _("Backup")}
    row = labelled(labels)

    def out(key: str, text: str) -> None:
        ctx.out(row(key, text))

    out("terminal", f"{service.config.terminal.name} ({service.config.terminal.profile})"
                    f" — {store.device_id}")
    out("data", _("{folder}  (schema v{version})").format(folder=ctx.folder,
                                                          version=store.schema_version))
    from kiosk.store import space
    free = space.free_bytes(ctx.folder)
    if store.read_only or space.is_full(ctx.folder):
        out("disk", _("FULL — {error}").format(error=StoreError("disk_full").message(ctx.lang)))
    elif free is not None:
        out("disk", _("{size} MB free").format(size=free >> 20))
    error = StoreError(health.code, detail=health.detail, seq=health.bad_seq)
    out("integrity", "OK" if health.ok else _("ERROR — {error}").format(
        error=error.message(ctx.lang)))
    out("journal", _("{count} entries, last hash {hash}…").format(count=last_seq,
                                                                  hash=last_hash[:16]))
    out("day", f"{service.today()} " + (_("closed (Z)") if closed else _("open")))
    from kiosk import lookups, receipts
    for jump in lookups.terminal_status(store).clock_jumps:       # since the last Z
        out("clock", "! " + receipts.clock_jump(ctx.lang, jump.seq, jump.seconds)
            + " — " + _("check the terminal's date and time"))
    out("sync", _("{count} entry(ies) waiting to be sent; last received {when}").format(
        count=last_seq - pushed, when=store.sync_state("last_pull_at", never))
        + (" " + _("(old data)") if service.is_stale() else ""))
    state = store.sync_state("status")
    if state:
        last_error = store.sync_state("last_error", "")
        states = {"online": _("online"), "offline": _("offline"), "error": _("error"),
                  "revoked": _("REVOKED by the platform: enrol this terminal again"),
                  "unauthorized": _("token REFUSED by the platform (unknown): enrol this"
                                    " terminal again")}
        out("platform", _("{state}; last success {when}").format(
            state=states.get(state, state), when=store.sync_state("last_success_at", never))
            + (_("; last error {when}: {error}").format(
                when=store.sync_state("last_error_at"), error=last_error) if last_error else ""))
    with store.read() as conn:
        printing, head = print_jobs.counts(conn), print_jobs.next_pending(conn)
        progress = pull_progress.current(conn)
    if progress is not None:            # a pull under way, or cut off and to go on
        out("pull", (_("school incomplete: {records} record(s), {size} received so far")
                     if progress.full and store.sync_state("last_pull_at") is None else
                     _("under way: {records} record(s), {size} received so far")).format(
            records=progress.records, size=pull_progress.size_text(progress.bytes, ctx.lang)))
    out("printing", printing_text(ctx, printing, head))
    out("backup", backup_text(ctx, store))
    out("content", counts_text(counts))


def backup_text(ctx: Context, store: Store) -> str:
    """The last backup (kiosk.backup_status), and a failed attempt since."""
    from kiosk.backup_status import last_backup
    from sync.common.clock import parse_iso_utc

    def when(at: str) -> str:
        return parse_iso_utc(at).astimezone(ctx.config.tz).strftime("%Y-%m-%d %H:%M")
    last = last_backup(store)
    if last is None:
        return _("never (comptoir backup makes one)")
    text = _("{when}, up to entry no. {seq}: {file}").format(when=when(last["at"]),
                                                           seq=last["seq"], file=last["file"])
    attempt = last["last_attempt"]
    if attempt and attempt["file"] is None:
        text += " — " + _("FAILED on {when}").format(when=when(attempt["at"]))
    return text


def printing_text(ctx: Context, counts: dict[str, int], head: dict | None) -> str:
    """The printer's state (asked, or as the printing program saw it) and the queue."""
    from kiosk.cli.devices import _printer, printer_condition, queue_text
    from kiosk.hardware import printer_message
    printer = _printer(ctx)
    text = queue_text(counts)
    if printer is not None:
        status, how = printer_condition(ctx, printer)
        text = (_("FAULT: ") if not status.ok else "") + printer_message(status, ctx.lang) + how \
            + " — " + text
    if head and head["last_error"] and head["last_error"] not in text:
        text += f" ; {head['last_error']}"
    return text


def cmd_enrol(ctx: Context) -> None:
    from sync.agent import enrol
    creds = enrol(ctx.service.store, ctx.folder, ctx.args.url, ctx.args.code,
                  allow_http=ctx.config.sync.allow_http, ca_file=ctx.config.sync.ca_file)
    ctx.out(_("Terminal enrolled: '{device}' — {school} ({url})").format(
        device=creds.device_name, school=creds.school_name, url=creds.url))


def cmd_sync(ctx: Context) -> None:
    import logging
    import signal
    import threading

    from kiosk.cli.logs import translate_logs
    from sync.agent import Agent, load_credentials
    from sync.client import Client
    creds = load_credentials(ctx.folder)
    client = Client(creds.url, creds.token, allow_http=ctx.config.sync.allow_http,
                    ca_file=ctx.config.sync.ca_file)
    agent = Agent(ctx.service.store, client, ctx.config)
    translate_logs()
    try:
        if not ctx.args.daemon:
            done = agent.run_once(full=ctx.args.full)
            ctx.out(_("Synced: {pushed} entry(ies) sent, {pulled} record(s) received,"
                      " {waiting} waiting.").format(**done))
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_args: stop.set())
        ctx.out(_("Syncing continuously with {url} (Ctrl+C to stop)").format(url=creds.url))
        try:
            agent.run_forever(stop)
        except KeyboardInterrupt:
            pass
    finally:
        client.close()
