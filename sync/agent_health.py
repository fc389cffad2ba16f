"""The sync agent's honesty about itself (``sync.agent`` calls these): the status it records
for the screens says what really happened, and a daemon follows its credentials file.

- ``status_of``: a refusal no retry can cure (``403 revoked``, ``401 unauthorized``: the
  token was revoked, or replaced by a new enrolment elsewhere) is its own status, which the
  screens say as such ("revoked: enrol again"), never "online" or a vague "error".
- ``CredentialsWatch``: the daemon re-reads ``sync.json`` (made by ``comptoir enrol``) when
  it changes, and talks with the new token (and URL) from its next round: a terminal
  re-enrolled while its daemon runs is picked up without a restart. While it waits between
  failed rounds it looks at the file every ``poll`` seconds, so a new enrolment is not
  kept waiting for the end of a long backoff.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from sync.client import Client, Offline, Refused, check_url
from sync.common.errors import ComptoirError
from sync.common.files import CREDENTIALS

log = logging.getLogger("comptoir.sync")

# sync_state "status" values: online | offline | error | revoked | unauthorized
REFUSED_FOR_GOOD = {(403, "revoked"): "revoked", (401, "unauthorized"): "unauthorized"}


def status_of(error: Exception) -> str:
    """The status a failed exchange leaves for the screens."""
    if isinstance(error, Offline):
        return "offline"
    if isinstance(error, Refused):
        return REFUSED_FOR_GOOD.get((error.status, error.body.error), "error")
    return "error"


class CredentialsWatch:
    """Notices a new ``sync.json`` in ``folder`` and hands its token to a client."""

    def __init__(self, folder: Path, allow_http: bool = False):
        self.path = Path(folder) / CREDENTIALS
        self.allow_http = allow_http
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def changed(self) -> bool:
        return self._stamp() != self._seen

    def reload(self, client: Client) -> bool:
        """If the file changed, talk with what it now holds; True when the client changed."""
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        self._seen = stamp
        try:        # what sync.agent.save_credentials wrote (read here: it imports us)
            data = json.loads(self.path.read_text(encoding="utf-8"))
            url, token = check_url(str(data["url"]), self.allow_http), str(data["token"])
        except (OSError, ValueError, TypeError, KeyError) as e:
            log.warning("credentials file changed but cannot be used: %s", type(e).__name__)
            return False
        except ComptoirError as e:
            log.warning("credentials file changed but cannot be used: %s", e.message("en"))
            return False
        client.base_url = url
        client.session.headers["Authorization"] = f"Bearer {token}"
        log.info("credentials file changed: using the new enrolment")
        return True

    def wait(self, stop: threading.Event, seconds: float, poll: float) -> None:
        """Wait ``seconds`` (or until ``stop``), looking at the file every ``poll`` seconds:
        returns early when it changed."""
        left = seconds
        while left > 0 and not stop.is_set() and not self.changed():
            step = min(left, max(poll, 0.01))
            stop.wait(step)
            left -= step
