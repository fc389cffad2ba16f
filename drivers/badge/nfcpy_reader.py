"""NFC readers driven by nfcpy: USB readers (Sony RC-S380, ACR122U, PN53x boards), serial
ones (``tty:USB0:pn532``), and nfcpy's UDP test driver (``udp``, ``udp:HOST:PORT``) -- any
path ``nfc.ContactlessFrontend.open`` accepts (``[reader] nfc_device``).

The loop, in the reader's thread:

1. open the device; while it cannot be opened, report DISCONNECTED (or ERROR) with the reason
   and try again every half second, so the reader is back within a second of being plugged in;
2. sense each technology once in turn (``sense(..., iterations=1)``: one short poll, so that
   ``stop()`` is answered between two polls rather than after nfcpy's default five);
3. a card found → its identifier (NFC-A: the UID from anticollision; NFC-B: the PUPI;
   NFC-F: the IDm) → normalised UID → one event;
4. then poll for *that* card until it has been gone for ``gone_after`` seconds: a card left on
   the reader is one event, and a card taken away and presented again is a second one.

Why ``sense`` and not ``connect(rdwr=...)``: ``connect`` swallows the IOError that says the
reader was unplugged (it returns False) and activates the card (READ / RATS / GET_VERSION),
whose presence check then depends on the card type -- a MIFARE Classic, the most common
school badge, refuses an unauthenticated READ, and would look like a card tapped again and
again. Only the identifier is needed, and re-selecting the same UID answers "still there?"
for every NFC-A card. Phones and other peer-to-peer devices are ignored, as nfcpy does.
"""
from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import nfc
import nfc.clf
from nfc.clf import RemoteTarget

from drivers.badge.base import (
    BadgeReader,
    ReaderConfigError,
    ReaderSettings,
    ReaderState,
)

log = logging.getLogger(__name__)

DEFAULT_TARGETS = ("106A", "106B", "212F")


