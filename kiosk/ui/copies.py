"""Reception: black-and-white and colour page counts (large − / + and number keys), then the
badge; the other reception articles (t-shirt, locker…) as buttons."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.app import App
from kivy.metrics import mm, sp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.ui.paying import PayingMixin
from kiosk.ui.widgets import BigButton

if TYPE_CHECKING:
    from kiosk.ui.flows import PayCall, TapOutcome

MAX_PAGES = 999


def _copies(bw: int, colour: int) -> PayCall:
    return lambda service, session, uid, confirm: service.photocopies(session, uid, bw, colour, confirm)


def _one(code: str) -> PayCall:
    return lambda service, session, uid, confirm: service.sell(session, uid, {code: 1}, confirm)


class CopiesScreen(PayingMixin, Screen):
    bw = NumericProperty(0)
    colour = NumericProperty(0)
    target = StringProperty("bw")        # which count the number keys type into
    typing = BooleanProperty(False)      # the next digit starts a new number
    armed = StringProperty("")           # "copies", an article code, or "" (nothing to pay)
    result_visible = BooleanProperty(False)
    articles = ListProperty([])
    info = StringProperty("")
    rearm = BooleanProperty(False)       # what was armed was not paid: arm it again
    charging = StringProperty("")        # what the badge being charged pays for

    def price(self, which: str) -> int:
        app = App.get_running_app()
        code = getattr(app.terminal.config.photocopy, "bw_article" if which == "bw" else "colour_article")
        a = self.article_names.get(code)
        return a.price_cents if a else 0

    def total(self) -> int:
        return self.bw * self.price("bw") + self.colour * self.price("colour")

    def pending_cents(self) -> int:
        return self.total()

    def on_kv_post(self, *args):
        super().on_kv_post(*args)
        App.get_running_app().bind(compact=lambda *_: self._rebuild(), target=lambda *_: self._rebuild())

    def _rebuild(self, *_):
        app = App.get_running_app()
        box = self.ids.others
        box.clear_widgets()
        copy_codes = {app.terminal.config.photocopy.bw_article, app.terminal.config.photocopy.colour_article}
        for a in self.articles:
            if a.code in copy_codes:
                continue
            button = BigButton(text=f"{a.name(app.lang)}\n[b]{app.money(a.price_cents)}[/b]",
                               font_size=sp(18) if app.compact else sp(22), size_hint_y=None,
                               height=app.target if app.compact else max(app.target, mm(22)))
            button.article = a.code
            button.bind(on_release=lambda b: self.arm(b.article))
            box.add_widget(button)
        box.add_widget(Widget())                # the buttons from the top
        self._update()

    # -- counts ----------------------------------------------------------------------------------
    def select(self, which: str) -> None:
        self.target, self.typing = which, False

    def step(self, which: str, delta: int) -> None:
        setattr(self, which, max(0, min(MAX_PAGES, getattr(self, which) + delta)))
        self.target, self.typing = which, False
        self.armed, self.rearm = "", False
        self._update()

    def key(self, key: str) -> None:
        current = getattr(self, self.target)
        if key == "erase":
            value = current // 10
        elif key == "clear":
            value = 0
        else:
            value = int(key) if not self.typing else current * 10 + int(key)
            self.typing = True
        setattr(self, self.target, min(MAX_PAGES, value))
        self.armed, self.rearm = "", False
        self._update()

    def _update(self) -> None:
        app = App.get_running_app()
        self.ids.total.text = app.tr("label_value", label=app.tr("total"), value=app.money(self.total()))
        if self.armed == "copies":
            self.info = app.tr("waiting_badge", amount=app.money(self.total()))
        elif self.armed:
            a = self.article_names.get(self.armed)
            self.info = (app.tr("waiting_badge", amount=f"{a.name(app.lang)} {app.money(a.price_cents)}")
                         if a else "")
        else:
            self.info = app.tr("not_paid_rearm") if self.rearm else ""

    def arm(self, what: str = "copies") -> None:
        if what == "copies" and not (self.bw or self.colour):
            return
        self.armed, self.rearm = what, False
        self._update()

    def clear(self) -> None:
        self.bw = self.colour = 0
        self.armed, self.rearm = "", False
        self._update()

    def dismiss_result(self) -> None:
        self.result_visible = False

    # -- badges ----------------------------------------------------------------------------------
    def handle_badge(self, uid: str, at: float | None = None) -> None:
        # Armed for one badge: disarmed as it pays (see kiosk.ui.paying).
        what, self.armed, self.charging = self.armed, "", self.armed
        self._update()
        if what == "copies":
            self.charge_badge(uid, _copies(int(self.bw), int(self.colour)), at=at)
        elif what:
            self.charge_badge(uid, _one(what), at=at)
        else:
            self.preview_badge(uid)

    def charged(self, out: TapOutcome) -> None:
        if out.result is not None and self.charging == "copies":
            self.bw = self.colour = 0
        self.rearm = out.result is None
        self._update()

    def declined(self, out: TapOutcome) -> None:
        self.rearm = True
        self._update()
