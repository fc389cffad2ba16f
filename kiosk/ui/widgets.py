"""Widgets every screen uses (their look is in widgets.kv): big buttons, icons drawn from a
font that has them, the PIN pad, the status bar, the result panel and the modal views."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.metrics import sp
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView

from kiosk.ui import frames
from kiosk.ui.present import Shown

if TYPE_CHECKING:
    from kiosk.operators import Session

GLYPHS = {"ok": "✔", "refused": "✖", "warning": "⚠", "info": "ℹ", "wait": "⌛", "idle": "ℹ",
          "online": "●", "offline": "○", "erase": "⌫", "unpaid": "⚠"}

# colours: background, panels, and one per meaning (always with an icon and words too)
COLOURS = {
    "ok": (0.09, 0.48, 0.2, 1), "refused": (0.72, 0.11, 0.1, 1), "warning": (0.86, 0.5, 0.02, 1),
    "info": (0.16, 0.36, 0.66, 1), "idle": (0.17, 0.2, 0.26, 1), "wait": (0.17, 0.2, 0.26, 1),
    # a badge read with nothing armed while something waits to be paid: nothing was paid
    "unpaid": (0.42, 0.3, 0.05, 1),
}


class TightText:
    """Draw only the part of a label's texture its text is in (kiosk.ui.frames: a label
    with a ``text_size`` renders a texture as wide as its box, mostly transparent, and every
    texel of it costs a frame without a GPU). Same layout, same look: text placed by
    ``halign``, centred top to bottom (``valign`` 'middle' or a texture as tall as its text).
    The .kv rule draws ``drawn`` at ``drawn_box`` (widgets.kv: TightLabel, BigButton)."""
    drawn = ObjectProperty(None, allownone=True)
    drawn_box = ListProperty([0, 0, 0, 0])          # x, y, w, h inside the texture

    def on_texture(self, _label: Label, texture: Any) -> None:
        if texture is None:
            self.drawn = None
            self.drawn_box = [0, 0, 0, 0]
            return
        core = self._label  # type: ignore[attr-defined]
        tw, th = texture.size
        x, y, w, h = frames.text_region(tw, th, core._cached_lines, core._internal_size[1],
                                        self.halign, tuple(self.padding))  # type: ignore[attr-defined]
        self.drawn = texture if (w, h) == (tw, th) else texture.get_region(x, y, w, h)
        self.drawn_box = [x, y, w, h]


class TightLabel(TightText, Label):
    """A label drawing only its text's part of its texture (TightText); no markup."""


class BigButton(TightText, Button):
    """A touch target of at least 12 mm each way (kivy.metrics.mm), flat, readable."""
    bg = ListProperty([0.22, 0.27, 0.36, 1])


class Photo(Image):
    """A student's photo, drawn without the stencil Kivy's Image clips with (widgets.kv;
    ``fit_mode`` 'contain' never draws outside the widget; kiosk.ui.frames). Kept out of
    Kivy's image cache (``nocache``): that cache holds every image loaded in the last 60 s,
    with no limit on their number, and at a counter each tap shows another student, so it
    only fills up: about half a megabyte of texture per photo, hundreds of megabytes in a
    fast rush. A photo shown again is read again from the disk (a few milliseconds)."""
    nocache = BooleanProperty(True)
    _decoded: Any = None                # kiosk.ui.photos.Decoded, for the next source set

    def show_decoded(self, decoded: Any) -> None:
        """The next ``source`` set to ``decoded.path`` takes these pixels (decoded off the
        UI thread, kiosk.ui.photos) instead of reading and decoding the file here."""
        self._decoded = decoded

    def set_texture_from_resource(self, resource: str) -> None:
        decoded, self._decoded = self._decoded, None
        if decoded is None or not resource or decoded.path != resource:
            super().set_texture_from_resource(resource)
            return
        from kivy.core.image import Image as CoreImage
        self._clear_core_image()
        self._coreimage = image = CoreImage(decoded.image, nocache=True)
        image.bind(on_texture=self._on_tex_change)
        self.texture = image.texture


class Icon(Label):
    """A symbol from DejaVu Sans (Roboto has no ✔ ✖ ⚠)."""
    kind = StringProperty("info")


class PinPad(BoxLayout):
    """Digits, erase and OK. ``on_submit(pin)`` when OK is pressed."""
    pin = StringProperty("")
    max_len = NumericProperty(8)
    __events__ = ("on_submit",)

    def press(self, key: str) -> None:
        if key == "erase":
            self.pin = self.pin[:-1]
        elif key == "ok":
            pin, self.pin = self.pin, ""
            self.dispatch("on_submit", pin)
        elif len(self.pin) < self.max_len:
            self.pin += key

    def on_submit(self, pin):
        pass


