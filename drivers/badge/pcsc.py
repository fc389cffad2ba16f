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

Which reader: the one whose name contains ``[reader] pcsc_reader`` when it is set; else the
contactless slot of the readers pcscd lists (a dual-interface reader shows a contact slot,
"... SAM" or "... Contact ...", beside its contactless one, "... PICC", "... CL ...",
"... Contactless ..."), else the only reader, else the first one that is not a contact slot
(``choose_reader``). ``comptoir reader test`` shows them all and which one it uses, and why.

>>> reader = PcscReader("ACR122")      # config: [reader] backend = "pcsc", pcsc_reader = "ACR122"
>>> reader.status.state.value
'disconnected'
>>> choose_reader(["HID Global OMNIKEY 5422 Smartcard Reader 0",
...                "HID Global OMNIKEY 5422CL Smartcard Reader 0"])
ReaderChoice(reader='HID Global OMNIKEY 5422CL Smartcard Reader 0', why='contactless', filter='')
"""
from __future__ import annotations

import logging
import re
import threading
from typing import NamedTuple

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


# What a reader's (slot's) name says of it. A contact marker wins: "ACS ACR1252 1S CL Reader
# [ACR1252 1S CL Reader SAM]" is the SAM slot of a contactless reader.
_CONTACT = re.compile(r"\b(?:contact|sam|icc)\b", re.IGNORECASE)
_CONTACTLESS = re.compile(r"\b(?:contactless|picc|cl|nfc)\b|\d+cl\b", re.IGNORECASE)
CONTACTLESS, CONTACT, UNKNOWN = "contactless", "contact", "unknown"


def slot_kind(name: str) -> str:
    """``contactless``, ``contact`` or ``unknown``, from a PC/SC reader's name.

    >>> [slot_kind(n) for n in ("ACS ACR1252 1S CL Reader PICC 0",
    ...                         "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader SAM] 00 01",
    ...                         "Alcor Micro AU9540 00 00")]
    ['contactless', 'contact', 'unknown']
    """
    if _CONTACT.search(name):
        return CONTACT
    return CONTACTLESS if _CONTACTLESS.search(name) else UNKNOWN


class ReaderChoice(NamedTuple):
    """The reader a ``PcscReader`` uses (None: none) and why: ``configured`` (its name
    contains ``filter``), ``contactless``, ``only`` (the only reader), ``first`` (several,
    none named contactless: the first that is not a contact slot); without a reader:
    ``no_reader``, ``no_match`` (nothing contains ``filter``), ``contact_only``."""
    reader: str | None
    why: str
    filter: str = ""


def choose_reader(readers: list[str], reader_filter: str = "") -> ReaderChoice:
    """Which of pcscd's ``readers`` reads badges (see the module's docstring)."""
    wanted = reader_filter.strip()
    if wanted:
        for reader in readers:
            if wanted.casefold() in reader.casefold():
                return ReaderChoice(reader, "configured", wanted)
        return ReaderChoice(None, "no_match" if readers else "no_reader", wanted)
    if not readers:
        return ReaderChoice(None, "no_reader")
    kinds = [slot_kind(r) for r in readers]
    if CONTACTLESS in kinds:
        return ReaderChoice(readers[kinds.index(CONTACTLESS)], "contactless")
    if UNKNOWN not in kinds:
        return ReaderChoice(None, "contact_only")
    if len(readers) == 1:
        return ReaderChoice(readers[0], "only")
    return ReaderChoice(readers[kinds.index(UNKNOWN)], "first")


def list_readers() -> list[str] | None:
    """The readers pcscd lists now (None: pcscd does not answer), for ``comptoir reader
    test``; the reader itself lists them in its own thread."""
    if scard is None:
        return None
    rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rv != scard.SCARD_S_SUCCESS:
        return None
    try:
        rv, readers = scard.SCardListReaders(context, [])
    finally:
        scard.SCardReleaseContext(context)
    if rv == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    return list(readers) if rv == scard.SCARD_S_SUCCESS else None


class _Lost(Exception):
    """The connection to pcscd or to the reader is gone; ``reason`` says why."""

    def __init__(self, reason: str, code: str = "service") -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


def _hex(code: int) -> str:
    return f"0x{code & 0xFFFFFFFF:08X}"


def _explain(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code).strip().rstrip('.')} ({_hex(code)})"


class PcscReader(BadgeReader):
    name = "pcsc"

    def __init__(self, reader_filter: str = "") -> None:
        super().__init__()
        self.reader_filter = reader_filter.strip()     # part of the reader's name; "": choose
        self.choice: ReaderChoice | None = None         # the last choice made (choose_reader)
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
                    self._set_state(ReaderState.DISCONNECTED, lost.reason, lost.code)
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
        """The reader ``choose_reader`` picks; waits for one to be plugged in."""
        while not self._stopping.is_set():
            rv, readers = scard.SCardListReaders(context, [])
            if rv == scard.SCARD_E_NO_READERS_AVAILABLE:
                readers = []
            elif rv != scard.SCARD_S_SUCCESS:
                raise _Lost(self._service_reason(rv))
            choice = choose_reader(readers, self.reader_filter)
            if choice != self.choice and choice.reader is not None:
                log.info("reader: using %r (%s; readers found: %s)", choice.reader, choice.why,
                         ", ".join(readers))
            self.choice = choice
            if choice.reader is not None:
                return choice.reader
            code = "setup"
            if choice.why == "no_reader":
                reason, code = "no PC/SC reader is plugged in", "not_found"
            elif choice.why == "no_match":
                reason = (f"no PC/SC reader's name contains {self.reader_filter!r} (check"
                          f" reader.pcsc_reader; readers found: {', '.join(readers)})")
            else:
                reason = (f"only contact slots found ({', '.join(readers)}): a badge needs a"
                          " contactless one; set reader.pcsc_reader to use one of them anyway")
            self._set_state(ReaderState.DISCONNECTED, reason, code)
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
                raise _Lost(f"the reader {reader!r} was unplugged", "unplugged")
            if rv != scard.SCARD_S_SUCCESS:
                raise _Lost(self._service_reason(rv))
            state = new_states[0][1]
            if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE | scard.SCARD_STATE_UNAVAILABLE):
                raise _Lost(f"the reader {reader!r} was unplugged", "unplugged")
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
