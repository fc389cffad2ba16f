"""Balance check (a screen of the counter, or the whole app in self-service mode): the
student taps and sees name, balances, last purchases and how to top up (IBAN, structured
communication, the EPC QR code their parents' banking app can scan)."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.names import wallet
from kiosk.ui import flows, formats, present
from kiosk.ui.topup import epc_qr_png

if TYPE_CHECKING:
    from kiosk.config import SchoolSection
    from kiosk.counter import CounterService
    from kiosk.holders import Identity
    from kiosk.journal import Entry
    from sync.common.errors import ComptoirError

SHOW_SECONDS = 30          # then back to "tap your badge" (the next student is waiting)


def look_up(service: CounterService, school: SchoolSection, uid: str, limit: int = 5
            ) -> tuple[Identity | None, ComptoirError | None, list[Entry], bytes | None]:
    """Worker thread: identity, last purchases and the QR code of the default wallet."""
    identity, error = flows.identify(service, uid)
    if error is not None or identity is None:     # (no identity: there is an error)
        return None, error, [], None
    recent = service.recent_entries(identity.student.id, limit)
    wallet = identity.wallets[0]
    return identity, None, recent, epc_qr_png(school, wallet.structured_communication)


class BalanceScreen(Screen):
    shown = BooleanProperty(False)
    name_text = StringProperty("")
    balances = StringProperty("")
    purchases = ListProperty([])         # {"when", "what", "amount"}, the newest first
    topup = StringProperty("")
    message = StringProperty("")
    photo = StringProperty("")
    has_qr = BooleanProperty(False)

    def on_kv_post(self, *_):
        App.get_running_app().bind(lang=lambda *_: self._language_changed())

    _found: tuple | None = None

    def _language_changed(self) -> None:
        if self.shown and self._found is not None:
            self._show(self._found, again=True)       # the card shown, in the new language

    def handle_badge(self, uid: str, at: float | None = None) -> None:
        app = App.get_running_app()
        app.call(look_up, app.terminal.service, app.terminal.config.school, uid, done=self._show)

    def _show(self, found: tuple[Identity | None, ComptoirError | None, list[Entry], bytes | None],
              again: bool = False) -> None:
        app = App.get_running_app()
        identity, error, recent, qr = found
        self._found = found
        if not again:
            Clock.unschedule(self._reset)
            Clock.schedule_once(self._reset, SHOW_SECONDS)
        self.shown = True
        if error is not None:
            self.name_text, self.balances, self.purchases, self.topup = "", "", [], ""
            self.photo, self.has_qr = "", False
            self.message = app.error_text(error)
            if not again:
                app.sounds.play("refused")
            return
        assert identity is not None                 # (look_up: an identity or an error)
        tz, lang = app.terminal.config.tz, app.lang
        photo = app.terminal.photo_path(identity.student)
        self.photo = str(photo) if photo else ""
        self.message = ""
        self.name_text = present.student_line(identity.student)
        self.balances = "\n".join(app.tr("label_value", label=wallet(w.name, app.lang),
                                          value=f"[b]{app.money(w.balance_cents)}[/b]")
                                   for w in identity.wallets)
        lines = []
        for e in reversed(recent):
            what = present.lines_text(e.data.get("lines") or
                                      [{"article": i["article"], "name": i["name"], "qty": i["qty"]}
                                       for i in e.data.get("items", [])], lang, app.names)
            lines.append({"when": formats.day_and_time(e.ts, tz, lang),
                          "what": app.tr("label_value", label=app.tr("kind_" + e.kind), value=what),
                          "amount": app.money(e.amount_cents) if e.amount_cents else ""})
        self.purchases = lines or [{"when": "", "what": app.tr("no_purchases"), "amount": ""}]
        school = app.terminal.config.school
        comm = identity.wallets[0].structured_communication
        if school.iban:
            self.topup = "\n".join((app.tr("topup_how", iban=school.iban, bic=school.bic or "-",
                                           name=school.name or "-", comm=comm), app.tr("topup_delay")))
        else:
            self.topup = "\n".join((app.tr("topup_no_iban"), app.tr("topup_comm", comm=comm)))
        self.has_qr = qr is not None
        if again:
            return
        if qr is not None:
            self.ids.qr.texture = CoreImage(io.BytesIO(qr), ext="png").texture
        app.sounds.play("ok")

    def on_purchases(self, *_):
        self.fill_purchases()

    def fill_purchases(self) -> None:
        """As many of the last purchases as the space left shows, each on one line (the
        article shortened, the amount whole): on a small panel, the newest ones."""
        box = self.ids.purchases
        box.clear_widgets()
        for line in self.purchases:
            row = Factory.PurchaseLine()
            row.when, row.what, row.amount = line["when"], line["what"], line["amount"]
            if (len(box.children) + 1) * row.height > box.height:
                break
            box.add_widget(row)
        box.add_widget(Widget())            # the lines from the top

    def _reset(self, *_):
        self.shown = False
        self.message = ""
