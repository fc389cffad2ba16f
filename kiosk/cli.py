"""``comptoir``: the terminal from the command line, all of it through the counter service.

Exit codes: 0 done; 1 error (store, config, import, disk); 2 bad usage; 3 refused (nothing
written); 4 the operator must confirm (re-run with ``--confirm CODE``); 5 operator not allowed
(unknown, wrong PIN, locked, role). Errors are one line on stderr.

The data folder is ``--data DIR``, else ``$COMPTOIR_DATA``, else ``~/.local/share/comptoir``.
Commands acting for an operator take ``--operator NAME`` (or ``$COMPTOIR_OPERATOR``) and read the
PIN from ``$COMPTOIR_PIN`` or ask for it; a PIN is never an argument (it would show in ``ps``).
"""
from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import os
import signal
import sys
from datetime import date
from pathlib import Path

from sync.common.errors import AuthError, ComptoirError, NeedsConfirmation, Refusal, StoreError

DB_NAME = "comptoir.db"
CONFIG_NAME = "terminal.toml"
EXIT = {Refusal: 3, NeedsConfirmation: 4, AuthError: 5}


class UsageError(ComptoirError):
    code = "usage"


class ReaderError(ComptoirError):
    code = "reader_unavailable"


# -- plumbing -------------------------------------------------------------------------------
def data_dir(args) -> Path:
    folder = args.data or os.environ.get("COMPTOIR_DATA")
    if folder:
        return Path(folder)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "comptoir"


class Context:
    """What a command needs, opened lazily: config, store, service, operator session."""

    def __init__(self, args):
        self.args = args
        self.folder = data_dir(args)
        self._service = None
        from kiosk.config import load_config
        self.config = load_config(self.folder / CONFIG_NAME)
        self.lang = self.config.terminal.language

    @property
    def service(self):
        if self._service is None:
            from kiosk.counter import CounterService
            from kiosk.store import open_store
            store = open_store(self.folder / DB_NAME)
            self._service = CounterService(store, self.config)
        return self._service

    def session(self):
        name = self.args.operator or os.environ.get("COMPTOIR_OPERATOR")
        if not name:
            raise UsageError(detail="which operator? give --operator NAME (or set COMPTOIR_OPERATOR)")
        return self.service.login(name, read_pin("PIN"))

    def money(self, cents: int) -> str:
        from sync.common.money import format_cents
        return format_cents(cents, self.lang)

    def out(self, text: str = "", flush: bool = False) -> None:
        print(text, flush=flush)


def read_pin(prompt: str, env: str = "COMPTOIR_PIN") -> str:
    pin = os.environ.get(env)
    if pin is not None:
        return pin
    if not sys.stdin.isatty():
        raise UsageError(detail=f"no PIN: set {env} or run from a terminal to be asked")
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
    """``SOUP`` / ``SOUP=2`` / ``SOUPx2`` / ``2xSOUP`` → (code, quantity)."""
    cart = []
    for item in items:
        code, qty = item, "1"
        if "=" in item:
            code, qty = item.split("=", 1)
        elif "x" in item.lower():
            left, _, right = item.rpartition("x") if item[-1:].isdigit() else item.partition("x")
            if right.isdigit():
                code, qty = left, right
            elif left.isdigit():
                code, qty = right, left
        if not qty.isdigit() or not code:
            raise UsageError(detail=f"cannot read {item!r}: write CODE, CODE=2 or CODEx2")
        cart.append((code.strip().upper(), int(qty)))
    return cart


def parse_day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(detail=f"{name}: expected a date like 2026-11-25, got {text!r}") from None


# -- commands -------------------------------------------------------------------------------
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
    ctx.out(f"{'Caisse déjà initialisée' if existed else 'Caisse initialisée'} : {folder}")
    ctx.out(f"  terminal : {store.device_id}  (configuration : {config_path})")


def cmd_import(ctx: Context) -> None:
    from kiosk import importer
    data = importer.load_file(ctx.args.file)
    counts = importer.apply(ctx.service.store, data, ctx.service.clock.now(), str(ctx.args.file))
    ctx.out("Import terminé : " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "rien"))


