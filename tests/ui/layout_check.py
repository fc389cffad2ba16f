"""The layout checker: walks what the window shows and reports what a person in front of the
panel would see wrong (issue 14, point 2):

- ``outside``: a visible widget that reaches beyond the window (cut off by the panel's edge);
- ``overlap``: two visible texts drawn over each other (the glyphs' lines, as Kivy laid them
  out, not the widgets' boxes);
- ``clipped``: a text cut by its own box (lines dropped by ``text_size``, a word wider than
  the box, glyphs drawn beyond the widget) -- a text shortened with an ellipsis
  (``shorten``) is legible and passes;
- ``small``: a touch target (anything with ``on_release``, enabled and visible) under 12 mm
  on either side at the panel's DPI (Kivy's ``Metrics.dpi``).

Widgets with opacity 0 (or inside one), of no size, or scrolled out of their ScrollView are
not visible; a modal view shows only itself (what is behind it is covered). Kivy is imported
inside the functions (the app must be started first).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Rect = tuple[float, float, float, float]          # x, y, width, height in window pixels

SLACK = 1.0             # px: rounding of Kivy's layouts


@dataclass(frozen=True)
class Defect:
    kind: str            # outside | overlap | clipped | small
    widget: str          # class#id, or class
    text: str
    rect: Rect
    detail: str = ""

    def __str__(self) -> str:
        x, y, w, h = (round(v) for v in self.rect)
        text = f" {self.text!r}" if self.text else ""
        detail = f" — {self.detail}" if self.detail else ""
        return f"{self.kind}: {self.widget}{text} at ({x}, {y}) {w}×{h}{detail}"


def plain(text: str) -> str:
    return re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", text or "")


def _intersect(a: Rect, b: Rect) -> Rect | None:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if x2 - x1 <= SLACK or y2 - y1 <= SLACK:
        return None
    return x1, y1, x2 - x1, y2 - y1


def window_rect(widget: Any) -> Rect:
    x1, y1 = widget.to_window(widget.x, widget.y)
    x2, y2 = widget.to_window(widget.right, widget.top)
    return x1, y1, x2 - x1, y2 - y1


def name_of(widget: Any) -> str:
    parent = widget.parent
    while parent is not None and parent is not getattr(parent, "parent", None):
        for key, value in getattr(parent, "ids", {}).items():
            if value is widget:
                return f"{type(widget).__name__}#{key}"
        parent = parent.parent
    return type(widget).__name__


@dataclass
class _Seen:
    widget: Any
    rect: Rect              # where it is, in the window
    clip: Rect              # what of the window it may draw in (ScrollViews cut their content)
    scrolled: bool          # inside a ScrollView


def _visible(root: Any, clip: Rect, scrolled: bool = False) -> Iterator[_Seen]:
    from kivy.uix.stencilview import StencilView
    if getattr(root, "opacity", 1) == 0 or root.width <= 0 or root.height <= 0:
        return
    rect = window_rect(root)
    if _intersect(rect, clip) is None:
        return
    yield _Seen(root, rect, clip, scrolled)
    inner, inner_scrolled = clip, scrolled
    if isinstance(root, StencilView):
        inner = _intersect(rect, clip) or clip
        inner_scrolled = True
    for child in reversed(root.children):
        yield from _visible(child, inner, inner_scrolled)


def _roots(window: Any) -> list:
    from kivy.uix.modalview import ModalView
    modals = [w for w in window.children if isinstance(w, ModalView)]
    return [modals[0]] if modals else list(window.children)     # children[0]: the last opened


def _text_lines(label: Any) -> tuple[list[Rect], str]:
    """The window rectangles of a label's laid-out lines, and why its text is cut ('' if not)."""
    label.texture_update()
    core = label._label
    tw, th = label.texture_size
    if not label.text or tw <= 0 or th <= 0:
        return [], ""
    ox, oy = label.to_window(int(label.center_x - tw / 2.0), int(label.center_y - th / 2.0))
    lines, shown, cut = [], 0, ""
    for line in core._cached_lines:
        words = "".join(w.text for w in line.words)
        shown += len(re.sub(r"\s", "", words))
        if not words.strip() or line.w <= 0:
            continue
        if line.x < -SLACK or line.x + line.w > tw + SLACK:
            cut = "a word wider than its box"
        lines.append((ox + line.x, oy + th - line.y - line.h, float(line.w), float(line.h)))
    wanted = len(re.sub(r"\s", "", plain(label.text)))
    if not label.is_shortened and not cut:
        cut = _split_word(plain(label.text), ["".join(w.text for w in line.words)
                                              for line in core._cached_lines])
    if not label.is_shortened and shown < wanted:
        cut = f"{wanted - shown} of {wanted} characters not shown (the box is too small)"
    return lines, cut


