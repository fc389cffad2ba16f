"""PC/SC badge reader (pyscard over pcscd): USB contactless readers such as ACR122U,
ACR1252U, Identiv uTrust, HID Omnikey 5x22.

One thread watches the reader with ``SCardGetStatusChange`` (``stop()`` interrupts it with
``SCardCancel``). When a card arrives it asks for the UID with the PC/SC part 3 pseudo-APDU
``FF CA 00 00 00``; only a ``90 00`` answer gives an event. A card left on the reader is one
event: the next one needs the card to leave (or pcscd's event counter to show that it left
and came back between two looks).

When pcscd stops or the reader is unplugged, the state becomes DISCONNECTED with the reason,
and the thread looks again every ``RETRY_SECONDS``: the reader is back within that of pcscd
(or the reader) coming back. A badge that was lying on the reader when the connection was
lost, and is still there when it comes back, is not read a second time.

Nothing here logs a UID (personal data): refusals and errors are logged with their reason.

>>> reader = PcscReader("ACR122")      # config: [reader] backend = "pcsc", pcsc_reader = "ACR122"
>>> reader.status.state.value
'disconnected'
"""
from __future__ import annotations

import logging
import threading

from drivers.badge.base import (
    BadgeReader,
    ReaderConfigError,
    ReaderSettings,
    ReaderState,
)

try:
    from smartcard import scard
except ImportError:          # reported by from_config, with what to install
    scard = None

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]     # PC/SC part 3: the contactless card's UID
RETRY_SECONDS = 0.5     # how often to look for pcscd or the reader again once lost
WAIT_MS = 1000          # longest single wait inside pcscd (stop() cancels it anyway)


# pcscd going away shows as one of these, depending on when it went: before the call, or
# during it (the socket closed: COMM_ERROR; reset: libpcsclite says SECURITY_VIOLATION, the
# code it also gives polkit's refusals). One reason for all: the state does not flap.
_SERVICE_GONE = () if scard is None else (
    scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_F_COMM_ERROR,
    scard.SCARD_W_SECURITY_VIOLATION)


