"""Issue 13, point 8: reads that cannot be a badge are refused, the same way whatever the
reader, with a "tap again" the canteen worker can read; and the output formats real
keyboard-wedge readers document are ``[reader]`` settings, each tested with the example its
manual gives (the source is quoted beside each vector).

The PC/SC reader's refusal is tested on the real stack in tests/test_reader_pcsc.py."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest

from drivers.badge import open_reader
from drivers.badge.base import EM, ISO, ReaderState, RefusedRead, UnlikelyRead, check_read
from drivers.badge.simulated import SimulatedReader
from drivers.badge.wedge import WedgeParser, WedgeReader
from kiosk.config import ReaderSection
from kiosk.hardware import refused_read_message
from tests.readers import started  # noqa: F401 (a fixture)

# (source, [reader] settings, what the reader types, the badge UID the terminal must get)
MANUAL_VECTORS = [
    # zgznk "09A-EMID-6H10D id card reader (USB)", section "ID card number output format"
    # (http://www.zgznk.com/product/product49_en.html): 'Format 0 ... 10 Hex format ...
    # "01026F6C3A"' and 'Format 2: ... 8H --- 10D. About "026F6C3A" convert: "0040856634."'
    ("zgznk 09A-EMID 10H", dict(wedge_format="hex"), "01026F6C3A", "01026F6C3A"),
    ("zgznk 09A-EMID 8H10D", dict(wedge_format="8h10d"), "0040856634", "026F6C3A"),
    # NITGEN eNCard-i User guide p. 56, "Card format"
    # (https://manualshive.com/en/manual/nitgen/encard-i/1696386?page=56):
    # RF card (5 bytes) 08h 01h 16h 1Dh D6h: "Hexadecimal 0801161DD6 10digits hexadecimal";
    # "10 Digit Decimal 0018226646 Posterior 4byte: 10digits decimal (01161DD6h)".
    ("NITGEN eNCard-i RF hexadecimal", dict(wedge_format="hex"), "0801161DD6", "0801161DD6"),
    ("NITGEN eNCard-i RF 10 digit", dict(wedge_format="8h10d"), "0018226646", "01161DD6"),
    # Same page, SC card (4 bytes) 52h 9Dh 06h E3h: "Standard 529D06E3 8 digits hexadecimal";
    # "Hexadecimal E3069D52 8 digits hexadecimal with changing the order of byte";
    # "10 Digit Decimal 1386022627 hexadecimal 529D06E3: 10 digits decimal";
    # "3,5 Digit Decimal 3808861522 hexadecimal E3069D52: 10 digits decimal".
    ("NITGEN eNCard-i SC standard", dict(wedge_format="hex"), "529D06E3", "529D06E3"),
    ("NITGEN eNCard-i SC byte order changed", dict(wedge_format="hex", wedge_reverse_bytes=True),
     "E3069D52", "529D06E3"),
    ("NITGEN eNCard-i SC 10 digit", dict(wedge_format="decimal10"), "1386022627", "529D06E3"),
    ("NITGEN eNCard-i SC reversed 10 digit",
     dict(wedge_format="decimal10", wedge_reverse_bytes=True), "3808861522", "529D06E3"),
    # Sintronic, "The principle and method of 10-digit EM card to 8-digit card number"
    # (http://sintronictech.com/En/download/...): 'a card is printed as follows: 0013961168
    # 213 02000 ... The 10-digit card number 0013961168 converted to hexadecimal is 00 D5 07 D0'
    ("Sintronic EM 10-digit", dict(wedge_format="8h10d"), "0013961168", "00D507D0"),
    # RF IDeas pcProx Plus manual 99009010 Rev U, p. 55
    # (https://manualshive.com/ru/manual/rf-ideas/pcprox-plus/1450017?page=55): "set
    # configuration #1 to keystroke out card ID preceded by #1/ ... rfid:char.1='#'
    # rfid:char.2='1' rfid:char.3='/'" and "rfid:chr.eol='\x0D' ... Typically a carriage
    # return (CR) (0x0D) is used." (the card ID here: the 4-byte UID in hex)
    ("pcProx Plus pre-card-ID delimiters, CR", dict(wedge_format="hex", wedge_prefix="#1/"),
     "#1/529D06E3\r", "529D06E3"),
    ("trailing delimiters", dict(wedge_format="decimal10", wedge_suffix=";"), "1386022627;",
     "529D06E3"),
    # separators between bytes, the other way round (readers' "Hex Reversed" with ':' / ' ')
    ("hex with ':' reversed", dict(wedge_format="hex", wedge_reverse_bytes=True),
     "e3:06:9d:52", "529D06E3"),
    ("hex with spaces", dict(wedge_format="hex"), "08 01 16 1D D6", "0801161DD6"),
]


def section(**settings) -> ReaderSection:
    return ReaderSection(backend="wedge", **settings)


@pytest.mark.parametrize("source, settings, typed, uid", MANUAL_VECTORS,
                         ids=[v[0] for v in MANUAL_VECTORS])
def test_manual_vectors_through_the_configured_reader(source, settings, typed, uid, started):
    text = typed if typed.endswith(("\r", "\n")) else typed + "\n"
    reader = open_reader(section(wedge_device="-", **settings))
    assert isinstance(reader, WedgeReader)
    reader.device = io.StringIO(text)           # what the reader types, from the [reader] section
    rec = started(reader)
    rec.wait(lambda r: r.last_state[:2] == (ReaderState.DISCONNECTED, "input ended"), 2)
    assert rec.uids == [uid], (source, rec.refused)
    assert rec.refused == []


def test_a_missing_prefix_is_a_refused_read(started):
    reader = WedgeReader(io.StringIO("529D06E3\n#1/529D06E3\n"), WedgeParser("hex", prefix="#1/"))
    rec = started(reader)
    rec.wait(lambda r: r.last_state[:2] == (ReaderState.DISCONNECTED, "input ended"), 2)
    assert rec.uids == ["529D06E3"] and [r.code for r in rec.refused] == ["read_garbled"]


# -- one check for every reader --------------------------------------------------------------

# (what a reader read, its family, the refusal's code or the UID)
CHECKS = [
    ("88041122", ISO, "read_fragment"),       # CT + 3 bytes: level 1 of a 7-byte UID
    ("88A1B2C3", ISO, "read_fragment"),
    ("00000000", ISO, "read_blank"),
    ("FFFFFFFF", ISO, "read_blank"),
    ("00000000000000", ISO, "read_blank"),
    ("FFFFFFFFFF", EM, "read_blank"),
    ("0A0B0C", ISO, "read_length"),           # 3 bytes
    ("0411223344", ISO, "read_length"),       # 5 bytes: an EM4100 id, not a 13.56 MHz UID
    ("041122334455", ISO, "read_length"),     # 6
    ("041122334455667788", ISO, "read_length"),   # 9
    ("0411223344556677889900", ISO, "read_length"),   # 11
    ("04112233445566", EM, "read_length"),    # 7 bytes from an EM4100 reader
    ("zz", ISO, "read_garbled"),
    ("04A1B2C3", ISO, "04A1B2C3"),
    ("04:a1:b2:c3", ISO, "04A1B2C3"),
    ("04112233445566", ISO, "04112233445566"),    # 7
    ("88112233445566", ISO, "88112233445566"),    # 7 bytes may start with 88: not a fragment
    ("0312ABCDEF012345", ISO, "0312ABCDEF012345"),    # FeliCa IDm (nfcpy): 8
    ("0499887766554433221A", ISO, "0499887766554433221A"),   # 10
    ("01026F6C3A", EM, "01026F6C3A"),         # EM4100 id: 5
    ("88000001", EM, "88000001"),             # 8H10D of an EM id: 88 is no cascade tag there
    ("00000001", ISO, "00000001"),            # not all zero
]


@pytest.mark.parametrize("read, family, expected", CHECKS)
def test_check_read(read, family, expected):
    try:
        got = check_read(read, family)
    except UnlikelyRead as e:
        got = e.code
        assert read.upper().replace(":", "") not in e.detail     # never the number itself
    assert got == expected


def test_a_wedge_read_of_a_cascade_fragment_is_refused_with_tap_again(started):
    # A wedge reader typing only the first cascade level of a 7-byte UID (88 + 3 bytes): two
    # students whose badges share those bytes would pay for each other.
    typed = "88041122\n00000000\nFFFFFFFF\n0A0B0C\n041122334455\nhello\n04A1B2C3\n"
    reader = WedgeReader(io.StringIO(typed), WedgeParser("hex"))
    rec = started(reader)
    rec.wait(lambda r: r.last_state[:2] == (ReaderState.DISCONNECTED, "input ended"), 2)
    assert rec.uids == ["04A1B2C3"]
    assert [r.code for r in rec.refused] == ["read_fragment", "read_blank", "read_blank",
                                             "read_length", "read_length", "read_garbled"]
    assert all(r.reader == "wedge" and r.at > 0 for r in rec.refused)


def test_decimal_readers_are_checked_too(started):
    # 2290299425 = 0x88833221: a 13.56 MHz reader's decimal10 → fragment; from an EM reader
    # (8h10d) the same digits are an EM id's data bytes, where 88 means nothing.
    for fmt, expected in (("decimal10", ([], ["read_fragment"])),
                          ("8h10d", (["88833221"], []))):
        reader = WedgeReader(io.StringIO("2290299425\n0000000000\n"), WedgeParser(fmt))
        rec = started(reader)
        rec.wait(lambda r: r.last_state[:2] == (ReaderState.DISCONNECTED, "input ended"), 2)
        assert (rec.uids, [r.code for r in rec.refused][:-1]) == expected, fmt
        assert rec.refused[-1].code == "read_blank"


def test_the_simulated_reader_goes_through_the_same_check(started):
    reader = SimulatedReader()
    rec = started(reader)
    for uid in ("88:04:11:22", "00000000", "04A1B2C3"):
        reader.inject(uid)
    rec.wait(lambda r: len(r.events) + len(r.refused) == 3, 2)
    assert rec.uids == ["04A1B2C3"]
    assert [r.code for r in rec.refused] == ["read_fragment", "read_blank"]


@pytest.mark.parametrize("code, lang, text", [
    ("read_fragment", "fr", "Badge lu en partie seulement\xa0: représentez-le en le laissant bien "
                            "à plat sur le lecteur."),
    ("read_fragment", "nl", "Badge maar gedeeltelijk gelezen: houd hem opnieuw plat tegen de "
                            "lezer."),
    ("read_fragment", "en", "Badge read only in part: tap it again, holding it flat on the "
                            "reader."),
    ("read_blank", "fr", "Le lecteur n'a lu aucun numéro sur le badge\xa0: représentez-le."),
    ("read_blank", "nl", "De lezer las geen nummer op de badge: houd hem opnieuw tegen de lezer."),
    ("read_length", "fr", "Le lecteur a lu un numéro qu'aucun badge n'a\xa0: représentez le badge."),
    ("read_length", "en", "The reader read a number no badge has: tap the badge again."),
    ("read_garbled", "fr", "Badge mal lu\xa0: représentez-le."),
    ("read_garbled", "nl", "Badge verkeerd gelezen: houd hem opnieuw tegen de lezer."),
    ("something_new", "en", "The badge was misread: tap it again."),
])
def test_refusals_are_worded_for_the_canteen_worker(code, lang, text):
    assert refused_read_message(RefusedRead(code, "wedge", 0.0), lang) == text


def test_reader_test_command_shows_refused_reads(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "terminal.toml").write_text(
        '[reader]\nbackend = "wedge"\nwedge_device = "-"\nwedge_format = "hex"\n',
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "--data", str(folder),
                             "reader", "test", "--count", "1"], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write("88041122\n")
        proc.stdin.flush()
        time.sleep(0.2)
        proc.stdin.write("04A1B2C3\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, (out, err)
    assert ("lecture refusée\xa0: Badge lu en partie seulement\xa0: représentez-le en le laissant bien"
            " à plat sur le lecteur. (4 bytes starting with the cascade tag 88: the first part"
            " of a longer UID)") in out
    assert "badge 1\xa0: 04A1B2C3  →  04A1B2C3" in out
    assert "88041122" not in out