def cmd_demo_data(ctx: Context) -> None:
    from sync.common.clock import SystemClock, business_day
    from kiosk.demo.school import generate
    today = business_day(SystemClock().now(), ctx.config.tz)     # reservations are for today
    text = json.dumps(generate(ctx.args.students, day=today, seed=ctx.args.seed),
                      ensure_ascii=False, indent=1)
    if ctx.args.output:
        write_atomically(Path(ctx.args.output), text)
        ctx.out(f"École de démonstration ({ctx.args.students} élèves) écrite dans {ctx.args.output}")
    else:
        ctx.out(text)


def cmd_operator(ctx: Context) -> None:
    from kiosk import operators
    store = ctx.service.store
    if ctx.args.action == "add":
        first = not operators.list_operators(store)
        by = None if first else ctx.session()
        pin = read_pin(f"PIN for {ctx.args.name}", env="COMPTOIR_NEW_PIN")
        if "COMPTOIR_NEW_PIN" not in os.environ and read_pin("Again", "COMPTOIR_NEW_PIN") != pin:
            raise UsageError(detail="the two PINs differ")
        operators.add_operator(store, ctx.args.name, ctx.args.role, pin, by=by)
        ctx.out(f"Opérateur ajouté : {ctx.args.name} ({ctx.args.role})")
    elif ctx.args.action == "unlock":
        ctx.service.unlock_operator(ctx.session(), ctx.args.name)
        ctx.out(f"Opérateur débloqué : {ctx.args.name}")
    else:
        for op in operators.list_operators(store):
            state = "actif" if op["active"] else "inactif"
            ctx.out(f"{op['name']:<20} {op['role']:<11} {state}")


def _show_sale(ctx: Context, result, title: str) -> None:
    s = result.student
    ctx.out(f"{title} n°{result.entry.seq} — {s.display_name} ({s.class_name})")
    for line in result.lines:
        ctx.out(f"  {line['qty']:>3} × {line['name']:<28} {ctx.money(line['total_cents']):>10}")
    ctx.out(f"  {'Total':<34} {ctx.money(result.total_cents):>10}")
    for w in result.wallets:
        ctx.out(f"  Nouveau solde « {w.name} » : {ctx.money(w.balance_cents)}")


def cmd_sell(ctx: Context) -> None:
    session = ctx.session()
    result = ctx.service.sell(session, ctx.args.badge, parse_items(ctx.args.items),
                              confirm=ctx.args.confirm)
    _show_sale(ctx, result, "Vente")


def cmd_copies(ctx: Context) -> None:
    session = ctx.session()
    result = ctx.service.photocopies(session, ctx.args.badge, bw=ctx.args.bw,
                                     colour=ctx.args.colour, confirm=ctx.args.confirm)
    _show_sale(ctx, result, "Photocopies")


def cmd_balance(ctx: Context) -> None:
    who = ctx.service.identify(ctx.args.badge)
    s = who.student
    ctx.out(f"{s.display_name} ({s.class_name})")
    for w in who.wallets:
        ctx.out(f"  {w.name} : {ctx.money(w.balance_cents)}   (virement : {w.structured_communication})")
    if s.flags:
        ctx.out(f"  Allergies/régime : {', '.join(s.flags)}")
    for r in who.reservations:
        ctx.out(f"  Réservé aujourd'hui : {r['quantity']} × {r['name']} ({r['status']})")
    if who.stale:
        ctx.out("  (données anciennes : plafond hors ligne appliqué)")


def cmd_pickup(ctx: Context) -> None:
    session = ctx.session()
    result = ctx.service.pickup(session, ctx.args.badge, ctx.args.reservation or None)
    ctx.out(f"Retrait n°{result.entry.seq} — {result.student.display_name} ({result.student.class_name})")
    for item in result.delivered:
        ctx.out(f"  {item['qty']} × {item['name']}")


def cmd_void(ctx: Context) -> None:
    session = ctx.session()
    result = ctx.service.void(session, ctx.args.seq, ctx.args.reason)
    ctx.out(f"Annulation n°{result.entry.seq} de la vente n°{result.voided_seq} :"
            f" {ctx.money(result.credited_cents)} recrédités")


