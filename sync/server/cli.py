"""``comptoir central ...``: set up and run the reference central server.

    init       --db PATH --school NAME [--school-id ID]   make the database (or add a school)
    demo-data  --db PATH [--students 800] [--school-id ID] load the demo school
    enrol-code --db PATH --name NAME [--school-id ID]      print a one-time enrolment code
    revoke     --db PATH --device ID                       cut a terminal off
    serve      --db PATH [--host 127.0.0.1] [--port 8765]  run the HTTP server
"""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from sync.server.storage import CentralError, CentralStore

BRUSSELS = ZoneInfo("Europe/Brussels")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comptoir central",
                                     description="The reference central server.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create the database, or add a school to it")
    p.add_argument("--db", required=True)
    p.add_argument("--school", required=True, help="the school's name")
    p.add_argument("--school-id", help="its id (default: made from the name)")
    p = sub.add_parser("demo-data", help="load the demo school (categories ... reservations)")
    p.add_argument("--db", required=True)
    p.add_argument("--students", type=int, default=800)
    p.add_argument("--school-id")
    p = sub.add_parser("enrol-code", help="print a one-time code to enrol a terminal")
    p.add_argument("--db", required=True)
    p.add_argument("--name", required=True, help='the terminal\'s name, e.g. "Cantine 1"')
    p.add_argument("--school-id")
    p = sub.add_parser("revoke", help="revoke a terminal's token")
    p.add_argument("--db", required=True)
    p.add_argument("--device", required=True)
    p = sub.add_parser("serve", help="run the HTTP server")
    p.add_argument("--db", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except CentralError as e:
        print(f"comptoir central {args.command}: {e.message}", file=sys.stderr)
        return 1


def _run(args) -> int:
    if args.command == "init":
        store = CentralStore(args.db, create=True)
        school_id = store.add_school(args.school, args.school_id)
        print(f"school {school_id!r} ready in {args.db}")
    elif args.command == "demo-data":
        from kiosk.demo import generate
        from sync.models import DataSet
        if args.students < 1:
            raise CentralError("invalid", "--students must be at least 1")
        store = CentralStore(args.db)
        school_id = store.school_id(args.school_id)
        day = datetime.now(BRUSSELS).date()
        counts = store.load(school_id, DataSet.model_validate(generate(args.students, day=day)))
        print(", ".join(f"{n} {name}" for name, n in counts.items()) or "nothing changed")
    elif args.command == "enrol-code":
        store = CentralStore(args.db)
        code = store.create_enrol_code(store.school_id(args.school_id), args.name)
        print(code)
    elif args.command == "revoke":
        CentralStore(args.db).revoke(args.device)
        print(f"device {args.device} revoked")
    elif args.command == "serve":
        import uvicorn
        from sync.server.app import create_app
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        uvicorn.run(create_app(CentralStore(args.db)), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
