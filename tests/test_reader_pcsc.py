"""The PC/SC badge reader against a real pcscd with vpcd's virtual reader and badges of our
own (tests/pcsc_stack.py): UIDs of every length, one event per tap, refusals, pcscd
restarting under a running reader, the reader-name filter, and ``comptoir reader test``.

pcscd notices a card 0.2–0.5 s after it is laid down (it polls): waits below are generous."""
from __future__ import annotations

import logging
import queue
import signal
import subprocess
import sys
import time

import pytest

from drivers.badge import BadgeEvent, ReaderState, Status, open_reader
from drivers.badge.pcsc import PcscReader
from kiosk.config import ReaderSection
from tests.pcsc_stack import FRIENDLY_NAME, StackMissing, VirtualCard, running_stack
from tests.pipes import rest_of

UID4, UID7, UID10 = "04A1B2C3", "04112233445566", "0499887766554433221A"
SEEN = 3.0          # a laid card gives its event well within this
QUIET = 1.2         # three of pcscd's polls: long enough for a wrong second event to show


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """One pcscd for the whole session (only one can run per machine), terminated at the end."""
    try:
        with running_stack(tmp_path_factory.mktemp("pcsc")) as s:
            yield s
    except StackMissing as e:
        pytest.fail(f"PC/SC test stack unavailable: {e}", pytrace=False)


@pytest.fixture
def cards(stack):
    """Makes badges; at the end takes them all off and waits until pcscd sees the slots
    empty, so that the next test starts with an empty reader (and a running pcscd)."""
    made: list[VirtualCard] = []

    def make(uid: str, status: bytes = b"\x90\x00", slot: int = 0) -> VirtualCard:
        card = stack.card(uid, status, slot)
        made.append(card)
        return card

    yield make
    for card in made:
        card.remove()
    if stack.proc is None or not stack.has_reader:     # a test failed while pcscd was down
        stack.stop()
        stack.start()
    for slot in ("00 00", "00 01"):
        stack.wait_slot(False, reader=f"{FRIENDLY_NAME} {slot}")


class Recorder:
    """The callbacks' side: events in a queue, state changes with their monotonic time."""

    def __init__(self) -> None:
        self.events: queue.Queue[BadgeEvent] = queue.Queue()
        self.timeline: list[tuple[float, Status]] = []

    def on_badge(self, event: BadgeEvent) -> None:
        self.events.put(event)

    def on_state(self, status: Status) -> None:
        self.timeline.append((time.monotonic(), status))

    def next_event(self, timeout: float = SEEN) -> BadgeEvent:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no badge event within {timeout} s; states: {self.timeline}") from None

    def assert_no_event(self, within: float = QUIET) -> None:
        try:
            event = self.events.get(timeout=within)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected badge event {event}")

    def wait_state(self, state: ReaderState, timeout: float = 5.0,
                   after: float = 0.0) -> tuple[float, Status]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, status in list(self.timeline):
                if status.state is state and at >= after:
                    return at, status
            time.sleep(0.01)
        raise AssertionError(f"reader never {state.value} within {timeout} s; states: {self.timeline}")


@pytest.fixture
def start_reader():
    started = []

    def start(reader_filter: str = "") -> tuple[PcscReader, Recorder]:
        reader, rec = PcscReader(reader_filter), Recorder()
        reader.start(rec.on_badge, rec.on_state)
        started.append(reader)
        return reader, rec

    yield start
    for reader in started:
        reader.stop()


def spaced(uid: str) -> str:
    return " ".join(uid[i:i + 2] for i in range(0, len(uid), 2))


def test_reads_4_7_and_10_byte_uids(stack, cards, start_reader, caplog):
    caplog.set_level(logging.DEBUG)
    reader, rec = start_reader()
    rec.wait_state(ReaderState.CONNECTED)
    assert reader.status == Status(ReaderState.CONNECTED, "")
    for uid in (UID4, UID7, UID10):
        card = cards(uid.lower())
        before = time.monotonic()
        with card:
            event = rec.next_event()
            assert event.at >= before and event.at <= time.monotonic()
        assert (event.uid, event.raw, event.reader) == (uid, spaced(uid), stack.reader_name)
        assert card.uid_requests == 1
        stack.wait_slot(False)
    assert rec.events.empty()
    assert caplog.records, "the reader logs its state changes"
    for uid in (UID4, UID7, UID10):
        assert uid not in caplog.text and spaced(uid) not in caplog.text


