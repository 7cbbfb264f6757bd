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
    figure = Figure(figsize=(8, 4.2 + 0.25 * len(curves)))
    axes = figure.add_axes((0.09, 0.16 + 0.055 * len(curves), 0.62, 0.72))
    days = section["at_risk_days"]
    for n, curve in enumerate(curves):
        colour = COLOURS[n % len(COLOURS)]
        if curve["n"] < SMALL or not curve["times"]:
            continue
        times = [0.0, *curve["times"]]
        reached = [0.0, *(1 - s for s in curve["survival"])]
        low = [0.0, *(1 - s for s in curve["upper"])]
        high = [0.0, *(1 - s for s in curve["lower"])]
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
    figure.text(0.01, 0.02 + 0.055 * len(curves), "At risk", fontsize=8, weight="bold")
    for n, curve in enumerate(curves):
        y = 0.02 + 0.055 * (len(curves) - n - 1)
        colour = COLOURS[n % len(COLOURS)]
        figure.text(0.01, y, curve["group"][:22], fontsize=7, color=colour)
        for point in curve["at_risk"]:
            x = axes.transData.transform((point["pod"], 0))[0] / figure.bbox.width
            figure.text(x, y, str(shown(point["n"])), fontsize=7, ha="center")
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
