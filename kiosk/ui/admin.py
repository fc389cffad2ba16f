"""Admin (a supervisor's or admin's PIN): sync status and "sync now", voids of today's sales,
reprints, X report and day close (Z), reader and printer state, blocking a lost badge, the
language. Every action goes through the counter service with the supervisor's session."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import mm, sp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk import lookups, receipts
from kiosk.ui import formats
from kiosk.ui.widgets import BigButton, ConfirmView
from sync.common.messages import render

if TYPE_CHECKING:
    from kiosk.counter import VoidResult
    from kiosk.lookups import SaleLine, StudentBadges, TerminalStatus
    from kiosk.reports import Report
    from kiosk.ui.terminal import Snapshot

SECTIONS = ("sync", "sales", "reports", "badge", "devices", "language")
SECTION_TEXT = {"sync": "sec_sync", "sales": "sec_sales", "reports": "sec_reports",
                "badge": "sec_badge", "devices": "sec_devices", "language": "sec_language"}


def _admin():
    return App.get_running_app().screens.get_screen("admin")


class SaleRow(BoxLayout):
    """One of today's sales in the void list (a RecycleView row)."""
    seq = NumericProperty(0)
    text = StringProperty("")            # the whole sale, in words (head, what, amount)
    head = StringProperty("")
    what = StringProperty("")
    amount = StringProperty("")
    voided = BooleanProperty(False)
    amount_cents = NumericProperty(0)
    student = StringProperty("")

    def void(self):
        _admin().ask_void(self.seq, self.amount_cents, self.student)

    def reprint(self):
        _admin().reprint(self.seq)


def _said(status: TerminalStatus, lang: str) -> str:
    """The last sync error in ``lang`` (recorded in English before it had its code)."""
    try:
        coded = json.loads(status.last_error_coded) if status.last_error_coded else None
    except ValueError:
        coded = None
    return render(coded["code"], coded["params"], lang) if coded else status.last_error