def cmd_report(ctx: Context) -> None:
    session = ctx.session()
    service = ctx.service
    report = service.report_x(session) if ctx.args.which == "x" else service.close_day(session)
    title = "Rapport X (totaux en cours)" if report.kind == "X" else f"Rapport Z — clôture n°{report.close_seq}"
    ctx.out(f"{title} — {report.day} — {service.config.terminal.name}")
    ctx.out(f"  Opérations n°{report.first_seq or '-'} à n°{report.last_seq or '-'} ({report.entries})")
    for code, a in sorted(report.articles.items()):
        ctx.out(f"  {a['qty']:>4} × {a['name']:<28} {ctx.money(a['total_cents']):>10}")
    for code, p in sorted(report.pickups.items()):
        ctx.out(f"  {p['qty']:>4} × {p['name']:<28} {'retirés':>10}")
    ctx.out(f"  Annulations : {report.voids['count']} ({ctx.money(report.voids['total_cents'])})")
    for op in report.operators.values():
        ctx.out(f"  {op['name']:<20} {op['sales']:>4} ventes  {ctx.money(op['total_cents']):>10}")
    ctx.out(f"  Total brut {ctx.money(report.gross_cents)} — net {ctx.money(report.net_cents)}")
    if report.last_hash:
        ctx.out(f"  Dernière empreinte : {report.last_hash}")
    if report.kind == "X" and ctx.args.print:
        from kiosk import print_jobs
        print_jobs.enqueue_x_report(service.store, report, service.clock.now())
        ctx.out("  Rapport X mis en file d'impression.")
    elif report.kind == "Z":
        ctx.out("  Rapport Z mis en file d'impression.")


EXPORT_FIELDS = ("seq", "uuid", "ts", "day", "kind", "device", "operator", "student",
                 "amount_cents", "ref_seq", "articles", "hash")


def cmd_journal(ctx: Context) -> None:
    from kiosk import journal
    start, end = parse_day(ctx.args.from_, "--from"), parse_day(ctx.args.to, "--to")
    where, params = ["1"], []
    if start:
        where.append("day >= ?"), params.append(start.isoformat())
    if end:
        where.append("day <= ?"), params.append(end.isoformat())
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
        print(f"{len(entries)} opérations exportées dans {ctx.args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_check(ctx: Context) -> None:
    from kiosk.store import open_store
    store = open_store(ctx.folder / DB_NAME, check=False)
    total = store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    show = sys.stderr.isatty() or total > 200_000

    def progress(seq):
        if show:
            print(f"\r  vérification du journal : {seq}/{total}", end="", file=sys.stderr)

    health = store.check_integrity(full=True, progress=progress)
    if show:
        print(file=sys.stderr)
    health.raise_if_bad()
    ctx.out(f"Caisse intègre : base de données OK, journal de {total} opérations vérifié.")


def cmd_status(ctx: Context) -> None:
    from kiosk import journal
    service = ctx.service
    store, conn = service.store, service.store.conn
    last_seq, last_hash = journal.last_link(conn)
    pushed = int(store.sync_state("pushed_seq", "0"))
    closed = service.day_closed()
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("students", "badges", "wallets", "articles", "operators")}
    health = store.health
    ctx.out(f"Terminal      : {service.config.terminal.name} ({service.config.terminal.profile})"
            f" — {store.device_id}")
    ctx.out(f"Données       : {ctx.folder}  (schéma v{store.schema_version})")
    ctx.out(f"Intégrité     : {'OK' if health.ok else 'ERREUR — ' + str(StoreError(health.code, detail=health.detail, seq=health.bad_seq))}")
    ctx.out(f"Journal       : {last_seq} opérations, dernière empreinte {last_hash[:16]}…")
    ctx.out(f"Journée       : {service.today()} {'clôturée (Z)' if closed else 'ouverte'}")
    ctx.out(f"Synchro       : {last_seq - pushed} opération(s) en attente d'envoi ; dernière"
            f" réception {store.sync_state('last_pull_at', 'jamais')}"
            f"{' (données anciennes)' if service.is_stale() else ''}")
    if store.sync_state("status"):
        error = store.sync_state("last_error", "")
        ctx.out(f"Plateforme    : {store.sync_state('status')} ; dernier succès"
                f" {store.sync_state('last_success_at', 'jamais')}"
                + (f" ; dernière erreur {store.sync_state('last_error_at')} : {error}" if error else ""))
    from kiosk import print_jobs
    with store.read() as conn:
        printing, head = print_jobs.counts(conn), print_jobs.next_pending(conn)
    ctx.out(f"Impressions   : {printing['pending']} en attente, {printing['failed']} en échec"
            + (f" ; {head['last_error']}" if head and head["last_error"] else ""))
    ctx.out("Contenu       : " + ", ".join(f"{n} {t}" for t, n in counts.items()))


