"""Badge readers behind one interface (``base.BadgeReader``), chosen by the ``[reader]``
section of the terminal's configuration (any object with the section's attributes: the
terminal passes ``kiosk.config.ReaderSection`` through ``kiosk.hardware.open_reader``, which
also words the errors for people).

>>> from types import SimpleNamespace
>>> reader = open_reader(SimpleNamespace(backend="simulated", simulated_socket=""))
>>> seen = []
>>> reader.start(seen.append)
>>> reader.inject("04:a1:b2:c3")
>>> reader.stop()
>>> [e.uid for e in seen]
['04A1B2C3']
"""
from __future__ import annotations

from drivers.badge.base import (
    BadgeEvent,
    BadgeReader,
    InvalidUid,
    ReaderConfigError,
    ReaderError,
    ReaderSettings,
    ReaderState,
    RefusedRead,
    Status,
    check_read,
    normalise_uid,
)

__all__ = ["BadgeEvent", "BadgeReader", "InvalidUid", "ReaderConfigError", "ReaderError",
           "ReaderState", "RefusedRead", "Status", "check_read", "normalise_uid", "open_reader"]


def open_reader(section: ReaderSettings) -> BadgeReader:
    """The reader the configuration asks for (not started). Backends are imported only when
    chosen, so a canteen with a PC/SC reader does not need nfcpy installed. Settings that
    cannot work: ``ReaderConfigError``."""
    backend = section.backend
    if backend == "simulated":
        from drivers.badge.simulated import SimulatedReader
        return SimulatedReader.from_config(section)
    if backend == "pcsc":
        from drivers.badge.pcsc import PcscReader
        return PcscReader.from_config(section)
    if backend == "nfc":
        from drivers.badge.nfcpy_reader import NfcpyReader
        return NfcpyReader.from_config(section)
    if backend == "wedge":
        from drivers.badge.wedge import WedgeReader
        return WedgeReader.from_config(section)
    raise ReaderConfigError(f"reader.backend: unknown backend {backend!r}")
