"""The touch app: one window with the status bar on top, a banner when the reader or the
printer is gone, the screens of this terminal's profile, and the navigation at the bottom.

Threads: the badge reader calls back from its own thread, the counter service runs on the
terminal's worker thread, the status is read on a thread of its own; every result reaches
the screen through ``Clock.schedule_once``. Nothing here decides anything about money.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import Metrics, sp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, Screen

from kiosk import names as name_book
from kiosk.ui import formats, frames, sync_status
from kiosk.ui.layout import AdaptiveLayout
from kiosk.ui.lazy import LazyScreens, screen_class
from kiosk.ui.sounds import Sounds
from kiosk.ui.terminal import Snapshot, StatusPoller, Terminal
from kiosk.ui.texts import tr
from kiosk.ui.widgets import BigButton
from sync.common.errors import ComptoirError
from sync.common.messages import render

if TYPE_CHECKING:
    from kivy.uix.modalview import ModalView

    from drivers.badge import BadgeEvent, Status
    from drivers.badge.base import RefusedRead
    from drivers.badge.simulated import SimulatedReader
    from kiosk.operators import Session

log = logging.getLogger("comptoir.ui")
HERE = Path(__file__).resolve().parent
KV_FILES = ("widgets.kv", "app.kv", "login.kv", "sale.kv", "pickup.kv", "copies.kv", "balance.kv",
            "admin.kv", "lookup.kv", "recent.kv")

# Which screens each kind of terminal shows, in the navigation's order.
PROFILE_SCREENS = {"canteen": ("sale", "pickup", "balance", "admin"),
                   "reception": ("copies", "balance", "admin")}
NAV_TEXT = {"sale": "nav_sale", "pickup": "nav_pickup", "copies": "nav_copies",
            "balance": "nav_balance", "admin": "nav_admin"}


class RootView(BoxLayout):
    pass


class ComptoirApp(AdaptiveLayout, App):
    lang = StringProperty("fr")
    operator_name = StringProperty("")
    terminal_name = StringProperty("")
    self_service = BooleanProperty(False)
    session = ObjectProperty(None, allownone=True)
    # The kind of the answer whose colour is the window's clear colour while it covers the
    # screen ("" when none): the bars over it (status, rush, strip) and the strip's cards of
    # the same colour draw no background of their own (kiosk.ui.frames).
    painted = StringProperty("")
    title = "Comptoir"

    def __init__(self, terminal: Terminal, badge_panel: Mapping[str, str] | None = None,
                 self_service: bool = False, **kwargs: Any):
        """``badge_panel``: badges to tap on screen (UID → label), sent to the terminal's
        reader (a simulated one); the demo passes its own (``kiosk.demo.launch``)."""
        super().__init__(**kwargs)
        self.terminal = terminal
        self.badge_panel = badge_panel
        self.self_service = self_service
        self.sounds = Sounds(terminal.config.ui.sound)
        self.snapshot: Snapshot | None = None
        self._status_read_at = 0.0       # when the status shown was read (time.monotonic())
        self.locked_name = ""            # who was logged in when the session locked itself
        self._poller: StatusPoller | None = None
        self._last_activity = time.monotonic()
        self._modal: ModalView | None = None
        self._pending_taps: deque = deque()
        self.names = name_book.EMPTY         # article and category names (kiosk.names), read on attach
        self._names_of: object = None    # the data they were read from (its last pull)

    # -- words, money, errors --------------------------------------------------------------
    def tr(self, key: str, lang: str | None = None, **params: object) -> str:
        return tr(key, lang or self.lang, **params)

    def money(self, cents: int, lang: str | None = None) -> str:
        return formats.money(cents, lang or self.lang)

    def message_of(self, code: str, **params: object) -> str:
        return render(code, params, self.lang)

    def error_text(self, error: ComptoirError) -> str:
        """A refusal or question in the screen's language, articles named in it too."""
        return render(error.code, self.names.localise(error.params, self.lang), self.lang)

    def explain(self, error: BaseException) -> str:
        if isinstance(error, ComptoirError):
            return self.error_text(error)
        log.error("unexpected error in a counter call: %s", type(error).__name__, exc_info=error)
        return self.tr("label_value", label=self.tr("error"), value=type(error).__name__)

    def set_language(self, lang: str) -> None:
        self.lang = lang

    def _language_changed(self) -> None:
        """Everything on screen says it again in the new language: the navigation, the
        status bar and banner, the screens (each binds ``lang``)."""
        self._label_nav()
        if self._flashed is not None and time.monotonic() < getattr(self, "_flash_until", 0):
            self.root_view.ids.banner.text = self._flashed()
        if self.snapshot is not None:
            self.apply_snapshot(self.snapshot)

    def _read_names(self, data_of: object) -> None:
        self._names_of = data_of
        terminal = self.terminal
        self.call(name_book.read, terminal.service.store, terminal.config.terminal.language,
                  done=lambda book: self._names_read(terminal, book))

    def _names_read(self, terminal: Terminal, book: name_book.NameBook) -> None:
        if terminal is self.terminal and book != self.names:
            self.names = book
            self.property("lang").dispatch(self)      # the screens show them again

    # -- lifecycle ---------------------------------------------------------------------------
    def build(self):
        self.follow_window()            # app.portrait, app.compact, app.target (kiosk.ui.layout)
        # Kivy's dp()/sp() factors are -1 until Metrics.density and .fontscale are first read
        # (Linux desktop): read them before any rule is applied, or dp() paddings are negative
        Metrics.get_density()
        Metrics.get_fontscale()
        for name in KV_FILES:
            Builder.load_file(str(HERE / name))
        Window.clearcolor = (0.11, 0.13, 0.17, 1)
        Window.bind(on_touch_down=self._activity)
        self.root_view = RootView()
        self.screens: LazyScreens = self.root_view.ids.screens
        self.screens.transition = NoTransition()
        frames.unclip(self.screens)             # no stencil: a frame costs less without a GPU
        Clock.schedule_interval(self._tick, 1.0)
        self.bind(lang=lambda *_: self._language_changed())
        self.attach(self.terminal, self.badge_panel, self.self_service)
        return self.root_view

    def attach(self, terminal: Terminal, badge_panel: Mapping[str, str] | None = None,
               self_service: bool = False) -> None:
        """Show ``terminal``: its profile's screens, its reader, its status. Tests attach a
        fresh terminal (a fresh data folder) to the one app of their session."""
        self.detach()
        self.terminal, self.badge_panel, self.self_service = terminal, badge_panel, self_service
        self.sounds.enabled = terminal.config.ui.sound
        self.lang = terminal.config.terminal.language
        self.terminal_name = terminal.config.terminal.name
        self.session, self.operator_name, self.locked_name = None, "", ""
        self._pending_taps.clear()
        self._status_read_at = 0.0
        self.names, self._names_of = name_book.EMPTY, None
        names = ("balance",) if self_service else \
            ("login",) + PROFILE_SCREENS[terminal.config.terminal.profile]
        self.snapshot = None                    # the last terminal's status is not this one's
        self.screens.offer({name: self._build_screen for name in names})    # built at first visit
        Window.clearcolor = (0.11, 0.13, 0.17, 1)   # the last terminal's screens paint no more
        self._build_nav(names)
        self._build_badge_panel(badge_panel)
        if terminal.reader is not None:
            terminal.reader.start(self._reader_event, self._reader_state, self._reader_refused)
        self._poller = StatusPoller(terminal, self._status_from_thread).start()
        self.goto("balance" if self_service else "login")
        self._last_activity = time.monotonic()
        self._read_names("attached")

    def _build_screen(self, name: str) -> Screen:
        screen = screen_class(name)(name=name)
        if self.snapshot is not None:
            getattr(screen, "status_changed", lambda _s: None)(self.snapshot)
        return screen

    def detach(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        if self._modal is not None:
            self._modal.dismiss(animation=False)
            self._modal = None
        if self.terminal is not None and self.terminal.reader is not None:
            self.terminal.reader.stop(timeout=2)
        self.sounds.stop("alert")

    def on_stop(self):
        self.detach()

    # -- navigation --------------------------------------------------------------------------
    def _build_nav(self, names: Sequence[str]) -> None:
        nav = self.root_view.ids.nav
        nav.clear_widgets()
        shown = [n for n in names if n != "login"]
        nav.height = 0 if self.self_service else nav.height_when_shown
        nav.opacity = 0 if self.self_service else 1
        if self.self_service:
            return
        for name in shown:
            button = BigButton(font_size=sp(24))
            button.screen_name = name
            button.bind(on_release=lambda b: self.open_screen(b.screen_name))
            nav.add_widget(button)
        self._label_nav()

    def _label_nav(self) -> None:
        if not hasattr(self, "root_view"):
            return
        for button in self.root_view.ids.nav.children:
            button.text = self.tr(NAV_TEXT[button.screen_name])
            button.bg = (0.16, 0.36, 0.66, 1) if self.screens.current == button.screen_name \
                else (0.22, 0.27, 0.36, 1)

    def open_screen(self, name: str) -> None:
        if self.session is None and not self.self_service:
            return
        if name == "admin":
            self.require_supervisor(lambda session: self._open_admin(session))
            return
        self.goto(name)

    def _open_admin(self, session: Session) -> None:
        self.screens.get_screen("admin").admin_session = session
        self.goto("admin")

    def goto(self, name: str) -> None:
        self.screens.current = name
        nav = self.root_view.ids.nav            # no navigation before a login: its room is the PIN pad's
        nav.disabled = name == "login"
        shown = not self.self_service and name != "login"
        nav.height, nav.opacity = (nav.height_when_shown, 1) if shown else (0, 0)
        self._label_nav()

    def _build_badge_panel(self, badges: Mapping[str, str] | None) -> None:
        panel = self.root_view.ids.demo
        panel.clear_widgets()
        panel.width = panel.width_when_shown if badges else 0
        panel.opacity = 1 if badges else 0
        if not badges:
            return
        from kivy.uix.label import Label
        panel.add_widget(Label(text=self.tr("demo_badges"), bold=True, size_hint_y=None,
                               height=sp(30)))
        for uid, label in badges.items():
            button = BigButton(text=label, font_size=sp(15))
            button.badge_uid = uid
            # (the badge panel goes with a simulated reader: kiosk.demo.launch, the tests)
            button.bind(on_release=lambda b: cast("SimulatedReader",
                                                  self.terminal.reader).inject(b.badge_uid))
            panel.add_widget(button)

    # -- operators -----------------------------------------------------------------------------
    def logged_in(self, session: Session) -> None:
        self.session = session
        self.operator_name = session.name
        self.locked_name = ""
        self._last_activity = time.monotonic()
        first = PROFILE_SCREENS[self.terminal.config.terminal.profile][0]
        self.goto(first)

    def _end_session(self) -> None:
        self.session, self.operator_name = None, ""
        if "admin" in self.screens.screen_names:           # a supervisor's PIN lasts one visit
            self.screens.get_screen("admin").admin_session = None

    def lock(self) -> None:
        """Idle too long: the session locks; the same operator (or another) logs in again."""
        if self.session is None or self.self_service:
            return
        self.locked_name = self.session.name
        self._end_session()
        login = self.screens.get_screen("login")
        login.show(locked=self.locked_name)
        self.goto("login")

    def switch_operator(self) -> None:
        """First of the two taps that switch operator (the second taps the new name)."""
        if self.session is None:
            return
        self.locked_name = ""
        self._end_session()
        self.screens.get_screen("login").show()
        self.goto("login")

    def require_supervisor(self, then: Callable[[Session], None]) -> None:
        """Run ``then(session)`` as a supervisor: the current one, or after a supervisor's PIN."""
        if self.session is not None and self.session.role in ("supervisor", "admin"):
            then(self.session)
            return
        from kiosk import operators
        from kiosk.ui.widgets import SupervisorView

        def show(ops):
            view = SupervisorView(callback=then)
            view.operators = [op for op in ops if op["role"] in ("supervisor", "admin") and op["active"]]
            self.open_modal(view)
        self.call(operators.list_operators, self.terminal.service.store, done=show)

    # -- calls to the counter service ----------------------------------------------------------
    def call(self, fn, *args, done=None, failed=None, **kwargs):
        """Run ``fn`` on the worker thread; ``done(result)`` or ``failed(error)`` run on the UI
        thread afterwards (an error with no ``failed`` is shown in the banner for a while).

        The status bar's figures (entries waiting...) are read again on the worker right
        after ``fn`` and applied in the same callback as its result: the sale and the new
        count are drawn in one frame, not in two (a frame costs tens of milliseconds with
        software OpenGL, and a second one would land on the next badge tap)."""
        terminal, status = self.terminal, []

        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                status.append(self._read_status(terminal))
        future = terminal.submit(run)

        def deliver(f):
            Clock.schedule_once(lambda _dt: self._deliver(f, done, failed, status[0] if status else None))
        future.add_done_callback(deliver)
        return future

    @staticmethod
    def _read_status(terminal):          # the worker thread
        try:
            return terminal, terminal.status_snapshot(), time.monotonic()
        except Exception:               # the status thread will read it again
            log.exception("status read failed")
            return None

    def _deliver(self, future: Future, done: Callable[[Any], None] | None,
                 failed: Callable[[BaseException], None] | None, status: tuple | None = None) -> None:
        if status is not None and status[0] is self.terminal:
            self._apply_status(*status[1:])
        error = future.exception()
        if error is not None:
            if failed is not None:
                failed(error)
            else:
                self.flash(lambda: self.explain(error))
            return
        if done is not None:
            done(future.result())
        self.terminal.wake_printer()
        if status is None and self._poller is not None:
            self._poller.poke()

    def flash(self, text: str | Callable[[], str], seconds: float = 6.0) -> None:
        """A message in the banner for a few seconds (errors no screen asked for); ``text()``
        says it in the app's language, again if the language changes meanwhile."""
        self._flashed = text if callable(text) else (lambda: text)
        self.root_view.ids.banner.text = self._flashed()
        self._flash_until = time.monotonic() + seconds

    _flashed: Callable[[], str] | None = None

    # -- modal views (confirmations): badge taps wait until they are answered ------------------
    def open_modal(self, view: ModalView) -> None:
        self._modal = view
        view.bind(on_dismiss=self._modal_closed)
        view.open(animation=False)

    def _modal_closed(self, view: ModalView) -> None:
        if self._modal is view:
            self._modal = None
        Clock.schedule_once(lambda _dt: self._drain_taps())

    def _drain_taps(self) -> None:
        while self._pending_taps and self._modal is None:
            uid, at = self._pending_taps.popleft()
            self.on_badge(uid, at)

    # -- badges ------------------------------------------------------------------------------------
    def _reader_event(self, event: BadgeEvent) -> None:          # the reader's thread
        Clock.schedule_once(lambda _dt: self.on_badge(event.uid, event.at))

    def _reader_refused(self, refused: RefusedRead) -> None:    # the reader's thread
        from kiosk.hardware import refused_read_message
        Clock.schedule_once(lambda _dt: self.flash(lambda: refused_read_message(refused, self.lang)))

    def _reader_state(self, _status: Status) -> None:        # the reader's thread
        if self._poller is not None:
            self._poller.poke()

    def on_badge(self, uid: str, at: float | None = None) -> None:
        self._last_activity = time.monotonic()
        if self._modal is not None:
            self._pending_taps.append((uid, at))
            return
        screen = self.screens.current_screen
        handler = getattr(screen, "handle_badge", None)
        if handler is None or (self.session is None and not self.self_service):
            return
        handler(uid, at)

    # -- status bar and idle lock ----------------------------------------------------------------
    def _status_from_thread(self, snapshot: Snapshot) -> None:     # the status thread
        read_at = time.monotonic()
        Clock.schedule_once(lambda _dt: self._apply_status(snapshot, read_at))

    def _apply_status(self, snap: Snapshot, read_at: float) -> None:
        """Apply a status read at ``read_at`` unless a newer one is already shown (the status
        thread's read may arrive after the one a sale brought, and would put the count back)."""
        if read_at < self._status_read_at:
            return
        self._status_read_at = read_at
        self.apply_snapshot(snap)

    _applied: tuple | None = None       # what the status bar's texts were made from, and when

    def apply_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        # The same status again within the same second (the status thread's read after a
        # sale's, the clock's tick) says the same words: not made again (a tap's frame waits
        # for the UI thread's work).
        key = (self.terminal, snap, self.lang, int(time.time()),
               time.monotonic() >= getattr(self, "_flash_until", 0))
        if key == self._applied:
            return
        self._applied = key
        bar, store = self.root_view.ids.status, snap.store
        if self._names_of == "attached":
            self._names_of = store.last_pull_at
        elif self._names_of != store.last_pull_at:
            self._read_names(store.last_pull_at)     # a pull may have renamed articles
        now = self.terminal.service.clock.now()
        state, bar.sync_kind = sync_status.sync_text(store, self.tr, self.lang)
        data_from = self.tr("data_from", when=formats.ago(store.last_pull_at, now, self.lang))
        bar.sync_text = f"{state} · {data_from}"
        bar.waiting_text = self.tr("waiting_entries", count=store.waiting)
        bar.reader_ok = not snap.reader.gone
        bar.reader_text = f"{self.tr('reader')} {self.tr('state_' + snap.reader.state)}"
        bar.printer_ok = not snap.printer.gone
        bar.printer_text = f"{self.tr('printer')} {self.tr('state_' + snap.printer.state)}"
        if time.monotonic() >= getattr(self, "_flash_until", 0):
            lines = []          # one line per device: each stays readable
            if snap.reader.gone:
                lines.append(self.tr("banner_reader", reason=snap.reader.text(self.lang)))
            if snap.printer.gone:
                lines.append(self.tr("banner_printer", reason=snap.printer.text(self.lang)))
            if snap.store.disk_full:
                lines.append(self.tr("banner_disk"))
            self.root_view.ids.banner.text = "\n".join(lines)
        for screen in self.screens.screens:
            getattr(screen, "status_changed", lambda _s: None)(snap)

    def _tick(self, _dt: float) -> None:
        self.root_view.ids.status.clock_text = formats.clock_time(
            self.terminal.service.clock.now(), self.terminal.config.tz, self.lang)
        idle = time.monotonic() - self._last_activity
        if (self.session is not None and self._modal is None
                and idle > self.terminal.config.ui.idle_lock_seconds):
            self.lock()
        if self.snapshot is not None and time.monotonic() >= getattr(self, "_flash_until", 0):
            self.apply_snapshot(self.snapshot)

    def _activity(self, *_args: object) -> None:
        self._last_activity = time.monotonic()