def cmd_ui(ctx: Context) -> None:
    if ctx.args.scenario:
        from kiosk.demo.scenario import run_scenario
        code = run_scenario(ctx.folder, Path(ctx.args.scenario))
        if code:
            raise SystemExit(code)
        return
    from kiosk.demo.launch import run
    if ctx.args.demo:
        from kiosk.demo.folder import make_demo_folder
        profile = ctx.args.profile or "canteen"
        if make_demo_folder(ctx.folder, profile):
            print(f"École de démonstration créée dans {ctx.folder} (caisse {profile})", file=sys.stderr)
    run(ctx.folder, demo=ctx.args.demo, self_service=ctx.args.self_service,
        fullscreen=ctx.args.fullscreen, badge_panel=ctx.args.badge_panel)


def cmd_enrol(ctx: Context) -> None:
    from sync.agent import enrol
    creds = enrol(ctx.service.store, ctx.folder, ctx.args.url, ctx.args.code,
                  allow_http=ctx.config.sync.allow_http, ca_file=ctx.config.sync.ca_file)
    ctx.out(f"Caisse inscrite : « {creds.device_name} » — {creds.school_name} ({creds.url})")


def cmd_sync(ctx: Context) -> None:
    import logging
    import signal
    import threading
    from sync.agent import Agent, load_credentials
    from sync.client import Client
    creds = load_credentials(ctx.folder)
    client = Client(creds.url, creds.token, allow_http=ctx.config.sync.allow_http,
                    ca_file=ctx.config.sync.ca_file)
    agent = Agent(ctx.service.store, client, ctx.config)
    try:
        if not ctx.args.daemon:
            done = agent.run_once(full=ctx.args.full)
            ctx.out(f"Synchronisé : {done['pushed']} opération(s) envoyée(s),"
                    f" {done['pulled']} fiche(s) reçue(s), {done['waiting']} en attente.")
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        ctx.out(f"Synchronisation en continu avec {creds.url} (Ctrl+C pour arrêter)")
        try:
            agent.run_forever(stop)
        except KeyboardInterrupt:
            pass
    finally:
        client.close()


# -- printing -------------------------------------------------------------------------------
def _printer(ctx: Context):
    """The configured printer (None for backend "none"); bad settings are a ConfigError."""
    from kiosk.hardware import open_printer
    from sync.common.errors import ConfigError
    try:
        return open_printer(ctx.config.printer, ctx.folder)
    except ValueError as e:
        raise ConfigError(detail=f"[printer]: {e}") from None


def _worker(ctx: Context, printer):
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
        ctx.out(f"{what} : en file d'impression. " + worker.status().message)
        return
    status = worker.status()
    if status.state != "ok":
        raise ComptoirError("usage", detail=f"{what} en attente : {status.message}")
    ctx.out(f"{what} : imprimé.")


