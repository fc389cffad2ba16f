"""Issue 13, point 8, on the real app under Xvfb: a read the reader refuses (the first
cascade level of a 7-byte UID) tells the canteen worker to tap again, and charges nobody."""
from __future__ import annotations

from tests.ui.harness import login


def test_a_refused_read_says_tap_again_and_charges_nobody(driver, counter, shot):
    terminal = counter()
    login(driver, "Marie", "1234")
    banner = driver.app.root_view.ids.banner
    status = driver.app.root_view.ids.status
    driver.wait_for(lambda: "Lecteur OK" in driver.texts(status), what="the reader's state")
    driver.tap("Potage et pain\n1,00\xa0€")
    terminal.reader.inject("88:04:A1:B2")          # CT 88 + 3 bytes: half of a 7-byte UID
    driver.wait_for(lambda: "représentez-le" in banner.text, timeout=3, what="the tap-again banner")
    assert banner.text == ("Badge lu en partie seulement\xa0: représentez-le en le laissant bien à "
                           "plat sur le lecteur.")
    shot("refused-read")
    journal = terminal.service.store.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    assert journal == 0
