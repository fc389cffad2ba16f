"""Badge readers behind one interface (``base.BadgeReader``), chosen by the ``[reader]``
section of the terminal's configuration.

>>> from kiosk.config import ReaderSection
>>> reader = open_reader(ReaderSection(backend="simulated"))
>>> seen = []
>>> reader.start(seen.append)
>>> reader.inject("04:a1:b2:c3")
>>> reader.stop()
>>> [e.uid for e in seen]
['04A1B2C3']
"""
from __future__ import annotations

from drivers.badge.base import BadgeEvent, BadgeReader, ReaderState, Status

__all__ = ["BadgeEvent", "BadgeReader", "ReaderState", "Status", "open_reader"]


def open_reader(section) -> BadgeReader:
    """The reader the configuration asks for (not started). Backends are imported only when
    chosen, so a canteen with a PC/SC reader does not need nfcpy installed."""
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
    from sync.common.errors import ConfigError
    raise ConfigError(detail=f"reader.backend: unknown backend {backend!r}")
