"""Canteen sale: article buttons by category, a cart, then "badge to pay"; and rush mode,
where every badge tapped buys one of the chosen article (soup) and the answer fills the
screen for each student."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.app import App
from kivy.metrics import dp, mm, sp
from kivy.properties import BooleanProperty, DictProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.ui import frames, lookup, present
from kiosk.ui.fit import fit_lines
from kiosk.ui.paying import PayingMixin
from kiosk.ui.present import Shown
from kiosk.ui.recent import Answer, RushResults
from kiosk.ui.widgets import BigButton

if TYPE_CHECKING:
    from kiosk.lookups import Article
    from kiosk.ui.flows import PayCall, TapOutcome


def _sell(cart: dict[str, int]) -> PayCall:
    return lambda service, session, uid, confirm: service.sell(session, uid, cart, confirm)


class ArticleButton(BigButton):
    """An article: its name in at most two lines (a longer one ends with "…"), its price in
    bold below, never cut."""
    name = StringProperty("")
    price = StringProperty("")

    def on_kv_post(self, *_):
        self.bind(name=self._fit, price=self._fit, width=self._fit, font_size=self._fit)
        self._fit()

    def _fit(self, *_):
        name = fit_lines(self.name, self.width - dp(8), self.font_size, lines=2)
        self.text = f"{name}\n[b]{self.price}[/b]"


def _sized(label: Label) -> Label:
    """A label as wide as its text (an amount, a count: never cut)."""
    label.bind(texture_size=lambda w, size: setattr(w, "width", size[0] + dp(8)))
    return label


def _line_name(text: str) -> Label:
    """An article's name in a cart line: one line, "…" when longer than its room."""
    label = Label(text=text, font_size=sp(20), halign="left", valign="middle", shorten=True,
                  shorten_from="right")
    label.bind(size=lambda w, size: setattr(w, "text_size", size))
    return label


