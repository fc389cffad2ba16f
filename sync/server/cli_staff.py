"""``comptoir central init --admin-email EMAIL``: the school's first back-office admin (issue
16). Their password comes from the standard input (``--admin-password-stdin``: a script's
pipe, never the command line where ``ps`` shows it), or else a one-time link to choose it is
printed once (``--url`` is the platform's address as the admin's browser reaches it)."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from sync.server import staff as accounts, staff_links
from sync.server.cli_text import _
from sync.server.storage import CentralStore


@dataclass(frozen=True)
class FirstAdmin:
    email: str
    name: str
    password: str | None
    url: str


def add_init_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--admin-email", help=_("the email of the school's first back-office admin"))
    p.add_argument("--admin-name", help=_("their name (default: from the email)"))
    p.add_argument("--admin-password-stdin", action="store_true",
                   help=_("read their password from the standard input (else a one-time link"
                          " to choose it is printed)"))
    p.add_argument("--url", default="http://127.0.0.1:8765",
                   help=_("the platform's address, for the link"))


def read_admin(args: argparse.Namespace) -> FirstAdmin | None:
    """The admin asked for, checked (email, name, password) before anything is made."""
    if not args.admin_email:
        return None
    email = accounts.clean_email(args.admin_email)
    name = accounts.clean_name(args.admin_name or email.split("@")[0])
    password = None
    if args.admin_password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        accounts.check_password(password)
    return FirstAdmin(email, name, password, args.url.rstrip("/"))


def first_admin(store: CentralStore, school_id: str, admin: FirstAdmin | None) -> None:
    if admin is None:
        return
    account, token = staff_links.invite(store, school_id, admin.email, admin.name, "admin")
    if admin.password is not None:
        staff_links.use_link(store, token, admin.password)
        print(_("admin {email} can sign in").format(email=account.email))
        return
    print(_("admin {email}: choose the password with this link (shown once, valid 7 days):"
            ).format(email=account.email))
    print(f"{admin.url}{staff_links.PATH}?token={token}")
