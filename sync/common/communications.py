"""Belgian structured communications (OGM/VCS), the wallet's reference on a bank transfer:
10 digits and their 2-digit mod-97 check, written ``+++xxx/xxxx/xxxxx+++``. Both ends use
them: the platform makes one for each new wallet and matches bank statements by it, the
terminal prints it on top-up slips and in the EPC QR code. Validation is python-stdnum's
(``stdnum.be.ogm_vcs``); a bad one is a ``ValueError`` that says why, in an office worker's
words.

>>> structured_communication(909337554)
'+++090/9337/55493+++'
>>> validate_structured_communication("090933755493")
'+++090/9337/55493+++'
>>> is_valid_structured_communication("+++090/9337/55494+++")
False
"""
from __future__ import annotations

from stdnum.be import ogm_vcs
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError


def structured_communication(number: int) -> str:
    """The structured communication for a 10-digit ``number`` (1 ≤ number < 10¹⁰): the number,
    then its two mod-97 check digits, formatted ``+++xxx/xxxx/xxxxx+++``.

    >>> structured_communication(1)
    '+++000/0000/00101+++'
    """
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 10**10:
        raise ValueError(f"a structured communication is made from 1 to 9999999999, not {number!r}")
    base = f"{number:010d}"
    return formatted(base + ogm_vcs.calc_check_digits(base))


def validate_structured_communication(text: str) -> str:
    """``text`` as ``+++xxx/xxxx/xxxxx+++`` if it is a valid structured communication (with or
    without the ``+++`` and separators); otherwise a ``ValueError`` that says why.

    >>> validate_structured_communication("090/9337/55493")
    '+++090/9337/55493+++'
    >>> validate_structured_communication("+++090/9337/55494+++")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: +++090/9337/55494+++ is not a valid structured communication: its last two
    digits (the check) do not match; check for a typing error
    """
    try:
        return formatted(ogm_vcs.validate(str(text)))
    except ValidationError as e:
        raise ValueError(f"{text} is not a valid structured communication: {_why(e)}") from None


def is_valid_structured_communication(text: str) -> bool:
    return ogm_vcs.is_valid(str(text))


def communication_digits(text: str) -> str:
    """The 12 digits of a valid structured communication (what banks put in the structured
    reference field).

    >>> communication_digits("+++090/9337/55493+++")
    '090933755493'
    """
    return "".join(c for c in validate_structured_communication(text) if c.isdigit())


def formatted(digits: str) -> str:
    """12 digits as ``+++xxx/xxxx/xxxxx+++`` (what wallets hold and parents type)."""
    return "+++" + ogm_vcs.format(digits) + "+++"


def _why(error: ValidationError) -> str:
    if isinstance(error, InvalidChecksum):
        return "its last two digits (the check) do not match; check for a typing error"
    if isinstance(error, InvalidLength):
        return "it must have 12 digits"
    if isinstance(error, (InvalidFormat, InvalidComponent)):
        return "it contains characters that do not belong there"
    return str(error)
