"""An operator's PIN: 4 to 8 digits, stored only as an Argon2id hash (OWASP parameters). One
rule for both ends: the terminal checks a PIN against the hash, the platform makes the hash
when the office sets or resets a PIN (and a hash made with other parameters would be made
again at the next login).

>>> PIN.match("0427") is not None, PIN.match("12a4") is None, len(new_pin())
(True, True, 6)
"""
from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher

# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
PIN = re.compile(r"^\d{4,8}$")
NEW_PIN_DIGITS = 6


def new_pin() -> str:
    """A PIN drawn at random (the office shows it once, to hand it to the operator)."""
    return "".join(secrets.choice("0123456789") for _ in range(NEW_PIN_DIGITS))
