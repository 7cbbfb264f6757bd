"""A patient's recovery at a glance: pain and walking by POD against the pathway's milestones.

The drawing takes plain numbers and gives PNG bytes. It uses matplotlib's object API on the
Agg canvas (no pyplot, no display, no global figure state), so charts can be drawn in worker
threads side by side.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

Point = tuple[int, float]  # (POD, value)

PAIN_MAX = 10
# Line ids (matplotlib ``gid``), so that tests and readers can find what was drawn.
BACK_PAIN = "pain_back"
LEG_PAIN = "pain_leg"
WALKING = "walking"
BACK_PAIN_GOAL = "pain_back_goal"
WALKING_GOAL = "walking_goal"
BACK_PAIN_BEHIND = "pain_back_behind"
WALKING_BEHIND = "walking_behind"
TODAY = "today"
MISSED = "missed"

BACK_PAIN_COLOUR = "#1f77b4"
LEG_PAIN_COLOUR = "#9467bd"
WALKING_COLOUR = "#ff7f0e"
BEHIND_COLOUR = "#d62728"
GOAL_COLOUR = "#2ca02c"


@dataclass(frozen=True)
class RecoveryChart:
    """What to draw. Goals are steps: from each POD on, the level the pathway expects
    (back pain at most, walking at least) until the next step."""

    title: str
    subtitle: str = ""
    back_pain: Sequence[Point] = ()
    leg_pain: Sequence[Point] = ()
    walking: Sequence[Point] = ()
    walking_levels: Mapping[int, str] | None = None  # rank → label
    back_pain_goal: Sequence[Point] = ()
    walking_goal: Sequence[Point] = ()
    back_pain_behind: Sequence[Point] = ()  # answers behind a milestone due then
    walking_behind: Sequence[Point] = ()
    missed: Sequence[int] = ()  # PODs of check-ins that went unanswered
    today: int | None = None
    last_pod: int = 0  # the x axis reaches at least this POD


def figure(chart: RecoveryChart) -> Figure:
    """The chart as a matplotlib Figure (for tests to read; ``png`` for sending)."""
    fig = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # the non-interactive raster canvas, named here, not globally
    pain, walking = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    fig.suptitle(chart.title, fontsize=13, fontweight="bold")
    if chart.subtitle:
        pain.set_title(chart.subtitle, fontsize=9, color="#555555")
    right = _x_end(chart)
    _pain_panel(pain, chart, right)
    _walking_panel(walking, chart, right)
    walking.set_xlabel("Post-operative day (POD)")
    walking.set_xlim(-0.5, right + 0.5)
    walking.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def png(chart: RecoveryChart) -> bytes:
    buffer = io.BytesIO()
    # No software or date stamp: the same chart gives the same bytes.
    figure(chart).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _x_end(chart: RecoveryChart) -> int:
    pods = [pod for series in (chart.back_pain, chart.leg_pain, chart.walking) for pod, _ in series]
    return max([chart.last_pod, chart.today or 0, *pods, 1])


def _pain_panel(ax: Axes, chart: RecoveryChart, right: int) -> None:
    _goal(ax, chart.back_pain_goal, right, BACK_PAIN_GOAL, "back pain goal (at most)", "v")
    _series(ax, chart.back_pain, BACK_PAIN, "back pain", "o-", BACK_PAIN_COLOUR)
    _series(ax, chart.leg_pain, LEG_PAIN, "leg pain", "s--", LEG_PAIN_COLOUR)
    _behind(ax, chart.back_pain_behind, BACK_PAIN_BEHIND)
    _missed(ax, chart.missed, "missed check-in")
    _today(ax, chart.today, "today")
    ax.set_ylim(-0.5, PAIN_MAX + 0.5)
    ax.set_yticks(range(0, PAIN_MAX + 1, 2))
    ax.set_ylabel("Pain (0–10)")
    _finish(ax, "upper right")


def _walking_panel(ax: Axes, chart: RecoveryChart, right: int) -> None:
    _goal(ax, chart.walking_goal, right, WALKING_GOAL, "walking goal (at least)", "^")
    _series(ax, chart.walking, WALKING, "walking", "D-", WALKING_COLOUR)
    _behind(ax, chart.walking_behind, WALKING_BEHIND)
    _missed(ax, chart.missed)
    _today(ax, chart.today)
    levels = chart.walking_levels or {}
    ranks = sorted(levels)
    if ranks:
        ax.set_yticks(ranks, [levels[rank] for rank in ranks], fontsize=8)
    low, high = (ranks[0], ranks[-1]) if ranks else (0, 4)
    ax.set_ylim(low - 0.4, high + 0.4)
    ax.set_ylabel("Walking")
    _finish(ax, "upper left")  # walking rises to the right: the upper left stays clear


def _finish(ax: Axes, legend_at: Literal["upper left", "upper right"]) -> None:
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # a protocol without these items draws nothing
        ax.legend(loc=legend_at, fontsize=8)


def _series(
    ax: Axes, points: Sequence[Point], gid: str, label: str, style: str, colour: str
) -> None:
    if not points:
        return
    pods, values = zip(*points, strict=True)
    (line,) = ax.plot(pods, values, style, color=colour, label=label, linewidth=2, markersize=6)
    line.set_gid(gid)


def _goal(ax: Axes, steps: Sequence[Point], right: int, gid: str, label: str, marker: str) -> None:
    """The expected level as a step line, with a marker (pointing the way the answer must
    stay) where each milestone falls due."""
    shown = [(pod, level) for pod, level in steps if pod <= right]
    if not shown:
        return
    pods = [pod for pod, _ in shown] + [right + 0.5]
    levels = [level for _, level in shown] + [shown[-1][1]]
    (line,) = ax.step(
        pods, levels, where="post", color=GOAL_COLOUR, linestyle=":", linewidth=2, label=label
    )
    line.set_gid(gid)
    ax.plot(
        [pod for pod, _ in shown],
        [level for _, level in shown],
        marker,
        linestyle="none",
        color=GOAL_COLOUR,
        markersize=7,
        gid=f"{gid}_starts",
    )


def _behind(ax: Axes, points: Sequence[Point], gid: str) -> None:
    if not points:
        return
    pods, values = zip(*points, strict=True)
    ax.plot(
        pods,
        values,
        "o",
        markersize=14,
        markerfacecolor="none",
        markeredgecolor=BEHIND_COLOUR,
        markeredgewidth=2,
        label="behind a milestone",
        gid=gid,
    )


def _missed(ax: Axes, pods: Sequence[int], label: str | None = None) -> None:
    """A grey band where a check-in went unanswered: a gap, not a value of 0."""
    for index, pod in enumerate(pods):
        ax.axvspan(
            pod - 0.3,
            pod + 0.3,
            color="#bbbbbb",
            alpha=0.35,
            linewidth=0,
            label=label if index == 0 else None,
            gid=MISSED,
        )


def _today(ax: Axes, today: int | None, label: str | None = None) -> None:
    if today is not None:
        ax.axvline(today, color="#777777", linestyle="--", linewidth=1, label=label, gid=TODAY)
