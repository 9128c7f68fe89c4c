"""Bar charts as inline SVG, drawn on the server from a figure's numbers.

No JavaScript and no style attributes: the CSP allows neither inline script nor inline
style, so every colour and size is an SVG presentation attribute (fill=, width=), which
the CSP does not govern. Each chart has a <title> and <desc> for screen readers, and the
page puts the same numbers in a table under it. Sizes are in CSS pixels, so text stays
readable on a phone, where the chart scrolls sideways inside its container.
"""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from videoresponse.reports.figures import BarChart

FONT = 'font-family="arial, sans-serif"'
TEXT = "#0b0c0c"
GRID = "#b1b4b6"
PALETTE = (
    "#1d70b8",
    "#f47738",
    "#00703c",
    "#912b88",
    "#d4351c",
    "#28a197",
    "#b58840",
    "#6f72af",
    "#505a5f",
    "#d53880",
    "#5694ca",
    "#85994b",
)
PLOT_HEIGHT = 220


def render(chart: BarChart, *, chart_id: str, title: str, description: str) -> Markup:
    """The chart as an <svg> element, or a sentence when there is nothing to draw."""
    if not chart.categories or not chart.series:
        return Markup('<p class="govuk-body">Nothing to chart in these dates.</p>')
    draw = _horizontal if chart.horizontal else _vertical
    width, height, body = draw(chart)
    ids = f"{chart_id}-title {chart_id}-desc"
    # Safe: numbers are formatted here, and every word in the chart went through escape().
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ids}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def colour_of(chart: BarChart, index: int, name: str) -> str:
    return chart.colours.get(name, PALETTE[index % len(PALETTE)])


def nice_scale(biggest: float, whole_numbers: bool) -> tuple[float, float]:
    """(top of the axis, step between gridlines): about four steps of 1, 2 or 5 x 10^n."""
    if biggest <= 0:
        return 1.0, 1.0 if whole_numbers else 0.25
    raw = biggest / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if whole_numbers:
        step = max(step, 1.0)
    return math.ceil(biggest / step - 1e-9) * step, step


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _with_unit(value: float, unit: str) -> str:
    return f"{_number(value)}%" if unit == "%" else f"{_number(value)} {unit}"


def _text(x: float, y: float, words: str, *, size: int = 13, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" fill="{TEXT}" '
        f'text-anchor="{anchor}">{escape(words)}</text>'
    )


def legend(chart: BarChart) -> Markup:
    """The series' colours and names above the chart, wrapping on a narrow screen.

    Each entry is one small SVG (swatch and name), so it wraps whole and needs no style.
    """
    if len(chart.series) < 2:
        return Markup("")
    items = []
    for index, (name, _) in enumerate(chart.series):
        width = 22 + len(name) * 8.4
        items.append(
            f'<svg role="img" aria-label="Key: {escape(name)}" width="{width:.0f}" height="22">'
            f'<rect x="0" y="5" width="14" height="14" fill="{colour_of(chart, index, name)}"/>'
            f'<text x="20" y="17" {FONT} font-size="15" fill="{TEXT}">{escape(name)}</text></svg>'
        )
    # Safe: the names went through escape(); the rest is fixed markup.
    return Markup(  # noqa: S704
        '<p class="govuk-body-s govuk-!-margin-bottom-2">' + " ".join(items) + "</p>"
    )


def _vertical(chart: BarChart) -> tuple[float, float, str]:
    count = len(chart.categories)
    step = min(96.0, max(20.0, 640 / count))
    left, right, bottom = 52.0, 12.0, 34.0
    plot_width = max(count * step, 320.0)
    width = left + plot_width + right
    top = 10.0
    if chart.stacked:
        totals = [sum(values[i] for _, values in chart.series) for i in range(count)]
    else:
        totals = [max(values[i] for _, values in chart.series) for i in range(count)]
    whole = all(float(v).is_integer() for _, values in chart.series for v in values)
    axis_top, tick = nice_scale(chart.maximum or max(totals, default=0.0), whole)

    def y_of(value: float) -> float:
        return top + PLOT_HEIGHT - value / axis_top * PLOT_HEIGHT

    parts: list[str] = []
    ticks = round(axis_top / tick)
    for n in range(ticks + 1):
        value = n * tick
        y = y_of(value)
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_width:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        label = _number(value) + ("%" if chart.unit == "%" else "")
        parts.append(_text(left - 6, y + 4, label, size=12, anchor="end"))
    widest = max(len(category) for category in chart.categories) * 6.6 + 8
    label_every = max(1, math.ceil(widest / step))
    bar_width = step * 0.7
    for i, category in enumerate(chart.categories):
        x = left + i * step + (step - bar_width) / 2
        base = 0.0
        for index, (name, values) in enumerate(chart.series):
            value = values[i]
            if value <= 0:
                continue
            colour = colour_of(chart, index, name)
            if chart.stacked:
                y0, y1, bx, bw = y_of(base + value), y_of(base), x, bar_width
                base += value
            else:
                bw = bar_width / len(chart.series)
                y0, y1, bx = y_of(value), y_of(0), x + index * bw
            parts.append(
                f'<rect x="{bx:.1f}" y="{y0:.1f}" width="{bw:.1f}" height="{y1 - y0:.1f}" '
                f'fill="{colour}"><title>{escape(category)}: {escape(name)} '
                f"{escape(_with_unit(value, chart.unit))}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                _text(
                    left + i * step + step / 2,
                    top + PLOT_HEIGHT + 18,
                    category,
                    size=12,
                    anchor="middle",
                )
            )
    parts.append(
        f'<line x1="{left:.1f}" y1="{y_of(0):.1f}" x2="{left + plot_width:.1f}" '
        f'y2="{y_of(0):.1f}" stroke="{TEXT}" stroke-width="1"/>'
    )
    return width, top + PLOT_HEIGHT + bottom, "".join(parts)


def _horizontal(chart: BarChart) -> tuple[float, float, str]:
    """A row per category: its name on a line of its own, then its bars (fits a phone)."""
    bar_area, value_area = 210.0, 90.0
    width = bar_area + value_area
    bar_height, label_height, gap = 18.0, 18.0, 12.0
    row_height = label_height + bar_height * len(chart.series) + gap
    biggest = max((max(values, default=0.0) for _, values in chart.series), default=0.0)
    axis_top = chart.maximum or nice_scale(biggest, False)[0]
    parts: list[str] = []
    for i, category in enumerate(chart.categories):
        y = i * row_height
        parts.append(_text(0, y + 13, category))
        for index, (name, values) in enumerate(chart.series):
            value = values[i]
            length = max(0.0, value / axis_top * bar_area) if axis_top else 0.0
            by = y + label_height + index * bar_height
            parts.append(
                f'<rect x="0" y="{by:.1f}" width="{length:.1f}" height="{bar_height - 2:.1f}" '
                f'fill="{colour_of(chart, index, name)}"><title>{escape(category)}: '
                f"{escape(name)} {escape(_with_unit(value, chart.unit))}</title></rect>"
            )
            parts.append(
                _text(length + 6, by + bar_height - 5, _with_unit(value, chart.unit), size=12)
            )
    height = len(chart.categories) * row_height
    return width, height, "".join(parts)
