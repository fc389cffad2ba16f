"""What the rush result's frame draws (kiosk/ui/frames.py): with software OpenGL a frame
costs the pixels it covers, so the answer to a tap is drawn with no stencil pass and no
full-screen rectangle: the window's clear colour is the result's colour while it covers the
screen, and the app's background is back once it does not. Real app under Xvfb."""
from __future__ import annotations

import pytest

from kiosk.demo.school import Badge
from tests.ui.harness import login
from tests.ui.test_ui_counter import start_rush, tap_badge

# A long file: started first when make test spreads the files over workers (conftest.py).
pytestmark = pytest.mark.slow(seconds=120)

BACKGROUND = (0.11, 0.13, 0.17, 1)


def instructions(group):
    from kivy.graphics.instructions import InstructionGroup
    for ins in group.children:
        yield ins
        if isinstance(ins, InstructionGroup):
            yield from instructions(ins)


def drawn_area(kind) -> list[tuple[float, float]]:
    """Sizes of the instructions of ``kind`` on screen (inside the window)."""
    from kivy.core.window import Window
    sizes = []
    for ins in instructions(Window.canvas):
        if isinstance(ins, kind) and hasattr(ins, "size"):
            (x, y), (w, h) = ins.pos, ins.size
            if w * h and x < Window.width and y < Window.height and x + w > 0 and y + h > 0:
                sizes.append((w, h))
    return sizes


def test_the_rush_result_is_drawn_without_stencil_or_full_screen_rectangle(driver, counter):
    # Kivy is imported here, not with the module: the session's display and window size first
    from kivy.core.window import Window
    from kivy.graphics import Rectangle, StencilPush

    from kiosk.ui.widgets import COLOURS
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_shown_at > shown)
    assert sale.ids.result.kind == "ok" and sale.ids.result.photo      # her photo is shown
    manager, photo = driver.app.screens, sale.ids.result.ids.photo     # neither clips
    for group in (manager.canvas.before, manager.canvas.after, photo.canvas):
        assert not [ins for ins in instructions(group) if isinstance(ins, StencilPush)]
    screen_area = Window.width * Window.height
    assert max(w * h for w, h in drawn_area(Rectangle)) < screen_area / 4
    assert tuple(Window.clearcolor) == COLOURS["ok"]                   # the result's colour
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.NOAH, lambda: sale.last_shown_at > shown)   # no money
    assert sale.ids.result.kind == "refused" and tuple(Window.clearcolor) == COLOURS["refused"]
    driver.tap(sale.ids.dismiss)                                      # rush stopped
    driver.wait_for(lambda: not sale.result_visible, what="the sale screen")
    assert tuple(Window.clearcolor) == BACKGROUND


def test_a_rush_answer_is_rendered_once_and_its_photo_decoded_off_the_ui_thread(driver, counter,
                                                                              monkeypatch):
    """The UI thread's work between the sale and its frame: the answer's texts are made once
    (the panel, the sound and the strip share them) and the photo comes decoded from the
    worker thread (kiosk.ui.photos): the UI thread only uploads it."""
    import threading

    from kivy.core.image import ImageLoader

    from kiosk.ui import present
    decoded_on, rendered = [], []
    load, outcome = ImageLoader.load, present.outcome

    def spy_load(filename, **kwargs):
        decoded_on.append((filename, threading.current_thread() is threading.main_thread()))
        return load(filename, **kwargs)

    def spy_outcome(*args, **kwargs):
        rendered.append(args[0].uid)
        return outcome(*args, **kwargs)
    monkeypatch.setattr(ImageLoader, "load", staticmethod(spy_load))
    monkeypatch.setattr(present, "outcome", spy_outcome)
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    for badge in (Badge.EMMA, Badge.NOAH):       # Emma's answer goes to the strip at Noah's
        shown = sale.last_shown_at
        tap_badge(driver, terminal, badge, lambda shown=shown: sale.last_shown_at > shown)
        if badge == Badge.EMMA:
            photo = sale.ids.result.photo
            assert photo and sale.ids.result.ids.photo.texture is not None
    assert sale.ids.recent.cards[0].name.startswith("Emma")
    assert sorted(set(rendered)) == sorted({Badge.EMMA, Badge.NOAH}) and len(rendered) == 2
    assert [on_ui for name, on_ui in decoded_on if name == photo] == [False]


def test_what_the_result_hides_is_not_drawn_and_comes_back_after(driver, counter):
    """Under the rush result the sale's buttons and cart (off screen, two ScrollViews: two
    stencil passes) are not in the window's drawing at all; on the sale screen the result's
    panel is not either; each is drawn again once it shows (kiosk.ui.frames.undrawn)."""
    from kivy.core.window import Window
    from kivy.graphics import StencilPush
    terminal = counter()
    login(driver, "Marie", "1234")
    sale = driver.screen()

    def drawn(widget) -> bool:
        return any(ins is widget.canvas for ins in instructions(Window.canvas))
    assert drawn(sale.ids.main) and not drawn(sale.ids.overlay)
    start_rush(driver)
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_shown_at > shown)
    assert drawn(sale.ids.overlay) and drawn(sale.ids.result) and not drawn(sale.ids.main)
    assert not [ins for ins in instructions(Window.canvas) if isinstance(ins, StencilPush)]
    driver.tap(sale.ids.dismiss)                                      # rush stopped
    driver.wait_for(lambda: not sale.result_visible, what="the sale screen")
    assert drawn(sale.ids.main) and not drawn(sale.ids.overlay)
    children = sale.ids.main.parent.children                           # the order kept:
    order = [c.canvas for c in reversed(children)]                     # the overlay on top
    assert [ins for ins in sale.ids.main.parent.canvas.children if ins in order] == order[:1]
    driver.tap(driver.buttons(text="Potage et pain")[0])              # the buttons work
    driver.wait_for(lambda: sale.cart, what="a cart")


