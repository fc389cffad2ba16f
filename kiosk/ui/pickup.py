"""Sandwich pickup: today's reservations with counts per sandwich (reserved / delivered /
left), a search by name or class, printable pick and uncollected lists; a badge tapped shows
that student's reservations, handed over in one tap."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import ListProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk import lookups
from kiosk.ui import flows, formats, present
from kiosk.ui.paying import allergen_alert
from sync.common.errors import NeedsConfirmation

if TYPE_CHECKING:
    from kiosk.counter import PickupResult
    from kiosk.holders import Identity
    from sync.common.errors import ComptoirError


def number_width(texts: list[str], font_size: float) -> float:
    """The width of a column of short texts (a header and its numbers), in pixels."""
    label = CoreLabel(font_size=font_size, bold=True)
    return max(label.get_extents(t)[0] for t in texts) + dp(8)


class PickupScreen(Screen):
    rows = ListProperty([])              # reservations_of_day()
    query = StringProperty("")
    pending_uid = StringProperty("")     # the badge whose reservations are on the right
    to_deliver = ListProperty([])        # their reservation ids still to hand over
    notice = StringProperty("")

    def on_kv_post(self, *_):
        App.get_running_app().bind(lang=lambda *_: self._language_changed(),
                                   compact=lambda *_: self._show_rows())

    def _language_changed(self) -> None:
        self._show_rows()
        if self._said is not None:
            self._said()             # the answer on screen, in the new language

    _said: Callable[[], None] | None = None

    def say(self, put: Callable[[], None]) -> None:
        """``put()`` puts an answer on the result panel in the app's language (again when
        the language changes)."""
        self._said = put
        put()

    @staticmethod
    def _name(row: dict) -> str:
        app = App.get_running_app()
        return app.names.article(row["article"], app.lang, row["name"])

    def on_pre_enter(self, *_):
        self.refresh()

    def refresh(self) -> None:
        app = App.get_running_app()
        app.call(app.terminal.service.reservations_of_day, done=self._loaded)

    def _loaded(self, rows: list[dict]) -> None:
        self.rows = rows
        self._show_rows()

    # -- the day's list ----------------------------------------------------------------------
    def _show_rows(self, *_):
        app = App.get_running_app()
        table = self.ids.counts
        table.clear_widgets()
        heads = (app.tr("pickup_title"), app.tr("reserved"), app.tr("delivered"), app.tr("left"))
        counts = sorted(lookups.reservation_counts(self.rows), key=self._name)
        # the sandwich's name takes what is left (shortened); each number column is as wide
        # as its header or its largest number, never cut
        cell = Factory.CountCell
        font = cell().font_size
        widths = [number_width([heads[i]] + [str(c[k]) for c in counts], font)
                  for i, k in ((1, "reserved"), (2, "delivered"), (3, "left"))]
        for row, bold in [(heads, True)] + [((self._name(c), str(c["reserved"]), str(c["delivered"]),
                                              str(c["left"])), False) for c in counts]:
            table.add_widget(cell(text=row[0], bold=bold, size_hint_x=1))
            for text, width in zip(row[1:], widths):
                table.add_widget(cell(text=text, bold=bold, size_hint_x=None, width=width))
        q = self.query.strip().lower()
        shown = [r for r in self.rows if not q or q in f"{r['first_name']} {r['last_name']}".lower()
                 or q in f"{r['last_name']} {r['first_name']}".lower()
                 or q == (r["class_name"] or "").lower()]
        self.ids.list.data = [{"text": self._row_text(r)} for r in shown]

    def _row_text(self, r: dict) -> str:
        return (f"[b]{r['class_name']}[/b]  {r['last_name']} {r['first_name']}"
                f" — {r['quantity']} × {self._name(r)}  ({self._status(r)})")

    def _status(self, r: dict) -> str:
        app = App.get_running_app()
        if r["status"] == "delivered":
            return app.tr("status_delivered", when=formats.clock_time(
                r["delivered_at"], app.terminal.config.tz, app.lang) if r["delivered_at"] else "")
        return app.tr("status_" + r["status"])

    def on_query(self, *_):
        self._show_rows()

    def print_list(self, kind: str) -> None:
        app = App.get_running_app()
        app.call(app.terminal.service.request_list, kind,
                 done=lambda job: setattr(self, "notice", app.tr("print_queued", job=job)))

    # -- a badge -------------------------------------------------------------------------------
    def handle_badge(self, uid: str, at: float | None = None) -> None:
        app = App.get_running_app()
        app.call(flows.identify, app.terminal.service, uid, done=lambda found: self._show_student(uid, found))

    def _show_student(self, uid: str, found: tuple[Identity | None, ComptoirError | None]) -> None:
        app = App.get_running_app()
        identity, error = found
        panel = self.ids.result
        self.pending_uid, self.to_deliver = "", []
        if error is not None:
            self.say(lambda: panel.message("refused", app.tr("refused"), app.error_text(error)))
            app.sounds.play("refused")
            return
        assert identity is not None                 # (flows.identify: an identity or an error)
        photo = app.terminal.photo_path(identity.student)
        photo = str(photo) if photo else ""
        todo = [r for r in identity.reservations if r["status"] == "reserved"]
        done = [r for r in identity.reservations if r["status"] == "delivered"]
        name = present.student_line(identity.student)

        def lines() -> str:
            out = [f"{r['quantity']} × {self._name(r)}" for r in todo]
            out += [app.tr("label_value", label=f"{r['quantity']} × {self._name(r)}",
                           value=app.message_of("already_delivered", when=formats.day_and_time(
                               r["delivered_at"], app.terminal.config.tz, app.lang),
                               where=r["delivered_where"])) for r in done]
            return "\n".join(out)
        if todo:
            self.pending_uid, self.to_deliver = uid, [r["id"] for r in todo]
            self.say(lambda: panel.message("info", app.tr("status_reserved").upper(), lines(),
                                           name, photo))
        elif done:
            self.say(lambda: panel.message("refused", app.tr("refused"), lines(), name, photo))
            app.sounds.play("refused")
        else:
            self.say(lambda: panel.message("refused", app.tr("refused"),
                                           app.message_of("no_reservation"), name, photo))
            app.sounds.play("refused")

    def deliver(self, confirm: tuple[str, ...] = ()) -> None:
        """The one tap that hands over what the badge holder reserved today."""
        app = App.get_running_app()
        uid, ids = self.pending_uid, list(self.to_deliver)
        if not uid:
            return
        self.pending_uid, self.to_deliver = "", []
        app.call(app.terminal.service.pickup, app.session, uid, ids, confirm,
                 done=self._delivered,
                 failed=lambda error: self._refused(error, uid, ids, confirm))

    def _delivered(self, result: PickupResult) -> None:
        app = App.get_running_app()
        photo = app.terminal.photo_path(result.student)
        self.say(lambda: self.ids.result.message(
            "ok", app.tr("delivered_ok"),
            "\n".join(f"{i['qty']} × {app.names.article(i['article'], app.lang, i['name'])}"
                      for i in result.delivered),
            present.student_line(result.student), str(photo) if photo else ""))
        app.sounds.play("ok")
        self.refresh()

    def _refused(self, error: BaseException, uid: str = "", ids: list[str] | None = None,
                 confirm: tuple[str, ...] = ()) -> None:
        app = App.get_running_app()
        if isinstance(error, NeedsConfirmation):
            self._ask(error, uid, ids or [], confirm)
            return
        student = getattr(error, "student", None)
        photo = app.terminal.photo_path(student) if student else None
        self.say(lambda: self.ids.result.message("refused", app.tr("refused"), app.explain(error),
                                                 present.student_line(student),
                                                 str(photo) if photo else ""))
        app.sounds.play("refused")
        self.refresh()

    def _ask(self, error: NeedsConfirmation, uid: str, ids: list[str],
             confirm: tuple[str, ...]) -> None:
        """The allergen alert, as at a sale: handed over only on "Remettre quand même"."""
        app = App.get_running_app()
        student = getattr(error, "student", None)
        view = allergen_alert(error, student, "hand_over_anyway", "do_not_hand_over")

        def answered(_view, yes):
            app.sounds.stop("alert")
            if yes:
                self.pending_uid, self.to_deliver = uid, ids
                self.deliver((*confirm, error.code))
            else:
                photo = app.terminal.photo_path(student) if student else None
                self.say(lambda: self.ids.result.message("info", app.tr("handover_cancelled"), "",
                                                         present.student_line(student),
                                                         str(photo) if photo else ""))
        view.bind(on_answer=answered)
        self.confirm_view = view
        app.open_modal(view)
