"""How parents top up a wallet: a bank transfer to the school's IBAN with the wallet's own
structured communication, and the same as an EPC ("SEPA") QR code that banking apps scan.

>>> from kiosk.config import SchoolSection
>>> school = SchoolSection(name="Institut Saint-Michel", iban="BE71 0961 2345 6769", bic="GKCCBEBB")
>>> png = epc_qr_png(school, "+++090/9337/55493+++")
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> epc_qr_png(SchoolSection(), "+++090/9337/55493+++") is None     # no IBAN configured
True
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from kiosk.payments import epc_qr

if TYPE_CHECKING:
    from kiosk.config import SchoolSection

SUGGESTED_CENTS = 2000      # the QR needs an amount; parents can change it in their app


def epc_qr_png(school: SchoolSection, communication: str, amount_cents: int = SUGGESTED_CENTS,
               scale: int = 6) -> bytes | None:
    """The EPC QR code as PNG bytes, or None when the school's IBAN is not configured. It is
    the printed slip's transfer, made by the same function (``kiosk.payments.epc_qr``): the
    structured communication's 12 digits in the reference field, as Belgian banks expect."""
    if not school.iban:
        return None
    qr = epc_qr((school.name or "School")[:70], school.iban, amount_cents, communication,
                bic=school.bic.replace(" ", "") or None)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
