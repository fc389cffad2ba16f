"""The touch app on a disk that fills up (issue 13, point 12), on a real full file system (a
tmpfs filled to the last byte): the banner says the disk is full, a badge tapped in rush mode
is answered "Disque plein" (never "damaged"), the balance screen still answers; once space is
freed the banner goes and the next badge pays, without restarting anything."""
from __future__ import annotations

from kiosk.demo.school import Badge
from tests.smalldisk import small_disk  # noqa: F401  (a fixture)
from tests.ui.conftest import new_terminal
from tests.ui.harness import login
from tests.ui.test_ui_counter import balance, result_text, start_rush, tap_badge


def test_touch_app_says_disk_full_and_sells_again_once_space_is_freed(
        driver, template, small_disk, shot):
    old = driver.app.terminal
    terminal = new_terminal(template, small_disk.path / "data", policy={"double_tap_seconds": 0})
    driver.app.attach(terminal)
    old.close()
    try:
        driver.wait_for(lambda: driver.buttons(text="Marie"), what="the login screen")
        login(driver, "Marie", "1234")
        banner = driver.app.root_view.ids.banner
        start_rush(driver)
        sale = driver.screen("sale")
        tap_badge(driver, terminal, Badge.EMMA, lambda: sale.ids.result.kind == "ok")
        emma = balance(terminal, "S00001")
        terminal.service.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        small_disk.fill()
        driver.wait_for(lambda: "DISQUE PLEIN" in banner.text, timeout=5, what="the disk banner")
        tap_badge(driver, terminal, Badge.EMMA, lambda: sale.ids.result.kind == "refused")
        text = result_text(driver, sale)
        assert "Disque plein" in text and "endommagé" not in text, text
        shot("disk-full")
        assert balance(terminal, "S00001") == emma

        small_disk.free()
        driver.wait_for(lambda: "DISQUE" not in banner.text, timeout=5, what="the banner gone")
        sale.ids.result.kind = "idle"
        tap_badge(driver, terminal, Badge.EMMA, lambda: sale.ids.result.kind == "ok")
        assert balance(terminal, "S00001") == emma - 100
    finally:
        fresh = new_terminal(template, small_disk.path.parent / "after")
        driver.app.attach(fresh)            # the session's app leaves the small disk
        terminal.close()
