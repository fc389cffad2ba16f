"""Belgian payment helpers on real examples: structured communications, IBANs, and the EPC
QR code rendered to an image and read back by zbar."""
from __future__ import annotations

import pytest

from kiosk import payments
from kiosk.config import parse_config
from sync.common import communications
from sync.common.errors import ConfigError

SCHOOL_IBAN = "BE04 3631 3602 2231"          # the seeds' school account (valid)


def test_structured_communication_round_trip():
    assert communications.structured_communication(909337554) == "+++090/9337/55493+++"
    for n in (1, 42, 123456789, 9999999999):
        text = communications.structured_communication(n)
        assert communications.is_valid_structured_communication(text)
        assert communications.validate_structured_communication(text.strip("+").replace("/", "")) == text
    # the check is mod 97 of the first ten digits, 97 when that is 0
    assert communications.structured_communication(97) == "+++000/0000/09797+++"


@pytest.mark.parametrize("bad, why", [
    ("+++090/9337/55494+++", "check"),          # one digit off in the check
    ("+++090/9337/5549+++", "12 digits"),       # one digit missing
    ("+++090/9337/5549A+++", "characters"),
])
def test_bad_structured_communications_are_refused_with_a_reason(bad, why):
    assert not communications.is_valid_structured_communication(bad)
    with pytest.raises(ValueError, match=why):
        communications.validate_structured_communication(bad)


@pytest.mark.parametrize("number", [0, -1, 10**10, "12", True])
def test_structured_communication_needs_a_10_digit_number(number):
    with pytest.raises(ValueError):
        communications.structured_communication(number)


def test_iban():
    assert payments.validate_iban(SCHOOL_IBAN) == "BE04363136022231"
    assert payments.format_iban("be04363136022231") == SCHOOL_IBAN
    assert payments.bic_of(SCHOOL_IBAN) == "BBRUBEBB"
    for bad in ("BE05 3631 3602 2231", "BE04 3631 3602 223", "NL91ABNA0417164300", "hello"):
        assert not payments.is_valid_iban(bad)
        with pytest.raises(ValueError, match="not a valid Belgian IBAN"):
            payments.validate_iban(bad)


def test_school_iban_is_checked_when_the_configuration_is_read():
    assert parse_config({"school": {"iban": SCHOOL_IBAN}}).school.iban == SCHOOL_IBAN
    with pytest.raises(ConfigError, match="school.iban"):
        parse_config({"school": {"iban": "BE05 3631 3602 2231"}})


def test_epc_payload_fields():
    text = payments.epc_payload("Institut Saint-Michel", SCHOOL_IBAN, 2550, "+++090/9337/55493+++")
    fields = text.split("\n")
    assert fields[:4] == ["BCD", "002", "1", "SCT"]          # EPC v2, UTF-8, SEPA transfer
    assert fields[4:8] == ["BBRUBEBB", "Institut Saint-Michel", "BE04363136022231", "EUR25.5"]
    assert fields[9] == "090933755493"                       # structured reference
    for bad in ({"amount_cents": 0}, {"amount_cents": -5}, {"iban": "BE05363136022231"},
                {"communication": "+++090/9337/55494+++"}, {"name": " "}):
        args = {"name": "École", "iban": SCHOOL_IBAN, "amount_cents": 100,
                "communication": "+++090/9337/55493+++", **bad}
        with pytest.raises(ValueError):
            payments.epc_payload(**args)


def _zbar(png_path) -> list[str]:
    try:
        from pyzbar.pyzbar import decode
    except ImportError as e:       # a missing zbar is a failure to fix, never a skip
        pytest.fail(f"pyzbar/zbar not available ({e}): install libzbar0 and pyzbar (make test does)")
    from PIL import Image
    return [r.data.decode("utf-8") for r in decode(Image.open(png_path))]


def test_epc_qr_image_decodes_with_zbar_to_the_right_transfer(tmp_path):
    # (an ASCII name: zbar guesses the character set of byte-mode QR data and takes UTF-8
    # accents for Shift-JIS; banking apps read the EPC header's "1" = UTF-8 instead)
    name, amount, communication = "Institut Saint-Michel", 2000, "+++090/9337/55493+++"
    png = tmp_path / "topup.png"
    payments.epc_qr(name, SCHOOL_IBAN, amount, communication).save(png, scale=4)
    (decoded,) = _zbar(png)
    assert decoded == payments.epc_payload(name, SCHOOL_IBAN, amount, communication)
    lines = decoded.split("\n")
    assert lines[5] == name
    assert lines[6] == "BE04363136022231"
    assert lines[7] == "EUR20"
    assert lines[9] == "090933755493"


