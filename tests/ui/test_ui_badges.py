"""The lost-badge section of the admin screen, on the real app under Xvfb: a supervisor
blocks a badge (a journal entry the sync pushes, said on screen to reach every terminal at
their next sync), then unblocks it from the same row (issue 13, point 1)."""
from __future__ import annotations

from kiosk.demo.school import Badge
from tests.ui.harness import login
from tests.ui.test_ui_counter import entries, result_text, start_rush, tap_badge


def test_block_then_unblock_a_lost_badge_from_the_admin_screen(driver, counter, shot):
    terminal = counter()
    login(driver, "Luc", "5678")
    driver.tap("Gestion", root=driver.app.root_view.ids.nav)
    admin = driver.screen("admin")
    driver.tap("Badge perdu")
    admin.ids.badge_search.text = "Emma Dub"
    driver.wait_for(lambda: admin.ids.badges.children, what="Emma's badge")
    driver.tap("Bloquer", root=admin.ids.badges)
    driver.tap("Bloquer", root=driver.app._modal)
    driver.wait_for(lambda: "bloqué" in admin.notice, what="the block")
    assert admin.notice == ("Badge 04A1B2C3 bloqué ici\xa0; il le sera sur toutes les caisses à"
                            " leur prochaine synchronisation.")
    [block] = entries(terminal, "badge_block")
    assert block[3] == 0 and '"badge":"04A1B2C3"' in block[4]
    driver.wait_for(lambda: "Débloquer" in driver.texts(admin.ids.badges), what="the unblock")
    shot("admin-badge-blocked")

    driver.tap("Débloquer", root=admin.ids.badges)
    driver.tap("Débloquer", root=driver.app._modal)
    driver.wait_for(lambda: "débloqué" in admin.notice, what="the unblock")
    assert len(entries(terminal, "badge_unblock")) == 1
    driver.tap("Retour")
    start_rush(driver)
    sale = driver.screen()
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_outcome is not None)
    assert "Bloqué" not in result_text(driver) and len(entries(terminal, "sale")) == 1
