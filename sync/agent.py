"""The terminal's sync agent: pushes the journal, pulls the platform's changes, checks that
both sides agree on the chain. Everything it needs to resume lives in the store
(``sync_state``: ``pushed_seq``, ``pull_cursor``, ``last_pull_at`` and the status the UI shows),
so a crash at any point is followed by a plain restart.

Exactly once: an entry is pushed until the server's high-water mark covers it; the server
ignores an entry it already holds with the same hash. A pull page and the cursor after it are
written in one transaction.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from kiosk import backup, health_report, importer, journal, offline, recovery
from kiosk.config import TerminalConfig
from kiosk.store import Store
from sync import agent_health, photo_fetch, protocol, pull_cursor
from sync.client import Client, Refused, SyncError
from sync.common.clock import Clock, SystemClock, iso_utc, parse_iso_utc
from sync.common.errors import ComptoirError
from sync.common.files import CREDENTIALS  # sync.json in the data folder, owner-only: URL and token
from sync.common.retry import Backoff
from sync.models import DataSet

log = logging.getLogger("comptoir.sync")
_DATASET_FIELDS = set(DataSet.model_fields)
T = TypeVar("T")


# -- enrolment and credentials ----------------------------------------------------------------
@dataclass(frozen=True)
class Credentials:
    url: str
    token: str
    device_name: str
    school_name: str


def enrol(store: Store, folder: Path, url: str, code: str, allow_http: bool = False,
          ca_file: str = "") -> Credentials:
    """Exchange a one-time code for this terminal's token; keep it in a file only the owner
    can read."""
    client = Client(url, allow_http=allow_http, ca_file=ca_file)
    try:
        answer = client.post(protocol.ENROL, protocol.EnrolRequest(code=code.strip(),
                             device_id=store.device_id), protocol.EnrolResponse)
    finally:
        client.close()
    if answer.device_id != store.device_id:
        raise SyncError("garbage_answer", detail="the server enrolled another device id")
    creds = Credentials(client.base_url, answer.token, answer.device_name, answer.school_name)
    save_credentials(folder, creds)
    return creds


def save_credentials(folder: Path, creds: Credentials) -> None:
    path = folder / CREDENTIALS
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # never world-readable
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(creds.__dict__, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_credentials(folder: Path) -> Credentials:
    path = folder / CREDENTIALS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(**data)
    except FileNotFoundError:
        raise SyncError("not_enrolled", detail="run 'comptoir enrol URL CODE' first") from None
    except (ValueError, TypeError):
        raise SyncError("not_enrolled", detail=f"{path} is damaged: enrol again") from None


# -- the agent ---------------------------------------------------------------------------------
class Agent:
    def __init__(self, store: Store, client: Client, config: TerminalConfig | None = None,
                 clock: Clock | None = None, backoff: Backoff | None = None):
        self.store = store
        self.client = client
        self.config = config or TerminalConfig()
        self.clock = clock or SystemClock()
        # when the platform cannot be reached: 1 s, 2 s, 4 s … 5 min, each spread by ±50 %
        self.backoff = backoff or Backoff(base=1.0, factor=2.0, cap=300.0, jitter=0.5)
        self.clock_offset: float | None = None      # platform minus terminal, seconds

    # push -----------------------------------------------------------------------------------
    def push(self) -> int:
        """Send every entry the server does not have yet, in order; returns how many it newly
        applied. A server behind us (restored from a backup) gets our entries again from its
        high-water mark."""
        applied = 0
        while True:
            pushed = self._pushed_seq()
            with self.store.read() as conn:     # committed entries only
                rows = conn.execute(
                    "SELECT seq, body, prev_hash, hash FROM journal WHERE seq > ? ORDER BY seq"
                    " LIMIT ?", (pushed, protocol.MAX_PUSH_ENTRIES)).fetchall()
            if not rows:
                return applied
            request = protocol.PushRequest(entries=[
                protocol.PushedEntry(seq=r[0], body=r[1], prev_hash=r[2], hash=r[3]) for r in rows])
            try:
                answer = self.client.post(protocol.JOURNAL, request, protocol.PushResponse)
            except Refused as e:
                expected = e.body.expected_seq
                if e.body.error == "gap" and expected is not None and 1 <= expected <= pushed:
                    log.warning("server is behind this terminal (expects %d): re-sending", expected)
                    self._set_state(pushed_seq=expected - 1)
                    continue
                if e.body.error == "conflict" and self.catch_up().fetched:
                    continue        # sold on a fork: the platform's entries are back, resent after
                raise
            self._check_same_chain(answer.high_water, answer.last_hash)
            self._set_state(pushed_seq=answer.high_water)
            applied += answer.applied
            if answer.high_water < rows[-1][0]:
                raise SyncError("push_incomplete", detail=f"server stopped at {answer.high_water}")

    def _check_same_chain(self, high_water: int, last_hash: str) -> None:
        """The server's view of our chain must be ours; a mismatch is never repaired here."""
        if high_water == 0:
            return
        with self.store.read() as conn:
            row = conn.execute("SELECT hash FROM journal WHERE seq = ?", (high_water,)).fetchone()
        if row is None or row[0] != last_hash:
            raise SyncError("chain_mismatch", detail=f"the server's entry {high_water} is not"
                                                     " this terminal's: call support")

    # pull -----------------------------------------------------------------------------------
    def pull(self, full: bool = False) -> int:
        """Apply the platform's changes page by page; returns how many records came. A pull
        cut off goes on from its cursor next time, a full one included (``pull_cursor``)."""
        cursor, progress = pull_cursor.begin(self.store, full)
        meter = pull_cursor.meter(self.client)      # the answers' bytes, for the progress
        records = 0
        while True:
            # Read before the page: this terminal's entries after it may be missing from the
            # page's snapshot, so its badge decisions among them win (kiosk.badges).
            acknowledged = self._pushed_seq()
            try:
                page = self.client.get(protocol.CHANGES, protocol.PullPage, params={
                    "cursor": cursor, "limit": protocol.MAX_PAGE_RECORDS,
                    protocol.OFFLINE_PARAM: "true"})
            except Refused as e:
                if e.body.error == "cursor_expired" and cursor:
                    log.warning("pull cursor expired: full resync")
                    cursor, progress = pull_cursor.from_scratch()
                    continue
                raise
            data = DataSet(**{k: v for k, v in page if k in _DATASET_FIELDS})
            state = {"pull_cursor": page.cursor}
            if page.offline is not None:    # what this terminal may sell while cut off
                state[offline.ALLOWANCE] = str(page.offline.allowance_cents)
                state[offline.TERMINALS] = str(page.offline.terminals)
            progress = pull_cursor.advance(progress, data, meter, page.has_more, state)
            counts = importer.apply(self.store, data, self.clock.now(), "pull",
                                    sync_state=state, references=False,
                                    acknowledged_seq=acknowledged, complete=not page.has_more)
            records += sum(counts.values())
            if not page.has_more:
                return records
            cursor = page.cursor

    # consistency ----------------------------------------------------------------------------
    def check_consistency(self) -> int:
        """Both sides agree on this terminal's chain up to the server's high-water mark. A
        server that holds less than we sent (restored from a backup) gets the rest again:
        returns how many entries that re-sent. Disagreement is reported, never repaired."""
        state = self.client.get(protocol.DEVICE, protocol.DeviceState)
        pushed = self.catch_up(state).replayed and self.push()
        self._check_same_chain(state.high_water, state.last_hash)
        if pushed:
            return pushed
        if state.high_water < self._pushed_seq():
            log.warning("server holds up to %d only (restored?): re-sending", state.high_water)
            self._set_state(pushed_seq=state.high_water)
            return self.push()
        return 0

    # one round --------------------------------------------------------------------------------
    def run_once(self, full: bool = False) -> dict:
        """Push, pull, push again (a sale made meanwhile), then the consistency check (which
        also catches a server restored behind us with nothing new to push). ``full``: the
        pull starts from scratch. Records the outcome in the store for the status bar;
        re-raises sync errors."""
        def round_() -> tuple[int, int]:
            self.catch_up()         # a store put back from a backup: its entries back first
            try:
                pushed = self.push()
            except Refused:         # a refused push never stops the pull
                self.pull(full=full)
                raise
            pulled = self.pull(full=full)
            photo_fetch.fetch_missing(self.store.conn, self.store.path.parent, self.client)
            pushed += self.push()
            return pushed + self.check_consistency(), pulled
        pushed, pulled = self._contact(round_)
        self.report_health()
        return {"pushed": pushed, "pulled": pulled, "waiting": self.waiting()}

    def report_health(self) -> bool:
        """Tell the platform how this terminal is (``kiosk.health_report``), once per round:
        never per sale. A platform older than the call (404), or one gone since the round,
        costs nothing but this report: the round already succeeded."""
        try:
            report = health_report.collect(self.store, self.clock.now(), self.clock_offset)
            self.client.post(protocol.HEALTH, report, protocol.HealthAck)
        except (ComptoirError, ValueError) as e:
            log.info("health not reported: %s", getattr(e, "code", type(e).__name__))
            return False
        return True

    def catch_up(self, state: protocol.DeviceState | None = None) -> recovery.Recovered:
        """The platform holds entries of this terminal that its journal lacks (a store put
        back from an older backup): fetch them back and continue the chain (kiosk.recovery)."""
        if state is None:       # the platform's clock, read on the way (the health report)
            asked = self.clock.now()
            state = self.client.get(protocol.DEVICE, protocol.DeviceState)
            answered = self.clock.now()
            with contextlib.suppress(ValueError):
                self.clock_offset = (parse_iso_utc(state.server_time) - (
                    asked + (answered - asked) / 2)).total_seconds()
        return recovery.catch_up(self.store, (state.high_water, state.last_hash),
                                 lambda after, limit: self.client.get(
                                     protocol.JOURNAL, protocol.JournalPage,
                                     params={"after": after, "limit": limit}), self.clock.now())

    def _contact(self, exchange: Callable[[], T]) -> T:
        """Run one exchange with the platform and record its outcome in ``sync_state``: the
        status bar shows it, and the counter reads from it whether the platform can be
        reached (``kiosk.offline``: a failure counts from the first one)."""
        try:
            result = exchange()
        except Exception as e:
            what = e.message("en") if isinstance(e, ComptoirError) else type(e).__name__
            # the same as code and parameters: a screen says it in its own language
            coded = json.dumps({"code": e.code, "params": e.params}, default=str) \
                if isinstance(e, ComptoirError) else ""
            try:
                self._set_state(status=agent_health.status_of(e),
                                last_error=what, last_error_coded=coded,
                                last_error_at=iso_utc(self.clock.now()))
            except ComptoirError:       # the store cannot take it (disk full): said elsewhere
                log.warning("could not record the failed exchange")
            raise
        self._set_state(status="online", last_success_at=iso_utc(self.clock.now()), last_error="",
                        last_error_coded="")
        return result

    def _heartbeat_due(self, now: datetime) -> bool:
        """An idle terminal still tells the platform, and itself, that the link works."""
        last = self.store.sync_state(offline.LAST_SUCCESS)
        try:
            return last is None or abs(now - parse_iso_utc(last)) >= offline.HEARTBEAT
        except ValueError:
            return True

    def waiting(self) -> int:
        return self._last_seq() - self._pushed_seq()

    def _last_seq(self) -> int:
        with self.store.read() as conn:
            return journal.last_link(conn)[0]

    def _pushed_seq(self) -> int:
        return int(self.store.sync_state("pushed_seq") or "0")

    def _set_state(self, **values: object) -> None:
        with self.store.write() as conn:
            for key, value in values.items():
                self.store.set_kv(conn, "sync_state", key, value)

    # daemon -------------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Push as soon as there is something to push, pull every ``pull_minutes``, a full
        resync with the consistency check every night; back off (with jitter) when the
        platform cannot be reached."""
        next_pull = self.clock.now()
        watch = agent_health.CredentialsWatch(self.store.path.parent, self.config.sync.allow_http)
        while not stop.is_set():
            now = self.clock.now()
            if watch.reload(self.client):       # re-enrolled while running: go on at once
                next_pull = now
                self.backoff.succeeded()
            backup.nightly_if_due(self.store, self.config, now)    # online or not
            try:
                full = self._nightly_due(now)
                if full or now >= next_pull:
                    self.run_once(full=full)
                    if full:
                        self._set_state(nightly_done_on=self._local_day(now))
                    next_pull = now + timedelta(minutes=self.config.sync.pull_minutes)
                elif self.waiting():
                    self._contact(self.push)
                elif self._heartbeat_due(now):
                    self._contact(self.check_consistency)
                self.backoff.succeeded()
                stop.wait(poll_seconds)
            except Exception as e:      # the daemon outlives any one failed round
                what = e.message("en") if isinstance(e, ComptoirError) else type(e).__name__
                log.warning("sync failed: %s", what)
                if not isinstance(e, ComptoirError):
                    log.exception("unexpected error in the sync round")
                watch.wait(stop, self.backoff.failed(), poll_seconds)

    def _nightly_due(self, now: datetime) -> bool:
        local = now.astimezone(self.config.tz)
        due = local.strftime("%H:%M") >= self.config.sync.nightly_at
        return due and self.store.sync_state("nightly_done_on") != local.date().isoformat()

    def _local_day(self, now: datetime) -> str:
        return now.astimezone(self.config.tz).date().isoformat()
