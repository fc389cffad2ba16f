"""The version of Comptoir, as installed: ``setup.cfg``'s ``version`` is its one source;
setuptools writes it into the installed distribution's metadata, and this reads it back
(``importlib.metadata``). ``comptoir --version``, the sync client's User-Agent and what a
terminal reports to the platform all come from here, so they cannot disagree.

Run from a source tree that was never installed, there is no metadata: the version is then
``0+unknown`` (a valid PEP 440 version that sorts before every release), never a guess.
"""
from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version as _installed_version

DISTRIBUTION = "comptoir"
UNKNOWN = "0+unknown"


@cache
def version() -> str:
    """The installed version of the ``comptoir`` distribution (e.g. ``0.2.0.dev0``)."""
    try:
        return _installed_version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN


def user_agent(role: str = "terminal") -> str:
    """What our HTTP clients say they are, e.g. ``comptoir/0.2.0.dev0 (terminal)``.

    >>> user_agent() == f"comptoir/{version()} (terminal)"
    True
    """
    return f"{DISTRIBUTION}/{version()} ({role})"


__version__ = version()
