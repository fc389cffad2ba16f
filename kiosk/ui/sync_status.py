"""The status bar's sync part, in words (no Kivy here): the agent's recorded state, said as
it is (a revoked terminal says so, never "online"), and an unfinished pull's progress.

>>> from kiosk.lookups import TerminalStatus
>>> from kiosk.ui.texts import tr
>>> st = TerminalStatus("revoked", None, None, "", None, 0, 0, 0, True)
>>> sync_text(st, lambda key, **p: tr(key, "en", **p), "en")
('Revoked by the platform: enrol again', 'offline')
>>> st = st._replace(sync="online", pull_progress='{"records": 2000, "bytes": 30000, "full": true}')
>>> sync_text(st, lambda key, **p: tr(key, "en", **p), "en")
('Online · school incomplete (2000 records, 29 kB)', 'online')
"""
from __future__ import annotations

from collections.abc import Callable

from kiosk import pull_progress
from kiosk.lookups import TerminalStatus

STATES = {"online": "online", "error": "sync_error", "revoked": "sync_revoked",
          "unauthorized": "sync_unauthorized"}


def sync_text(store: TerminalStatus, tr: Callable[..., str], lang: str) -> tuple[str, str]:
    """(the words in ``lang``, the kind: ``online`` or ``offline``, which sets the colour)."""
    if not store.enrolled and store.sync is None:
        state = tr("not_enrolled_short")
    else:
        state = tr(STATES.get(store.sync or "", "offline"))
    progress = pull_progress.read(store.pull_progress)
    if progress is not None:
        # from scratch, and no pull ever completed: this terminal has part of the school
        partial = progress.full and store.last_pull_at is None
        state += " · " + tr("pull_partial" if partial else "pull_receiving",
                            records=progress.records,
                            size=pull_progress.size_text(progress.bytes, lang))
    return state, "online" if store.sync == "online" else "offline"
