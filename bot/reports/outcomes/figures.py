"""The report's figures as PNG bytes: recovery curves with numbers at risk, pain by POD.

matplotlib's object API on the Agg canvas (no pyplot, no display). Groups under five are not
drawn, and numbers at risk under five read "<5", as in the tables.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reports.outcomes.small_cells import SMALL, shown

ROW = 0.22  # inches a line of the numbers at risk takes
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def milestone_curves(section: dict[str, Any]) -> bytes:
    """The share who reached the milestone by POD (1 − Kaplan–Meier), a 95 % band, and the
    numbers at risk under the plot, one line a pathway."""
    curves = section["curves"]
    rows = len(curves) + 1  # the numbers at risk, under their heading
    height = 3.6 + ROW * rows
    figure = Figure(figsize=(9, height))
    below = 0.6 + ROW * rows  # inches under the plot: its axis, then the numbers at risk
    axes = figure.add_axes((0.24, below / height, 0.5, (height - below - 0.4) / height))
    days = section["at_risk_days"]
    for n, curve in enumerate(curves):
        colour = COLOURS[n % len(COLOURS)]
        if curve["n"] < SMALL or not curve["times"]:
            continue
        times = [0.0, *curve["times"], float(days[-1])]
        reached = [0.0, *(1 - s for s in curve["survival"])]
        low = [0.0, *(1 - s for s in curve["upper"])]
        high = [0.0, *(1 - s for s in curve["lower"])]
        # Held to the last day drawn: a step function ends where the axis does.
        reached, low, high = reached + reached[-1:], low + low[-1:], high + high[-1:]
        axes.step(
            times, reached, where="post", color=colour, label=curve["group"], gid=curve["group"]
        )
        axes.fill_between(times, low, high, step="post", color=colour, alpha=0.15, linewidth=0)
    axes.set_ylim(0, 1)
    axes.set_xlim(0, max(days[-1], 1))
    axes.set_xticks(days)
    axes.set_ylabel("Share who reached it")
    axes.set_xlabel("Post-operative day (the check-in day it was reported)")
    axes.set_title(section["label"])
    axes.grid(alpha=0.3)
    if any(c["n"] >= SMALL and c["times"] for c in curves):
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)

    # Numbers at risk: one row a pathway, each number under its day on the x axis.
    def y(row: int) -> float:
        return (0.1 + ROW * (rows - 1 - row)) / height

    figure.text(0.02, y(0), "Numbers at risk", fontsize=8, weight="bold")
    for n, curve in enumerate(curves, start=1):
        colour = COLOURS[(n - 1) % len(COLOURS)]
        figure.text(0.02, y(n), curve["group"], fontsize=8, color=colour)
        for point in curve["at_risk"]:
            x = axes.transAxes.transform((point["pod"] / axes.get_xlim()[1], 0))[0]
            figure.text(
                x / figure.bbox.width, y(n), str(shown(point["n"])), fontsize=8, ha="center"
            )
    return _png(figure)


def pain_by_pod(rows: Sequence[dict[str, Any]], item: str, title: str) -> bytes:
    """Median and interquartile band of a pain item by POD, one line a pathway."""
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["item"] == item and row["n"] >= SMALL:
            series[row["pathway"]].append(row)
    figure = Figure(figsize=(8, 3.6))
    axes = figure.add_axes((0.08, 0.14, 0.62, 0.76))
    for n, (pathway, points) in enumerate(sorted(series.items())):
        colour = COLOURS[n % len(COLOURS)]
        pods = [p["pod"] for p in points]
        axes.plot(
            pods, [p["median"] for p in points], marker="o", ms=3, color=colour, label=pathway
        )
        axes.fill_between(
            pods, [p["q1"] for p in points], [p["q3"] for p in points], color=colour, alpha=0.15
        )
    axes.set_ylim(0, 10)
    axes.set_ylabel("NRS 0–10")
    axes.set_xlabel("Post-operative day")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if series:
        axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    return _png(figure)
