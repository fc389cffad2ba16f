"""``python -m sync.server.migrations new "what changes"``: write the next revision file.
(Upgrading a database is ``comptoir central migrate --db …``.)"""
import argparse

from sync.server.migrations import HEAD, REVISIONS, new_revision

parser = argparse.ArgumentParser(prog="python -m sync.server.migrations")
sub = parser.add_subparsers(dest="command", required=True)
sub.add_parser("new", help="write the next numbered revision").add_argument("message")
sub.add_parser("list", help="the revisions, oldest first")
args = parser.parse_args()
if args.command == "new":
    print(new_revision(args.message))
else:
    for revision in REVISIONS:
        print(revision + ("  (head)" if revision == HEAD else ""))
