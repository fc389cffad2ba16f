"""Rush mode's answers over time (issue 14): each badge's answer fills the screen, and goes
back to "tap the badge" after ``[ui] rush_result_seconds`` so that a student arriving does
not read the previous student's answer; the last answers stay in a strip of small cards
under it (colour, icon, title, name, new balance or what is missing), newest on the left.

Two badges tapped back to back (150 ms apart) both stay on screen: the new answer big, the
one before it in the strip, without the rush waiting for anyone. A card tapped shows its
answer big again (the student came back to ask).

The strip keeps the answer the big panel does not show: while the big panel shows an answer,
the strip holds the ones before it; once the big panel is back to waiting, the strip holds
the last ones, that one included. Cards are made once and recycled (the oldest becomes the
newest): a tap redraws one card's two labels, not the whole strip.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

if TYPE_CHECKING:
    from kiosk.ui.present import Shown
    from kiosk.ui.widgets import ResultPanel

CARDS = 4                  # answers kept in the strip


class RecentCard(ButtonBehavior, BoxLayout):
    """One past answer, small: colour and icon of its kind, words, never colour alone."""
    kind = StringProperty("idle")
    title = StringProperty("")
    name = StringProperty("")
    line = StringProperty("")
    used = BooleanProperty(False)
    shown: Shown | None = None
    photo = ""


class RecentStrip(BoxLayout):
    """The strip under the rush answer (kiosk/ui/recent.kv)."""
    count = NumericProperty(0)          # cards in use

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cards = [RecentCard() for _ in range(CARDS)]
        for card in self.cards:         # in order: the first one is the newest, on the left
            self.add_widget(card)
            card.bind(on_release=self._tapped)

    def show(self, answers: list[tuple[Shown, str]]) -> None:
        """Cards for ``answers`` (newest first), recycling the cards already showing them."""
        answers = answers[:CARDS]
        keep = {id(c.shown): c for c in self.cards if c.used and c.shown is not None}
        order = []
        for shown, photo in answers:
            card = keep.pop(id(shown), None)
            order.append((card, shown, photo))
        free = [c for c in self.cards if c not in [o[0] for o in order]]
        cards = []
        for card, shown, photo in order:
            if card is None:
                card = free.pop(0)
                self._fill(card, shown, photo)
            cards.append(card)
        for card in free:
            card.used, card.shown, card.photo = False, None, ""
            card.kind, card.title, card.name, card.line = "idle", "", "", ""
        self.count = len(cards)
        self.cards = cards + free
        if [c for c in reversed(self.children)] != self.cards:
            self.clear_widgets()
            for card in self.cards:
                self.add_widget(card)

    @staticmethod
    def _fill(card: RecentCard, shown: Shown, photo: str) -> None:
        card.used, card.shown, card.photo = True, shown, photo
        card.kind, card.title, card.name = shown.kind, shown.title, shown.name
        card.line = shown.big or shown.detail or shown.reason

    def _tapped(self, card: RecentCard) -> None:
        if card.used and card.shown is not None:
            self.dispatch("on_pick", card.shown, card.photo)

    __events__ = ("on_pick",)

    def on_pick(self, shown: Shown, photo: str) -> None:
        pass


class Answer:
    """One rush answer, rendered in the screen's language (again after a language switch)."""
    __slots__ = ("render", "photo", "lang", "_shown")

    def __init__(self, render: Callable[[], Shown], photo: str):
        self.render, self.photo = render, photo
        self.lang = ""
        self._shown: Shown | None = None

    def shown(self) -> Shown:
        lang = App.get_running_app().lang
        if self._shown is None or lang != self.lang:     # the same object while the language
            self._shown, self.lang = self.render(), lang  # stays: the strip recycles its card
        return self._shown


class RushResults:
    """The big answer and the strip of a rush, and the time the big answer stays.

    ``say(put)`` is the screen's way of putting something on the big panel (``put`` is
    called again when the language changes, kiosk.ui.paying); each answer is kept as the
    function that renders it, so that the strip follows a language switch too."""

    def __init__(self, panel: ResultPanel, strip: RecentStrip, say: Callable[[Callable[[], None]], None]):
        self.panel, self.strip, self.say = panel, strip, say
        self.answers: deque[Answer] = deque(maxlen=CARDS + 1)
        self.big = False                # the panel shows answers[0]
        self.since = 0.0                # time.monotonic() when the big answer was put up
        strip.bind(on_pick=lambda _s, shown, photo: self._again(shown, photo))
        App.get_running_app().bind(lang=lambda *_: self._show_strip())

    @staticmethod
    def seconds() -> int:
        return App.get_running_app().terminal.config.ui.rush_result_seconds

    def start(self) -> None:
        self.answers.clear()
        self.waiting()

    def stop(self) -> None:
        Clock.unschedule(self._expired)
        self.answers.clear()
        self.big = False
        self.strip.show([])

    def shown(self, answer: Answer) -> None:
        """``answer`` was just put in the big panel: the ones before it go to the strip."""
        self.answers.appendleft(answer)
        self.big = True
        self._show_strip()
        self._stay()

    def waiting(self) -> None:
        """The big panel waits for the next badge; the strip keeps the last answers."""
        app = App.get_running_app()
        self.say(lambda: self.panel.message("idle", app.tr("tap_badge")))
        self.big = False
        self._show_strip()

    def _show_strip(self) -> None:
        answers = list(self.answers)[1:] if self.big else list(self.answers)
        self.strip.show([(a.shown(), a.photo) for a in answers])

    def _stay(self) -> None:
        """The big answer stays ``seconds()`` from now (0: until the next badge)."""
        Clock.unschedule(self._expired)
        self.since = time.monotonic()
        if self.seconds() > 0:
            Clock.schedule_once(self._expired, self.seconds())

    def _expired(self, _dt: float) -> None:
        # Kivy counts from the start of the frame the answer was shown in: on a slow frame
        # that is earlier than the answer, which must stay its whole time all the same.
        left = self.seconds() - (time.monotonic() - self.since)
        if left > 0.01:
            Clock.schedule_once(self._expired, left)
            return
        self.waiting()

    def _again(self, shown: Shown, photo: str) -> None:
        """A card tapped: its answer big again for a while (it stays in the strip too)."""
        answer = next((a for a in self.answers if a.shown() is shown), None)
        if answer is not None:
            self.say(lambda: self.panel.show(answer.shown(), photo))
        self.big = False
        self._stay()
