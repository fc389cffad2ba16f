"""A reader with no hardware, for the demo and the UI tests: badges are injected from code
(``inject``). It behaves like a real one: events come from its own thread, one per tap."""
from __future__ import annotations

import queue

from drivers.badge.base import BadgeReader, ReaderState
from kiosk.badges import normalise_uid


class SimulatedReader(BadgeReader):
    name = "simulated"

    def __init__(self) -> None:
        super().__init__()
        self._taps: queue.Queue[str | None] = queue.Queue()

    @classmethod
    def from_config(cls, section) -> "SimulatedReader":
        return cls()

    def inject(self, raw_uid: str) -> None:
        """Tap a badge. A malformed UID raises ``Refusal('bad_badge')`` here, at the caller."""
        self._taps.put(normalise_uid(raw_uid))

    def _wake(self) -> None:
        self._taps.put(None)

    def _run(self) -> None:
        self._set_state(ReaderState.CONNECTED)
        while True:
            uid = self._taps.get()      # taps made before stop() are still delivered
            if uid is None:
                if self._stopping.is_set():
                    return
                continue
            self._emit(uid, uid)
