"""One panel of the layout test (tests/ui/test_ui_layout.py), in a process of its own: Kivy
allows one app per process and takes its DPI once, before its first import.

``python -m tests.ui.layout_run WxH DPI TEMPLATE OUT.json SHOTS`` starts Xvfb at the panel's
size, tells Kivy the panel's DPI (``KIVY_DPI``), opens every screen of issue 14 in turn on the
real app (a canteen terminal, a reception terminal, a self-service one, all copies of the
TEMPLATE store), checks each with tests/ui/layout_check.py, saves its screenshot as
SHOTS/<screen>.png and writes what it found to OUT.json: ``{screen: {"defects": [...],
"error": "..."}}``. How a screen is reached is not what is tested here (other UI tests tap
their way there): the app is put in each state through its own methods and the reader.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Issue 14's screens, in the order they are opened (the test parametrizes on these names).
SCREENS = ("login", "sale_cart", "rush_paid", "rush_refused", "allergen", "lookup", "pickup",
           "balance_qr", "admin", "copies", "self_service")

# Long names for the full cart (added to the template's catalogue by the test).
LONG_ARTICLES = [
    {"code": "LONG-WRAP", "name": {"fr": "Wrap poulet curry, crudités et sauce andalouse maison",
                                   "nl": "Wrap kip curry met rauwkost en huisgemaakte andalousesaus",
                                   "en": "Chicken curry wrap with raw vegetables and home-made sauce"},
     "price_cents": 1450, "category": "sandwich", "allergens": ["gluten"], "profiles": ["canteen"],
     "reservable": False, "active": True},
    {"code": "LONG-SALAD", "name": {"fr": "Salade composée du jour (grande portion, pain compris)",
                                    "nl": "Gemengde salade van de dag (grote portie, met brood)",
                                    "en": "Mixed salad of the day (large portion, bread included)"},
     "price_cents": 12350, "category": "snack", "allergens": [], "profiles": ["canteen"],
     "reservable": False, "active": True},
]


def main(size: str, dpi: str, template: Path, out: Path, shots: Path) -> int:
    width, height = (int(v) for v in size.split("x"))
    os.environ["KIVY_DPI"] = dpi
    from kiosk.ui import autopilot
    autopilot.SCREEN = (width, height)           # start_kivy sizes the window from it
    xvfb = autopilot.Xvfb((width, height))
    results: dict[str, dict[str, Any]] = {}
    try:
        autopilot.start_kivy(xvfb.display)
        Panel(template, shots, results).run()
    finally:
        xvfb.stop()
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


class Panel:
    def __init__(self, template: Path, shots: Path, results: dict[str, dict[str, Any]]):
        self.template, self.shots, self.results = template, shots, results
        self.made = 0

    def terminal(self, profile: str = "canteen") -> Any:
        from tests.ui.conftest import new_terminal
        self.made += 1
        return new_terminal(self.template, self.template.parent / f"run{os.getpid()}-{self.made}",
                            profile, "Cantine 1" if profile == "canteen" else "Accueil")

    def check(self, name: str, reach: Callable[[], object]) -> None:
        from kivy.metrics import mm

        from tests.ui.layout_check import check
        entry: dict[str, Any] = {"defects": [], "error": ""}
        self.results[name] = entry
        try:
            reach()
            self.d.pump(0.3)
            entry["defects"] = [str(d) for d in check(self.d.window, mm(12))]
            self.d.screenshot(self.shots / f"{name}.png")
        except Exception:
            entry["error"] = traceback.format_exc(limit=4)

    def run(self) -> None:
        from kiosk.demo.school import Badge
        from kiosk.ui.autopilot import Driver
        from kiosk.ui.lookup import NameSearchView
        term = self.terminal()
        d = self.d = Driver.start(term)
        app = d.app
        sale = d.screen("sale")

        def login(name: str = "Marie", pin: str = "1234") -> None:
            d.wait_for(lambda: d.buttons(text="Marie"), what="the operators")
            app.logged_in(app.terminal.service.login(name, pin))
            d.pump(0.2)

        def full_cart() -> None:
            login()
            d.wait_for(lambda: sale.articles, what="the articles")
            for a in sale.articles:
                for _ in range(1 + len(a.code) % 3):
                    sale.article_tapped(a.code)
            sale.choose_category("sandwich")        # the long names' buttons
            d.pump(0.2)

        def badge(uid: str, screen: Any, until: Callable[[], object]) -> None:
            shown = getattr(screen, "last_shown_at", None)
            app.terminal.reader.inject(uid)
            d.wait_for(lambda: until() and getattr(screen, "last_shown_at", None) != shown
                       if shown is not None else until(), what=f"the answer to {uid}")

        def rush(uid: str, kind: str) -> Callable[[], None]:
            def go() -> None:
                if not sale.rush_article:
                    sale.clear()
                    sale.start_rush("SOUP")
                badge(uid, sale, lambda: sale.ids.result.kind == kind)
            return go

        def allergen() -> None:
            app.terminal.reader.inject(Badge.LINA)
            d.wait_for(lambda: getattr(sale, "confirm_view", None) and sale.confirm_view.parent,
                       what="the allergen alert")

        def lookup() -> None:
            sale.confirm_view.answer(False)
            d.pump(0.2)
            sale.stop_rush()
            sale.article_tapped("SOUP")
            sale.forgotten_badge()
            view = d.wait_for(lambda: isinstance(app._modal, NameSearchView) and app._modal,
                              what="the name search")
            view.query = "DU"
            d.wait_for(lambda: view.settled and len(d.buttons(view)) > 30, timeout=15, what="the results")

        def pickup() -> None:
            app._modal.dismiss(animation=False)
            d.pump(0.2)
            app.open_screen("pickup")
            screen = d.screen("pickup")
            d.wait_for(lambda: screen.rows, what="today's reservations")
            app.terminal.reader.inject(Badge.LOUIS_RESERVED)
            d.wait_for(lambda: screen.to_deliver, what="Louis's reservations")

        def balance() -> None:
            app.open_screen("balance")
            screen = d.screen("balance")
            app.terminal.reader.inject(Badge.EMMA)
            d.wait_for(lambda: screen.shown and screen.name_text and screen.has_qr, what="the balance")

        def admin() -> None:
            app.logged_in(app.terminal.service.login("Luc", "5678"))
            app.open_screen("admin")
            d.wait_for(lambda: app.screens.current == "admin", what="the admin screen")

        def copies() -> None:
            self.attach(self.terminal("reception"))
            login()
            screen = d.screen("copies")
            screen.bw, screen.colour = 24, 3

        def self_service() -> None:
            self.attach(self.terminal("canteen"), self_service=True)
            screen = d.screen("balance")
            app.terminal.reader.inject(Badge.EMMA)
            d.wait_for(lambda: screen.shown and screen.name_text, what="the balance card")

        steps: dict[str, Callable[[], object]] = {
            "login": lambda: d.wait_for(lambda: d.buttons(text="Marie"), what="the operators"),
            "sale_cart": full_cart, "rush_paid": rush(Badge.EMMA, "ok"),
            "rush_refused": rush(Badge.NOAH, "refused"), "allergen": allergen, "lookup": lookup,
            "pickup": pickup, "balance_qr": balance, "admin": admin, "copies": copies,
            "self_service": self_service}
        for name in SCREENS:
            self.check(name, steps[name])
        app.detach()
        app.terminal.close()

    def attach(self, terminal: Any, self_service: bool = False) -> None:
        old = self.d.app.terminal
        if self.d.app._modal is not None:
            self.d.app._modal.dismiss(animation=False)
        self.d.app.attach(terminal, self_service=self_service)
        old.close()
        self.d.pump(0.2)


if __name__ == "__main__":
    started = time.process_time()
    code = main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
    print(f"cpu {time.process_time() - started:.1f} s", file=sys.stderr)
    sys.exit(code)
