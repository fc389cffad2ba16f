"""Operator login: tap your name, type your PIN. Also the lock screen (the session locked
itself after ``[ui] idle_lock_seconds``) and the second tap of "switch operator"."""
from __future__ import annotations

from kivy.app import App
from kivy.metrics import sp
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk import operators
from kiosk.ui.widgets import BigButton


class LoginScreen(Screen):
    chosen = StringProperty("")
    locked = StringProperty("")          # the operator whose session locked itself
    message = StringProperty("")

    def show(self, locked: str = "") -> None:
        self.locked, self.chosen, self.message = locked, locked, ""
        self.ids.pad.pin = ""

    def on_pre_enter(self, *_):
        app = App.get_running_app()
        app.call(operators.list_operators, app.terminal.service.store, done=self._list)

    def on_kv_post(self, *_):
        App.get_running_app().bind(lang=lambda *_: self._language_changed())

    _error: BaseException | None = None

    def _language_changed(self) -> None:
        self._list(self._ops)
        if self._error is not None and self.message:
            self.message = App.get_running_app().explain(self._error)

    _ops: list[dict] = []

    def _list(self, ops: list[dict]) -> None:
        app = App.get_running_app()
        self._ops = ops                  # listed again in a new language
        box = self.ids.names
        box.clear_widgets()
        for op in ops:
            if not op["active"]:
                continue
            button = BigButton(
                text=f"{op['name']}\n[size={int(sp(15))}]{app.tr('role_' + op['role'])}[/size]",
                font_size=sp(26))
            button.operator = op["name"]
            button.bind(on_release=lambda b: self.choose(b.operator))
            box.add_widget(button)

    def choose(self, name: str) -> None:
        self.chosen, self.message = name, ""
        self.ids.pad.pin = ""

    def submit(self, pin: str) -> None:
        if not self.chosen or not pin:
            return
        app = App.get_running_app()
        app.call(app.terminal.service.login, self.chosen, pin, done=app.logged_in, failed=self._failed)

    def _failed(self, error: BaseException) -> None:
        self._error = error
        self.message = App.get_running_app().explain(error)
