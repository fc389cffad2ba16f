"""The touch app when the terminal cannot reach the platform: a sale over the terminal's
offline share of the school's allowance is refused, and the screen says why (the rule:
docs/offline.md). The store's ``sync_state`` is written as the sync agent writes it after a
failed push."""
from __future__ import annotations

from datetime import timedelta

from kiosk.demo.school import Badge
from sync.common.clock import SystemClock, iso_utc
from tests.ui.harness import login
from tests.ui.test_ui_counter import entries, result_text, start_rush, tap_badge


def test_cut_off_terminal_says_why_it_refuses(driver, counter, shot):
    terminal = counter()
    store = terminal.service.store
    now = SystemClock().now()
    with store.write() as conn:     # a pull a minute ago, then the agent's push failed
        for key, value in (("last_success_at", iso_utc(now - timedelta(minutes=1))),
                           ("last_error_at", iso_utc(now - timedelta(seconds=1))),
                           ("status", "offline"),
                           ("offline_allowance_cents", 150), ("offline_terminals", 3)):
            store.set_kv(conn, "sync_state", key, value)
    login(driver, "Marie", "1234")
    start_rush(driver)                                          # soup, 1,00 € > 0,50 €
    sale = driver.screen()
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_outcome is not None)
    text = result_text(driver)
    assert sale.ids.result.kind == "refused"
    assert ("Hors ligne\xa0: plafond hors ligne de 0,50\xa0€ atteint pour «\xa0Portefeuille\xa0»"
            " (reste 0,50\xa0€).") in text
    shot("offline-limit")
    assert entries(terminal) == []
