"""``comptoir central ...``: set up and run the reference central server.

``--db`` is a SQLite file (``central.db``) or a PostgreSQL database
(``postgresql://user@host/dbname``: the database must exist, ``init`` makes its tables; a
password comes from ``~/.pgpass`` or ``PGPASSWORD``, as for ``psql``). Without ``--db``, the
environment variable ``COMPTOIR_CENTRAL_DB`` says which.

    init       --db PATH --school NAME [--school-id ID]   make the database (or add a school)
               [--admin-email EMAIL ...]                   ... and its first admin (cli_staff)
    demo-data  --db PATH [--students 800] [--school-id ID] load the demo school
    enrol-code --db PATH --name NAME [--school-id ID]      print a one-time enrolment code
               [--replace DEVICE]                          ... or one that replaces a terminal
    revoke     --db PATH --device ID                       cut a terminal off
    serve      --db PATH [--host 127.0.0.1] [--port 8765]  run the HTTP server
    admin-token --db PATH                                  print a new admin (reports) token
    sales      --db PATH [--student ID] [--wallet ID] [--device ID|NAME] [--article TEXT]
               [--period today|yesterday|last-7-days|last-30-days|this-month|last-month]
               [--from DAY --to DAY] [--school-id ID]     the sales journal, as a table
    cutoff     --db PATH [--time HH:MM]                    show or set the reservation cutoff
    timezone   --db PATH [--zone AREA/CITY]                show or set the school's time zone
    allergen-policy --db PATH [--policy confirm|refuse]    show or set the allergen policy
    offline-allowance --db PATH [--euros 5,00]             show or set what terminals cut off
                                                           may sell per wallet, all together
    reserve    --db PATH --student ID --day DAY --article CODE [--quantity N]
               [--confirm-allergens]                       reserve and pay (debit at once)
    cancel-reservation --db PATH --id ID                   cancel before the cutoff: refund
    topup      --db PATH --wallet ID (--cents N | --euros 12,50) [--label TEXT]
    import-bank FILE.csv --db PATH                         credit a bank statement's transfers
    import-roster FILE --db PATH                           load/refresh students, badges, wallets
    badge block|unblock --uid UID --db PATH                a lost badge, refused by every terminal
    wallet     --db PATH --wallet ID                       a wallet's balance and history
    migrate    --db PATH                                   upgrade the schema (every command
                                                           does it too), say the revisions
    devices    --db PATH                                   the terminals: version, last seen
    verify, problems, integrity-settings                   the platform's own checks
                                                           (``cli_integrity``)
    forks      --db PATH                                   entries sold on a fork, sold again
Every command takes --school-id ID when the database holds several schools.

Every line it prints (help, tables, refusals) is in the language of ``--lang fr|nl|en``
(before or after the command; ``comptoir --lang nl central ...`` passes it on), else
``$COMPTOIR_LANG``, else French. The refusals are the platform's own ``CentralError``
messages, whose English text is their msgid (``sync.server.errors``): said here through the
catalogues, left in English in the HTTP API's error bodies.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from datetime import date

from sync.common.clock import local_time
from sync.common.i18n import LANGUAGES
from sync.server import chain_copy, cli_integrity, cli_staff, schools
from sync.server.cli_text import (
    KIND_LABELS,
    LANG_ENV,
    LOADED,
    _,
    badge_decision,
    bank_summary,
    choose_language,
    devices_table,
    label,
    language,
    money,
    sales_table,
    set_language,
    when,
)
from sync.server.database import sha256
from sync.server.errors import say
from sync.server.sales_journal import PERIODS
from sync.server.storage import CentralError, CentralStore

DB_ENV = "COMPTOIR_CENTRAL_DB"
def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a day (YYYY-MM-DD): {text}")
                                         .format(text=repr(text))) from None


def _db_option(parser: argparse.ArgumentParser, required: bool = False) -> None:
    if required:
        parser.add_argument("--db", required=True,
                            help=_("the central database: a SQLite file or a postgresql:// URL"))
        return
    parser.add_argument("--db", default=os.environ.get(DB_ENV) or None,
                        help=_("the central database: a SQLite file or a postgresql:// URL"
                               " (default: ${env})").format(env=DB_ENV))


def _school_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--school-id", help=_("the school, when the database holds several"))


def _lang_option(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--lang`` before the command and after it (``default`` SUPPRESS there, not to undo
    what was given before it), as the terminal's command line takes it."""
    parser.add_argument("--lang", choices=LANGUAGES, default=default,
                        help=_("language of what is printed (default: ${env}, else French)")
                        .format(env=LANG_ENV))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comptoir central",
                                     description=_("The reference central server."))
    _lang_option(parser)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        _lang_option(p, default=argparse.SUPPRESS)
        return p

    p = command("init", _("create the database, or add a school to it"))
    _db_option(p)
    p.add_argument("--school", required=True, help=_("the school's name"))
    p.add_argument("--school-id", help=_("its id (default: made from the name)"))
    cli_staff.add_init_options(p)
    p = command("demo-data", _("load the demo school (categories ... reservations)"))
    _db_option(p)
    p.add_argument("--students", type=int, default=800, help=_("how many students"))
    _school_option(p)
    p = command("enrol-code", _("print a one-time code to enrol a terminal"))
    _db_option(p)
    p.add_argument("--name", default="", help=_("the terminal's name, e.g. \"Cantine 1\""
                                                " (with --replace: the replaced one's)"))
    p.add_argument("--replace", metavar="DEVICE", help=_(
        "a code that enrols this terminal id again, cutting off whatever holds its"
        " current token (a terminal restored on new hardware); without it, a code"
        " cannot take over an id already enrolled"))
    _school_option(p)
    p = command("revoke", _("revoke a terminal's token"))
    _db_option(p)
    p.add_argument("--device", required=True, help=_("the terminal's id"))
    p = command("serve", _("run the HTTP server"))
    _db_option(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--tls-cert", metavar="PEM", help=_("serve https with this certificate (chain)"))
    p.add_argument("--tls-key", metavar="PEM", help=_("and this private key"))
    p = command("admin-token", _("print a new admin token (reports over HTTP); only its hash is"
                                 " kept"))
    _db_option(p)
    p.add_argument("--list", action="store_true", help=_("list the admin tokens' ids instead"))
    p.add_argument("--revoke", metavar="ID", help=_("revoke the admin token with this id instead"))
    p = command("sales", _("the sales journal, newest first"))
    _db_option(p)
    p.add_argument("--student", help=_("a student's id"))
    p.add_argument("--wallet", help=_("a wallet's id"))
    p.add_argument("--device", help=_("a terminal's id or name"))
    p.add_argument("--article", help=_("text in the article's code or name"))
    p.add_argument("--period", choices=[n.replace("_", "-") for n in PERIODS if n != "custom"],
                   help=_("a preset (default: last-30-days; --from/--to: a custom period)"))
    p.add_argument("--from", dest="from_", type=_day, metavar="DAY",
                   help=_("first day, YYYY-MM-DD"))
    p.add_argument("--to", type=_day, metavar="DAY", help=_("last day, YYYY-MM-DD (included)"))
    _school_option(p)
    p = command("migrate", _("bring the database's schema to this version's (every command does"
                             " it first); print the revision before and after"))
    _db_option(p)
    _ledger_parsers(command)
    cli_integrity.add_parsers(command, _db_option, _school_option)
    return parser


def _ledger_parsers(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("cutoff", _("show or set the school's reservation cutoff"))
    _db_option(p, required=True)
    p.add_argument("--time", help=_("HH:MM, e.g. 08:15 (default 08:30)"))
    _school_option(p)
    p = command("timezone", _("show or set the school's time zone (its days, its local times)"))
    _db_option(p, required=True)
    p.add_argument("--zone", help=_("an IANA time zone, e.g. Europe/Brussels (the default)"))
    _school_option(p)
    p = command("offline-allowance", _("show or set how far below its balance all the school's"
                                       " terminals together may take a wallet while they cannot"
                                       " reach the platform"))
    _db_option(p, required=True)
    p.add_argument("--euros", help=_("e.g. 5,00 (the default); 0: no sales while cut off"))
    _school_option(p)
    p = command("reserve", _("reserve an article for a student's day; paid at once"))
    _db_option(p, required=True)
    p.add_argument("--student", required=True, help=_("a student's id"))
    p.add_argument("--day", required=True, type=_day, help="YYYY-MM-DD")
    p.add_argument("--article", required=True, help=_("a reservable article's code"))
    p.add_argument("--quantity", type=int, default=1)
    p.add_argument("--confirm-allergens", action="store_true",
                   help=_("reserve it even though it is on the student's allergy and diet list"
                          " (when the school's allergen policy is 'confirm')"))
    _school_option(p)
    p = command("allergen-policy", _("show or set what an article on a student's allergy and"
                                     " diet list does: confirm (ask) or refuse"))
    _db_option(p, required=True)
    p.add_argument("--policy", choices=("confirm", "refuse"))
    _school_option(p)
    p = command("cancel-reservation", _("cancel before the cutoff (refunded)"))
    _db_option(p, required=True)
    p.add_argument("--id", required=True, help=_("the reservation's id"))
    _school_option(p)
    p = command("topup", _("credit a wallet"))
    _db_option(p, required=True)
    p.add_argument("--wallet", required=True, help=_("a wallet's id"))
    amount = p.add_mutually_exclusive_group(required=True)
    amount.add_argument("--cents", type=int)
    amount.add_argument("--euros", help=_("e.g. 12,50"))
    p.add_argument("--label", help=_("what it is, e.g. \"cash at the office\""))
    _school_option(p)
    p = command("import-bank", _("credit the transfers of a bank statement (CSV: date, amount,"
                                 " communication[, reference])"))
    p.add_argument("file")
    _db_option(p, required=True)
    _school_option(p)
    p = command("import-roster", _("load or refresh students, classes, badges and wallets (CSV"
                                   " or JSON; balances untouched)"))
    p.add_argument("file")
    _db_option(p, required=True)
    _school_option(p)
    p = command("wallet", _("a wallet's balance and history"))
    _db_option(p, required=True)
    p.add_argument("--wallet", required=True, help=_("a wallet's id"))
    _school_option(p)
    p = command("badge", _("block a lost or stolen badge, or unblock it: every terminal"
                           " follows at its next sync"))
    p.add_argument("action", choices=("block", "unblock"))
    p.add_argument("--uid", required=True, help=_("the badge's UID (hexadecimal)"))
    _db_option(p, required=True)
    _school_option(p)
    p = command("devices", _("the school's terminals: version, last seen, revoked"))
    _db_option(p)
    _school_option(p)
    p = command("forks", _("entries terminals sold while their journal was out of date"
                           " (put back from an older copy offline): to check"))
    _db_option(p)
    _school_option(p)


def _language_of(argv: list[str]) -> str:
    """The language, read before the whole command line is (its help is in that language)."""
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--lang")
    known, _rest = early.parse_known_args(argv)
    return choose_language(known.lang)


def main(argv: list[str] | None = None) -> int:
    """Errors are one line on stderr in the language asked: a ``CentralError``'s English
    message is the msgid of its translation (``sync.server.errors``)."""
    argv = sys.argv[1:] if argv is None else argv
    lang = _language_of(argv)
    set_language(lang)
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except CentralError as e:
        print(f"comptoir central {args.command}: {e.say(lang)}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if not args.db:
        raise CentralError("invalid", "say which database with --db (a file or a postgresql://"
                           " URL) or {env}", env=DB_ENV)
    if args.command == "demo-data" and args.students < 1:
        raise CentralError("invalid", "--students must be at least 1")
    lang = language()
    with CentralStore(args.db, create=args.command == "init") as store:
        done = store.schema
        if done.changed and (done.before or done.unversioned) and args.command != "migrate":
            from sync.server.migrations import describe
            print(_("{where}: schema upgraded from revision {before} to {after}").format(
                where=store.label, before=say(describe(done.before, done.unversioned), lang),
                after=done.after), file=sys.stderr)
        _command(args, store)
    return 0


def _command(args: argparse.Namespace, store: CentralStore) -> None:
    lang = language()
    if args.command == "init":
        admin = cli_staff.read_admin(args)      # checked before anything is made
        school_id = store.add_school(args.school, args.school_id)
        print(_("school {school} ready in {where}").format(school=repr(school_id),
                                                           where=store.label))
        cli_staff.first_admin(store, school_id, admin)
    elif args.command == "migrate":
        from sync.server.migrations import describe
        done = store.schema
        before = say(describe(done.before, done.unversioned), lang)
        if done.changed:
            print(_("{where}: schema revision {before} -> {after}").format(
                where=store.label, before=before, after=say(describe(done.after), lang)))
        else:
            print(_("{where}: schema revision {before}: up to date").format(
                where=store.label, before=before))
    elif args.command == "demo-data":
        from kiosk.demo.school import generate
        from sync.models import DataSet
        school_id = store.school_id(args.school_id)
        day = schools.today(store, school_id)
        counts = store.load(school_id, DataSet.model_validate(generate(args.students, day=day)))
        print(", ".join(label(LOADED, "loaded", name).format(count=n) if name in LOADED
                        else f"{n} {name}" for name, n in counts.items())
              or _("nothing changed"))
    elif args.command == "enrol-code":
        code = store.create_enrol_code(store.school_id(args.school_id), args.name,
                                       replaces=args.replace)
        print(code)
    elif args.command == "revoke":
        store.revoke(args.device)
        print(_("device {device} revoked").format(device=args.device))
    elif args.command == "serve":
        import uvicorn

        from sync.server.app import create_app
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        if bool(args.tls_cert) != bool(args.tls_key):
            raise SystemExit("comptoir central serve: "
                             + _("--tls-cert and --tls-key go together"))
        # No new cursor epoch here: a restart costs terminals nothing (sync.server.epoch)
        from sync.server import epoch
        epoch.prune(store)
        from sync.server.nightly import Nightly
        job = Nightly(store).start()    # the nightly verification
        uvicorn.run(create_app(store), host=args.host, port=args.port,
                    ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)
        job.stop()
    elif args.command == "admin-token":
        if args.revoke:
            store.revoke_admin_token(args.revoke)
            print(_("admin token {id} revoked").format(id=args.revoke))
        elif args.list:
            for t in store.admin_tokens():
                print(_("{id}  made {when}").format(id=t["id"], when=t["created_at"]))
        else:
            token = store.create_admin_token()
            print(token)
            print(_("(shown once: only its hash is kept; its id, to revoke it: {id})")
                  .format(id=sha256(token)[:12]), file=sys.stderr)
    elif args.command == "devices":
        school_id = store.school_id(args.school_id)
        print(devices_table(store.device_list(school_id), schools.timezone_of(store, school_id)))
    elif args.command == "forks":
        school_id = store.school_id(args.school_id)
        print(chain_copy.forks_table(chain_copy.forks(store, school_id),
                                     schools.timezone_of(store, school_id)))
    elif args.command == "sales":
        journal = store.sales_journal(
            store.school_id(args.school_id), student_id=args.student, wallet_id=args.wallet,
            device_id=args.device, article_text=args.article, period=args.period,
            first_day=args.from_, last_day=args.to)
        print(sales_table(journal))
    elif args.command in cli_integrity.COMMANDS:
        cli_integrity.run(args, store)
    else:
        _run_ledger(args, store)


def _read(path: str) -> str:
    from sync.server.bank_statement import read_text
    try:
        with open(path, "rb") as f:
            return read_text(f.read())
    except OSError as e:
        raise CentralError("invalid", "{path}: {error}", path=path, error=e.strerror) from None


def _euros(text: str) -> int:
    """``--euros`` in cents, or the one error every command gives for it."""
    from sync.common.money import parse_euros
    try:
        return parse_euros(text)
    except ValueError:
        raise CentralError("invalid", "--euros {value}: not an amount in euros"
                           " (e.g. 12,50)", value=repr(text)) from None


def _run_ledger(args: argparse.Namespace, store: CentralStore) -> None:
    from sync.server import badges, ledger, roster
    school_id = store.school_id(args.school_id)
    if args.command == "cutoff":
        s = (ledger.set_settings(store, school_id, cutoff=args.time) if args.time
             else ledger.settings(store, school_id))
        print(_("reservations close at {cutoff} ({zone}) on their day").format(
            cutoff=f"{s.cutoff:%H:%M}", zone=s.timezone.key))
    elif args.command == "timezone":
        s = (ledger.set_settings(store, school_id, timezone=args.zone) if args.zone
             else ledger.settings(store, school_id))
        print(_("time zone: {zone}").format(zone=s.timezone.key))
    elif args.command == "offline-allowance":
        from sync.server import allowance
        if args.euros is not None:
            allowance.set_allowance(store, school_id, _euros(args.euros))
        terms = allowance.terms(store, school_id)
        print(_("offline allowance: {amount} per wallet for all {terminals} terminal(s) together"
                " ({share} each) while they cannot reach the platform").format(
            amount=money(terms["allowance_cents"]), terminals=terms["terminals"],
            share=money(terms["allowance_cents"] // terms["terminals"])))
    elif args.command == "reserve":
        done = ledger.create_reservation(store, school_id, args.student, args.day, args.article,
                                         args.quantity, args.confirm_allergens)
        print(_("reservation {id}: {amount} paid from wallet {wallet}, balance {balance}").format(
            id=done["reservation"]["id"], amount=money(-done["amount_cents"]),
            wallet=done["wallet_id"], balance=money(done["balance_cents"])))
        if done["confirmed"]:
            print(_("(on the student's allergy and diet list: reserved on your confirmation)"))
    elif args.command == "allergen-policy":
        from sync.server import diet
        value = (diet.set_policy(store, school_id, args.policy) if args.policy
                 else diet.policy(store, school_id))
        print(_("allergen policy: {policy}").format(policy={
            "confirm": _("confirm (an article on a student's allergy and diet list is reserved"
                         " only on an explicit confirmation)"),
            "refuse": _("refuse (an article on a student's allergy and diet list is never"
                        " reserved)")}[value]))
    elif args.command == "cancel-reservation":
        done = ledger.cancel_reservation(store, school_id, args.id)
        if done["wallet_id"]:
            print(_("reservation {id} cancelled: {amount} refunded to wallet {wallet}, balance"
                    " {balance}").format(id=args.id, amount=money(done["refunded_cents"]),
                                         wallet=done["wallet_id"],
                                         balance=money(done["balance_cents"])))
        else:
            print(_("reservation {id} cancelled: {amount} refunded").format(
                id=args.id, amount=money(done["refunded_cents"])))
    elif args.command == "topup":
        cents = _euros(args.euros) if args.euros is not None else args.cents
        done = ledger.topup(store, school_id, args.wallet, cents, args.label)
        print(_("wallet {wallet}: {amount} credited, balance {balance}").format(
            wallet=args.wallet, amount=money(cents), balance=money(done["balance_cents"])))
    elif args.command == "import-bank":
        print(bank_summary(ledger.import_bank(store, school_id, _read(args.file))))
    elif args.command == "import-roster":
        done = roster.import_roster(store, school_id, _read(args.file))
        print(_("{students} students in the roster: {students_added} added, {students_updated}"
                " updated, {students_unchanged} unchanged; {not_in_roster} others left as they"
                " are; wallets: {wallets_added} added, {wallets_updated} updated; badges:"
                " {badges_changed} added or moved, {badges_blocked} blocked").format(**done))
    elif args.command == "badge":
        print(badge_decision(badges.set_status(store, school_id, args.uid,
                                               args.action == "block")))
    elif args.command == "wallet":
        history = ledger.wallet_history(store, school_id, args.wallet)
        tz = schools.timezone_of(store, school_id)
        for m in history["movements"]:
            where = (f"{m['device_name']} #{m['seq']}" if m["device_name"]
                     else m["reservation_id"] or m["label"] or "")
            kind = label(KIND_LABELS, "operation", m["kind"])
            print(f"{when(local_time(m['ts'], tz))}  {kind:<13}"
                  f" {money(m['amount_cents']):>12}  {where}")
        print(_("balance: {balance}").format(balance=money(history["balance_cents"])))


if __name__ == "__main__":
    sys.exit(main())