class AdminScreen(Screen):
    admin_session = ObjectProperty(None, allownone=True)
    section = StringProperty("sync")
    notice = StringProperty("")
    sync_lines = StringProperty("")
    device_lines = StringProperty("")
    report_text = StringProperty("")
    syncing = BooleanProperty(False)

    def on_kv_post(self, *_):
        App.get_running_app().bind(lang=lambda *_: self._relabel())
        menu = self.ids.menu
        app = App.get_running_app()
        app.bind(compact=lambda *_: self._label_menu())
        for name in SECTIONS:
            button = BigButton(font_size=sp(20))
            button.section = name
            button.bind(on_release=lambda b: self.show(b.section))
            menu.add_widget(button)
        back = BigButton(font_size=sp(20), bg=(0.3, 0.3, 0.3, 1))   # (sizes: _label_menu)
        back.section = ""
        back.bind(on_release=lambda _b: self.leave())
        menu.add_widget(back)
        self._label_menu()

    def _label_menu(self, *_):
        app = App.get_running_app()
        for button in self.ids.menu.children:
            button.text = app.tr(SECTION_TEXT[button.section]) if button.section else app.tr("back")
            button.font_size = sp(14) if app.compact else sp(20)
            button.bg = (0.16, 0.36, 0.66, 1) if button.section == self.section else \
                ((0.3, 0.3, 0.3, 1) if not button.section else (0.22, 0.27, 0.36, 1))
        if App.get_running_app().snapshot is not None:
            self.status_changed(App.get_running_app().snapshot)

    def _relabel(self) -> None:
        """The language changed: every text of the screen again, in the new one."""
        self._label_menu()
        if self._shown_report is not None:
            self._report(self._shown_report)
        if self._shown_sales is not None:
            self._sales(self._shown_sales)
        if self._shown_students is not None:
            self._found(self._shown_students)

    _shown_report: Report | None = None
    _shown_sales: list[SaleLine] | None = None
    _shown_students: list[StudentBadges] | None = None

    def on_pre_enter(self, *_):
        self.notice = ""
        self.show(self.section)

    def leave(self) -> None:
        app = App.get_running_app()
        self.admin_session = None
        app.goto(next(n for n in app.screens.offered if n not in ("login", "admin")))

    def show(self, section: str) -> None:
        self.section = section
        self.ids.panes.current = section
        self.notice = ""
        self._label_menu()
        if section == "sales":
            self.load_sales()

    # -- sync and devices (from the status snapshot) --------------------------------------------
    def status_changed(self, snap: Snapshot) -> None:
        app = App.get_running_app()
        s, now, lang = snap.store, app.terminal.service.clock.now(), app.lang
        state = {"online": "online", "offline": "offline", "error": "sync_error"}.get(s.sync or "")
        lines = [app.tr("sync_state", state=app.tr(state) if state else app.tr("never_synced"))]
        if not s.enrolled:
            lines.append(app.tr("not_enrolled"))
        lines += [app.tr("last_success", when=formats.ago(s.last_success_at, now, lang)),
                  app.tr("data_age", when=formats.ago(s.last_pull_at, now, lang)),
                  app.tr("waiting_entries", count=s.waiting)]
        if s.last_error:
            lines.append(app.tr("last_error", error=_said(s, lang)))
        for jump in s.clock_jumps:          # since the last Z (kiosk.clock_guard)
            lines.append("! " + receipts.clock_jump(lang, jump.seq, jump.seconds))
        if s.clock_jumps:
            lines.append(app.tr("clock_check"))
        self.sync_lines = "\n".join(lines)
        self.syncing = snap.syncing
        self.device_lines = "\n".join((
            app.tr("label_value", label=app.tr("reader"),
                   value=f"{app.tr('state_' + snap.reader.state)} {snap.reader.text(lang)}".strip()),
            app.tr("label_value", label=app.tr("printer"),
                   value=f"{app.tr('state_' + snap.printer.state)} {snap.printer.text(lang)}".strip()),
            app.tr("print_queue", pending=s.pending_prints, failed=s.failed_prints)))

    def sync_now(self) -> None:
        app = App.get_running_app()
        if app.terminal.sync.run_now(lambda result, error: Clock.schedule_once(
                lambda _dt: self._synced(result, error))):
            self.syncing = True
            self.notice = app.tr("sync_running")

    def _synced(self, result: dict | None, error: Exception | None) -> None:
        app = App.get_running_app()
        self.syncing = False
        self.notice = app.explain(error) if error is not None else app.tr("sync_done", **(result or {}))
        if app._poller is not None:
            app._poller.poke()

    # -- today's sales: void and reprint ---------------------------------------------------------
    def load_sales(self) -> None:
        app = App.get_running_app()
        app.call(lookups.sales_of_day, app.terminal.service.store, app.terminal.service.today(),
                 done=self._sales)

    def _sales(self, sales: list[SaleLine]) -> None:
        app = App.get_running_app()
        tz, self._shown_sales = app.terminal.config.tz, sales
        rows = []
        for s in sales:
            head = f"{app.tr('sale_no', seq=s.seq)}  {formats.clock_time(s.ts, tz, app.lang)}  {s.student}"
            what = self._articles(s) + (f"  ({app.tr('voided')})" if s.voided else "")
            amount = app.money(-s.amount_cents)
            rows.append({"seq": s.seq, "voided": s.voided, "amount_cents": -s.amount_cents,
                         "student": s.student, "head": head, "what": what, "amount": amount,
                         "text": f"{head}\n{what}  {amount}"})
        self.ids.sales.data = rows
        if not sales:
            self.notice = app.tr("no_sales")

    @staticmethod
    def _articles(sale: SaleLine) -> str:
        app = App.get_running_app()
        if not sale.lines:
            return sale.articles
        return ", ".join(f"{qty} × {app.names.article(code, app.lang, name)}"
                         for qty, code, name in sale.lines)

    def ask_void(self, seq: int, amount_cents: int, student: str) -> None:
        app = App.get_running_app()
        view = ConfirmView(kind="warning", title=app.tr("void"),
                           text=app.tr("void_confirm", seq=seq, amount=app.money(amount_cents),
                                       student=student),
                           yes_text=app.tr("void"), no_text=app.tr("back"))
        view.bind(on_answer=lambda _v, yes: self._void(seq) if yes else None)
        app.open_modal(view)

    def _void(self, seq: int) -> None:
        app = App.get_running_app()
        app.call(app.terminal.service.void, self.admin_session, seq, "",
                 done=self._voided, failed=self._failed)

    def _voided(self, result: VoidResult) -> None:
        app = App.get_running_app()
        self.notice = app.tr("void_done", seq=result.voided_seq, amount=app.money(result.credited_cents))
        self.load_sales()

    def reprint(self, seq: int) -> None:
        app = App.get_running_app()
        app.call(app.terminal.service.request_receipt, seq,
                 done=lambda job: setattr(self, "notice", app.tr("print_queued", job=job)),
                 failed=self._failed)

    def reprint_last(self) -> None:
        app = App.get_running_app()

        def last(sales):
            if sales:
                self.reprint(sales[0].seq)
            else:
                self.notice = app.tr("no_sales")
        app.call(lookups.sales_of_day, app.terminal.service.store, app.terminal.service.today(), 1,
                 done=last)

    def _failed(self, error: BaseException) -> None:
        self.notice = App.get_running_app().explain(error)

    # -- X and Z ----------------------------------------------------------------------------------
    def report_x(self) -> None:
        app = App.get_running_app()
        app.call(app.terminal.service.report_x, self.admin_session, done=self._report, failed=self._failed)

    def ask_close(self) -> None:
        app = App.get_running_app()
        view = ConfirmView(kind="warning", title=app.tr("report_z"), text=app.tr("z_confirm"),
                           yes_text=app.tr("report_z"), no_text=app.tr("back"))
        view.bind(on_answer=lambda _v, yes: yes and app.call(
            app.terminal.service.close_day, self.admin_session, done=self._closed, failed=self._failed))
        app.open_modal(view)

    def _closed(self, report: Report) -> None:
        self._report(report)
        self.notice = App.get_running_app().tr("report_closed", seq=report.close_seq)

    def _report(self, report: Report) -> None:
        app = App.get_running_app()
        money, self._shown_report = app.money, report
        name = app.names.article
        days = ", ".join(formats.long_day(day, app.lang) for day in report.days or [report.day])
        lines = [app.tr("report_head", kind=app.tr("report_x") if report.kind == "X" else app.tr("report_z"),
                        day=days, first=report.first_seq or "-", last=report.last_seq or "-")]
        first, last = report.period(app.terminal.config.tz)
        if first is not None:           # from the first to the last entry's time
            lines.append(receipts.period_lines(app.lang, report.days, first, last)[-1])
        lines += ["! " + receipts.clock_jump(app.lang, j["seq"], j["seconds"]) for j in report.clock_jumps]
        lines.append("")
        articles = sorted(((name(code, app.lang, a["name"]), a) for code, a in report.articles.items()),
                          key=lambda t: t[0])
        for shown, a in articles:
            lines.append(f"{a['qty']:>5} × {shown}   {money(a['total_cents'])}")
        pickups = sorted(((name(code, app.lang, p["name"]), p) for code, p in report.pickups.items()),
                         key=lambda t: t[0])
        for shown, p in pickups:
            lines.append(f"{p['qty']:>5} × {shown}   ({app.tr('delivered')})")
        lines.append("")
        for op in report.operators.values():
            lines.append(app.tr("label_value", label=op["name"],
                                value=f"{op['sales']} — {money(op['total_cents'])}"))
        lines.append("")
        lines.append(app.tr("report_totals", gross=money(report.gross_cents),
                            voids=f"{report.voids['count']} ({money(report.voids['total_cents'])})",
                            net=money(report.net_cents)))
        self.report_text = "\n".join(lines)
        self.notice = ""

    # -- a lost badge -------------------------------------------------------------------------------
    def search_badges(self, text: str) -> None:
        app = App.get_running_app()
        app.call(lookups.find_students, app.terminal.service.store, text, done=self._found)

    def _found(self, students: list[StudentBadges]) -> None:
        app = App.get_running_app()
        self._shown_students = students
        box = self.ids.badges
        box.clear_widgets()
        for s in students:
            for uid, status in s.badges:
                row = BoxLayout(size_hint_y=None, height=max(app.target, mm(14)), spacing=sp(8))
                who = Label(text=f"{s.name} ({s.class_name}) — {uid}", font_size=sp(19),
                            halign="left", valign="middle", shorten=True, shorten_from="center")
                who.bind(size=lambda label, size: setattr(label, "text_size", size))
                row.add_widget(who)
                block = status == "active"      # a blocked badge: blocked, and Unblock
                if not block:
                    row.add_widget(Label(text=app.tr("blocked"), size_hint_x=None, width=mm(22)))
                button = BigButton(text=app.tr("block" if block else "unblock"), size_hint_x=None,
                                   width=max(app.target * 2, mm(30)), font_size=sp(18),
                                   **({"bg": (0.72, 0.11, 0.1, 1)} if block else {}))
                button.bind(on_release=lambda _b, u=uid, n=s.name, b=block: self.ask_block(u, n, b))
                row.add_widget(button)
                box.add_widget(row)

    def ask_block(self, uid: str, name: str, block: bool = True) -> None:
        app = App.get_running_app()
        action = "block" if block else "unblock"
        view = ConfirmView(kind="warning", title=app.tr("sec_badge"),
                           text=app.tr(f"{action}_confirm", uid=uid, name=name),
                           yes_text=app.tr(action), no_text=app.tr("back"))
        change = app.terminal.service.block_badge if block else app.terminal.service.unblock_badge
        view.bind(on_answer=lambda _v, yes: yes and app.call(
            change, self.admin_session, uid,
            done=lambda _r: self._blocked(uid, action), failed=self._failed))
        app.open_modal(view)

    def _blocked(self, uid: str, action: str = "block") -> None:
        self.notice = App.get_running_app().tr(f"{action}_done", uid=uid)
        self.search_badges(self.ids.badge_search.text)
