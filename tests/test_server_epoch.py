"""The cursor epoch's marks (``sync.server.epoch``) on both backends, in-process: a mark
older than ``KEEP`` is dropped at the platform's start, and a cursor whose mark is gone
sends its terminal into a full pull, never into skipping a change (issue 15, point 8)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sync.common.clock import ManualClock
from sync.models import DataSet
from sync.server import epoch, ledger
from sync.server.errors import CentralError
from sync.server.storage import CentralStore


def _pull_all(store: CentralStore, device, cursor: str = "") -> str:
    while True:
        page = store.pull(device, cursor, 2000)
        cursor = page["cursor"]
        if not page["has_more"]:
            return cursor


def test_old_marks_are_pruned_and_their_cursors_pull_from_scratch(central_db, demo_data):
    clock = ManualClock(datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
    with CentralStore(central_db, create=True, now=clock.now) as store:
        store.add_school("School A", "school-a")
        store.load("school-a", DataSet.model_validate(demo_data))
        code = store.create_enrol_code("school-a", "Cantine")
        device = store.authenticate(store.enrol(code, "8b2f1c4e-3d7a-4f0e-9c61-2a5d8e7f9b10")
                                    ["token"])
        old = _pull_all(store, device)
        assert old.split(":")[1] != epoch.NO_MARK
        assert epoch.prune(store) == 0                  # nothing old yet
        assert store.pull(device, old, 2000)["has_more"] is False   # still good

        clock.advance(days=epoch.KEEP.days + 1)
        ledger.topup(store, "school-a", demo_data["wallets"][0]["id"], 500)
        recent = _pull_all(store, device, old)          # incremental: the top-up only
        assert epoch.prune(store) >= 1                   # the school's load, a year ago
        with pytest.raises(CentralError) as gone:
            store.pull(device, old, 2000)
        assert gone.value.code == "cursor_expired"
        assert store.pull(device, recent, 2000)["wallets"] == []    # recent ones stay good
