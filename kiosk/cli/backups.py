"""``comptoir backup`` and ``comptoir restore`` (issue 18, point 4; docs/backups.md)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.base import DB_NAME, Context, _
from sync.common.clock import SystemClock
from sync.common.errors import ComptoirError, StoreError

if TYPE_CHECKING:
    from kiosk.store import Store


def status_text(status: str, detail: str = "") -> str:
    """A folder's outcome (``kiosk.backup.Copy.status``), for people."""
    texts = {
        "written": _("written"),
        "absent": _("skipped: the folder is not there (USB key not plugged in?)"),
        "not_writable": _("skipped: this folder cannot be written to"),
        "same_disk": _("skipped: the folder is on the terminal's own disk (USB key not"
                       " mounted?)"),
        "disk_full": _("NOT written: the disk is full (the store itself is untouched)"),
        "failed": _("NOT written: {detail}").format(detail=detail),
    }
    return texts.get(status, status)


def cmd_backup(ctx: Context) -> None:
    from kiosk import backup
    path = ctx.folder / DB_NAME
    if not path.exists():
        raise StoreError("store_missing", path=str(path))
    started = time.monotonic()
    result = backup.make_backup(path, ctx.config, SystemClock().now())
    ctx.out(_("Backup of the store up to entry no. {seq} ({seconds:.1f} s):").format(
        seq=result.seq, seconds=time.monotonic() - started))
    for copy in result.copies:
        ctx.out(f"  {copy.folder}: {status_text(copy.status, copy.detail)}")
        if copy.file is not None:
            ctx.out("    " + str(copy.file))
        if copy.pruned:
            ctx.out("    " + _("{count} backup(s) older than {days} days deleted").format(
                count=len(copy.pruned), days=ctx.config.backup.keep_days))
    if result.file is None:
        raise ComptoirError("backup_failed")


def cmd_restore(ctx: Context) -> None:
    from kiosk import backup, restore
    from kiosk.store import open_store
    started = time.monotonic()
    path = ctx.folder / DB_NAME
    chosen = Path(ctx.args.file) if ctx.args.file else backup.newest(ctx.config.backup, ctx.folder)
    if chosen is None:
        raise restore.RestoreRefused("no_backup", folders=[
            str(f) for f in backup.folders(ctx.config.backup, ctx.folder)])
    ctx.out(_("Checking the backup {file}…").format(file=chosen), flush=True)
    line = _("  checking the journal: entry {seq}")

    def progress(seq: int) -> None:         # (a large journal takes seconds)
        if sys.stderr.isatty():
            print("\r" + line.format(seq=seq), end="", file=sys.stderr, flush=True)
    try:
        done = restore.put_back(chosen, path, SystemClock().now().astimezone(ctx.config.tz),
                                force=ctx.args.force, progress=progress)
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)
    ctx.out(_("Store put back: terminal {device}, journal up to entry no. {seq}.").format(
        device=done.device_id, seq=done.seq))
    if done.aside is not None:
        ctx.out(_("The store it replaced is kept as {file}.").format(file=done.aside))
    store = open_store(path, check=False)
    try:
        health = store.check_integrity(pages=False)     # the copy was checked in full
        health.raise_if_bad()
        fetched = _fetch_back(ctx, store)
        if fetched is None:
            return
        from kiosk import journal
        with store.read() as conn:
            last = journal.last_link(conn)[0]
        health = store.check_integrity(pages=False)
        ctx.out(_("{fetched} entry(ies) fetched back from the platform, {replayed} sold again"
                  " after them; journal now up to entry no. {seq}.").format(
            fetched=fetched[0], replayed=fetched[1], seq=last))
        health.raise_if_bad()
        result = backup.make_backup(path, ctx.config, SystemClock().now())   # the state now
        ctx.out(_("A new backup of it: {file}").format(file=result.file))
        ctx.out(_("Restore done in {seconds:.0f} s: nothing lost, nothing doubled. The terminal"
                  " sells again.").format(seconds=time.monotonic() - started))
    finally:
        store.close()


def _fetch_back(ctx: Context, store: Store) -> tuple[int, int] | None:
    """The platform's entries the backup lacks (kiosk.recovery, through the agent), then a
    whole sync round; None when the terminal has no token any more (a lost disk)."""
    from sync.agent import Agent, load_credentials
    from sync.client import Client
    from sync.common.files import CREDENTIALS
    try:
        creds = load_credentials(ctx.folder)
    except ComptoirError:
        ctx.out(_("This terminal has no platform token any more ({file} is missing): enrol it"
                  " again with a code the office makes to replace it ('comptoir enrol URL"
                  " CODE'), then run 'comptoir sync --once': the entries made since the backup"
                  " come back from the platform before it sells.").format(file=CREDENTIALS))
        return None
    ctx.out(_("Fetching the entries made since the backup from the platform ({url})…")
            .format(url=creds.url), flush=True)
    client = Client(creds.url, creds.token, allow_http=ctx.config.sync.allow_http,
                    ca_file=ctx.config.sync.ca_file)
    try:
        agent = Agent(store, client, ctx.config)
        try:
            got = agent.catch_up()
            agent.run_once()
        except ComptoirError:
            ctx.out(_("The platform could not be reached or refused: the entries made since the"
                      " backup come back at the next sync ('comptoir sync --once')."))
            raise
        return got.fetched, got.replayed
    finally:
        client.close()