class StatusBar(BoxLayout):
    """Online/offline and the age of the data, entries waiting, reader and printer; the
    operator's name (tap: lock or switch operator). Fed by ``App.apply_snapshot``."""
    sync_text = StringProperty("")
    sync_kind = StringProperty("offline")
    waiting_text = StringProperty("")
    reader_text = StringProperty("")
    reader_ok = BooleanProperty(True)
    printer_text = StringProperty("")
    printer_ok = BooleanProperty(True)
    clock_text = StringProperty("")


class Banner(BoxLayout):
    text = StringProperty("")


class ResultPanel(BoxLayout):
    """The big answer to a tap: colour, icon and words (never colour alone)."""
    kind = OptionProperty("idle", options=["idle", "ok", "refused", "warning", "info", "wait", "unpaid"])
    title = StringProperty("")
    name = StringProperty("")
    detail = StringProperty("")
    big = StringProperty("")
    reason = StringProperty("")
    photo = StringProperty("")
    unit = NumericProperty(1.0)            # the type's scale for the room it has (widgets.kv)
    # The panel covers the screen: the window's clear colour paints its background, the
    # panel draws none (kiosk.ui.frames: a full-screen rectangle, a quarter of a frame).
    window_paints = BooleanProperty(False)
    _paint: frames.WindowPaint | None = None

    def on_kind(self, *_: object) -> None:
        self._repaint()

    def on_window_paints(self, *_: object) -> None:
        self._repaint()

    def _repaint(self) -> None:
        if self._paint is None:
            self._paint = frames.WindowPaint()
        if self.window_paints:
            self._paint.show(COLOURS[self.kind])
        else:
            self._paint.hide()
        App.get_running_app().painted = self.kind if self.window_paints else ""

    def show(self, shown: Shown, photo: str = "", decoded: Any = None) -> None:
        """``decoded``: the photo's pixels, decoded off the UI thread (kiosk.ui.photos)."""
        self.kind, self.title, self.name = shown.kind, shown.title, shown.name
        self.detail, self.big, self.reason = shown.detail, shown.big, shown.reason
        if decoded is not None:
            self.ids.photo.show_decoded(decoded)
        self.photo = photo

    def shown(self) -> Shown:
        """What the panel shows now (the rush strip keeps it, kiosk.ui.recent)."""
        return Shown(self.kind, self.title, self.name, self.detail, self.big, self.reason)

    def message(self, kind: str, title: str, reason: str = "", name: str = "", photo: str = "",
                detail: str = "") -> None:
        self.kind, self.title, self.name, self.detail = kind, title, name, detail
        self.big, self.reason, self.photo = "", reason, photo


class ConfirmView(ModalView):
    """Confirm / cancel, both large; ``on_answer(bool)``."""
    kind = StringProperty("warning")
    title = StringProperty("")
    text = StringProperty("")
    detail = StringProperty("")
    photo = StringProperty("")
    yes_text = StringProperty("")
    no_text = StringProperty("")
    full = BooleanProperty(False)          # the allergen alert fills the screen
    unit = NumericProperty(1.0)            # the type's scale for the room it has (widgets.kv)
    __events__ = ("on_answer",)

    def answer(self, yes: bool) -> None:
        self.dismiss(animation=False)       # gone at once: the next touch is not eaten by a fade
        self.dispatch("on_answer", yes)

    def on_answer(self, yes):
        pass


class SupervisorView(ModalView):
    """Operator buttons (supervisors and admins only) and a PIN pad: a second login for one
    action (void, day close, block) without logging the seller out."""
    operators = ListProperty([])
    chosen = StringProperty("")
    message = StringProperty("")
    callback = ObjectProperty(None, allownone=True)

    def on_operators(self, _view: SupervisorView, operators: list[dict]) -> None:
        app = App.get_running_app()
        box = self.ids.names
        box.clear_widgets()
        for op in operators:
            box.add_widget(BigButton(
                text=f"{op['name']}\n[size={int(sp(14))}]{app.tr('role_' + op['role'], app.lang)}[/size]",
                on_release=lambda _b, name=op["name"]: setattr(self, "chosen", name)))

    def submit(self, pin: str) -> None:
        app = App.get_running_app()
        if not self.chosen:
            return
        app.call(app.terminal.service.login, self.chosen, pin, done=self._done, failed=self._failed)

    def _done(self, session: Session) -> None:
        app = App.get_running_app()
        if session.role not in ("supervisor", "admin"):
            self.message = app.message_of("forbidden", action="admin")
            return
        self.dismiss(animation=False)
        if self.callback:
            self.callback(session)

    def _failed(self, error: BaseException) -> None:
        self.message = App.get_running_app().explain(error)
