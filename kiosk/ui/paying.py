"""What the paying screens (canteen sale, photocopies) share: a badge tap charges what the
screen has ready, the answer is shown big, and a confirmation the counter service asks for
(double tap, allergen) is put to the operator before the same charge is tried again.

What is ready to pay (a cart, pages, an article) is *armed* by the operator for ONE badge:
the tap that charges it disarms it at once. A refusal of any kind (balance, blocked or
unknown badge, limits...) or a confirmation answered "no" leaves it on screen, disarmed, and
says so: the operator arms it again for the next badge. Nothing is ever charged to a badge
the operator did not mean (issue 13, point 3). Rush mode is the exception by design: there
every badge buys the rush article until the operator stops it."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kivy.app import App

from kiosk import lookups
from kiosk.lookups import Article
from kiosk.names import wallet
from kiosk.ui import flows, photos, present
from kiosk.ui.flows import PayCall, TapOutcome
from kiosk.ui.recent import Answer
from kiosk.ui.texts import flag_name
from kiosk.ui.widgets import ConfirmView
from sync.common.errors import ComptoirError, NeedsConfirmation

if TYPE_CHECKING:
    from kiosk.holders import Student


class PayingMixin:
    """Needs ``self.ids.result`` (a ResultPanel), an ``articles`` ListProperty and a
    ``_rebuild()`` that lays out the article buttons."""
    last_outcome = None
    last_shown_at = 0.0          # time.monotonic() when the last answer was put on screen
    last_tap_at = 0.0            # when the reader read that badge (BadgeEvent.at)
    # What the Kivy screen this is mixed into has (declared for the type checker only).
    ids: Any
    _rebuild: Callable[[], None]

    # -- the articles this counter sells (loaded off the UI thread at each visit) ----------
    def on_kv_post(self, *_):
        self.article_names = {}
        App.get_running_app().bind(lang=lambda *_: self._language_changed())

    def _language_changed(self) -> None:
        self._rebuild()
        if self._said is not None:
            self._said()             # the answer on screen, in the new language

    _said: Callable[[], None] | None = None

    def say(self, put: Callable[[], None]) -> None:
        """``put()`` puts an answer on the result panel in the app's language; it is called
        again when the language changes."""
        self._said = put
        put()

    def on_pre_enter(self, *_):
        app = App.get_running_app()
        app.call(lookups.articles, app.terminal.service.store, app.terminal.config.terminal.profile,
                 app.terminal.config.terminal.language, done=self._loaded)

    def _loaded(self, articles: list[Article]) -> None:
        self.article_names = {a.code: a for a in articles}     # first: kv rules read it
        self.articles = articles
        self.articles_loaded(articles)
        self._rebuild()

    def articles_loaded(self, articles: list[Article]) -> None:
        """A screen's own use of the new list, before its buttons are laid out again."""

    def pending_cents(self) -> int:
        """What waits on screen to be paid and is not armed (a cart, pages), 0 for nothing."""
        return 0

    def preview_badge(self, uid: str) -> None:
        """A badge with nothing armed: who it is and the balance (photo shown on every tap).
        When something waits to be paid (the student tapped before "Badge to pay"), the card
        says NOT PAID, in a colour of its own, and what to do: it must never pass for a
        payment at a glance (issue 14). The cart is not charged: it may not be complete yet,
        and only the operator's "Badge to pay" arms it (issue 13)."""
        app = App.get_running_app()

        def show(found):
            identity, error = found
            pending = self.pending_cents()
            if error is not None:
                self.say(lambda: self.ids.result.message("refused", app.tr("refused"),
                                                         app.error_text(error)))
                self.result_visible = True
                return
            photo = str(app.terminal.photo_path(identity.student) or "")
            name = present.student_line(identity.student)

            def balances() -> str:
                return " · ".join(app.tr("label_value", label=wallet(w.name, app.lang),
                                         value=app.money(w.balance_cents))
                                  for w in identity.wallets)
            if pending:
                self.say(lambda: self.ids.result.message(
                    "unpaid", app.tr("unpaid_title"), name=name, photo=photo,
                    detail=app.tr("unpaid_detail", amount=app.money(pending)),
                    reason=app.tr("unpaid_todo") + "\n" + app.tr(
                        "label_value", label=app.tr("balance_of"), value=balances())))
            else:
                self.say(lambda: self.ids.result.message("info", app.tr("balance_of"), name=name,
                                                         reason=balances(), photo=photo))
            self.result_visible = True
        app.call(flows.identify, app.terminal.service, uid, done=show)

    def charge_badge(self, uid: flows.Who, pay_call: PayCall, confirm: Iterable[str] = (),
                     at: float | None = None) -> None:
        """``pay_call(service, session, uid, confirm)`` is the counter-service call, made on
        the worker thread."""
        app = App.get_running_app()
        service, session = app.terminal.service, app.session
        self.last_tap_at = at or time.monotonic()
        terminal = app.terminal

        def charge() -> tuple[TapOutcome, photos.Decoded | None]:     # the worker thread
            out = flows.charge(service, uid, lambda c: pay_call(service, session, uid, c),
                               tuple(confirm))
            if isinstance(out.error, NeedsConfirmation):      # a question first, no answer yet
                return out, None
            return out, photos.decode(terminal.photo_path(out.student))
        app.call(charge, done=lambda got: self._charged(got[0], pay_call, tuple(confirm), got[1]))

    def _charged(self, out: TapOutcome, pay_call: PayCall, confirm: tuple[str, ...],
                 decoded: photos.Decoded | None = None) -> None:
        if isinstance(out.error, NeedsConfirmation):
            self._ask(out, pay_call, confirm)
            return
        self.show_outcome(out, decoded)
        self.charged(out)

    last_answer: Answer | None = None       # the answer shown, rendered once per language

    def show_outcome(self, out: TapOutcome, decoded: photos.Decoded | None = None) -> None:
        """The answer on the result panel: its texts rendered once (again only when the
        language changes: ``Answer``), the photo decoded on the worker (``decoded``)."""
        app = App.get_running_app()
        photo = decoded.path if decoded is not None else app.terminal.photo_path(out.student) or ""
        answer = self.last_answer = Answer(lambda: present.outcome(out, app.lang, app.names), photo)
        first = [decoded]                   # the pixels are used once, by the first showing

        def put() -> None:
            self.ids.result.show(answer.shown(), photo, first.pop() if first else None)
        self.say(put)
        self.result_visible = True
        app.sounds.play("ok" if answer.shown().kind == "ok" else "refused")
        self.last_outcome = out
        self.last_shown_at = time.monotonic()

    def charged(self, out: TapOutcome) -> None:
        """After a sale or a refusal was shown (screens reset their cart here)."""

    def declined(self, out: TapOutcome) -> None:
        """After a confirmation (allergen, double tap) was answered "no": nothing was charged."""

    def _ask(self, out: TapOutcome, pay_call: PayCall, confirm: tuple[str, ...]) -> None:
        app = App.get_running_app()
        error = out.error
        assert error is not None                # (_charged asks for a NeedsConfirmation)
        photo = app.terminal.photo_path(out.student)
        allergen = error.code == "allergen"
        if allergen:
            view = allergen_alert(error, out.student, "sell_anyway", "do_not_sell")
        else:
            view = ConfirmView(
                kind="warning", title=app.tr("double_tap_title"), text=app.error_text(error),
                detail=present.student_line(out.student), photo=str(photo) if photo else "",
                yes_text=app.tr("confirm"), no_text=app.tr("cancel"))

        def answered(_view, yes):
            app.sounds.stop("alert")
            if yes:
                self.charge_badge(out.uid, pay_call, set(confirm) | {error.code}, self.last_tap_at)
            else:
                self.say(lambda: self.ids.result.message("info", app.tr("sale_cancelled"),
                                                         name=present.student_line(out.student),
                                                         photo=str(photo) if photo else ""))
                self.result_visible = True
                self.last_outcome = out
                self.last_shown_at = time.monotonic()
                self.declined(out)
        view.bind(on_answer=answered)
        self.confirm_view = view
        app.open_modal(view)


def allergen_alert(error: ComptoirError, student: Student | None, yes_key: str,
                   no_key: str) -> ConfirmView:
    """The allergen alert (a sale, a pickup): the whole screen, the articles and the flags,
    who it is, its own sound until it is answered."""
    app = App.get_running_app()
    photo = app.terminal.photo_path(student)
    view = ConfirmView(
        full=True, kind="warning", title=app.tr("allergy_title"),
        text=app.tr("allergy_article", article=app.names.localise(error.params, app.lang)["article"],
                    flags=", ".join(flag_name(f, app.lang) for f in error.params["flags"]).upper()),
        detail=present.student_line(student), photo=str(photo) if photo else "",
        yes_text=app.tr(yes_key), no_text=app.tr(no_key))
    app.sounds.play("alert", loop=True)
    return view
