"""Where a pull starts and what it records page by page (the sync agent's pull, in
``sync.agent``): a pull cut off resumes from its cursor, a full one included, and the data's
age moves only when a pull completes.

- Each page is written with the cursor after it and the progress so far
  (``kiosk.pull_progress``) in one transaction: a cut loses at most the page in flight.
- A full pull asked for (the nightly one, ``--full``) while an earlier full pull is still
  unfinished goes on from that one's cursor instead of starting again from zero: on a link
  cut every few hundred kilobytes a full pull that restarts never ends.
- ``last_pull_at`` (how old the data is, which bounds selling while offline) is written with
  the last page only.
- The bytes counted are the answers' ``Content-Length`` (what crossed the link, compressed),
  read by a response hook on the client's session.
"""
from __future__ import annotations

from typing import Any

from kiosk import pull_progress
from kiosk.pull_progress import Progress
from kiosk.store import Store
from sync.models import DataSet

CURSOR = "pull_cursor"


def begin(store: Store, full: bool) -> tuple[str, Progress]:
    """The cursor to pull from and the progress so far. ``full``: from scratch, unless a
    full pull is already under way (then it goes on)."""
    with store.read() as conn:
        progress = pull_progress.current(conn)
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (CURSOR,)).fetchone()
    cursor = row[0] if row and row[0] else ""
    if progress is not None and (progress.full or not full) and cursor:
        return cursor, progress                     # resume where the last attempt stopped
    if full or not cursor:
        return "", Progress(0, 0, True)
    return cursor, Progress(0, 0, False)


def from_scratch() -> tuple[str, Progress]:
    """After ``cursor_expired``: a full pull."""
    return "", Progress(0, 0, True)


def advance(progress: Progress, data: DataSet, meter: Meter, more: bool,
            state: dict[str, str]) -> Progress:
    """Count a page in; puts in ``state`` what to write with it: the progress while more
    pages come, nothing once the pull is done."""
    records = sum(len(getattr(data, name)) for name in DataSet.model_fields)
    progress = progress.plus(records, meter.take())
    state[pull_progress.KEY] = pull_progress.encode(progress) if more else ""
    return progress


class Meter:
    """Counts the bytes of the answers a client receives (``Content-Length``)."""

    def __init__(self) -> None:
        self.bytes = 0

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            self.bytes += int(response.headers.get("Content-Length", 0))
        except ValueError:
            pass
        return response

    def take(self) -> int:
        taken, self.bytes = self.bytes, 0
        return taken


def meter(client: Any) -> Meter:
    """The ``Meter`` on the client's HTTP session (put there the first time), emptied."""
    hooks = client.session.hooks.setdefault("response", [])
    found = next((hook for hook in hooks if isinstance(hook, Meter)), None)
    if found is None:
        found = Meter()
        hooks.append(found)
    found.take()
    return found