class _QuietRetries(logging.Filter):
    """nfcpy logs two lines per failed ``open``; retried twice a second while a reader is
    unplugged, that would fill the log. The reader's state change is logged once instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        return not (msg.startswith("searching for reader on path")
                    or msg.startswith("no reader available on path"))


logging.getLogger("nfc.clf").addFilter(_QuietRetries())


class NfcpyReader(BadgeReader):
    name = "nfc"
    RETRY_SECONDS = 0.5

    def __init__(self, path: str = "usb", targets: Iterable[str] = DEFAULT_TARGETS, *,
                 poll_seconds: float = 0.1, gone_after: float = 0.3,
                 frontend_factory: Callable[[], Any] = nfc.ContactlessFrontend) -> None:
        """``targets``: the technologies polled, in nfcpy's bit-rate notation. ``poll_seconds``:
        the pause between two presence checks of a card on the reader. ``gone_after``: how long
        a card must stay unseen to count as taken away (a hand wobbling over the antenna is
        not a second tap). ``frontend_factory`` makes an unopened ContactlessFrontend."""
        super().__init__()
        if not path:
            raise ValueError("an nfcpy device path is needed (usb, usb:VID:PID, tty:..., udp)")
        self.path = path
        self.targets = list(targets)
        self.poll_seconds = poll_seconds
        self.gone_after = gone_after
        self._frontend_factory = frontend_factory
        self._clf_lock = threading.Lock()
        self._clf = None

    @classmethod
    def from_config(cls, section: ReaderSettings) -> NfcpyReader:
        if not section.nfc_device:
            raise ReaderConfigError("reader.nfc_device: empty (usb, usb:VID:PID, tty:..., udp)")
        return cls(section.nfc_device)

    # -- the loop --------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                clf = self._open()
                if clf is None:
                    self._stopping.wait(self.RETRY_SECONDS)
                    continue
                try:
                    self._read_cards(clf)
                except OSError as exc:      # nfcpy's drivers raise IOError(ENODEV) when unplugged
                    self._set_state(ReaderState.DISCONNECTED,
                                    f"NFC reader {self.path} unplugged or not answering "
                                    f"({exc.strerror or exc})")
                except Exception as exc:    # noqa: BLE001 - a driver bug: report, reopen, go on
                    log.exception("reader %s: unexpected error from nfcpy", self.name)
                    self._set_state(ReaderState.ERROR,
                                    f"NFC reader {self.path}: {type(exc).__name__}: {exc}")
                self._close()
                if not self._stopping.is_set():
                    self._stopping.wait(self.RETRY_SECONDS)
        finally:
            self._close()

    def _open(self):
        clf = self._frontend_factory()
        try:
            opened = clf.open(self.path)
        except OSError as exc:
            state, why = ReaderState.DISCONNECTED, exc.strerror or str(exc)
            code = "not_found"
            if exc.errno == errno.EACCES:
                state, why = ReaderState.ERROR, ("no permission to use it (udev rule, or the "
                                                 "kiosk's user in the 'plugdev' group)")
                code = "setup"
            elif exc.errno == errno.EBUSY:
                state, why = ReaderState.ERROR, ("in use by another program or by the kernel's "
                                                 "pn533 driver (blacklist it)")
                code = "setup"
            self._set_state(state, f"NFC reader {self.path}: {why}", code)
            return None
        except (ValueError, TypeError) as exc:
            self._set_state(ReaderState.ERROR, f"NFC reader path {self.path!r}: {exc}", "setup")
            return None
        if not opened:
            self._set_state(ReaderState.DISCONNECTED, f"no NFC reader found at {self.path}",
                            "not_found")
            return None
        with self._clf_lock:
            self._clf = clf
        self._set_state(ReaderState.CONNECTED)
        return clf

    def _close(self) -> None:
        with self._clf_lock:
            clf, self._clf = self._clf, None
        if clf is not None:
            try:
                clf.close()
            except Exception:   # noqa: BLE001 - closing a reader that is already gone
                log.debug("reader %s: close failed", self.name, exc_info=True)

    def _read_cards(self, clf: Any) -> None:
        targets = list(self.targets)
        while not self._stopping.is_set():
            for brty in list(targets):
                if self._stopping.is_set():
                    return
                try:
                    found = clf.sense(RemoteTarget(brty), iterations=1)
                except nfc.clf.UnsupportedTargetError as exc:
                    self._drop_target(targets, brty, exc)
                    continue
                except ValueError as exc:   # the PN53x drivers say "unsupported bitrate" so
                    if "unsupported" not in str(exc):
                        raise
                    self._drop_target(targets, brty, exc)
                    continue
                if found is not None and not _is_peer_to_peer(found):
                    self._card_presented(clf, found)
            if not targets:
                raise nfc.clf.UnsupportedTargetError(
                    f"the reader can poll none of {', '.join(self.targets)}")

    def _drop_target(self, targets: list[str], brty: str, exc: Exception) -> None:
        targets.remove(brty)
        log.warning("reader %s: %s cards cannot be read with this reader (%s)", self.name,
                    brty, exc)

    def _card_presented(self, clf: Any, target: Any) -> None:
        ident = identifier(target)
        if not ident:           # no identifier: no UID either
            log.warning("reader %s: ignored a %s card without an identifier", self.name,
                        target.brty)
        else:                   # checked (length, blank, cascade fragment) by _emit
            self._emit(bytes(ident), ident.hex().upper())
        self._wait_until_gone(clf, target, ident)

    def _wait_until_gone(self, clf: Any, target: Any, ident: bytes | None) -> None:
        probe = _probe_for(target)
        last_seen = time.monotonic()
        while not self._stopping.wait(self.poll_seconds):
            try:
                again = clf.sense(probe, iterations=1)
            except nfc.clf.CommunicationError:
                again = None
            if again is not None and identifier(again) == ident:
                last_seen = time.monotonic()
            elif time.monotonic() - last_seen >= self.gone_after:
                return


def identifier(target: Any) -> bytes | None:
    """The card's identifier as nfcpy found it when sensing (no command sent to the card).

    >>> identifier(RemoteTarget("106A", sdd_res=bytearray.fromhex("04A1B2C3"))).hex()
    '04a1b2c3'
    """
    if target.sdd_res is not None:                      # NFC-A: the UID (4, 7 or 10 bytes)
        return bytes(target.sdd_res)
    if target.rid_res is not None:                      # Type 1 (Topaz): HR0 HR1 UID0..3
        return bytes(target.rid_res[2:6])
    if target.sensb_res is not None:                    # NFC-B: the PUPI
        return bytes(target.sensb_res[1:5])
    if target.sensf_res is not None:                    # NFC-F (FeliCa): the IDm
        return bytes(target.sensf_res[1:9])
    return None


def _is_peer_to_peer(target: Any) -> bool:
    # The same test as nfcpy's default 'on-discover': a phone offering NFC-DEP is no badge.
    if target.sel_res and target.sel_res[0] & 0x40:
        return True
    return bool(target.sensf_res and bytes(target.sensf_res[1:3]) == b"\x01\xFE")


def _probe_for(target: Any) -> RemoteTarget:
    """What to sense to ask "is this very card still there?". For NFC-A, a selection of its
    UID (``sel_req``), which any card answers in any state, MIFARE Classic included."""
    if target.sdd_res is not None:
        return RemoteTarget(target.brty, sel_req=bytearray(target.sdd_res))
    return RemoteTarget(target.brty)