def cmd_printer(ctx: Context) -> None:
    from kiosk import print_jobs
    action = ctx.args.action
    if action == "test":
        _printer_test(ctx)
    elif action == "status":
        printer = _printer(ctx)
        ctx.out("Imprimante    : " + ("aucune" if printer is None else
                                      f"{printer.name} ({printer.where}), {printer.columns} colonnes,"
                                      f" profil {printer.profile}, page de codes {printer.codepage}"))
        if printer is not None:
            ctx.out("État          : " + printer.status().reason(ctx.lang))
        with ctx.service.store.read() as conn:
            counts = print_jobs.counts(conn)
            waiting = print_jobs.next_pending(conn)
        ctx.out(f"File          : {counts['pending']} en attente, {counts['failed']} en échec,"
                f" {counts['printed']} imprimés")
        if waiting and waiting["last_error"]:
            ctx.out(f"Dernière erreur ({waiting['attempts']} essais) : {waiting['last_error']}")
    elif action == "run":
        _printer_run(ctx)
    elif action == "slip":
        service = ctx.service
        if not ctx.args.badge:
            raise UsageError(detail="printer slip needs --badge UID")
        wallet = service.identify(ctx.args.badge).wallets[0]
        amount = ctx.config.school.topup_amount_cents if ctx.args.amount is None else ctx.args.amount
        print_jobs.enqueue_low_balance(service.store, wallet.id, service.clock.now(), amount)
        _print_waiting(ctx, "Fiche de rechargement")
    elif action == "picklist":
        service = ctx.service
        day = parse_day(ctx.args.day, "--day")
        print_jobs.enqueue_list(service.store, day.isoformat() if day else service.today(),
                                service.clock.now())
        _print_waiting(ctx, "Liste des sandwichs")


def _printer_test(ctx: Context) -> None:
    from kiosk.hardware import PrinterUnavailable
    from kiosk.receipts import test_page
    from kiosk import payments
    printer = _printer(ctx)
    if printer is None:
        raise ComptoirError("printer_none")
    school = ctx.config.school
    qr = "Comptoir : test du code QR"
    if school.iban and school.name:      # a 1 cent transfer to the school, never sent by itself
        qr = payments.epc_payload(school.name, school.iban, 1, payments.structured_communication(1),
                                  school.bic or None)
    doc = test_page(printer.columns, lang=ctx.lang, epc_payload=qr, description=[
        f"{ctx.config.terminal.name} - {printer.name} ({printer.where})",
        f"Profil {printer.profile}, page de codes {printer.codepage}",
        f"Configuré : {printer.columns} colonnes"])
    try:
        status = printer.print(doc, name="test")
    except PrinterUnavailable as e:
        raise ComptoirError(e.status.code, **e.status.params) from None
    ctx.out(f"Page de test imprimée ({printer.name}, {printer.where}). {status.reason(ctx.lang)}")


