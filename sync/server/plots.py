"""Bar charts drawn on the server as inline SVG, for the pages where people would rather look
than read (sales per day, per hour of the lunch service). No JavaScript, no library.

Accessible: the SVG is an image (``role="img"``) named by its ``<title>`` and described by its
``<desc>`` (what it shows, its highest bar), each bar carries its own ``<title>`` (label and
value, shown on hover); the page puts the same figures in a table beside it. Colours keep a
contrast of at least 4.5:1 on white. Text is escaped: labels may come from the database.
"""
from __future__ import annotations

from collections.abc import Callable
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 36       # room for the axis' labels
BAR = "#1f5f99"                                # 6.6:1 on white
INK = "#333333"
MAX_LABELS = 16                                # labels under the bars; more are skipped


def bar_chart(chart_id: str, title: str, description: str,
              points: list[tuple[str, int]], say: Callable[[int], str]) -> str:
    """An SVG bar chart of ``points`` (label, value), the values said by ``say`` (e.g. as
    euros); ``chart_id`` makes the ids of its title and description unique in the page.

    >>> svg = bar_chart("c", "Sales", "per day", [("23/11", 100), ("24/11", -50)], str)
    >>> svg.count("<rect"), '<title id="c-title">Sales</title>' in svg, "24/11: -50" in svg
    (2, True, True)
    """
    values = [v for _, v in points]
    top, bottom = max([0, *values]), min([0, *values])
    span = (top - bottom) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points), 1)
    zero_y = TOP + plot_h * top / span
    every = -(-len(points) // MAX_LABELS) or 1       # ceil: one label in ``every`` bars
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
             f' viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="{chart_id}-title'
             f' {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
             f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11"'
             f' fill="{INK}">{escape(say(top))}</text>']
    if bottom < 0:
        parts.append(f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end"'
                     f' font-size="11" fill="{INK}">{escape(say(bottom))}</text>')
    for i, (label, value) in enumerate(points):
        x = LEFT + i * step + step * 0.15
        h = plot_h * abs(value) / span
        y = zero_y - h if value >= 0 else zero_y
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}"'
                     f' height="{h:.1f}" fill="{BAR}"><title>{escape(label)}:'
                     f' {escape(say(value))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}"'
                         f' text-anchor="middle" font-size="11" fill="{INK}">'
                         f'{escape(label)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero_y:.1f}" y2="{zero_y:.1f}"'
                 f' stroke="{INK}"/></svg>')
    return "".join(parts)
