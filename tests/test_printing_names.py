"""A student's name is recognisable on paper whatever its alphabet (issue 13, point 11): the
receipt's real ESC/POS bytes, decoded back, carry the name's own letters (code page
switching), its transliteration, or a picture of it with ink where the name is."""
from __future__ import annotations

from datetime import datetime

import pytest

from drivers.printer.dummy import DummyPrinter
from kiosk.receipts import pick_list, sale_receipt
from tests.escpos_decode import Decoded, PrintedImage, decode


def receipt(student: str, columns: int = 32, profile: str = "TM-T88V") -> Decoded:
    doc = sale_receipt(columns, school="Institut Saint-Michel", terminal="Cantine 1",
                       operator="Marie", when=datetime(2026, 11, 24, 12, 5), seq=17,
                       student=student,
                       lines=[{"qty": 1, "name": "Potage et pain", "total_cents": 100}],
                       total_cents=100, balances=[("Repas", 2300)])
    return decode(DummyPrinter(columns=columns, profile=profile).render(doc))


def after_operator_line(decoded: Decoded) -> object:
    """What the receipt prints where the student's name goes (after "Servi par ...")."""
    items = decoded.items
    at = next(i for i, item in enumerate(items)
              if not isinstance(item, tuple) and "Servi par" in item.text)
    return items[at + 1]


def ink_columns(image: PrintedImage) -> list[int]:
    return [x for x in range(image.width) if any(image.dot(x, y) for y in range(image.height))]


@pytest.mark.parametrize("columns", [32, 42, 48])
@pytest.mark.parametrize("name", ["Łukasz Kőrösi-Žák (3B)", "Ивана Петровић (4C)",
                                  "Ögeday Çağlar (1A)"], ids=["central-european", "cyrillic", "turkish"])
def test_names_print_their_own_letters_through_code_pages(name, columns):
    decoded = receipt(name, columns)
    assert name in decoded.text_lines, decoded.text
    assert "?" not in decoded.text
    assert decoded.codepages[0] == 19 and len(set(decoded.codepages)) > 1   # PC858, then others
    assert not decoded.images


def test_letters_no_code_page_has_are_transliterated():
    assert "Stefan Nguyen (2C)" in receipt("Ștefan Nguyễn (2C)").text_lines
    # a printer whose profile has no Central European page: Ł and ő transliterated, ö kept
    old = receipt("Łukasz Kőrösi (3B)", profile="TM-T88III")
    assert "Lukasz Korösi (3B)" in old.text_lines, old.text
    assert "?" not in old.text


@pytest.mark.parametrize("name", ["محمد الأمين (3B)", "שירה כהן (2A)", "Zoé 😀 (1A)", "李小龙 (5B)"],
                         ids=["arabic", "hebrew", "emoji", "chinese"])
def test_names_in_other_scripts_print_as_a_picture(name):
    decoded = receipt(name)
    picture = after_operator_line(decoded)
    assert picture[0] == "image", f"{name!r} printed as {picture!r}"        # GS v 0, in place
    image = decoded.images[0]
    assert image.width == 32 * 12 and image.height == 24                    # one text line
    columns = ink_columns(image)
    assert image.ink > 100 and len(columns) > 40, image.art()
    assert "?" not in decoded.text
    assert "Potage et pain" in decoded.text                                 # the rest is text


def test_arabic_is_shaped_and_right_to_left():
    """Joined letters: محمد written with its letters' connected forms leaves no blank column
    between its first and last ink (isolated letters, unshaped, leave gaps)."""
    image = receipt("محمد").images[0]
    columns = ink_columns(image)
    assert columns and columns == list(range(columns[0], columns[-1] + 1)), image.art()
    # "(3B)" follows the Arabic name: in a right-to-left line it is on the name's left, and
    # the name (drawn as when alone) ends the line's ink on the right
    line = receipt("محمد (3B)").images[0]
    span = len(columns)
    right = ink_columns(line)[-span:]
    same = sum(image.dot(a, y) == line.dot(b, y)
               for a, b in zip(columns, right) for y in range(image.height))
    assert same >= 0.95 * span * image.height, line.art()


def test_pick_list_keeps_the_amount_flush_right_in_a_picture_line():
    doc = pick_list(42, day="2026-11-24", reservations=[
        {"class_name": "3B", "last_name": "العربي", "first_name": "محمد", "name": "Jambon",
         "quantity": 1}])
    decoded = decode(DummyPrinter(columns=42, profile="TM-T88V").render(doc))
    image = decoded.images[0]
    assert image.width == 42 * 12
    columns = ink_columns(image)
    assert columns[-1] >= image.width - 12 and columns[0] < 12 * 12, image.art()
