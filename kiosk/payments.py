"""Belgian payment helpers: the school's IBAN, and the EPC ("SEPA credit transfer") QR code
that a parent scans with a banking app to top up. The wallet's structured communication is a
rule both ends share: ``sync.common.communications``.

Validation is python-stdnum's (``stdnum.be.iban``); the QR payload is
segno's (``segno.helpers.make_epc_qr``). Bad input is a ``ValueError`` whose message says what
is wrong, in words an office worker understands.

>>> format_iban("be04363136022231")
'BE04 3631 3602 2231'
>>> bic_of("BE04 3631 3602 2231")
'BBRUBEBB'
>>> print(epc_payload("Institut Saint-Michel", "BE04 3631 3602 2231", 2000,
...                   "+++090/9337/55493+++"))
BCD
002
1
SCT
BBRUBEBB
Institut Saint-Michel
BE04363136022231
EUR20
<BLANKLINE>
090933755493
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from stdnum.be import iban as be_iban
from stdnum.exceptions import ValidationError

from sync.common.communications import communication_digits

if TYPE_CHECKING:
    import segno

__all__ = ["validate_iban", "is_valid_iban", "format_iban", "bic_of", "epc_payload", "epc_qr"]


# -- IBAN -------------------------------------------------------------------------------------
def validate_iban(text: str) -> str:
    """A Belgian IBAN in its compact form (``BE04363136022231``), or a ``ValueError``.

    >>> validate_iban("BE05 3631 3602 2231")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: BE05 3631 3602 2231 is not a valid Belgian IBAN: its check digits do not match;
    check for a typing error
    """
    try:
        return be_iban.validate(str(text))
    except ValidationError:
        raise ValueError(f"{text} is not a valid Belgian IBAN: {_why(str(text))}") from None


def is_valid_iban(text: str) -> bool:
    return be_iban.is_valid(str(text))


def format_iban(text: str) -> str:
    """The IBAN in groups of four, as people read it on paper."""
    return be_iban.format(validate_iban(text))


def bic_of(text: str) -> str | None:
    """The BIC of a Belgian IBAN's bank, if python-stdnum knows the bank."""
    return be_iban.to_bic(validate_iban(text))


def _why(text: str) -> str:
    """What is wrong, by what the office can check on paper: the letters, the length, then the
    check digits (python-stdnum checks the check digits first, so a digit left out would be
    reported as a typing error in them). BE and 14 digits that python-stdnum refuses can only
    have wrong check digits."""
    compact = be_iban.compact(text)
    if not re.fullmatch(r"BE\d*", compact):
        return "it must start with BE and contain digits only"
    if len(compact) != 16:
        return "a Belgian IBAN has 16 characters (BE and 14 digits)"
    return "its check digits do not match; check for a typing error"


# -- EPC QR code ------------------------------------------------------------------------------
def epc_payload(name: str, iban: str, amount_cents: int, communication: str,
                bic: str | None = None) -> str:
    """The text of an EPC QR code (version 002, UTF-8) for a transfer of ``amount_cents`` to
    ``name``/``iban`` with the structured ``communication`` in the structured reference field
    (its 12 digits, as Belgian banks expect). The BIC defaults to the one of the IBAN's bank.
    Every part is validated first; a bad one is a ``ValueError``."""
    # segno's own payload builder, the one make_epc_qr encodes (private, but tests pin it: the
    # QR code made by make_epc_qr must decode to this very text).
    from segno.helpers import _make_epc_qr_data  # type: ignore[attr-defined]  # private: see above
    args = _epc_arguments(name, iban, amount_cents, communication, bic)
    return _make_epc_qr_data(*args[:3], **args[3]).decode("utf-8")


def _epc_arguments(name, iban, amount_cents, communication, bic):
    compact = validate_iban(iban)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError(f"the amount must be a positive number of cents, not {amount_cents!r}")
    name = " ".join(str(name).split())
    if not 0 < len(name) <= 70:
        raise ValueError(f"the beneficiary's name must have 1 to 70 characters, not {name!r}")
    return (name, compact, Decimal(amount_cents).scaleb(-2),
            {"reference": communication_digits(communication),
             "bic": bic or bic_of(compact), "encoding": "utf-8"})


def epc_qr(name: str, iban: str, amount_cents: int, communication: str,
           bic: str | None = None) -> segno.QRCode:
    """The EPC QR code as a ``segno.QRCode`` (error correction M, version ≤ 13), e.g. to save
    as PNG: ``epc_qr(...).save("topup.png", scale=4)``. Same validation as ``epc_payload``."""
    import segno.helpers
    args = _epc_arguments(name, iban, amount_cents, communication, bic)
    return segno.helpers.make_epc_qr(*args[:3], **args[3])
