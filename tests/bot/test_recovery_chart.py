"""The recovery chart draws exactly the numbers it is given, against the pathway's goals."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from bot.telegram.render.chart import (
    BACK_PAIN,
    BACK_PAIN_BEHIND,
    BACK_PAIN_GOAL,
    LEG_PAIN,
    MISSED,
    TODAY,
    WALKING,
    WALKING_BEHIND,
    WALKING_GOAL,
    RecoveryChart,
    figure,
    png,
)

LEVELS = {
    0: "Bed or chair only",
    1: "Around the room",
    2: "Around the home or ward",
    3: "Outside, less than 15 minutes",
    4: "Outside, 15 minutes or more",
}
CHART = RecoveryChart(
    title="P-001 · MIS lumbar discectomy",
    subtitle="spine-miss-lumbar@1 · surgery 2026-03-02 · POD 8 today",
    back_pain=[(1, 7), (2, 6), (3, 6), (4, 5), (7, 5), (8, 3)],
    leg_pain=[(1, 4), (2, 3), (3, 3), (4, 2), (7, 1), (8, 1)],
    walking=[(1, 1), (2, 1), (3, 2), (4, 2), (7, 2), (8, 3)],
    walking_levels=LEVELS,
    back_pain_goal=[(3, 5), (7, 4), (14, 3), (30, 2)],
    walking_goal=[(1, 1), (2, 2), (7, 3), (14, 4)],
    back_pain_behind=[(3, 6), (7, 5)],
    walking_behind=[(2, 1), (7, 2)],
    missed=[5, 6],
    today=8,
    last_pod=10,
)


def line(fig: Figure, gid: str) -> Line2D:
    (found,) = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == gid]
    return found


def points(fig: Figure, gid: str) -> list[tuple[float, float]]:
    xy = np.asarray(line(fig, gid).get_xydata(), dtype=float)
    return [(x, y) for x, y in xy.tolist()]


def test_pain_and_walking_are_drawn_as_answered_by_pod() -> None:
    fig = figure(CHART)
    assert points(fig, BACK_PAIN) == CHART.back_pain
    assert points(fig, LEG_PAIN) == CHART.leg_pain
    assert points(fig, WALKING) == CHART.walking
    pain_panel, walking_panel = fig.axes
    assert line(fig, BACK_PAIN) in pain_panel.get_lines()
    assert line(fig, WALKING) in walking_panel.get_lines()


def test_goals_are_steps_from_each_milestone_to_the_edge_of_the_chart() -> None:
    fig = figure(CHART)
    # The axis ends at the next check-in (POD 10): later milestones are not drawn yet.
    assert points(fig, BACK_PAIN_GOAL) == [(3, 5), (7, 4), (10.5, 4)]
    assert points(fig, WALKING_GOAL) == [(1, 1), (2, 2), (7, 3), (10.5, 3)]
    assert line(fig, BACK_PAIN_GOAL).get_drawstyle() == "steps-post"
    assert points(fig, f"{BACK_PAIN_GOAL}_starts") == [(3, 5), (7, 4)]


def test_answers_behind_a_milestone_are_ringed() -> None:
    fig = figure(CHART)
    assert points(fig, BACK_PAIN_BEHIND) == CHART.back_pain_behind
    assert points(fig, WALKING_BEHIND) == CHART.walking_behind


def test_a_missed_check_in_is_a_grey_band_not_a_value() -> None:
    fig = figure(CHART)
    for panel in fig.axes:
        bands = [p for p in panel.patches if p.get_gid() == MISSED]
        assert all(isinstance(band, Rectangle) for band in bands)
        spans = [(b.get_x(), b.get_x() + b.get_width()) for b in bands if isinstance(b, Rectangle)]
        assert spans == [(4.7, 5.3), (5.7, 6.3)]
    assert 5 not in [x for x, _ in points(fig, BACK_PAIN)]


def test_the_axes_say_what_they_show() -> None:
    fig = figure(CHART)
    pain_panel, walking_panel = fig.axes
    assert fig.get_suptitle() == "P-001 · MIS lumbar discectomy"
    assert pain_panel.get_ylabel() == "Pain (0–10)"
    assert pain_panel.get_ylim() == (-0.5, 10.5)
    assert walking_panel.get_xlabel() == "Post-operative day (POD)"
    assert [t.get_text() for t in walking_panel.get_yticklabels()] == list(LEVELS.values())
    for panel in fig.axes:  # a vertical line at today's POD, in both panels
        (today,) = [ln for ln in panel.get_lines() if ln.get_gid() == TODAY]
        assert np.asarray(today.get_xdata()).tolist() == [8, 8]


def test_a_chart_is_a_png_of_800_by_600() -> None:
    data = png(CHART)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    height, width, _ = imread(io.BytesIO(data)).shape
    assert (width, height) == (800, 600)


def test_a_chart_drawn_in_threads_at_once_is_the_chart_drawn_alone() -> None:
    charts = [replace(CHART, today=day) for day in (7, 8)]
    alone = [png(chart) for chart in charts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(png, charts * 2))
    assert together == alone * 2
    assert alone[0] != alone[1]


def test_a_patient_with_no_answers_yet_still_gets_the_goals() -> None:
    empty = RecoveryChart(
        title="P-002 · MIS-TLIF",
        walking_levels=LEVELS,
        back_pain_goal=CHART.back_pain_goal,
        walking_goal=CHART.walking_goal,
        today=0,
        last_pod=1,
    )
    fig = figure(empty)
    drawn = {ln.get_gid() for ax in fig.axes for ln in ax.get_lines()}
    assert drawn == {WALKING_GOAL, f"{WALKING_GOAL}_starts", TODAY}
    assert png(empty).startswith(b"\x89PNG")