def test_card_left_on_reader_is_one_event_and_coming_back_is_another(stack, cards, start_reader):
    _, rec = start_reader()
    rec.wait_state(ReaderState.CONNECTED)
    card = cards(UID7).insert()
    first = rec.next_event()
    rec.assert_no_event(QUIET)              # still lying there: no stream of events
    assert card.uid_requests == 1
    card.remove()
    stack.wait_slot(False)
    rec.assert_no_event(0.2)                # leaving is not a tap
    card.insert()
    second = rec.next_event()
    assert (first.uid, second.uid) == (UID7, UID7) and second.at > first.at
    assert card.uid_requests == 2


def test_refusing_badge_gives_no_event_and_a_reason_without_uid(stack, cards, start_reader, caplog):
    caplog.set_level(logging.DEBUG)
    _, rec = start_reader()
    rec.wait_state(ReaderState.CONNECTED)
    refusing = cards(UID4, status=b"\x6A\x81")       # "function not supported"
    short = cards("0A0B0C")                           # a 3-byte UID: not a badge we know
    for card in (refusing, short):
        with card:
            deadline = time.monotonic() + SEEN
            while card.uid_requests == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert card.uid_requests == 1, "the reader asked the badge for its UID"
            rec.assert_no_event(0.5)
        stack.wait_slot(False)
    assert [s.state for _, s in rec.timeline] == [ReaderState.CONNECTED]   # stayed connected
    assert "status 6A81" in caplog.text and "3 bytes" in caplog.text
    assert UID4 not in caplog.text and spaced(UID4) not in caplog.text and "0A 0B 0C" not in caplog.text
    with cards(UID10):                                # and the next good badge is read
        assert rec.next_event().uid == UID10


def test_reads_that_cannot_be_a_badge_are_refused_with_a_reason(stack, cards):
    # Issue 13, point 8: the PC/SC reader's reads go through the same check as every
    # reader's: the first cascade level of a 7-byte UID, an all-zero UID, 5 bytes.
    reader, rec, refused = PcscReader(), Recorder(), queue.Queue()
    reader.start(rec.on_badge, rec.on_state, refused.put)
    try:
        rec.wait_state(ReaderState.CONNECTED)
        for uid, code in (("88041122", "read_fragment"), ("00000000", "read_blank"),
                          ("0411223344", "read_length")):
            with cards(uid):
                got = refused.get(timeout=SEEN)
            stack.wait_slot(False)
            assert (got.code, got.reader) == (code, stack.reader_name)
            assert uid not in got.detail
        with cards(UID7):
            assert rec.next_event().uid == UID7
        rec.assert_no_event(0.2)
    finally:
        reader.stop()


def test_badge_lying_on_the_reader_is_not_read_again_when_the_reader_restarts(stack, cards, start_reader):
    reader, rec = start_reader()
    card = cards(UID4).insert()
    assert rec.next_event().uid == UID4
    reader.stop()
    assert reader.status.state is ReaderState.DISCONNECTED
    reader.start(rec.on_badge, rec.on_state)
    rec.wait_state(ReaderState.CONNECTED, after=rec.timeline[-1][0])
    rec.assert_no_event(QUIET)
    card.remove()
    stack.wait_slot(False)
    card.insert()
    assert rec.next_event().uid == UID4