def test_the_screens_transfer_qr_is_the_slips(tmp_path):
    """The balance screen's QR (kiosk.ui.topup, no Kivy needed to make it) scans to the very
    transfer the printed slip encodes: the 12 digits in the structured reference field, the
    remittance text empty (issue 13, point 10)."""
    from kiosk.config import SchoolSection
    from kiosk.ui.topup import SUGGESTED_CENTS, epc_qr_png
    school = SchoolSection(name="Institut Saint-Michel", iban="BE04 3631 3602 2231", bic="")
    communication = "+++090/9337/55493+++"
    png = tmp_path / "screen.png"
    png.write_bytes(epc_qr_png(school, communication))
    (decoded,) = _zbar(png)
    slip = payments.epc_payload(school.name, school.iban, SUGGESTED_CENTS, communication)
    fields, expected = decoded.split("\n"), slip.split("\n")
    for i, name in enumerate(("service tag", "version", "character set", "identification",
                              "BIC", "name", "IBAN", "amount", "purpose", "reference", "text")):
        got = fields[i] if i < len(fields) else ""
        want = expected[i] if i < len(expected) else ""
        assert got == want, f"{name}: the screen's QR says {got!r}, the slip's {want!r}"
    assert fields[9] == "090933755493"


# -- what the mutation run (make mutation, docs/mutation.md) found unpinned -------------------
@pytest.mark.parametrize("bad, why", [
    ("BE05 3631 3602 2231", "its check digits do not match; check for a typing error"),
    ("BE04 3631 3602 2232", "its check digits do not match; check for a typing error"),
    # a digit missing or one too many: the office is told so, not "check digits"
    ("BE04 3631 3602 223", "a Belgian IBAN has 16 characters (BE and 14 digits)"),
    ("BE4236313602223", "a Belgian IBAN has 16 characters (BE and 14 digits)"),
    ("BE04 3631 3602 22311", "a Belgian IBAN has 16 characters (BE and 14 digits)"),
    # another country, letters, nothing
    ("NL91ABNA0417164300", "it must start with BE and contain digits only"),
    ("hello", "it must start with BE and contain digits only"),
    ("BE04 3631 3602 223X", "it must start with BE and contain digits only"),
    ("", "it must start with BE and contain digits only"),
])
def test_a_bad_iban_says_what_is_wrong(bad, why):
    with pytest.raises(ValueError) as e:
        payments.validate_iban(bad)
    assert str(e.value) == f"{bad} is not a valid Belgian IBAN: {why}"


def test_a_good_iban_is_valid_however_it_is_written():
    for text in (SCHOOL_IBAN, "be04363136022231", " BE04 3631 3602 2231 "):
        assert payments.is_valid_iban(text)
        assert payments.validate_iban(text) == "BE04363136022231"


PAYLOAD = {"name": "Institut Saint-Michel", "iban": SCHOOL_IBAN,
           "communication": "+++090/9337/55493+++"}


@pytest.mark.parametrize("amount", [0, -5, True, 12.5, "12"])
def test_an_epc_amount_is_a_positive_whole_number_of_cents(amount):
    with pytest.raises(ValueError, match=f"^the amount must be a positive number of cents, not {amount!r}$"):
        payments.epc_payload(amount_cents=amount, **PAYLOAD)


def test_one_cent_and_the_beneficiarys_name_from_1_to_70_characters():
    assert payments.epc_payload(amount_cents=1, **PAYLOAD).split("\n")[7] == "EUR0.01"
    for name in ("X", "É" * 70, "  Institut   Saint-Michel "):
        fields = payments.epc_payload(**{**PAYLOAD, "name": name}, amount_cents=100).split("\n")
        assert fields[5] == " ".join(name.split())
    for name in ("", "   ", "É" * 71):
        with pytest.raises(ValueError, match="^the beneficiary's name must have 1 to 70 characters"):
            payments.epc_payload(**{**PAYLOAD, "name": name}, amount_cents=100)


def test_a_bic_given_is_the_one_in_the_transfer(tmp_path):
    """The school's configured BIC wins over the one python-stdnum knows for the bank."""
    text = payments.epc_payload(amount_cents=100, bic="GEBABEBB", **PAYLOAD)
    assert text.split("\n")[4] == "GEBABEBB"
    png = tmp_path / "bic.png"
    payments.epc_qr(amount_cents=100, bic="GEBABEBB", **PAYLOAD).save(png, scale=4)
    assert _zbar(png) == [text]