def test_the_same_status_again_is_not_made_again(driver, counter, monkeypatch):
    """The status thread's read after a sale, the clock's tick: the same status within the
    same second makes none of the status bar's texts again (kiosk.ui.app.apply_snapshot)."""
    from kiosk.ui import formats
    counter()
    login(driver, "Marie", "1234")
    driver.wait_for(lambda: driver.app.snapshot is not None, what="a status")
    made, ago = [], formats.ago
    monkeypatch.setattr(formats, "ago", lambda *a: made.append(a) or ago(*a))
    for _ in range(3):
        driver.app.apply_snapshot(driver.app.snapshot)
    assert len(made) <= 1                       # (1: a second began between two of them)
    driver.app.lang = "nl"                      # another language: said again at once
    assert "geleden" in driver.app.root_view.ids.status.sync_text or made[-1][2] == "nl"
    driver.app.lang = "fr"


def test_the_result_texts_draw_their_text_not_their_boxes(driver, counter):
    """A label given a text_size renders a texture as wide as its box, mostly transparent;
    the rush answer's labels draw only the part their text is in, and still the whole text."""
    from kivy.core.text import Label as CoreLabel
    from kivy.graphics import Rectangle
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.EMMA, lambda: sale.last_shown_at > shown)
    shown = sale.last_shown_at
    tap_badge(driver, terminal, Badge.NOAH, lambda: sale.last_shown_at > shown)   # no money
    result, strip = sale.ids.result, sale.ids.recent
    labels = [result.ids[i] for i in ("title", "name", "detail", "big", "reason")]
    labels += [sale.ids.rush_label, driver.app.root.ids.status.ids.sync]
    labels += [w for card in strip.cards if card.used for w in card.walk(restrict=True)   # Emma
               if w is not card and hasattr(w, "drawn")]
    labels += [sale.ids.dismiss] + list(driver.app.root.ids.nav.children)    # buttons too
    labels = [label for label in labels if label.text]
    assert len(labels) >= 8       # title, name, reason, the rush bar, the status, Emma, buttons
    for label in labels:
        drawn = [ins for ins in instructions(label.canvas)
                 if type(ins) is Rectangle and ins.texture is not None]
        assert len(drawn) == 1, label.text
        (w, h), box_w = drawn[0].size, label.width
        plain = CoreLabel(text=label.text, font_size=label.font_size, bold=label.bold)
        plain.refresh()
        text_w, text_h = plain.texture.size           # the text alone, one line
        assert w <= text_w + 4 and h <= text_h * 3 + 4, (label.text, w, h, text_w, text_h)
        assert w < box_w * 0.9 or text_w >= box_w * 0.85, (label.text, w, box_w)
        # the whole text: as wide as it is (or its box, shortened), nothing cut off
        assert w >= min(text_w, box_w) - 4 and h >= text_h - 4, (label.text, w, h)


def test_a_rush_answer_covers_under_half_the_window_and_the_bars_sit_on_its_colour(driver, counter):
    """Without a GPU a frame costs the pixels it draws (kiosk.ui.frames.covered): the answer
    with its photo, the strip of the last four and the bars stay under half the window; the
    status, rush and strip bars draw no background while the answer's colour is the window's,
    and get it back once the rush stops. (0.94 windows before the texts were drawn tight and
    the bars on the answer's colour, 0.71 with the tight texts alone.)"""
    from kivy.core.window import Window
    from kivy.graphics import Rectangle

    from kiosk.ui.frames import covered
    terminal = counter()
    login(driver, "Marie", "1234")
    start_rush(driver)
    sale = driver.screen()
    for uid in (Badge.LOUIS_RESERVED, Badge.CHLOE, Badge.NOAH, Badge.EMMA):   # four in the strip
        shown = sale.last_shown_at
        tap_badge(driver, terminal, uid, lambda shown=shown: sale.last_shown_at > shown)
    assert sale.ids.result.photo and sale.ids.recent.count >= 3
    status = driver.app.root.ids.status
    bars = [status, sale.ids.recent, sale.ids.rush_label.parent]

    def background(bar):
        return next(ins for ins in instructions(bar.canvas.before) if isinstance(ins, Rectangle))
    assert driver.app.painted and all(tuple(background(b).size) == (0, 0) for b in bars)
    assert covered(Window) < 0.5, covered(Window)
    driver.tap(sale.ids.dismiss)                                      # rush stopped
    driver.wait_for(lambda: not sale.result_visible, what="the sale screen")
    assert not driver.app.painted
    assert tuple(background(status).size) == tuple(status.size)
