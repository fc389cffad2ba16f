"""``comptoir central ...``: set up and run the reference central server.

``--db`` is a SQLite file (``central.db``) or a PostgreSQL database
(``postgresql://user@host/dbname``: the database must exist, ``init`` makes its tables; a
password comes from ``~/.pgpass`` or ``PGPASSWORD``, as for ``psql``). Without ``--db``, the
environment variable ``COMPTOIR_CENTRAL_DB`` says which.

    init       --db PATH --school NAME [--school-id ID]   make the database (or add a school)
    demo-data  --db PATH [--students 800] [--school-id ID] load the demo school
    enrol-code --db PATH --name NAME [--school-id ID]      print a one-time enrolment code
    revoke     --db PATH --device ID                       cut a terminal off
    serve      --db PATH [--host 127.0.0.1] [--port 8765]  run the HTTP server
    admin-token --db PATH                                  print a new admin (reports) token
    sales      --db PATH [--student ID] [--wallet ID] [--device ID|NAME] [--article TEXT]
               [--period today|yesterday|last-7-days|last-30-days|this-month|last-month]
               [--from DAY --to DAY] [--school-id ID]     the sales journal, as a table
    cutoff     --db PATH [--time HH:MM]                    show or set the reservation cutoff
    timezone   --db PATH [--zone AREA/CITY]                show or set the school's time zone
    reserve    --db PATH --student ID --day DAY --article CODE [--quantity N]
                                                           reserve and pay (debit at once)
    cancel-reservation --db PATH --id ID                   cancel before the cutoff: refund
    topup      --db PATH --wallet ID (--cents N | --euros 12,50) [--label TEXT]
    import-bank FILE.csv --db PATH                         credit a bank statement's transfers
    import-roster FILE --db PATH                           load/refresh students, badges, wallets
    wallet     --db PATH --wallet ID                       a wallet's balance and history
    migrate    --db PATH                                   upgrade the schema (every command
                                                           does it too), say the revisions
    devices    --db PATH                                   the terminals: version, last seen
Every command takes --school-id ID when the database holds several schools.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, datetime

from sync.common.clock import local_time
from sync.server import schools
from sync.server.database import sha256
from sync.server.sales_journal import PERIODS
from sync.server.storage import CentralError, CentralStore

PERIOD_LABELS = {"today": "aujourd'hui", "yesterday": "hier", "last_7_days": "7 derniers jours",
                 "last_30_days": "30 derniers jours", "this_month": "ce mois-ci",
                 "last_month": "mois dernier", "custom": "période personnalisée"}
DB_ENV = "COMPTOIR_CENTRAL_DB"
KIND_LABELS = {"sale": "vente", "photocopy": "photocopie", "void": "annulation",
               "pickup": "retrait", "reservation": "réservation", "refund": "remboursement"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=os.environ.get(DB_ENV) or None,
                        help="the central database: a SQLite file or a postgresql:// URL"
                             f" (default: ${DB_ENV})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comptoir central",
                                     description="The reference central server.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create the database, or add a school to it")
    _db_option(p)
    p.add_argument("--school", required=True, help="the school's name")
    p.add_argument("--school-id", help="its id (default: made from the name)")
    p = sub.add_parser("demo-data", help="load the demo school (categories ... reservations)")
    _db_option(p)
    p.add_argument("--students", type=int, default=800)
    p.add_argument("--school-id")
    p = sub.add_parser("enrol-code", help="print a one-time code to enrol a terminal")
    _db_option(p)
    p.add_argument("--name", required=True, help='the terminal\'s name, e.g. "Cantine 1"')
    p.add_argument("--school-id")
    p = sub.add_parser("revoke", help="revoke a terminal's token")
    _db_option(p)
    p.add_argument("--device", required=True)
    p = sub.add_parser("serve", help="run the HTTP server")
    _db_option(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--tls-cert", metavar="PEM", help="serve https with this certificate (chain)")
    p.add_argument("--tls-key", metavar="PEM", help="and this private key")
    p = sub.add_parser("admin-token", help="print a new admin token (reports over HTTP);"
                                           " only its hash is kept")
    _db_option(p)
    p.add_argument("--list", action="store_true", help="list the admin tokens' ids instead")
    p.add_argument("--revoke", metavar="ID", help="revoke the admin token with this id instead")
    p = sub.add_parser("sales", help="the sales journal (journal des ventes), newest first")
    _db_option(p)
    p.add_argument("--student", help="a student's id")
    p.add_argument("--wallet", help="a wallet's id")
    p.add_argument("--device", help="a terminal's id or name")
    p.add_argument("--article", help="text in the article's code or name")
    p.add_argument("--period", choices=[n.replace("_", "-") for n in PERIODS if n != "custom"],
                   help="a preset (default: last-30-days; --from/--to: a custom period)")
    p.add_argument("--from", dest="from_", type=_day, metavar="DAY", help="first day, YYYY-MM-DD")
    p.add_argument("--to", type=_day, metavar="DAY", help="last day, YYYY-MM-DD (included)")
    p.add_argument("--school-id")
    p = sub.add_parser("migrate", help="bring the database's schema to this version's (every"
                                       " command does it first); print the revision before"
                                       " and after")
    _db_option(p)
    _ledger_parsers(sub)
    return parser


def _ledger_parsers(sub) -> None:
    p = sub.add_parser("cutoff", help="show or set the school's reservation cutoff")
    p.add_argument("--db", required=True)
    p.add_argument("--time", help="HH:MM, e.g. 08:15 (default 08:30)")
    p.add_argument("--school-id")
    p = sub.add_parser("timezone", help="show or set the school's time zone (its days, its"
                                        " local times)")
    p.add_argument("--db", required=True)
    p.add_argument("--zone", help="an IANA time zone, e.g. Europe/Brussels (the default)")
    p.add_argument("--school-id")
    p = sub.add_parser("reserve", help="reserve an article for a student's day; paid at once")
    p.add_argument("--db", required=True)
    p.add_argument("--student", required=True)
    p.add_argument("--day", required=True, type=_day, help="YYYY-MM-DD")
    p.add_argument("--article", required=True, help="a reservable article's code")
    p.add_argument("--quantity", type=int, default=1)
    p.add_argument("--school-id")
    p = sub.add_parser("cancel-reservation", help="cancel before the cutoff (refunded)")
    p.add_argument("--db", required=True)
    p.add_argument("--id", required=True, help="the reservation's id")
    p.add_argument("--school-id")
    p = sub.add_parser("topup", help="credit a wallet")
    p.add_argument("--db", required=True)
    p.add_argument("--wallet", required=True)
    amount = p.add_mutually_exclusive_group(required=True)
    amount.add_argument("--cents", type=int)
    amount.add_argument("--euros", help="e.g. 12,50")
    p.add_argument("--label", help='what it is, e.g. "espèces au secrétariat"')
    p.add_argument("--school-id")
    p = sub.add_parser("import-bank", help="credit the transfers of a bank statement (CSV:"
                                           " date, amount, communication[, reference])")
    p.add_argument("file")
    p.add_argument("--db", required=True)
    p.add_argument("--school-id")
    p = sub.add_parser("import-roster", help="load or refresh students, classes, badges and"
                                             " wallets (CSV or JSON; balances untouched)")
    p.add_argument("file")
    p.add_argument("--db", required=True)
    p.add_argument("--school-id")
    p = sub.add_parser("wallet", help="a wallet's balance and history")
    p.add_argument("--db", required=True)
    p.add_argument("--wallet", required=True)
    p.add_argument("--school-id")
    p = sub.add_parser("devices", help="the school's terminals: version, last seen, revoked")
    _db_option(p)
    p.add_argument("--school-id")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except CentralError as e:
        print(f"comptoir central {args.command}: {e.message}", file=sys.stderr)
        return 1


def _run(args) -> int:
    if not args.db:
        raise CentralError("invalid", f"say which database with --db (a file or a"
                                      f" postgresql:// URL) or {DB_ENV}")
    if args.command == "demo-data" and args.students < 1:
        raise CentralError("invalid", "--students must be at least 1")
    with CentralStore(args.db, create=args.command == "init") as store:
        done = store.schema
        if done.changed and (done.before or done.unversioned) and args.command != "migrate":
            from sync.server.migrations import describe
            print(f"{store.label}: schema upgraded from revision"
                  f" {describe(done.before, done.unversioned)} to {done.after}", file=sys.stderr)
        _command(args, store)
    return 0


def _command(args, store: CentralStore) -> None:
    if args.command == "init":
        school_id = store.add_school(args.school, args.school_id)
        print(f"school {school_id!r} ready in {store.label}")
    elif args.command == "migrate":
        from sync.server.migrations import describe
        done = store.schema
        print(f"{store.label}: schema revision {describe(done.before, done.unversioned)}"
              + (f" -> {describe(done.after)}" if done.changed else ": up to date"))
    elif args.command == "demo-data":
        from kiosk.demo.school import generate
        from sync.models import DataSet
        school_id = store.school_id(args.school_id)
        day = schools.today(store, school_id)
        counts = store.load(school_id, DataSet.model_validate(generate(args.students, day=day)))
        print(", ".join(f"{n} {name}" for name, n in counts.items()) or "nothing changed")
    elif args.command == "enrol-code":
        code = store.create_enrol_code(store.school_id(args.school_id), args.name)
        print(code)
    elif args.command == "revoke":
        store.revoke(args.device)
        print(f"device {args.device} revoked")
    elif args.command == "serve":
        import uvicorn
        from sync.server.app import create_app
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        if bool(args.tls_cert) != bool(args.tls_key):
            raise SystemExit("comptoir central serve: --tls-cert and --tls-key go together")
        store.new_epoch()       # see CentralStore.new_epoch: restored backups stay safe
        uvicorn.run(create_app(store), host=args.host, port=args.port,
                    ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)
    elif args.command == "admin-token":
        if args.revoke:
            store.revoke_admin_token(args.revoke)
            print(f"admin token {args.revoke} revoked")
        elif args.list:
            for t in store.admin_tokens():
                print(f"{t['id']}  made {t['created_at']}")
        else:
            token = store.create_admin_token()
            print(token)
            print(f"(shown once: only its hash is kept; its id, to revoke it: {sha256(token)[:12]})",
                  file=sys.stderr)
    elif args.command == "devices":
        school_id = store.school_id(args.school_id)
        print(_devices_table(store.device_list(school_id), schools.timezone_of(store, school_id)))
    elif args.command == "sales":
        journal = store.sales_journal(
            store.school_id(args.school_id), student_id=args.student, wallet_id=args.wallet,
            device_id=args.device, article_text=args.article, period=args.period,
            first_day=args.from_, last_day=args.to)
        print(_sales_table(journal))
    else:
        _run_ledger(args, store)


def _read(path: str) -> str:
    from sync.server.bank_statement import read_text
    try:
        with open(path, "rb") as f:
            return read_text(f.read())
    except OSError as e:
        raise CentralError("invalid", f"{path}: {e.strerror}") from None


def _run_ledger(args, store: CentralStore) -> None:
    from sync.common.money import format_cents, parse_euros
    from sync.server import ledger, roster
    school_id = store.school_id(args.school_id)
    if args.command == "cutoff":
        s = (ledger.set_settings(store, school_id, cutoff=args.time) if args.time
             else ledger.settings(store, school_id))
        print(f"reservations close at {s.cutoff:%H:%M} ({s.timezone.key}) on their day")
    elif args.command == "timezone":
        s = (ledger.set_settings(store, school_id, timezone=args.zone) if args.zone
             else ledger.settings(store, school_id))
        print(f"time zone: {s.timezone.key}")
    elif args.command == "reserve":
        done = ledger.create_reservation(store, school_id, args.student, args.day, args.article,
                                         args.quantity)
        print(f"reservation {done['reservation']['id']}: {format_cents(-done['amount_cents'])}"
              f" paid from wallet {done['wallet_id']}, balance"
              f" {format_cents(done['balance_cents'])}")
    elif args.command == "cancel-reservation":
        done = ledger.cancel_reservation(store, school_id, args.id)
        print(f"reservation {args.id} cancelled: {format_cents(done['refunded_cents'])} refunded"
              + (f" to wallet {done['wallet_id']}, balance {format_cents(done['balance_cents'])}"
                 if done["wallet_id"] else ""))
    elif args.command == "topup":
        if args.euros is not None:
            try:
                cents = parse_euros(args.euros)
            except ValueError:
                raise CentralError("invalid", f"--euros {args.euros!r}: not an amount in euros"
                                              " (e.g. 12,50)") from None
        else:
            cents = args.cents
        done = ledger.topup(store, school_id, args.wallet, cents, args.label)
        print(f"wallet {args.wallet}: {format_cents(cents)} credited, balance"
              f" {format_cents(done['balance_cents'])}")
    elif args.command == "import-bank":
        print(_bank_summary(ledger.import_bank(store, school_id, _read(args.file))))
    elif args.command == "import-roster":
        done = roster.import_roster(store, school_id, _read(args.file))
        print(f"{done['students']} students in the roster: {done['students_added']} added,"
              f" {done['students_updated']} updated, {done['students_unchanged']} unchanged;"
              f" {done['not_in_roster']} others left as they are; wallets:"
              f" {done['wallets_added']} added, {done['wallets_updated']} updated; badges:"
              f" {done['badges_changed']} added or moved, {done['badges_blocked']} blocked")
    elif args.command == "wallet":
        history = ledger.wallet_history(store, school_id, args.wallet)
        tz = schools.timezone_of(store, school_id)
        for m in history["movements"]:
            where = (f"{m['device_name']} #{m['seq']}" if m["device_name"]
                     else m["reservation_id"] or m["label"] or "")
            print(f"{_when(local_time(m['ts'], tz))}  {m['kind']:<11}"
                  f" {format_cents(m['amount_cents']):>12}  {where}")
        print(f"balance: {format_cents(history['balance_cents'])}")


def _bank_summary(done: dict) -> str:
    from sync.common.money import format_cents
    lines = [f"{done['lines']} transfer lines: {done['matched']} credited"
             f" ({format_cents(done['matched_cents'])}), {done['already_imported']} already"
             f" imported ({format_cents(done['already_imported_cents'])}),"
             f" {len(done['unmatched'])} unmatched"]
    for u in done["unmatched"]:
        lines.append(f"  line {u['line']}: {u['reason']} — {u['date']} | {u['amount']} |"
                     f" {u['communication']}")
    return "\n".join(lines)


def _cut(text: str | None, width: int = 24) -> str:
    text = text or "-"
    return text if len(text) <= width else text[:width - 1] + "…"


def _when(text: str) -> str:
    try:
        return f"{datetime.fromisoformat(text):%d/%m/%Y %H:%M}"
    except ValueError:
        return text


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], right: int = 0) -> list[str]:
    """Columns padded to their widest cell; the last ``right`` columns aligned right."""
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = []
    for row in [head, *rows]:
        cells = [cell.rjust(w) if i >= len(head) - right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


def _devices_table(found: list[dict], tz) -> str:
    """The terminals as a table: local times in the school's zone."""
    if not found:
        return "no terminal enrolled yet (see 'comptoir central enrol-code')"
    head = ("Device", "Name", "Version", "Last seen", "Enrolled", "Revoked", "High water",
            "Conflicts")
    return "\n".join(_table(head, [
        (d["id"], _cut(d["name"]), d["version"] or "-",
         _when(local_time(d["last_seen_at"], tz)) if d["last_seen_at"] else "never",
         _when(local_time(d["enrolled_at"], tz)),
         _when(local_time(d["revoked_at"], tz)) if d["revoked_at"] else "-",
         str(d["high_water"]), str(d["conflicts"])) for d in found], right=2))


