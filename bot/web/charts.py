"""Charts drawn on the server as SVG: no script, no library, readable by a screen reader
(each has a title and a description saying what it shows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from bot.telegram.render.chart import Point

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # its class: colour and dash come from the style sheet
    points: Sequence[Point]
    steps: bool = False  # a pathway's goal: level from each POD on until the next


@dataclass(frozen=True)
class LineChart:
    title: str
    description: str
    y_min: float
    y_max: float
    y_ticks: Sequence[tuple[float, str]]
    last_pod: int
    series: Sequence[Series] = ()
    # Horizontal lines drawn across, e.g. the 38.0 °C fever line: (value, label).
    lines: Sequence[tuple[float, str]] = field(default_factory=tuple)


def svg(chart: LineChart, chart_id: str) -> Markup:
    pods = max(chart.last_pod, max((p for s in chart.series for p, _ in s.points), default=0), 1)
    span = chart.y_max - chart.y_min or 1

    def x(pod: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * pod / pods, 1)

    def y(value: float) -> float:
        clamped = min(max(value, chart.y_min), chart.y_max)
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (clamped - chart.y_min) / span, 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(chart.description)}</desc>',
    ]
    for value, label in chart.y_ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" y2="{y(value)}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    step = max(1, pods // 10)
    for pod in range(0, pods + 1, step):
        parts.append(
            f'<text class="tick" x="{x(pod)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{pod}</text>"
        )
    parts.append(
        f'<text class="tick" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 4}" '
        'text-anchor="middle">Post-operative day</text>'
    )
    for value, label in chart.lines:
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" '
            f'y2="{y(value)}"/><text class="threshold-label" x="{WIDTH - RIGHT}" '
            f'y="{y(value) - 4}" text-anchor="end">{escape(label)}</text>'
        )
    for series in chart.series:
        if not series.points:
            continue
        coords: list[tuple[float, float]] = []
        ordered = sorted(series.points)
        for n, (pod, value) in enumerate(ordered):
            if series.steps and n:
                coords.append((x(pod), y(ordered[n - 1][1])))
            coords.append((x(pod), y(value)))
        if series.steps:
            coords.append((x(pods), y(ordered[-1][1])))
        path = " ".join(f"{a},{b}" for a, b in coords)
        parts.append(f'<polyline class="{series.css}" points="{path}"/>')
        if not series.steps:
            parts.extend(
                f'<circle class="{series.css}" cx="{x(p)}" cy="{y(v)}" r="3.5"/>'
                for p, v in ordered
            )
    parts.append("</svg>")
    return Markup("".join(parts))