def test_pcscd_restart_disconnects_then_reconnects_within_2_s(stack, cards, start_reader):
    _, rec = start_reader()
    rec.wait_state(ReaderState.CONNECTED)
    with cards(UID4):
        assert rec.next_event().uid == UID4
        stopped = stack.stop()              # pcscd gone (and the badge's link with it)
        lost_at, lost = rec.wait_state(ReaderState.DISCONNECTED, timeout=5)
    assert lost_at <= stopped + 2.0, "the loss is seen at once, not after a long timeout"
    assert "pcscd" in lost.reason and "not running" in lost.reason
    # pcscd stays down a short while (no false recovery meanwhile), shorter than the reader's
    # retry period: a retry period much over 2 s then shows as a late reconnection below.
    time.sleep(0.3)
    assert rec.timeline[-1][1].state is ReaderState.DISCONNECTED
    launched = time.monotonic()
    ready = stack.start()                   # pcscd back, listing the reader
    back_at, _ = rec.wait_state(ReaderState.CONNECTED, timeout=6, after=lost_at)
    assert launched <= back_at <= ready + 2.0, (launched, ready, back_at)
    with cards(UID7):                       # a badge laid after the restart is read
        event = rec.next_event()
    assert (event.uid, event.reader) == (UID7, stack.reader_name)
    states = [s.state for _, s in rec.timeline]
    assert states == [ReaderState.CONNECTED, ReaderState.DISCONNECTED, ReaderState.CONNECTED]


def test_no_reader_plugged_in_then_one_appears(stack, cards, start_reader):
    stack.stop()
    stack.start(with_reader=False)          # pcscd runs, but without any reader
    _, rec = start_reader()
    _, status = rec.wait_state(ReaderState.DISCONNECTED, timeout=3)
    assert status.reason == "no PC/SC reader is plugged in" and status.code == "not_found"
    stack.stop()
    ready = stack.start()                   # the reader is there again
    back_at, _ = rec.wait_state(ReaderState.CONNECTED, timeout=5)
    assert back_at <= ready + 2.0
    with cards(UID4):
        assert rec.next_event().uid == UID4


def test_open_reader_from_config_uses_the_reader_name_filter(stack, cards):
    # Slot 00 01 is another reader for pcscd: the filter picks it, case-insensitively.
    reader = open_reader(ReaderSection(backend="pcsc", pcsc_reader="test pcd 00 01"))
    assert isinstance(reader, PcscReader)
    rec = Recorder()
    reader.start(rec.on_badge, rec.on_state)
    try:
        rec.wait_state(ReaderState.CONNECTED)
        with cards(UID4, slot=0):           # on the other reader: not this one's business
            stack.wait_slot(True)
            rec.assert_no_event(0.5)
        with cards(UID10, slot=1):
            event = rec.next_event()
        assert (event.uid, event.reader) == (UID10, f"{FRIENDLY_NAME} 00 01")
    finally:
        reader.stop()
    assert reader.status == Status(ReaderState.DISCONNECTED, "stopped", "stopped")


def test_reader_name_matching_nothing_says_so(stack):
    reader = open_reader(ReaderSection(backend="pcsc", pcsc_reader="ACR122"))
    rec = Recorder()
    reader.start(rec.on_badge, rec.on_state)
    try:
        _, status = rec.wait_state(ReaderState.DISCONNECTED, timeout=3)
        time.sleep(0.6)                     # it keeps looking, without flapping
    finally:
        reader.stop()
    assert "'ACR122'" in status.reason and "reader.pcsc_reader" in status.reason
    assert stack.reader_name in status.reason          # what it could have chosen
    assert [s.state for _, s in rec.timeline] == [ReaderState.DISCONNECTED] * 2   # …, then stopped


# -- comptoir reader test -------------------------------------------------------------------
def write_config(folder, reader_filter: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "terminal.toml").write_text(
        f'[reader]\nbackend = "pcsc"\npcsc_reader = "{reader_filter}"\n', encoding="utf-8")


def run_cli(folder, *args) -> subprocess.Popen:
    # No PYTHONUNBUFFERED: each line must reach a pipe (e.g. `| tee`) as it happens.
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--data", str(folder), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


def read_until(proc: subprocess.Popen, needle: str, lines: list[str], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} not shown; output so far: {''.join(lines)}")