def _split_word(text: str, lines: list[str]) -> str:
    """'' unless Kivy had to break a word across two lines (too long for its box: "Sandwich/s")."""
    at = 0
    for line in lines[:-1]:
        for ch in line:
            if ch.isspace():
                continue
            while at < len(text) and text[at] != ch:
                at += 1
            at += 1
        if 0 < at < len(text) and not text[at].isspace() and text[at - 1] not in " -/\u00ad" \
                and not text[at - 1].isspace():
            return f"a word broken across lines ({text[max(0, at - 8):at]}|{text[at:at + 8]})"
    return ""


def check(window: Any, target_px: float) -> list[Defect]:
    """Everything wrong with what ``window`` shows now (an empty list: nothing)."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label
    from kivy.uix.widget import Widget
    whole: Rect = (0.0, 0.0, float(window.width), float(window.height))
    defects: list[Defect] = []
    texts: list[tuple[Any, list[Rect]]] = []
    beyond: set[int] = set()        # widgets outside, and their children (only the first is told)
    for root in _roots(window):
        for seen in _visible(root, whole):
            w = seen.widget
            if not isinstance(w, Widget):
                continue
            text = plain(getattr(w, "text", "") or "").replace("\n", " ")[:60]
            x, y, width, height = seen.rect
            if id(w.parent) in beyond:
                beyond.add(id(w))
            elif not seen.scrolled and (x < -SLACK or y < -SLACK or x + width > whole[2] + SLACK
                                      or y + height > whole[3] + SLACK):
                beyond.add(id(w))
                defects.append(Defect("outside", name_of(w), text, seen.rect,
                                      f"the window is {int(whole[2])}×{int(whole[3])}"))
            if isinstance(w, Label) and w.text.strip():
                lines, cut = _text_lines(w)
                out = [r for r in lines if not _inside(r, seen.rect)]
                if out and not cut:
                    cut = "drawn beyond its own box"
                if cut:
                    defects.append(Defect("clipped", name_of(w), text, seen.rect, cut))
                shown = [c for c in (_intersect(r, seen.clip) for r in lines) if c]
                texts.append((w, shown))
            pressable = isinstance(w, ButtonBehavior) or w.is_event_type("on_release")
            if pressable and not w.disabled and min(width, height) < target_px - 0.5:
                side = min(width, height)
                defects.append(Defect("small", name_of(w), text, seen.rect,
                                      f"{side:.0f} px, a target needs {target_px:.0f} px (12 mm)"))
    for i, (a, rects_a) in enumerate(texts):
        for b, rects_b in texts[i + 1:]:
            if _related(a, b):
                continue
            hit = next((c for ra in rects_a for rb in rects_b if (c := _intersect(ra, rb))), None)
            if hit is not None:
                defects.append(Defect("overlap", f"{name_of(a)} and {name_of(b)}",
                                      f"{plain(a.text)[:40]} / {plain(b.text)[:40]}".replace("\n", " "),
                                      hit))
    return defects


def _inside(inner: Rect, outer: Rect) -> bool:
    return (inner[0] >= outer[0] - SLACK and inner[1] >= outer[1] - SLACK
            and inner[0] + inner[2] <= outer[0] + outer[2] + SLACK
            and inner[1] + inner[3] <= outer[1] + outer[3] + SLACK)


def _related(a: Any, b: Any) -> bool:
    """One inside the other (a label inside a button's own layout): not two texts."""
    for x, y in ((a, b), (b, a)):
        p = y.parent
        while p is not None and p is not getattr(p, "parent", None):
            if p is x:
                return True
            p = p.parent
    return False