def _printer_run(ctx: Context) -> None:
    import logging
    import signal
    import threading
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
        ctx.out(f"{printed} impression(s) ; {status.waiting} en attente. {status.message}")
        if status.state != "ok":
            raise ComptoirError("usage", detail=status.message)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    worker._on_status = lambda st: print(f"{st.message} ({st.waiting} en attente)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker.start()
    except AlreadyPrinting:
        raise ComptoirError("printer_busy") from None
    ctx.out(f"Impression en continu sur {printer.name} ({printer.where}) (Ctrl+C pour arrêter)")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()


def cmd_reprint(ctx: Context) -> None:
    from kiosk import print_jobs
    service = ctx.service
    _, seq = print_jobs.reprint_last(service.store, service.clock.now())
    _print_waiting(ctx, f"Ticket n°{seq}")


_POLL_SECONDS = 0.2     # how soon ``reader test`` notices Ctrl+C


def cmd_reader(ctx: Context) -> None:
    """``reader test``: the installer's check of the configured badge reader, on the local
    screen. It shows the UIDs on purpose (that is its use); it logs nothing."""
    import queue
    import time
    from drivers.badge import BadgeEvent, ReaderState
    from kiosk.hardware import open_reader
    args, section = ctx.args, ctx.config.reader
    if args.count is not None and args.count < 1:
        raise UsageError(detail="--count must be at least 1")
    if args.seconds is not None and args.seconds <= 0:
        raise UsageError(detail="--seconds must be more than 0")
    reader = open_reader(section)
    news: queue.Queue = queue.Queue()     # the reader's thread hands over; printing happens here
    chosen = f" (lecteur « {section.pcsc_reader} »)" if section.backend == "pcsc" and section.pcsc_reader else ""
    ctx.out(f"Test du lecteur de badges : {section.backend}{chosen}. Présentez des badges ;"
            " Ctrl+C pour arrêter.", flush=True)
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    badges, ever_connected, last_status = 0, False, reader.status
    # Ctrl+C only raises a flag: a KeyboardInterrupt thrown into queue.get() can leave the
    # queue's lock released twice ("release unlocked lock") and end in a traceback.
    stop: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    reader.start(lambda event: news.put(event), lambda status: news.put(status))
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
                ctx.out(f"[{stamp}] badge {badges} : {item.raw or item.uid}  →  {item.uid}"
                        f"   ({item.reader})", flush=True)
            else:
                last_status = item
                ever_connected |= item.state is ReaderState.CONNECTED
                label = {ReaderState.CONNECTED: "lecteur connecté",
                         ReaderState.DISCONNECTED: "lecteur déconnecté",
                         ReaderState.ERROR: "lecteur en erreur"}[item.state]
                detail = f" : {item.reason}" if item.reason else f" : {reader.name}"
                ctx.out(f"[{stamp}] {label}{detail}", flush=True)
    finally:
        signal.signal(signal.SIGINT, previous)
        reader.stop()
    ctx.out(f"{badges} badge(s) lu(s).")
    if not ever_connected:
        raise ReaderError(detail=last_status.reason or "never connected")


# -- argument parsing -----------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="comptoir", description="Comptoir school counter terminal.")
    p.add_argument("--data", help="data folder (default: $COMPTOIR_DATA or ~/.local/share/comptoir)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_, operator=False):
        c = sub.add_parser(name, help=help_, description=help_)
        c.set_defaults(func=func)
        if operator:
            c.add_argument("--operator", help="operator name (PIN from $COMPTOIR_PIN or asked)")
        return c

    def confirmable(c):
        c.add_argument("--confirm", action="append", default=[], choices=("allergen", "double_tap"),
                       help="the operator confirms this warning")

    c = command("init", cmd_init, "create the data folder, its configuration and the store")
    c.add_argument("--name", default="Caisse", help="terminal name shown on receipts (e.g. 'Cantine 1')")
    c.add_argument("--profile", default="canteen", choices=("canteen", "reception"))
    c = command("import", cmd_import, "load students, badges, wallets, articles, operators, reservations")
    c.add_argument("file", type=Path)
    c = command("demo-data", cmd_demo_data, "write the demo school as an import file")
    c.add_argument("--students", type=int, default=800)
    c.add_argument("--seed", type=int, default=2026)
    c.add_argument("--output", "-o")
    c = command("operator", cmd_operator, "add, unlock or list operators", operator=True)
    c.add_argument("action", choices=("add", "unlock", "list"))
    c.add_argument("name", nargs="?")
    c.add_argument("--role", choices=("seller", "supervisor", "admin"), default="seller")
    c = command("sell", cmd_sell, "sell articles to a badge: ITEM is CODE, CODE=2 or CODEx2",
                operator=True)
    c.add_argument("--badge", required=True)
    c.add_argument("items", nargs="+", metavar="ITEM")
    confirmable(c)
    c = command("copies", cmd_copies, "photocopies: black-and-white and colour pages", operator=True)
    c.add_argument("--badge", required=True)
    c.add_argument("--bw", type=int, default=0)
    c.add_argument("--colour", "--color", type=int, default=0)
    confirmable(c)
    c = command("balance", cmd_balance, "who holds this badge, balances, today's reservations")
    c.add_argument("--badge", required=True)
    c = command("pickup", cmd_pickup, "deliver today's reserved sandwiches", operator=True)
    c.add_argument("--badge", required=True)
    c.add_argument("--reservation", action="append", help="only this reservation id (repeatable)")
    c = command("void", cmd_void, "void a sale of today (supervisor)", operator=True)
    c.add_argument("seq", type=int)
    c.add_argument("--reason", default="")
    c = command("report", cmd_report, "x: running totals; z: close the day (and print it)",
                operator=True)
    c.add_argument("which", choices=("x", "z"))
    c.add_argument("--print", action="store_true", help="x: print it too (z is always printed)")
    c = command("journal", cmd_journal, "export the journal")
    c.add_argument("action", choices=("export",))
    c.add_argument("--format", choices=("csv", "json"), default="csv")
    c.add_argument("--from", dest="from_", metavar="DAY")
    c.add_argument("--to", metavar="DAY")
    c.add_argument("--output", "-o")
    c = command("enrol", cmd_enrol, "enrol this terminal with the platform (one-time code)")
    c.add_argument("url", help="the platform's address, e.g. https://comptoir.school.be")
    c.add_argument("code", help="the one-time code an admin made ('comptoir central enrol-code')")
    c = command("sync", cmd_sync, "push the journal and pull the platform's changes")
    mode = c.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one round, then exit (the default)")
    mode.add_argument("--daemon", action="store_true", help="keep syncing until stopped")
    c.add_argument("--full", action="store_true", help="full resync and consistency check")
    c = command("ui", cmd_ui, "the touch screen (Kivy)")
    c.add_argument("--data", default=argparse.SUPPRESS, help="data folder (as before the command)")
    c.add_argument("--demo", action="store_true",
                   help="demo school in the data folder if empty, simulated reader, badges to tap on screen")
    c.add_argument("--profile", choices=("canteen", "reception"),
                   help="with --demo, for a new demo folder (default canteen)")
    c.add_argument("--badge-panel", action="store_true",
                   help="the demo badges on screen (simulated reader) on this folder, whatever it holds")
    c.add_argument("--scenario", metavar="OUT",
                   help="walk the scripted demo on this folder under a virtual X screen;"
                        " screenshots and receipts into OUT")
    c.add_argument("--self-service", action="store_true",
                   help="balance check only, for students (no operator)")
    c.add_argument("--fullscreen", action="store_true")
    sub.add_parser("central", help="the reference central server (see 'comptoir central --help')",
                   add_help=False)
    c = command("printer", cmd_printer, "test: print a test page; status; run: print the queue"
                " until stopped; slip: a top-up slip for a badge; picklist: the kitchen's list")
    c.add_argument("action", choices=("test", "status", "run", "slip", "picklist"))
    c.add_argument("--once", action="store_true", help="run: print what is waiting, then exit")
    c.add_argument("--badge", help="slip: whose wallet")
    c.add_argument("--amount", type=int, metavar="CENTS",
                   help="slip: suggested top-up in cents (default [school] topup_amount_cents)")
    c.add_argument("--day", metavar="DAY", help="picklist: the day (default today)")
    c = command("reprint", cmd_reprint, "print the last receipt again")
    c.add_argument("which", choices=("last",))
    c = command("reader", cmd_reader, "test: show the badge reader's state and each badge tapped")
    c.add_argument("action", choices=("test",))
    c.add_argument("--count", type=int, help="stop after this many badges")
    c.add_argument("--seconds", type=float, help="stop after this many seconds")
    command("check", cmd_check, "verify the database and the whole journal chain")
    command("status", cmd_status, "terminal state: integrity, journal, sync, printing")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["central"]:          # the platform side has its own commands
        from sync.server.cli import main as central_main
        return central_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "operator" and args.action in ("add", "unlock") and not args.name:
        print("comptoir: operator add/unlock needs a NAME", file=sys.stderr)
        return 2
    lang = "fr"
    try:
        ctx = Context(args)
        lang = ctx.lang
        args.func(ctx)
        return 0
    except UsageError as e:
        print(f"comptoir: {e.message(lang)}", file=sys.stderr)
        return 2
    except ComptoirError as e:
        print(f"comptoir: {e.message(lang)}", file=sys.stderr)
        return next((code for cls, code in EXIT.items() if isinstance(e, cls)), 1)
    except KeyboardInterrupt:
        print("comptoir: interrompu, rien n'a été enregistré à moitié", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
