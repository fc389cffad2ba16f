"""Screens built at their first visit, not at start.

A canteen counter spends its day on the sale screen: the pickup, balance and admin screens
(their widgets, their lists, the modules behind them) cost several megabytes each that most
days never use. :class:`LazyScreens` is the app's screen manager: it is *offered* the
profile's screens (name → how to build it) and builds one the first time it is shown
(``current = name``) or asked for by name (``get_screen``, ``has_screen`` says whether it
is offered); ``screen_names`` lists only the screens built so far, ``offered`` them all.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module

from kivy.uix.screenmanager import Screen, ScreenManager

# Where each screen's class lives: its module is imported at the screen's first visit.
SCREEN_CLASSES = {"login": ("kiosk.ui.login", "LoginScreen"), "sale": ("kiosk.ui.sale", "SaleScreen"),
                  "pickup": ("kiosk.ui.pickup", "PickupScreen"),
                  "copies": ("kiosk.ui.copies", "CopiesScreen"),
                  "balance": ("kiosk.ui.balance", "BalanceScreen"),
                  "admin": ("kiosk.ui.admin", "AdminScreen")}


def screen_class(name: str) -> type[Screen]:
    module, cls = SCREEN_CLASSES[name]
    return getattr(import_module(module), cls)


class LazyScreens(ScreenManager):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.offered: tuple[str, ...] = ()
        self._builders: dict[str, Callable[[str], Screen]] = {}

    def offer(self, builders: Mapping[str, Callable[[str], Screen]]) -> None:
        """Forget every screen and offer these instead (none is built yet)."""
        self.clear_widgets()                # (the last one removed leaves current None)
        self.offered, self._builders = tuple(builders), dict(builders)

    def built(self, name: str) -> bool:
        return any(s.name == name for s in self.screens)

    def get_screen(self, name: str) -> Screen:
        if not self.built(name) and name in self._builders:
            self.add_widget(self._builders[name](name))
        return super().get_screen(name)

    def has_screen(self, name: str) -> bool:
        return name in self._builders or super().has_screen(name)
