"""Badge UIDs as the store keeps them: upper-case hex, no separators, 4 to 10 bytes.

>>> normalise_uid("04:a2:2b:1c")
'04A22B1C'
>>> try:
...     normalise_uid("zz")
... except Refusal as e:
...     print(e.code)
bad_badge
"""
from __future__ import annotations

import re

from sync.common.errors import Refusal

_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"^(?:[0-9A-F]{2}){4,10}$")


def normalise_uid(raw: str) -> str:
    if isinstance(raw, str) and _HEX.match(raw):      # already normalised: the usual case
        return raw
    uid = _SEPARATORS.sub("", str(raw)).upper()
    if not _HEX.match(uid):
        # The raw value may be a real UID: personal data, so it is not echoed back.
        raise Refusal("bad_badge", detail=f"{len(uid)} caractères, attendu 8 à 20 hexadécimaux")
    return uid
