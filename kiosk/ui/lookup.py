"""A student who forgot the badge ("Badge oublié"): find the student by name on an on-screen
keyboard (no accents needed: the search folds them, ``kiosk.name_search``), pick them by name
and class, then a supervisor confirms with their PIN (``kiosk.by_name.authorise``, on the
worker thread). The screen that asked gets a ``Lookup`` to charge, as it would a badge's UID.
Cancel at any step: nothing was made, nothing is left armed."""
from __future__ import annotations

from collections.abc import Callable

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import sp
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from kiosk import by_name, name_search, operators
from kiosk.by_name import Lookup
from kiosk.name_search import Found, Matches
from kiosk.ui.widgets import COLOURS, BigButton

KEY_ROWS = ("1234567890", "AZERTYUIOP", "QSDFGHJKLM", "WXCVBN-'")
# portrait: six keys a row (six 12 mm keys is all a 720 px wide 7" panel holds), A to Z
PORTRAIT_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-'1234567890"
SEARCH_DELAY = 0.25          # seconds after the last key before searching


class NameSearchView(ModalView):
    """The name typed on big keys, the students found as buttons "Name — class";
    ``on_chosen(found)`` when one is tapped."""
    query = StringProperty("")
    message = StringProperty("")
    __events__ = ("on_chosen",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._asked = 0          # searches asked: an answer to an older one is dropped
        self._answered = 0       # the search whose answer is shown
        self._trigger = Clock.create_trigger(self._search, SEARCH_DELAY)
        self.message = App.get_running_app().tr("lookup_hint")

    def on_kv_post(self, *_):
        app = App.get_running_app()
        app.bind(portrait=self._keys)
        self._keys()

    def _keys(self, *_: object) -> None:
        """The keys, in the grid ``key_rows``: AZERTY rows of ten in landscape, A to Z in
        rows of six in portrait."""
        app = App.get_running_app()
        grid = self.ids.key_rows
        grid.clear_widgets()
        for key in PORTRAIT_KEYS if app.portrait else "".join(KEY_ROWS):
            button = BigButton(text=key, font_size=sp(24) if app.compact else sp(26))
            button.bind(on_release=lambda _b, k=key: self.press(k))
            grid.add_widget(button)

    def press(self, key: str) -> None:
        if key == "erase":
            self.query = self.query[:-1]
        elif key == "clear":
            self.query = ""
        elif len(self.query) < 60:
            self.query += key

    def on_query(self, *_):
        self._asked += 1
        self._trigger()

    def _search(self, _dt: float) -> None:
        app = App.get_running_app()
        asked, text = self._asked, self.query
        if not name_search.words(text):
            self._answered = asked
            self._show(Matches([], False), app.tr("lookup_hint"))
            return
        app.call(name_search.search, app.terminal.service.store, text,
                 done=lambda matches: self._found(asked, matches))

    def _found(self, asked: int, matches: Matches) -> None:
        if asked != self._asked:
            return               # typed on since: that search's answer is out of date
        self._answered = asked
        app = App.get_running_app()
        message = ("" if matches.found and not matches.more else
                   app.tr("lookup_more") if matches.found else app.tr("lookup_none"))
        self._show(matches, message)

    @property
    def settled(self) -> bool:
        """The results shown answer what is typed: no search pending, the buttons stay."""
        return self._answered == self._asked

    def _show(self, matches: Matches, message: str) -> None:
        app = App.get_running_app()
        self.message = message
        box = self.ids.results
        box.clear_widgets()
        for found in matches.found:
            button = BigButton(text=f"{found.display_name} — {found.class_name}",
                               font_size=sp(18) if app.compact else sp(24), shorten=True)
            button.bind(on_release=lambda _b, f=found: self.choose(f))
            box.add_widget(button)

    def choose(self, found: Found) -> None:
        self._asked += 1
        self.dispatch("on_chosen", found)

    def on_chosen(self, found):
        pass


class LookupPinView(ModalView):
    """The student chosen, the supervisors' names and a PIN pad; ``on_authorised(lookup)``
    once a supervisor's PIN is right (wrong ones count toward their lock-out)."""
    student = ObjectProperty(None)         # name_search.Found
    operators = ListProperty([])
    chosen = StringProperty("")
    message = StringProperty("")
    __events__ = ("on_authorised",)

    def on_operators(self, _view: LookupPinView, ops: list[dict]) -> None:
        app = App.get_running_app()
        box = self.ids.names
        box.clear_widgets()
        for op in ops:
            button = BigButton(
                text=f"{op['name']}\n[size={int(sp(14))}]{app.tr('role_' + op['role'])}[/size]",
                on_release=lambda _b, name=op["name"]: self.choose(name))
            button.operator = op["name"]
            box.add_widget(button)
        if len(ops) == 1:
            self.choose(ops[0]["name"])

    def choose(self, name: str) -> None:
        self.chosen, self.message = name, ""
        self.ids.pad.pin = ""
        for button in self.ids.names.children:
            button.bg = COLOURS["info"] if button.operator == name else BigButton.bg.defaultvalue

    def submit(self, pin: str) -> None:
        if not self.chosen or not pin:
            return
        app = App.get_running_app()
        service = app.terminal.service
        app.call(by_name.authorise, service.store, self.student.student_id, self.chosen, pin,
                 service.clock.now(), done=self._done, failed=self._failed)

    def _done(self, lookup: Lookup) -> None:
        self.dismiss(animation=False)
        self.dispatch("on_authorised", lookup)

    def _failed(self, error: BaseException) -> None:
        self.message = App.get_running_app().explain(error)

    def on_authorised(self, lookup):
        pass


def serve_without_badge(then: Callable[[Lookup], None]) -> NameSearchView:
    """Search, pick, supervisor's PIN; then ``then(lookup)`` on the UI thread. Taps of badges
    wait meanwhile (modal views), as for any question the counter asks."""
    app = App.get_running_app()
    search = NameSearchView()

    def chosen(_view: NameSearchView, found: Found) -> None:
        def show(ops: list[dict]) -> None:
            pin = LookupPinView(student=found)
            pin.operators = [op for op in ops if op["active"]
                             and op["role"] in operators.PERMISSIONS["serve_without_badge"]]
            pin.bind(on_authorised=lambda _v, lookup: then(lookup))
            search.dismiss(animation=False)      # the PIN pad opens in the same frame
            app.open_modal(pin)
        app.call(operators.list_operators, app.terminal.service.store, done=show)
    search.bind(on_chosen=chosen)
    app.open_modal(search)
    return search
