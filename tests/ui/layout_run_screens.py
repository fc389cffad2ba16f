"""The states of the pickup, reception, balance, admin and forgotten-badge screens that the
layout test's one visit per screen (tests/ui/layout_run.py) does not open: every admin
section, the supervisor's PIN pad, the forgotten badge's PIN pad, a paid photocopy, the
balance waiting for a badge. Same contract: ``python -m tests.ui.layout_run_screens WxH DPI
TEMPLATE OUT.json SHOTS``, one panel per process, checked by tests/ui/layout_check.py."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ui.layout_run import Panel

# portrait: the two blocks that sit side by side in landscape, and must be stacked
PORTRAIT_COLUMNS: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "pickup_list": lambda d: (d.screen("pickup").ids.list, d.screen("pickup").ids.result),
    "admin_sales": lambda d: (d.screen("admin").ids.menu, d.screen("admin").ids.panes),
    "lookup_pin": lambda d: (d.app._modal.ids.names, d.app._modal.ids.pad),
    "supervisor_pin": lambda d: (d.app._modal.ids.names, d.app._modal.ids.pad),
    "copies_paid": lambda d: (d.screen("copies").ids["keys"], d.screen("copies").ids.others),
}

STATES = ("supervisor_pin", "admin_sync", "admin_sales", "admin_reports", "admin_badge",
          "admin_devices", "admin_language", "lookup_pin", "pickup_list", "balance_idle",
          "copies_paid")


def stacked(top: Any, below: Any, width: float) -> str:
    """"" when ``top`` is above ``below`` and both take most of the window's width (a real
    portrait layout, not the landscape columns squeezed side by side), else what is wrong."""
    tx, ty = top.to_window(*top.pos)
    bx, by = below.to_window(*below.pos)
    if ty < by + below.height - 1:
        return "not stacked: the second column is beside the first, not under it"
    narrow = [w for w in (top, below) if w.width < 0.8 * width]
    return f"a column {int(narrow[0].width)} px wide in a {int(width)} px window" if narrow else ""


class MoreStates(Panel):
    def check(self, name: str, reach: Callable[[], object]) -> None:
        super().check(name, reach)
        app = self.d.app
        pair = PORTRAIT_COLUMNS.get(name)
        if app.portrait and pair and not self.results[name]["error"]:
            try:
                wrong = stacked(*pair(self.d), self.d.window.width)
            except Exception as error:
                wrong = f"the columns not found: {error!r}"
            if wrong:
                self.results[name]["defects"].append(f"portrait: {wrong}")

    def run(self) -> None:
        from kiosk.demo.school import Badge
        from kiosk.ui.autopilot import Driver
        from kiosk.ui.lookup import LookupPinView, NameSearchView
        from kiosk.ui.widgets import SupervisorView
        d = self.d = Driver.start(self.terminal())
        app = d.app
        service = app.terminal.service
        admin = d.screen("admin")

        def login(name: str = "Marie", pin: str = "1234") -> None:
            d.wait_for(lambda: d.buttons(text="Marie"), what="the operators")
            app.logged_in(app.terminal.service.login(name, pin))
            d.pump(0.2)

        def close_modal() -> None:
            if app._modal is not None:
                app._modal.dismiss(animation=False)
                d.pump(0.2)

        def supervisor() -> None:
            login()
            for uid in (Badge.EMMA, Badge.ADAM):         # two sales to void, one refused
                try:
                    service.sell(app.session, uid, {"SOUP": 1}, ())
                except Exception:
                    pass
            app.open_screen("admin")
            d.wait_for(lambda: isinstance(app._modal, SupervisorView) and app._modal.operators,
                       what="the supervisor's PIN pad")

        def section(name: str) -> Callable[[], None]:
            def go() -> None:
                if app.screens.current != "admin":
                    close_modal()
                    app.logged_in(service.login("Luc", "5678"))
                    app.open_screen("admin")
                    d.wait_for(lambda: app.screens.current == "admin", what="the admin screen")
                admin.show(name)
                if name == "sales":
                    d.wait_for(lambda: admin.ids.sales.data, what="today's sales")
                elif name == "reports":
                    admin.report_x()
                    d.wait_for(lambda: admin.report_text, what="the X report")
                elif name == "badge":
                    admin.ids.badge_search.text = "Dubois"
                    d.wait_for(lambda: admin.ids.badges.children, what="the badges found")
            return go

        def lookup_pin() -> None:
            admin.leave()
            sale = d.screen("sale")
            d.wait_for(lambda: sale.articles, what="the articles")
            sale.article_tapped("SOUP")
            sale.forgotten_badge()
            view = d.wait_for(lambda: isinstance(app._modal, NameSearchView) and app._modal,
                              what="the name search")
            view.query = "DUBOIS EMMA"
            found = d.wait_for(lambda: view.settled and d.buttons(view.ids.results),
                               what="the student found")
            d.tap(found[0])
            d.wait_for(lambda: isinstance(app._modal, LookupPinView) and app._modal.operators,
                       what="the PIN pad")

        def pickup_list() -> None:
            close_modal()
            app.open_screen("pickup")
            screen = d.screen("pickup")
            d.wait_for(lambda: screen.rows and screen.ids.list.data, what="today's reservations")

        def balance_idle() -> None:
            app.open_screen("balance")

        def copies_paid() -> None:
            self.attach(self.terminal("reception"))
            login()
            screen = d.screen("copies")
            d.wait_for(lambda: screen.articles, what="the reception's articles")
            screen.bw, screen.colour = 24, 3
            screen.arm("copies")
            app.terminal.reader.inject(Badge.EMMA)
            d.wait_for(lambda: screen.result_visible, what="the paid photocopies")

        steps: dict[str, Callable[[], object]] = {
            "supervisor_pin": supervisor, "lookup_pin": lookup_pin, "pickup_list": pickup_list,
            "balance_idle": balance_idle, "copies_paid": copies_paid,
            **{f"admin_{n}": section(n) for n in
               ("sync", "sales", "reports", "badge", "devices", "language")}}
        for name in STATES:
            self.check(name, steps[name])
        app.detach()
        app.terminal.close()


def main(size: str, dpi: str, template: Path, out: Path, shots: Path) -> int:
    width, height = (int(v) for v in size.split("x"))
    os.environ["KIVY_DPI"] = dpi
    from kiosk.ui import autopilot
    autopilot.SCREEN = (width, height)
    xvfb = autopilot.Xvfb((width, height))
    results: dict[str, dict[str, Any]] = {}
    try:
        autopilot.start_kivy(xvfb.display)
        MoreStates(template, shots, results).run()
    finally:
        xvfb.stop()
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5])))