class SaleScreen(PayingMixin, Screen):
    category = StringProperty("")
    cart = DictProperty({})              # article code -> quantity, in the order added
    armed = BooleanProperty(False)       # the next badge pays the cart
    rush_pick = BooleanProperty(False)   # the next article tapped starts rush mode
    rush_article = StringProperty("")
    result_visible = BooleanProperty(False)
    articles = ListProperty([])
    info = StringProperty("")
    rearm = BooleanProperty(False)       # the cart was not paid: say that it must be re-armed

    # -- the result over the whole screen: the window paints its colour (kiosk.ui.frames) -----
    def on_result_visible(self, *_):
        self.ids.result.window_paints = (self.result_visible and self.manager is not None
                                        and self.manager.current == self.name)
        frames.undrawn(self.ids.main, self.result_visible)     # under the result: not drawn
        frames.undrawn(self.ids.overlay, not self.result_visible)   # no result: not drawn

    def on_enter(self, *_):
        self.on_result_visible()

    def on_pre_leave(self, *_):
        self.ids.result.window_paints = False

    def articles_loaded(self, articles: list[Article]) -> None:
        if articles and self.category not in {a.category for a in articles}:
            self.category = articles[0].category

    # -- building the buttons ---------------------------------------------------------------
    def _rebuild(self, *_):
        app = App.get_running_app()
        tabs, grid = self.ids.categories, self.ids.articles
        tabs.clear_widgets()
        seen = []
        for a in self.articles:
            if a.category not in seen:
                seen.append(a.category)
                active = a.category == self.category
                tab = BigButton(text=a.category_label(app.lang), font_size=sp(18) if app.compact else sp(20),
                                shorten=True,
                                bg=(0.16, 0.36, 0.66, 1) if active else (0.22, 0.27, 0.36, 1))
                tab.category = a.category
                tab.bind(on_release=lambda b: self.choose_category(b.category))
                tabs.add_widget(tab)
        grid.clear_widgets()
        for a in self.articles:
            if a.category != self.category:
                continue
            button = ArticleButton(name=a.name(app.lang), price=app.money(a.price_cents),
                                   font_size=sp(22), size_hint=(0.32, None),
                                   height=max(app.target, mm(16)) if app.compact else mm(24))
            button.article = a.code
            button.bind(on_release=lambda b: self.article_tapped(b.article))
            grid.add_widget(button)
        self._show_cart()

    def choose_category(self, category: str) -> None:
        self.category = category
        self._rebuild()

    # -- cart -------------------------------------------------------------------------------
    def article_tapped(self, code: str) -> None:
        if self.rush_pick:
            self.start_rush(code)
            return
        self.cart[code] = self.cart.get(code, 0) + 1
        self.armed = self.rearm = False
        self._show_cart()

    def change(self, code: str, delta: int) -> None:
        qty = self.cart.get(code, 0) + delta
        if qty <= 0:
            self.cart.pop(code, None)
        else:
            self.cart[code] = qty
        self.armed = self.rearm = False
        self._show_cart()

    def clear(self) -> None:
        self.cart.clear()
        self.armed = self.rearm = False
        self._show_cart()

    def cart_total(self) -> int:
        return sum(self.article_names[c].price_cents * q for c, q in self.cart.items()
                   if c in self.article_names)

    def pending_cents(self) -> int:
        return self.cart_total() if self.cart and not self.rush_article else 0

    def _show_cart(self) -> None:
        app = App.get_running_app()
        box = self.ids.cart_lines
        box.clear_widgets()
        for code, qty in self.cart.items():
            a = self.article_names.get(code)
            if a is None:
                continue
            two_lines = app.compact and not app.portrait      # a narrow cart: the name above
            row = BoxLayout(size_hint_y=None, height=app.target, spacing=sp(6))
            minus = BigButton(text="−", font_size=sp(30), size_hint_x=None, width=app.target)
            minus.bind(on_release=lambda _b, c=code: self.change(c, -1))
            plus = BigButton(text="+", font_size=sp(30), size_hint_x=None, width=app.target)
            plus.bind(on_release=lambda _b, c=code: self.change(c, +1))
            name = _line_name(a.name(app.lang))
            if two_lines:
                name.size_hint_y, name.height = None, sp(28)
                box.add_widget(name)
            else:
                row.add_widget(name)
            row.add_widget(minus)
            row.add_widget(_sized(Label(text=str(qty), font_size=sp(28), bold=True, size_hint_x=None)))
            row.add_widget(plus)
            if two_lines:
                row.add_widget(Label())
            row.add_widget(_sized(Label(text=app.money(a.price_cents * qty), font_size=sp(20),
                                        size_hint_x=None)))
            box.add_widget(row)
        self.ids.total.text = app.tr("label_value", label=app.tr("total"),
                                     value=app.money(self.cart_total()))
        if not self.cart:
            box.add_widget(Label(text=app.tr("cart_empty"), font_size=sp(18), color=(0.7, 0.7, 0.7, 1),
                                 size_hint_y=None, height=app.target))
        self.info = (app.tr("waiting_badge", amount=app.money(self.cart_total())) if self.armed
                     else app.tr("not_paid_rearm") if self.rearm and self.cart else "")

    def arm(self) -> None:
        """'Badge to pay': the next badge tapped pays the cart."""
        if self.cart:
            self.armed, self.rearm = True, False
            self._show_cart()

    def pay_now(self) -> None:
        """'Badge to pay' on the NOT PAID card: the card goes, the cart is armed."""
        self.result_visible = False
        self.arm()

    # -- rush mode --------------------------------------------------------------------------
    def toggle_rush_pick(self) -> None:
        if self.rush_article:
            self.stop_rush()
        else:
            self.rush_pick = not self.rush_pick

    @property
    def rush(self) -> RushResults:
        """The rush's answers: the big one for a while, then the strip (kiosk.ui.recent)."""
        if getattr(self, "_rush", None) is None:
            self._rush = RushResults(self.ids.result, self.ids.recent, self.say)
        return self._rush

    def start_rush(self, code: str) -> None:
        self.rush_pick, self.rush_article = False, code
        self.armed = False
        self.rush.start()
        self.result_visible = True

    def stop_rush(self) -> None:
        self.rush_article, self.rush_pick = "", False
        self.rush.stop()
        self.result_visible = False

    def rush_text(self, lang: str) -> str:
        app = App.get_running_app()
        a = self.article_names.get(self.rush_article)
        if a is None:
            return ""
        return app.tr("rush_on", article=a.name(lang), price=app.money(a.price_cents))

    def dismiss_result(self) -> None:
        if self.rush_article:
            self.stop_rush()
        else:
            self.result_visible = False

    # -- badges -----------------------------------------------------------------------------
    def handle_badge(self, uid: str, at: float | None = None) -> None:
        if self.rush_article:
            self.charge_badge(uid, _sell({self.rush_article: 1}), at=at)
        elif self.armed and self.cart:
            # Armed for this one badge: disarmed as it pays (a second badge, tapped while this
            # one is charged or asked about, only shows who it is).
            self.armed = False
            self._show_cart()
            self.charge_badge(uid, _sell(dict(self.cart)), at=at)
        else:
            self.preview_badge(uid)

    def forgotten_badge(self) -> None:
        """'Forgotten badge': the cart is charged to a student found by name, once a
        supervisor confirms (kiosk.ui.lookup); no badge pays it meanwhile."""
        if self.cart and not self.rush_article:
            self.armed = False
            self._show_cart()
            lookup.serve_without_badge(lambda who: self.charge_badge(who, _sell(dict(self.cart))))

    def charged(self, out: TapOutcome) -> None:
        if self.rush_article and self.last_answer is not None:
            self.rush.shown(self.last_answer)       # rendered once, shared with the panel
            return
        if out.result is not None:
            self.cart.clear()
        self.rearm = out.result is None      # refused: the cart stays, the operator re-arms
        self._show_cart()

    def declined(self, out: TapOutcome) -> None:
        if self.rush_article:
            app = App.get_running_app()
            self.rush.shown(Answer(lambda: Shown("info", app.tr("sale_cancelled"),
                                                 present.student_line(out.student), "", "", ""),
                                   self.ids.result.photo))
        else:
            self.rearm = True
            self._show_cart()