class _Lost(Exception):
    """The connection to pcscd or to the reader is gone; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hex(code: int) -> str:
    return f"0x{code & 0xFFFFFFFF:08X}"


def _explain(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code).strip().rstrip('.')} ({_hex(code)})"


class PcscReader(BadgeReader):
    name = "pcsc"

    def __init__(self, reader_filter: str = "") -> None:
        super().__init__()
        self.reader_filter = reader_filter.strip()     # part of the reader's name; "": the first
        self._context: int | None = None               # for _wake's SCardCancel
        self._context_lock = threading.Lock()
        self._present_uid: str | None = None           # badge last read and not seen leaving

    @classmethod
    def from_config(cls, section: ReaderSettings) -> PcscReader:
        if scard is None:
            raise ReaderConfigError("reader.backend = \"pcsc\" needs pyscard: pip install pyscard"
                                    " (and the Debian packages pcscd libpcsclite-dev)")
        return cls(section.pcsc_reader)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._session()
            except _Lost as lost:
                if not self._stopping.is_set():
                    self._set_state(ReaderState.DISCONNECTED, lost.reason)
            self._stopping.wait(RETRY_SECONDS)

    def _wake(self) -> None:
        with self._context_lock:
            if self._context is not None:
                scard.SCardCancel(self._context)

    def _session(self) -> None:
        """One connection to pcscd, from SCardEstablishContext to its loss (or stop)."""
        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv == scard.SCARD_W_SECURITY_VIOLATION:     # pcscd's polkit check said no
            raise _Lost("the PC/SC service (pcscd) refused this user: its polkit rules must allow"
                        " it (or run the terminal in the local session)")
        if rv != scard.SCARD_S_SUCCESS:
            raise _Lost(self._service_reason(rv))
        with self._context_lock:
            self._context = context
        try:
            if self._stopping.is_set():      # stop() came before the context could be cancelled
                return
            reader = self._find_reader(context)
            if reader is not None:
                self._watch(context, reader)
        finally:
            with self._context_lock:
                self._context = None
            scard.SCardReleaseContext(context)

    def _find_reader(self, context: int) -> str | None:
        """The first reader whose name contains the filter; waits for one to be plugged in."""
        while not self._stopping.is_set():
            rv, readers = scard.SCardListReaders(context, [])
            if rv == scard.SCARD_E_NO_READERS_AVAILABLE:
                readers = []
            elif rv != scard.SCARD_S_SUCCESS:
                raise _Lost(self._service_reason(rv))
            wanted = self.reader_filter.casefold()
            for reader in readers:
                if wanted in reader.casefold():
                    return reader
            if not readers:
                reason = "no PC/SC reader is plugged in"
            else:
                reason = (f"no PC/SC reader's name contains {self.reader_filter!r} (check"
                          f" reader.pcsc_reader; readers found: {', '.join(readers)})")
            self._set_state(ReaderState.DISCONNECTED, reason)
            self._stopping.wait(RETRY_SECONDS)
        return None

    def _watch(self, context: int, reader: str) -> None:
        self.name = reader
        states = [(reader, scard.SCARD_STATE_UNAWARE)]
        was_present, first_look, events = False, True, -1
        while not self._stopping.is_set():
            rv, new_states = scard.SCardGetStatusChange(context, WAIT_MS, states)
            if rv in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                continue
            if rv in (scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE):
                raise _Lost(f"the reader {reader!r} was unplugged")
            if rv != scard.SCARD_S_SUCCESS:
                raise _Lost(self._service_reason(rv))
            state = new_states[0][1]
            if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE | scard.SCARD_STATE_UNAVAILABLE):
                raise _Lost(f"the reader {reader!r} was unplugged")
            self._set_state(ReaderState.CONNECTED)
            present = bool(state & scard.SCARD_STATE_PRESENT)
            # pcscd counts insertions and removals in the upper 16 bits: a change while the
            # card still shows present means it left and came back between two looks.
            counter = state >> 16
            if present and (not was_present or counter != events):
                if state & scard.SCARD_STATE_MUTE:
                    log.warning("reader %s: a badge does not answer (mute card): not read", reader)
                else:
                    self._read_badge(context, reader, first_look)
            elif not present:
                self._present_uid = None
            was_present, first_look, events = present, False, counter
            states = [(reader, state & ~scard.SCARD_STATE_CHANGED)]

    def _read_badge(self, context: int, reader: str, first_look: bool) -> None:
        rv, card, protocol = scard.SCardConnect(context, reader, scard.SCARD_SHARE_SHARED,
                                                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if rv != scard.SCARD_S_SUCCESS:
            if rv in _SERVICE_GONE:
                raise _Lost(self._service_reason(rv))
            log.warning("reader %s: badge not read, could not connect to it: %s", reader, _explain(rv))
            return
        try:
            pci = scard.SCARD_PCI_T0 if protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
            rv, response = scard.SCardTransmit(card, pci, GET_UID)
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        if rv != scard.SCARD_S_SUCCESS:
            log.warning("reader %s: badge not read, it stopped answering: %s", reader, _explain(rv))
            return
        data, sw = response[:-2], response[-2:]
        if sw != [0x90, 0x00]:
            status = "".join(f"{b:02X}" for b in sw) or "nothing"
            log.warning("reader %s: badge not read, it answered status %s to GET UID"
                        " (not a supported badge, or the reader refused)", reader, status)
            return
        raw = " ".join(f"{b:02X}" for b in data)
        uid = bytes(data).hex().upper()
        if first_look and uid == self._present_uid:
            log.info("reader %s: the badge lying on the reader before reconnecting is not read again",
                     reader)
            return
        self._present_uid = uid
        self._emit(bytes(data), raw)        # checked (length, blank, cascade fragment) there

    @staticmethod
    def _service_reason(code: int) -> str:
        if code in _SERVICE_GONE:
            return "the PC/SC service (pcscd) is not running"
        return f"PC/SC error: {_explain(code)}"
