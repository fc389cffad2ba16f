"""``comptoir`` on a machine too slow for the double-tap window (issue 13, point 13): in the
demo walk's double-tap step, each tap of the badge comes ``SLOW`` seconds of wall-clock time
after the previous one, past the demo's 2 s ``[policy] double_tap_seconds``, as on the
loaded machine where the walk once failed one run in two (taps 2.49 s apart). The walk must
still see the question, because it drives the counter's time through its clock seam
(``kiosk.demo.scenario.WalkClock``), never the wall clock. tests/test_demo.py runs
``make demo``'s script with this module as its ``comptoir`` command."""
from __future__ import annotations

import sys
import time

from kiosk.cli import main
from kiosk.demo import scenario

SLOW = 2.5          # seconds between the two taps: past the 2 s window


def _slowed(step):
    def slow_step(self):
        tap = self.badge

        def slow_tap(uid: str) -> None:
            time.sleep(SLOW)
            tap(uid)
        self.badge = slow_tap
        try:
            return step(self)
        finally:
            del self.badge
    return slow_step


if __name__ == "__main__":       # only in the command it stands for, never on import
    scenario.Scenario.double_tap = _slowed(scenario.Scenario.double_tap)  # type: ignore[method-assign]
    sys.exit(main())