def test_reader_test_command_shows_states_and_badges(stack, cards, tmp_path):
    write_config(tmp_path / "data", "PCD 00 00")
    proc = run_cli(tmp_path / "data", "reader", "test", "--count", "2")
    out: list[str] = []
    try:
        read_until(proc, "lecteur connecté", out)
        assert stack.reader_name in out[-1]
        for uid in (UID4, UID10):
            with cards(uid):
                read_until(proc, uid, out, timeout=SEEN + 1)
            stack.wait_slot(False)
        rest, err = rest_of(proc, timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(out) + rest
    assert proc.returncode == 0, err
    assert f"badge 1\xa0: {spaced(UID4)}  →  {UID4}" in text
    assert f"badge 2\xa0: {spaced(UID10)}  →  {UID10}" in text
    assert "2 badge(s) lu(s)." in text


def test_reader_test_command_fails_clearly_when_no_reader_matches(stack, tmp_path):
    write_config(tmp_path / "data", "Omnikey")
    proc = run_cli(tmp_path / "data", "reader", "test", "--seconds", "1.5")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1, (out, err)
    assert "lecteur déconnecté\xa0: no PC/SC reader's name contains 'Omnikey'" in out
    assert err.startswith("comptoir: Lecteur de badges indisponible\xa0: "
                          "no PC/SC reader's name contains 'Omnikey'")


def test_reader_test_command_stops_on_ctrl_c(stack, tmp_path):
    write_config(tmp_path / "data", "")
    proc = run_cli(tmp_path / "data", "reader", "test")
    out: list[str] = []
    try:
        read_until(proc, "lecteur connecté", out)
        proc.send_signal(signal.SIGINT)
        rest, err = rest_of(proc, timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "0 badge(s) lu(s)." in rest and err == ""


# -- which reader: the contactless slot of a dual-interface reader (issue 13, point 9) -------
# Names as pcscd (libccid) shows real readers' slots: the ACR1252U's contactless (PICC) and
# SAM slots, the brief's "ACS ACR1252 1S CL Reader PICC 0" as Windows names it; the OMNIKEY
# 5422's contact reader and its "5422CL" contactless one (HID's answer in
# hidglobal/HID-OMNIKEY-Sample-Codes#1: "contact card for a HID Global OMNIKEY 5422,
# contactless card for the one with CL suffix").
ACR_SAM = "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader SAM]"
ACR_PICC = "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader PICC]"
OMNIKEY = "HID Global OMNIKEY 5422 Smartcard Reader [OMNIKEY 5422 Smartcard Reader]"
OMNIKEY_CL = "HID Global OMNIKEY 5422 Smartcard Reader [OMNIKEY 5422CL Smartcard Reader]"


@pytest.fixture
def named_readers(stack):
    """``start(names)``: pcscd restarted with vpcd readers of these names, listed in this
    order (tests/pcsc_stack.py); the usual stack is back after the test."""
    def start(names: list[str]) -> list[str]:
        stack.stop()
        stack.start(names=names)
        from smartcard.System import readers
        listed = [str(r) for r in readers()]
        assert listed == [f"{n} {slot}" for n in names for slot in ("00 00", "00 01")], listed
        return listed
    yield start
    stack.stop()
    stack.start()


@pytest.mark.parametrize("names, used", [
    ([ACR_SAM, ACR_PICC], f"{ACR_PICC} 00 00"),          # the contact slot is listed first
    ([OMNIKEY, OMNIKEY_CL], f"{OMNIKEY_CL} 00 00"),
])
def test_the_contactless_slot_is_chosen_by_default(named_readers, names, used):
    listed = named_readers(names)
    assert listed[0] != used                  # "the first reader" would be the contact slot
    reader = open_reader(ReaderSection(backend="pcsc"))
    rec = Recorder()
    reader.start(rec.on_badge, rec.on_state)
    try:
        rec.wait_state(ReaderState.CONNECTED)
        assert reader.name == used
        assert reader.choice.why == "contactless"
    finally:
        reader.stop()


def test_a_configured_name_wins_and_contact_slots_alone_are_not_used(named_readers):
    named_readers([ACR_SAM, "Gemalto PC Twin Reader Contact"])
    reader = open_reader(ReaderSection(backend="pcsc", pcsc_reader="sam] 00 01"))
    rec = Recorder()
    reader.start(rec.on_badge, rec.on_state)
    try:
        rec.wait_state(ReaderState.CONNECTED)
        assert reader.name == f"{ACR_SAM} 00 01"
        assert reader.choice.why == "configured"
    finally:
        reader.stop()
    reader = open_reader(ReaderSection(backend="pcsc"))
    rec = Recorder()
    reader.start(rec.on_badge, rec.on_state)
    try:
        _, status = rec.wait_state(ReaderState.DISCONNECTED, timeout=3)
        assert status.reason.startswith(f"only contact slots found ({ACR_SAM} 00 00, ")
        assert reader.choice.why == "contact_only"
    finally:
        reader.stop()


def test_reader_test_lists_every_reader_and_says_which_and_why(named_readers, tmp_path):
    named_readers([ACR_SAM, ACR_PICC])
    write_config(tmp_path / "data", "")
    proc = run_cli(tmp_path / "data", "reader", "test", "--seconds", "1.5")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, (out, err)
    assert (f"Lecteurs PC/SC trouvés\xa0: 4\n"
            f"    {ACR_SAM} 00 00 (à contact)\n"
            f"    {ACR_SAM} 00 01 (à contact)\n"
            f"  → {ACR_PICC} 00 00 (sans contact)\n"
            f"    {ACR_PICC} 00 01 (sans contact)\n"
            f"Lecteur utilisé\xa0: {ACR_PICC} 00 00, car c'est la fente sans contact\n") in out
    assert f"lecteur connecté\xa0: {ACR_PICC} 00 00" in out


def test_reader_test_says_the_only_reader_and_the_configured_one(stack, tmp_path):
    write_config(tmp_path / "data", "PCD 00 01")
    out, err = run_cli(tmp_path / "data", "reader", "test", "--seconds", "1").communicate(timeout=20)
    assert (f"  → {FRIENDLY_NAME} 00 01 (type non précisé)\n"
            f"Lecteur utilisé\xa0: {FRIENDLY_NAME} 00 01, car son nom contient «\xa0PCD 00 01\xa0»"
            " (reader.pcsc_reader)\n") in out, (out, err)
    write_config(tmp_path / "data", "")
    out, err = run_cli(tmp_path / "data", "reader", "test", "--seconds", "1").communicate(timeout=20)
    assert (f"Lecteur utilisé\xa0: {FRIENDLY_NAME} 00 00, car c'est le premier lecteur et aucun nom"
            " de lecteur ne dit «\xa0sans contact\xa0»\xa0: indiquez reader.pcsc_reader pour en choisir"
            " un autre\n") in out, (out, err)


@pytest.mark.parametrize("readers, wanted, expected", [
    ([f"{ACR_SAM} 00 00", f"{ACR_PICC} 00 00"], "", (f"{ACR_PICC} 00 00", "contactless")),
    (["ACS ACR1252 1S CL Reader SAM 0", "ACS ACR1252 1S CL Reader PICC 0"], "",
     ("ACS ACR1252 1S CL Reader PICC 0", "contactless")),     # Windows' names
    (["Alcor Micro AU9540 00 00", "ACS ACR122U PICC Interface 00 00"], "",
     ("ACS ACR122U PICC Interface 00 00", "contactless")),   # a Belgian eID reader beside it
    (["Identiv uTrust 4701 F Dual Interface Reader [uTrust 4701 F Contact Reader] 00 00",
      "Identiv uTrust 4701 F Dual Interface Reader [uTrust 4701 F CL Reader] 01 00"], "",
     ("Identiv uTrust 4701 F Dual Interface Reader [uTrust 4701 F CL Reader] 01 00",
      "contactless")),
    (["SCM Microsystems Inc. SCL011 Contactless Reader 00 00"], "",
     ("SCM Microsystems Inc. SCL011 Contactless Reader 00 00", "contactless")),
    (["Alcor Micro AU9540 00 00"], "", ("Alcor Micro AU9540 00 00", "only")),
    ([f"{ACR_SAM} 00 00", "Alcor Micro AU9540 00 00", "Cherry ST-1144 00 00"], "",
     ("Alcor Micro AU9540 00 00", "first")),
    ([f"{ACR_SAM} 00 00"], "", (None, "contact_only")),
    ([f"{ACR_SAM} 00 00", f"{ACR_PICC} 00 00"], "SAM", (f"{ACR_SAM} 00 00", "configured")),
    ([f"{ACR_PICC} 00 00"], "Omnikey", (None, "no_match")),
    ([], "", (None, "no_reader")),
])
def test_choose_reader_on_real_readers_names(readers, wanted, expected):
    from drivers.badge.pcsc import choose_reader
    choice = choose_reader(readers, wanted)
    assert (choice.reader, choice.why) == expected