def _sales_table(journal: dict) -> str:
    from sync.common.money import format_cents
    first, last = journal["first_day"], journal["last_day"]
    lines = [f"Journal des ventes — {journal['school_id']} — du {first:%d/%m/%Y}"
             f" au {last:%d/%m/%Y} ({PERIOD_LABELS[journal['period']]})"]
    if not journal["rows"]:
        lines.append("Aucune vente sur cette période.")
    else:
        head = ("Date", "Caisse", "Opération", "Élève", "Portefeuille", "Article", "Quantité",
                "Montant")
        table = [(_when(r["local_time"]), _cut(r["device_name"] or "plateforme"),
                  KIND_LABELS.get(r["kind"], r["kind"]), _cut(r["student_name"] or r["student_id"]),
                  _cut(r["wallet_name"] or r["wallet_id"]), _cut(r["article_name"], 32),
                  str(r["quantity"]), format_cents(r["amount_cents"]))
                 for r in journal["rows"]]
        widths = [max(len(row[i]) for row in [head, *table]) for i in range(len(head))]
        for row in [head, *table]:
            cells = [cell.ljust(w) for cell, w in zip(row[:-2], widths)]
            cells += [row[-2].rjust(widths[-2]), row[-1].rjust(widths[-1])]
            lines.append("  ".join(cells).rstrip())
    count = journal["count"]
    lines.append(f"{count} ligne{'s' if count > 1 else ''} — total :"
                 f" {format_cents(journal['total_cents'])}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
